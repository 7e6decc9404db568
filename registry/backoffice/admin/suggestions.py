"""The moderation queue: suggestions from the public and from verification links, waiting ones first,
scoped by region; a review page per suggestion with the proposal beside the current values and the
buttons that approve or reject it through registry.actions. The review keeps the filter of the list it
was opened from: after a decision it goes on to the next waiting suggestion of that list."""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.contrib.admin.options import IncorrectLookupParameters
from django.contrib.admin.templatetags.admin_urls import add_preserved_filters
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Case, IntegerField, QuerySet, Value, When
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _

from registry import actions, duplicates, suggestions
from registry.backoffice.admin.base import RoleAdmin, reason_of
from registry.backoffice.lists import changelist
from registry.models import Initiative, PublicationState, Suggestion, SuggestionKind, SuggestionState
from registry.roles import NotAllowed, signed_in


@admin.register(Suggestion)
class SuggestionAdmin(RoleAdmin):
    list_display = ["created_at", "kind", "origin", "about", "municipality", "province", "state"]
    list_display_links = ["created_at", "about"]
    list_filter = ["state", "kind", "origin", "province"]
    list_select_related = ["initiative", "municipality", "province"]
    search_fields = ["initiative__name", "proposed__name", "message"]
    change_form_template = "admin/registry/suggestion/review.html"

    # -- who sees and decides what ----------------------------------------------------------------

    def get_queryset(self, request: HttpRequest) -> QuerySet[Suggestion]:
        waiting_first = Case(When(state=SuggestionState.PENDING, then=Value(0)), default=Value(1),
                             output_field=IntegerField())
        # Annotated before ordering (ModelAdmin.get_queryset orders before a subclass could annotate).
        return (self.model._default_manager.annotate(waiting_first=waiting_first)
                .filter(self.access(request).region()).order_by(*self.get_ordering(request)))

    def get_ordering(self, request: HttpRequest) -> list[str]:
        return ["waiting_first", "-created_at"]

    def has_add_permission(self, request: HttpRequest, *args: Any) -> bool:
        return False  # suggestions come from the public forms and verification links

    def can_decide(self, request: HttpRequest, suggestion: Suggestion) -> bool:
        access = self.access(request)
        if suggestion.state != SuggestionState.PENDING or not access.covers(suggestion.municipality_id,
                                                                            suggestion.province_id):
            return False
        if suggestion.kind != SuggestionKind.NEW and suggestion.initiative is not None:
            return access.can_change(suggestion.initiative)
        return access.can_write

    @admin.display(description=_("initiative"))
    def about(self, suggestion: Suggestion) -> str:
        return suggestions.describe(suggestion) or "—"

    # -- the review page ----------------------------------------------------------------------------

    def change_view(self, request: HttpRequest, object_id: str, form_url: str = "",
                    extra_context: dict[str, Any] | None = None) -> HttpResponse:
        if not self.has_view_permission(request):
            raise PermissionDenied
        suggestion = self.get_object(request, object_id)
        if suggestion is None:  # unknown, or outside the user's region
            self.message_user(request, _("There is no such suggestion in your region."), level=messages.WARNING)
            return HttpResponseRedirect(self.list_url(request))
        if request.method == "POST":
            return self.decide(request, suggestion)
        problems: list[str] = []
        similar: list[Any] = []
        if suggestion.state == SuggestionState.PENDING:
            problems, similar = self.approval_preview(request, suggestion)
        initiative = suggestion.initiative
        following = self.next_in_queue(request, suggestion)
        return TemplateResponse(request, self.change_form_template, {
            **self.admin_site.each_context(request), "opts": self.opts, "original": suggestion,
            "title": capfirst(str(suggestion)), "suggestion": suggestion, "rows": suggestions.rows(suggestion),
            "is_new": suggestion.kind == SuggestionKind.NEW, "problems": problems, "similar": similar,
            "can_decide": self.can_decide(request, suggestion),
            "next_url": self.review_url(request, following) if following is not None else None,
            "list_url": self.list_url(request),
            "public_url": (reverse("registry:initiative", args=[initiative.slug])
                           if initiative is not None and initiative.publication_state == PublicationState.PUBLISHED
                           else None),
        })

    def approval_preview(self, request: HttpRequest, suggestion: Suggestion) -> tuple[list[str], list[Any]]:
        """Whether approving would succeed now (the model's messages if not) and, for a new
        initiative, the records it may duplicate."""
        stored = suggestion.initiative if suggestion.kind != SuggestionKind.NEW else None
        if suggestion.kind == SuggestionKind.FIGURES and stored is not None:
            try:
                suggestions.build_figures(suggestion.proposed, stored).full_clean()
            except ValidationError as error:
                return error.messages, []
            return [], []
        try:
            record = suggestions.build(suggestion.kind, suggestion.proposed, stored)
            record.full_clean()
        except ValidationError as error:
            return error.messages, []
        if stored is None:
            matches = duplicates.similar_to(record)
            visible = set(Initiative.objects.filter(self.access(request).region())
                          .filter(pk__in=[match.second_id for match in matches]).values_list("pk", flat=True))
            return [], [{"other": match.other, "distance_m": match.distance_m, "score": match.score,
                         "reasons": duplicates.explain(match.reasons)}
                        for match in matches if match.second_id in visible][:5]
        return [], []

    def decide(self, request: HttpRequest, suggestion: Suggestion) -> HttpResponse:
        decision, note = request.POST.get("decision"), request.POST.get("note", "").strip()
        review = self.review_url(request, suggestion)
        following = self.next_in_queue(request, suggestion)  # where it stands in the list before it leaves
        try:
            if decision == "approve":
                record = actions.approve_suggestion(suggestion, acting_user=signed_in(request.user), note=note)
                done = (_("Approved: “%(name)s” is added to the register and published.")
                        if suggestion.kind == SuggestionKind.NEW else _("Approved: “%(name)s” is updated."))
                self.message_user(request, done % {"name": record.name}, level=messages.SUCCESS)
            elif decision == "reject":
                actions.reject_suggestion(suggestion, acting_user=signed_in(request.user), note=note)
                self.message_user(request, _("Rejected; the suggestion is kept with your note."),
                                  level=messages.SUCCESS)
            else:
                self.message_user(request, _("Choose to approve or to reject."), level=messages.ERROR)
                return HttpResponseRedirect(review)
        except (ValidationError, NotAllowed) as error:
            self.message_user(request, _("Not done: %(reason)s") % {"reason": reason_of(error)},
                              level=messages.ERROR)
            return HttpResponseRedirect(review)
        if following is not None:
            return HttpResponseRedirect(self.review_url(request, following))
        self.message_user(request, _("No more suggestions waiting in this list."))
        return HttpResponseRedirect(self.list_url(request))

    # -- the queue the review was opened from --------------------------------------------------------

    def preserved(self, request: HttpRequest) -> dict[str, Any]:
        return {"preserved_filters": self.get_preserved_filters(request), "opts": self.opts}

    def list_url(self, request: HttpRequest) -> str:
        return add_preserved_filters(self.preserved(request), reverse("admin:registry_suggestion_changelist"))

    def review_url(self, request: HttpRequest, suggestion: Suggestion) -> str:
        return add_preserved_filters(self.preserved(request),
                                     reverse("admin:registry_suggestion_change", args=[suggestion.pk]))

    def next_in_queue(self, request: HttpRequest, suggestion: Suggestion) -> Suggestion | None:
        """The next waiting suggestion after this one in the list the review was opened from (its filters,
        search and order), else the first waiting one before it."""
        try:
            listed = changelist(self, request, request.GET.get("_changelist_filters", "")).queryset
        except IncorrectLookupParameters:
            listed = self.get_queryset(request)
        order = list(listed.values_list("pk", flat=True))
        waiting = set(listed.filter(state=SuggestionState.PENDING).values_list("pk", flat=True)) - {suggestion.pk}
        after = order[order.index(suggestion.pk) + 1:] if suggestion.pk in order else order
        found = next((pk for pk in [*after, *order] if pk in waiting), None)
        return Suggestion.objects.get(pk=found) if found is not None else None
