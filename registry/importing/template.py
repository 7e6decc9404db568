"""The template file offered in the admin: every column of the template with two example rows, in the
form a spreadsheet opens (registry.spreadsheets: semicolons, UTF-8 with a byte order mark). The import
reads it back as it is, and equally a comma- or tab-separated file.
"""

from __future__ import annotations

import io

from registry import spreadsheets
from registry.importing.columns import COLUMNS

TEMPLATE_FILE_NAME = "initiatieven-sjabloon.csv"


def template_csv() -> bytes:
    stream = io.StringIO()
    writer = spreadsheets.writer(stream)
    writer.writerow([column.name for column in COLUMNS])
    for example in range(2):
        writer.writerow([column.example[example] for column in COLUMNS])
    return stream.getvalue().encode("utf-8")
