"""Webhooks and subscriptions in the admin. Maintainers see every webhook with its delivery log (each
attempt: when, the answer or the error, how long it took); an administrator enables a disabled one
again (registry.actions.enable_webhook). Subscriptions hold private addresses: administrators only,
read-only (a subscriber unsubscribes by their own link)."""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from registry import actions
from registry.backoffice.admin.base import AdministratorsOnly, RoleAdmin
from registry.models import Subscription, Webhook, WebhookAttempt
from registry.roles import access_for, signed_in


class AttemptInline(admin.TabularInline):
    model = WebhookAttempt
    fields = readonly_fields = ("at", "delivery", "status_code", "error", "seconds")
    extra = 0
    max_num = 0
    can_delete = False
    ordering = ["-at", "-pk"]
    verbose_name_plural = _("delivery log (every attempt, newest first)")

    def get_queryset(self, request: HttpRequest) -> QuerySet[WebhookAttempt]:
        return super().get_queryset(request).select_related("delivery")

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return access_for(request.user).is_maintainer

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Webhook)
class WebhookAdmin(RoleAdmin):
    list_display = ["pk", "url", "owner", "active", "failures", "disabled_at", "created_at"]
    list_filter = ["active"]
    search_fields = ["url", "owner__username"]
    fields = readonly_fields = ("owner", "url", "filter", "active", "failures", "disabled_at", "disabled_reason",
                                "cursor", "created_at")
    inlines = [AttemptInline]
    actions = ["enable"]

    def has_add_permission(self, request: HttpRequest, *args: Any) -> bool:
        return False  # developers register webhooks through the API

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_enable_permission(self, request: HttpRequest) -> bool:
        return access_for(request.user).is_administrator

    @admin.action(description=_("Enable the selected webhooks again"), permissions=["enable"])
    def enable(self, request: HttpRequest, queryset: QuerySet[Webhook]) -> None:
        count = 0
        for webhook in queryset.filter(active=False):
            actions.enable_webhook(webhook, acting_user=signed_in(request.user))
            count += 1
        self.message_user(request, ngettext("%(count)d webhook enabled again.", "%(count)d webhooks enabled again.",
                                            count) % {"count": count}, messages.SUCCESS)


@admin.register(Subscription)
class SubscriptionAdmin(AdministratorsOnly):
    list_display = ["pk", "email", "municipality", "province", "frequency", "confirmed_at", "created_at"]
    list_filter = ["frequency", ("confirmed_at", admin.EmptyFieldListFilter)]
    search_fields = ["email"]
    fields = readonly_fields = ("email", "municipality", "province", "kinds", "services", "frequency", "language",
                                "created_at", "confirmed_at")

    def has_add_permission(self, request: HttpRequest, *args: Any) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
