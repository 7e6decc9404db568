"""The project's own PostgreSQL cluster (config/setup/devdb.py): its server processes keep their large
buffers, so a query that builds a few MB (a box of 1,000 Features) does not fault in fresh pages each
time."""

from __future__ import annotations

import os
from pathlib import Path

import psycopg
import pytest
from django.db import connection

pytestmark = pytest.mark.django_db

# About what a box of 1,000 Features assembles: 2 MB in one value.
LARGE = "SELECT length(string_agg(repeat(md5(g::text), 64), ',')) FROM generate_series(1, 1000) AS g"


def backend_page_faults(pid: int) -> int:
    return int(Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[7])


@pytest.mark.skipif(bool(os.environ.get("DATABASE_URL")), reason="DATABASE_URL names a server the project does not run")
def test_the_database_server_reuses_its_large_buffers():
    # A connection of its own in autocommit, as the site's requests run: each query its own transaction,
    # after which the server frees what the query used (the test's transaction would keep the heap busy).
    with psycopg.connect(**connection.get_connection_params(), autocommit=True) as own:
        pid = own.execute("SELECT pg_backend_pid()").fetchone()[0]
        own.execute(LARGE)
        before = backend_page_faults(pid)
        for _ in range(20):
            assert own.execute(LARGE).fetchone()[0] == 1000 * 2048 + 999
        faults = (backend_page_faults(pid) - before) / 20
    # glibc's default maps each 2 MB buffer afresh: about 1,000 pages a query (devdb.SERVER_ENVIRONMENT).
    assert faults < 50, faults
