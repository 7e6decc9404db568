"""The open-data formats, written as streams of text chunks (memory independent of the number of
records) or, for GeoPackage, as a file made by GDAL."""

from __future__ import annotations

import csv
import io
import json
import subprocess
import tempfile
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db.models import QuerySet
from django.utils.translation import override

from registry import documents
from registry.columns import INITIATIVE_COLUMNS, LIST_SEPARATOR, PARTNERSHIP_COLUMNS, Column
from registry.models import Initiative, Service
from registry.monitor import TABLE_COLUMNS, Monitor, Table, national_tables
from registry.schema_org import organisation

ROWS_PER_CHUNK = 500


@dataclass(frozen=True)
class Format:
    name: str  # file name in a snapshot and on /opendata
    media_type: str
    title: str


def csv_header(columns: Sequence[Column]) -> str:
    """The header line, as RFC 4180 CSV (the lines themselves are prepared in registry.documents)."""
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\r\n").writerow([column.name for column in columns])
    return buffer.getvalue()


def chunked(parts: Iterable[str], separator: str = "") -> Iterator[str]:
    """Prepared parts joined by `separator`, a few hundred to a chunk (a download streams them)."""
    chunk: list[str] = []
    lead = ""
    for part in parts:
        chunk.append(part)
        if len(chunk) == ROWS_PER_CHUNK:
            yield lead + separator.join(chunk)
            lead, chunk = separator, []
    if chunk:
        yield lead + separator.join(chunk)


def initiatives_csv(initiatives: QuerySet[Initiative]) -> Iterator[str]:
    """RFC 4180 CSV (CRLF line ends, quotes where needed): the prepared line of each initiative."""
    yield csv_header(INITIATIVE_COLUMNS)
    yield from chunked(documents.parts(initiatives, "csv_row"))


def partnerships_csv(initiatives: QuerySet[Initiative]) -> Iterator[str]:
    yield csv_header(PARTNERSHIP_COLUMNS)
    yield from chunked(documents.parts(initiatives, "partnership_rows"))


def geojson_chunks(initiatives: QuerySet[Initiative]) -> Iterator[str]:
    """An RFC 7946 FeatureCollection, one prepared feature per line."""
    yield '{"type":"FeatureCollection","features":[\n'
    yield from chunked(documents.parts(initiatives, "export_feature"), ",\n")
    yield "\n]}\n"


def features(initiatives: QuerySet[Initiative], *, lists: bool = True) -> Iterator[dict[str, Any]]:
    """The prepared features as objects; with lists=False, code lists joined as in the CSV (for a
    GeoPackage, which has no lists)."""
    listed = [column.name for column in INITIATIVE_COLUMNS if column.is_list]
    for text in documents.parts(initiatives, "export_feature"):
        feature = json.loads(text)
        if not lists:
            for name in listed:
                feature["properties"][name] = LIST_SEPARATOR.join(feature["properties"][name])
        yield feature


def jsonld_chunks(initiatives: QuerySet[Initiative], site_url: str) -> Iterator[str]:
    """schema.org JSON-LD: one Organization per initiative in a @graph (labels in Dutch)."""
    with override("nl"):
        services = {service.code: service.label for service in Service.objects.all()}
    yield '{"@context":"https://schema.org","@graph":[\n'
    separator = ""
    for feature in features(initiatives):
        values = feature["properties"]
        longitude, latitude = feature["geometry"]["coordinates"]
        document = organisation(
            url=f"{site_url}/initiatieven/{values['slug']}", identify=True,
            services=[services.get(code, code) for code in values["services"]],
            **{key: values[key] or "" for key in ("name", "short_description", "description", "street",
                                                  "house_number", "postcode", "place", "website")},
            latitude=latitude, longitude=longitude, founded_year=values["founded_year"])
        yield separator + json.dumps(document, ensure_ascii=False, separators=(",", ":"))
        separator = ",\n"
    yield "\n]}\n"


def text_streams(initiatives: QuerySet[Initiative], site_url: str) -> dict[str, Callable[[], Iterator[str]]]:
    """The formats written as text, by file name: a download streams them, a snapshot writes them."""
    return {
        "initiatives.csv": lambda: initiatives_csv(initiatives),
        "partnerships.csv": lambda: partnerships_csv(initiatives),
        "initiatives.geojson": lambda: geojson_chunks(initiatives),
        "initiatives.jsonld": lambda: jsonld_chunks(initiatives, site_url),
    }


class ExportError(RuntimeError):
    pass


# The CRSs a GeoPackage is written in: WGS 84 (the stored one), and for PDOK's GeoPackage rules
# (which allow RD New and ETRS89, not WGS 84) RD New and ETRS89, transformed by GDAL.
GEOPACKAGE_SRIDS = {"EPSG:4326": 4326, "EPSG:28992": 28992, "EPSG:4258": 4258}


def write_geopackage(initiatives: QuerySet[Initiative], target: Path, srid: int = 4326) -> None:
    """One layer `initiatives` (points, EPSG:4326 or `srid`) with every column, written by GDAL's
    ogr2ogr from the GeoJSON export (GDAL parses a large GeoJSON file as a stream)."""
    with tempfile.TemporaryDirectory(dir=target.parent) as folder:
        source = Path(folder) / "initiatives.geojson"
        with source.open("w", encoding="utf-8") as stream:
            stream.write('{"type":"FeatureCollection","features":[\n')
            stream.writelines(
                ("" if number == 0 else ",\n") + json.dumps(feature, ensure_ascii=False, separators=(",", ":"))
                for number, feature in enumerate(features(initiatives, lists=False)))
            stream.write("\n]}\n")
        command = [settings.OGR2OGR, "-f", "GPKG", str(target), str(source), "-nln", "initiatives",
                   "-nlt", "POINT", "-overwrite", "-s_srs", "EPSG:4326", "-t_srs", f"EPSG:{srid}"]
        result = subprocess.run(command, capture_output=True, text=True, check=False)
        if result.returncode != 0:
            raise ExportError(f"ogr2ogr could not write {target.name}: {result.stderr.strip()}")


# -- the annual monitor's tables ------------------------------------------------------------------------


def monitor_file(table: str) -> str:
    """The file of a monitor table in a snapshot and on /opendata: the country's, every year with figures."""
    return f"monitor-{table}.csv"


def table_csv(table: Table) -> str:
    """A monitor table as RFC 4180 CSV (UTF-8, CRLF), a withheld or unknown figure as an empty field."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(table.columns)
    writer.writerows(["" if value is None else value for value in row] for row in table.rows)
    return buffer.getvalue()


def monitor_streams(monitors: Callable[[], Sequence[Monitor]]) -> dict[str, Callable[[], Iterator[str]]]:
    """The national monitor's tables, one file each, the years one after the other. `monitors` is
    called once, when the first file is written (computing a monitor costs a few queries)."""
    made: dict[str, Table] = {}

    def writer(name: str) -> Callable[[], Iterator[str]]:
        def stream() -> Iterator[str]:
            if not made:
                made.update(national_tables(monitors()))
            yield table_csv(made[name])
        return stream

    return {monitor_file(name): writer(name) for name in TABLE_COLUMNS}
