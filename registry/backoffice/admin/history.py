"""The history pages: every version with who, when, why and what changed (partnerships in detail),
and a version beside the record as it is now, with a revert that says beforehand exactly what it
will change (registry.history.revert_plan, applied by registry.actions.revert)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, ClassVar

from django.contrib import messages
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import formats, timezone
from django.utils.translation import gettext_lazy as _
from simple_history.admin import SimpleHistoryAdmin
from simple_history.template_utils import HistoricalRecordContextHelper

from registry import actions
from registry.backoffice.admin.base import reason_of
from registry.history import partnership_changes, revert_plan
from registry.models import Initiative
from registry.roles import NotAllowed, signed_in

if TYPE_CHECKING:
    from django.template.response import _TemplateForResponseT


class ReadableChanges(HistoricalRecordContextHelper):
    """The history's changes with the labels of choices rather than their codes."""

    def prepare_delta_change_value(self, change: Any, value: Any) -> Any:
        field = self.model._meta.get_field(change.field)
        if getattr(field, "choices", None) and not field.many_to_many:
            return dict(field.choices).get(value, value) if value not in ("", None) else "—"
        prepared = super().prepare_delta_change_value(change, value)
        if isinstance(prepared, list):  # services, funding sources: their labels, not a Python list
            return ", ".join(sorted(str(term) for term in prepared)) or "—"
        return "—" if prepared in ("", None) else prepared


class HistoryAdmin(SimpleHistoryAdmin):
    # Typed as ModelAdmin types it (simple-history is untyped): the two are mixed in one class.
    object_history_template: ClassVar[_TemplateForResponseT | None] = "admin/registry/history.html"
    object_history_list_template = "admin/registry/history_list.html"

    def history_view_title(self, request: HttpRequest, obj: Any) -> str:
        return _("History of “%(name)s”") % {"name": obj}

    def get_historical_record_context_helper(self, request: HttpRequest, historical_record: Any) -> Any:
        return ReadableChanges(self.model, historical_record)

    def history_form_view(self, request: HttpRequest, object_id: str, version_id: str,
                          extra_context: dict[str, Any] | None = None) -> HttpResponse:
        # simple-history asks only whether the old version may be viewed before it saves the form:
        # a revert changes the record as it is now, so the user must be allowed to change that one.
        if not version_id.isdigit():
            raise Http404
        if request.method == "POST":
            current = self.get_object(request, unquote(object_id))
            if current is None or not self.has_change_permission(request, current):
                raise PermissionDenied
        return super().history_form_view(request, object_id, version_id, extra_context)

    def revert_disabled(self, request: HttpRequest, obj: Any = None) -> bool:
        return not self.has_change_permission(request, obj)


class InitiativeHistoryAdmin(HistoryAdmin):
    """An initiative's history with the partnerships each version added, changed or removed, and its
    revert page."""

    def set_history_delta_changes(self, request: HttpRequest, historical_records: Sequence[Any],
                                  foreign_keys_are_objs: bool = True) -> None:
        super().set_history_delta_changes(request, historical_records, foreign_keys_are_objs)
        records = list(historical_records)
        changes = partnership_changes(records[0].id) if records else {}
        for record in records:
            record.partnership_changes = changes.get(record.history_id, [])

    def history_form_view(self, request: HttpRequest, object_id: str, version_id: str,
                          extra_context: dict[str, Any] | None = None) -> HttpResponse:
        """One version beside the record as it is now: every field, service, funding source and
        partnership a revert would change, and the button that reverts to it."""
        initiative = self.get_object(request, unquote(object_id))
        if initiative is None:
            raise PermissionDenied
        if not version_id.isdigit():
            raise Http404
        version = get_object_or_404(initiative.history.all(), history_id=version_id)
        can_revert = self.has_change_permission(request, initiative)
        if request.method == "POST":
            if not can_revert:
                raise PermissionDenied
            try:
                actions.revert(initiative, version.history_id, acting_user=signed_in(request.user))
            except (ValidationError, NotAllowed) as error:
                self.message_user(request, _("This version cannot be restored: %(reason)s")
                                  % {"reason": reason_of(error)}, level=messages.ERROR)
            else:
                self.message_user(request, _("“%(name)s” is back as it was on %(date)s.")
                                  % {"name": initiative.name, "date": formats.date_format(
                                      timezone.localtime(version.history_date), "DATETIME_FORMAT")})
                return HttpResponseRedirect(reverse("admin:registry_initiative_history", args=[initiative.pk]))
        plan = revert_plan(initiative.pk, version)
        return TemplateResponse(request, "admin/registry/initiative/revert.html", {
            **self.admin_site.each_context(request), "opts": Initiative._meta, "original": initiative,
            "title": (_("Revert “%(name)s”") if can_revert else _("A version of “%(name)s”"))
            % {"name": initiative.name},
            "version": version, "plan": plan, "can_revert": can_revert,
        })
