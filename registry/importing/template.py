"""The template file offered in the admin: every column of the template with two example rows.

Semicolon-separated UTF-8 with a byte order mark: Excel with Dutch settings (where the comma is the
decimal separator, so the list separator is the semicolon) opens it straight into columns, and the
BOM makes it read the file as UTF-8, so that “coöperatie” stays intact. The import reads it back
as it is, and equally a comma- or tab-separated file.
"""

from __future__ import annotations

import csv
import io

from registry.importing.columns import COLUMNS

TEMPLATE_FILE_NAME = "initiatieven-sjabloon.csv"


def template_csv() -> bytes:
    stream = io.StringIO()
    writer = csv.writer(stream, delimiter=";", lineterminator="\r\n")
    writer.writerow([column.name for column in COLUMNS])
    for example in range(2):
        writer.writerow([column.example[example] for column in COLUMNS])
    return ("\ufeff" + stream.getvalue()).encode("utf-8")
