"""Reading one cell: numbers with a decimal comma, Dutch and ISO dates, and vocabulary terms or
fixed choices by their code or their Dutch or English label (case and accents do not count).

A cell that cannot be read raises CellError; the import reports it under the cell's column.
"""

from __future__ import annotations

import datetime
import functools
import re
import unicodedata
from collections.abc import Iterable
from typing import Any

from django.db.models import TextChoices
from django.utils import translation
from django.utils.translation import gettext as _

from registry.models import Vocabulary


class CellError(ValueError):
    """A cell that cannot be read; the message names the value and what was expected."""


@functools.lru_cache(maxsize=4096)  # a list repeats its terms: each is folded once
def fold_term(text: str) -> str:
    """A term as it is compared: no accents, lower case, words separated by single spaces."""
    decomposed = unicodedata.normalize("NFKD", str(text))
    plain = "".join(char for char in decomposed if not unicodedata.combining(char)).casefold()
    plain = re.sub(r"['’`]", "", plain)
    return " ".join(re.sub(r"[^0-9a-z]+", " ", plain).split())


def _without_parentheses(label: str) -> str:
    """`Vervoer (buurtbus)` -> `Vervoer`: the short form people type."""
    return re.sub(r"\s*\([^)]*\)", "", label).strip()


class Terms:
    """The values a column accepts: codes first, then Dutch and English labels, each also without a
    part in parentheses. Folded forms that would mean two different terms are not accepted."""

    def __init__(self, entries: Iterable[tuple[Any, str, list[str]]]) -> None:
        self.codes: list[str] = []
        by_label: dict[str, Any] = {}
        ambiguous: set[str] = set()
        by_code: dict[str, Any] = {}
        for value, code, labels in entries:
            self.codes.append(code)
            by_code[fold_term(code)] = value
            for label in labels:
                for variant in {label, _without_parentheses(label)}:
                    folded = fold_term(variant)
                    if not folded:
                        continue
                    if by_label.get(folded, value) != value:
                        ambiguous.add(folded)
                    by_label[folded] = value
        self.lookup = {key: value for key, value in by_label.items() if key not in ambiguous}
        self.lookup.update(by_code)

    @classmethod
    def of_vocabulary(cls, model: type[Vocabulary]) -> Terms:
        return cls((term.pk, term.code, [term.label_nl, term.label_en]) for term in model._default_manager.all())

    @classmethod
    def of_choices(cls, choices: type[TextChoices]) -> Terms:
        labels: dict[str, list[str]] = {value: [] for value in choices.values}
        for language in ("nl", "en"):
            with translation.override(language):
                for value, label in choices.choices:
                    labels[value].append(str(label))
        return cls((value, value, labels[value]) for value in choices.values)

    def get(self, text: str) -> Any:
        try:
            return self.lookup[fold_term(text)]
        except KeyError:
            raise CellError(_("“%(value)s” is not a known value; use one of the codes %(codes)s (or their Dutch "
                              "or English labels).") % {"value": text, "codes": ", ".join(self.codes)}) from None

    def get_many(self, text: str) -> list[Any]:
        """Several terms separated by `;` or `|` (in order, each once)."""
        found: list[Any] = []
        unknown: list[str] = []
        for part in re.split(r"[;|]", text):
            if not part.strip():
                continue
            value = self.lookup.get(fold_term(part))
            if value is None:
                unknown.append(part.strip())
            elif value not in found:
                found.append(value)
        if unknown:
            raise CellError(_("%(values)s: not a known value; use codes from %(codes)s (or their Dutch or English "
                              "labels), separated by ; or |.")
                            % {"values": ", ".join(f"“{value}”" for value in unknown), "codes": ", ".join(self.codes)})
        return found


_INTEGER = re.compile(r"^[+-]?\d+(?:[.,]0+)?$")
_THOUSANDS = re.compile(r"^\d{1,3}(?:[. ]\d{3})+$")
_DECIMAL = re.compile(r"^[+-]?\d+(?:[.,]\d+)?$")
_ISO_DATE = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})(?:[ T]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?$")
_DUTCH_DATE = re.compile(r"^(\d{1,2})[-/.](\d{1,2})[-/.](\d{4})$")
_SCHEME = re.compile(r"^[a-z][a-z0-9+.-]*:", re.IGNORECASE)


def integer(text: str) -> int:
    """A whole number: `12`, `12.0` (from a spreadsheet), `1.200` (Dutch thousands)."""
    compact = text.replace("\u00a0", " ").strip()
    if _THOUSANDS.match(compact) and not _INTEGER.match(compact):
        return int(re.sub(r"[. ]", "", compact))
    if _INTEGER.match(compact):
        return int(re.split(r"[.,]", compact)[0])
    raise CellError(_("“%(value)s” is not a whole number.") % {"value": text})


def degrees(text: str) -> float:
    """A coordinate in decimal degrees, with a decimal point or a decimal comma."""
    compact = re.sub(r"[\s°]", "", text)
    if not _DECIMAL.match(compact):
        raise CellError(_("“%(value)s” is not a number of degrees (like 52.16 or 52,16).") % {"value": text})
    return float(compact.replace(",", "."))


def date(text: str) -> datetime.date:
    """`2024-03-01` (ISO, also with a time of day from a spreadsheet) or `1-3-2024` (day first, as in
    Dutch; also with / or .)."""
    compact = text.strip()
    match = _ISO_DATE.match(compact)
    if match:
        year, month, day = (int(part) for part in match.groups())
    else:
        match = _DUTCH_DATE.match(compact)
        if not match:
            raise CellError(_("“%(value)s” is not a date: write it as 2024-03-01 or 1-3-2024.") % {"value": text})
        day, month, year = (int(part) for part in match.groups())
    try:
        return datetime.date(year, month, day)
    except ValueError:
        raise CellError(_("“%(value)s” is not a date that exists.") % {"value": text}) from None


def web_address(text: str) -> str:
    """A web address; one typed without a scheme (www.example.nl) gets https://, as in the admin."""
    return text if _SCHEME.match(text) else f"https://{text}"
