from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from registry.models import Initiative
from registry.operations.demo import seed_demo


def positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise CommandError(f"--count must be a whole number, not {text!r}") from None
    if value < 1:
        raise CommandError(f"--count must be at least 1, not {value}")
    return value


class Command(BaseCommand):
    help = ("Create N realistic, deterministic demo initiatives (the same --seed gives the same records; "
            "running again adds only what is missing).")

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--count", type=positive_int, default=2000)
        parser.add_argument("--seed", type=int, default=1)
        parser.add_argument("--only-if-empty", action="store_true",
                            help="Do nothing when the register already holds initiatives.")
        parser.add_argument("--force", action="store_true",
                            help="Add demo records even though the register holds real ones.")

    def handle(self, *args: Any, count: int, seed: int, only_if_empty: bool, force: bool, **options: Any) -> str:
        if only_if_empty and Initiative.objects.exists():
            return "The register already holds initiatives: no demo data added."
        try:
            return seed_demo(count, seed, force=force).summary()
        except RuntimeError as error:
            raise CommandError(str(error)) from error
