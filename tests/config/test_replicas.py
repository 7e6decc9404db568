"""Read replicas (config/replicas.py): anonymous GET/HEAD requests read from a replica; writes, reads
after a write, transactions, maintainers, management commands and migrations stay on the primary.

`replica1` is a test mirror of the test database (tests/conftest.py): its own connection, outside
the test's transaction, so data a test creates is invisible through it, as uncommitted data is
invisible on a real replica. The settings side (aliases from DATABASE_REPLICA_URLS, no router
without them) is in test_scaling_settings.py.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager

import pytest
from django.core.cache import cache
from django.core.management import call_command
from django.db import connections, router, transaction
from django.http import HttpRequest, HttpResponse
from django.test import Client, RequestFactory
from django.test.utils import CaptureQueriesContext
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from config.replicas import STICKY_COOKIE, ReplicaReadsMiddleware, ReplicaRouter
from registry.models import Initiative, Kind, Partner, PartnerKind
from registry.site import forms
from tests.maintainers import administrator

pytestmark = pytest.mark.django_db(databases=["default", "replica1"])

ROUTER = "config.replicas.ReplicaRouter"
MIDDLEWARE = "config.replicas.ReplicaReadsMiddleware"
SAVEPOINTS = re.compile(r"^(SAVEPOINT|RELEASE SAVEPOINT|ROLLBACK TO SAVEPOINT) ")
ALWAYS_ON_THE_PRIMARY = re.compile(r"registry_cache|registry_response_cache|api_throttle")


@pytest.fixture(autouse=True)
def replicas(settings) -> Iterator[None]:
    """What the settings install when DATABASE_REPLICA_URLS names one replica."""
    settings.DATABASE_REPLICAS = ["replica1"]
    settings.DATABASE_ROUTERS = [ROUTER]
    settings.MIDDLEWARE = [MIDDLEWARE, *settings.MIDDLEWARE]
    cache.clear()  # answers cached by an earlier test would hide the reads
    yield
    # Not in the test's transaction, so not closed with it: left open, it would keep the test
    # database from being dropped at the end of the run.
    connections["replica1"].close()


class Queries:
    """The SQL each connection ran, without the cache tables' and the throttle's (always on the
    primary) and the savepoints around their writes."""

    def __init__(self, captured: dict[str, CaptureQueriesContext]) -> None:
        self.captured = captured

    def on(self, alias: str) -> list[str]:
        return [query["sql"] for query in self.captured[alias].captured_queries
                if not ALWAYS_ON_THE_PRIMARY.search(query["sql"]) and not SAVEPOINTS.match(query["sql"])]

    def touching(self, alias: str, table: str) -> list[str]:
        return [sql for sql in self.on(alias) if f'"{table}"' in sql]


@contextmanager
def queries() -> Iterator[Queries]:
    with ExitStack() as stack:
        captured = {alias: stack.enter_context(CaptureQueriesContext(connections[alias]))
                    for alias in ("default", "replica1")}
        yield Queries(captured)


def run_view(view: Callable[[HttpRequest], HttpResponse], method: str = "get", **extra) -> HttpResponse:
    """A request through the router's middleware into `view`, as the first middleware would pass it on."""
    request = getattr(RequestFactory(), method)("/", **extra)
    return ReplicaReadsMiddleware(view)(request)


# -- anonymous reads go to the replica ------------------------------------------------------------


def test_anonymous_reads_of_public_pages_and_the_api_come_from_the_replica():
    client = Client()
    with queries() as ran:
        assert client.get("/api/v1/kinds").status_code == 200
        assert client.get("/initiatieven").status_code == 200
        assert client.get("/api/v1/initiatives/map").status_code == 200  # the map's own SQL
        assert client.head("/statistieken").status_code == 200

    assert ran.touching("replica1", "registry_kind")
    assert ran.touching("replica1", "registry_initiative")
    assert ran.touching("replica1", "registry_initiativedocument") or [
        sql for sql in ran.on("replica1") if "registry_initiativedocument" in sql]  # the map's prepared features
    assert ran.on("default") == []


def test_a_streamed_download_reads_from_the_replica_while_it_is_sent():
    with queries() as ran:
        response = Client().get("/opendata/initiatives.csv")
        body = b"".join(response.streaming_content)

    assert b"slug" in body.splitlines()[0]  # the header; the records are read while streaming
    assert ran.touching("replica1", "registry_initiative")
    assert ran.on("default") == []


def test_the_replica_is_another_connection_that_does_not_see_the_primarys_open_transaction(leiden):
    """`leiden` exists only in the test's transaction on the primary: the anonymous read, sent to the
    replica, cannot find it; the maintainer's read, on the primary, can."""
    assert connections["replica1"] is not connections["default"]
    maintainer = administrator()
    staff = APIClient()
    staff.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=maintainer).key}")

    with queries() as ran:
        anonymous = Client().get(f"/api/v1/initiatives/{leiden.pk}")
    assert anonymous.status_code == 404
    assert ran.touching("replica1", "registry_initiative")

    assert staff.get(f"/api/v1/initiatives/{leiden.pk}").status_code == 200


# -- the primary: writes, reads after writes, transactions ------------------------------------------


def test_a_request_reads_from_the_primary_after_it_wrote():
    aliases: list[str] = []
    fund = PartnerKind.objects.get(code="vermogensfonds")

    def view(request: HttpRequest) -> HttpResponse:
        aliases.append(Kind.objects.all().db)
        with queries() as ran:
            Partner.objects.create(name="Oranje Fonds", kind=fund)
        aliases.extend(alias for alias in ("default", "replica1") if ran.touching(alias, "registry_partner"))
        aliases.append(Kind.objects.all().db)
        assert Partner.objects.filter(name="Oranje Fonds").exists()  # its own write, not yet replicated
        return HttpResponse()

    response = run_view(view)

    assert aliases == ["replica1", "default", "default"]
    assert STICKY_COOKIE not in response.cookies  # a GET that wrote: no cookie, a cache may keep it


def test_reads_inside_a_transaction_stay_on_the_primary():
    aliases: list[str] = []

    def view(request: HttpRequest) -> HttpResponse:
        with transaction.atomic():
            aliases.append(Kind.objects.all().db)
        aliases.append(Kind.objects.all().db)
        return HttpResponse()

    run_view(view)
    assert aliases == ["default", "replica1"]


def test_after_a_public_form_was_sent_that_browser_reads_from_the_primary_for_a_while(monkeypatch, settings):
    monkeypatch.setattr(forms, "FILL_SECONDS", 0)
    visitor = Client()
    form = {"name": "Buurttuin De Vlinder", "kind": "bewonersinitiatief", "services": ["gemeenschapstuin"],
            "short_description": "Een tuin voor en door de buurt.", "postcode": "2311cs", "place": "Leiden",
            "homepage": "", "started": forms.started_token()}

    with queries() as ran:
        sent = visitor.post("/aanmelden", form)
    assert (sent.status_code, sent["Location"]) == (302, "/aanmelden/bedankt")
    assert ran.touching("default", "registry_suggestion") and ran.on("replica1") == []
    cookie = sent.cookies[STICKY_COOKIE]
    assert (cookie["max-age"], cookie["httponly"]) == (settings.DATABASE_PRIMARY_STICKY_SECONDS, True)

    with queries() as ran:
        visitor.get("/api/v1/kinds")
        Client().get("/api/v1/services")  # another visitor
    assert ran.touching("default", "registry_kind") and not ran.touching("replica1", "registry_kind")
    assert ran.touching("replica1", "registry_service") and not ran.touching("default", "registry_service")


# -- maintainers, commands and migrations use the primary -----------------------------------------


def test_maintainers_read_from_the_primary_in_the_admin_and_the_api():
    maintainer = administrator()
    admin = Client()
    admin.force_login(maintainer)
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=maintainer).key}")

    with queries() as ran:
        assert admin.get("/admin/registry/initiative/").status_code == 200
        assert admin.get("/initiatieven").status_code == 200  # the public site, while logged in
        assert api.get("/api/v1/initiatives").status_code == 200

    assert ran.touching("default", "registry_initiative")
    assert ran.on("replica1") == []


def test_api_writes_read_and_write_on_the_primary():
    maintainer = administrator()
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=maintainer).key}")

    with queries() as ran:
        created = api.post("/api/v1/partners", {"name": "Oranje Fonds", "kind": "vermogensfonds"}, format="json")

    assert created.status_code == 201, created.content
    assert ran.touching("default", "registry_partner")
    assert ran.on("replica1") == []


def test_management_commands_and_code_outside_a_request_read_from_the_primary(leiden):
    with queries() as ran:
        call_command("find_duplicates")
        names = list(Initiative.objects.values_list("name", flat=True))

    assert names == [leiden.name]  # found: the primary holds the test's data
    assert ran.touching("default", "registry_duplicatecandidate")
    assert ran.on("replica1") == []


def test_migrations_run_on_the_primary_only_and_objects_relate_across_the_aliases():
    replica_router = ReplicaRouter()
    assert replica_router.allow_migrate("default", "registry", "initiative")
    assert not replica_router.allow_migrate("replica1", "registry", "initiative")
    assert router.allow_migrate_model("default", Initiative)
    assert not router.allow_migrate_model("replica1", Initiative)

    kind = Kind.objects.using("replica1").get(code="dorpscooperatie")
    initiative = Initiative(name="X", kind=Kind.objects.using("default").get(code="bewonersinitiatief"))
    assert router.allow_relation(kind, initiative)
    initiative.kind = kind  # Django refuses this between databases that do not allow the relation
