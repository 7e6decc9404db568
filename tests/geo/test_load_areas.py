"""The shipped reference areas load completely, reload only when changed, and never half-load."""

from __future__ import annotations

import csv
import json
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from geo import loading
from geo.models import Municipality, Place, Postcode, Province


def load(*args: str) -> str:
    out = StringIO()
    call_command("load_areas", *args, stdout=out)
    return out.getvalue().strip()


@pytest.mark.django_db
def test_all_provinces_and_municipalities_are_loaded():
    assert Province.objects.count() == 12
    assert Municipality.objects.current().count() == 342
    per_province = dict((p.code, p.municipalities.count()) for p in Province.objects.all())
    assert per_province == {"PV20": 10, "PV21": 18, "PV22": 12, "PV23": 25, "PV24": 6, "PV25": 51,
                            "PV26": 26, "PV27": 44, "PV28": 50, "PV29": 13, "PV30": 56, "PV31": 31}
    assert Municipality.objects.get(code="GM0363").name == "Amsterdam"
    assert Place.objects.count() == 6750 and Postcode.objects.count() == 4083


@pytest.mark.django_db
def test_every_municipality_lies_inside_its_province():
    outside = [m.code for m in Municipality.objects.select_related("province")
               if not m.province.geometry.buffer(0.0001).contains(m.geometry.point_on_surface)]
    assert outside == []


@pytest.mark.django_db
def test_loading_again_is_skipped_when_nothing_changed():
    assert load() == "Reference areas are already loaded and unchanged (use --force to reload)."


@pytest.mark.django_db
def test_a_broken_file_leaves_what_is_stored_untouched(tmp_path, monkeypatch):
    renamed = json.loads(loading.MUNICIPALITIES_FILE.read_text(encoding="utf-8"))
    for feature in renamed["features"]:
        if feature["properties"]["statcode"] == "GM0546":
            feature["properties"]["statnaam"] = "Leyden"
    municipalities = tmp_path / "gemeenten.geojson"
    municipalities.write_text(json.dumps(renamed), encoding="utf-8")
    with loading.PLACES_FILE.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.reader(handle))
    rows[500][rows[0].index("population")] = "veel"  # line 501 of the file
    places = tmp_path / "plaatsen.csv"
    with places.open("w", encoding="utf-8", newline="") as handle:
        csv.writer(handle).writerows(rows)
    monkeypatch.setattr(loading, "MUNICIPALITIES_FILE", municipalities)
    monkeypatch.setattr(loading, "PLACES_FILE", places)

    with pytest.raises(CommandError, match=r"plaatsen\.csv line 501: population 'veel' is not a whole number"):
        load()

    assert Municipality.objects.get(code="GM0546").name == "Leiden"
    assert Place.objects.count() == 6750


@pytest.mark.django_db
def test_a_municipality_missing_from_a_new_edition_is_ended_not_deleted(tmp_path, monkeypatch):
    edition = json.loads(loading.MUNICIPALITIES_FILE.read_text(encoding="utf-8"))
    edition["features"] = [f for f in edition["features"] if f["properties"]["statcode"] != "GM1992"]
    for feature in edition["features"]:
        feature["properties"]["jrstatcode"] = "2025" + feature["properties"]["statcode"]
    path = tmp_path / "gemeenten.geojson"
    path.write_text(json.dumps(edition), encoding="utf-8")
    monkeypatch.setattr(loading, "MUNICIPALITIES_FILE", path)
    places = tmp_path / "plaatsen.csv"
    places.write_text("\n".join(line for line in loading.PLACES_FILE.read_text(encoding="utf-8").splitlines()
                                if ",GM1992," not in line) + "\n", encoding="utf-8")
    monkeypatch.setattr(loading, "PLACES_FILE", places)

    assert load() == ("Loaded 12 provinces, 341 municipalities (1 ended), 4083 postcode areas, "
                      f"{Place.objects.count() - Place.objects.filter(municipality__code='GM1992').count()} places.")
    ended = Municipality.objects.get(code="GM1992")
    assert (str(ended.valid_from), str(ended.valid_to)) == ("2024-01-01", "2024-12-31")
    assert Municipality.objects.current().count() == 341
