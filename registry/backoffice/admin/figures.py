"""Yearly figures and evidence of social value in the admin: scoped by the region of their initiative
as partnerships are (registry.roles), saved through registry.actions (history, the consent's who and
when), each with its history page."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.urls import path
from django.utils.translation import gettext_lazy as _

from registry import actions
from registry.backoffice.admin.parts import InitiativePartAdmin
from registry.importing.figures import check_figures, commit_figures
from registry.models import ConsentOrigin, SocialValueEvidence, YearlyFigures
from registry.roles import signed_in


class InitiativeRegion(InitiativePartAdmin):
    """A record that belongs to an initiative: seen in the initiative's region, changed by whoever may
    change the initiative."""

    autocomplete_fields = ["initiative"]
    list_select_related = ["initiative"]

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        # A record stays with its initiative: moving it would need both initiatives' regions.
        fields = list(super().get_readonly_fields(request, obj))
        return [*fields, "initiative"] if obj is not None else fields


class FiguresFileForm(forms.Form):
    file = forms.FileField(label=_("Figures file (CSV or XLSX)"))
    commit = forms.BooleanField(label=_("Save the figures when no row has an error"), required=False,
                                help_text=_("Without this, the file is only checked: nothing is written."))


@admin.register(YearlyFigures)
class YearlyFiguresAdmin(InitiativeRegion):
    change_list_template = "admin/registry/yearlyfigures/change_list.html"
    list_display = ["initiative", "year", "income_subsidy", "income_commissions", "income_own", "expenses",
                    "volunteers", "public"]
    list_filter = ["year", "public", "consent_origin"]
    search_fields = ["initiative__name", "initiative__external_id"]
    autocomplete_fields = ["initiative", "commissioning_partner"]
    readonly_fields = ["consent_recorded_at", "consent_recorded_by", "consent_origin"]
    fieldsets = [
        (None, {"fields": ["initiative", "year", "source"]}),
        (_("Income and expenses (€)"), {"fields": [
            "income_subsidy", "income_commissions", "commissioning_partner", "income_funds", "income_crowdfunding",
            "income_loans", "income_own", "income_membership", "income_donations", "income_partnerships",
            "expenses"]}),
        (_("People and places"), {"fields": ["volunteers", "paid_staff_fte", "people_reached", "work_places", "members",
                           "household_share", "premises"]}),
        (_("Publication"), {"fields": ["public", "consent_recorded_at", "consent_recorded_by", "consent_origin"]}),
    ]

    def get_urls(self) -> list[Any]:
        return [path("import/", self.admin_site.admin_view(self.import_view), name="registry_yearlyfigures_import"),
                *super().get_urls()]

    def import_view(self, request: HttpRequest) -> HttpResponse:
        """Check (and, when asked and without errors, save) a figures file: registry.importing.figures,
        all rows or none, the user's role and region applying to every row."""
        if not self.access(request).can_write:
            raise PermissionDenied
        form = FiguresFileForm(request.POST or None, request.FILES or None)
        report = None
        if request.method == "POST" and form.is_valid():
            upload = form.cleaned_data["file"]
            run = commit_figures if form.cleaned_data["commit"] else check_figures
            report = run(upload.read(), upload.name[:255], acting_user=signed_in(request.user))
        return TemplateResponse(request, "admin/registry/yearlyfigures/import.html", {
            **self.admin_site.each_context(request), "opts": self.opts, "form": form, "report": report,
            "title": _("Import yearly figures"), "rows": report.errors_first() if report is not None else []})

    def save_model(self, request: HttpRequest, obj: YearlyFigures, form: Any, change: bool) -> None:
        actions.save_figures(obj, acting_user=signed_in(request.user), origin=ConsentOrigin.MAINTAINER)

    def delete_model(self, request: HttpRequest, obj: YearlyFigures) -> None:
        actions.delete_figures(obj, acting_user=signed_in(request.user))

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[YearlyFigures]) -> None:
        for record in queryset:
            actions.delete_figures(record, acting_user=signed_in(request.user))


@admin.register(SocialValueEvidence)
class SocialValueEvidenceAdmin(InitiativeRegion):
    list_display = ["initiative", "method", "year", "figure", "assessed_by"]
    list_filter = ["method", "year"]
    search_fields = ["initiative__name", "assessed_by"]

    def save_model(self, request: HttpRequest, obj: SocialValueEvidence, form: Any, change: bool) -> None:
        actions.save_evidence(obj, acting_user=signed_in(request.user))

    def delete_model(self, request: HttpRequest, obj: SocialValueEvidence) -> None:
        actions.delete_evidence(obj, acting_user=signed_in(request.user))

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[SocialValueEvidence]) -> None:
        for record in queryset:
            actions.delete_evidence(record, acting_user=signed_in(request.user))
