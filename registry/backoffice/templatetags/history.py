"""{{ record.history_change_reason|reason }}: a stored history reason in the reader's language."""

from __future__ import annotations

from django import template

from registry.history import describe

register = template.Library()


@register.filter
def reason(stored: str | None) -> str:
    return describe(stored)
