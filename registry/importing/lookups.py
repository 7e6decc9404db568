"""What an import reads from the database, each once for the whole file rather than once a row:
the postcode table, the municipality of every point (set-based, by the very rule a single save
uses), the existing records to match rows to, and records with names like those of new rows."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from django.contrib.gis.db.models import PointField
from django.db import connection
from django.db.models import F, FloatField, Func
from django.db.models.expressions import RawSQL

from geo.models import Municipality, Postcode
from registry.models import Initiative

Point2 = tuple[float, float]  # (longitude, latitude)
CHUNK = 5000


class _X(Func):
    function, output_field = "ST_X", FloatField()


class _Y(Func):
    function, output_field = "ST_Y", FloatField()


def postcode_points() -> dict[str, Point2]:
    """PC4 -> the centre of its area, the point Postcode.objects.locate gives (the whole table: about 4,000 rows)."""
    rows = Postcode.objects.annotate(x=_X(F("location")), y=_Y(F("location"))).values_list("pc4", "x", "y")
    return {pc4: (x, y) for pc4, x, y in rows}


def areas_for_points(points: Iterable[Point2]) -> dict[Point2, tuple[int, int] | None]:
    """Municipality and province of each point, or None outside the Netherlands: one statement for
    all points, with the expression Municipality.objects.id_for_point builds for a single one."""
    unique = list(dict.fromkeys(points))
    if not unique:
        return {}
    rule = Municipality.objects.id_for_point(RawSQL("point.geom", [], output_field=PointField(srid=4326)))
    query = Municipality.objects.all().query
    compiler = query.get_compiler(connection=connection)
    rule_sql, rule_params = compiler.compile(rule.resolve_expression(query))
    provinces = dict(Municipality.objects.values_list("pk", "province_id"))
    found: dict[Point2, tuple[int, int] | None] = {}
    with connection.cursor() as cursor:
        for start in range(0, len(unique), 20 * CHUNK):
            chunk = unique[start:start + 20 * CHUNK]
            cursor.execute(
                f"""
                SELECT point.n, ({rule_sql})
                  FROM (SELECT n, ST_SetSRID(ST_MakePoint(x, y), 4326) AS geom
                          FROM unnest(%s::float8[], %s::float8[]) WITH ORDINALITY AS t(x, y, n)) AS point
                """,
                [*rule_params, [p[0] for p in chunk], [p[1] for p in chunk]],
            )
            for number, municipality_id in cursor.fetchall():
                point = chunk[number - 1]
                found[point] = None if municipality_id is None else (municipality_id, provinces[municipality_id])
    return found


def name_key(name: str) -> str:
    """A name as rows and records are matched on: case and runs of spaces do not count."""
    return " ".join(name.casefold().split())


def point_key(lon: float, lat: float) -> tuple[str, float, float]:
    """A point as records without a postcode are matched on: the same place to about a metre."""
    return ("point", round(lon, 5), round(lat, 5))


@dataclass
class RecordIndex:
    """The existing records a row may be matched to."""

    by_external_id: dict[str, int] = field(default_factory=dict)  # of this source
    by_address: dict[tuple[str, Any], list[int]] = field(default_factory=lambda: defaultdict(list))
    with_external_id: set[int] = field(default_factory=set)  # records that carry an id of this source

    @classmethod
    def load(cls, source: str) -> RecordIndex:
        index = cls()
        rows = (Initiative.objects.order_by("pk")
                .annotate(x=_X(F("location")), y=_Y(F("location")))
                .values_list("pk", "name", "postcode", "source", "external_id", "x", "y"))
        for pk, name, postcode, record_source, external_id, x, y in rows.iterator(chunk_size=CHUNK):
            if external_id and record_source == source:
                index.by_external_id[external_id] = pk
                index.with_external_id.add(pk)
            key = name_key(name)
            if postcode:
                index.by_address[(key, ("postcode", postcode))].append(pk)
            if x is not None:
                index.by_address[(key, point_key(x, y))].append(pk)
        return index

    def find(self, name: str, address: Any, *, without_external_id: bool = False) -> list[int]:
        found = self.by_address.get((name, address), []) if address is not None else []
        if without_external_id:
            found = [pk for pk in found if pk not in self.with_external_id]
        return found


def records_with_links(ids: Iterable[int]) -> dict[int, tuple[Initiative, dict[str, set[int]]]]:
    """The records to update, each with the ids of its services and funding sources."""
    ids = sorted(set(ids))
    found: dict[int, tuple[Initiative, dict[str, set[int]]]] = {}
    services_through = Initiative.services.through
    funding_through = Initiative.funding_sources.through
    for start in range(0, len(ids), CHUNK):
        chunk = ids[start:start + CHUNK]
        for record in Initiative.objects.filter(pk__in=chunk):
            found[record.pk] = (record, {"services": set(), "funding_sources": set()})
        for initiative_id, service_id in services_through.objects.filter(initiative_id__in=chunk).values_list(
                "initiative_id", "service_id"):
            found[initiative_id][1]["services"].add(service_id)
        for initiative_id, source_id in funding_through.objects.filter(initiative_id__in=chunk).values_list(
                "initiative_id", "fundingsource_id"):
            found[initiative_id][1]["funding_sources"].add(source_id)
    return found


