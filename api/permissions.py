"""Who may write through the API: the roles of registry.roles, as for the admin and the commands."""

from typing import Any

from rest_framework.permissions import SAFE_METHODS, BasePermission
from rest_framework.request import Request

from registry.models import Initiative, Partner, Partnership
from registry.roles import access_for


class MaintainerWritesOrReadOnly(BasePermission):
    """Anyone reads; administrators and editors write, editors only in their region.

    A refusal raises registry.roles.NotAllowed, whose message says why (403, problem+json).
    """

    def has_permission(self, request: Request, view: Any) -> bool:
        if request.method in SAFE_METHODS:
            return True
        if not request.user or not request.user.is_authenticated:
            return False  # 401: authenticate first
        access_for(request.user).require_write()
        return True

    def has_object_permission(self, request: Request, view: Any, obj: Any) -> bool:
        if request.method in SAFE_METHODS:
            return True
        access = access_for(request.user)
        if isinstance(obj, Initiative):
            access.require_change(obj)
        elif isinstance(obj, Partnership):
            access.require_change(obj.initiative)
        elif isinstance(obj, Partner):
            if request.method == "DELETE":
                access.require_delete_partner()
            else:
                access.require_change_partner(obj)
        return True
