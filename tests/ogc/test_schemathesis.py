"""Property-based tests of the OGC API against its own API definition (schemathesis).

Schemathesis generates requests (valid and invalid values of every declared parameter: boxes,
CRSs, datetimes, CQL2 filters, feature ids, tile numbers) for every operation of /ogc/v1/api and
sends them to the app in-process. Each answer must not be a server error and must be documented:
its status code, its content type and, for JSON, its schema. Bounded and reproducible (derandomized).
As in tests/api/test_schemathesis.py, the document is built when the module is imported.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.db import close_old_connections, transaction
from hypothesis import HealthCheck, settings
from rest_framework.throttling import AnonRateThrottle
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from config.wsgi import application
from ogc.openapi import definition
from registry.operations.demo import seed_demo

DOCUMENT = definition("http://testserver/ogc/v1")
schema = schemathesis.openapi.from_dict(DOCUMENT)
schema.app = application

CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]
BOUNDED = settings(max_examples=15, deadline=None, derandomize=True, database=None,
                   suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much,
                                          HealthCheck.data_too_large, HealthCheck.function_scoped_fixture])


@pytest.fixture(scope="module")
def register(django_db_setup: None, django_db_blocker: Any) -> Iterator[None]:
    """Twenty demo initiatives, made once for the module and rolled back after it."""
    outer = transaction.atomic()
    with django_db_blocker.unblock():
        outer.__enter__()
        try:
            seed_demo(20, seed=2)
        except BaseException:
            transaction.set_rollback(True)
            outer.__exit__(None, None, None)
            raise
    try:
        yield
    finally:
        with django_db_blocker.unblock():
            transaction.set_rollback(True)
            outer.__exit__(None, None, None)


@pytest.fixture
def in_process_app(register: None, db: None, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Requests go straight to the WSGI handler, inside the test's transaction (Django would close
    the connection after each request otherwise); the anonymous rate is raised for the run."""
    monkeypatch.setattr(AnonRateThrottle, "THROTTLE_RATES", {"anon": "1000000/minute"})
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        yield
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)


@schema.parametrize()
@BOUNDED
def test_the_ogc_api_answers_as_its_definition_says(case: schemathesis.Case, in_process_app: None) -> None:
    with transaction.atomic():
        try:
            case.call_and_validate(headers={"Accept-Encoding": "identity"}, checks=CHECKS)
        finally:
            transaction.set_rollback(True)
