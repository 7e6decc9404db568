"""Accounts, roles and tokens: for national administrators."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django import forms
from django.contrib import admin
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import GroupAdmin, UserAdmin
from django.contrib.auth.models import Group
from django.core.exceptions import ValidationError
from django.db.models import Field, ManyToManyField, QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _
from rest_framework.authtoken.admin import TokenAdmin
from rest_framework.authtoken.models import TokenProxy

from registry.backoffice.admin.base import AdministratorsOnly
from registry.models import Maintainer, Role


class MaintainerForm(forms.ModelForm):
    def clean(self) -> dict[str, Any]:
        super().clean()
        data = self.cleaned_data
        has_region = bool(data.get("provinces")) or bool(data.get("municipalities"))
        if data.get("role") == Role.EDITOR and not has_region:
            raise ValidationError(_("A regional editor needs at least one province or municipality."))
        if data.get("role") == Role.ADMINISTRATOR and has_region:
            raise ValidationError(_("A national administrator has no region; leave provinces and "
                                    "municipalities empty."))
        return data


# Twelve provinces: boxes to tick, without the two-list picker's script and its unlabelled help icons.
TICK_BOXES: Mapping[type[Field[Any, Any]], Mapping[str, Any]] = {
    ManyToManyField: {"widget": forms.CheckboxSelectMultiple}}


class MaintainerInline(admin.StackedInline):
    model = Maintainer
    form = MaintainerForm
    can_delete = True
    formfield_overrides = TICK_BOXES
    autocomplete_fields = ["municipalities"]
    verbose_name_plural = _("role and region in the register")


@admin.register(Maintainer)
class MaintainerAdmin(AdministratorsOnly):
    form = MaintainerForm
    list_display = ["user", "role", "region", "notify"]
    list_filter = ["role", "provinces"]
    search_fields = ["user__username", "user__email", "municipalities__name", "provinces__name"]
    formfield_overrides = TICK_BOXES
    autocomplete_fields = ["user", "municipalities"]

    def get_queryset(self, request: HttpRequest) -> QuerySet[Maintainer]:
        return super().get_queryset(request).select_related("user").prefetch_related("provinces", "municipalities")

    @admin.display(description=_("region"))
    def region(self, maintainer: Maintainer) -> str:
        names = [p.name for p in maintainer.provinces.all()] + [m.name for m in maintainer.municipalities.all()]
        return ", ".join(names) or "—"


User = get_user_model()
admin.site.unregister(User)
admin.site.unregister(Group)
admin.site.unregister(TokenProxy)


@admin.register(Group)
class RegistryGroupAdmin(AdministratorsOnly, GroupAdmin):
    filter_horizontal = ()  # a plain list (see RegistryUserAdmin)


@admin.register(User)
class RegistryUserAdmin(AdministratorsOnly, UserAdmin):
    inlines = [MaintainerInline]
    list_display = ["username", "email", "first_name", "last_name", "role", "is_active"]
    # Django's own groups and permissions are not how the register decides (registry.roles): plain lists,
    # without the two-list picker; the dates of the account are the system's, shown as text.
    filter_horizontal = ()
    readonly_fields = ["last_login", "date_joined"]

    def get_queryset(self, request: HttpRequest) -> QuerySet[Any]:
        return super().get_queryset(request).select_related("maintainer")

    @admin.display(description=_("role"))
    def role(self, user: Any) -> str:
        if user.is_superuser:
            return str(Role.ADMINISTRATOR.label)
        maintainer = getattr(user, "maintainer", None)
        return maintainer.get_role_display() if maintainer else "—"

    def get_form(self, request: HttpRequest, obj: Any = None, change: bool = False,
                 **kwargs: Any) -> type[forms.ModelForm[Any]]:
        form = super().get_form(request, obj, change=change, **kwargs)
        if not request.user.is_superuser:
            # Only a superuser makes another one, or hands out Django's own permissions.
            for name in ("is_superuser", "groups", "user_permissions"):
                if name in form.base_fields:
                    form.base_fields[name].disabled = True
        return form

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        # A superuser's account (password included) is changed by a superuser only.
        return super().has_change_permission(request, obj) and (
            obj is None or not obj.is_superuser or request.user.is_superuser)

    has_delete_permission = has_change_permission


@admin.register(TokenProxy)
class RegistryTokenAdmin(AdministratorsOnly, TokenAdmin):
    def get_queryset(self, request: HttpRequest) -> QuerySet[Any]:
        tokens = super().get_queryset(request)
        # A superuser's token would let its reader act as that superuser.
        return tokens if request.user.is_superuser else tokens.exclude(user__is_superuser=True)

