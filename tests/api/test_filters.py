"""Every filter of the one InitiativeFilterSet, on real data: exactly the expected records."""

from __future__ import annotations

import datetime

import pytest
from django.contrib.gis.geos import Point

from registry import actions
from registry.models import Initiative, Partner, PartnerKind, Partnership, PartnershipRole, Service, Status
from tests.conftest import OFF_SCHEVENINGEN, make


@pytest.fixture
def register(leiden, utrecht):
    """Three published initiatives: Leiden (full), Utrecht (energy), The Hague (stopped shop)."""
    hague = make("Dorpswinkel Scheveningen", OFF_SCHEVENINGEN, kind="bewonersbedrijf", founded_year=2005,
                 status=Status.STOPPED, stopped_on=datetime.date(2024, 5, 1), stop_reason="menskracht",
                 description="Een winkel aan zee voor het hele dorp.", place="Den Haag",
                 last_verified_on=datetime.date(2025, 1, 10))
    hague.services.set(Service.objects.filter(code__in=["winkel", "ontmoetingsplek"]))
    gemeente = Partner.objects.create(name="Gemeente Utrecht", kind=PartnerKind.objects.get(code="gemeente"),
                                      municipality=utrecht.municipality)
    actions.save_partnership(Partnership(initiative=utrecht, partner=gemeente, start="2021",
                                         role=PartnershipRole.objects.get(code="opdrachtgever")), None,
                             acting_user=None)
    return {"leiden": leiden, "utrecht": utrecht, "hague": hague}


def names(client, query: str) -> list[str]:
    response = client.get(f"/api/v1/initiatives?{query}")
    assert response.status_code == 200, response.json()
    return [r["name"] for r in response.json()["results"]]


LEIDEN, UTRECHT, HAGUE = "Buurtkamer De Linde", "Energiecoöperatie Utrecht", "Dorpswinkel Scheveningen"


@pytest.mark.parametrize(("query", "expected"), [
    ("", [LEIDEN, HAGUE, UTRECHT]),
    ("kind=bewonersbedrijf", [HAGUE]),
    ("kind=bewonersbedrijf&kind=buurtcooperatie", [HAGUE, UTRECHT]),
    ("service=ontmoetingsplek", [LEIDEN, HAGUE]),
    ("service=ontmoetingsplek&service=energie", [LEIDEN, HAGUE, UTRECHT]),
    ("service=ontmoetingsplek&service=winkel&serviceMatch=all", [HAGUE]),
    ("service=ontmoetingsplek&service=energie&serviceMatch=all", []),
    ("partner=vsbfonds", [LEIDEN]),
    ("partnerKind=gemeente", [UTRECHT]),
    ("partnershipRole=financier", [LEIDEN]),
    ("partnershipRole=financier&partnershipRole=opdrachtgever", [LEIDEN, UTRECHT]),
    ("fundingSource=donaties", [LEIDEN]),
    ("municipality=GM0546", [LEIDEN]),
    ("municipality=GM0518&municipality=GM0344", [HAGUE, UTRECHT]),
    ("province=PV28", [LEIDEN, HAGUE]),
    ("status=gestopt", [HAGUE]),
    ("status=actief&status=gepauzeerd", [LEIDEN, UTRECHT]),
    ("q=winkels", [HAGUE]),
    ("q=soep", [LEIDEN]),
    ("q=Utrecht", [UTRECHT]),
    ("bbox=4.4,52.1,4.6,52.2", [LEIDEN]),
    ("bbox=4.0,51.9,5.2,52.2", [LEIDEN, HAGUE, UTRECHT]),
    ("foundedFrom=2010", [LEIDEN, UTRECHT]),
    ("foundedTo=2015", [LEIDEN, HAGUE]),
    ("foundedFrom=2010&foundedTo=2016", [LEIDEN]),
    ("verifiedSince=2025-06-01", [LEIDEN]),
    ("ordering=-foundedYear", [UTRECHT, LEIDEN, HAGUE]),
    ("ordering=foundedYear", [HAGUE, LEIDEN, UTRECHT]),
    ("province=PV28&service=winkel", [HAGUE]),
])
def test_each_filter_selects_exactly_the_matching_records(client, register, query, expected):
    assert names(client, query) == expected


def test_near_orders_by_distance_within_the_radius(client, register):
    # From Leiden: Leiden (0 km), The Hague (about 16 km), Utrecht (about 45 km).
    assert names(client, "near=4.497,52.1601&radius=20000") == [LEIDEN, HAGUE]
    assert names(client, "near=4.497,52.1601&radius=60000") == [LEIDEN, HAGUE, UTRECHT]
    assert names(client, "near=5.1214,52.0907&radius=60000") == [UTRECHT, LEIDEN, HAGUE]
    assert names(client, "near=5.1214,52.0907&radius=60000&ordering=name") == [LEIDEN, HAGUE, UTRECHT]


def test_updated_since_follows_the_last_change(client, register):
    moment = Initiative.objects.get(name=UTRECHT).updated_at
    assert names(client, f"updatedSince={moment.isoformat().replace('+', '%2B')}") == [UTRECHT]


def test_a_text_search_ranks_the_name_above_the_description(client, register):
    winkel = make("De Winkel", Point(4.4975, 52.1605, srid=4326), description="Alles voor de buurt.")
    assert names(client, "q=winkel")[:1] == [winkel.name]
