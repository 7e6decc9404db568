"""Import a list of initiatives (CSV, XLSX or GeoJSON): a dry run unless --commit.

    python manage.py import_initiatives lijst.csv --as jan                 # check, write nothing
    python manage.py import_initiatives lijst.csv --as jan --commit        # save, all or nothing
    python manage.py import_initiatives lijst.xlsx --as jan --source "LSA 2026" --map "Naam organisatie=naam"

The user named by --as is the author in the history, and their role and region apply: a reviewer
or a user without a role is refused; an editor's rows outside the region are errors. The template
and the rules: docs/import.md.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from registry import importing
from registry.importing import ERROR, ImportOptions, MappingError, Report, parse_mapping
from registry.models import PublicationState
from registry.operations.acting import acting_user, add_acting_argument
from registry.roles import NotAllowed


class ProgressBar:
    """`[#####.....] 52% 5,200/10,000 rows` on one line (of stderr), redrawn in place."""

    WIDTH = 30

    def __init__(self, write: Callable[[str], None], flush: Callable[[], None] = lambda: None) -> None:
        self.write, self.flush = write, flush
        self.shown = ""

    def __call__(self, phase: str, done: int, total: int) -> None:
        filled = self.WIDTH * done // max(total, 1)
        line = (f"{phase:<9} [{'#' * filled}{'.' * (self.WIDTH - filled)}] {100 * done // max(total, 1):3d}% "
                f"{done:,}/{total:,} rows")
        if line != self.shown:
            self.write("\r" + line)
            self.flush()
            self.shown = line

    def finish(self) -> None:
        if self.shown:
            self.write("\n")
            self.flush()


class Command(BaseCommand):
    help = "Import initiatives from a CSV, XLSX or GeoJSON file (docs/import.md); a dry run unless --commit."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", help="the list: .csv, .xlsx or .geojson")
        add_acting_argument(parser)
        parser.add_argument("--commit", action="store_true", help="save the records (all or nothing)")
        parser.add_argument("--source", help="where the list comes from, stored on every record (default: the file "
                                             "name); with the external id it recognises the records again")
        parser.add_argument("--map", dest="mapping", action="append", default=[], metavar="COLUMN=TEMPLATE_COLUMN",
                            help="read a column of the file as a template column, e.g. \"Naam organisatie=naam\"; "
                                 "\"Opmerkingen=\" ignores a column (repeatable)")
        parser.add_argument("--format", choices=["auto", "csv", "xlsx", "geojson"], default="auto",
                            help="the file's format (default: from the file name)")
        parser.add_argument("--encoding", default="auto",
                            help="of a CSV file: auto (UTF-8, else Windows-1252), utf-8, windows-1252, ...")
        parser.add_argument("--report", help="also write the report to this file (.csv or .json)")
        parser.add_argument("--publish", action="store_true",
                            help="publish the new records at once (default: they are drafts, for review)")
        parser.add_argument("--progress", action="store_true",
                            help="show a progress bar on stderr even when it is not a terminal")

    def handle(self, *args: Any, **options: Any) -> str:
        user = acting_user(options["acting_username"], writes=True)
        path = Path(options["file"])
        report_path = Path(options["report"]) if options["report"] else None
        if report_path is not None and report_path.suffix.lower() not in (".csv", ".json"):
            raise CommandError(f"--report {report_path}: the report is written as .csv or .json.")
        try:
            mapping = parse_mapping(options["mapping"])
        except MappingError as error:
            raise CommandError(f"--map: {error}") from None
        try:
            content = path.read_bytes()
        except FileNotFoundError:
            raise CommandError(f"{path}: no such file.") from None
        except IsADirectoryError:
            raise CommandError(f"{path}: a directory, not a file.") from None
        except OSError as error:
            raise CommandError(f"{path}: cannot be read ({error.strerror or error}).") from None

        import_options = ImportOptions(
            source=options["source"] if options["source"] is not None else path.name, file_name=path.name,
            format=options["format"], encoding=options["encoding"], mapping=mapping,
            publication_state=PublicationState.PUBLISHED if options["publish"] else PublicationState.DRAFT)
        progress = None
        if options["progress"] or self.stderr.isatty():
            progress = ProgressBar(lambda text: self.stderr.write(text, ending=""), self.stderr.flush)
        try:
            run = importing.commit if options["commit"] else importing.check
            report = run(content, import_options, acting_user=user, progress=progress)
        except NotAllowed as error:
            raise CommandError(f"{user.get_username()}: {error}") from None
        finally:
            if progress is not None:
                progress.finish()

        if report_path is not None:
            self.write_report(report, report_path)
        self.show(report, verbosity=options["verbosity"])
        if report.has_errors:
            raise CommandError(report.summary())
        if not options["commit"]:
            self.stdout.write("Dry run: nothing was written. Run again with --commit to save.")
        return report.summary()

    def write_report(self, report: Report, path: Path) -> None:
        text = report.to_json() if path.suffix.lower() == ".json" else report.to_csv()
        try:
            path.write_text(text, encoding="utf-8")
        except OSError as error:
            raise CommandError(f"--report {path}: cannot be written ({error.strerror or error}).") from None

    def show(self, report: Report, verbosity: int) -> None:
        write = self.stdout.write
        for notice in report.notices:
            write(f"Notice: {notice}")
        for error in report.file_errors:
            write(self.style.ERROR(f"Error: {error}"))
        rows = report.rows if verbosity >= 2 else [row for row in report.rows if row.outcome == ERROR]
        for row in rows:
            where = f"{report.line_name} {row.line}"
            record = f" #{row.record_id}" if row.record_id else ""
            heading = f"{where}: {row.outcome_label}{record} {row.name}".rstrip()
            if row.changed:
                heading += f" ({', '.join(row.changed)})"
            write(self.style.ERROR(heading) if row.outcome == ERROR else heading)
            for message in row.errors:
                write(f"    {message}")
            for message in row.warnings if verbosity >= 2 or row.outcome == ERROR else []:
                write(f"    ! {message}")
        warned = sum(1 for row in report.rows if row.warnings)
        if warned and verbosity < 2:
            write(f"{warned} new rows look like existing records (possible duplicates); -v 2 shows them.")
