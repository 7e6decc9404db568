"""An initiative's yearly figures on its public page: the income mix of each public year as a stacked
bar drawn on the server (SVG, no script), with a table of every amount and the indicators beside it
as its text alternative. Only the years the initiative agreed to publish (registry.figures)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from registry import figures
from registry.models import INCOME_FIELDS, FundingSource, Initiative

ROW_HEIGHT, BAR_HEIGHT = 34, 22
# The bars start after the year's label: per cent of the chart's width.
BARS_FROM, BARS_SPAN = 12.0, 86.0


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
    return {"bars": bars, "height": len(rows) * ROW_HEIGHT, "bar_height": BAR_HEIGHT,
            "legend": [(code, labels.get(code, code)) for code in sources], "table": table,
            "latest": rows[-1].year, "first": rows[0].year}
