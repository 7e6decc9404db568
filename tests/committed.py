"""For tests whose data another process must see (pg_dump, a command run as a subprocess): they
run as pytest-django's transactional tests (`committed_db` in tests/conftest.py), so what they
write is committed, and around them the test database is kept safe.

A transactional test ends by emptying every table, the vocabularies (made by a migration) and the
reference areas (loaded once per run) too, which every later test needs. So a module of such tests
first saves a copy of the test database (`saved_database`), each test works on a fresh copy of it
(`fresh_copy`), and at the end of the module the saved copy takes the test database's place again.
The copies are CREATE DATABASE … TEMPLATE, copies of the database's files: the OIDs of PostGIS's
types, which Django caches per process, stay the same.
"""

from __future__ import annotations

import os
import re
import select
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import quote, urlencode

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.db import connection

T = TypeVar("T")
PROJECT_DIR = Path(settings.BASE_DIR)
# Tables' content as text, in a stable order: equal fingerprints mean equal content.
TABLES_SQL = ("SELECT pg_catalog.format('%I', tablename) FROM pg_catalog.pg_tables WHERE schemaname = 'public' "
              "ORDER BY tablename")


def fingerprint() -> dict[str, tuple[int, str | None]]:
    """Every table of the public schema (from the catalogue): its number of rows and the MD5 of all
    its rows as text, sorted."""
    with connection.cursor() as cursor:
        cursor.execute(TABLES_SQL)
        tables = [row[0] for row in cursor.fetchall()]
        result = {}
        for table in tables:
            cursor.execute(f"SELECT count(*), md5(string_agg(t::text, '|' ORDER BY t::text)) FROM {table} t")
            count, digest = cursor.fetchone()
            result[table] = (count, digest)
    return result


@contextmanager
def server_cursor() -> Iterator[Any]:
    """A cursor on the maintenance database, for work on the test database as a whole."""
    with connection._nodb_cursor() as cursor:
        yield cursor


def quoted(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def end_other_sessions(cursor: Any, name: str) -> None:
    """A database is copied or dropped only without sessions; those of the test database are all this
    run's (killed subprocesses may still be ending)."""
    cursor.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s AND pid <> "
                   "pg_backend_pid()", [name])


def own_database_name() -> str:
    name = connection.settings_dict["NAME"]
    assert name.startswith("test_"), name  # never the development database
    return name


@contextmanager
def saved_database() -> Iterator[str]:
    """Save a copy of the test database, and put it back in the test database's place at the end."""
    name = own_database_name()
    saved = f"{name}_saved"
    copy_database(name, saved)
    try:
        yield saved
    finally:
        connection.close()
        with server_cursor() as cursor:
            cursor.execute(f"DROP DATABASE {quoted(name)} WITH (FORCE)")
            cursor.execute(f"ALTER DATABASE {quoted(saved)} RENAME TO {quoted(name)}")
        # The emptying of the tables re-created the content types, under new ids, and cached those.
        ContentType.objects.clear_cache()


def copy_database(template: str, copy: str) -> None:
    """Make `copy` a copy of `template`, in place of any database of that name."""
    connection.close()
    with server_cursor() as cursor:
        end_other_sessions(cursor, template)
        cursor.execute(f"DROP DATABASE IF EXISTS {quoted(copy)} WITH (FORCE)")
        cursor.execute(f"CREATE DATABASE {quoted(copy)} TEMPLATE {quoted(template)}")
    ContentType.objects.clear_cache()


def fresh_copy(template: str) -> None:
    """Replace the test database with a copy of `template` (a saved copy)."""
    copy_database(template, own_database_name())


def drop_database(name: str) -> None:
    with server_cursor() as cursor:
        cursor.execute(f"DROP DATABASE IF EXISTS {quoted(name)} WITH (FORCE)")


@contextmanager
def prepared_database(saved: str, prepare: Callable[[], T]) -> Iterator[tuple[str, T]]:
    """For a module whose tests share data that takes a while to make: `prepare()` writes it once
    into a fresh copy of the saved test database, which is saved in its turn for the tests to copy
    (`fresh_copy`). Yields the name of that copy and what `prepare()` returned."""
    fresh_copy(saved)
    value = prepare()
    prepared = f"{saved}_prepared"
    copy_database(own_database_name(), prepared)
    try:
        yield prepared, value
    finally:
        drop_database(prepared)


def database_url() -> str:
    """DATABASE_URL of the test database, for a subprocess."""
    database = connection.settings_dict
    user, password = quote(database["USER"] or "", safe=""), quote(str(database["PASSWORD"] or ""), safe="")
    credentials = f"{user}:{password}@" if password else f"{user}@" if user else ""
    port = f":{database['PORT']}" if database["PORT"] else ""
    options = {key: value for key, value in database["OPTIONS"].items() if isinstance(value, str) and key != "options"}
    query = f"?{urlencode(options)}" if options else ""
    return f"postgis://{credentials}{quote(database['HOST'] or '', safe='')}{port}/{quote(database['NAME'])}{query}"


def start_command(*arguments: str, application_name: str) -> subprocess.Popen[bytes]:
    """`python manage.py <arguments>` on the test database, in its own process group (to kill its
    children with it); its database sessions carry `application_name`."""
    environment = {**os.environ, "DATABASE_URL": database_url(), "PGAPPNAME": application_name,
                   "PYTHONUNBUFFERED": "1", "DEBUG": "true"}
    return subprocess.Popen([sys.executable, "manage.py", *arguments], cwd=PROJECT_DIR, env=environment,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True)


def wait_for_output(process: subprocess.Popen[bytes], pattern: bytes, timeout: float = 120.0) -> bytes:
    """Read the process's stderr until the regular expression `pattern` matches it; fails when the
    process ends or the time is up."""
    assert process.stderr is not None
    seen = b""
    deadline = time.monotonic() + timeout
    while not re.search(pattern, seen):
        remaining = deadline - time.monotonic()
        assert remaining > 0, f"no {pattern!r} within {timeout:.0f} s; stderr so far: {seen[-2000:]!r}"
        ready, _, _ = select.select([process.stderr], [], [], min(remaining, 1.0))
        if ready:
            chunk = os.read(process.stderr.fileno(), 65536)
            if not chunk:
                stdout = process.stdout.read() if process.stdout else b""
                raise AssertionError(f"the process ended (exit {process.wait()}) before {pattern!r}: "
                                     f"{seen[-2000:]!r} {stdout[-2000:]!r}")
            seen += chunk
    return seen


def stop(process: subprocess.Popen[bytes]) -> None:
    """SIGSTOP to the process and its children: it can do nothing more until it is killed."""
    os.killpg(process.pid, signal.SIGSTOP)


def kill(process: subprocess.Popen[bytes]) -> None:
    """SIGKILL to the process and its children (its process group); waits for the process."""
    os.killpg(process.pid, signal.SIGKILL)
    assert process.wait(timeout=30) == -signal.SIGKILL


def sessions(application_name: str) -> list[tuple[str, bool]]:
    """(state, whether it has written in its open transaction) of the database sessions of a process."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT state, backend_xid IS NOT NULL FROM pg_stat_activity "
                       "WHERE datname = current_database() AND application_name = %s", [application_name])
        return [(state, wrote) for state, wrote in cursor.fetchall()]


def wait_until_gone(application_name: str, timeout: float = 60.0) -> None:
    """Until the server has ended the sessions of a killed process (and rolled back its transaction)."""
    deadline = time.monotonic() + timeout
    while sessions(application_name):
        assert time.monotonic() < deadline, f"sessions of {application_name} still open after {timeout:.0f} s"
        time.sleep(0.1)
