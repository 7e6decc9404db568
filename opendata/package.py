"""The Frictionless Data Package that describes the two CSV files: a Table Schema for each, the
foreign key between them, the licence and the source."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.conf import settings
from django.utils.translation import override

from registry.columns import INITIATIVE_COLUMNS, LIST_SEPARATOR, PARTNERSHIP_COLUMNS, Column


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


def data_package(paths: dict[str, str], site_url: str, created: str) -> dict[str, Any]:
    """`paths`: where the CSVs are, relative to the descriptor (a snapshot) or absolute (live)."""
    return {
        "profile": "tabular-data-package",
        "name": "bewonersinitiatieven",
        "title": "Register van bewonersinitiatieven en bewonersbedrijven",
        "description": ("All published residents' initiatives and resident enterprises in the Netherlands, with "
                        "their services, funding and partners (one row per initiative, and one per partnership)."),
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
        ],
    }
