"""An initiative's yearly figures on its public page: the income mix of each public year as a stacked
bar drawn on the server (SVG, no script), with a table of every amount and the indicators beside it
as its text alternative. Only the years the initiative agreed to publish (registry.figures). And the
evidence of its social value, which is public with the initiative."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.utils.formats import number_format
from django.utils.translation import gettext as _

from registry import figures
from registry.models import INCOME_FIELDS, EvidenceMethod, FundingSource, Initiative

ROW_HEIGHT, BAR_HEIGHT = 34, 22
# Per cent of the chart's width where the bars start: the year's label ends just before (text-anchor
# end), so on a phone's 320 pixels its four digits still fit left of the bars.
BARS_FROM, BARS_SPAN = 14.0, 84.0


@dataclass(frozen=True)
class Segment:
    code: str
    label: str
    amount: int
    x: float  # per cent of the widest bar
    width: float


@dataclass(frozen=True)
class YearBar:
    year: int
    y: int
    total: int
    segments: list[Segment]


def income_mix(initiative: Initiative) -> dict[str, Any] | None:
    """What the page shows of the figures (None when no year is public)."""
    rows = figures.public_figures(initiative)
    if not rows:
        return None
    labels = {term.code: term.label for term in FundingSource.objects.filter(code__in=INCOME_FIELDS.values())}
    sources = [code for code in INCOME_FIELDS.values()
               if any(row.income_by_source().get(code) for row in rows)]
    widest = max((row.income_total or 0 for row in rows), default=0) or 1
    bars = []
    for index, row in enumerate(rows):
        x, segments = 0.0, []
        for code in sources:
            amount = row.income_by_source().get(code) or 0
            if amount:
                width = BARS_SPAN * amount / widest
                segments.append(Segment(code, labels.get(code, code), amount, round(BARS_FROM + x, 3),
                                        round(width, 3)))
                x += width
        bars.append(YearBar(row.year, index * ROW_HEIGHT, row.income_total or 0, segments))
    table = [{"year": row.year, "amounts": [row.income_by_source().get(code) for code in sources],
              "total": row.income_total, "expenses": row.expenses, "volunteers": row.volunteers,
              "paid_staff_fte": row.paid_staff_fte, "people_reached": row.people_reached,
              "indicators": shown}
             for row, shown in zip(rows, figures.indicators(rows), strict=True)]
    return {"bars": bars, "height": len(rows) * ROW_HEIGHT, "bar_height": BAR_HEIGHT, "bars_from": BARS_FROM,
            "legend": [(code, labels.get(code, code)) for code in sources], "table": table,
            "latest": rows[-1].year, "first": rows[0].year}


@dataclass(frozen=True)
class EvidenceItem:
    year: int
    method: str  # its label
    result: str
    figure: str  # the figure in words with its unit, or ""
    assessed_by: str
    report_url: str


def evidence_items(initiative: Initiative) -> list[EvidenceItem]:
    """The evidence of the initiative's social value as its page shows it (public with the initiative,
    no consent of its own: docs/figures.md), newest first."""
    items = []
    for row in figures.public_evidence(initiative):
        items.append(EvidenceItem(year=row.year, method=str(row.get_method_display()), result=row.result,
                                  figure=figure_in_words(row.method, row.figure), assessed_by=row.assessed_by,
                                  report_url=row.report_url))
    return items


def figure_in_words(method: str, figure: Decimal | None) -> str:
    """An SROI's figure is euros of social value per euro invested, an MKBA's the net social value in
    euros (the model's help text); for other methods the number as it was recorded."""
    if figure is None:
        return ""
    if method == EvidenceMethod.SROI:
        return _("€ %(figure)s of social value per euro invested") % {
            "figure": number_format(figure, decimal_pos=2, use_l10n=True, force_grouping=True)}
    if method == EvidenceMethod.SCBA:
        return _("€ %(figure)s net social value") % {
            "figure": number_format(figure.quantize(Decimal(1)), decimal_pos=0, use_l10n=True, force_grouping=True)}
    decimals = 0 if figure == figure.to_integral_value() else 2
    return number_format(figure, decimal_pos=decimals, use_l10n=True, force_grouping=True)
