from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib import admin, messages
from django.contrib.gis.admin import GISModelAdmin
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _
from simple_history.admin import SimpleHistoryAdmin

from geo.widgets import PointMapWidget
from registry import actions
from registry.models import (
    FundingSource,
    Initiative,
    Kind,
    Partner,
    PartnerKind,
    Partnership,
    PartnershipRole,
    Service,
    SlugAlias,
)


@admin.register(Kind, Service, PartnerKind, PartnershipRole, FundingSource)
class VocabularyAdmin(admin.ModelAdmin):
    list_display = ["code", "label_nl", "label_en", "order"]
    list_editable = ["label_nl", "label_en", "order"]
    search_fields = ["code", "label_nl", "label_en"]

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        # A published code is an identifier others rely on: it never changes after creation.
        return ["code"] if obj else []

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        # Deleting a term would silently strip it from initiatives and break published codes.
        return False


class PartnershipInline(admin.TabularInline):
    model = Partnership
    extra = 1
    autocomplete_fields = ["partner"]
    fields = ["partner", "role", "start", "end", "note"]


class SlugAliasInline(admin.TabularInline):
    model = SlugAlias
    extra = 0
    can_delete = False
    readonly_fields = ["slug", "created_at"]
    verbose_name_plural = _("old slugs (they redirect here)")

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Initiative)
class InitiativeAdmin(SimpleHistoryAdmin, GISModelAdmin):
    gis_widget = PointMapWidget
    list_display = ["name", "kind", "place", "municipality", "province", "status", "publication_state",
                    "last_verified_on"]
    list_filter = ["kind", "services", "province", "status", "publication_state", "location_precision",
                   "funding_sources"]
    search_fields = ["name", "slug", "place", "postcode", "short_description", "kvk_number",
                     "municipality__name"]
    list_select_related = ["kind", "municipality", "province"]
    filter_horizontal = ["services", "funding_sources"]
    readonly_fields = ["municipality", "province", "location_precision", "created_at", "updated_at"]
    prepopulated_fields = {"slug": ["name"]}
    inlines = [PartnershipInline, SlugAliasInline]
    actions = ["publish", "archive"]
    date_hierarchy = "updated_at"
    fieldsets = [
        (None, {"fields": ["name", "slug", "kind", "services", "short_description", "description"]}),
        (_("Organisation"), {"fields": ["legal_form", "kvk_number", "founded_year", "website", "email", "phone",
                                        "volunteers", "paid_staff", "reach_per_week", "funding_sources"]}),
        (_("Status"), {"fields": ["status", "stopped_on", "stop_reason"]}),
        (_("Address and location"), {
            "fields": ["street", "house_number", "postcode", "place", "location", "location_precision",
                       "municipality", "province"],
            "description": _("Municipality and province follow from the point. Without a point, the "
                             "centre of the postcode area is used and marked as approximate."),
        }),
        (_("Publication and provenance"), {"fields": ["publication_state", "source", "source_url",
                                                      "last_verified_on", "verification_method",
                                                      "created_at", "updated_at"]}),
    ]

    def save_model(self, request: HttpRequest, obj: Initiative, form: Any, change: bool) -> None:
        before = Initiative.objects.get(pk=obj.pk) if change else None
        actions.save_edit(obj, before)

    def apply_to_each(self, request: HttpRequest, queryset: QuerySet[Initiative],
                      action: Callable[[Initiative], bool], done: str) -> None:
        changed, refused = 0, []
        for initiative in queryset:
            try:
                changed += action(initiative)
            except ValidationError as error:
                refused.append(f"{initiative.name} ({'; '.join(error.messages)})")
        self.message_user(request, done % {"count": changed})
        if refused:
            self.message_user(request, _("Not changed, because the record is not valid: %(list)s")
                              % {"list": ", ".join(refused)}, level=messages.ERROR)

    @admin.action(description=_("Publish the selected initiatives"))
    def publish(self, request: HttpRequest, queryset: QuerySet[Initiative]) -> None:
        self.apply_to_each(request, queryset, actions.publish, _("%(count)d initiatives published."))

    @admin.action(description=_("Archive the selected initiatives"))
    def archive(self, request: HttpRequest, queryset: QuerySet[Initiative]) -> None:
        self.apply_to_each(request, queryset, actions.archive, _("%(count)d initiatives archived."))


@admin.register(Partner)
class PartnerAdmin(SimpleHistoryAdmin):
    list_display = ["name", "kind", "municipality", "kvk_number"]
    list_filter = ["kind"]
    search_fields = ["name", "slug", "kvk_number", "oin"]
    prepopulated_fields = {"slug": ["name"]}
    autocomplete_fields = ["municipality"]


@admin.register(Partnership)
class PartnershipAdmin(SimpleHistoryAdmin):
    list_display = ["initiative", "partner", "role", "start", "end"]
    list_filter = ["role", "partner__kind"]
    search_fields = ["initiative__name", "partner__name"]
    autocomplete_fields = ["initiative", "partner"]
    list_select_related = ["initiative", "partner", "role"]
