"""Tests run against a real PostgreSQL + PostGIS database with the real Dutch reference areas."""

from __future__ import annotations

import copy
import datetime
import sys
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, TypeVar

import pytest
from django.contrib.gis.geos import Point
from django.db import transaction
from django.utils import translation

from geo.loading import load_reference_data
from registry import actions
from registry.models import (
    FundingSource,
    Initiative,
    Kind,
    Partner,
    PartnerKind,
    Partnership,
    PartnershipRole,
    PublicationState,
    Service,
)
from tests import standby
from tests.committed import fresh_copy, saved_database

T = TypeVar("T")
LEIDEN = Point(4.4970, 52.1601, srid=4326)  # Pieterskerk
UTRECHT = Point(5.1214, 52.0907, srid=4326)  # Dom
NORTH_SEA = Point(3.5, 52.6, srid=4326)
OFF_SCHEVENINGEN = Point(4.262, 52.107, srid=4326)  # about 280 m off the coast of The Hague


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Every test of an API operation that schemathesis generates gets an id of its own, with the
    operation as its parameter (`test_api_as_staff[GET /api/v1/initiatives]`). pytest 9.2 builds a
    test's id from its parametrization alone, which schemathesis does not use, so they all shared the
    test function's id; pytest-xdist hands out tests by id, and ran one operation of each such test
    and dropped the others without a word."""
    for item in items:
        label = getattr(item, "operation_label", None)
        if label is not None and item.parent is not None and item.id.params is None:
            item._id = item.parent.id.child(item.originalname).with_params(label)  # type: ignore[attr-defined]
    shared = [nodeid for nodeid, count in Counter(item.nodeid for item in items).items() if count > 1]
    if shared:
        raise pytest.UsageError(f"Tests that share an id would not all run in parallel: {', '.join(shared)}")


@pytest.fixture(scope="session")
def django_db_modify_db_settings(django_db_modify_db_settings: None) -> None:
    """A read-replica alias, `replica1`, as a test mirror of the test database (what the settings
    make of DATABASE_REPLICA_URLS): a second connection to the same database that does not share
    the test's transaction, as a real replica shares nothing with the primary's open transaction.
    Only the router's tests (tests/config/test_replicas.py) install the router and use it."""
    from django.conf import settings
    from django.db import connections

    default = connections.settings["default"]  # with Django's defaults filled in
    if "replica1" not in settings.DATABASES:
        replica = {**copy.deepcopy(default), "TEST": {**default["TEST"], "MIRROR": "default"}}
        settings.DATABASES["replica1"] = connections.settings["replica1"] = replica
    # The test database on a real hot standby of the project's cluster (tests/standby.py), made by the
    # tests that use it (tests/config/test_standby.py); a mirror, so Django gives it the test
    # database's name and creates nothing there.
    test_name = default["TEST"].get("NAME") or f"test_{default['NAME']}"
    on_standby = {**copy.deepcopy(default), "PORT": standby.port_for(test_name),
                  "TEST": {**default["TEST"], "MIRROR": "default"}}
    settings.DATABASES[standby.ALIAS] = connections.settings[standby.ALIAS] = on_standby


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup: None, django_db_blocker: Any) -> None:
    """Load the shipped provinces, municipalities, postcodes and places once per test run."""
    with django_db_blocker.unblock():
        load_reference_data()


@pytest.fixture(scope="module")
def saved_test_database(django_db_setup: None, django_db_blocker: Any) -> Iterator[str]:
    with django_db_blocker.unblock(), saved_database() as saved:
        yield saved


@contextmanager
def made_once(django_db_blocker: Any, make: Callable[[], T]) -> Iterator[T]:
    """Data that several tests share and that takes seconds to make (a seeded register), made once
    by a module- or class-scoped fixture in a transaction that is rolled back when they are done.
    Each test's own transaction (the `db` fixture) is a savepoint inside it, so what a test changes
    is undone after it and every test finds the data exactly as made."""
    outer = transaction.atomic()
    with django_db_blocker.unblock():
        outer.__enter__()
        try:
            value = make()
        except BaseException:
            outer.__exit__(*sys.exc_info())
            raise
    try:
        yield value
    finally:
        with django_db_blocker.unblock():
            transaction.set_rollback(True)
            outer.__exit__(None, None, None)


@pytest.fixture
def committed_db(saved_test_database: str, transactional_db: None) -> None:
    """A transactional test (what it writes is committed, so other processes see it) on a fresh copy
    of the test database, which is put back as it was when the module ends (tests/committed.py)."""
    fresh_copy(saved_test_database)


@pytest.fixture(autouse=True)
def default_language() -> Any:
    """Each test starts in the site's default language: a request in English leaves English active
    in the thread (LocaleMiddleware does not switch back), which code outside a request would use."""
    translation.deactivate()
    yield
    translation.deactivate()


@pytest.fixture
def released_long_ago(monkeypatch: pytest.MonkeyPatch) -> None:
    """The running release as if deployed long before any test's dates, so that an answer's
    Last-Modified is its records' own (config.release.released_at: this checkout's files)."""
    monkeypatch.setattr("registry.caching.released_at", lambda: 0.0)


@pytest.fixture
def in_english(settings: Any) -> None:
    """English as the default language, for tests that read messages in their source text."""
    settings.LANGUAGE_CODE = "en"


@pytest.fixture
def make_initiative(db: None) -> Callable[..., Initiative]:
    """Build (not save) an initiative that passes validation, with the given fields changed."""

    def make(**fields: Any) -> Initiative:
        values: dict[str, Any] = {
            "name": "Dorpscoöperatie Testdorp",
            "kind": Kind.objects.get(code="dorpscooperatie"),
            "location": LEIDEN.clone(),
        }
        values.update(fields)
        return Initiative(**values)

    return make


def make(name: str, location, *, services: list[str] | None = None, funding_sources: list[str] | None = None,
         **fields) -> Initiative:
    """A validated initiative, saved as every write is (registry.actions), with services and funding
    sources by code."""
    fields.setdefault("publication_state", PublicationState.PUBLISHED)
    initiative = Initiative(name=name, kind=Kind.objects.get(code=fields.pop("kind", "dorpscooperatie")),
                            location=location.clone(), **fields)
    initiative.full_clean()
    return actions.save_edit(
        initiative, None, acting_user=None,
        services=Service.objects.filter(code__in=services) if services is not None else None,
        funding_sources=FundingSource.objects.filter(code__in=funding_sources) if funding_sources is not None
        else None)


def partnership(initiative: Initiative, partner: Partner, role: str, **fields: Any) -> Partnership:
    return actions.save_partnership(Partnership(initiative=initiative, partner=partner,
                                                role=PartnershipRole.objects.get(code=role), **fields), None,
                                    acting_user=None)


@pytest.fixture
def leiden(db) -> Initiative:
    """A complete, published initiative in Leiden with a partner."""
    initiative = make(
        "Buurtkamer De Linde", LEIDEN, kind="bewonersinitiatief", short_description="Huiskamer voor de buurt.",
        description="Koffie, soep en een luisterend oor.", legal_form="stichting", kvk_number="12345678",
        founded_year=2015, street="Breestraat", house_number="1", postcode="2311 CS", place="Leiden",
        website="https://linde.example", email="info@linde.example", phone="071 123 4567", volunteers=12,
        paid_staff=1, reach_per_week=80, source="Aanmelding", last_verified_on=datetime.date(2026, 3, 1),
        verification_method="telefoon", services=["ontmoetingsplek", "wijkrestaurant"],
        funding_sources=["subsidie", "donaties"])
    fund = Partner.objects.create(name="VSBfonds", kind=PartnerKind.objects.get(code="vermogensfonds"))
    partnership(initiative, fund, "financier", start="2020", end="2022")
    return Initiative.objects.get(pk=initiative.pk)


@pytest.fixture
def utrecht(db) -> Initiative:
    return make("Energiecoöperatie Utrecht", UTRECHT, kind="buurtcooperatie", founded_year=2019, place="Utrecht",
                services=["energie"])

