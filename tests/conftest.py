"""Tests run against a real PostgreSQL + PostGIS database with the real Dutch reference areas."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.contrib.gis.geos import Point

from geo.loading import load_reference_data
from registry.models import Initiative, Kind

LEIDEN = Point(4.4970, 52.1601, srid=4326)  # Pieterskerk
UTRECHT = Point(5.1214, 52.0907, srid=4326)  # Dom
NORTH_SEA = Point(3.5, 52.6, srid=4326)
OFF_SCHEVENINGEN = Point(4.262, 52.107, srid=4326)  # about 280 m off the coast of The Hague


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup: None, django_db_blocker: Any) -> None:
    """Load the shipped provinces, municipalities, postcodes and places once per test run."""
    with django_db_blocker.unblock():
        load_reference_data()


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
