from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser

from registry import actions
from registry.models import Initiative
from registry.operations.acting import acting_user, add_acting_argument
from registry.roles import NotAllowed


class Command(BaseCommand):
    help = ("Merge two records of one initiative: KEPT takes what only REMOVED has, REMOVED is deleted and its "
            "address redirects to KEPT. Records by id or slug. A dry run unless --commit.")

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("kept", help="Id or slug of the record to keep.")
        parser.add_argument("removed", help="Id or slug of the record to merge into it.")
        add_acting_argument(parser)
        parser.add_argument("--commit", action="store_true", help="Merge; without it, only say what would happen.")

    def handle(self, *args: Any, kept: str, removed: str, acting_username: str, commit: bool, **options: Any) -> str:
        user = acting_user(acting_username, writes=True)
        first, second = find(kept), find(removed)
        what = f"“{second.name}” (#{second.pk}, {second.slug}) into “{first.name}” (#{first.pk}, {first.slug})"
        if not commit:
            return f"Would merge {what}. Run again with --commit to merge."
        try:
            actions.merge(first, second, acting_user=user)
        except NotAllowed as error:
            raise CommandError(str(error)) from None
        except ValidationError as error:
            raise CommandError("; ".join(error.messages)) from None
        return f"Merged {what}; /initiatieven/{second.slug} now redirects."


def find(reference: str) -> Initiative:
    found = Initiative.objects.filter(pk=int(reference)) if reference.isdigit() else \
        Initiative.objects.filter(slug=reference)
    initiative = found.first()
    if initiative is None:
        raise CommandError(f"There is no initiative with id or slug “{reference}”.")
    return initiative
