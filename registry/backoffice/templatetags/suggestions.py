"""{% pending_suggestions %}: how many suggestions wait for review in the user's region (admin)."""

from __future__ import annotations

from typing import Any

from django import template

from registry import suggestions

register = template.Library()


@register.simple_tag(takes_context=True)
def pending_suggestions(context: dict[str, Any]) -> int:
    request = context.get("request")
    return suggestions.pending_for(request.user).count() if request is not None else 0
