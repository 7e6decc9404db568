"""Import a yearly-figures file (CSV or XLSX): a dry run unless --commit.

    python manage.py import_figures cijfers-2025.csv --as jan             # check, write nothing
    python manage.py import_figures cijfers-2025.csv --as jan --commit    # save, all rows or none

The columns and rules: docs/figures.md. The user named by --as is the author in the history; their
role and region apply.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from registry.importing.figures import check_figures, commit_figures
from registry.importing.report import ERROR
from registry.operations.acting import acting_user, add_acting_argument
from registry.roles import NotAllowed


class Command(BaseCommand):
    help = "Import yearly figures of initiatives from a CSV or XLSX file (docs/figures.md); a dry run unless --commit."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", help="the figures: .csv or .xlsx")
        add_acting_argument(parser)
        parser.add_argument("--commit", action="store_true", help="save the figures (all rows or none)")

    def handle(self, *args: Any, **options: Any) -> str:
        user = acting_user(options["acting_username"], writes=True)
        path = Path(options["file"])
        try:
            content = path.read_bytes()
        except OSError as error:
            raise CommandError(f"{path}: cannot be read ({error.strerror or error}).") from None
        try:
            run = commit_figures if options["commit"] else check_figures
            report = run(content, path.name, acting_user=user)
        except NotAllowed as error:
            raise CommandError(f"{user.get_username()}: {error}") from None
        for problem in report.file_errors:
            self.stdout.write(self.style.ERROR(f"Error: {problem}"))
        for row in report.rows:
            if row.outcome == ERROR or options["verbosity"] >= 2:
                self.stdout.write(f"{report.line_name} {row.line}: {row.outcome_label} {row.name}".rstrip())
                for message in row.errors:
                    self.stdout.write(f"    {message}")
        if report.has_errors:
            raise CommandError(report.summary())
        if not options["commit"]:
            self.stdout.write("Dry run: nothing was written. Run again with --commit to save.")
        return report.summary()
