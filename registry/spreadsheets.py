"""CSV files for people with a spreadsheet: the form of the import template, the import report and the
verification links alike.

Semicolon-separated UTF-8 with a byte order mark: Excel with Dutch settings (where the comma is the
decimal separator, so the list separator is the semicolon) opens it straight into columns, and the
BOM makes it read the file as UTF-8, so that “coöperatie” stays intact. Lines end in CRLF (RFC 4180).
"""

from __future__ import annotations

import csv
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from _typeshed import SupportsWrite

BOM = "\ufeff"
DELIMITER = ";"
CONTENT_TYPE = "text/csv; charset=utf-8"


def writer(out: SupportsWrite[str]) -> Any:
    """A CSV writer in this form on `out`, which gets the byte order mark first."""
    out.write(BOM)
    return csv.writer(out, delimiter=DELIMITER, lineterminator="\r\n")
