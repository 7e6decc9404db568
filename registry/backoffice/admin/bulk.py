"""Work on a selection of initiatives at once: stop them with a reason, mark them verified with the
method, assign them to an editor. Each admin action first shows a form (with what was selected), then
calls the set-based action in registry.actions, which checks every record by the model's rules and the
user's region."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django import forms
from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from registry import actions
from registry.backoffice.admin.base import reason_of
from registry.models import Initiative, StopReason, VerificationMethod
from registry.roles import NotAllowed, assignable_users, signed_in

SHOWN = 20  # selected records named on the form; the rest are counted


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self) -> None:
        super().__init__(format="%Y-%m-%d")


class StopForm(forms.Form):
    stopped_on = forms.DateField(label=_("Stopped on"), widget=DateInput, initial=timezone.localdate)
    stop_reason = forms.ChoiceField(label=_("Reason for stopping"), choices=StopReason.choices,
                                    widget=forms.RadioSelect)


class VerifiedForm(forms.Form):
    verification_method = forms.ChoiceField(label=_("Verified how"), choices=VerificationMethod.choices,
                                            widget=forms.RadioSelect)
    last_verified_on = forms.DateField(label=_("Verified on"), widget=DateInput, initial=timezone.localdate)


class AssignForm(forms.Form):
    assignee = forms.ModelChoiceField(label=_("Assign to"), queryset=assignable_users(), required=False,
                                      empty_label=_("nobody (remove the assignment)"))

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["assignee"].label_from_instance = (  # type: ignore[attr-defined]
            lambda user: f"{user.get_full_name()} ({user.get_username()})" if user.get_full_name()
            else user.get_username())


class BulkActions(admin.ModelAdmin):
    """The bulk actions of the initiatives' list (mixed into InitiativeAdmin)."""

    def bulk(self, request: HttpRequest, queryset: QuerySet[Initiative], form_class: type[forms.Form],
             title: str | Promise, explanation: str | Promise, apply: Callable[[forms.Form], actions.BulkResult],
             done: Callable[[int], str]) -> HttpResponse | None:
        """Show the action's form; once it is sent back valid, apply it and say what happened."""
        form = form_class(request.POST if "apply" in request.POST else None)
        if form.is_bound and form.is_valid():
            try:
                result = apply(form)
            except (ValidationError, NotAllowed) as error:
                self.message_user(request, _("Nothing changed: %(reason)s") % {"reason": reason_of(error)},
                                  level=messages.ERROR)
                return None
            self.report(request, result, done)
            return None
        count = queryset.count()
        return TemplateResponse(request, "admin/registry/initiative/bulk_form.html", {
            **self.admin_site.each_context(request), "opts": self.opts, "title": title,
            "explanation": explanation, "form": form, "count": count,
            "shown": list(queryset.select_related(None).order_by("name", "pk").only("pk", "name", "place")[:SHOWN]),
            "more": max(0, count - SHOWN),
            "action": request.POST.get("action", ""),
            "selected": request.POST.getlist(helpers.ACTION_CHECKBOX_NAME),
            "select_across": request.POST.get("select_across", "0"),
            "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
        })

    def report(self, request: HttpRequest, result: actions.BulkResult, done: Callable[[int], str]) -> None:
        self.message_user(request, done(len(result.changed)), level=messages.SUCCESS)
        if result.unchanged:
            self.message_user(request, ngettext("%(count)d record was so already.",
                                                "%(count)d records were so already.", len(result.unchanged))
                              % {"count": len(result.unchanged)})
        if result.invalid:
            self.message_user(request, _("Not changed, because the record does not allow it: %(list)s")
                              % {"list": "; ".join(f"{record.name} ({' '.join(reasons)})"
                                                   for record, reasons in result.invalid)}, level=messages.ERROR)
        if result.refused:
            self.message_user(request, ngettext(
                "%(count)d selected record lies outside your region and was not changed.",
                "%(count)d selected records lie outside your region and were not changed.", result.refused)
                % {"count": result.refused}, level=messages.ERROR)

    @admin.action(description=_("Stop the selected initiatives (with a reason)"), permissions=["change"])
    def stop_selected(self, request: HttpRequest, queryset: QuerySet[Initiative]) -> HttpResponse | None:
        return self.bulk(
            request, queryset, StopForm, _("Stop initiatives"),
            _("The selected initiatives are recorded as stopped on this date, for this reason. Those stopped "
              "already stay as they are."),
            lambda form: actions.stop_many(queryset, form.cleaned_data["stopped_on"],
                                           form.cleaned_data["stop_reason"], acting_user=signed_in(request.user)),
            lambda n: ngettext("%(count)d initiative stopped.", "%(count)d initiatives stopped.", n) % {"count": n})

    @admin.action(description=_("Mark the selected initiatives as verified (with the method)"),
                  permissions=["change"])
    def mark_verified_selected(self, request: HttpRequest, queryset: QuerySet[Initiative]) -> HttpResponse | None:
        return self.bulk(
            request, queryset, VerifiedForm, _("Mark as verified"),
            _("The selected initiatives are recorded as verified on this date, in this way."),
            lambda form: actions.mark_verified_many(queryset, form.cleaned_data["verification_method"],
                                                    form.cleaned_data["last_verified_on"],
                                                    acting_user=signed_in(request.user)),
            lambda n: ngettext("%(count)d initiative marked as verified.", "%(count)d initiatives marked as verified.",
                               n) % {"count": n})

    @admin.action(description=_("Assign the selected initiatives to an editor"), permissions=["change"])
    def assign_selected(self, request: HttpRequest, queryset: QuerySet[Initiative]) -> HttpResponse | None:
        return self.bulk(
            request, queryset, AssignForm, _("Assign initiatives"),
            _("The selected initiatives are given to this editor or administrator to look after. Only records "
              "in their region can be given to an editor."),
            lambda form: actions.assign_many(queryset, form.cleaned_data["assignee"],
                                             acting_user=signed_in(request.user)),
            lambda n: ngettext("%(count)d initiative assigned.", "%(count)d initiatives assigned.", n) % {"count": n})
