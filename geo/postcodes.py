"""Dutch postcodes: `1234 AB` (full) or `1234` (PC4)."""

from __future__ import annotations

import re

from django.utils.translation import gettext as _

# Four digits (no leading zero) and two letters; SA, SD and SS are never issued.
_POSTCODE = re.compile(r"^\s*([1-9][0-9]{3})\s*([A-Za-z]{2})?\s*$")
_UNUSED_LETTERS = {"SA", "SD", "SS"}


class InvalidPostcode(ValueError):
    pass


def normalise_postcode(text: str, *, allow_pc4: bool = False) -> str:
    """Return the postcode as `1234 AB` (or `1234` when allow_pc4), or raise InvalidPostcode."""
    match = _POSTCODE.match(text or "")
    if not match or (match.group(2) is None and not allow_pc4):
        expected = _("four digits and two letters, like 1234 AB")
        if allow_pc4:
            expected = _("four digits, optionally followed by two letters, like 1234 or 1234 AB")
        raise InvalidPostcode(_("“%(value)s” is not a Dutch postcode: expected %(expected)s.")
                              % {"value": text, "expected": expected})
    digits, letters = match.group(1), (match.group(2) or "").upper()
    if letters in _UNUSED_LETTERS:
        raise InvalidPostcode(_("“%(value)s” is not a Dutch postcode: the letters %(letters)s are never used.")
                              % {"value": text, "letters": letters})
    return f"{digits} {letters}" if letters else digits
