from __future__ import annotations

import datetime

import pytest
from django.core.cache import cache
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

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
from tests.conftest import LEIDEN, UTRECHT


@pytest.fixture(autouse=True)
def fresh_throttle_counts(db):
    """Throttle counters live in the shared cache; each test starts with none."""
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def client() -> APIClient:
    return APIClient()


@pytest.fixture
def staff_client(django_user_model) -> APIClient:
    user = django_user_model.objects.create_user("redacteur", password="x", is_staff=True)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=user).key}")
    return client


def make(name: str, location, **fields) -> Initiative:
    fields.setdefault("publication_state", PublicationState.PUBLISHED)
    initiative = Initiative(name=name, kind=Kind.objects.get(code=fields.pop("kind", "dorpscooperatie")),
                            location=location.clone(), **fields)
    initiative.full_clean()
    initiative.save()
    return initiative


@pytest.fixture
def leiden(db) -> Initiative:
    """A complete, published initiative in Leiden with a partner."""
    initiative = make(
        "Buurtkamer De Linde", LEIDEN, kind="bewonersinitiatief", short_description="Huiskamer voor de buurt.",
        description="Koffie, soep en een luisterend oor.", legal_form="stichting", kvk_number="12345678",
        founded_year=2015, street="Breestraat", house_number="1", postcode="2311 CS", place="Leiden",
        website="https://linde.example", email="info@linde.example", phone="071 123 4567", volunteers=12,
        paid_staff=1, reach_per_week=80, source="Aanmelding", last_verified_on=datetime.date(2026, 3, 1),
        verification_method="telefoon")
    initiative.services.set(Service.objects.filter(code__in=["ontmoetingsplek", "wijkrestaurant"]))
    initiative.funding_sources.set(FundingSource.objects.filter(code__in=["subsidie", "donaties"]))
    fund = Partner.objects.create(name="VSBfonds", kind=PartnerKind.objects.get(code="vermogensfonds"))
    Partnership.objects.create(initiative=initiative, partner=fund, start="2020", end="2022",
                               role=PartnershipRole.objects.get(code="financier"))
    return Initiative.objects.get(pk=initiative.pk)


@pytest.fixture
def utrecht(db) -> Initiative:
    initiative = make("Energiecoöperatie Utrecht", UTRECHT, kind="buurtcooperatie", founded_year=2019,
                      place="Utrecht")
    initiative.services.set(Service.objects.filter(code__in=["energie"]))
    return initiative
