"""Property-based tests of the whole REST API against its own OpenAPI document (schemathesis).

Schemathesis generates valid and invalid requests for every operation in the OpenAPI document and
sends them to the app in-process (WSGI, no server). Each response must not be a server error and
must conform to the document: a documented status code and content type, a body that matches the
response schema, and documented headers.

- The document is the one /api/v1/openapi.json serves (test_served_document_is_the_tested_one).
  It is built when this module is imported, because schemathesis' lazy loader
  (`schemathesis.pytest.from_fixture`) does not work with pytest 9.2 (it sets `Node._nodeid`).
- The data is real: 30 demo initiatives with their partners and partnerships in the PostGIS test
  database (made once for the module), plus a few records with fixed ids that the document's path
  parameters get as examples. Each write operation gets one valid example body, so that success
  responses are checked too, not only 404s and 400s (schemathesis uses an example only when it is
  valid against the documented request schema). Examples do not change the contract; generated
  requests explore the rest.
- Every request runs in a savepoint that is rolled back afterwards, so each request sees the same
  data, and a failed request cannot break the test's transaction. Foreign keys are checked per
  statement (SET CONSTRAINTS ALL IMMEDIATE), as they would be outside a test transaction.
- Every operation is tried with a staff user's token; the reads also anonymously.
- The run is bounded and reproducible: a fixed number of examples per operation, derandomized.
"""

from __future__ import annotations

import copy
import json
import sys
from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from django.contrib.auth import get_user_model
from django.contrib.gis.geos import Point
from django.core.signals import request_finished, request_started
from django.db import close_old_connections, connection, transaction
from drf_spectacular.generators import SchemaGenerator
from drf_spectacular.renderers import OpenApiJsonRenderer
from hypothesis import HealthCheck, settings
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient
from rest_framework.throttling import AnonRateThrottle
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from config.wsgi import application
from geo.models import Municipality, Province
from registry.models import (
    FundingSource,
    Initiative,
    Kind,
    Maintainer,
    Partner,
    PartnerKind,
    Partnership,
    PartnershipRole,
    PublicationState,
    Role,
    Service,
)
from registry.operations.demo import seed_demo

DEMO_COUNT = 30
# Records made with these ids (far above what the sequences reach in a test run) are the examples.
PUBLISHED_ID, DRAFT_ID, PARTNER_ID, PARTNERSHIP_ID = 900_001, 900_002, 900_001, 900_001
PARTNER_SLUG = "fonds-schemathesis"
CODES = {  # vocabulary and area codes from the migrations and the shipped reference data
    "kinds": (Kind, "bewonersinitiatief"),
    "services": (Service, "ontmoetingsplek"),
    "partnerKinds": (PartnerKind, "vermogensfonds"),
    "partnershipRoles": (PartnershipRole, "financier"),
    "fundingSources": (FundingSource, "subsidie"),
    "provinces": (Province, "PV28"),
    "municipalities": (Municipality, "GM0546"),
}
PATH_EXAMPLES: dict[str, list[Any]] = {
    "/api/v1/initiatives/{id}": [PUBLISHED_ID, DRAFT_ID],
    "/api/v1/partners/{id}": [PARTNER_ID],
    "/api/v1/partnerships/{id}": [PARTNERSHIP_ID],
    **{f"/api/v1/{resource}/{{code}}": [code] for resource, (_, code) in CODES.items()},
}
BODY_EXAMPLES = {
    "/api/v1/initiatives": {"name": "Buurtkamer Schemathesis", "kind": "bewonersinitiatief",
                            "location": {"type": "Point", "coordinates": [4.497, 52.1601]}},
    "/api/v1/partners": {"name": "Fonds Schemathesis", "kind": "vermogensfonds"},
    "/api/v1/partnerships": {"initiative": PUBLISHED_ID, "partner": PARTNER_SLUG, "role": "financier",
                             "start": "1999"},
}

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
    response_headers_conformance,
]

BOUNDED = settings(
    max_examples=20,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much, HealthCheck.data_too_large,
                           HealthCheck.function_scoped_fixture],
)


def generated_document() -> dict[str, Any]:
    """The document as SpectacularJSONAPIView renders it (without a database or a request)."""
    document = SchemaGenerator().get_schema(request=None, public=True)
    return json.loads(OpenApiJsonRenderer().render(document))


def with_examples(document: dict[str, Any]) -> dict[str, Any]:
    document = copy.deepcopy(document)
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            for parameter in operation.get("parameters", []):
                if parameter.get("in") == "path" and path in PATH_EXAMPLES:
                    parameter["examples"] = {f"existing{n}": {"value": value}
                                             for n, value in enumerate(PATH_EXAMPLES[path])}
            body = BODY_EXAMPLES.get(path.removesuffix("/{id}"))
            if method in ("post", "put", "patch") and body is not None:
                for content in operation.get("requestBody", {}).get("content", {}).values():
                    content["examples"] = {"valid": {"value": body}}
    return document


DOCUMENT = generated_document()
schema = schemathesis.openapi.from_dict(with_examples(DOCUMENT))
# As `from_wsgi` does: requests, and the ones checks send again, go to the app in-process.
schema.app = application


@pytest.fixture(scope="module")
def register(django_db_setup: None, django_db_blocker: Any) -> Iterator[None]:
    """The demo register and the records the examples name, made once for this module (seeding
    takes seconds) in a transaction that is rolled back after it; each test's own transaction
    (the `db` fixture) is a savepoint inside it."""
    outer = transaction.atomic()
    with django_db_blocker.unblock():
        outer.__enter__()
        try:
            seed_register()
        except BaseException:
            outer.__exit__(*sys.exc_info())
            raise
    try:
        yield
    finally:
        with django_db_blocker.unblock():
            transaction.set_rollback(True)
            outer.__exit__(None, None, None)


def seed_register() -> None:
    seed_demo(DEMO_COUNT, seed=1)
    for model, code in CODES.values():
        assert model.objects.filter(code=code).exists(), f"example code {code} is gone"
    kind = Kind.objects.get(code="bewonersinitiatief")
    for pk, state in ((PUBLISHED_ID, PublicationState.PUBLISHED), (DRAFT_ID, PublicationState.DRAFT)):
        initiative = Initiative(pk=pk, name=f"Buurtkamer {pk}", kind=kind, publication_state=state,
                                location=Point(4.4970, 52.1601, srid=4326))
        initiative.full_clean()
        initiative.save()
        initiative.services.set(Service.objects.filter(code__in=["ontmoetingsplek"]))
    partner = Partner(pk=PARTNER_ID, name="Fonds Schemathesis", slug=PARTNER_SLUG,
                      kind=PartnerKind.objects.get(code="vermogensfonds"))
    partner.full_clean()
    partner.save()
    Partnership.objects.create(pk=PARTNERSHIP_ID, initiative_id=PUBLISHED_ID, partner=partner, start="2020",
                               role=PartnershipRole.objects.get(code="financier"))
    assert Initiative.objects.published().count() > 1 and Partnership.objects.count() > 1


@pytest.fixture
def staff_headers(db: None) -> dict[str, str]:
    user = get_user_model().objects.create_user("schemathesis", password=None)
    Maintainer.objects.create(user=user, role=Role.ADMINISTRATOR)
    return {"Authorization": f"Token {Token.objects.create(user=user).key}"}


@pytest.fixture
def in_process_app(register: None, db: None, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Requests go straight to the WSGI handler, inside the test's transaction.

    Django closes a connection that is not in autocommit at the end of each request, which would
    end the test's transaction; its own test client stops that in the same way. The anonymous
    rate limit is raised so that a long run is not answered with 429s."""
    monkeypatch.setattr(AnonRateThrottle, "THROTTLE_RATES", {"anon": "1000000/minute"})
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        yield
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)


def call_in_savepoint(case: schemathesis.Case, headers: dict[str, str]) -> None:
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        try:
            # The in-process transport does not decompress: ask for the body as it is.
            case.call_and_validate(headers={"Accept-Encoding": "identity", **headers}, checks=CHECKS)
        finally:
            transaction.set_rollback(True)


@schema.parametrize()
@BOUNDED
def test_api_as_staff(case: schemathesis.Case, in_process_app: None, staff_headers: dict[str, str]) -> None:
    """Every operation with a maintainer's token (schemathesis also leaves the token out in some cases)."""
    call_in_savepoint(case, staff_headers)


@schema.include(method="GET").parametrize()
@BOUNDED
def test_api_reads_anonymously(case: schemathesis.Case, in_process_app: None) -> None:
    """Every read without a token: published records only, public caching."""
    if case.headers:
        case.headers = {name: value for name, value in case.headers.items() if name.lower() != "authorization"}
    call_in_savepoint(case, {})


def test_served_document_is_the_tested_one(db: None) -> None:
    response = APIClient().get("/api/v1/openapi.json")
    assert response.status_code == 200
    assert json.loads(response.content) == DOCUMENT
