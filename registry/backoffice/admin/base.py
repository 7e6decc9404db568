"""Admin permissions from registry.roles instead of Django's per-model permissions."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.core.exceptions import ValidationError
from django.http import HttpRequest

from registry.roles import Access, NotAllowed, access_for


class RoleAdmin(admin.ModelAdmin):
    """Every maintainer reads; administrators and editors write; deleting is for administrators.
    Subclasses narrow this by region."""

    def access(self, request: HttpRequest) -> Access:
        return access_for(request.user)

    def has_module_permission(self, request: HttpRequest) -> bool:
        return self.access(request).is_maintainer

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return self.access(request).is_maintainer

    def has_add_permission(self, request: HttpRequest, *args: Any) -> bool:
        return self.access(request).can_write

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return self.access(request).can_write

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return self.access(request).is_administrator

    def get_changelist(self, request: HttpRequest, **kwargs: Any) -> Any:
        # The work overview counts a list as its link shows it (registry/backoffice/lists.py).
        return getattr(request, "changelist_class", None) or super().get_changelist(request, **kwargs)


class AdministratorsOnly(admin.ModelAdmin):
    """Accounts, roles and tokens: national administrators only."""

    def has_module_permission(self, request: HttpRequest) -> bool:
        return access_for(request.user).is_administrator

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return access_for(request.user).is_administrator

    has_add_permission = has_change_permission = has_delete_permission = has_view_permission


def reason_of(error: ValidationError | NotAllowed) -> str:
    """Why an action was refused, for a message to the user."""
    return "; ".join(error.messages) if isinstance(error, ValidationError) else str(error)

