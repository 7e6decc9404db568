"""Read replicas with a real hot standby: a streaming replica of the project's own cluster
(config/setup/devdb.py, `Replica`), made for this module and removed after it, with the router
(config/replicas.py) sending anonymous reads to the test database on it (tests/standby.py).

What the tests write is committed (transactional tests on a copy of the test database,
tests/committed.py), so it reaches the standby by replication, as in production. Requests go
through Django's test client: a kept connection to the standby is not health-checked between its
requests (Django's per-request checks are off in the client), so a standby stopped between two
requests fails in the middle of the next one, the harder case; a new connection fails at once.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from typing import Any

import pytest
from django.core.cache import cache
from django.db import connections
from django.test import Client
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from config import replicas
from config.setup import devdb
from registry.models import Initiative
from tests import standby
from tests.conftest import LEIDEN, make
from tests.maintainers import administrator

pytestmark = pytest.mark.django_db(transaction=True, databases=["default", standby.ALIAS])

ROUTER = "config.replicas.ReplicaRouter"
# The register's tables, not the cache tables (always on the primary, config/replicas.py).
REGISTER_TABLE = re.compile(r"\bregistry_(?!(response_)?cache\b)")
MIDDLEWARE = "config.replicas.ReplicaReadsMiddleware"


@pytest.fixture(scope="module")
def replica(django_db_setup: None, django_db_blocker: Any) -> Iterator[devdb.Replica]:
    """The hot standby, made (a base backup of the whole cluster) for this module, removed after it."""
    with django_db_blocker.unblock():
        database = connections["default"].settings_dict
    if not standby.on_project_cluster(database):
        pytest.skip("DATABASE_URL names a server other than the project's own cluster: no standby can be made of it")
    made = devdb.Replica(standby_port())
    try:
        standby.ensure(made, database)
        yield made
    finally:
        connections[standby.ALIAS].close()
        made.remove()


@pytest.fixture
def on_standby(replica: devdb.Replica, committed_db: None, settings: Any) -> Iterator[devdb.Replica]:
    """The router with the standby as the only replica, on a fresh copy of the test database that the
    standby has caught up with; a replica that fails is left out for 1 s."""
    settings.DATABASE_REPLICAS = [standby.ALIAS]
    settings.DATABASE_ROUTERS = [ROUTER]
    settings.MIDDLEWARE = [MIDDLEWARE, *settings.MIDDLEWARE]
    settings.DATABASE_REPLICA_RETRY_SECONDS = 1
    replicas._down_until.clear()
    connections[standby.ALIAS].close()  # its database was just made anew (committed_db)
    caught_up()
    cache.clear()
    yield replica
    connections[standby.ALIAS].close()
    replicas._down_until.clear()


def standby_port() -> str:
    return str(connections[standby.ALIAS].settings_dict["PORT"])


def caught_up() -> float:
    return standby.caught_up(connections["default"].settings_dict, standby_port())


@contextmanager
def replay_paused() -> Iterator[None]:
    with standby.replay_paused(connections["default"].settings_dict, standby_port()):
        yield


class Queries:
    """The SQL each database was sent (whether it answered or not)."""

    def __init__(self) -> None:
        self.sql: dict[str, list[str]] = {"default": [], standby.ALIAS: []}

    def recorder(self, alias: str) -> Callable[..., Any]:
        def record(execute: Callable[..., Any], sql: str, params: Any, many: bool, context: Any) -> Any:
            self.sql[alias].append(sql)
            return execute(sql, params, many, context)
        return record


@contextmanager
def queries() -> Iterator[Queries]:
    """Not Django's CaptureQueriesContext: that connects first, and the standby may be down."""
    ran = Queries()
    with ExitStack() as stack:
        for alias in ran.sql:
            stack.enter_context(connections[alias].execute_wrapper(ran.recorder(alias)))
        yield ran


def visitor() -> Client:
    # The first try of a request whose standby fails raises inside the view; the client would raise
    # that again after the request was answered from the primary, as a browser is not told.
    return Client(raise_request_exception=False)


def maintainer_api() -> APIClient:
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=administrator()).key}")
    return api


def read_from(alias: str, ran: Queries) -> bool:
    """Whether `alias` ran queries on the register's tables (not counting the cache table)."""
    return any(REGISTER_TABLE.search(sql) for sql in ran.sql[alias])


def served_from(alias: str, ran: Queries) -> bool:
    """The requests read the register from `alias` and not from the other database."""
    other = "default" if alias == standby.ALIAS else standby.ALIAS
    return read_from(alias, ran) and not read_from(other, ran)


def healthz() -> tuple[int, dict[str, Any]]:
    response = visitor().get("/healthz")
    return response.status_code, response.json()


# -- anonymous reads come from the standby; a maintainer reads their own write at once ----------------


def test_anonymous_api_and_page_reads_are_served_by_the_hot_standby(on_standby: devdb.Replica):
    leiden = make("Buurtkamer De Linde", LEIDEN, place="Leiden")
    caught_up()

    with queries() as ran:
        detail = visitor().get(f"/api/v1/initiatives/{leiden.pk}")
        page = visitor().get(f"/initiatieven/{leiden.slug}")
        listing = visitor().get("/initiatieven")
        map_data = visitor().get("/api/v1/initiatives/map")

    assert [response.status_code for response in (detail, page, listing, map_data)] == [200, 200, 200, 200]
    assert detail.json()["name"] == "Buurtkamer De Linde"
    assert "Buurtkamer De Linde" in page.content.decode()
    assert served_from(standby.ALIAS, ran)
    # That connection is to the standby: a server in recovery, on the standby's port, where the
    # test database's sessions include this one.
    with connections[standby.ALIAS].cursor() as cursor:
        cursor.execute("SELECT pg_is_in_recovery(), current_setting('port'), "
                       "(SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                       "AND pid = pg_backend_pid())")
        assert cursor.fetchone() == (True, on_standby.port, 1)


def test_while_the_standby_lags_visitors_see_it_as_it_is_and_a_maintainer_sees_their_own_write(
        on_standby: devdb.Replica):
    leiden = make("Buurtkamer De Linde", LEIDEN, place="Leiden")
    api = maintainer_api()
    caught_up()
    assert visitor().get(f"/api/v1/initiatives/{leiden.pk}").json()["name"] == "Buurtkamer De Linde"

    with replay_paused():
        changed = api.patch(f"/api/v1/initiatives/{leiden.pk}", {"name": "Buurtkamer De Eik"}, format="json")
        assert changed.status_code == 200, changed.content
        with queries() as ran:
            own = api.get(f"/api/v1/initiatives/{leiden.pk}")
        public = visitor().get(f"/api/v1/initiatives/{leiden.pk}")
        health_status, health = healthz()

    # The maintainer reads their write at once, from the primary; the public, from the standby,
    # does not see it yet: proof that its reads come from the standby and not the primary.
    assert own.json()["name"] == "Buurtkamer De Eik" and served_from("default", ran)
    assert public.json()["name"] == "Buurtkamer De Linde"
    assert Initiative.objects.get(pk=leiden.pk).name == "Buurtkamer De Eik"
    # The lag was measured: the standby received the write and had not replayed it.
    lagging = health["databases"][standby.ALIAS]
    assert health_status == 200 and lagging["answers"] and lagging["standby"]
    assert lagging["lagBytes"] > 0 and lagging["lagSeconds"] > 0

    seconds = caught_up()
    assert seconds < 5
    assert visitor().get(f"/api/v1/initiatives/{leiden.pk}").json()["name"] == "Buurtkamer De Eik"


def test_after_a_visitor_sent_a_form_their_reads_come_from_the_primary(on_standby: devdb.Replica,
                                                                       monkeypatch: pytest.MonkeyPatch):
    from registry.site import forms

    monkeypatch.setattr(forms, "FILL_SECONDS", 0)
    caught_up()
    sender = visitor()
    with replay_paused():
        sent = sender.post("/aanmelden", {
            "name": "Buurttuin De Vlinder", "kind": "bewonersinitiatief", "services": ["gemeenschapstuin"],
            "short_description": "Een tuin voor en door de buurt.", "postcode": "2311cs", "place": "Leiden",
            "homepage": "", "started": forms.started_token()})
        assert sent.status_code == 302
        with queries() as by_sender:
            assert sender.get("/initiatieven").status_code == 200
        with queries() as by_another:
            assert visitor().get("/initiatieven").status_code == 200
    assert served_from("default", by_sender)
    assert served_from(standby.ALIAS, by_another)


def test_healthz_says_which_databases_answer_and_how_far_the_standby_is_behind(on_standby: devdb.Replica):
    status, health = healthz()

    assert status == 200
    assert health["status"] == "ok"
    assert health["databases"]["default"] == {"answers": True}
    replica = health["databases"][standby.ALIAS]
    assert (replica["answers"], replica["standby"], replica["inUse"]) == (True, True, True)
    # The cluster is shared with other work: a little WAL may be on its way.
    assert 0 <= replica["lagBytes"] < 16 * 1024 * 1024
    assert 0 <= replica["lagSeconds"] < 10
    assert health["cache"] == {"answers": True}


# -- a standby that stops costs no request an error ------------------------------------------------


def test_a_stopped_standby_leaves_the_site_answering_from_the_primary_and_is_used_again_when_back(
        on_standby: devdb.Replica, caplog: pytest.LogCaptureFixture):
    leiden = make("Buurtkamer De Linde", LEIDEN, place="Leiden")
    caught_up()
    addresses = [f"/api/v1/initiatives/{leiden.pk}", f"/initiatieven/{leiden.slug}", "/initiatieven",
                 "/api/v1/initiatives/map", "/api/v1/initiatives?format=geojson", "/statistieken"]
    with queries() as ran:
        before = {address: visitor().get(address) for address in addresses}
    assert {address: response.status_code for address, response in before.items()} == dict.fromkeys(addresses, 200)
    assert served_from(standby.ALIAS, ran)

    on_standby.stop()  # fast: its sessions, this process's kept connection among them, are cut
    try:
        # The kept connection fails at the request's first query: the request runs again on the primary.
        with queries() as ran, caplog.at_level("WARNING"):
            first = visitor().get(addresses[0])
        assert first.status_code == 200 and first.json() == before[addresses[0]].json()
        assert read_from("default", ran)  # after the failed try on the standby
        assert replicas.is_down(standby.ALIAS)
        # Said once, as what it is; not logged as a server error, since none was sent.
        assert [(record.name, record.levelname) for record in caplog.records] == [
            ("config.replicas", "WARNING"), ("config.replicas", "WARNING")]
        assert "answered from the primary" in caplog.records[-1].getMessage()
        # Left out: the next requests go to the primary at once; then (1 s later) a new connection
        # is tried, fails at once, and the requests go to the primary again.
        during = {}
        for _ in range(2):
            with queries() as ran:
                during = {address: visitor().get(address) for address in addresses}
            assert {address: r.status_code for address, r in during.items()} == dict.fromkeys(addresses, 200)
            assert served_from("default", ran)
            time.sleep(1.1)
        assert during[addresses[0]].json() == before[addresses[0]].json()
        assert visitor().get("/opendata/initiatives.csv").status_code == 200
        status, health = healthz()
        assert (status, health["status"]) == (200, "degraded")
        assert health["databases"][standby.ALIAS] == {"answers": False, "inUse": False}
    finally:
        standby.ensure(on_standby, connections["default"].settings_dict)  # started: it catches up from its slot

    caught_up()
    time.sleep(1.1)  # the time it is left out is over
    with queries() as ran:
        after = {address: visitor().get(address) for address in addresses}
    assert {address: response.status_code for address, response in after.items()} == dict.fromkeys(addresses, 200)
    assert served_from(standby.ALIAS, ran)
    assert healthz()[1]["status"] == "ok"


def test_a_query_that_fails_on_the_standby_is_answered_from_the_primary(on_standby: devdb.Replica):
    """A query may fail on a standby whose connection still works (a hot standby cancels reads that
    conflict with what it replays): the request is answered from the primary, the standby stays in use."""
    leiden = make("Buurtkamer De Linde", LEIDEN, place="Leiden")
    caught_up()
    address = f"/api/v1/initiatives/{leiden.pk}"
    assert visitor().get(address).status_code == 200

    with connections[standby.ALIAS].cursor() as cursor:
        cursor.execute("SET search_path = nowhere")  # the register's tables are not found there
    try:
        with queries() as ran:
            response = visitor().get(address)
    finally:
        with connections[standby.ALIAS].cursor() as cursor:
            cursor.execute("RESET search_path")

    assert response.status_code == 200 and response.json()["name"] == "Buurtkamer De Linde"
    assert read_from("default", ran)  # after the failed try on the standby
    assert not replicas.is_down(standby.ALIAS)
    with queries() as ran:
        assert visitor().get(address).status_code == 200
    assert served_from(standby.ALIAS, ran)
