"""Reading an import file into a table of text cells: CSV (UTF-8 with or without BOM, or
Windows-1252; comma, semicolon or tab), XLSX (the first sheet) and GeoJSON (a FeatureCollection
of Point features; the properties are the columns, the geometry the location).

Everything that makes a file unreadable as a whole raises FileProblem with a message for the
person who uploaded it; what concerns one row only is kept on that row.
"""

from __future__ import annotations

import codecs
import csv
import datetime
import io
import json
import math
import re
import zipfile
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import PurePath
from typing import Any

from django.utils.translation import gettext as _

FORMATS = ("csv", "xlsx", "geojson")
# The line number a person finds a row by: a line of the text file, a row of the spreadsheet, the
# position of a feature in the collection (from 1).
LINE_LABELS = {"csv": "line", "xlsx": "row", "geojson": "feature"}
DELIMITERS = {",": "comma", ";": "semicolon", "\t": "tab"}

_EXTENSIONS = {".csv": "csv", ".txt": "csv", ".tsv": "csv", ".xlsx": "xlsx", ".xlsm": "xlsx",
               ".geojson": "geojson", ".json": "geojson"}
_ZIP_SIGNATURE = b"PK\x03\x04"
# Control characters never found in a text file (tab, line feed, form feed and carriage return are).
_NOT_TEXT = re.compile(r"[\x00-\x08\x0b\x0e-\x1f\x7f]")


class FileProblem(Exception):
    """The file cannot be read as a whole; the message says why and what to do."""


@dataclass(slots=True)
class SourceRow:
    line: int
    cells: list[str]
    point: tuple[float, float] | None = None  # (lon, lat) of a GeoJSON feature's geometry
    problem: str = ""  # the row cannot be read as a whole: its only error
    problem_column: str = ""


@dataclass
class Table:
    format: str
    headers: list[str]
    rows: list[SourceRow]
    notices: list[str] = field(default_factory=list)
    has_geometry: bool = False

    @property
    def line_label(self) -> str:
        return LINE_LABELS[self.format]


def detect_format(content: bytes, file_name: str, requested: str = "auto") -> str:
    if requested and requested != "auto":
        if requested not in FORMATS:
            raise FileProblem(_("Unknown format “%(format)s”: use csv, xlsx or geojson.") % {"format": requested})
        return requested
    suffix = PurePath(file_name or "").suffix.lower()
    if suffix in (".xls", ".ods"):
        raise FileProblem(_("%(suffix)s files cannot be imported: save the sheet as .xlsx or as CSV (UTF-8).")
                          % {"suffix": suffix})
    if suffix in _EXTENSIONS:
        return _EXTENSIONS[suffix]
    if content.startswith(_ZIP_SIGNATURE):
        return "xlsx"
    if content.lstrip(b"\xef\xbb\xbf \t\r\n").startswith(b"{"):
        return "geojson"
    return "csv"


def read(content: bytes, file_name: str = "", format: str = "auto", encoding: str = "auto") -> Table:
    """The file as a table; raises FileProblem when it cannot be read at all."""
    if not content.strip(b" \t\r\n\xef\xbb\xbf"):
        raise FileProblem(_("The file is empty."))
    kind = detect_format(content, file_name, format)
    if kind == "xlsx":
        table = read_xlsx(content)
    elif kind == "geojson":
        table = read_geojson(content)
    else:
        table = read_csv(content, encoding)
    if not table.rows:
        if kind == "geojson":
            raise FileProblem(_("The FeatureCollection has no features."))
        raise FileProblem(_("The file has a header row but no rows with data."))
    return table


# -- CSV ----------------------------------------------------------------------------------------


def decode(content: bytes, encoding: str = "auto") -> tuple[str, str]:
    """The text of a file and a notice on how it was read (empty when it was plain UTF-8)."""
    if content.startswith(_ZIP_SIGNATURE):
        raise FileProblem(_("This is not a text file but a zip archive (an XLSX workbook?): import it as XLSX, "
                            "or save the sheet as CSV."))
    if encoding and encoding != "auto":
        try:
            name = codecs.lookup(encoding).name
        except LookupError:
            raise FileProblem(_("Unknown encoding “%(encoding)s”.") % {"encoding": encoding}) from None
        try:
            text = content.decode("utf-8-sig" if name == "utf-8" else name)
        except UnicodeDecodeError as error:
            raise FileProblem(_("The file is not valid %(encoding)s: the byte 0x%(byte)02X at position %(position)d "
                                "cannot be read. Choose another encoding, or let the import detect it.")
                              % {"encoding": encoding, "byte": error.object[error.start],
                                 "position": error.start}) from None
        notice = _("Read as %(encoding)s, as asked.") % {"encoding": encoding}
    elif content.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        text, notice = content.decode("utf-16"), _("Read as UTF-16 (the file starts with its byte order mark).")
    elif b"\x00" in content:
        raise FileProblem(_("This is not a text file (it contains NUL bytes): import a CSV file (UTF-8 or "
                            "Windows-1252), an XLSX workbook or a GeoJSON file."))
    else:
        try:
            text, notice = content.decode("utf-8-sig"), ""
        except UnicodeDecodeError:
            try:
                text = content.decode("cp1252")
            except UnicodeDecodeError as error:
                raise FileProblem(_("The file is neither UTF-8 nor Windows-1252 text (the byte 0x%(byte)02X at "
                                    "position %(position)d fits neither): save it as CSV UTF-8.")
                                  % {"byte": error.object[error.start], "position": error.start}) from None
            notice = _("Read as Windows-1252: the file is not UTF-8.")
    text = text.removeprefix("\ufeff")
    bad = _NOT_TEXT.search(text)
    if bad:
        line = text.count("\n", 0, bad.start()) + 1
        raise FileProblem(_("This is not a text file (it contains the control character U+%(code)04X on line "
                            "%(line)d): import a CSV file, an XLSX workbook or a GeoJSON file.")
                          % {"code": ord(bad.group()), "line": line})
    return text, notice


def sniff_delimiter(text: str) -> str:
    """The separator that splits the header line into the most columns (a comma on a tie)."""
    first = next((line for line in text.splitlines() if line.strip()), "")
    counts = {delimiter: len(next(csv.reader([first], delimiter=delimiter), [])) for delimiter in DELIMITERS}
    return max(DELIMITERS, key=lambda delimiter: counts[delimiter])  # max() keeps the first of equals


def read_csv(content: bytes, encoding: str = "auto") -> Table:
    text, encoding_notice = decode(content, encoding)
    delimiter = sniff_delimiter(text)
    notices = [encoding_notice] if encoding_notice else []
    notices.append({",": _("Columns separated by commas."), ";": _("Columns separated by semicolons."),
                    "\t": _("Columns separated by tabs.")}[delimiter])
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)
    headers, rows = _header_and_rows(_csv_lines(reader), lambda cells, columns: _(
        "This line has %(count)d values but the header has %(columns)d columns: check the separator and the "
        "quotes.") % {"count": len(cells), "columns": columns})
    return Table("csv", headers, rows, notices)


def _csv_lines(reader: Any) -> Iterator[tuple[int, list[str]]]:
    while True:
        line = reader.line_num + 1
        try:
            cells = next(reader)
        except StopIteration:
            return
        except csv.Error as error:
            raise FileProblem(_("Line %(line)d cannot be read as CSV (%(error)s): check the quotes.")
                              % {"line": line, "error": error}) from None
        yield line, [cell.strip() for cell in cells]


def _header_and_rows(lines: Iterable[tuple[int, list[str]]], too_wide: Callable[[list[str], int], str],
                     ) -> tuple[list[str], list[SourceRow]]:
    """A table's header (its first line that holds anything) and its rows (each later line that holds
    anything), a row with values beyond the header's columns marked with the problem `too_wide` says.
    The same for every format that has lines of cells (CSV, XLSX)."""
    headers: list[str] | None = None
    rows: list[SourceRow] = []
    for number, cells in lines:
        if not any(cells):
            continue
        if headers is None:
            headers = cells
            continue
        row = SourceRow(number, cells)
        if len(cells) > len(headers) and any(cells[len(headers):]):
            row.problem = too_wide(cells, len(headers))
        rows.append(row)
    return headers or [], rows


# -- XLSX ---------------------------------------------------------------------------------------


def cell_text(value: Any) -> str:
    """A spreadsheet or JSON value as the text a CSV cell would hold."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        if math.isfinite(value) and value.is_integer():
            return str(int(value))
        return repr(value)
    if isinstance(value, datetime.datetime):
        return value.date().isoformat() if value.time() == datetime.time(0) else value.isoformat(sep=" ")
    if isinstance(value, datetime.date):
        return value.isoformat()
    if isinstance(value, list):
        return "|".join(cell_text(item) for item in value)
    if isinstance(value, dict):
        return json.dumps(value, ensure_ascii=False)
    return str(value).strip()


def read_xlsx(content: bytes) -> Table:
    import openpyxl
    from openpyxl.utils.exceptions import InvalidFileException

    try:
        workbook = openpyxl.load_workbook(io.BytesIO(content), read_only=True, data_only=True)
    except (zipfile.BadZipFile, InvalidFileException, KeyError, OSError, ValueError, TypeError) as error:
        raise FileProblem(_("The file is not a readable XLSX workbook (%(error)s): save it again from the "
                            "spreadsheet program as .xlsx, or as CSV.") % {"error": error or type(error).__name__}
                          ) from None
    try:
        if not workbook.worksheets:
            raise FileProblem(_("The workbook has no sheets."))
        sheet = workbook.worksheets[0]
        notices = []
        if len(workbook.worksheets) > 1:
            notices.append(_("Read the first sheet, “%(sheet)s”; the workbook's other sheets are ignored.")
                           % {"sheet": sheet.title})
        lines = ((number, [cell_text(value) for value in values])
                 for number, values in enumerate(sheet.iter_rows(min_row=1, values_only=True), start=1))
        headers, rows = _header_and_rows(lines, lambda cells, columns: _(
            "This row has values in %(count)d columns but the header names %(columns)d.") % {
            "count": max(i for i, cell in enumerate(cells) if cell) + 1, "columns": columns})
    except FileProblem:
        raise
    except Exception as error:  # a damaged workbook fails in many ways deep inside openpyxl
        raise FileProblem(_("The workbook cannot be read (%(error)s): save it again as .xlsx, or as CSV.")
                          % {"error": error}) from None
    finally:
        workbook.close()
    return Table("xlsx", headers, rows, notices)


# -- GeoJSON ------------------------------------------------------------------------------------


def read_geojson(content: bytes) -> Table:
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise FileProblem(_("A GeoJSON file is UTF-8 text; this file is not.")) from None
    try:
        data = json.loads(text)
    except json.JSONDecodeError as error:
        raise FileProblem(_("The file is not valid JSON: %(error)s (line %(line)d, column %(column)d).")
                          % {"error": error.msg, "line": error.lineno, "column": error.colno}) from None
    kind = data.get("type") if isinstance(data, dict) else type(data).__name__
    if kind != "FeatureCollection":
        raise FileProblem(_("A GeoJSON import is a FeatureCollection; this file is a “%(type)s”.") % {"type": kind})
    crs = data.get("crs")
    if crs is not None:
        properties = crs.get("properties") if isinstance(crs, dict) else None
        name = str(properties.get("name", "")) if isinstance(properties, dict) else str(crs)
        if not re.search(r"CRS84|4326", name):
            raise FileProblem(_("The coordinates are in %(crs)s; GeoJSON (RFC 7946) takes longitude and latitude "
                                "in WGS84 degrees. Export the file again in WGS84 (EPSG:4326).") % {"crs": name})
    features = data.get("features")
    if not isinstance(features, list):
        raise FileProblem(_("The FeatureCollection has no list of features."))

    headers: list[str] = []
    seen: set[str] = set()
    for feature in features:
        properties = feature.get("properties") if isinstance(feature, dict) else None
        if isinstance(properties, dict):
            for key in properties:
                if key not in seen:
                    seen.add(key)
                    headers.append(key)
    rows = []
    for number, feature in enumerate(features, start=1):
        row = SourceRow(number, [""] * len(headers))
        rows.append(row)
        if not isinstance(feature, dict) or feature.get("type") != "Feature":
            row.problem = _("This is not a GeoJSON Feature.")
            continue
        properties = feature.get("properties") or {}
        if not isinstance(properties, dict):
            row.problem = _("The properties of this feature are not an object.")
            continue
        row.cells = [cell_text(properties.get(key)) for key in headers]
        geometry = feature.get("geometry")
        if geometry is None:
            continue
        coordinates = geometry.get("coordinates") if isinstance(geometry, dict) else None
        if not isinstance(geometry, dict) or geometry.get("type") != "Point":
            kind = geometry.get("type") if isinstance(geometry, dict) else type(geometry).__name__
            row.problem = _("The geometry is a %(type)s; only Point geometries (or none, with a postcode) can be "
                            "imported.") % {"type": kind}
            row.problem_column = "geometry"
        elif (not isinstance(coordinates, list) or len(coordinates) < 2
              or not all(isinstance(c, int | float) and not isinstance(c, bool) and math.isfinite(c)
                         for c in coordinates[:2])):
            row.problem = _("The Point has no valid coordinates (expected [longitude, latitude]).")
            row.problem_column = "geometry"
        else:
            row.point = (float(coordinates[0]), float(coordinates[1]))
    return Table("geojson", headers, rows, [], has_geometry=True)
