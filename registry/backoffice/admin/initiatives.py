"""Initiatives, partners and partnerships in the admin: scoped by region, changed through
registry.actions, with history and revert (admin/history.py), work on a selection (admin/bulk.py),
deleted records that can be restored, and the records to verify by region."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.contrib.admin.views.main import ORDER_VAR, ChangeList
from django.contrib.gis.admin import GISModelAdmin
from django.core.exceptions import ValidationError
from django.db.models import Exists, ManyToManyField, OuterRef, QuerySet, TextChoices, TextField
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _

from geo.models import Province
from geo.widgets import PointMapWidget
from registry import actions, spreadsheets, verification
from registry.backoffice.admin.base import RoleAdmin, reason_of
from registry.backoffice.admin.bulk import BulkActions
from registry.backoffice.admin.history import HistoryAdmin, InitiativeHistoryAdmin
from registry.backoffice.admin.parts import InitiativePartAdmin
from registry.history import POINT_TOLERANCE
from registry.models import (
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
from registry.roles import Access, NotAllowed, access_for, assignable_users, check_assignee, signed_in

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise


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

    def formfield_for_dbfield(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        field = super().formfield_for_dbfield(db_field, request, **kwargs)
        if field is not None and db_field.name in self.list_editable:
            # Also in the list's table, where a cell has no label of its own.
            field.widget.attrs["aria-label"] = capfirst(str(db_field.verbose_name))
        return field


class NamedDeleteBoxes(forms.BaseInlineFormSet):
    """A table row's box to delete the row has no label of its own: it gets one."""

    def add_fields(self, form: Any, index: Any) -> None:
        super().add_fields(form, index)
        if "DELETE" in form.fields:
            form.fields["DELETE"].widget.attrs["aria-label"] = _("Delete this row")


class PartnershipInline(admin.TabularInline):
    """The partnerships on the initiative's page. A table row has no labels of its own, only the column
    headers: each input gets its column's name as its accessible name."""

    model = Partnership
    extra = 1
    formfield_overrides = {TextField: {"widget": forms.Textarea(attrs={"rows": 2, "cols": 24})}}
    autocomplete_fields = ["partner"]
    fields = ["partner", "role", "start", "end", "note"]

    def get_formset(self, request: HttpRequest, obj: Any = None, **kwargs: Any) -> Any:
        formset = super().get_formset(request, obj, **kwargs)
        role = formset.form.base_fields["role"].widget
        role.can_add_related = role.can_change_related = role.can_view_related = False  # a vocabulary
        for name in ("start", "end"):
            formset.form.base_fields[name].widget.attrs.update({"size": 10, "class": "partial-date"})
        for name, field in formset.form.base_fields.items():
            if name in self.fields:  # the partner's picker passes its name on (registry/admin.js)
                field.widget.attrs["aria-label"] = capfirst(str(field.label))
        return type(formset.__name__, (NamedDeleteBoxes, formset), {})

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


class AssignedFilter(admin.SimpleListFilter):
    title = _("assigned to")
    parameter_name = "assigned"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, Any]]:
        return [("mine", _("me")), ("nobody", _("nobody")), ("someone", _("someone"))]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Initiative]) -> QuerySet[Initiative]:
        if self.value() == "mine":
            return queryset.filter(assigned_to_id=request.user.pk)
        if self.value() == "nobody":
            return queryset.filter(assigned_to__isnull=True)
        if self.value() == "someone":
            return queryset.filter(assigned_to__isnull=False)
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
                if "assigned_to" in self.fields and "assigned_to" not in self.errors:
                    check_assignee(self.instance)
            except ValidationError as error:
                self._update_errors(error)  # type: ignore[attr-defined]  # as _post_clean


class RankedChangeList(ChangeList):
    """The list of initiatives, best match first while searching, unless a column was chosen (the
    list's own sort links win)."""

    def get_queryset(self, request: HttpRequest, exclude_parameters: Any = None) -> QuerySet[Any]:
        queryset = super().get_queryset(request, exclude_parameters)
        if self.query.strip() and ORDER_VAR not in self.params:  # the search's rank exists only now
            queryset = queryset.order_by("-search_rank", *queryset.query.order_by)
        return queryset


@admin.register(Initiative)
class InitiativeAdmin(RoleAdmin, BulkActions, InitiativeHistoryAdmin, GISModelAdmin):
    form = InitiativeForm
    gis_widget = PointMapWidget  # type: ignore[assignment]  # a class; django-stubs types it as an instance
    change_list_template = "admin/registry/initiative/change_list.html"
    # What a maintainer decides on, and fits beside the filters at 1280 pixels (the province is a filter).
    list_display = ["name", "kind", "where", "status", "publication_state", "last_verified_on", "assigned_to"]
    # Recently changed records by a filter, not a date hierarchy: that reads the dates of every record in
    # the list on each page (most of the list's time at 100,000 records, tests/benchmarks/backoffice.py).
    list_filter = [FreshnessFilter, AssignedFilter, "kind", "services", "province", "status", "publication_state",
                   ("updated_at", admin.DateFieldListFilter), "location_precision", "funding_sources"]
    ordering = ["name", "pk"]  # a total order the index by name serves (Django would add -pk otherwise)
    # The search box runs the register's one search (get_search_results); the field only shows the box.
    search_fields = ["name"]
    search_help_text = _("Every word counts: name, place, municipality, province, kind, services, partners, "
                         "descriptions, also as part of a word or with a typo. A slug, KvK number, postcode or "
                         "external id finds its record when typed whole; the four digits of a postcode find "
                         "the records of that area.")
    list_select_related = ["kind", "municipality", "assigned_to"]
    # A few terms each: boxes to tick, without the two-list widget's script.
    formfield_overrides = {ManyToManyField: {"widget": forms.CheckboxSelectMultiple}}
    readonly_fields = ["municipality", "province", "location_precision", "created_at", "updated_at"]
    prepopulated_fields = {"slug": ["name"]}
    inlines = [PartnershipInline, SlugAliasInline]
    actions = ["publish", "archive", "stop_selected", "mark_verified_selected", "assign_selected",
               "send_verification_email", "download_verification_links"]
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
        (_("Publication and provenance"), {"fields": ["publication_state", "assigned_to", "source", "source_url",
                                                      "external_id", "last_verified_on", "verification_method",
                                                      "created_at", "updated_at"]}),
    ]

    def get_search_results(self, request: HttpRequest, queryset: QuerySet[Initiative], search_term: str
                           ) -> tuple[QuerySet[Initiative], bool]:
        if not search_term.strip():
            return queryset, False
        assert isinstance(queryset, InitiativeQuerySet), "made by Initiative's only manager"
        return queryset.search(search_term, identifiers=True), False

    def get_changelist(self, request: HttpRequest, **kwargs: Any) -> Any:
        return getattr(request, "changelist_class", None) or RankedChangeList

    @admin.display(description=_("place (municipality)"), ordering="municipality__name")
    def where(self, initiative: Initiative) -> str:
        area = initiative.municipality
        municipality = area.name if area is not None else ""
        if not initiative.place or initiative.place == municipality:
            return initiative.place or municipality or "—"
        return f"{initiative.place} ({municipality})" if municipality else initiative.place

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

    def formfield_for_foreignkey(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        if db_field.name == "assigned_to":
            kwargs["queryset"] = assignable_users()
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def outside_region(self, request: HttpRequest, object_id: str) -> HttpResponse | None:
        """For a record that exists but lies outside the user's region: a page that says so (Django's
        own answer is that it does not exist). The record is not named: it may be a draft."""
        pk = unquote(object_id)
        if (not pk.isdigit() or not self.access(request).is_maintainer
                or not Initiative.objects.filter(pk=pk).exists() or self.get_queryset(request).filter(pk=pk).exists()):
            return None
        return TemplateResponse(request, "admin/registry/initiative/outside_region.html", {
            **self.admin_site.each_context(request), "opts": self.opts, "title": _("Outside your region"),
            "pk": pk, "region": self.access(request).describe_region(),
        }, status=403)

    def change_view(self, request: HttpRequest, object_id: str, form_url: str = "",
                    extra_context: dict[str, Any] | None = None) -> HttpResponse:
        return self.outside_region(request, object_id) or super().change_view(request, object_id, form_url,
                                                                               extra_context)

    def delete_view(self, request: HttpRequest, object_id: str, extra_context: dict[str, Any] | None = None
                    ) -> HttpResponse:
        return self.outside_region(request, object_id) or super().delete_view(request, object_id, extra_context)

    def history_view(self, request: HttpRequest, object_id: str, extra_context: dict[str, Any] | None = None
                     ) -> HttpResponse:
        return self.outside_region(request, object_id) or super().history_view(request, object_id, extra_context)

    def history_form_view(self, request: HttpRequest, object_id: str, version_id: str,
                          extra_context: dict[str, Any] | None = None) -> HttpResponse:
        return self.outside_region(request, object_id) or super().history_form_view(
            request, object_id, version_id, extra_context)

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

    def deleted_view(self, request: HttpRequest) -> HttpResponse:
        """Deleted records (not the ones merged into another), newest first, each restorable."""
        history = Initiative.history.model
        deletions = (history.objects.filter(history_type="-")
                     .exclude(Exists(Initiative.objects.filter(pk=OuterRef("id"))))
                     .exclude(Exists(Merge.objects.filter(removed_id=OuterRef("id"), undone_at__isnull=True)))
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
        response = HttpResponse(content_type=spreadsheets.CONTENT_TYPE)
        response["Content-Disposition"] = f'attachment; filename="{verification.CSV_FILE_NAME}"'
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
class PartnershipAdmin(InitiativePartAdmin):
    list_display = ["initiative", "partner", "role", "start", "end"]
    list_filter = ["role", "partner__kind"]
    search_fields = ["initiative__name", "partner__name"]
    autocomplete_fields = ["initiative", "partner"]
    list_select_related = ["initiative", "partner", "role"]

    def save_model(self, request: HttpRequest, obj: Partnership, form: Any, change: bool) -> None:
        before = Partnership.objects.get(pk=obj.pk) if change else None
        actions.save_partnership(obj, before, acting_user=signed_in(request.user))

    def delete_model(self, request: HttpRequest, obj: Partnership) -> None:
        actions.delete_partnership(obj, acting_user=signed_in(request.user))

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[Partnership]) -> None:
        for partnership in queryset:
            actions.delete_partnership(partnership, acting_user=signed_in(request.user))
