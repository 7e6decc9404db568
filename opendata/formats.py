"""The open-data formats, written as streams of text chunks (memory independent of the number of
records) or, for GeoPackage, as a file made by GDAL."""

from __future__ import annotations

import csv
import datetime
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

from opendata.columns import (
    INITIATIVE_COLUMNS,
    LIST_SEPARATOR,
    PARTNERSHIP_COLUMNS,
    Column,
    initiative_rows,
    partnership_rows,
)
from registry.models import Initiative, Service
from registry.schema_org import organisation

ROWS_PER_CHUNK = 500


@dataclass(frozen=True)
class Format:
    name: str  # file name in a snapshot and on /opendata
    media_type: str
    title: str


def plain(value: Any) -> Any:
    """A value as JSON and CSV carry it: dates and times in ISO 8601."""
    if isinstance(value, datetime.datetime):  # to the second, in UTC
        return value.astimezone(datetime.UTC).replace(microsecond=0, tzinfo=None).isoformat() + "Z"
    if isinstance(value, datetime.date):
        return value.isoformat()
    return value


def csv_chunks(header: Sequence[str], records: Iterable[Sequence[Any]]) -> Iterator[str]:
    """RFC 4180 CSV (CRLF line ends, quotes where needed), a few hundred rows per chunk."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(header)
    for number, record in enumerate(records, start=1):
        writer.writerow(["" if value is None else plain(value) for value in record])
        if number % ROWS_PER_CHUNK == 0:
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue()


def initiatives_csv(initiatives: QuerySet[Initiative]) -> Iterator[str]:
    return csv_chunks([c.name for c in INITIATIVE_COLUMNS], initiative_rows(initiatives))


def partnerships_csv(initiatives: QuerySet[Initiative]) -> Iterator[str]:
    return csv_chunks([c.name for c in PARTNERSHIP_COLUMNS], partnership_rows(initiatives))


def properties(record: Sequence[Any], columns: Sequence[Column] = INITIATIVE_COLUMNS, *,
               lists: bool = True) -> dict[str, Any]:
    """A record as JSON properties: code lists as arrays (or, with lists=False, joined as in the
    CSV, for a GeoPackage), dates as text."""
    result = {}
    for column, value in zip(columns, record, strict=True):
        if column.is_list:
            value = (value.split(LIST_SEPARATOR) if value else []) if lists else (value or "")
        result[column.name] = plain(value)
    return result


def features(initiatives: QuerySet[Initiative], *, lists: bool = True) -> Iterator[dict[str, Any]]:
    for record in initiative_rows(initiatives):
        values = properties(record, lists=lists)
        point = [values.pop("longitude"), values.pop("latitude")]
        yield {"type": "Feature", "id": values["id"], "geometry": {"type": "Point", "coordinates": point},
               "properties": values}


def geojson_chunks(initiatives: QuerySet[Initiative], *, lists: bool = True) -> Iterator[str]:
    """An RFC 7946 FeatureCollection, one feature per line."""
    yield '{"type":"FeatureCollection","features":[\n'
    separator = ""
    for feature in features(initiatives, lists=lists):
        yield separator + json.dumps(feature, ensure_ascii=False, separators=(",", ":"))
        separator = ",\n"
    yield "\n]}\n"


def jsonld_chunks(initiatives: QuerySet[Initiative], site_url: str) -> Iterator[str]:
    """schema.org JSON-LD: one Organization per initiative in a @graph (labels in Dutch)."""
    with override("nl"):
        services = {service.code: service.label for service in Service.objects.all()}
    yield '{"@context":"https://schema.org","@graph":[\n'
    separator = ""
    for record in initiative_rows(initiatives):
        values = properties(record)
        document = organisation(
            url=f"{site_url}/initiatieven/{values['slug']}", identify=True,
            services=[services.get(code, code) for code in values["services"]],
            **{key: values[key] or "" for key in ("name", "short_description", "description", "street",
                                                  "house_number", "postcode", "place", "website")},
            latitude=values["latitude"], longitude=values["longitude"], founded_year=values["founded_year"])
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


def write_geopackage(initiatives: QuerySet[Initiative], target: Path) -> None:
    """One layer `initiatives` (points, EPSG:4326) with every column, written by GDAL's ogr2ogr
    from the GeoJSON export (GDAL parses a large GeoJSON file as a stream)."""
    with tempfile.TemporaryDirectory(dir=target.parent) as folder:
        source = Path(folder) / "initiatives.geojson"
        with source.open("w", encoding="utf-8") as stream:
            stream.writelines(geojson_chunks(initiatives, lists=False))
        command = [settings.OGR2OGR, "-f", "GPKG", str(target), str(source), "-nln", "initiatives",
                   "-a_srs", "EPSG:4326", "-nlt", "POINT", "-overwrite"]
        result = subprocess.run(command, capture_output=True, text=True, check=False)
        if result.returncode != 0:
            raise ExportError(f"ogr2ogr could not write {target.name}: {result.stderr.strip()}")
