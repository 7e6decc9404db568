"""Possible duplicates: pairs scored on identifiers, names after normalising and distance judged by the
locations' precision, found on save and for the whole register; a "not a duplicate" decision is
remembered. How well the score does on many records: test_duplicate_evaluation.py."""

from __future__ import annotations

import math
from io import StringIO

import pytest
from django.contrib.gis.geos import Point
from django.core.management import call_command
from django.db import connection
from django.utils import translation

from registry import actions, duplicates
from registry.models import DuplicateCandidate, DuplicateDecision, Initiative, Kind
from registry.models.choices import LocationPrecision
from tests.conftest import LEIDEN, UTRECHT, make

NEAR_LEIDEN = Point(4.4990, 52.1620, srid=4326)  # about 250 m from LEIDEN


@pytest.fixture(autouse=True)
def in_english():
    """The reasons as the English back office says them (the Dutch: test_the_reasons_are_said_...)."""
    with translation.override("en"):
        yield


def north_of(point: Point, metres: float) -> Point:
    return Point(point.x, point.y + metres / 111_250, srid=4326)


def east_of(point: Point, metres: float) -> Point:
    return Point(point.x + metres / (111_320 * math.cos(math.radians(point.y))), point.y, srid=4326)


def saved(name: str, location: Point, by=None, **fields) -> Initiative:
    initiative = Initiative(name=name, kind=Kind.objects.get(code="bewonersinitiatief"), location=location.clone(),
                            **fields)
    initiative.full_clean()
    return actions.save_edit(initiative, None, acting_user=by)


def pairs() -> set[tuple[str, str]]:
    return set(DuplicateCandidate.objects.values_list("first__name", "second__name"))


def test_a_similar_name_close_by_is_a_candidate_and_far_away_or_different_is_not(leiden):
    make("Buurtkamer de Linde Leiden", NEAR_LEIDEN)
    make("Buurtkamer De Linde", UTRECHT)  # same name, 40 km away
    make("Repair Café Leiden", LEIDEN)  # same place, other name

    found = duplicates.similar_to(leiden)

    assert [(match.other.name, round(match.distance_m, -1)) for match in found] == [
        ("Buurtkamer de Linde Leiden", 250.0)]
    assert found[0].score >= duplicates.MIN_SCORE
    assert duplicates.explain(found[0].reasons) == "one name contains the other, 252 m apart"


def test_saving_a_record_puts_new_pairs_in_the_queue_once(leiden):
    twin = saved("Buurtkamer Linde", NEAR_LEIDEN)

    pair = DuplicateCandidate.objects.get()
    assert (pair.first, pair.second, pair.decision) == (leiden, twin, DuplicateDecision.OPEN)
    assert round(pair.distance_m, -1) == 250.0
    assert pair.score >= duplicates.MIN_SCORE
    assert pair.reasons == [{"code": "names_equal"}, {"code": "distance", "metres": 252, "approximate": False}]

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
    assert pairs() == {("Buurtkamer De Linde", "Buurtkamer Linde"),
                       ("Energiecoöperatie Utrecht", "Energiecooperatie Utrecht")}
    call_command("find_duplicates", stdout=out)
    assert out.getvalue().strip().endswith("0 new possible duplicates; 2 wait for review.")


def test_the_set_based_search_and_the_search_on_save_agree(leiden):
    for name, point in [("Stichting Buurtkamer De Linde", NEAR_LEIDEN), ("BUURTKAMER DE LINDE (oud)", LEIDEN),
                        ("Buurtkamer De Linde", UTRECHT), ("Buurtkamer De Linde Noord", north_of(LEIDEN, 600))]:
        make(name, point)
    expected = {tuple(sorted((i.pk, match.second_id))) for i in Initiative.objects.all()
                for match in duplicates.similar_to(i)}
    DuplicateCandidate.objects.all().delete()

    duplicates.find_all()

    assert set(DuplicateCandidate.objects.values_list("first", "second")) == expected
    assert len(expected) == 3  # the three in Leiden, pairwise; Utrecht is too far, Noord is a neighbour


@pytest.mark.parametrize("name", ["", "x"])
def test_short_or_empty_names_do_not_match_everything(name, leiden):
    other = make("Buurtkamer", NEAR_LEIDEN)
    other.name = name
    assert duplicates.similar_to(other) == []


# -- what the single rule got wrong (issue 16) --------------------------------------------------------


@pytest.mark.parametrize(("first", "second", "metres", "why"), [
    ("DORPSWINKEL DE ZWALUW", "Dorpswinkel De Zwaluw", 1400, "names equal after normalising, 1.4 km apart"),
    ("Buurthuis De Horst (vrijwilligers)", "Buurthuis De Horst", 7, "names equal after normalising, 7 m apart"),
    ("St. Dorpshuis 't Klooster", "Stichting Dorpshuis Het Klooster", 300,
     "names equal after normalising, 300 m apart"),
    ("Repair Café Leiden II", "Repair Cafe Leiden 2", 100, "names equal after normalising, 100 m apart"),
    ("Buurtmoestuin De Kapstock", "Buurtmoestuin De Kapstok", 120, "names 90% alike, 120 m apart"),
])
def test_doubles_the_single_rule_missed_are_pairs(db, first, second, metres, why):
    make(first, LEIDEN)
    make(second, north_of(LEIDEN, metres))

    pair = DuplicateCandidate.objects.get()

    assert (pair.first.name, pair.second.name) == (first, second)
    with translation.override("en"):
        assert duplicates.explain(pair.reasons) == why


@pytest.mark.parametrize(("first", "second", "metres", "words"), [
    ("Dorpshuis De Kapstok", "Dorpshuis De Kapstok Zuid", 300, "but words that tell neighbours apart: zuid"),
    ("Buurtkamer Oost", "Buurtkamer West", 300, "but words that tell neighbours apart: oost / west"),
    ("Repair Café Leiden", "Repair Café Leiden 2", 300, "but words that tell neighbours apart: 2"),
    ("Dorpshuis Het Klokhuis", "Dorpswinkel Het Klokhuis", 20,
     "but another kind of place: dorpshuis / dorpswinkel"),
    ("Buurtkamer De Linde", "Buurtkamer De Eik", 50, "names 22% alike"),
])
def test_look_alikes_the_single_rule_proposed_are_not(db, first, second, metres, words):
    one, other = make(first, LEIDEN), make(second, north_of(LEIDEN, metres))
    assert not DuplicateCandidate.objects.exists()

    # Even with one KvK number (a cooperative with a village hall and a shop), or only just.
    match = duplicates.score(duplicates.Candidate(
        one.pk, other.pk, *connection.cursor().execute(
            "SELECT registry_name_key(%s), registry_name_key(%s)", [first, second]).fetchone(),
        0.5, metres, LocationPrecision.EXACT, LocationPrecision.EXACT))
    assert match.score < duplicates.MIN_SCORE
    assert words in duplicates.explain(match.reasons)


def test_the_same_kvk_number_2_km_away_from_a_postcode_centre_is_a_pair(db):
    street = make("Dorpshuis De Kapstok", LEIDEN, kvk_number="12345678")
    centre = make("Stichting MFA De Kapstok", east_of(LEIDEN, 2600), kvk_number="12345678")
    Initiative.objects.filter(pk=centre.pk).update(location_precision=LocationPrecision.POSTCODE)
    DuplicateCandidate.objects.all().delete()

    assert duplicates.find_all() == 1

    pair = DuplicateCandidate.objects.get()
    assert (pair.first, pair.second) == (street, centre)
    assert pair.score == 1.0
    assert duplicates.explain(pair.reasons) == ("same KvK number; names 90% alike, 2.6 km apart (a location from "
                                                "the postcode)")


def test_identifiers_written_differently_are_the_same(db):
    one = make("Wijkrestaurant Smakelijk", LEIDEN, website="https://www.smakelijk.nl/contact",
               email="Info@Smakelijk.nl", phone="+31 71 123 4567")
    other = make("Stichting Wijkrestaurant Smakelijk Eten", UTRECHT, website="http://smakelijk.nl",
                 email="info@smakelijk.nl", phone="071-1234567")
    make("Wijkrestaurant Smakelijk Eten", UTRECHT)  # as far away, without them

    [match] = duplicates.similar_to(one)

    assert match.second_id == other.pk
    assert duplicates.explain(match.reasons) == ("same website; same e-mail address; same phone number; one name "
                                                 "contains the other, 43.4 km apart")


def test_an_identifier_shared_by_many_is_an_umbrellas_and_makes_no_candidates(db):
    def on_the_way(step: int) -> Point:  # 4.5 km apart, from Leiden to Utrecht
        return Point(LEIDEN.x + (UTRECHT.x - LEIDEN.x) * step / 10, LEIDEN.y + (UTRECHT.y - LEIDEN.y) * step / 10,
                     srid=4326)

    # One KvK number, one name, 4.5 km apart: each two would be a pair ...
    first, second = make("Buurtkamer De Linde", on_the_way(0), kvk_number="12345678"), None
    second = make("Buurtkamer De Linde", on_the_way(1), kvk_number="12345678")
    assert pairs() == {("Buurtkamer De Linde", "Buurtkamer De Linde")}
    # ... but not when many share it.
    for step in range(2, duplicates.MAX_SHARED + 1):
        make("Buurtkamer De Linde", on_the_way(step), kvk_number="12345678")
    DuplicateCandidate.objects.all().delete()

    assert duplicates.find_all() == 0
    assert duplicates.find_all([first.pk, second.pk]) == 0


def test_the_reasons_are_said_in_dutch_and_in_english():
    reasons = [{"code": "same_kvk"}, {"code": "names_equal"},
               {"code": "distance", "metres": 1630, "approximate": False}]
    with translation.override("nl"):
        assert duplicates.explain(reasons) == "zelfde KvK-nummer; namen gelijk na normaliseren, 1,6 km uit elkaar"
    with translation.override("en"):
        assert duplicates.explain(reasons) == "same KvK number; names equal after normalising, 1.6 km apart"


@pytest.mark.parametrize(("name", "key"), [
    ("Stichting Buurthuis 'De Horst' (vrijwilligers)", "buurthuis horst"),
    ("St. Dorpshuis 't Klooster i.o.", "dorpshuis klooster"),
    ("Energiecoöperatie Zuid U.A.", "energiecooperatie zuid"),
    ("Café & Bar De Linde II", "cafe en bar linde 2"),
    ("Buurthuis [oud] De Horst - Vereniging", "buurthuis horst"),
])
def test_names_are_normalised_by_one_function_in_the_database(db, name, key):
    with connection.cursor() as cursor:
        cursor.execute("SELECT registry_name_key(%s)", [name])
        assert cursor.fetchone()[0] == key


def test_the_search_of_one_record_uses_the_indexes(leiden):
    """Each branch of the candidates' query finds its rows by an index, not by reading the register."""
    probe = f"SELECT {duplicates._PROBE_COLUMNS} FROM registry_initiative WHERE id = ANY(%(ids)s)"
    sql = duplicates._candidate_sql(probe)
    with connection.cursor() as cursor:
        cursor.execute("SET enable_seqscan = off")  # a tiny table: make the planner show what it can use
        cursor.execute("EXPLAIN " + sql, {
            "ids": [leiden.pk], "radius": 1, "wide_radius": 1, "postcode": "postcode", "raw_similarity": 0.3,
            "key_similarity": 0.3, "max_shared": 10})
        plan = "\n".join(row[0] for row in cursor.fetchall())
        cursor.execute("RESET enable_seqscan")
    for index in ["initiative_location_geography", "initiative_kvk_key", "initiative_email_key",
                  "initiative_website_key", "initiative_phone_key"]:
        assert index in plan


def test_the_review_shows_the_pairs_most_likely_first_with_their_reasons(admin_client, leiden):
    make("Buurtkamer De Linde (vrijwilligers)", NEAR_LEIDEN, kvk_number="12345678")  # and the same KvK number
    Initiative.objects.filter(pk=leiden.pk).update(kvk_number="12345678")
    make("Buurtkamer Linde", north_of(LEIDEN, 900))
    duplicates.find_all()
    best, second = DuplicateCandidate.objects.filter(decision=DuplicateDecision.OPEN)[:2]
    assert best.score > second.score

    with translation.override("nl"):
        listed = admin_client.get("/admin/registry/duplicatecandidate/?decision__exact=open",
                                  HTTP_ACCEPT_LANGUAGE="nl").content.decode()
        compared = admin_client.get(f"/admin/registry/duplicatecandidate/{best.pk}/change/",
                                    HTTP_ACCEPT_LANGUAGE="nl").content.decode()

    assert listed.index(f"{best.score:.0%}") < listed.index(f"{second.score:.0%}")
    assert "zelfde KvK-nummer; namen gelijk na normaliseren, 252 m uit elkaar" in listed
    assert "zelfde KvK-nummer; namen gelijk na normaliseren, 252 m uit elkaar" in compared
