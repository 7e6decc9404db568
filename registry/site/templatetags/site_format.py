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
