"""Initiatives, partners and partnerships in the admin: scoped by region, changed through
registry.actions, with history and revert, deleted records that can be restored, the records to
verify by region, and the review of possible duplicates."""

from __future__ import annotations

import datetime
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, ClassVar

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.contrib.gis.admin import GISModelAdmin
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Exists, OuterRef, QuerySet, TextChoices, TextField
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import formats, timezone
from django.utils.translation import gettext_lazy as _
from simple_history.admin import SimpleHistoryAdmin
from simple_history.template_utils import HistoricalRecordContextHelper

from geo.models import Province
from geo.widgets import PointMapWidget
from registry import actions, verification
from registry.backoffice.admin.base import RoleAdmin, reason_of
from registry.models import (
    DuplicateCandidate,
    DuplicateDecision,
    FundingSource,
    Initiative,
    Kind,
    LocationPrecision,
    Merge,
    Partner,
    PartnerKind,
    Partnership,
    PartnershipRole,
    Service,
    SlugAlias,
)
from registry.querysets import InitiativeQuerySet, stale_cutoff
from registry.roles import Access, NotAllowed, access_for, signed_in

if TYPE_CHECKING:
    from django.template.response import _TemplateForResponseT
    from django_stubs_ext import StrOrPromise

# Degrees: about a centimetre. A point within this of the stored one was not moved.
POINT_TOLERANCE = 1e-7


@admin.register(Kind, Service, PartnerKind, PartnershipRole, FundingSource)
class VocabularyAdmin(RoleAdmin):
    list_display = ["code", "label_nl", "label_en", "order"]
    list_editable = ["label_nl", "label_en", "order"]
    search_fields = ["code", "label_nl", "label_en"]

    def has_add_permission(self, request: HttpRequest, *args: Any) -> bool:
        return self.access(request).is_administrator  # the vocabularies are national

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return self.access(request).is_administrator

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        # A published code is an identifier others rely on: it never changes after creation.
        return ["code"] if obj else []

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        # Deleting a term would silently strip it from initiatives and break published codes.
        return False

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        actions.save_term(obj, acting_user=signed_in(request.user))


class PartnershipInline(admin.TabularInline):
    model = Partnership
    extra = 1
    formfield_overrides = {TextField: {"widget": forms.Textarea(attrs={"rows": 2, "cols": 30})}}
    autocomplete_fields = ["partner"]
    fields = ["partner", "role", "start", "end", "note"]

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return access_for(request.user).is_maintainer

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        access = access_for(request.user)
        return access.can_change(obj) if obj is not None else access.can_write

    has_change_permission = has_delete_permission = has_add_permission


class SlugAliasInline(admin.TabularInline):
    model = SlugAlias
    extra = 0
    can_delete = False
    readonly_fields = ["slug", "created_at"]
    verbose_name_plural = _("old slugs (they redirect here)")

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return access_for(request.user).is_maintainer

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class FreshnessFilter(admin.SimpleListFilter):
    title = _("verification")
    parameter_name = "freshness"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, Any]]:
        return [("stale", _("stale: not verified for a year or never")), ("fresh", _("verified within a year"))]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Initiative]) -> QuerySet[Initiative]:
        assert isinstance(queryset, InitiativeQuerySet), "the initiatives of InitiativeAdmin.get_queryset"
        if self.value() == "stale":
            return queryset.stale()
        if self.value() == "fresh":
            return queryset.fresh()
        return queryset


class PointAfterPostcode(TextChoices):
    MOVE = "move", _("Move the point to the centre of the new postcode area (approximate)")
    KEEP = "keep", _("Keep the point where it is")


class InitiativeForm(forms.ModelForm):
    """The model's own validation, then the editor's region: a record cannot be placed outside it.

    A point nobody moved stays exactly as stored. A new postcode moves a point that came from the
    old postcode (the model does that); a point placed by hand is moved only when the editor says
    so, because a new postcode may also be a correction of a typing error.
    """

    access: Access = access_for(None)
    # Shown (as a question) only when the postcode changed under a point placed by hand.
    point_after_postcode = forms.ChoiceField(label=_("The postcode changed"), choices=PointAfterPostcode.choices,
                                             required=False, widget=forms.HiddenInput)

    def clean_location(self) -> Any:
        location = self.cleaned_data.get("location")
        stored = self.instance.location if self.instance.pk else None
        if location is not None and stored is not None and stored.equals_exact(location, tolerance=POINT_TOLERANCE):
            return stored  # the same point, not a copy rounded on its way through the browser
        return location

    def clean(self) -> dict[str, Any]:
        super().clean()
        cleaned = self.cleaned_data
        if self._postcode_moved_under_placed_point(cleaned):
            choice = cleaned.get("point_after_postcode")
            if choice == PointAfterPostcode.MOVE:
                cleaned["location"] = None  # the model takes the centre of the new postcode area
            elif choice != PointAfterPostcode.KEEP:
                self.fields["point_after_postcode"].widget = forms.RadioSelect(choices=PointAfterPostcode.choices)
                self.add_error("point_after_postcode", _(
                    "The postcode changed from %(old)s to %(new)s, but the point on the map was placed by hand "
                    "and did not move. Move it to the new postcode area, or keep it where it is?")
                    % {"old": self.instance.postcode or "—", "new": cleaned.get("postcode")})
        return cleaned

    def _postcode_moved_under_placed_point(self, cleaned: dict[str, Any]) -> bool:
        stored = self.instance
        return bool(stored.pk and stored.location is not None
                    and stored.location_precision == LocationPrecision.EXACT
                    and cleaned.get("postcode") and cleaned.get("postcode") != stored.postcode
                    and "postcode" not in self.errors
                    and cleaned.get("location") is not None and "location" not in self.changed_data)

    def _post_clean(self) -> None:
        # The model's full_clean: the areas are derived from the point here.
        super()._post_clean()  # type: ignore[misc]  # BaseModelForm's, which django-stubs leaves out
        if "location" not in self.errors and "postcode" not in self.errors:
            try:
                self.access.check_place(self.instance)
            except ValidationError as error:
                self._update_errors(error)  # type: ignore[attr-defined]  # as _post_clean


class ReadableChanges(HistoricalRecordContextHelper):
    """The history's changes with the labels of choices rather than their codes."""

    def prepare_delta_change_value(self, change: Any, value: Any) -> Any:
        field = self.model._meta.get_field(change.field)
        if getattr(field, "choices", None) and not field.many_to_many:
            return dict(field.choices).get(value, value) if value not in ("", None) else "—"
        prepared = super().prepare_delta_change_value(change, value)
        return "—" if prepared in ("", None, []) else prepared


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


@admin.register(Initiative)
class InitiativeAdmin(RoleAdmin, HistoryAdmin, GISModelAdmin):
    form = InitiativeForm
    gis_widget = PointMapWidget  # type: ignore[assignment]  # a class; django-stubs types it as an instance
    change_list_template = "admin/registry/initiative/change_list.html"
    list_display = ["name", "kind", "place", "municipality", "province", "status", "publication_state",
                    "last_verified_on"]
    list_filter = [FreshnessFilter, "kind", "services", "province", "status", "publication_state",
                   "location_precision", "funding_sources"]
    search_fields = ["name", "slug", "place", "postcode", "short_description", "kvk_number",
                     "municipality__name", "external_id"]
    list_select_related = ["kind", "municipality", "province"]
    filter_horizontal = ["services", "funding_sources"]
    readonly_fields = ["municipality", "province", "location_precision", "created_at", "updated_at"]
    prepopulated_fields = {"slug": ["name"]}
    inlines = [PartnershipInline, SlugAliasInline]
    actions = ["publish", "archive", "send_verification_email", "download_verification_links"]
    date_hierarchy = "updated_at"
    fieldsets = [
        (None, {"fields": ["name", "slug", "kind", "services", "short_description", "description"]}),
        (_("Organisation"), {"fields": ["legal_form", "kvk_number", "founded_year", "website", "email", "phone",
                                        "volunteers", "paid_staff", "reach_per_week", "funding_sources"]}),
        (_("Status"), {"fields": ["status", "stopped_on", "stop_reason"]}),
        (_("Address and location"), {
            "fields": ["street", "house_number", "postcode", "point_after_postcode", "place", "location",
                       "location_precision",
                       "municipality", "province"],
            "description": _("Municipality and province follow from the point. Without a point, the "
                             "centre of the postcode area is used and marked as approximate."),
        }),
        (_("Publication and provenance"), {"fields": ["publication_state", "source", "source_url", "external_id",
                                                      "last_verified_on", "verification_method",
                                                      "created_at", "updated_at"]}),
    ]

    # -- who sees and changes what --------------------------------------------------------------

    def get_queryset(self, request: HttpRequest) -> InitiativeQuerySet:
        queryset = super().get_queryset(request)
        assert isinstance(queryset, InitiativeQuerySet), "made by Initiative's only manager"
        return self.access(request).initiatives(queryset)

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        # Also asked for the history of a deleted record, which get_queryset cannot scope.
        access = self.access(request)
        return access.is_maintainer and (obj is None or access.covers_initiative(obj))

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        access = self.access(request)
        return access.can_change(obj) if obj is not None else access.can_write

    has_delete_permission = has_change_permission

    def get_form(self, request: HttpRequest, obj: Any = None, change: bool = False, **kwargs: Any) -> Any:
        form = super().get_form(request, obj, change=change, **kwargs)
        return type(form.__name__, (form,), {"access": self.access(request)})

    def get_deleted_objects(self, objs: Any, request: HttpRequest) -> Any:
        # Django would also ask the admins of what goes with a record (its duplicate pairs, its
        # suggestions) for their delete permission; whether the record may go is asked above.
        deleted, counts, _perms_needed, protected = super().get_deleted_objects(objs, request)
        return deleted, counts, set(), protected

    def get_actions(self, request: HttpRequest) -> dict[str, Any]:
        found = super().get_actions(request)
        return found if self.access(request).can_write else {}

    # -- changes go through the domain actions --------------------------------------------------

    def get_fieldsets(self, request: HttpRequest, obj: Any = None) -> Any:
        fieldsets = super().get_fieldsets(request, obj)
        if obj is not None and not self.has_change_permission(request, obj):  # nothing to ask a reader
            return [(name, {**options, "fields": [f for f in options["fields"] if f != "point_after_postcode"]})
                    for name, options in fieldsets]
        return fieldsets

    def save_model(self, request: HttpRequest, obj: Initiative, form: Any, change: bool) -> None:
        """Saved in save_related, with its services, funding sources and partnerships, as one change."""

    def save_related(self, request: HttpRequest, form: Any, formsets: Any, change: bool) -> None:
        obj = form.instance
        before = Initiative.objects.get(pk=obj.pk) if change else None
        partnerships = actions.PartnershipChanges()
        others = []
        for formset in formsets:
            if formset.model is Partnership:
                partnerships.saved.extend(formset.save(commit=False))
                partnerships.deleted.extend(formset.deleted_objects)
            else:
                others.append(formset)
        actions.save_edit(obj, before, acting_user=signed_in(request.user), services=form.cleaned_data["services"],
                          funding_sources=form.cleaned_data["funding_sources"], partnerships=partnerships)
        for formset in others:  # the old slugs, shown read-only: nothing to save, but the admin's log asks
            formset.save()
        if (before is not None and obj.location_precision == LocationPrecision.POSTCODE
                and not obj.location.equals_exact(before.location, tolerance=POINT_TOLERANCE)):
            self.message_user(request, _("The point moved to the centre of postcode area %(postcode)s "
                                         "(approximate); place it on the map for the exact location.")
                              % {"postcode": obj.postcode}, level=messages.WARNING)

    def delete_model(self, request: HttpRequest, obj: Initiative) -> None:
        actions.delete(obj, acting_user=signed_in(request.user))

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[Initiative]) -> None:
        for initiative in queryset:
            actions.delete(initiative, acting_user=signed_in(request.user))

    def apply_to_each(self, request: HttpRequest, queryset: QuerySet[Initiative],
                      action: Callable[..., bool], done: StrOrPromise) -> None:
        user = signed_in(request.user)
        changed, invalid, refused = 0, [], []
        for initiative in queryset:
            try:
                changed += action(initiative, acting_user=user)
            except ValidationError as error:
                invalid.append(f"{initiative.name} ({'; '.join(error.messages)})")
            except NotAllowed as error:
                refused.append(f"{initiative.name} ({error})")
        self.message_user(request, done % {"count": changed})
        if invalid:
            self.message_user(request, _("Not changed, because the record is not valid: %(list)s")
                              % {"list": ", ".join(invalid)}, level=messages.ERROR)
        if refused:
            self.message_user(request, _("Not changed, because your role does not allow it: %(list)s")
                              % {"list": ", ".join(refused)}, level=messages.ERROR)

    @admin.action(description=_("Publish the selected initiatives"))
    def publish(self, request: HttpRequest, queryset: QuerySet[Initiative]) -> None:
        self.apply_to_each(request, queryset, actions.publish, _("%(count)d initiatives published."))

    @admin.action(description=_("Archive the selected initiatives"))
    def archive(self, request: HttpRequest, queryset: QuerySet[Initiative]) -> None:
        self.apply_to_each(request, queryset, actions.archive, _("%(count)d initiatives archived."))

    # -- history: revert, deleted records ---------------------------------------------------------

    def get_urls(self) -> list[Any]:
        view = self.admin_site.admin_view
        return [
            path("deleted/", view(self.deleted_view), name="registry_initiative_deleted"),
            path("deleted/<int:history_id>/restore/", view(self.restore_view), name="registry_initiative_restore"),
            path("stale/", view(self.stale_view), name="registry_initiative_stale"),
            *super().get_urls(),
        ]

    def history_form_view(self, request: HttpRequest, object_id: str, version_id: str,
                          extra_context: dict[str, Any] | None = None) -> HttpResponse:
        """One version beside the record as it is now, with a button that reverts to it."""
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
        current = initiative.history.latest()
        delta = current.diff_against(version, foreign_keys_are_objs=True)
        changes = ReadableChanges(Initiative, version).context_for_delta_changes(delta)
        return TemplateResponse(request, "admin/registry/initiative/revert.html", {
            **self.admin_site.each_context(request), "opts": self.opts, "original": initiative,
            "title": (_("Revert “%(name)s”") if can_revert else _("A version of “%(name)s”"))
            % {"name": initiative.name},
            "version": version,
            "changes": changes, "can_revert": can_revert,
        })

    def deleted_view(self, request: HttpRequest) -> HttpResponse:
        """Deleted records (not the ones merged into another), newest first, each restorable."""
        history = Initiative.history.model
        deletions = (history.objects.filter(history_type="-")
                     .exclude(Exists(Initiative.objects.filter(pk=OuterRef("id"))))
                     .exclude(Exists(Merge.objects.filter(removed_id=OuterRef("id"))))
                     .filter(self.access(request).region())
                     .select_related("history_user", "municipality").order_by("-history_date")[:200])
        return TemplateResponse(request, "admin/registry/initiative/deleted.html", {
            **self.admin_site.each_context(request), "opts": self.opts, "title": _("Deleted initiatives"),
            "deletions": deletions, "can_restore": self.access(request).can_write,
        })

    def restore_view(self, request: HttpRequest, history_id: int) -> HttpResponse:
        if request.method != "POST":
            return HttpResponseRedirect(reverse("admin:registry_initiative_deleted"))
        try:
            initiative = actions.restore(history_id, acting_user=signed_in(request.user))
        except Initiative.history.model.DoesNotExist:
            raise Http404 from None
        except (ValidationError, NotAllowed) as error:
            self.message_user(request, _("Not restored: %(reason)s") % {"reason": reason_of(error)},
                              level=messages.ERROR)
            return HttpResponseRedirect(reverse("admin:registry_initiative_deleted"))
        self.message_user(request, _("“%(name)s” is restored.") % {"name": initiative.name})
        return HttpResponseRedirect(reverse("admin:registry_initiative_change", args=[initiative.pk]))

    def stale_view(self, request: HttpRequest) -> HttpResponse:
        """Per province (within the user's region): how many running records were not verified for
        a year, linking to the list of them."""
        stale = self.access(request).initiatives().stale()
        counts = {row["province"]: row["count"] for row in stale.counts_by("province")}
        running = {row["province"]: row["count"] for row in self.access(request).initiatives()
                   .exclude(status="gestopt").counts_by("province")}
        provinces = [(province, counts.get(province.pk, 0), running.get(province.pk, 0))
                     for province in Province.objects.filter(pk__in=running).order_by("name")]
        return TemplateResponse(request, "admin/registry/initiative/stale.html", {
            **self.admin_site.each_context(request), "opts": self.opts, "title": _("Records to verify"),
            "provinces": provinces, "total": sum(counts.values()), "cutoff": stale_cutoff(),
        })

    # -- verification links (registry/verification.py) -------------------------------------------

    def changeable(self, request: HttpRequest, queryset: QuerySet[Initiative]) -> list[Initiative]:
        access = self.access(request)
        return [initiative for initiative in queryset.select_related("municipality", "province")
                if access.can_change(initiative)]

    @admin.action(description=_("Send verification e-mail"), permissions=["change"])
    def send_verification_email(self, request: HttpRequest, queryset: QuerySet[Initiative]) -> None:
        """Each selected initiative gets its link at the organisation's public e-mail address."""
        result = verification.send_links(self.changeable(request, queryset))
        self.message_user(request, _("Verification e-mail sent to %(count)d initiatives.")
                          % {"count": len(result.sent)})
        if result.without_email:
            self.message_user(request, _("Not sent, because the record has no public e-mail address: %(list)s")
                              % {"list": ", ".join(i.name for i in result.without_email)}, level=messages.WARNING)
        if result.failed:
            self.message_user(request, _("Not sent, because sending failed (see the log): %(list)s")
                              % {"list": ", ".join(i.name for i in result.failed)}, level=messages.ERROR)

    @admin.action(description=_("Download verification links (CSV)"), permissions=["change"])
    def download_verification_links(self, request: HttpRequest, queryset: QuerySet[Initiative]) -> HttpResponse:
        """A new link for each selected initiative, to send some other way (mail merge, a letter)."""
        response = HttpResponse(content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = 'attachment; filename="verification-links.csv"'
        verification.write_csv(self.changeable(request, queryset), response)
        return response


@admin.register(Partner)
class PartnerAdmin(RoleAdmin, HistoryAdmin):
    list_display = ["name", "kind", "municipality", "kvk_number"]
    list_filter = ["kind"]
    search_fields = ["name", "slug", "kvk_number", "oin"]
    prepopulated_fields = {"slug": ["name"]}
    autocomplete_fields = ["municipality"]

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        access = self.access(request)
        return access.can_change_partner(obj) if obj is not None else access.can_write

    def save_model(self, request: HttpRequest, obj: Partner, form: Any, change: bool) -> None:
        before = Partner.objects.get(pk=obj.pk) if change else None
        actions.save_partner(obj, before, acting_user=signed_in(request.user))

    def delete_model(self, request: HttpRequest, obj: Partner) -> None:
        actions.delete_partner(obj, acting_user=signed_in(request.user))

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[Partner]) -> None:
        for partner in queryset:
            actions.delete_partner(partner, acting_user=signed_in(request.user))


@admin.register(Partnership)
class PartnershipAdmin(RoleAdmin, HistoryAdmin):
    list_display = ["initiative", "partner", "role", "start", "end"]
    list_filter = ["role", "partner__kind"]
    search_fields = ["initiative__name", "partner__name"]
    autocomplete_fields = ["initiative", "partner"]
    list_select_related = ["initiative", "partner", "role"]

    def get_queryset(self, request: HttpRequest) -> QuerySet[Partnership]:
        return super().get_queryset(request).filter(self.access(request).region("initiative__"))

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        access = self.access(request)
        if obj is None or not access.is_maintainer:
            return access.is_maintainer
        # Also asked for the history of a partnership whose initiative is gone: its last version.
        initiative = (Initiative.objects.filter(pk=obj.initiative_id).first()
                      or Initiative.history.filter(id=obj.initiative_id).order_by("-history_id").first())
        return initiative is not None and access.covers(initiative.municipality_id, initiative.province_id)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        access = self.access(request)
        return access.can_change(obj.initiative) if obj is not None else access.can_write

    has_delete_permission = has_change_permission

    def save_model(self, request: HttpRequest, obj: Partnership, form: Any, change: bool) -> None:
        before = Partnership.objects.get(pk=obj.pk) if change else None
        actions.save_partnership(obj, before, acting_user=signed_in(request.user))

    def delete_model(self, request: HttpRequest, obj: Partnership) -> None:
        actions.delete_partnership(obj, acting_user=signed_in(request.user))

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[Partnership]) -> None:
        for partnership in queryset:
            actions.delete_partnership(partnership, acting_user=signed_in(request.user))

    def formfield_for_foreignkey(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        if db_field.name == "initiative":  # only initiatives the user may change
            kwargs["queryset"] = self.access(request).initiatives()
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


@admin.register(Merge)
class MergeAdmin(RoleAdmin):
    def get_queryset(self, request: HttpRequest) -> QuerySet[Merge]:
        return super().get_queryset(request).filter(self.access(request).region("kept__"))

    list_display = ["removed_name", "removed_id", "kept", "merged_by", "merged_at"]
    search_fields = ["removed_name", "removed_slug", "kept__name"]
    readonly_fields = ["kept", "removed_id", "removed_name", "removed_slug", "merged_by", "merged_at"]

    def has_add_permission(self, request: HttpRequest, *args: Any) -> bool:
        return False  # a merge is made from the duplicate review

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(DuplicateCandidate)
class DuplicateCandidateAdmin(RoleAdmin):
    """The review of possible duplicates: each pair side by side, merged or marked as different."""

    list_display = ["first", "second", "similarity_percent", "distance", "places", "decision", "found_at"]
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

    @admin.display(description=_("name similarity"), ordering="name_similarity")
    def similarity_percent(self, candidate: DuplicateCandidate) -> str:
        return f"{candidate.name_similarity:.0%}"

    @admin.display(description=_("distance"), ordering="distance_m")
    def distance(self, candidate: DuplicateCandidate) -> str:
        return f"{candidate.distance_m:.0f} m"

    @admin.display(description=_("municipalities"))
    def places(self, candidate: DuplicateCandidate) -> str:
        return " / ".join(dict.fromkeys(str(i.municipality or "—") for i in (candidate.first, candidate.second)))

    def has_add_permission(self, request: HttpRequest, *args: Any) -> bool:
        return False  # pairs are found, not typed

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def change_view(self, request: HttpRequest, object_id: str, form_url: str = "",
                    extra_context: dict[str, Any] | None = None) -> HttpResponse:
        candidate = self.get_object(request, object_id)
        if candidate is None:
            return HttpResponseRedirect(reverse("admin:registry_duplicatecandidate_changelist"))
        if request.method == "POST":
            return self.decide(request, candidate)
        access = self.access(request)
        first, second = candidate.first, candidate.second
        rows = [(Initiative.field_named(name).verbose_name, display(first, name), display(second, name))
                for name in COMPARED_FIELDS]
        return TemplateResponse(request, self.change_form_template, {
            **self.admin_site.each_context(request), "opts": self.opts, "original": candidate,
            "title": _("Possible duplicate"), "candidate": candidate, "first": first, "second": second,
            "can_decide": access.can_change(first) and access.can_change(second), "rows": rows,
            "similarity_percent": self.similarity_percent(candidate),
        })

    def decide(self, request: HttpRequest, candidate: DuplicateCandidate) -> HttpResponse:
        decision = request.POST.get("decision")
        try:
            if decision == "distinct":
                actions.mark_distinct(candidate, acting_user=signed_in(request.user))
                self.message_user(request, _("Marked as two different initiatives; this pair will not be proposed "
                                             "again."))
            elif decision in ("keep-first", "keep-second"):
                kept, removed = ((candidate.first, candidate.second) if decision == "keep-first"
                                 else (candidate.second, candidate.first))
                actions.merge(kept, removed, acting_user=signed_in(request.user))
                self.message_user(request, _("“%(removed)s” is merged into “%(kept)s”; its address now leads there.")
                                  % {"removed": removed.name, "kept": kept.name})
                return HttpResponseRedirect(reverse("admin:registry_initiative_change", args=[kept.pk]))
            else:
                self.message_user(request, _("Choose what to do with this pair."), level=messages.ERROR)
        except (ValidationError, NotAllowed) as error:
            self.message_user(request, _("Not done: %(reason)s") % {"reason": reason_of(error)}, level=messages.ERROR)
        return HttpResponseRedirect(reverse("admin:registry_duplicatecandidate_changelist"))


COMPARED_FIELDS = ["name", "slug", "kind", "services", "short_description", "legal_form", "kvk_number",
                   "founded_year", "status", "street", "house_number", "postcode", "place", "municipality",
                   "website", "email", "phone", "publication_state", "source", "external_id", "last_verified_on",
                   "created_at"]


def display(initiative: Initiative, name: str) -> str:
    field = Initiative._meta.get_field(name)
    if field.many_to_many:
        return ", ".join(str(term) for term in getattr(initiative, name).all()) or "—"
    if getattr(field, "choices", None):
        return getattr(initiative, f"get_{name}_display")() or "—"
    value = getattr(initiative, name)
    if isinstance(value, datetime.datetime):
        return formats.date_format(timezone.localtime(value), "DATETIME_FORMAT")
    if isinstance(value, datetime.date):
        return formats.date_format(value, "DATE_FORMAT")
    return "—" if value in ("", None) else str(value)
