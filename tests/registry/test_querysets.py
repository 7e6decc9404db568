"""Spatial and area queries live on the queryset, for the map, the API and the downloads alike."""

from __future__ import annotations

from django.contrib.gis.geos import Point

from registry.models import Initiative, PublicationState
from tests.conftest import LEIDEN, OFF_SCHEVENINGEN, UTRECHT


def saved(make_initiative, name, location, **fields):
    initiative = make_initiative(name=name, location=location.clone(), **fields)
    initiative.save()
    return initiative


def names(queryset) -> list[str]:
    return sorted(queryset.values_list("name", flat=True))


def test_in_area_takes_a_province_or_a_municipality_code(make_initiative):
    saved(make_initiative, "Leiden", LEIDEN)
    saved(make_initiative, "Den Haag", OFF_SCHEVENINGEN)
    saved(make_initiative, "Utrecht", UTRECHT)

    assert names(Initiative.objects.in_area("PV28")) == ["Den Haag", "Leiden"]
    assert names(Initiative.objects.in_area("gm0546")) == ["Leiden"]
    assert names(Initiative.objects.in_area("GM9999")) == []


def test_in_bbox_and_near_select_by_position(make_initiative):
    saved(make_initiative, "Leiden", LEIDEN)
    saved(make_initiative, "Utrecht", UTRECHT)

    assert names(Initiative.objects.in_bbox(4.4, 52.1, 4.6, 52.2)) == ["Leiden"]
    assert names(Initiative.objects.near(Point(4.50, 52.16, srid=4326), 1000)) == ["Leiden"]
    # Leiden–Utrecht is about 45 km.
    assert names(Initiative.objects.near(UTRECHT, 40_000)) == ["Utrecht"]
    assert names(Initiative.objects.near(UTRECHT, 50_000)) == ["Leiden", "Utrecht"]


def test_published_leaves_out_drafts_and_archived_records(make_initiative):
    for state in PublicationState:
        saved(make_initiative, state.label, LEIDEN, publication_state=state)

    assert list(Initiative.objects.published().values_list("publication_state", flat=True)) == ["gepubliceerd"]
