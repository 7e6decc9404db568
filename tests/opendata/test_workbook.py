"""initiatives.xlsx, for people with a spreadsheet, read back by GDAL's XLSX driver and by openpyxl:
the CSV files' rows, each value of its column's type, no text read as a formula, and the limits of
a workbook made for one request."""

from __future__ import annotations

import csv
import json
import subprocess
from pathlib import Path
from typing import Any

import pytest
from django.test import Client
from openpyxl import load_workbook

from opendata import views
from opendata.snapshots import export_snapshot
from registry.columns import INITIATIVE_COLUMNS, PARTNERSHIP_COLUMNS
from tests.conftest import LEIDEN, UTRECHT, make
from tests.opendata.test_exports import DAY, body

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def gdal_rows(path: Path, sheet: str) -> list[dict[str, Any]]:
    """The sheet's rows as GDAL reads them (its XLSX driver: types from the cells), as JSON values."""
    result = subprocess.run(["ogr2ogr", "-f", "GeoJSON", "/vsistdout/", str(path), sheet],
                            capture_output=True, text=True, check=True)
    return [feature["properties"] for feature in json.loads(result.stdout)["features"]]


def gdal_types(path: Path, sheet: str) -> dict[str, str]:
    result = subprocess.run(["ogrinfo", "-ro", "-so", str(path), sheet], capture_output=True, text=True, check=True)
    return dict(line.split(" (")[0].split(": ") for line in result.stdout.splitlines()
                if line.endswith("(0.0)"))


def as_gdal_gives(text: str, type_: str) -> Any:
    """A CSV value as GDAL gives the typed cell back in GeoJSON (a moment without its zone: UTC)."""
    return {"integer": int, "number": float, "datetime": lambda t: t.removesuffix("Z")}.get(type_, str)(text)


def csv_values(path: Path, columns: Any) -> list[dict[str, Any]]:
    """The CSV file's rows, each value as GDAL gives it from the workbook (an empty cell: no member)."""
    with path.open(encoding="utf-8", newline="") as stream:
        return [{column.name: as_gdal_gives(row[column.name], column.type) for column in columns
                 if row[column.name] != ""} for row in csv.DictReader(stream)]


@pytest.fixture
def snapshot(leiden, utrecht, settings, tmp_path) -> Path:
    # Stopped, so that every column has a value somewhere (GDAL tells a column's type from its values).
    make("Aardappelhuis Utrecht", UTRECHT, status="gestopt", stopped_on="2025-05-01", stop_reason="menskracht")
    settings.OPENDATA_ROOT = tmp_path
    return export_snapshot(tmp_path, DAY)


def test_the_snapshots_workbook_holds_the_csv_files_rows_each_value_of_its_type(snapshot: Path):
    workbook = snapshot / "initiatives.xlsx"

    assert gdal_rows(workbook, "Initiatieven") == csv_values(snapshot / "initiatives.csv", INITIATIVE_COLUMNS)
    assert gdal_rows(workbook, "Partnerschappen") == csv_values(snapshot / "partnerships.csv", PARTNERSHIP_COLUMNS)
    assert gdal_types(workbook, "Initiatieven") == {
        column.name: {"integer": "Integer", "number": "Real", "date": "Date", "datetime": "DateTime"}.get(
            column.type, "String") for column in INITIATIVE_COLUMNS}
    # A postcode, a KvK number and a house number stay texts (a leading zero is not lost).
    assert gdal_rows(workbook, "Initiatieven")[0]["kvk_number"] == "12345678"


def test_the_workbook_says_where_its_data_come_from_and_what_each_column_means(snapshot: Path):
    sheet = load_workbook(snapshot / "initiatives.xlsx", read_only=True)["Toelichting"]
    rows = [tuple(cell for cell in row if cell is not None) for row in sheet.iter_rows(values_only=True)]

    assert rows[:7] == [("Register van bewonersinitiatieven",), ("Bron", "http://127.0.0.1:8000/opendata"),
                        ("Licentie", "http://creativecommons.org/publicdomain/zero/1.0/"),
                        ("Gemaakt", json.loads((snapshot / "manifest.json").read_text())["created"]),
                        ("Selectie", "alle gepubliceerde initiatieven"), (),
                        ("Tabblad", "Kolom", "Type", "Betekenis", "Codes")]
    columns = rows[7:]
    assert [(sheet, name) for sheet, name, *_ in columns] == (
        [("Initiatieven", column.name) for column in INITIATIVE_COLUMNS]
        + [("Partnerschappen", column.name) for column in PARTNERSHIP_COLUMNS])
    by_name = {name: row for _sheet, name, *row in columns}
    assert by_name["status"] == ["tekst", "status", "actief; gepauzeerd; gestopt"]
    # A code's label only where it says more than the code.
    assert by_name["kind"][2] == ("bewonersinitiatief; bewonersbedrijf; dorpscooperatie = Dorpscoöperatie; "
                                  "zorgcooperatie = Zorgcoöperatie; buurtcooperatie = Buurtcoöperatie; wijkonderneming")
    assert [by_name[name][0] for name in ("id", "latitude", "stopped_on", "updated_at")] == [
        "geheel getal", "getal", "datum", "datum en tijd (UTC)"]


def test_a_text_that_looks_like_a_formula_or_an_error_stays_a_text(client: Client, db, tmp_path: Path):
    make('=HYPERLINK("https://evil.example","Klik")', UTRECHT, short_description="=1+1", street="#N/A")

    path = tmp_path / "initiatives.xlsx"
    path.write_bytes(body(client.get("/opendata/initiatives.xlsx?status=actief")))

    row = next(load_workbook(path)["Initiatieven"].iter_rows(min_row=2))
    by_name = {column.name: cell for column, cell in zip(INITIATIVE_COLUMNS, row, strict=True)}
    assert [(by_name[name].data_type, by_name[name].value) for name in ("name", "short_description", "street")] == [
        ("s", '=HYPERLINK("https://evil.example","Klik")'), ("s", "=1+1"), ("s", "#N/A")]


def test_a_control_character_or_a_text_too_long_for_a_cell_costs_no_snapshot(db, settings, tmp_path: Path):
    # A form feed and a vertical tab, as pasted texts bring them (the import lets a form feed through).
    make("Buurt\x0chuis", UTRECHT, description="Een" + "\x0b" + "x" * 40_000)
    settings.OPENDATA_ROOT = tmp_path

    snapshot = export_snapshot(tmp_path, DAY)

    row = next(load_workbook(snapshot / "initiatives.xlsx")["Initiatieven"].iter_rows(min_row=2, values_only=True))
    by_name = dict(zip((column.name for column in INITIATIVE_COLUMNS), row, strict=True))
    assert by_name["name"] == "Buurt huis"
    assert (len(by_name["description"]), by_name["description"][:5], by_name["description"][-1]) == (
        32_767, "Een x", "…")
    # The CSV keeps every character of the text.
    assert "x" * 40_000 in (snapshot / "initiatives.csv").read_text(encoding="utf-8")


def test_a_filtered_workbook_is_made_for_the_request(client: Client, leiden, utrecht, tmp_path: Path):
    response = client.get("/opendata/initiatives.xlsx?province=PV26")

    assert (response.status_code, response["Content-Type"], response["Content-Disposition"]) == (
        200, XLSX, 'attachment; filename="initiatives-PV26.xlsx"')
    path = tmp_path / "initiatives.xlsx"
    path.write_bytes(body(response))
    assert [row["id"] for row in gdal_rows(path, "Initiatieven")] == [utrecht.pk]


def test_a_workbook_asked_for_in_english_names_its_sheets_and_explains_its_columns_in_english(
        client: Client, leiden, utrecht, tmp_path: Path):
    dutch, english = tmp_path / "nl.xlsx", tmp_path / "en.xlsx"
    dutch.write_bytes(body(client.get("/opendata/initiatives.xlsx?status=actief", HTTP_ACCEPT_LANGUAGE="nl")))
    english.write_bytes(body(client.get("/opendata/initiatives.xlsx?status=actief", HTTP_ACCEPT_LANGUAGE="en")))

    assert load_workbook(dutch, read_only=True).sheetnames == ["Initiatieven", "Partnerschappen", "Toelichting"]
    assert load_workbook(english, read_only=True).sheetnames == ["Initiatives", "Partnerships", "Explanation"]
    # The same rows in both: the columns' names and the values are the CSV files'.
    assert gdal_rows(english, "Initiatives") == gdal_rows(dutch, "Initiatieven")
    explanation = [tuple(cell for cell in row if cell is not None)
                   for row in load_workbook(english, read_only=True)["Explanation"].iter_rows(values_only=True)]
    assert explanation[0] == ("Register of residents' initiatives",)
    # Which initiatives it holds: the address that chose them.
    assert explanation[4] == ("Selection", "http://testserver/opendata/initiatives.xlsx?status=actief")
    assert explanation[6] == ("Sheet", "Column", "Type", "Meaning", "Codes")
    by_name = {name: row for _sheet, name, *row in explanation[7:]}
    assert [by_name[name][0] for name in ("id", "latitude", "stopped_on", "updated_at")] == [
        "whole number", "number", "date", "date and time (UTC)"]
    assert by_name["kind"][2].startswith("bewonersinitiatief = Residents' initiative; ")


def test_a_selection_too_large_for_one_request_is_refused_with_the_ways_to_it(client: Client, db, settings,
                                                                              tmp_path: Path, monkeypatch):
    settings.OPENDATA_ROOT = tmp_path
    make("Een", LEIDEN)
    make("Twee", UTRECHT)
    monkeypatch.setattr(views, "WORKBOOK_ROWS", 1)

    refused = client.get("/opendata/initiatives.xlsx?status=actief")
    # The whole register, before the first snapshot: refused alike.
    before_a_snapshot = client.get("/opendata/initiatives.xlsx")
    export_snapshot(tmp_path, DAY)
    whole = client.get("/opendata/initiatives.xlsx")

    assert (refused.status_code, refused.content.decode()) == (400, (
        "Een werkmap van 2 initiatieven is te groot om voor één verzoek te maken (ten hoogste 1): kies er minder "
        "met de filters, neem deze selectie als CSV, of het hele register uit de dagelijkse momentopname "
        "(http://testserver/opendata).\n"))
    assert before_a_snapshot.status_code == 400
    assert (whole.status_code, whole["Location"]) == (302, f"/opendata/snapshots/{DAY.isoformat()}/initiatives.xlsx")
    assert client.get(whole["Location"])["Content-Type"] == XLSX


def test_the_whole_registers_workbook_is_the_latest_snapshots_whatever_its_size(client: Client, leiden, settings,
                                                                                tmp_path: Path):
    settings.OPENDATA_ROOT = tmp_path
    made_here = client.get("/opendata/initiatives.xlsx")  # no snapshot yet
    export_snapshot(tmp_path, DAY)

    assert (made_here.status_code, made_here["Content-Type"]) == (200, XLSX)
    assert client.get("/opendata/initiatives.xlsx")["Location"] == (
        f"/opendata/snapshots/{DAY.isoformat()}/initiatives.xlsx")
