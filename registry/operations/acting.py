"""The user a maintainers' command acts as (`--as USERNAME`): their role and region apply, as in
the admin and the API, and the history names them."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.core.management.base import CommandError, CommandParser

from registry.roles import access_for


def add_acting_argument(parser: CommandParser) -> None:
    parser.add_argument("--as", dest="acting_username", required=True, metavar="USERNAME",
                        help="The maintainer this command acts as: their role and region apply, and the history "
                             "names them.")


def acting_user(username: str, *, writes: bool) -> Any:
    """The active user named `username`, or a CommandError that says why it cannot act."""
    user = get_user_model().objects.filter(username=username, is_active=True).first()
    if user is None:
        raise CommandError(f"There is no active user “{username}”.")
    access = access_for(user)
    if not access.is_maintainer:
        raise CommandError(f"“{username}” has no role in the register (give them one in the admin, under Maintainers).")
    if writes and not access.can_write:
        raise CommandError(f"“{username}” is a reviewer: a reviewer reads, and changes nothing.")
    return user
