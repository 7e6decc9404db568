"""Dutch postcodes are normalised, and a postcode alone gives an approximate point."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from geo.models import Postcode, UnknownPostcode
from geo.postcodes import InvalidPostcode, normalise_postcode
from registry.models import Initiative, LocationPrecision
from tests.conftest import UTRECHT


@pytest.mark.parametrize(("typed", "stored"), [
    ("2311 EZ", "2311 EZ"), ("2311ez", "2311 EZ"), (" 2311  eZ ", "2311 EZ"), ("9999AA", "9999 AA"),
])
def test_it_normalises_a_full_postcode(typed, stored):
    assert normalise_postcode(typed) == stored


@pytest.mark.parametrize("typed", ["0123 AB", "12345", "2311", "2311 E", "ABCD EF", "2311 SA", "2311-EZ", ""])
def test_it_refuses_what_is_not_a_full_postcode(typed):
    with pytest.raises(InvalidPostcode):
        normalise_postcode(typed)


def test_it_accepts_four_digits_where_a_pc4_is_enough():
    assert normalise_postcode("2311", allow_pc4=True) == "2311"
    assert normalise_postcode("2311ez", allow_pc4=True) == "2311 EZ"


@pytest.mark.django_db
@pytest.mark.parametrize("typed", ["2311", "2311 EZ", "2311ez"])
def test_the_postcode_table_locates_pc4_and_full_postcodes(typed):
    area = Postcode.objects.locate(typed)
    assert (area.pc4, area.place) == ("2311", "Leiden")
    assert area.location.distance(area.location.__class__(4.49, 52.16, srid=4326)) < 0.02


@pytest.mark.django_db
def test_the_postcode_table_refuses_an_unknown_postcode():
    with pytest.raises(UnknownPostcode, match=r"Postcode 1000 staat niet in de postcodetabel\."):
        Postcode.objects.locate("1000 AA")


@pytest.mark.django_db
def test_the_postcode_table_holds_every_shipped_pc4_except_the_rejected_points():
    assert Postcode.objects.count() == 4083
    assert not Postcode.objects.filter(pc4="3062").exists()  # its GeoNames point lies in the North Sea


@pytest.mark.parametrize(("typed", "normalised"), [("2311ez", "2311 EZ"), ("2311", "2311")])
def test_an_initiative_with_only_a_postcode_gets_an_approximate_point(make_initiative, typed, normalised):
    initiative = make_initiative(location=None, postcode=typed)
    initiative.full_clean()
    initiative.save()

    stored = Initiative.objects.get(pk=initiative.pk)
    assert stored.postcode == normalised
    assert stored.location_precision == LocationPrecision.POSTCODE
    assert stored.is_location_approximate
    assert stored.location.equals_exact(Postcode.objects.get(pc4="2311").location, tolerance=1e-9)
    assert stored.municipality.code == "GM0546"


def test_an_unknown_postcode_without_a_point_is_refused_and_nothing_is_saved(make_initiative):
    initiative = make_initiative(location=None, postcode="1000 AA")

    with pytest.raises(ValidationError) as raised:
        initiative.full_clean()

    assert raised.value.message_dict == {"postcode": ["Postcode 1000 staat niet in de postcodetabel."]}
    assert Initiative.objects.count() == 0


def test_neither_point_nor_postcode_is_refused(make_initiative):
    with pytest.raises(ValidationError) as raised:
        make_initiative(location=None).full_clean()

    assert raised.value.message_dict == {"location": [
        "Geef een locatie op: zet een punt op de kaart, of vul de postcode in om het midden van het "
        "postcodegebied te gebruiken."]}


def test_a_new_postcode_moves_an_approximate_point(make_initiative):
    initiative = make_initiative(location=None, postcode="2311 EZ")
    initiative.save()
    initiative = Initiative.objects.get(pk=initiative.pk)

    initiative.postcode = "3511 AB"
    initiative.full_clean()
    initiative.save()

    stored = Initiative.objects.get(pk=initiative.pk)
    assert stored.location.equals_exact(Postcode.objects.get(pc4="3511").location, tolerance=1e-9)
    assert (stored.municipality.code, stored.location_precision) == ("GM0344", LocationPrecision.POSTCODE)


def test_a_point_placed_by_hand_is_exact_and_stays_when_the_postcode_changes(make_initiative):
    initiative = make_initiative(location=None, postcode="2311 EZ")
    initiative.save()
    initiative = Initiative.objects.get(pk=initiative.pk)

    initiative.location = UTRECHT.clone()
    initiative.save()
    initiative = Initiative.objects.get(pk=initiative.pk)
    initiative.postcode = "2312 AA"
    initiative.save()

    stored = Initiative.objects.get(pk=initiative.pk)
    assert stored.location_precision == LocationPrecision.EXACT
    assert stored.location.equals_exact(UTRECHT, tolerance=1e-9)
    assert stored.municipality.code == "GM0344"


@pytest.mark.django_db
def test_every_postcode_point_lies_in_or_near_a_municipality():
    from geo.models import Municipality

    misplaced = [p.pc4 for p in Postcode.objects.all() if Municipality.objects.for_point(p.location) is None]
    assert misplaced == []


@pytest.mark.django_db
@pytest.mark.parametrize(("pc4", "municipality"), [
    ("2324", "Leiden"), ("3523", "Utrecht"), ("7571", "Oldenzaal"), ("3981", "Bunnik")])
def test_a_pc4_listed_under_several_places_takes_the_one_among_its_neighbours(pc4, municipality):
    from geo.models import Municipality

    assert Municipality.objects.for_point(Postcode.objects.get(pc4=pc4).location).name == municipality
