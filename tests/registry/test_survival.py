"""Survival of initiatives (registry/survival.py): the Kaplan–Meier estimate, its confidence interval and
the number at risk, against values worked out by hand here, not by the library."""

from __future__ import annotations

import math
from statistics import NormalDist

import pytest

from registry.survival import Lifetime, kaplan_meier, lifetime

# Eight initiatives: stopped after 1, 2, 2, 3 and 5 years; still running after 2, 4 and 6 years.
FIXTURE = [Lifetime(1, True), Lifetime(2, True, 2), Lifetime(3, True), Lifetime(5, True),
           Lifetime(2, False), Lifetime(4, False), Lifetime(6, False)]

# By hand, the product-limit estimate: at each age, the share of those at risk that did not stop.
# A censored initiative counts as at risk at its own age (it lived that long).
#   age  at risk  stopped  censored  survival
#    0      8        0        0      1
#    1      8        1        0      7/8
#    2      7        2        1      7/8 · 5/7 = 5/8
#    3      4        1        0      5/8 · 3/4 = 15/32
#    4      3        0        1      15/32
#    5      2        1        0      15/32 · 1/2 = 15/64
#    6      1        0        1      15/64
EXPECTED = [(0, 8, 0, 0, 1.0), (1, 8, 1, 0, 7 / 8), (2, 7, 2, 1, 5 / 8), (3, 4, 1, 0, 15 / 32),
            (4, 3, 0, 1, 15 / 32), (5, 2, 1, 0, 15 / 64), (6, 1, 0, 1, 15 / 64)]
# Greenwood's sum d / (n (n − d)) up to each age, from the table above.
GREENWOOD = [0.0, 1 / 56, 1 / 56 + 2 / 35, 1 / 56 + 2 / 35 + 1 / 12, 1 / 56 + 2 / 35 + 1 / 12,
             1 / 56 + 2 / 35 + 1 / 12 + 1 / 2, 1 / 56 + 2 / 35 + 1 / 12 + 1 / 2]


def log_log_interval(survival: float, greenwood: float) -> tuple[float, float]:
    """The 95% interval on the log(−log S) scale (Kalbfleisch and Prentice), back on the S scale:
    S ^ exp(±z · √V / |log S|)."""
    z = NormalDist().inv_cdf(0.975)
    spread = z * math.sqrt(greenwood) / abs(math.log(survival))
    return survival ** math.exp(spread), survival ** math.exp(-spread)


def test_it_equals_the_product_limit_worked_out_by_hand():
    curve = kaplan_meier(FIXTURE)

    assert [(p.years, p.at_risk, p.stopped, p.censored) for p in curve.points] == [row[:4] for row in EXPECTED]
    assert [p.survival for p in curve.points] == pytest.approx([row[4] for row in EXPECTED], abs=1e-12)
    assert (curve.initiatives, curve.stopped) == (8, 5)


def test_its_confidence_band_is_the_log_log_interval_of_greenwoods_variance():
    curve = kaplan_meier(FIXTURE)

    # Before the first stop the estimate is 1 and so is its interval.
    assert (curve.points[0].lower, curve.points[0].upper) == (1.0, 1.0)
    for point, (_age, _n, _d, _c, survival), greenwood in zip(curve.points[1:], EXPECTED[1:], GREENWOOD[1:],
                                                              strict=True):
        low, high = log_log_interval(survival, greenwood)
        assert (point.lower, point.upper) == pytest.approx((low, high), abs=1e-9), point.years
        assert point.lower < point.survival < point.upper


def test_the_median_lifetime_is_the_first_age_at_or_below_one_half():
    assert kaplan_meier(FIXTURE).median == 3  # 15/32 < 1/2 after 3 years
    assert kaplan_meier([Lifetime(4, True), Lifetime(9, False, 3)]).median is None  # 3/4 after 4 years


def test_when_nothing_stopped_the_estimate_stays_one():
    curve = kaplan_meier([Lifetime(3, False, 2), Lifetime(1, False)])

    assert [(p.years, p.at_risk, p.survival, p.lower, p.upper) for p in curve.points] == [
        (0, 3, 1.0, 1.0, 1.0), (1, 3, 1.0, 1.0, 1.0), (2, 2, 1.0, 1.0, 1.0), (3, 2, 1.0, 1.0, 1.0)]


def test_when_the_last_one_stops_the_estimate_reaches_zero_with_a_point_interval():
    curve = kaplan_meier([Lifetime(1, True), Lifetime(2, True)])

    assert [(p.years, p.at_risk, p.survival) for p in curve.points] == [(0, 2, 1.0), (1, 2, 0.5), (2, 1, 0.0)]
    assert (curve.points[2].lower, curve.points[2].upper) == (0.0, 0.0)


def test_no_lifetimes_make_no_curve():
    assert kaplan_meier([]) is None
    assert kaplan_meier([Lifetime(3, True, 0)]) is None


@pytest.mark.parametrize(("founded", "stopped", "seen_from", "expected"), [
    (2000, 2005, 2010, Lifetime(5, True)),  # stopped before the year it is seen from
    (2000, 2005, 2005, Lifetime(5, True)),  # stopped in that year
    (2000, 2005, 2003, Lifetime(3, False)),  # still running then: censored at its age
    (2000, None, 2010, Lifetime(10, False)),  # still running
    (2010, None, 2010, Lifetime(0, False)),  # founded in the year
    (2011, None, 2010, None),  # not founded yet
    (None, 2005, 2010, None),  # no founding year: cannot be placed in time
    (2006, 2005, 2010, Lifetime(0, True)),  # a stop date before the founding year counts as year 0
])
def test_a_lifetime_is_seen_from_the_end_of_a_year(founded, stopped, seen_from, expected):
    assert lifetime(founded, stopped, seen_from) == expected
