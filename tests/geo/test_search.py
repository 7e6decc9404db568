"""Which places a search's whole text names (geo.search.places_named), from the shipped tables."""

from __future__ import annotations

import pytest

from geo.search import find_locations, places_named

pytestmark = pytest.mark.django_db


def named(text: str) -> list[tuple[str, str, str, str]]:
    return [(place.type, place.name, place.context, place.municipality or place.province)
            for place in places_named(text)]


def test_a_postcode_names_its_area_with_or_without_its_letters():
    assert named("2311") == named("2311 cs") == named("2311CS") == [("postcode", "2311", "Leiden", "")]
    leiden = places_named("2311")[0]
    assert (round(leiden.lon, 2), round(leiden.lat, 2), leiden.zoom) == (4.49, 52.16, 14)


def test_a_postcode_that_does_not_exist_names_nothing():
    assert named("0999") == []


def test_a_whole_name_in_any_case_names_a_municipality_with_its_code():
    assert named("leiden") == named("LEIDEN") == [("municipality", "Leiden", "Zuid-Holland", "GM0546")]


def test_an_everyday_name_names_the_official_one():
    assert named("den haag") == [("municipality", "'s-Gravenhage", "Zuid-Holland", "GM0518")]


def test_a_beginning_of_a_name_names_nothing():
    assert named("Leid") == named("dorpshuis") == []


def test_places_of_one_name_are_all_named():
    assert named("Bergen") == [("place", "Bergen", "Bergen (NH.)", ""), ("place", "Bergen", "Bergen (L.)", "")]


def test_a_province_is_named_by_its_name_or_its_everyday_one_after_a_municipality_of_that_name():
    assert named("zuid-holland") == [("province", "Zuid-Holland", "", "PV28")]
    assert named("Friesland")[0] == ("province", "Fryslân", "", "PV21")
    # Someone who types "Utrecht" more often means the city.
    assert named("Utrecht") == [("municipality", "Utrecht", "Utrecht", "GM0344"), ("province", "Utrecht", "", "PV26")]


def test_a_province_is_suggested_by_the_beginning_of_its_name_and_shown_whole():
    holland = [place for place in find_locations("zuid-hol") if place.type == "province"]
    assert [(place.name, place.province, place.zoom) for place in holland] == [("Zuid-Holland", "PV28", 9)]
    # Its middle, where the map goes: inside the Netherlands' box.
    assert 3.3 < holland[0].lon < 7.3 and 50.7 < holland[0].lat < 53.6
