"""Importing lists of initiatives (CSV, XLSX, GeoJSON) in the admin and with
`manage.py import_initiatives`: see docs/import.md for the template and the rules.

    report = importing.check(content, ImportOptions(source="LSA 2026", file_name="lijst.csv"), acting_user=user)
    report = importing.commit(content, options, acting_user=user)   # all or nothing
"""

from registry.importing.columns import COLUMNS, MappingError, parse_mapping
from registry.importing.core import MAX_UPLOAD_BYTES, ImportOptions, check, commit
from registry.importing.report import CREATED, ERROR, OUTCOMES, UNCHANGED, UPDATED, Message, Report, RowResult
from registry.importing.template import TEMPLATE_FILE_NAME, template_csv

__all__ = ["COLUMNS", "CREATED", "ERROR", "MAX_UPLOAD_BYTES", "OUTCOMES", "TEMPLATE_FILE_NAME", "UNCHANGED",
           "UPDATED", "ImportOptions", "MappingError", "Message", "Report", "RowResult", "check", "commit",
           "parse_mapping", "template_csv"]
