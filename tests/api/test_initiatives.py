"""Initiatives as whole JSON and GeoJSON documents, only public ones, in a fixed number of queries."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from registry.models import Initiative, PublicationState
from tests.api.conftest import forget_throttle_counts
from tests.conftest import UTRECHT, made_once, make


@pytest.fixture(autouse=True)
def verified_recently_enough(settings):
    """The fixture was verified on 2026-03-01: fresh whatever day the tests run (freshness itself is
    tested in tests/registry/test_freshness.py)."""
    settings.STALE_AFTER_MONTHS = 1200


def expected_document(initiative: Initiative) -> dict:
    return {
        "id": initiative.pk,
        "url": f"http://testserver/api/v1/initiatives/{initiative.pk}",
        "location": {"type": "Point", "coordinates": [4.497, 52.1601]},
        "slug": "buurtkamer-de-linde",
        "name": "Buurtkamer De Linde",
        "kind": {"code": "bewonersinitiatief", "label": {"nl": "Bewonersinitiatief", "en": "Residents' initiative"}},
        "services": [
            {"code": "ontmoetingsplek", "label": {"nl": "Ontmoetingsplek", "en": "Meeting point"}},
            {"code": "wijkrestaurant", "label": {"nl": "Wijkrestaurant", "en": "Community restaurant"}},
        ],
        "shortDescription": "Huiskamer voor de buurt.",
        "description": "Koffie, soep en een luisterend oor.",
        "legalForm": "stichting",
        "kvkNumber": "12345678",
        "foundedYear": 2015,
        "status": "actief",
        "stoppedOn": None,
        "stopReason": "",
        "address": {"street": "Breestraat", "houseNumber": "1", "postcode": "2311 CS", "place": "Leiden"},
        "municipality": {"code": "GM0546", "name": "Leiden"},
        "province": {"code": "PV28", "name": "Zuid-Holland"},
        "locationPrecision": "exact",
        "website": "https://linde.example",
        "email": "info@linde.example",
        "phone": "071 123 4567",
        "fundingSources": [
            {"code": "subsidie", "label": {"nl": "Subsidie", "en": "Subsidy"}},
            {"code": "donaties", "label": {"nl": "Donaties", "en": "Donations"}},
        ],
        "volunteers": 12,
        "paidStaff": 1,
        "reachPerWeek": 80,
        "partnerships": [{
            "partner": {"id": initiative.partnerships.get().partner_id, "slug": "vsbfonds", "name": "VSBfonds",
                        "kind": {"code": "vermogensfonds",
                                 "label": {"nl": "Vermogensfonds", "en": "Charitable foundation"}}},
            "role": {"code": "financier", "label": {"nl": "Financier (subsidie, bijdrage)",
                                                    "en": "Funder (subsidy, grant)"}},
            "start": "2020",
            "end": "2022",
        }],
        "publicationState": "gepubliceerd",
        "source": "Aanmelding",
        "sourceUrl": "",
        "lastVerifiedOn": "2026-03-01",
        "verificationMethod": "telefoon",
        "stale": False,
        "createdAt": initiative.created_at.astimezone().isoformat(),
        "updatedAt": initiative.updated_at.astimezone().isoformat(),
    }


def test_the_detail_is_the_whole_public_document(client, leiden):
    response = client.get(f"/api/v1/initiatives/{leiden.pk}")

    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    # The detail adds the years whose figures the initiative agreed to publish (tests/registry/test_figures_privacy.py)
    # and the evidence of its social value (tests/registry/test_figures_evidence.py).
    assert response.json() == {**expected_document(leiden), "yearlyFigures": [], "socialValueEvidence": []}


def test_the_list_pages_with_count_and_links(client, leiden, utrecht):
    first = client.get("/api/v1/initiatives?pageSize=1").json()
    second = client.get(first["next"]).json()

    assert first["count"] == 2
    assert first["previous"] is None
    assert first["next"] == "http://testserver/api/v1/initiatives?page=2&pageSize=1"
    assert [first["results"][0]["name"], second["results"][0]["name"]] == [
        "Buurtkamer De Linde", "Energiecoöperatie Utrecht"]
    detail = client.get(f"/api/v1/initiatives/{utrecht.pk}").json()
    assert detail.pop("yearlyFigures") == [] and detail.pop("socialValueEvidence") == []
    assert second["results"][0] == detail
    assert second["next"] is None


@pytest.mark.parametrize("how", [{"HTTP_ACCEPT": "application/geo+json"}, {"QUERY_STRING": "format=geojson"}])
def test_geojson_is_a_feature_collection_in_lon_lat(client, leiden, how):
    response = client.get("/api/v1/initiatives", **how)

    assert response["Content-Type"] == "application/geo+json"
    document = response.json()
    properties = expected_document(leiden)
    del properties["id"], properties["location"]
    assert document == {
        "type": "FeatureCollection", "numberMatched": 1, "numberReturned": 1, "links": [],
        "features": [{"id": leiden.pk, "type": "Feature",
                      "geometry": {"type": "Point", "coordinates": [4.497, 52.1601]},
                      "properties": properties}],
    }


def test_drafts_and_archived_records_are_not_public(client, leiden):
    draft = make("Concept", UTRECHT, publication_state=PublicationState.DRAFT)
    archived = make("Archief", UTRECHT, publication_state=PublicationState.ARCHIVED)

    assert [r["name"] for r in client.get("/api/v1/initiatives").json()["results"]] == ["Buurtkamer De Linde"]
    for hidden in (draft, archived):
        response = client.get(f"/api/v1/initiatives/{hidden.pk}")
        assert response.status_code == 404
        assert response["Content-Type"] == "application/problem+json"


def test_staff_see_drafts_too(staff_client, leiden):
    make("Concept", UTRECHT, publication_state=PublicationState.DRAFT)
    assert staff_client.get("/api/v1/initiatives").json()["count"] == 2


@pytest.fixture(scope="class")
def published_demo_register(django_db_setup: None, django_db_blocker: Any) -> Iterator[None]:
    def seed() -> None:
        from registry.operations.demo import seed_demo

        seed_demo(300, seed=8)
        Initiative.objects.update(publication_state=PublicationState.PUBLISHED)

    with made_once(django_db_blocker, seed):
        yield


class TestOnAPublishedDemoRegister:
    """300 demo initiatives, all published, seeded once for these tests (seeding takes seconds) and
    rolled back after them; what a test changes is undone after it."""

    @pytest.fixture
    def published_demo(self, published_demo_register: None, db: None) -> None:
        pass

    @pytest.mark.parametrize("query", [
        "", "&format=geojson", "&partnerKind=gemeente&status=actief&fundingSource=subsidie", "&q=bewoners"])
    def test_a_page_costs_the_same_number_of_queries_for_1_or_30_records(self, client, published_demo, query):
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        measured = {}
        for size in (1, 30):
            forget_throttle_counts()  # each a first request
            with CaptureQueriesContext(connection) as queries:
                body = client.get(f"/api/v1/initiatives?pageSize={size}{query}").json()
            assert len(body.get("results", body.get("features"))) == size
            measured[size] = [q["sql"] for q in queries.captured_queries]

        assert len(measured[30]) == len(measured[1])
        assert not [sql for sql in measured[30] if "DISTINCT" in sql]


@pytest.mark.parametrize("query", ["bbox=4.0,51.0,6.0,53.0", "near=5.12,52.09&radius=50000", "q=bewoners"])
def test_a_count_is_kept_for_the_next_request_with_the_same_filter(client, leiden, utrecht, query):
    """The count of a filter is made once per register version, also for a geometry in the filter
    (whose parameter once showed its memory address in the cache key, so that every box was
    counted again and left one more entry in the cache)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    counts = []
    for _ in range(2):
        with CaptureQueriesContext(connection) as queries:
            body = client.get(f"/api/v1/initiatives?pageSize=1&{query}").json()
        counts.append(len([q for q in queries.captured_queries if q["sql"].startswith("SELECT COUNT(*) AS")]))
    assert body["count"] >= 1
    assert counts == [1, 0]
