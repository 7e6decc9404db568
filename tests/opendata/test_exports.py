"""Every open-data format, read back with its real reader: a CSV parser and the frictionless
validator, GDAL's ogrinfo, rdflib (and pyshacl for the catalogue)."""

from __future__ import annotations

import csv
import datetime
import io
import json
import re
import subprocess
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from django.test import Client
from frictionless import validate
from pyshacl import validate as shacl_validate
from rdflib import Graph, URIRef
from rdflib.namespace import DCAT, DCTERMS, RDF

from opendata.snapshots import export_snapshot
from registry import actions
from registry.models import Partner, PartnerKind, Partnership, PublicationState
from tests.conftest import UTRECHT, make, partnership

DAY = datetime.date(2026, 11, 22)
SHAPES = Path(__file__).with_name("shapes")  # copied from the official artefacts, see SOURCES.md


def body(response) -> bytes:
    return b"".join(response.streaming_content) if response.streaming else response.content


def csv_rows(response) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(body(response).decode("utf-8"), newline="")))


@pytest.fixture
def register(leiden, utrecht):
    make("Concept", UTRECHT, publication_state=PublicationState.DRAFT)
    return leiden, utrecht


@pytest.fixture
def snapshot(register, settings, tmp_path) -> Path:
    settings.OPENDATA_ROOT = tmp_path
    return export_snapshot(tmp_path, DAY)


def test_the_initiatives_csv_has_one_complete_row_per_published_initiative(client: Client, register):
    leiden, _utrecht = register
    response = client.get("/opendata/initiatives.csv")

    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"] == 'attachment; filename="initiatives.csv"'
    assert b"\r\n" in body(client.get("/opendata/initiatives.csv"))  # RFC 4180 line ends
    rows = csv_rows(response)
    assert [row["name"] for row in rows] == ["Buurtkamer De Linde", "Energiecoöperatie Utrecht"]
    assert rows[0] == {
        "id": str(leiden.pk), "slug": "buurtkamer-de-linde", "name": "Buurtkamer De Linde",
        "kind": "bewonersinitiatief", "services": "ontmoetingsplek;wijkrestaurant",
        "short_description": "Huiskamer voor de buurt.", "description": "Koffie, soep en een luisterend oor.",
        "legal_form": "stichting", "kvk_number": "12345678", "founded_year": "2015", "status": "actief",
        "stopped_on": "", "stop_reason": "", "street": "Breestraat", "house_number": "1", "postcode": "2311 CS",
        "place": "Leiden", "municipality_code": "GM0546", "municipality_name": "Leiden", "province_code": "PV28",
        "province_name": "Zuid-Holland", "latitude": "52.1601", "longitude": "4.497", "location_precision": "exact",
        "website": "https://linde.example", "funding_sources": "subsidie;donaties", "volunteers": "12",
        "paid_staff": "1", "reach_per_week": "80", "last_verified_on": "2026-03-01",
        "verification_method": "telefoon",
        "updated_at": leiden.updated_at.astimezone(datetime.UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
    }


def test_the_partnerships_csv_links_initiatives_partners_and_roles(client: Client, register):
    leiden, _utrecht = register

    assert csv_rows(client.get("/opendata/partnerships.csv")) == [
        {"initiative_id": str(leiden.pk), "partner_slug": "vsbfonds", "partner_name": "VSBfonds",
         "partner_kind": "vermogensfonds", "role": "financier", "start": "2020", "end": "2022"}]


def test_a_filtered_download_holds_exactly_the_filtered_records(client: Client, register):
    _leiden, utrecht = register

    rows = csv_rows(client.get("/opendata/initiatives.csv?province=PV26&service=energie"))
    partnerships = csv_rows(client.get("/opendata/partnerships.csv?province=PV26"))
    features = json.loads(body(client.get("/opendata/initiatives.geojson?municipality=GM0344")))["features"]

    assert [row["id"] for row in rows] == [str(utrecht.pk)]
    assert partnerships == []
    assert [feature["id"] for feature in features] == [utrecht.pk]


def test_a_bad_filter_on_a_download_is_named(client: Client, db):
    response = client.get("/opendata/initiatives.csv?province=PV99&bbox=1,2")

    assert response.status_code == 400
    text = response.content.decode()
    assert "province: Selecteer een geldige keuze. PV99 is geen beschikbare keuze." in text
    assert "bbox: Verwacht 4 getallen" in text
    assert client.get("/opendata/initiatives.ods").status_code == 404


def test_the_snapshot_is_a_valid_data_package_with_its_foreign_key(snapshot: Path):
    report = validate(str(snapshot / "datapackage.json"))

    assert report.valid, report.flatten(["rowNumber", "fieldName", "type", "note"])
    # and the national monitor's six tables: no yearly figures here, so their header only
    assert [task.stats.get("rows", 0) for task in report.tasks] == [2, 1, 0, 0, 0, 0, 0, 0]
    package = json.loads((snapshot / "datapackage.json").read_text())
    assert package["licenses"][0]["name"] == "CC0-1.0"
    assert package["resources"][1]["schema"]["foreignKeys"] == [
        {"fields": ["initiative_id"], "reference": {"resource": "initiatives", "fields": ["id"]}}]


def test_the_validator_catches_a_partnership_without_its_initiative(snapshot: Path):
    """The foreign key is really declared: a partnership pointing nowhere makes the package invalid."""
    partnerships = snapshot / "partnerships.csv"
    text = partnerships.read_bytes().decode()
    partnerships.write_bytes(re.sub(r"\r\n\d+,", "\r\n999999,", text, count=1).encode())

    report = validate(str(snapshot / "datapackage.json"))

    assert not report.valid
    assert [error[2] for error in report.flatten(["rowNumber", "fieldName", "type"])] == ["foreign-key"]


def ogrinfo(path: Path) -> str:
    result = subprocess.run(["ogrinfo", "-so", "-al", str(path)], capture_output=True, text=True, check=True)
    return result.stdout


@pytest.mark.parametrize("name", ["initiatives.geojson", "initiatives.gpkg"])
def test_gdal_reads_the_geojson_and_the_geopackage(snapshot: Path, name: str):
    info = ogrinfo(snapshot / name)

    assert "Feature Count: 2" in info
    assert "Geometry: Point" in info
    assert 'ID["EPSG",4326]' in info
    fields = re.findall(r"^(\w+): (\w+) \(\d+\.\d+\)$", info, re.M)
    names = [field for field, _type in fields]
    assert names[:4] == ["id", "slug", "name", "kind"] and "latitude" not in names
    assert {"services", "municipality_code", "updated_at"} <= set(names)
    assert dict(fields)["founded_year"] == "Integer"


# PDOK's GeoPackage validator (PyPI pdok-geopackage-validator) needs GDAL's Python bindings of the
# system's GDAL: `make test` installs it into .venv-gpkg and names it in GEOPACKAGE_VALIDATOR (then a
# missing command fails the test); a bare `pytest` finds it there too, or skips.
# Its default validations plus RQ12, the CRS rule that allows RD New and ETRS89 but not WGS 84.
PDOK_VALIDATIONS = ("RQ1,RQ2,RQ4,RQ6,RQ7,RQ9,RQ10,RQ11,RQ12,RQ13,RQ14,RQ15,RQ21,RQ22,RQ23,RQ24,RQ26,"
                    "RC17,RC18,RC19,RC20,RC25")


def pdok_validation(path: Path) -> dict:
    import os
    import shutil

    installed = Path(__file__).resolve().parents[2] / ".venv-gpkg" / "bin" / "geopackage-validator"
    command = (os.environ.get("GEOPACKAGE_VALIDATOR") or shutil.which("geopackage-validator")
               or (str(installed) if installed.exists() else None))
    if not command:
        pytest.skip("PDOK's geopackage-validator is not installed (set GEOPACKAGE_VALIDATOR)")
    result = subprocess.run([command, "validate", "--gpkg-path", str(path), "--validations", PDOK_VALIDATIONS],
                            capture_output=True, text=True, check=True, timeout=120)
    return json.loads(result.stdout)


@pytest.mark.parametrize(("crs", "srid"), [("EPSG:28992", 28992), ("EPSG:4258", 4258)])
def test_the_geopackage_comes_in_rd_new_and_etrs89_for_pdok(client: Client, register, tmp_path: Path, crs: str,
                                                           srid: int):
    path = tmp_path / "initiatives.gpkg"
    path.write_bytes(body(client.get(f"/opendata/initiatives.gpkg?crs={crs}&municipality=GM0344")))
    info = subprocess.run(["ogrinfo", "-al", str(path)], capture_output=True, text=True, check=True).stdout
    assert f'ID["EPSG",{srid}]' in info and "Feature Count: 1" in info
    x, y = map(float, re.search(r"POINT \(([-\d.]+) ([-\d.]+)\)", info).groups())
    expected = UTRECHT.transform(srid, clone=True)
    assert abs(x - expected.x) < 0.01 and abs(y - expected.y) < 0.01
    report = pdok_validation(path)
    assert (report["success"], report["results"]) == (True, [])


def test_pdoks_crs_rule_refuses_the_wgs84_geopackage_and_a_bad_crs_is_named(client: Client, register,
                                                                            tmp_path: Path):
    response = client.get("/opendata/initiatives.gpkg?crs=EPSG:3857")
    assert (response.status_code, response.content.decode()) == (
        400, "crs: gebruik een van EPSG:4326, EPSG:28992, EPSG:4258.\n")
    path = tmp_path / "initiatives.gpkg"
    path.write_bytes(body(client.get("/opendata/initiatives.gpkg")))
    report = pdok_validation(path)
    assert report["success"] is False and [result["validation_code"] for result in report["results"]] == ["RQ12"]


def test_the_json_ld_holds_one_organization_per_published_initiative(snapshot: Path):
    # The file names the schema.org context by its address; offline, the same vocabulary is given here.
    document = json.loads((snapshot / "initiatives.jsonld").read_text())
    assert document["@context"] == "https://schema.org"
    document["@context"] = {"@vocab": "https://schema.org/"}
    graph = Graph().parse(data=json.dumps(document), format="json-ld")

    organisations = set(graph.subjects(RDF.type, URIRef("https://schema.org/Organization")))
    assert organisations == {URIRef("http://127.0.0.1:8000/initiatieven/buurtkamer-de-linde"),
                             URIRef("http://127.0.0.1:8000/initiatieven/energiecooperatie-utrecht")}


def test_the_manifest_and_checksums_describe_every_file(snapshot: Path):
    import hashlib

    manifest = json.loads((snapshot / "manifest.json").read_text())
    sums = dict(reversed(line.split("  ")) for line in (snapshot / "SHA256SUMS").read_text().splitlines())

    assert manifest["date"] == "2026-11-22" and manifest["initiatives"] == 2
    assert [entry["name"] for entry in manifest["files"]] == [
        "initiatives.csv", "partnerships.csv", "initiatives.geojson", "initiatives.gpkg", "initiatives.jsonld",
        "initiatives.xlsx", "monitor-figures.csv", "monitor-survival.csv", "monitor-stop-reasons.csv",
        "monitor-coverage.csv", "monitor-volunteers.csv", "monitor-income.csv", "datapackage.json"]
    for entry in manifest["files"]:
        content = (snapshot / entry["name"]).read_bytes()
        assert entry["bytes"] == len(content)
        assert entry["sha256"] == sums[entry["name"]] == hashlib.sha256(content).hexdigest()


def test_an_interrupted_export_leaves_the_earlier_snapshot_intact(snapshot: Path, tmp_path: Path):
    before = {path.name: path.read_bytes() for path in snapshot.iterdir()}
    make("Nieuw", UTRECHT)

    with pytest.raises(RuntimeError, match=r"stopped after initiatives\.geojson"):
        export_snapshot(tmp_path, DAY, fail_after="initiatives.geojson")
    with pytest.raises(RuntimeError):
        export_snapshot(tmp_path, DAY + datetime.timedelta(days=1), fail_after="initiatives.csv")

    assert {path.name: path.read_bytes() for path in snapshot.iterdir()} == before
    assert sorted(path.name for path in tmp_path.iterdir()) == ["2026-11-22"]  # no half snapshot, no leftovers
    export_snapshot(tmp_path, DAY + datetime.timedelta(days=1))
    assert sorted(path.name for path in tmp_path.iterdir()) == ["2026-11-22", "2026-11-23"]


def test_no_personal_contact_data_in_any_format(client: Client, register, settings, tmp_path):
    leiden, _utrecht = register
    before = type(leiden).objects.get(pk=leiden.pk)
    leiden.email, leiden.phone, leiden.source = "jan.jansen@example.org", "06 12345678", "Aangemeld door Jan Jansen"
    actions.save_edit(leiden, before, acting_user=None)
    link = Partnership.objects.get(initiative=leiden)
    link.note = "Contactpersoon: Piet Pietersen"
    actions.save_partnership(link, Partnership.objects.get(pk=link.pk), acting_user=None)
    partnership(leiden, Partner.objects.create(name="Welzijn Leiden",
                                               kind=PartnerKind.objects.get(code="welzijnsorganisatie")), "begeleiding")
    folder = export_snapshot(tmp_path, DAY)
    exported = b"".join(path.read_bytes() for path in folder.iterdir())
    exported += b"".join(body(client.get(f"/opendata/{name}")) for name in
                         ["initiatives.csv", "partnerships.csv", "initiatives.geojson", "initiatives.jsonld"])

    assert b"Welzijn Leiden" in exported  # the export did include the records
    for personal in ["jan.jansen@example.org", "06 12345678", "Jan Jansen", "Piet Pietersen", "@example.org"]:
        assert personal.encode() not in exported, personal


def test_the_catalogue_is_dcat_ap_nl_valid_in_json_ld_and_turtle(client: Client, snapshot: Path):
    shapes = Graph()
    for name in ["dcat-ap-SHACL.ttl", "dcat-ap-nl-SHACL.ttl", "dcat-ap-nl-SHACL-klassebereik.ttl",
                 "dcat-ap-nl-SHACL-klassebereik-codelijsten.ttl"]:
        shapes.parse(SHAPES / name)
    manifest = json.loads((snapshot / "manifest.json").read_text())
    sizes = {entry["name"]: entry["bytes"] for entry in manifest["files"]}

    for path, media_type, rdf_format in [("/opendata/catalog.ttl", "text/turtle; charset=utf-8", "turtle"),
                                         ("/opendata/catalog.jsonld", "application/ld+json", "json-ld")]:
        response = client.get(path)
        assert response["Content-Type"] == media_type
        graph = Graph().parse(data=response.content, format=rdf_format)
        conforms, _report, text = shacl_validate(graph, shacl_graph=shapes, inference="none")
        assert conforms, text
        distributions = list(graph.objects(None, DCAT.distribution))
        assert len(distributions) == 14  # the files (six of them the monitor's tables) and the OGC API
        ogc = URIRef("http://testserver/opendata#ogc-api-features")
        assert str(graph.value(ogc, DCAT.accessURL)) == "http://testserver/ogc/v1"
        assert URIRef("http://www.opengis.net/doc/IS/ogcapi-features-1/1.0") in set(
            graph.objects(ogc, DCTERMS.conformsTo))
        csv_distribution = URIRef("http://testserver/opendata#initiatives.csv")
        assert graph.value(csv_distribution, DCAT.byteSize).toPython() == sizes["initiatives.csv"]
        assert str(graph.value(csv_distribution, DCAT.downloadURL)) == (
            "http://testserver/opendata/snapshots/2026-11-22/initiatives.csv")


def test_snapshots_are_served_and_listed(client: Client, snapshot: Path):
    listing = client.get("/opendata/snapshots").json()
    csv_file = client.get("/opendata/snapshots/2026-11-22/initiatives.csv")
    page = client.get("/opendata").content.decode()

    assert [entry["date"] for entry in listing["snapshots"]] == ["2026-11-22"]
    assert b"".join(csv_file.streaming_content) == (snapshot / "initiatives.csv").read_bytes()
    for bad in ["/opendata/snapshots/2026-11-23/initiatives.csv", "/opendata/snapshots/..%2F..%2Fetc/passwd",
                "/opendata/snapshots/2026-11-22/other.txt"]:
        assert client.get(bad).status_code == 404, bad
    assert listing["snapshots"][0]["files"][0]["sha256"] in page
    assert "<code>ontmoetingsplek</code> Ontmoetingsplek" in page  # the data dictionary lists the codes


def test_text_files_of_a_snapshot_go_compressed_to_clients_that_accept_gzip(client: Client, snapshot: Path):
    import gzip

    for name in ["initiatives.csv", "partnerships.csv", "initiatives.geojson", "initiatives.jsonld",
                 "datapackage.json"]:
        zipped = client.get(f"/opendata/snapshots/2026-11-22/{name}", HTTP_ACCEPT_ENCODING="gzip, br")
        plain = client.get(f"/opendata/snapshots/2026-11-22/{name}")

        assert zipped["Content-Encoding"] == "gzip", name
        assert zipped["Content-Disposition"] == plain["Content-Disposition"] == f'attachment; filename="{name}"'
        assert zipped["Content-Type"] == plain["Content-Type"]
        assert "Content-Encoding" not in plain
        assert zipped["Vary"] == plain["Vary"] == "Accept-Encoding, Accept-Language"
        assert gzip.decompress(b"".join(zipped.streaming_content)) == (snapshot / name).read_bytes()
    geopackage = client.get("/opendata/snapshots/2026-11-22/initiatives.gpkg", HTTP_ACCEPT_ENCODING="gzip")
    assert "Content-Encoding" not in geopackage  # a database file: sent as it is


def test_export_opendata_refuses_a_bad_date(db, tmp_path):
    with pytest.raises(CommandError, match="'2026-13-01' is not a date"):
        call_command("export_opendata", "--date", "2026-13-01", "--root", str(tmp_path))


def test_a_selections_file_is_named_by_its_filters_values(client: Client, register):
    def name(address: str) -> str:
        return client.get(address)["Content-Disposition"].removeprefix('attachment; filename="').removesuffix('"')

    assert name("/opendata/initiatives.csv?q=coöperatie&service=winkel&service=ontmoetingsplek") == (
        "initiatives-cooperatie-winkel-ontmoetingsplek.csv")
    assert name("/opendata/partnerships.csv?bbox=4.4,52.1,4.6,52.2") == "partnerships-4.4-52.1-4.6-52.2.csv"
    # Around a place by its name, as the list says it; a point without one by its numbers.
    assert name("/opendata/initiatives.csv?service=winkel&near=4.70417,52.66917&radius=25000&nearName=Bergen") == (
        "initiatives-winkel-Bergen.csv")
    assert name("/opendata/initiatives.csv?near=4.7,52.6") == "initiatives-4.7-52.6.csv"
    # Cut where a name grows long, and nothing but the name of the file when no value is a word.
    assert name(f"/opendata/initiatives.geojson?q={'dorpshuis ' * 20}") == (
        "initiatives-" + "-".join(["dorpshuis"] * 6) + ".geojson")
    assert name("/opendata/initiatives.csv?q=%22%3F%22") == "initiatives.csv"
    # Only what chooses the selection: not a newsletter's tracking.
    assert name("/opendata/initiatives.csv?utm_source=nieuwsbrief&service=winkel") == "initiatives-winkel.csv"
