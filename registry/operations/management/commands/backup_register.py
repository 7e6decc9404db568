"""Back up the whole database: pg_dump's custom format, with a checksum file beside it.

    python manage.py backup_register                          # var/backups/register-<UTC time>.dump
    python manage.py backup_register --output /srv/backups/   # that folder, the same name
    python manage.py backup_register --output nightly.dump

`restore_register FILE` puts a backup back; see registry/backups.py.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from registry.operations.backups import BackupError, backup


class Command(BaseCommand):
    help = ("Back up the whole database (pg_dump --format=custom) with a SHA-256 checksum file beside it, "
            f"by default in {settings.BACKUP_ROOT}.")

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--output", metavar="PATH",
                            help="the backup file, or a folder for it (default: BACKUP_ROOT/register-<UTC time>.dump)")

    def handle(self, *args: Any, **options: Any) -> str:
        output = options["output"]
        try:
            if output and output.endswith(("/", os.sep)):  # a folder, which may not exist yet
                Path(output).mkdir(mode=0o700, parents=True, exist_ok=True)
            made = backup(Path(output) if output else None)
        except BackupError as error:
            raise CommandError(str(error)) from None
        except OSError as error:
            raise CommandError(f"{error.filename or output}: cannot be written "
                               f"({error.strerror or error}).") from None
        return (f"Backup written to {made.path} ({made.size:,} bytes, SHA-256 {made.sha256}; "
                f"checksum in {made.checksum_path.name}).")
