"""The open-data formats, written as streams of text chunks (memory independent of the number of
records) or as files: a GeoPackage made by GDAL, a workbook by openpyxl."""

from __future__ import annotations

import csv
import datetime
import io
import itertools
import json
import subprocess
import tempfile
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db.models import QuerySet
from django.utils.translation import gettext as _
from django.utils.translation import override

from registry import documents
from registry.columns import INITIATIVE_COLUMNS, LIST_SEPARATOR, PARTNERSHIP_COLUMNS, Column
from registry.models import Initiative, Service
from registry.monitor import TABLE_COLUMNS, Monitor, Table, national_tables
from registry.schema_org import organisation

ROWS_PER_CHUNK = 500


@dataclass(frozen=True)
class Format:
    name: str  # file name in a snapshot and on /opendata
    media_type: str
    title: str


def csv_header(columns: Sequence[Column]) -> str:
    """The header line, as RFC 4180 CSV (the lines themselves are prepared in registry.documents)."""
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\r\n").writerow([column.name for column in columns])
    return buffer.getvalue()


def chunked(parts: Iterable[str], separator: str = "") -> Iterator[str]:
    """Prepared parts joined by `separator`, a few hundred to a chunk (a download streams them)."""
    chunk: list[str] = []
    lead = ""
    for part in parts:
        chunk.append(part)
        if len(chunk) == ROWS_PER_CHUNK:
            yield lead + separator.join(chunk)
            lead, chunk = separator, []
    if chunk:
        yield lead + separator.join(chunk)


def initiatives_csv(initiatives: QuerySet[Initiative]) -> Iterator[str]:
    """RFC 4180 CSV (CRLF line ends, quotes where needed): the prepared line of each initiative."""
    yield csv_header(INITIATIVE_COLUMNS)
    yield from chunked(documents.parts(initiatives, "csv_row"))


def partnerships_csv(initiatives: QuerySet[Initiative]) -> Iterator[str]:
    yield csv_header(PARTNERSHIP_COLUMNS)
    yield from chunked(documents.parts(initiatives, "partnership_rows"))


def geojson_chunks(initiatives: QuerySet[Initiative]) -> Iterator[str]:
    """An RFC 7946 FeatureCollection, one prepared feature per line."""
    yield '{"type":"FeatureCollection","features":[\n'
    yield from chunked(documents.parts(initiatives, "export_feature"), ",\n")
    yield "\n]}\n"


def features(initiatives: QuerySet[Initiative], *, lists: bool = True) -> Iterator[dict[str, Any]]:
    """The prepared features as objects; with lists=False, code lists joined as in the CSV (for a
    GeoPackage, which has no lists)."""
    listed = [column.name for column in INITIATIVE_COLUMNS if column.is_list]
    for text in documents.parts(initiatives, "export_feature"):
        feature = json.loads(text)
        if not lists:
            for name in listed:
                feature["properties"][name] = LIST_SEPARATOR.join(feature["properties"][name])
        yield feature


def jsonld_chunks(initiatives: QuerySet[Initiative], site_url: str) -> Iterator[str]:
    """schema.org JSON-LD: one Organization per initiative in a @graph (labels in Dutch)."""
    with override("nl"):
        services = {service.code: service.label for service in Service.objects.all()}
    yield '{"@context":"https://schema.org","@graph":[\n'
    separator = ""
    for feature in features(initiatives):
        values = feature["properties"]
        longitude, latitude = feature["geometry"]["coordinates"]
        document = organisation(
            url=f"{site_url}/initiatieven/{values['slug']}", identify=True,
            services=[services.get(code, code) for code in values["services"]],
            **{key: values[key] or "" for key in ("name", "short_description", "description", "street",
                                                  "house_number", "postcode", "place", "website")},
            latitude=latitude, longitude=longitude, founded_year=values["founded_year"])
        yield separator + json.dumps(document, ensure_ascii=False, separators=(",", ":"))
        separator = ",\n"
    yield "\n]}\n"


def text_streams(initiatives: QuerySet[Initiative], site_url: str) -> dict[str, Callable[[], Iterator[str]]]:
    """The formats written as text, by file name: a download streams them, a snapshot writes them."""
    return {
        "initiatives.csv": lambda: initiatives_csv(initiatives),
        "partnerships.csv": lambda: partnerships_csv(initiatives),
        "initiatives.geojson": lambda: geojson_chunks(initiatives),
        "initiatives.jsonld": lambda: jsonld_chunks(initiatives, site_url),
    }


class ExportError(RuntimeError):
    pass


# The CRSs a GeoPackage is written in: WGS 84 (the stored one), and for PDOK's GeoPackage rules
# (which allow RD New and ETRS89, not WGS 84) RD New and ETRS89, transformed by GDAL.
GEOPACKAGE_SRIDS = {"EPSG:4326": 4326, "EPSG:28992": 28992, "EPSG:4258": 4258}


def write_geopackage(initiatives: QuerySet[Initiative], target: Path, srid: int = 4326) -> None:
    """One layer `initiatives` (points, EPSG:4326 or `srid`) with every column, written by GDAL's
    ogr2ogr from the GeoJSON export (GDAL parses a large GeoJSON file as a stream)."""
    with tempfile.TemporaryDirectory(dir=target.parent) as folder:
        source = Path(folder) / "initiatives.geojson"
        with source.open("w", encoding="utf-8") as stream:
            stream.write('{"type":"FeatureCollection","features":[\n')
            stream.writelines(
                ("" if number == 0 else ",\n") + json.dumps(feature, ensure_ascii=False, separators=(",", ":"))
                for number, feature in enumerate(features(initiatives, lists=False)))
            stream.write("\n]}\n")
        command = [settings.OGR2OGR, "-f", "GPKG", str(target), str(source), "-nln", "initiatives",
                   "-nlt", "POINT", "-overwrite", "-s_srs", "EPSG:4326", "-t_srs", f"EPSG:{srid}"]
        result = subprocess.run(command, capture_output=True, text=True, check=False)
        if result.returncode != 0:
            raise ExportError(f"ogr2ogr could not write {target.name}: {result.stderr.strip()}")


# -- the annual monitor's tables ------------------------------------------------------------------------


def monitor_file(table: str) -> str:
    """The file of a monitor table in a snapshot and on /opendata: the country's, every year with figures."""
    return f"monitor-{table}.csv"


def table_csv(table: Table) -> str:
    """A monitor table as RFC 4180 CSV (UTF-8, CRLF), a withheld or unknown figure as an empty field."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(table.columns)
    writer.writerows(["" if value is None else value for value in row] for row in table.rows)
    return buffer.getvalue()


def monitor_streams(monitors: Callable[[], Sequence[Monitor]]) -> dict[str, Callable[[], Iterator[str]]]:
    """The national monitor's tables, one file each, the years one after the other. `monitors` is
    called once, when the first file is written (computing a monitor costs a few queries)."""
    made: dict[str, Table] = {}

    def writer(name: str) -> Callable[[], Iterator[str]]:
        def stream() -> Iterator[str]:
            if not made:
                made.update(national_tables(monitors()))
            yield table_csv(made[name])
        return stream

    return {monitor_file(name): writer(name) for name in TABLE_COLUMNS}


# -- a workbook for people with a spreadsheet ------------------------------------------------------------

XLSX_MEDIA_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
# Characters wide: enough for a number, a date or a moment; a text column as wide as its longest name
# or value seen in the first rows, within bounds (a long description wraps when opened).
XLSX_WIDTHS = {"integer": 10, "number": 11, "date": 11, "datetime": 20}
XLSX_TEXT_WIDTHS = (10, 40)
XLSX_MEASURED_ROWS = 200
XLSX_CELL_CHARACTERS = 32_767  # the most a spreadsheet's cell holds; a longer description is cut there


def write_xlsx(initiatives: QuerySet[Initiative], target: Path, site_url: str, created: str,
               language: str | None = None, selection: str | None = None) -> None:
    """initiatives.xlsx, for people with a spreadsheet: the initiatives and the partnerships as the CSV
    files hold them, one sheet each, every value of its column's type (numbers, dates: no program has
    to guess them from text in its own locale, as Dutch Excel does with a CSV), with a sheet that says
    where they come from and what each column means. Written row by row (openpyxl's write-only mode:
    memory does not grow with the register). The sheets' names and the explanation are in `language`
    (the site's default: Dutch); the columns' names and the values are the CSV files', the same in
    every language. `selection`: the address that chose the initiatives (None: the whole register)."""
    from openpyxl import Workbook

    workbook = Workbook(write_only=True)
    with override(language or settings.LANGUAGE_CODE):
        sheets = {_("Initiatives"): INITIATIVE_COLUMNS, _("Partnerships"): PARTNERSHIP_COLUMNS}
        for (title, columns), part in zip(sheets.items(), ("csv_row", "partnership_rows"), strict=True):
            _sheet(workbook, title, columns, documents.parts(initiatives, part))
        _explanation(workbook, sheets, site_url, created, selection)
    workbook.save(target)


def _csv_lines(parts: Iterable[str]) -> Iterator[list[str]]:
    """The fields of prepared CSV parts: a line each, or several (an initiative's partnerships)."""
    for part in parts:
        if part:
            yield from csv.reader(io.StringIO(part))


def _typed(text: str, type_: str) -> Any:
    """A value of a prepared CSV line as a spreadsheet's own type: a number, a date or a moment (in UTC,
    without its zone: a spreadsheet has none), or the text; an empty value is an empty cell."""
    if text == "":
        return None
    if type_ == "integer":
        return int(text)
    if type_ == "number":
        return float(text)
    if type_ == "date":
        return datetime.date.fromisoformat(text)
    if type_ == "datetime":
        return datetime.datetime.fromisoformat(text).astimezone(datetime.UTC).replace(tzinfo=None)
    return text


def _sheet(workbook: Any, title: str, columns: Sequence[Column], parts: Iterable[str]) -> None:
    """A sheet of the columns' names in bold, frozen above a row per CSV line and filterable."""
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.cell.cell import ERROR_CODES, ILLEGAL_CHARACTERS_RE
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    sheet = workbook.create_sheet(title)
    lines = _csv_lines(parts)
    # The first rows are read ahead to size the text columns (a write-only sheet takes its widths
    # before its rows).
    first = list(itertools.islice(lines, XLSX_MEASURED_ROWS))
    for index, column in enumerate(columns):
        narrowest, widest = XLSX_TEXT_WIDTHS
        longest = max([len(column.name), *(len(line[index]) for line in first)])
        width = XLSX_WIDTHS.get(column.type) or min(max(longest + 1, narrowest), widest)
        sheet.column_dimensions[get_column_letter(index + 1)].width = max(width, len(column.name) + 1)
    sheet.freeze_panes = "A2"
    bold = Font(bold=True)
    header = [WriteOnlyCell(sheet, value=column.name) for column in columns]
    for cell in header:
        cell.font = bold
    sheet.append(header)
    types = [column.type for column in columns]

    def moment(text: str) -> Any:
        # With its hours in two digits, or readers (GDAL) take openpyxl's own format for a date.
        cell = WriteOnlyCell(sheet, value=_typed(text, "datetime"))
        cell.number_format = "yyyy-mm-dd hh:mm:ss"
        return cell

    def value(text: str, type_: str) -> Any:
        # Plain values where they are safe (a date gets its number format from openpyxl): a cell
        # object each costs a third more.
        if type_ == "datetime" and text:
            return moment(text)
        if type_ != "string":
            return _typed(text, type_)
        # A control character (a form feed in a pasted text) is no character of a workbook: openpyxl
        # refuses it, which would cost the day its whole snapshot.
        text = ILLEGAL_CHARACTERS_RE.sub(" ", text)
        if len(text) > XLSX_CELL_CHARACTERS:  # Excel would call the file damaged
            text = text[:XLSX_CELL_CHARACTERS - 1] + "…"
        return _text_cell(sheet, text) if text.startswith("=") or text in ERROR_CODES else text or None

    rows = 0
    for line in itertools.chain(first, lines):
        sheet.append([value(text, type_) for type_, text in zip(types, line, strict=True)])
        rows += 1
    sheet.auto_filter.ref = f"A1:{get_column_letter(len(columns))}{rows + 1}"


def _text_cell(sheet: Any, text: str) -> Any:
    """A cell that holds the text as text: openpyxl writes one that begins with "=" as a formula (a
    name such as "=HYPERLINK(…)" would run in the reader's spreadsheet), and "#N/A" as an error."""
    from openpyxl.cell import WriteOnlyCell

    cell = WriteOnlyCell(sheet, value=text)
    cell.data_type = "s"
    return cell


def _explanation(workbook: Any, sheets: Mapping[str, Sequence[Column]], site_url: str, created: str,
                 selection: str | None) -> None:
    """Where the data come from, under which licence and when, and each sheet's columns: their type,
    their meaning and the codes they take (the data dictionary of /opendata)."""
    from openpyxl.styles import Alignment, Font

    sheet = workbook.create_sheet(_("Explanation"))
    for letter, width in zip("ABCDE", (18, 22, 10, 60, 60), strict=True):
        sheet.column_dimensions[letter].width = width
    bold, wrapped = Font(bold=True), Alignment(wrap_text=True, vertical="top")

    def row(*values: str, strong: bool = False) -> None:
        cells = []
        for value in values:
            cell = _text_cell(sheet, value)
            cell.alignment = wrapped
            if strong:
                cell.font = bold
            cells.append(cell)
        sheet.append(cells)

    types = {"string": _("text"), "integer": _("whole number"), "number": _("number"), "date": _("date"),
             "datetime": _("date and time (UTC)")}
    row(_("Register of residents' initiatives"), strong=True)
    row(_("Source"), f"{site_url}/opendata")
    row(_("Licence"), settings.OPENDATA_LICENSE_URL)
    row(_("Made"), created)
    row(_("Selection"), selection or _("every published initiative"))
    row()
    row(_("Sheet"), _("Column"), _("Type"), _("Meaning"), _("Codes"), strong=True)
    for title, columns in sheets.items():
        for column in columns:
            # A code's label where it says more than the code ("actief" says enough).
            codes = "; ".join(code if label.lower() == code else f"{code} = {label}"
                              for code, label in column.codes()) if column.codes else ""
            row(title, column.name, types[column.type], str(column.description), codes)
