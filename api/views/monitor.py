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
from registry.monitor import TABLE_COLUMNS, UnknownArea, UnknownYear, monitor_for, tables


def camel(name: str) -> str:
    head, *rest = name.replace("-", "_").split("_")
    return head + "".join(part.capitalize() for part in rest)


class MonitorQuerySerializer(serializers.Serializer):
    year = serializers.IntegerField(min_value=1, max_value=9999)
    area = serializers.RegexField(r"^(?i:(PV|GM)[0-9]{2,4})$", required=False, allow_blank=True,
                                  error_messages={"invalid": "A province (PV27) or municipality (GM0363) code."})


COLUMN_FIELDS: dict[str, Any] = {
    "year": serializers.IntegerField(help_text="The monitor's year."),
    "area": serializers.CharField(help_text="NL, or the CBS code of the province or municipality."),
    "measure": serializers.ChoiceField(["running", "founded", "stopped"], help_text=(
        "running: at the end of the year; founded or stopped: in the year.")),
    "kind": serializers.CharField(allow_blank=True, help_text=(
        "A kind's code, empty for all kinds (`all` in volunteers).")),
    "stopReason": serializers.CharField(allow_blank=True, help_text="A stop reason's code, empty for every reason."),
    "value": serializers.IntegerField(),
    "previousYearValue": serializers.IntegerField(),
    "grouping": serializers.ChoiceField(["all", "kind", "funding-model", "province"]),
    "group": serializers.CharField(help_text="The group's code within its grouping (`all` for all initiatives)."),
    "years": serializers.IntegerField(help_text="Whole years since the founding year."),
    "atRisk": serializers.IntegerField(help_text="Initiatives known to have run at least this many years."),
    "stopped": serializers.IntegerField(),
    "censored": serializers.IntegerField(help_text="Still running (when seen) at this age."),
    "survival": serializers.FloatField(help_text="Kaplan–Meier estimate of the share still running."),
    "lower95": serializers.FloatField(allow_null=True, help_text="95% confidence interval (log-log), lower bound."),
    "upper95": serializers.FloatField(allow_null=True, help_text="95% confidence interval (log-log), upper bound."),
    "stopYear": serializers.IntegerField(),
    "initiatives": serializers.IntegerField(),
    "municipality": serializers.CharField(),
    "municipalityName": serializers.CharField(),
    "service": serializers.CharField(help_text="ontmoetingsplek, winkel or sociaal-loket."),
    "previousYearInitiatives": serializers.IntegerField(),
    "initiativesReporting": serializers.IntegerField(),
    "volunteers": serializers.IntegerField(allow_null=True, help_text=(
        "null when fewer than 5 initiatives recorded a number, or to protect such a group.")),
    "item": serializers.CharField(help_text=(
        "A funding source's code (income in euros), `total` (the income shown), or a measure: expenses, "
        "volunteers, paid_staff_fte, people_reached, work_places.")),
    "amount": serializers.FloatField(allow_null=True, help_text=(
        "The sum of the figures the initiatives agreed to publish; null when fewer than 5 contribute.")),
    "share": serializers.FloatField(allow_null=True, help_text="Share of the total income shown (income only)."),
    "previousYearAmount": serializers.FloatField(allow_null=True),
    "previousYearShare": serializers.FloatField(allow_null=True),
    "initiativesContributing": serializers.IntegerField(help_text="Initiatives whose figures are published."),
    "previousYearInitiativesContributing": serializers.IntegerField(),
}


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
