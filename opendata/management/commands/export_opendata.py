from __future__ import annotations

import datetime
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from opendata.snapshots import ExportRunning, export_snapshot


class Command(BaseCommand):
    help = "Write today's snapshot of every open-data format, with SHA-256 checksums and a manifest."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--date", help="The snapshot's date, YYYY-MM-DD (default: today).")
        parser.add_argument("--root", help=f"Folder of the snapshots (default: {settings.OPENDATA_ROOT}).")

    def handle(self, *args: Any, **options: Any) -> None:
        day = timezone.localdate()
        if options["date"]:
            try:
                day = datetime.date.fromisoformat(options["date"])
            except ValueError:
                raise CommandError(f"--date {options['date']!r} is not a date like 2026-11-22.") from None
        root = Path(options["root"] or settings.OPENDATA_ROOT)
        if root.exists() and not root.is_dir():
            raise CommandError(f"--root {root} is a file, not a folder.")
        try:
            folder = export_snapshot(root, day)
        except ExportRunning as error:
            raise CommandError(str(error)) from None
        self.stdout.write(f"Snapshot written to {folder}")
