"""Who may do what, and where: the one place the admin, the API, the commands and the workflow
screens ask.

* A national administrator (or a superuser) reads and changes everything.
* A regional editor reads and changes the initiatives in their provinces and municipalities:
  they may add one there, and cannot place one outside (nor move one out). Partners are shared
  by the whole country: an editor may add one, and change one only while every initiative it
  works with lies in their region. Deleting a partner is for administrators.
* A reviewer reads everything (or, given a region, everything there) and changes nothing.
* Anyone else, staff or not, may only read what is public.

The region is kept on Maintainer; a record's region is its derived municipality and province.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Q, QuerySet
from django.utils.translation import gettext as _

from geo.models import Municipality, Province
from registry.models import Initiative, Maintainer, Partner, Role
from registry.querysets import InitiativeQuerySet


class NotAllowed(PermissionDenied):
    """The user's role or region does not allow this; the message says why."""


@dataclass(frozen=True)
class Access:
    role: Role | None
    province_ids: frozenset[int] = field(default_factory=frozenset)
    municipality_ids: frozenset[int] = field(default_factory=frozenset)

    # -- what the role allows -----------------------------------------------------------------

    @property
    def is_maintainer(self) -> bool:
        """May see the maintainers' side: drafts, history, the queues."""
        return self.role is not None

    @property
    def can_write(self) -> bool:
        return self.role in (Role.ADMINISTRATOR, Role.EDITOR)

    @property
    def is_administrator(self) -> bool:
        return self.role == Role.ADMINISTRATOR

    @property
    def is_national(self) -> bool:
        """Not bound to a region (an editor always is; a reviewer only when given one)."""
        return self.role == Role.ADMINISTRATOR or (
            self.role == Role.REVIEWER and not self.province_ids and not self.municipality_ids)

    # -- the region -----------------------------------------------------------------------------

    def region(self, prefix: str = "") -> Q:
        """The records in this user's region, as a filter (on `prefix`, e.g. "initiative__")."""
        if not self.is_maintainer:
            return Q(pk__in=[])
        if self.is_national:  # not Q(): that would vanish from an OR
            return Q(**{f"{prefix}pk__isnull": False})
        return (Q(**{f"{prefix}province_id__in": self.province_ids})
                | Q(**{f"{prefix}municipality_id__in": self.municipality_ids}))

    def covers(self, municipality_id: int | None, province_id: int | None) -> bool:
        if not self.is_maintainer:
            return False
        if self.is_national:
            return True
        return province_id in self.province_ids or municipality_id in self.municipality_ids

    def covers_initiative(self, initiative: Initiative) -> bool:
        """The record lies in the region as it is stored, not where an edit that is still being
        checked would put it (a historical version of it has only its own areas)."""
        if isinstance(initiative, Initiative):
            return self.covers(*initiative.stored_areas)
        return self.covers(initiative.municipality_id, initiative.province_id)

    def initiatives(self, queryset: InitiativeQuerySet | None = None) -> InitiativeQuerySet:
        """The initiatives this user works on (every state, drafts included)."""
        queryset = Initiative.objects.all() if queryset is None else queryset
        return queryset.filter(self.region())

    def describe_region(self) -> str:
        if self.is_national:
            return _("the whole country")
        names = [p.name for p in Province.objects.filter(pk__in=self.province_ids).order_by("name")]
        names += [m.name for m in Municipality.objects.filter(pk__in=self.municipality_ids).order_by("name")]
        return ", ".join(names)

    # -- checks that raise ----------------------------------------------------------------------

    def can_change(self, initiative: Initiative) -> bool:
        """May change (or delete) this initiative as it is stored (not where an edit that is still
        being checked would put it)."""
        return self.can_write and self.covers_initiative(initiative)

    def require_write(self) -> None:
        if not self.can_write:
            raise NotAllowed(_("Your role does not allow changes to the register."))

    def require_change(self, initiative: Initiative) -> None:
        self.require_write()
        if not self.covers_initiative(initiative):
            raise NotAllowed(_("“%(name)s” lies outside your region (%(region)s).")
                             % {"name": initiative.name, "region": self.describe_region()})

    def check_place(self, initiative: Initiative) -> None:
        """A validation error on the location when the (derived) area lies outside the region: an
        editor cannot add a record elsewhere, nor move one out of their region."""
        if (self.can_write and initiative.location is not None
                and not self.covers(initiative.municipality_id, initiative.province_id)):
            municipality = initiative.municipality
            area = municipality.name if municipality is not None else _("outside every municipality")
            raise ValidationError({"location": _(
                "This location lies in %(area)s, outside your region (%(region)s).")
                % {"area": area, "region": self.describe_region()}})

    def can_change_partner(self, partner: Partner) -> bool:
        if self.is_administrator:
            return True
        if not self.can_write:
            return False
        # Its name shows on the records it works with and on those of the years it commissioned.
        outside = self.region("initiative__")
        return not (partner.partnerships.exclude(outside).exists()
                    or partner.commissioned_figures.exclude(outside).exists())

    def require_change_partner(self, partner: Partner) -> None:
        self.require_write()
        if not self.can_change_partner(partner):
            raise NotAllowed(_("“%(name)s” also works with initiatives outside your region; an administrator "
                               "changes it.") % {"name": partner.name})

    def require_delete_partner(self) -> None:
        if not self.is_administrator:
            raise NotAllowed(_("Only an administrator deletes a partner."))


NOBODY = Access(role=None)
EVERYTHING = Access(role=Role.ADMINISTRATOR)


def access_for(user: Any) -> Access:
    """The access of a user (anonymous and None included), looked up once per user object."""
    if user is None or not getattr(user, "is_authenticated", False) or not user.is_active:
        return NOBODY
    cached = getattr(user, "_registry_access", None)
    if cached is not None:
        return cached
    if user.is_superuser:
        access = EVERYTHING
    else:
        maintainer = Maintainer.objects.filter(user=user).first()
        if maintainer is None:
            access = NOBODY
        else:
            access = Access(
                role=Role(maintainer.role),
                province_ids=frozenset(maintainer.provinces.values_list("pk", flat=True)),
                municipality_ids=frozenset(maintainer.municipalities.values_list("pk", flat=True)))
    user._registry_access = access
    return access


def signed_in(user: object) -> User:
    """The user of a request (the admin's, the API's) as registry.actions take an acting user.

    The admin and the API let only signed-in users write, so the refusal (NotAllowed) is a guard
    for what cannot happen, not a rule: the rules are in Access."""
    if isinstance(user, User) and user.is_authenticated:
        return user
    raise NotAllowed(_("Your role does not allow changes to the register."))


def maintainers_for(municipality_id: int | None, province_id: int | None) -> QuerySet[Maintainer]:
    """The editors and administrators responsible for an area (who are told about suggestions
    there): the editors whose region covers it, or, when there are none, the administrators."""
    writers = Maintainer.objects.filter(role__in=[Role.ADMINISTRATOR, Role.EDITOR], user__is_active=True)
    editors = writers.filter(role=Role.EDITOR).filter(
        Q(provinces__pk=province_id) | Q(municipalities__pk=municipality_id)).distinct()
    if editors.exists():
        return editors
    return writers.filter(role=Role.ADMINISTRATOR)


def assignable_users() -> QuerySet[Any]:
    """Who may look after records: active administrators (superusers included) and editors."""
    from django.contrib.auth import get_user_model

    return (get_user_model().objects.filter(is_active=True)
            .filter(Q(is_superuser=True) | Q(maintainer__role__in=[Role.ADMINISTRATOR, Role.EDITOR]))
            .order_by("username"))


def check_assignee(initiative: Initiative) -> None:
    """A validation error on `assigned_to` when the record (where it now lies) is given to someone who
    may not change it there."""
    assignee = initiative.assigned_to if initiative.assigned_to_id is not None else None
    if assignee is None:
        return
    access = access_for(assignee)
    if not access.can_write or not access.covers(initiative.municipality_id, initiative.province_id):
        raise ValidationError({"assigned_to": _(
            "%(user)s may not change this record where it lies: assign an editor of its region or an "
            "administrator.") % {"user": assignee}})
