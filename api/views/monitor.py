"""/api/v1/monitor?year=&area=: the annual monitor's tables (registry.monitor), the same rows as its
CSV files in the open data, with lowerCamelCase names."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.exceptions import NotFound
from rest_framework.request import Request
from rest_framework.response import Response

from api.caching import register_version
from api.views.common import LastModifiedMixin
from registry.monitor import COLUMNS, TABLE_COLUMNS, TableColumn, UnknownArea, UnknownYear, monitor_for, tables


def camel(name: str) -> str:
    head, *rest = name.replace("-", "_").split("_")
    return head + "".join(part.capitalize() for part in rest)


class MonitorQuerySerializer(serializers.Serializer):
    year = serializers.IntegerField(min_value=1, max_value=9999)
    area = serializers.RegexField(r"^(?i:(PV|GM)[0-9]{2,4})$", required=False, allow_blank=True,
                                  error_messages={"invalid": "A province (PV27) or municipality (GM0363) code."})


def column_field(column: TableColumn) -> serializers.Field:
    """The API's field of a monitor column, from its one description (registry.monitor.COLUMNS)."""
    if column.type == "integer":
        return serializers.IntegerField(allow_null=column.nullable, help_text=column.description)
    if column.type == "number":
        return serializers.FloatField(allow_null=column.nullable, help_text=column.description)
    if column.codes:
        return serializers.ChoiceField(list(column.codes), help_text=column.description)
    return serializers.CharField(allow_blank=column.blank, allow_null=column.nullable, help_text=column.description)


COLUMN_FIELDS: dict[str, Any] = {camel(name): column_field(column) for name, column in COLUMNS.items()}


def row_schema(table: str) -> Any:
    names = [camel(column) for column in TABLE_COLUMNS[table]]
    return inline_serializer(f"Monitor{camel('x_' + table)[1:]}Row",
                             {name: COLUMN_FIELDS[name] for name in names}, many=True)


MONITOR_SCHEMA = inline_serializer("Monitor", {
    "year": serializers.IntegerField(),
    "area": inline_serializer("MonitorArea", {
        "code": serializers.CharField(help_text="NL, or the CBS code."),
        "name": serializers.CharField(),
        "level": serializers.ChoiceField(["country", "province", "municipality"]),
    }),
    "registerVersion": serializers.CharField(help_text="The register's last change the figures were computed from."),
    **{camel(table): row_schema(table) for table in TABLE_COLUMNS},
})


class MonitorView(LastModifiedMixin):
    """The annual monitor of the published initiatives for a year, of the country or of a province or
    municipality: counts beside the year before, survival curves (Kaplan–Meier with 95% intervals and
    the number at risk) by kind, funding model and province, stop reasons per year, municipalities
    with and without a meeting point, shop or social counter, and volunteers (aggregates over at
    least 5 initiatives). A year without a monitor, or an unknown area, is a 404."""

    @extend_schema(parameters=[
        OpenApiParameter("year", int, required=True, description="The year, from the first founding year to now."),
        OpenApiParameter("area", str, required=False, description=(
            "A province (PV27) or municipality (GM0363) by CBS code; left out: the Netherlands.")),
    ], responses=MONITOR_SCHEMA)
    def get(self, request: Request) -> Any:
        query = MonitorQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        year, area = query.validated_data["year"], query.validated_data.get("area") or None
        try:
            monitor = monitor_for(year, area, register_version(request))
        except UnknownYear:
            raise NotFound(f"There is no monitor for {year}.") from None
        except UnknownArea:
            raise NotFound(f"There is no province or municipality with the code {area}.") from None
        document: dict[str, Any] = {
            "year": monitor.year,
            "area": {"code": monitor.area.code or "NL", "name": monitor.area.name, "level": monitor.area.level},
            "registerVersion": monitor.version,
        }
        for name, table in tables(monitor).items():
            keys = [camel(column) for column in table.columns]
            document[camel(name)] = [dict(zip(keys, row, strict=True)) for row in table.rows]
        return Response(document)
