"""Restore a backup made by backup_register: afterwards the database holds exactly the backup's
content, or, when anything fails, exactly what it held before.

    python manage.py restore_register var/backups/register-20261122T031500Z.dump        # asks first
    python manage.py restore_register var/backups/register-20261122T031500Z.dump --yes

The file must match its checksum file (`<file>.sha256`) and be a pg_dump archive of the register;
this is checked before anything is asked or changed. How the restore stays all or nothing:
registry/backups.py.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from registry.operations.backups import BackupError, database_name, restore, verify


class Command(BaseCommand):
    help = ("Replace everything in the database with a backup made by backup_register, all or nothing "
            "(after checking its checksum; asks for confirmation unless --yes).")

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", help="the backup (.dump), with its .sha256 checksum file beside it")
        parser.add_argument("--yes", action="store_true", help="do not ask for confirmation")

    def handle(self, *args: Any, **options: Any) -> str:
        path = Path(options["file"])
        try:
            archive = verify(path)
        except BackupError as error:
            raise CommandError(str(error)) from None
        except OSError as error:
            raise CommandError(f"{path}: cannot be read ({error.strerror or error}).") from None

        name = database_name()
        if not options["yes"]:
            self.stdout.write(f"This replaces everything in database “{name}” with the backup {path} "
                              f"(made {archive.created} of database “{archive.database}”).")
            try:
                answer = input("Type 'yes' to restore it: ")
            except EOFError:
                answer = ""
            if answer.strip().lower() != "yes":
                raise CommandError("Restore cancelled: the database is unchanged.")
        try:
            restore(archive)
        except BackupError as error:
            raise CommandError(str(error)) from None
        return (f"Restored {path} (made {archive.created}) into database “{name}”. "
                f"Restart the application servers, which may cache what the database held before.")
