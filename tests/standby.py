"""A real hot standby of the project's cluster for the tests of read replicas (tests/config/test_standby.py).

The test database lives in the project's own cluster (config/setup/devdb.py), so a streaming
replica of that cluster (devdb.Replica: pg_basebackup -R into a data directory of its own, on a
port of its own) holds a copy of it: what a test commits on the primary reaches the standby within
moments. The alias `standby` (tests/conftest.py) points at the test database on it; the tests
install the router with it as the only replica.

The standby's port is derived from the test database's name, so that test runs of different
checkouts (test_registry, test_registry_sb, …) on one cluster each have their own, and a standby
left behind by a killed run is found (and re-made or reused) by the next run of the same checkout.
"""

from __future__ import annotations

import time
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import psycopg

from config.replicas import lsn
from config.setup import devdb

ALIAS = "standby"
FIRST_PORT, PORTS = 5441, 100  # 5439 is the cluster's, 5440 the replica of `devdb replica-ensure`


def port_for(test_database: str) -> str:
    return str(FIRST_PORT + zlib.crc32(test_database.encode()) % PORTS)


def on_project_cluster(database: dict[str, Any]) -> bool:
    """Whether the database is in the project's own cluster (of which a replica can be made here)."""
    return (database.get("HOST") or "") == devdb.socket_dir() and str(database.get("PORT") or "") == devdb.port()


def connect(database: dict[str, Any], port: str, dbname: str = "postgres") -> psycopg.Connection:
    params = {"host": database["HOST"], "port": port, "dbname": dbname, "user": database.get("USER"),
              "password": database.get("PASSWORD")}
    return psycopg.connect(**{key: value for key, value in params.items() if value}, autocommit=True)


def primary_position(database: dict[str, Any]) -> int:
    with connect(database, devdb.port()) as primary:
        row = primary.execute("SELECT pg_current_wal_lsn()::text").fetchone()
    assert row is not None
    position = lsn(row[0])
    assert position is not None
    return position


def replayed_position(database: dict[str, Any], port: str) -> int:
    with connect(database, port) as standby:
        row = standby.execute("SELECT pg_last_wal_replay_lsn()::text").fetchone()
    assert row is not None
    return lsn(row[0]) or 0


def caught_up(database: dict[str, Any], port: str, timeout: float = 30.0) -> float:
    """Wait until the standby has replayed everything the primary has written so far (what the test
    committed); returns the seconds that took."""
    started = time.monotonic()
    target = primary_position(database)
    while replayed_position(database, port) < target:
        assert time.monotonic() - started < timeout, f"the standby did not catch up within {timeout:.0f} s"
        time.sleep(0.02)
    return time.monotonic() - started


@contextmanager
def replay_paused(database: dict[str, Any], port: str) -> Iterator[None]:
    """The standby receives the primary's WAL but does not apply it: it stays behind, as a replica
    under load or far away does, until the block ends."""
    with connect(database, port) as standby:
        standby.execute("SELECT pg_wal_replay_pause()")
        try:
            yield
        finally:
            standby.execute("SELECT pg_wal_replay_resume()")


def others_transactions(database: dict[str, Any], test_database: str) -> list[str]:
    """Transactions open on the primary in databases other than the tests' own (other work on a
    shared cluster), which may keep a (re)started standby from opening for reads."""
    with connect(database, devdb.port()) as primary:
        rows = primary.execute(
            "SELECT format('pid %%s in %%s, open %%s s', pid, datname, round(extract(epoch FROM now() - xact_start))) "
            "FROM pg_stat_activity WHERE backend_xid IS NOT NULL AND datname <> %s AND pid <> pg_backend_pid()",
            [test_database]).fetchall()
    return [row[0] for row in rows]


def ensure(replica: devdb.Replica, database: dict[str, Any]) -> None:
    """replica.ensure(), for a test: a standby that cannot open for reads because of other work's
    long transactions on a shared cluster skips the test (there is nothing to show then); any
    other failure fails it."""
    import pytest

    try:
        replica.ensure()
    except SystemExit as error:
        message = str(error)
        others = others_transactions(database, database["NAME"])
        if "did not open for reads" in message and others:
            pytest.skip(f"the standby could not open while other work holds transactions on this cluster "
                        f"({'; '.join(others)}): {message}")
        pytest.fail(f"the standby could not be made or started: {message}")
