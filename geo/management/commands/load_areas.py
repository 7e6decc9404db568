from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from geo.loading import ReferenceDataError, load_reference_data


class Command(BaseCommand):
    help = ("Load provinces, municipalities, postcode areas and places from geo/data/ "
            "(skipped when the files are unchanged since the last load).")

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--force", action="store_true", help="Reload even when the files are unchanged.")

    def handle(self, *args: Any, force: bool, **options: Any) -> str:
        try:
            return load_reference_data(force=force).summary()
        except ReferenceDataError as error:
            raise CommandError(f"Reference data not loaded (nothing changed): {error}") from error
