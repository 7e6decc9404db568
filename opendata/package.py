"""The Frictionless Data Package that describes the CSV files: a Table Schema for each, the foreign
key between the initiatives and their partnerships, the national monitor's tables (registry.monitor:
their columns described once, in registry.monitor.COLUMNS), the licence and the source."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.conf import settings
from django.utils.translation import override

from registry.columns import INITIATIVE_COLUMNS, LIST_SEPARATOR, PARTNERSHIP_COLUMNS, Column
from registry.monitor import COLUMNS, TABLE_COLUMNS, TABLE_DESCRIPTIONS


def field_schema(column: Column) -> dict[str, Any]:
    with override("en"):
        schema: dict[str, Any] = {"name": column.name, "type": column.type, "description": str(column.description)}
    constraints: dict[str, Any] = {}
    if column.required:
        constraints["required"] = True
    if column.codes and not column.is_list:
        constraints["enum"] = [code for code, _label in column.codes()]
    if column.codes and column.is_list:
        codes = "|".join(code for code, _label in column.codes())
        constraints["pattern"] = f"(({codes})({LIST_SEPARATOR}({codes}))*)?"
    if constraints:
        schema["constraints"] = constraints
    if column.type == "datetime":
        schema["format"] = "%Y-%m-%dT%H:%M:%SZ"
    return schema


def table_schema(columns: Sequence[Column], **extra: Any) -> dict[str, Any]:
    # Optional columns may be empty; only the empty string means "no value".
    return {"fields": [field_schema(column) for column in columns], "missingValues": [""], **extra}


def monitor_field_schema(name: str) -> dict[str, Any]:
    column = COLUMNS[name]
    schema: dict[str, Any] = {"name": name, "type": column.type, "description": column.description}
    constraints: dict[str, Any] = {}
    if column.required:
        constraints["required"] = True
    if column.codes:
        constraints["enum"] = list(column.codes)
    if constraints:
        schema["constraints"] = constraints
    return schema


def monitor_resources(paths: dict[str, str]) -> list[dict[str, Any]]:
    """The national monitor's tables (`paths`: table name to where its CSV is), every year with figures."""
    return [{"name": f"monitor-{table}", "path": paths[table], "profile": "tabular-data-resource",
             "title": f"Annual monitor: {table}", "description": TABLE_DESCRIPTIONS[table][0],
             "format": "csv", "mediatype": "text/csv", "encoding": "utf-8",
             "schema": {"fields": [monitor_field_schema(name) for name in TABLE_COLUMNS[table]],
                        "missingValues": [""]}}
            for table in TABLE_COLUMNS if table in paths]


def data_package(paths: dict[str, str], site_url: str, created: str,
                 monitor: dict[str, str] | None = None) -> dict[str, Any]:
    """`paths`: where the CSVs are, relative to the descriptor (a snapshot) or absolute (live);
    `monitor`: where the national monitor's tables are, by table name (left out: not described)."""
    return {
        "profile": "tabular-data-package",
        "name": "bewonersinitiatieven",
        "title": "Register van bewonersinitiatieven en bewonersbedrijven",
        "description": ("All published residents' initiatives and resident enterprises in the Netherlands, with "
                        "their services, funding and partners (one row per initiative, and one per partnership), "
                        "and the national annual monitor's tables for every year with yearly figures "
                        "(aggregates only)."),
        "homepage": f"{site_url}/opendata",
        "created": created,
        "licenses": [{"name": settings.OPENDATA_LICENSE_NAME, "path": settings.OPENDATA_LICENSE_URL,
                      "title": settings.OPENDATA_LICENSE_TITLE}],
        "sources": [{"title": "Register van bewonersinitiatieven", "path": site_url}],
        "resources": [
            {"name": "initiatives", "path": paths["initiatives"], "profile": "tabular-data-resource",
             "format": "csv", "mediatype": "text/csv", "encoding": "utf-8",
             "schema": table_schema(INITIATIVE_COLUMNS, primaryKey=["id"])},
            {"name": "partnerships", "path": paths["partnerships"], "profile": "tabular-data-resource",
             "format": "csv", "mediatype": "text/csv", "encoding": "utf-8",
             "schema": table_schema(PARTNERSHIP_COLUMNS, foreignKeys=[
                 {"fields": ["initiative_id"], "reference": {"resource": "initiatives", "fields": ["id"]}}])},
            *monitor_resources(monitor or {}),
        ],
    }
