"""What the site's charts share: the frame of an SVG chart (its size, the plotting area inside the
margins, the scales from values to positions) and its axes' ticks. The statistics page's chart of
the years (registry/site/statistics.py) and the monitor's survival curves and stop reasons
(registry/site/monitor.py) are drawn in one: each computes its marks from its frame, and the
templates draw the grid, the axes and the labels from the frame's edges (`chart.frame.left`, ...).

The charts are drawn on the server, in viewBox units, with no chart library and no script (the site's
Content-Security-Policy allows no inline script; WeasyPrint draws the same SVG into the monitor's PDF);
every chart has a text alternative and a table with its numbers beside it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass


@dataclass(frozen=True)
class Tick:
    value: int
    position: float
    label: str


def nice_step(maximum: int, most_ticks: int = 5) -> int:
    """1, 2 or 5 times a power of ten, so that 0..maximum needs at most `most_ticks` steps."""
    if maximum <= 0:
        return 1
    magnitude = 10 ** math.floor(math.log10(maximum))
    for factor in (0.1, 0.2, 0.5, 1, 2, 5, 10):
        step = max(1, round(factor * magnitude))
        if math.ceil(maximum / step) <= most_ticks:
            return step
    return 10 * magnitude


@dataclass(frozen=True)
class Frame:
    """An SVG chart's frame in viewBox units: its whole width and height, and the edges of the plotting
    area inside the margins (the x axis runs along `bottom` from `left` to `right`, the values rise to
    `top`). Positions are rounded to a tenth, as the charts have always written them."""

    width: int
    height: int
    left: int
    right: int
    top: int
    bottom: int

    @classmethod
    def sized(cls, width: int, height: int, *, left: int, right: int, top: int, bottom: int) -> Frame:
        """A frame of `width` × `height` with these margins (from each edge of the chart)."""
        return cls(width, height, left, width - right, top, height - bottom)

    def x(self, value: float, maximum: float) -> float:
        """Where `value` lies on a horizontal scale from 0 (left) to `maximum` (right)."""
        return round(self.left + value * (self.right - self.left) / maximum, 1)

    def y(self, value: float, maximum: float) -> float:
        """Where `value` lies on a vertical scale from 0 (bottom) to `maximum` (top)."""
        return round(self.bottom - value * (self.bottom - self.top) / maximum, 1)

    def share_y(self, share: float) -> float:
        """Where a share (0 to 1) lies on a vertical scale of shares, from 0 (bottom) to 1 (top)."""
        return round(self.bottom - share * (self.bottom - self.top), 1)

    def slot(self, count: int) -> float:
        """The width of one of `count` equal slots along the x axis (a year, a column)."""
        return (self.right - self.left) / max(count, 1)

    def centre(self, index: int, count: int) -> float:
        """The middle of slot `index` of `count`, unrounded (a column's edges are computed from it)."""
        return self.left + (index + 0.5) * self.slot(count)

    def count_axis(self, peak: int, most_ticks: int = 5) -> tuple[int, list[Tick]]:
        """A vertical axis of counts from 0 to at least `peak` in nice steps: its top value and its ticks."""
        step = nice_step(peak, most_ticks)
        top = max(step, math.ceil(peak / step) * step)
        return top, [Tick(value, self.y(value, top), str(value)) for value in range(0, top + 1, step)]
