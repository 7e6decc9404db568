"""Spatial and area queries live on the queryset, for the map, the API and the downloads alike."""

from __future__ import annotations

from django.contrib.gis.geos import Point
from django.db import models

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


def test_a_page_of_few_matches_is_sorted_in_the_same_order(make_initiative):
    """for_page: below FEW_MATCHES the order is made by sorting the matches (no index can give it),
    with the same records in the same order, both ways and with ties broken by id."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from registry.querysets import FEW_MATCHES, for_page

    for index, (name, year) in enumerate([("Bakkerij", 2001), ("Aardbei", None), ("Bakkerij", 1999),
                                          ("Zonnehof", 2001), ("Aardbei", 2010)]):
        saved(make_initiative, name, LEIDEN, founded_year=year, postcode=f"2311 C{'ABCDE'[index]}")
    for ordering in (("name", "pk"), ("-founded_year", "pk"), ("founded_year", "-pk"), ("-name", "-pk")):
        listed = Initiative.objects.order_by(*ordering)
        with CaptureQueriesContext(connection) as sorted_here:
            few = list(for_page(listed, 5)[1:4].values_list("pk", flat=True))
        assert few == list(listed[1:4].values_list("pk", flat=True))
        assert "COALESCE" in sorted_here.captured_queries[-1]["sql"]
    assert for_page(listed, FEW_MATCHES) is listed  # many matches: read in the index's order
    ranked = Initiative.objects.annotate(score=models.Value(1)).order_by("-score", "name")
    assert list(for_page(ranked, 5)) == list(ranked)  # an annotation is left as it is
