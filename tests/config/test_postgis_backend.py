"""The health check of a kept connection (config/postgis/base.py), against the real PostgreSQL: a
connection in steady use is trusted without a round trip, one the server closed is replaced before
the request's first query, one idle for longer or after an error is checked in full."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from django.db import connections
from django.db.backends.base.base import BaseDatabaseWrapper

pytestmark = pytest.mark.django_db


@pytest.fixture
def kept() -> Iterator[BaseDatabaseWrapper]:
    """A connection of its own to the test database, outside the test's transaction, with health checks."""
    connection = connections.create_connection("default")
    assert connection.settings_dict["CONN_HEALTH_CHECKS"] is True
    connection.ensure_connection()
    yield connection
    connection.close()


def backend_pid(connection: BaseDatabaseWrapper) -> int:
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        return int(cursor.fetchone()[0])


def next_request(connection: BaseDatabaseWrapper) -> None:
    """What Django does at the start and the end of every request (close_old_connections)."""
    connection.close_if_unusable_or_obsolete()


def test_a_working_connection_is_trusted_without_a_round_trip(kept, monkeypatch):
    pid = backend_pid(kept)
    round_trips = []
    monkeypatch.setattr(type(kept), "is_usable", lambda self: round_trips.append(1) or True)

    for _ in range(3):
        next_request(kept)
        assert backend_pid(kept) == pid

    assert round_trips == []


def test_a_connection_the_server_closed_is_replaced_before_the_first_query(kept):
    pid = backend_pid(kept)
    next_request(kept)
    with connections["default"].cursor() as cursor:  # as a restart or a stopped standby would
        cursor.execute("SELECT pg_terminate_backend(%s, 5000)", [pid])
        assert cursor.fetchone()[0] is True

    next_request(kept)
    assert backend_pid(kept) != pid  # a new connection, no error


def test_a_connection_idle_for_longer_than_the_window_is_checked_in_full(kept, monkeypatch):
    from config.postgis import base

    pid = backend_pid(kept)
    round_trips = []
    original = type(kept).is_usable
    monkeypatch.setattr(type(kept), "is_usable", lambda self: round_trips.append(1) or original(self))
    next_request(kept)
    kept.used_at -= base.USED_WITHIN  # as if the last request had ended that long ago

    assert backend_pid(kept) == pid
    assert round_trips == [1]


def test_a_connection_after_an_error_is_checked_in_full(kept, monkeypatch):
    round_trips = []
    original = type(kept).is_usable
    monkeypatch.setattr(type(kept), "is_usable", lambda self: round_trips.append(1) or original(self))
    kept.errors_occurred = True

    next_request(kept)
    backend_pid(kept)

    assert round_trips == [1]
