"""Numbers written one way per language on every page, as the map's script writes them
(Intl.NumberFormat): 1.797 in Dutch, 1,797 in English."""

from __future__ import annotations

from typing import Any

from django import template
from django.utils.formats import number_format

register = template.Library()


@register.filter
def grouped(value: Any) -> str:
    """A whole number with the language's thousands separator; anything else as it is."""
    if isinstance(value, bool) or not isinstance(value, int):
        return "" if value is None else str(value)
    return number_format(value, force_grouping=True)


@register.filter
def km(metres: Any) -> str:
    """A distance in metres as kilometres to one decimal, in the language's notation (1,2 or 1.2)."""
    if metres is None:
        return ""
    return number_format(float(metres) / 1000, decimal_pos=1, force_grouping=True)


@register.filter
def share(value: Any) -> str:
    """A share between 0 and 1 as a whole percentage ("82%"); empty for None."""
    if value is None:
        return ""
    return f"{round(float(value) * 100)}%"


@register.filter
def signed(value: Any) -> str:
    """A change with its sign: +3, −2 (a minus sign, not a hyphen), 0."""
    if not isinstance(value, int):
        return ""
    text = number_format(abs(value), force_grouping=True)
    return f"+{text}" if value > 0 else f"−{text}" if value < 0 else "0"
