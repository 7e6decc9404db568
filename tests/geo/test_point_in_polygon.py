"""Municipality and province follow from the point, by point-in-polygon on the real boundaries."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from geo.models import Municipality
from registry.models import Initiative
from tests.conftest import LEIDEN, NORTH_SEA, OFF_SCHEVENINGEN, UTRECHT


def test_it_places_a_point_in_leiden_in_leiden_and_zuid_holland(make_initiative):
    initiative = make_initiative(location=LEIDEN.clone())
    initiative.full_clean()
    initiative.save()

    stored = Initiative.objects.select_related("municipality", "province").get(pk=initiative.pk)
    assert (stored.municipality.code, stored.municipality.name) == ("GM0546", "Leiden")
    assert (stored.province.code, stored.province.name) == ("PV28", "Zuid-Holland")


def test_it_refuses_a_point_in_the_north_sea(make_initiative):
    initiative = make_initiative(location=NORTH_SEA.clone())

    with pytest.raises(ValidationError) as raised:
        initiative.full_clean()

    assert raised.value.message_dict == {"location": [
        "Het punt (3.50000, 52.60000) ligt buiten Nederland: meer dan 1 km van elke Nederlandse gemeente. "
        "Controleer of lengte- en breedtegraad niet verwisseld zijn."]}
    assert Initiative.objects.count() == 0


def test_it_refuses_to_save_a_point_in_the_north_sea_even_without_full_clean(make_initiative):
    with pytest.raises(ValidationError):
        make_initiative(location=NORTH_SEA.clone()).save()
    assert Initiative.objects.count() == 0


def test_it_refuses_swapped_coordinates(make_initiative):
    swapped = make_initiative(location=LEIDEN.clone())
    swapped.location.x, swapped.location.y = LEIDEN.y, LEIDEN.x

    with pytest.raises(ValidationError) as raised:
        swapped.full_clean()
    assert list(raised.value.message_dict) == ["location"]


def test_it_gives_a_coastal_point_within_1_km_to_the_nearest_municipality(make_initiative):
    assert not Municipality.objects.filter(code="GM0518", geometry__intersects=OFF_SCHEVENINGEN).exists()

    initiative = make_initiative(location=OFF_SCHEVENINGEN.clone())
    initiative.full_clean()
    initiative.save()

    assert initiative.municipality.code == "GM0518"
    assert initiative.province.code == "PV28"


def test_moving_the_point_derives_the_areas_again(make_initiative):
    initiative = make_initiative(location=LEIDEN.clone())
    initiative.save()

    initiative.location = UTRECHT.clone()
    initiative.full_clean()
    initiative.save()

    stored = Initiative.objects.get(pk=initiative.pk)
    assert (stored.municipality.code, stored.province.code) == ("GM0344", "PV26")


def test_areas_typed_by_hand_are_overwritten_from_the_point(make_initiative):
    initiative = make_initiative(location=LEIDEN.clone())
    initiative.municipality = Municipality.objects.get(code="GM0344")
    initiative.save()

    assert Initiative.objects.get(pk=initiative.pk).municipality.code == "GM0546"


def test_set_based_assignment_places_every_record_and_rewrites_only_changes(make_initiative):
    leiden, utrecht = make_initiative(name="A"), make_initiative(name="B", location=UTRECHT.clone())
    leiden.save()
    utrecht.save()
    Initiative.objects.update(municipality=None, province=None)

    assert Initiative.objects.all().assign_areas() == 2
    assert sorted(Initiative.objects.values_list("municipality__code", "province__code")) == [
        ("GM0344", "PV26"), ("GM0546", "PV28")]
    assert Initiative.objects.all().assign_areas() == 0


def test_set_based_assignment_clears_the_areas_of_a_point_outside_the_country(make_initiative):
    initiative = make_initiative()
    initiative.save()
    # A point that was valid under old boundaries, simulated by moving it without validation.
    Initiative.objects.filter(pk=initiative.pk).update(location=NORTH_SEA)

    assert Initiative.objects.all().assign_areas() == 1
    assert Initiative.objects.filter(municipality__isnull=True, province__isnull=True).count() == 1


def test_the_assign_areas_command_reports_what_it_did(make_initiative):
    from django.core.management import call_command

    make_initiative().save()
    Initiative.objects.update(municipality=None, province=None)

    from io import StringIO

    out = StringIO()
    call_command("assign_areas", stdout=out)
    assert out.getvalue() == "1 initiatives changed area; 0 lie outside every municipality.\n"
