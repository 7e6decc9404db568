"""What keeps initiatives alive: Kaplan–Meier survival from the founding year to the stop date.

An initiative's lifetime is counted in whole years, as the register knows it: from its founding year
to the year of its stop date. Seen from the end of a year Y, an initiative founded in or before Y
that stopped in or before Y has an event after `stop year − founding year` years; every other one
(running, paused, or stopped only after Y) is censored after `Y − founding year` years: it lived at
least that long, and how much longer is not known yet. Initiatives without a founding year cannot be
placed in time and are left out (the monitor says how many).

The estimate itself is scipy's (`scipy.stats.ecdf` on right-censored data is the Kaplan–Meier
estimator, with Greenwood's variance and a log-log confidence interval); this module only says
what a lifetime is, hands scipy the lifetimes (counted per duration and outcome by the caller in
SQL, not read one initiative at a time) and reads the curve out per year of age. Why scipy and not
lifelines or statsmodels: docs/monitor.md.

The funding model is read from the funding sources recorded today (a list without amounts): subsidy
only, subsidy beside other sources, or no subsidy. When yearly figures with amounts exist, the
model can come from the share of income from subsidy instead (funding_model_expression is the one
place to change).
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Iterable
from dataclasses import dataclass

from django.db.models import Case, Exists, OuterRef, Value, When
from django.db.models.expressions import Combinable

from registry.models import Initiative
from registry.models.choices import FundingModel

__all__ = ["CONFIDENCE", "FundingModel", "Lifetime", "SurvivalCurve", "SurvivalPoint", "funding_model_expression",
           "kaplan_meier", "lifetime"]

CONFIDENCE = 0.95
SUBSIDY = "subsidie"


def funding_model_expression() -> Combinable:
    """The funding model of each initiative, from the funding sources recorded on it (an SQL
    expression to annotate a queryset of initiatives with)."""
    sources = Initiative.funding_sources.through.objects.filter(initiative_id=OuterRef("pk"))
    subsidy = Exists(sources.filter(fundingsource__code=SUBSIDY))
    other = Exists(sources.exclude(fundingsource__code=SUBSIDY))
    return Case(
        When(subsidy & other, then=Value(FundingModel.MIXED.value)),
        When(subsidy, then=Value(FundingModel.SUBSIDY_ONLY.value)),
        When(other, then=Value(FundingModel.WITHOUT_SUBSIDY.value)),
        default=Value(FundingModel.UNKNOWN.value),
    )


@dataclass(frozen=True)
class Lifetime:
    """`count` initiatives that lived `years` whole years and then stopped (or were censored)."""

    years: int
    stopped: bool
    count: int = 1


def lifetime(founded_year: int | None, stop_year: int | None, seen_from: int) -> Lifetime | None:
    """An initiative's lifetime as known at the end of `seen_from` (None: not founded by then, or its
    founding year is unknown). A stop date before the founding year (which validation refuses)
    counts as a stop in the founding year."""
    if founded_year is None or founded_year > seen_from:
        return None
    if stop_year is not None and stop_year <= seen_from:
        return Lifetime(max(stop_year - founded_year, 0), stopped=True)
    return Lifetime(seen_from - founded_year, stopped=False)


@dataclass(frozen=True)
class SurvivalPoint:
    years: int
    at_risk: int  # lived at least `years` years (stopped or censored in that year still count)
    stopped: int  # stopped after `years` years
    censored: int  # still running when seen, `years` years old
    survival: float  # the share still running after `years` years (the Kaplan–Meier estimate)
    lower: float | None  # the 95% confidence interval (None where it is not defined)
    upper: float | None


@dataclass(frozen=True)
class SurvivalCurve:
    initiatives: int
    stopped: int
    points: tuple[SurvivalPoint, ...]  # one per year of age, from 0 to the oldest seen

    def at(self, years: int) -> SurvivalPoint | None:
        """The estimate after `years` years, None when no initiative was seen that old."""
        return self.points[years] if 0 <= years < len(self.points) else None

    @property
    def median(self) -> int | None:
        """The first age at which half or more have stopped (None: more than half are still running)."""
        return next((point.years for point in self.points if point.survival <= 0.5), None)


def kaplan_meier(lifetimes: Iterable[Lifetime], *, confidence: float = CONFIDENCE) -> SurvivalCurve | None:
    """The Kaplan–Meier curve of these lifetimes, one point per year of age (None: no lifetimes)."""
    # Imported here, by the monitor's pages and jobs that draw a curve: at the top of the module they
    # came with the admin into every web worker, 50 MB each that no other request uses.
    import numpy as np
    from scipy import stats

    rows = [row for row in lifetimes if row.count > 0]
    if not rows:
        return None
    oldest = max(row.years for row in rows)
    stopped = np.zeros(oldest + 1, dtype=np.int64)
    censored = np.zeros(oldest + 1, dtype=np.int64)
    for row in rows:
        (stopped if row.stopped else censored)[row.years] += row.count
    total = int(stopped.sum() + censored.sum())
    # Lived at least t years: everyone minus those who stopped or were censored before t.
    at_risk = total - np.concatenate(([0], np.cumsum(stopped + censored)[:-1]))
    ages = np.arange(oldest + 1)
    if stopped.sum() == 0:
        # No event at all: nothing has stopped, the estimate is 1 with no interval to speak of.
        survival, lower, upper = np.ones(oldest + 1), np.ones(oldest + 1), np.ones(oldest + 1)
    else:
        data = stats.CensoredData(uncensored=np.repeat(ages, stopped).astype(float),
                                  right=np.repeat(ages, censored).astype(float))
        estimate = stats.ecdf(data).sf
        with warnings.catch_warnings():
            # log-log is undefined where the estimate is 1 or 0; scipy warns and gives NaN there.
            warnings.simplefilter("ignore", RuntimeWarning)
            interval = estimate.confidence_interval(confidence, method="log-log")
            survival = estimate.evaluate(ages)
            lower, upper = interval.low.evaluate(ages), interval.high.evaluate(ages)
    points = tuple(
        SurvivalPoint(years=int(age), at_risk=int(at_risk[age]), stopped=int(stopped[age]),
                      censored=int(censored[age]), survival=float(survival[age]),
                      lower=bound(lower[age], survival[age]), upper=bound(upper[age], survival[age]))
        for age in ages)
    return SurvivalCurve(initiatives=total, stopped=int(stopped.sum()), points=points)


def bound(value: float, estimate: float) -> float | None:
    """A confidence bound as a number; at an estimate of exactly 1 or 0 the interval is that point."""
    if math.isnan(value):
        return float(estimate) if estimate in (0.0, 1.0) else None
    return float(value)
