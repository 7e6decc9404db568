"""Possible duplicates and merges: each pair side by side with its differences marked, a choice per field
of which value to keep, a confirmation that says what the merge will do (registry.merging.plan), and
the undo of a merge for MERGE_UNDO_DAYS days (registry.merging.undo_plan). The work itself is done by
registry.actions.merge and registry.actions.undo_merge."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, QueryDict
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import formats, timezone
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from registry import actions, duplicates, merging
from registry.backoffice.admin.base import RoleAdmin, reason_of
from registry.models import DuplicateCandidate, DuplicateDecision, Initiative, Merge
from registry.roles import NotAllowed, signed_in

FIRST, SECOND = "first", "second"


def local(moment: Any) -> str:
    return formats.date_format(timezone.localtime(moment), "DATETIME_FORMAT")


@admin.register(Merge)
class MergeAdmin(RoleAdmin):
    """Merges, newest first, each with its undo while that is possible."""

    list_display = ["removed_name", "removed_id", "kept", "merged_by", "merged_at", "undo"]
    search_fields = ["removed_name", "removed_slug", "kept__name"]
    readonly_fields = ["kept", "removed_id", "removed_name", "removed_slug", "merged_by", "merged_at", "undone_at",
                       "undone_by"]
    exclude = ["details"]
    list_select_related = ["kept", "merged_by"]

    def get_queryset(self, request: HttpRequest) -> QuerySet[Merge]:
        return super().get_queryset(request).filter(self.access(request).region("kept__"))

    def has_add_permission(self, request: HttpRequest, *args: Any) -> bool:
        return False  # a merge is made from the duplicate review

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def get_urls(self) -> list[Any]:
        return [path("<int:pk>/undo/", self.admin_site.admin_view(self.undo_view), name="registry_merge_undo"),
                *super().get_urls()]

    @admin.display(description=_("undo"))
    def undo(self, merge: Merge) -> str:
        if merge.undone_at is not None:
            return format_html("{} {}", _("undone on"), local(merge.undone_at))
        if not merge.details or timezone.now() > merging.undo_until(merge):
            return "—"
        return format_html('<a href="{}">{}</a>', reverse("admin:registry_merge_undo", args=[merge.pk]),
                           _("Undo (until %(date)s)") % {"date": local(merging.undo_until(merge))})

    def undo_view(self, request: HttpRequest, pk: int) -> HttpResponse:
        """What undoing the merge changes, and the button that does it."""
        merge = self.get_queryset(request).filter(pk=pk).first()
        if merge is None:
            self.message_user(request, _("There is no such merge in your region."), level=messages.WARNING)
            return HttpResponseRedirect(reverse("admin:registry_merge_changelist"))
        plan = merging.undo_plan(merge)
        can_undo = plan.possible and plan.kept is not None and self.access(request).can_change(plan.kept)
        if request.method == "POST":
            if not can_undo:
                raise PermissionDenied
            try:
                restored = actions.undo_merge(merge, acting_user=signed_in(request.user))
            except (ValidationError, NotAllowed) as error:
                self.message_user(request, _("Not undone: %(reason)s") % {"reason": reason_of(error)},
                                  level=messages.ERROR)
                return HttpResponseRedirect(reverse("admin:registry_merge_undo", args=[merge.pk]))
            self.message_user(request, _("The merge is undone: “%(name)s” is back, with its own address.")
                              % {"name": restored.name}, level=messages.SUCCESS)
            return HttpResponseRedirect(reverse("admin:registry_initiative_change", args=[restored.pk]))
        return TemplateResponse(request, "admin/registry/merge/undo.html", {
            **self.admin_site.each_context(request), "opts": self.opts, "original": merge,
            "title": _("Undo the merge of “%(name)s”") % {"name": merge.removed_name},
            "merge": merge, "plan": plan, "can_undo": can_undo, "until": merging.undo_until(merge),
        })


@admin.register(DuplicateCandidate)
class DuplicateCandidateAdmin(RoleAdmin):
    """The review of possible duplicates: each pair side by side with a choice per field, merged after a
    confirmation, or marked as different."""

    list_display = ["first", "second", "score_percent", "why", "places", "decision", "found_at"]
    list_filter = ["decision"]
    list_select_related = ["first__municipality", "second__municipality"]
    search_fields = ["first__name", "second__name"]
    change_form_template = "admin/registry/duplicatecandidate/compare.html"

    def get_queryset(self, request: HttpRequest) -> QuerySet[DuplicateCandidate]:
        # Only pairs of two records in the region: a pair across its border is for an administrator.
        region = self.access(request).region
        return super().get_queryset(request).filter(region("first__")).filter(region("second__"))

    def changelist_view(self, request: HttpRequest, extra_context: dict[str, Any] | None = None) -> HttpResponse:
        if "decision__exact" not in request.GET and "_changelist_filters" not in request.GET and not request.GET:
            return HttpResponseRedirect(f"{request.path}?decision__exact={DuplicateDecision.OPEN}")
        return super().changelist_view(request, extra_context)

    @admin.display(description=_("score"), ordering="-score")
    def score_percent(self, candidate: DuplicateCandidate) -> str:
        return f"{candidate.score:.0%}"

    @admin.display(description=_("why"))
    def why(self, candidate: DuplicateCandidate) -> str:
        return duplicates.explain(candidate.reasons) or _("names %(percent)s alike, %(distance)s m apart") % {
            "percent": f"{candidate.name_similarity:.0%}", "distance": f"{candidate.distance_m:.0f}"}

    @admin.display(description=_("municipalities"))
    def places(self, candidate: DuplicateCandidate) -> str:
        return " / ".join(dict.fromkeys(str(i.municipality or "—") for i in (candidate.first, candidate.second)))

    def has_add_permission(self, request: HttpRequest, *args: Any) -> bool:
        return False  # pairs are found, not typed

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    # -- the pair, the choice, the confirmation ------------------------------------------------------

    def change_view(self, request: HttpRequest, object_id: str, form_url: str = "",
                    extra_context: dict[str, Any] | None = None) -> HttpResponse:
        candidate = self.get_object(request, object_id)
        if candidate is None:
            return HttpResponseRedirect(reverse("admin:registry_duplicatecandidate_changelist"))
        access = self.access(request)
        can_decide = access.can_change(candidate.first) and access.can_change(candidate.second)
        if request.method == "POST":
            if not can_decide:
                raise PermissionDenied
            return self.decide(request, candidate)
        first, second = candidate.first, candidate.second
        plan = merging.plan(first, second)
        # A value is chosen beforehand only where that does not depend on which record stays (the one
        # that has a value, the newer verification); otherwise the record that stays keeps its own.
        if_second_stays = merging.default_take(second, first)
        rows = []
        for row in plan.rows:
            if_first = FIRST if row.take == merging.KEPT else SECOND
            if_second = SECOND if if_second_stays[row.key] == merging.KEPT else FIRST
            rows.append({"row": row, "choice": if_first if if_first == if_second else None})
        return TemplateResponse(request, self.change_form_template, {
            **self.admin_site.each_context(request), "opts": self.opts, "original": candidate,
            "title": _("Possible duplicate"), "candidate": candidate, "first": first, "second": second,
            "can_decide": can_decide, "rows": rows, "differences": sum(row.differs for row in plan.rows),
            "score_percent": self.score_percent(candidate), "why": self.why(candidate),
        })

    @staticmethod
    def chosen(candidate: DuplicateCandidate, data: QueryDict) -> tuple[Initiative, Initiative, dict[str, str]]:
        """The record to keep and, per field group, the record whose value is kept, from the form (by side:
        first or second), as the merge takes them (kept or removed)."""
        keep = data.get("keep", FIRST)
        if keep not in (FIRST, SECOND):
            raise ValidationError(_("Choose which record to keep."))
        kept, removed = ((candidate.first, candidate.second) if keep == FIRST
                         else (candidate.second, candidate.first))
        take = {}
        for group in merging.GROUPS:
            side = data.get(f"value-{group.key}")
            if side in (FIRST, SECOND):
                take[group.key] = merging.KEPT if side == keep else merging.REMOVED
        return kept, removed, take

    def decide(self, request: HttpRequest, candidate: DuplicateCandidate) -> HttpResponse:
        decision = request.POST.get("decision")
        back = reverse("admin:registry_duplicatecandidate_change", args=[candidate.pk])
        try:
            if decision == "distinct":
                actions.mark_distinct(candidate, acting_user=signed_in(request.user))
                self.message_user(request, _("Marked as two different initiatives; this pair will not be proposed "
                                             "again."))
                return HttpResponseRedirect(reverse("admin:registry_duplicatecandidate_changelist"))
            if decision not in ("review", "merge"):
                self.message_user(request, _("Choose what to do with this pair."), level=messages.ERROR)
                return HttpResponseRedirect(back)
            kept, removed, take = self.chosen(candidate, request.POST)
            if decision == "review":
                return self.confirmation(request, candidate, merging.plan(kept, removed, take))
            removed_id = removed.pk
            actions.merge(kept, removed, acting_user=signed_in(request.user), take=take)
        except (ValidationError, NotAllowed) as error:
            self.message_user(request, _("Not done: %(reason)s") % {"reason": reason_of(error)}, level=messages.ERROR)
            return HttpResponseRedirect(back)
        merge = Merge.objects.filter(removed_id=removed_id, undone_at__isnull=True).first()
        if merge is not None:
            self.message_user(request, format_html(
                '{} <a href="{}">{}</a>',
                _("“%(removed)s” is merged into “%(kept)s”; its address now leads here.")
                % {"removed": merge.removed_name, "kept": kept.name},
                reverse("admin:registry_merge_undo", args=[merge.pk]),
                _("Undo the merge (until %(date)s)") % {"date": local(merging.undo_until(merge))}),
                level=messages.SUCCESS)
        return HttpResponseRedirect(reverse("admin:registry_initiative_change", args=[kept.pk]))

    def confirmation(self, request: HttpRequest, candidate: DuplicateCandidate, plan: merging.MergePlan
                     ) -> HttpResponse:
        """What the merge will do, with the choices made, and the button that merges."""
        keep = FIRST if plan.kept.pk == candidate.first_id else SECOND
        other = SECOND if keep == FIRST else FIRST
        choices = [(row.key, keep if row.take == merging.KEPT else other) for row in plan.rows]
        return TemplateResponse(request, "admin/registry/duplicatecandidate/confirm.html", {
            **self.admin_site.each_context(request), "opts": self.opts, "original": candidate,
            "title": _("Merge “%(removed)s” into “%(kept)s”?") % {"removed": plan.removed.name,
                                                                 "kept": plan.kept.name},
            "candidate": candidate, "plan": plan, "keep": keep, "choices": choices,
            "undo_days": settings.MERGE_UNDO_DAYS,
        })
