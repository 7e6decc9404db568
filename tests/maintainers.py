"""Users with a role in the register, for the tests of the maintainers' workflow."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model

from geo.models import Municipality, Province
from registry.models import Maintainer, Role

ZUID_HOLLAND, UTRECHT_PROVINCE = "PV28", "PV26"  # Leiden lies in Zuid-Holland


def maintainer(username: str, role: Role, *provinces: str, municipalities: tuple[str, ...] = (),
               email: str | None = None, notify: bool = True) -> Any:
    """A user with a role and, for an editor or a regional reviewer, the provinces (and municipalities,
    by CBS code) of their region."""
    user = get_user_model().objects.create_user(
        username, email=f"{username}@example.org" if email is None else email, password="secret")
    record = Maintainer.objects.create(user=user, role=role, notify=notify)
    record.provinces.add(*Province.objects.filter(code__in=provinces))
    record.municipalities.add(*Municipality.objects.current().filter(code__in=municipalities))
    return user


def editor(username: str = "redacteur-zh", *provinces: str, **kwargs: Any) -> Any:
    return maintainer(username, Role.EDITOR, *(provinces or (ZUID_HOLLAND,)), **kwargs)


def reviewer(username: str = "meelezer", *provinces: str, **kwargs: Any) -> Any:
    return maintainer(username, Role.REVIEWER, *provinces, **kwargs)


def administrator(username: str = "beheerder", **kwargs: Any) -> Any:
    return maintainer(username, Role.ADMINISTRATOR, **kwargs)
