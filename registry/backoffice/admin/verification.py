"""The yearly verification loop in the admin (registry/campaigns.py): every round with where it stands,
and the editors' worklist (the rounds with state "on the worklist", with the phone number to call),
from which an editor records that they verified a record. Scoped to the maintainer's region."""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from registry import actions
from registry.backoffice.admin.base import RoleAdmin, reason_of
from registry.models import Initiative, RoundState, VerificationMethod, VerificationRound
from registry.roles import NotAllowed


@admin.register(VerificationRound)
class VerificationRoundAdmin(RoleAdmin):
    list_display = ["initiative", "municipality", "phone", "state", "worklist_reason", "opened_on", "first_sent_on",
                    "reminder_sent_on", "worklist_on", "requests_sent"]
    list_filter = ["state", "worklist_reason", "province"]
    search_fields = ["initiative__name"]
    list_select_related = ["initiative", "municipality"]
    actions = ["verified_by_phone", "verified_by_email"]
    date_hierarchy = "opened_on"

    def get_queryset(self, request: HttpRequest) -> QuerySet[VerificationRound]:
        return super().get_queryset(request).filter(self.access(request).region())

    def has_add_permission(self, request: HttpRequest, *args: Any) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # a round changes by the loop and by verifying its record, never by hand

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_verify_permission(self, request: HttpRequest) -> bool:
        return self.access(request).can_write

    @admin.display(description=_("phone"))
    def phone(self, round_: VerificationRound) -> str:
        return round_.initiative.phone or "—"

    def _verify(self, request: HttpRequest, queryset: QuerySet[VerificationRound], method: VerificationMethod) -> None:
        records = Initiative.objects.filter(pk__in=queryset.filter(state=RoundState.WORKLIST)
                                            .values("initiative_id"))
        try:
            result = actions.mark_verified_many(records, method, acting_user=request.user)  # type: ignore[arg-type]
        except NotAllowed as error:
            self.message_user(request, reason_of(error), level=messages.ERROR)
            return
        self.message_user(request, _("%(n)d records recorded as verified.") % {"n": len(result.changed)},
                          level=messages.SUCCESS)

    @admin.action(description=_("Verified by phone"), permissions=["verify"])
    def verified_by_phone(self, request: HttpRequest, queryset: QuerySet[VerificationRound]) -> None:
        self._verify(request, queryset, VerificationMethod.PHONE)

    @admin.action(description=_("Verified by e-mail"), permissions=["verify"])
    def verified_by_email(self, request: HttpRequest, queryset: QuerySet[VerificationRound]) -> None:
        self._verify(request, queryset, VerificationMethod.EMAIL)
