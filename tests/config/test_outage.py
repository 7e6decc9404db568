"""A database outage, for real: connections to the test database are cut and new ones refused, as
while PostgreSQL restarts. Requests in the meantime fail cleanly with 503; afterwards the same
server process answers again by itself.

Django's test server closes its connections after each request; the persistent connections of
gunicorn's workers through a real restart are exercised by `make faulttest` (tests/load/faults.py).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any
from urllib.error import HTTPError
from urllib.request import ProxyHandler, build_opener

import psycopg
import pytest
from django.db import connection
from psycopg import sql

from config.release import release

opener = build_opener(ProxyHandler({}))  # loopback: never through a proxy from the environment


def get(url: str) -> tuple[int, dict[str, str], bytes]:
    try:
        with opener.open(url, timeout=30) as response:
            return response.status, dict(response.headers), response.read()
    except HTTPError as error:
        return error.code, dict(error.headers), error.read()


def maintenance_connection() -> psycopg.Connection:
    """A connection to the server's `postgres` database: a database cannot refuse connections
    while the statement comes from a connection to itself."""
    config = connection.settings_dict
    params = {"dbname": "postgres", "user": config["USER"], "password": config["PASSWORD"],
              "host": config["HOST"], "port": config["PORT"]}
    return psycopg.connect(**{key: value for key, value in params.items() if value}, autocommit=True)


@contextmanager
def database_away() -> Iterator[None]:
    """Refuse new connections to the test database and cut every one but this test's own."""
    name = sql.Identifier(connection.settings_dict["NAME"])
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        (own,) = cursor.fetchone()
    with maintenance_connection() as admin:
        admin.execute(sql.SQL("ALTER DATABASE {} WITH ALLOW_CONNECTIONS false").format(name))
        try:
            admin.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s AND pid <> %s",
                          [connection.settings_dict["NAME"], own])
            yield
        finally:
            admin.execute(sql.SQL("ALTER DATABASE {} WITH ALLOW_CONNECTIONS true").format(name))


def test_during_an_outage_requests_fail_with_503_and_the_server_recovers_by_itself(committed_db: None, live_server: Any,
                                                                                   leiden):
    api = live_server.url + "/api/v1/initiatives"
    status, _headers, before = get(api)
    assert status == 200

    with database_away():
        api_status, api_headers, api_body = get(api)
        page_status, page_headers, page_body = get(live_server.url + "/initiatieven")
        health_status, _, health_body = get(live_server.url + "/healthz")

    assert (api_status, api_headers["Content-Type"], api_headers["Retry-After"]) == (
        503, "application/problem+json", "10")
    assert json.loads(api_body) == {
        "type": "about:blank", "title": "Service Unavailable", "status": 503,
        "detail": "Het register is even niet bereikbaar; probeer het over een paar seconden opnieuw.",
        "instance": "/api/v1/initiatives"}
    assert (page_status, page_headers["Content-Type"], page_headers["Retry-After"]) == (
        503, "text/html; charset=utf-8", "10")
    assert "Het register is even niet bereikbaar" in page_body.decode()
    # The cache is the database's table here, so it is away too.
    assert (health_status, json.loads(health_body)) == (503, {
        "status": "unavailable", "release": release(), "databases": {"default": {"answers": False}},
        "cache": {"answers": False}})

    # The database is back: the same server process answers, with the same data, unrestarted.
    after_status, _, after = get(api)
    assert after_status == 200
    assert json.loads(after) == json.loads(before)
    health_status, _, health_body = get(live_server.url + "/healthz")
    assert (health_status, json.loads(health_body)) == (200, {
        "status": "ok", "release": release(), "databases": {"default": {"answers": True}}, "cache": {"answers": True}})


def test_a_fault_of_one_query_stays_a_500_and_is_not_called_an_outage(rf: Any, db):
    from django.db import OperationalError, transaction

    from config.views import server_error

    request = rf.get("/api/v1/initiatives")
    try:
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("SET LOCAL statement_timeout = 1")
            cursor.execute("SELECT pg_sleep(1)")
    except OperationalError:
        response = server_error(request)  # as Django calls it, inside the handling of the error
    else:
        pytest.fail("the statement timeout did not fire")

    assert response.status_code == 500
    assert "Retry-After" not in response
