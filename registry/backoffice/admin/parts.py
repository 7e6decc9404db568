"""Admins of records that belong to an initiative (partnerships, yearly figures, evidence of social
value): seen in the initiative's region, changed by whoever may change the initiative (registry.roles)."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.http import HttpRequest

from registry.backoffice.admin.base import RoleAdmin
from registry.backoffice.admin.history import HistoryAdmin
from registry.models import Initiative


class InitiativePartAdmin(RoleAdmin, HistoryAdmin):
    """A record with an `initiative`: listed, seen and changed by the rules of its initiative."""

    def get_queryset(self, request: HttpRequest) -> QuerySet[Any]:
        return super().get_queryset(request).filter(self.access(request).region("initiative__"))

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        access = self.access(request)
        if obj is None or not access.is_maintainer:
            return access.is_maintainer
        # Also asked for the history of a record whose initiative is gone: its last version.
        initiative = (Initiative.objects.filter(pk=obj.initiative_id).first()
                      or Initiative.history.filter(id=obj.initiative_id).order_by("-history_id").first())
        return initiative is not None and access.covers(initiative.municipality_id, initiative.province_id)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        access = self.access(request)
        return access.can_change(obj.initiative) if obj is not None else access.can_write

    has_delete_permission = has_change_permission

    def formfield_for_foreignkey(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        if db_field.name == "initiative":  # only initiatives the user may change
            kwargs["queryset"] = self.access(request).initiatives()
        return super().formfield_for_foreignkey(db_field, request, **kwargs)
