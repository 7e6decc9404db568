from __future__ import annotations

from typing import Any

import pytest
from django.core.cache import cache
from django.test import Client

from registry.models import Initiative, Partner, PartnerKind, PublicationState
from tests.conftest import LEIDEN, UTRECHT, make

BASE = "http://testserver/ogc/v1"
RD_NEW = "http://www.opengis.net/def/crs/EPSG/0/28992"
ETRS89 = "http://www.opengis.net/def/crs/EPSG/0/4258"
CRS84 = "http://www.opengis.net/def/crs/OGC/1.3/CRS84"


@pytest.fixture(autouse=True)
def fresh_cache(db: None) -> Any:
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def client() -> Client:
    return Client()


def get_json(client: Client, path: str, status: int = 200, **headers: str) -> Any:
    response = client.get(path, **headers)
    assert response.status_code == status, response.content
    return response.json()


@pytest.fixture
def register(leiden: Initiative, utrecht: Initiative) -> dict[str, Initiative]:
    """Leiden (founded 2015) and Utrecht (2019) published, a draft beside them, a stopped one in
    Utrecht, and the municipality of Leiden as a partner."""
    draft = make("Geheim concept", LEIDEN, publication_state=PublicationState.DRAFT, founded_year=2015)
    stopped = make("Gestopte Buurtwinkel", UTRECHT, founded_year=2010, status="gestopt",
                   stopped_on="2018-05-01", stop_reason="financiering")
    from geo.models import Municipality

    Partner.objects.create(name="Gemeente Leiden", kind=PartnerKind.objects.get(code="gemeente"),
                           municipality=Municipality.objects.get(code="GM0546"))
    return {"leiden": leiden, "utrecht": utrecht, "draft": draft, "stopped": stopped}
