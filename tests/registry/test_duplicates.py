"""Possible duplicates: similar names (pg_trgm) close by (PostGIS), found on save and for the whole
register; a "not a duplicate" decision is remembered."""

from __future__ import annotations

from io import StringIO

import pytest
from django.contrib.gis.geos import Point
from django.core.management import call_command

from registry import actions, duplicates
from registry.models import DuplicateCandidate, DuplicateDecision, Initiative, Kind
from tests.conftest import LEIDEN, UTRECHT, make

NEAR_LEIDEN = Point(4.4990, 52.1620, srid=4326)  # about 250 m from LEIDEN


def saved(name: str, location: Point, by=None) -> Initiative:
    initiative = Initiative(name=name, kind=Kind.objects.get(code="bewonersinitiatief"), location=location.clone())
    initiative.full_clean()
    return actions.save_edit(initiative, None, acting_user=by)


def test_a_similar_name_close_by_is_a_candidate_and_far_away_or_different_is_not(leiden):
    make("Buurtkamer de Linde Leiden", NEAR_LEIDEN)
    make("Buurtkamer De Linde", UTRECHT)  # same name, 40 km away
    make("Repair Café Leiden", LEIDEN)  # same place, other name

    found = duplicates.similar_to(leiden)

    assert [(i.name, round(i.distance_m, -1)) for i in found] == [("Buurtkamer de Linde Leiden", 250.0)]
    assert duplicates.NAME_SIMILARITY <= found[0].name_similarity < 1


def test_saving_a_record_puts_new_pairs_in_the_queue_once(leiden):
    twin = saved("Buurtkamer Linde", NEAR_LEIDEN)

    pair = DuplicateCandidate.objects.get()
    assert (pair.first, pair.second, pair.decision) == (leiden, twin, DuplicateDecision.OPEN)
    assert round(pair.distance_m, -1) == 250.0

    before = Initiative.objects.get(pk=twin.pk)
    twin.phone = "071 123 4567"
    actions.save_edit(twin, before, acting_user=None)
    assert DuplicateCandidate.objects.count() == 1


def test_not_a_duplicate_is_remembered(leiden):
    twin = saved("Buurtkamer Linde", NEAR_LEIDEN)
    actions.mark_distinct(DuplicateCandidate.objects.get(), acting_user=None)

    before = Initiative.objects.get(pk=twin.pk)
    actions.save_edit(twin, before, acting_user=None)
    call_command("find_duplicates", stdout=StringIO())

    assert list(DuplicateCandidate.objects.values_list("decision", flat=True)) == [DuplicateDecision.DISTINCT]


def test_the_whole_register_is_searched_in_one_go(leiden, utrecht):
    make("Buurtkamer Linde", NEAR_LEIDEN)
    make("Energiecooperatie Utrecht", UTRECHT)
    make("Iets heel anders", UTRECHT)
    DuplicateCandidate.objects.all().delete()  # as in a register whose records were saved before the search
    out = StringIO()

    call_command("find_duplicates", stdout=out)

    assert out.getvalue().strip() == "2 new possible duplicates; 2 wait for review."
    assert set(DuplicateCandidate.objects.values_list("first__name", "second__name")) == {
        ("Buurtkamer De Linde", "Buurtkamer Linde"), ("Energiecoöperatie Utrecht", "Energiecooperatie Utrecht")}
    call_command("find_duplicates", stdout=out)
    assert out.getvalue().strip().endswith("0 new possible duplicates; 2 wait for review.")


def test_the_set_based_search_and_the_search_on_save_agree(leiden):
    for index, point in enumerate([NEAR_LEIDEN, LEIDEN, UTRECHT]):
        make(f"Buurtkamer De Linde {index}", point)
    expected = {tuple(sorted((i.pk, other.pk))) for i in Initiative.objects.all() for other in duplicates.similar_to(i)}

    duplicates.find_all()

    assert set(DuplicateCandidate.objects.values_list("first", "second")) == expected
    assert len(expected) == 3  # the three in Leiden, pairwise; Utrecht is too far


@pytest.mark.parametrize("name", ["", "x"])
def test_short_or_empty_names_do_not_match_everything(name, leiden):
    other = make("Buurtkamer", NEAR_LEIDEN)
    other.name = name
    assert list(duplicates.similar_to(other)) == []
