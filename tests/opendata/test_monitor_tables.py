"""The national annual monitor's tables in the open data: the daily snapshot holds them (one file per
table, every year with yearly figures), the Data Package gives each a Table Schema that frictionless
checks, the DCAT catalogue describes each, and they hold aggregates only (the figures' privacy rules)."""

from __future__ import annotations

import csv
import datetime
import io
import json
from pathlib import Path

import pytest
from django.test import Client
from frictionless import validate
from rdflib import Graph, Literal, URIRef
from rdflib.namespace import DCAT, DCTERMS

from opendata.snapshots import export_snapshot
from registry.models import Initiative
from registry.monitor import TABLE_COLUMNS, TABLE_DESCRIPTIONS
from tests.registry.test_figures_privacy import consented_sum, register, shows_secret  # noqa: F401 (a fixture)

DAY = datetime.date(2026, 11, 22)
TABLES = ["figures", "survival", "stop-reasons", "coverage", "volunteers", "income"]


@pytest.fixture
def snapshot(register, settings, tmp_path) -> Path:  # noqa: F811 (the fixture imported above)
    """The register of tests/registry/test_figures_privacy.py (figures for 2024 and 2025, one initiative's
    2025 amounts unconsented: the secret), exported."""
    settings.OPENDATA_ROOT = tmp_path
    return export_snapshot(tmp_path, DAY)


def read(text: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(text, newline="")))


def by_year_and_item(path: Path) -> dict[tuple[str, str], dict[str, str]]:
    rows = csv.DictReader(io.StringIO(path.read_text(encoding="utf-8"), newline=""))
    return {(row["year"], row["item"]): row for row in rows}


def test_the_snapshot_holds_each_table_of_the_national_monitor_for_every_year_with_figures(client: Client, snapshot):
    for table in TABLES:
        text = (snapshot / f"monitor-{table}.csv").read_bytes().decode("utf-8")
        rows = read(text)
        assert "\r\n" in text, table  # RFC 4180
        assert rows[0] == list(TABLE_COLUMNS[table]), table
        assert {(row[0], row[1]) for row in rows[1:]} == {("2024", "NL"), ("2025", "NL")}, table
        # The same rows as the monitor of each year gives on its own (the monitor page's CSV links).
        per_year = [read(client.get(f"/opendata/monitor/{year}/{table}.csv").content.decode()) for year in (2024, 2025)]
        assert rows == [rows[0], *per_year[0][1:], *per_year[1][1:]], table


def test_the_income_table_sums_consented_figures_only(snapshot):
    income = by_year_and_item(snapshot / "monitor-income.csv")
    everyone = Initiative.objects.all()

    # 2025: Leiden's five (1,100 to 5,500), Den Haag's five (2,000 each), Utrecht's four (700 each); not the secret.
    assert consented_sum(everyone, 2025, "income_subsidy") == 29_300
    assert income[("2025", "subsidie")] == {
        "year": "2025", "area": "NL", "item": "subsidie", "amount": "29300", "share": str(round(29_300 / 34_800, 4)),
        "previous_year_amount": "65000", "previous_year_share": str(round(65_000 / 65_600, 4)),
        "initiatives_contributing": "14", "previous_year_initiatives_contributing": "6"}
    # 2024: Leiden's five (1,000 to 5,000) and the secret initiative, which consented that year (50,000).
    assert income[("2024", "subsidie")]["amount"] == str(consented_sum(everyone, 2024, "income_subsidy")) == "65000"
    assert income[("2024", "subsidie")]["previous_year_amount"] == ""  # 2023 has no figures
    assert income[("2025", "crowdfunding")]["amount"] == ""  # only the secret initiative has any: withheld
    assert income[("2025", "total")]["amount"] == "34800"
    monitor_files = b"".join((snapshot / f"monitor-{table}.csv").read_bytes() for table in TABLES).decode()
    assert not shows_secret(monitor_files)


def test_the_data_package_describes_the_monitor_tables_and_frictionless_validates_them(snapshot):
    report = validate(str(snapshot / "datapackage.json"))

    assert report.valid, report.flatten(["rowNumber", "fieldName", "type", "note"])
    lines = {table: len(read((snapshot / f"monitor-{table}.csv").read_text(encoding="utf-8"))) - 1
             for table in TABLES}
    assert [task.stats.get("rows", 0) for task in report.tasks] == [15, 0, *lines.values()]
    assert lines["income"] == 2 * 15  # nine sources, the total, five measures; two years
    package = json.loads((snapshot / "datapackage.json").read_text())
    resources = {resource["name"]: resource for resource in package["resources"]}
    assert list(resources) == ["initiatives", "partnerships", *[f"monitor-{table}" for table in TABLES]]
    income = resources["monitor-income"]
    assert (income["path"], income["mediatype"], income["description"]) == (
        "monitor-income.csv", "text/csv", TABLE_DESCRIPTIONS["income"][0])
    assert [field["name"] for field in income["schema"]["fields"]] == list(TABLE_COLUMNS["income"])
    fields = {field["name"]: field for field in income["schema"]["fields"]}
    assert fields["year"] == {"name": "year", "type": "integer", "description": "The monitor's year.",
                              "constraints": {"required": True}}
    assert (fields["amount"]["type"], "constraints" in fields["amount"]) == ("number", False)  # may be withheld
    survival = {field["name"]: field for field in resources["monitor-survival"]["schema"]["fields"]}
    assert survival["grouping"]["constraints"] == {"required": True,
                                                   "enum": ["all", "kind", "funding-model", "province"]}


def test_the_validator_catches_a_bad_row_in_a_monitor_table(snapshot):
    """The schemas are really checked: a year that is not a number makes the package invalid."""
    path = snapshot / "monitor-figures.csv"
    header, first, rest = path.read_bytes().decode().split("\r\n", 2)
    path.write_bytes("\r\n".join([header, "twee" + first[4:], rest]).encode())

    report = validate(str(snapshot / "datapackage.json"))

    assert not report.valid
    assert report.flatten(["rowNumber", "fieldName", "type"]) == [[2, "year", "type-error"]]


def test_the_catalogue_describes_each_monitor_table(client: Client, snapshot):
    graph = Graph().parse(data=client.get("/opendata/catalog.ttl").content, format="turtle")
    dataset = URIRef("http://testserver/opendata#dataset")
    sizes = {entry["name"]: entry["bytes"] for entry in json.loads((snapshot / "manifest.json").read_text())["files"]}

    for table in TABLES:
        name = f"monitor-{table}.csv"
        distribution = URIRef(f"http://testserver/opendata#{name}")
        assert distribution in set(graph.objects(dataset, DCAT.distribution)), name
        descriptions = {literal.language: str(literal) for literal in graph.objects(distribution, DCTERMS.description)}
        english, dutch = TABLE_DESCRIPTIONS[table]
        assert english in descriptions["en"] and dutch in descriptions["nl"], name
        assert "5 or more" in descriptions["en"]
        assert Literal("Annual monitor: " + {"stop-reasons": "stop reasons", "coverage": "services per municipality",
                                            "figures": "key figures"}.get(table, table) + " (CSV)",
                       lang="en") in set(graph.objects(distribution, DCTERMS.title)), name
        assert str(graph.value(distribution, DCAT.downloadURL)) == (
            f"http://testserver/opendata/snapshots/2026-11-22/{name}")
        assert graph.value(distribution, DCAT.byteSize).toPython() == sizes[name] == (snapshot / name).stat().st_size


def test_the_monitor_tables_are_downloads_of_their_own_too(client: Client, snapshot):
    for table in TABLES:
        name = f"monitor-{table}.csv"
        live = client.get(f"/opendata/{name}")
        kept = client.get(f"/opendata/snapshots/2026-11-22/{name}")
        assert (live.status_code, live["Content-Type"]) == (200, "text/csv; charset=utf-8"), name
        assert live.content == b"".join(kept.streaming_content) == (snapshot / name).read_bytes(), name
    package = client.get("/opendata/datapackage.json").json()
    assert [resource["path"] for resource in package["resources"][2:]] == [
        f"http://testserver/opendata/monitor-{table}.csv" for table in TABLES]
    # A filter picks initiatives; the monitor's tables are the country's, so it is refused, by name.
    refused = client.get("/opendata/monitor-income.csv?province=PV28")
    assert refused.status_code == 400
    assert refused.content.decode().startswith("province: ")
    assert len(client.get("/opendata/datapackage.json?province=PV28").json()["resources"]) == 2
