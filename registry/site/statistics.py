"""The public statistics page: where the published initiatives are, what they are and do, and how
their number grew and shrank over the years.

Every figure is shown twice: as a picture (a folium choropleth, inline SVG charts drawn on the
server, no chart library) and as a table, so that it can be read without sight, colour or
JavaScript. Only published initiatives count.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import folium
from django.db.models.functions import ExtractYear
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.html import escape
from django.utils.text import capfirst
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from geo.maps import NETHERLANDS_BOUNDS, RenderedMap, SiteMap
from geo.models import Municipality, Province
from registry.caching import cached_page
from registry.models import Initiative, Kind, Service, Status, StopReason
from registry.querysets import InitiativeQuerySet
from registry.site.charts import Frame, Tick
from registry.site.charts import nice_step as nice_step  # where tests/site/test_statistics.py finds it
from registry.site.maps import rendered

# Viridis in five steps (light to dark): sequential, readable with every common colour-vision
# deficiency and in greyscale. Municipalities without initiatives get a light grey of their own.
PALETTE = ("#fde725", "#5ec962", "#21918c", "#3b528b", "#440154")
ZERO_COLOUR = "#f0f0f0"
FILL_OPACITY = 0.85
BORDER_COLOUR = "#4a4a4a"


# ---------------------------------------------------------------------------------------------
# Counting


@dataclass(frozen=True)
class Count:
    label: str
    count: int


def by_count(rows: Iterable[Count]) -> list[Count]:
    """Largest first; equal counts in alphabetical order."""
    return sorted(rows, key=lambda row: (-row.count, row.label.casefold()))


def counts_by_kind(initiatives: InitiativeQuerySet) -> list[Count]:
    counts = {row["kind"]: row["count"] for row in initiatives.counts_by("kind")}
    return by_count(Count(kind.label, counts.get(kind.pk, 0)) for kind in Kind.objects.all())


def counts_by_service(initiatives: InitiativeQuerySet) -> list[Count]:
    """Initiatives per service; one initiative may offer several services, or none."""
    counts = {row["services"]: row["count"] for row in initiatives.counts_by("services")}
    return by_count(Count(service.label, counts.get(service.pk, 0)) for service in Service.objects.all())


def counts_by_province(initiatives: InitiativeQuerySet) -> list[Count]:
    counts = {row["province"]: row["count"] for row in initiatives.counts_by("province")}
    rows = [Count(province.name, counts.get(province.pk, 0)) for province in Province.objects.all()]
    if counts.get(None):
        rows.append(Count(_("Outside the provinces"), counts[None]))
    return by_count(rows)


def counts_by_status(initiatives: InitiativeQuerySet) -> list[Count]:
    counts = {row["status"]: row["count"] for row in initiatives.counts_by("status")}
    return by_count(Count(str(capfirst(status.label)), counts.get(status.value, 0)) for status in Status)


def counts_by_stop_reason(initiatives: InitiativeQuerySet) -> list[Count]:
    """Why the stopped initiatives stopped."""
    stopped = initiatives.filter(status=Status.STOPPED)
    counts = {row["stop_reason"]: row["count"] for row in stopped.counts_by("stop_reason")}
    rows = [Count(str(capfirst(reason.label)), counts.get(reason.value, 0)) for reason in StopReason]
    if counts.get(""):
        rows.append(Count(_("Not recorded"), counts[""]))
    return by_count(rows)


@dataclass(frozen=True)
class YearCount:
    year: int
    founded: int
    stopped: int


def counts_per_year(initiatives: InitiativeQuerySet) -> list[YearCount]:
    """Initiatives founded (founded_year) and stopped (the year of stopped_on) in each year, from
    the first year in the data to the last, years without either included with zeros."""
    founded = {row["founded_year"]: row["count"]
               for row in initiatives.filter(founded_year__isnull=False).counts_by("founded_year")}
    stopped = {row["year"]: row["count"]
               for row in initiatives.filter(stopped_on__isnull=False)
               .annotate(year=ExtractYear("stopped_on")).counts_by("year")}
    years = founded.keys() | stopped.keys()
    if not years:
        return []
    return [YearCount(year, founded.get(year, 0), stopped.get(year, 0))
            for year in range(min(years), max(years) + 1)]


# ---------------------------------------------------------------------------------------------
# Charts: the geometry is computed here, the SVG written by the templates (in viewBox units).


@dataclass(frozen=True)
class Bar:
    label: str
    value: int
    label_y: int  # baseline of the label, above the bar
    bar_y: int  # top of the bar
    value_y: int  # baseline of the number after the bar
    percent: float  # length of the bar, in per cent of the chart's width


@dataclass(frozen=True)
class BarChart:
    id: str
    summary: str
    height: int
    bar_height: int
    bars: list[Bar]


# Each row: the label on a line of its own (so a long label never collides with the bars), the bar
# below it, the number after the bar. Lengths are percentages, so the chart takes the width it gets
# while its text keeps the page's size; the longest bar leaves room for its number.
BAR_ROW = 40
BAR_HEIGHT = 14
LONGEST_BAR_PERCENT = 85


def bar_chart(chart_id: str, title: str, rows: Sequence[Count]) -> BarChart:
    """A horizontal bar chart of the counts, in the order given."""
    largest = max((row.count for row in rows), default=0)
    bars = []
    for index, row in enumerate(rows):
        top = index * BAR_ROW
        percent = round(row.count * LONGEST_BAR_PERCENT / largest, 2) if largest else 0.0
        bars.append(Bar(label=row.label, value=row.count, label_y=top + 15, bar_y=top + 20,
                        value_y=top + 20 + BAR_HEIGHT - 2, percent=percent))
    return BarChart(id=chart_id, summary=bar_summary(title, rows), height=max(len(rows), 1) * BAR_ROW,
                    bar_height=BAR_HEIGHT, bars=bars)


def bar_summary(title: str, rows: Sequence[Count]) -> str:
    """What a sighted reader takes from the chart at a glance, for its text alternative."""
    if not rows or not any(row.count for row in rows):
        return _("%(title)s: bar chart, no initiatives to count yet.") % {"title": title}
    largest = max(rows, key=lambda row: row.count)
    smallest = min(rows, key=lambda row: row.count)
    return _("%(title)s: bar chart of %(number)s categories. Largest: %(largest)s (%(largest_count)s); "
             "smallest: %(smallest)s (%(smallest_count)s). The table gives every number.") % {
        "title": title, "number": len(rows), "largest": largest.label, "largest_count": largest.count,
        "smallest": smallest.label, "smallest_count": smallest.count}


@dataclass(frozen=True)
class Column:
    year: int
    x: float
    y: float
    height: float


@dataclass(frozen=True)
class Marker:
    year: int
    x: float  # top left of the square marker
    y: float


@dataclass(frozen=True)
class YearChart:
    summary: str
    frame: Frame
    column_width: float
    columns: list[Column]
    line: str  # polyline points of the stopped initiatives
    markers: list[Marker]
    marker_size: int
    y_ticks: list[Tick]
    x_ticks: list[Tick]
    founded_label: str
    stopped_label: str


def year_chart(years: Sequence[YearCount]) -> YearChart | None:
    """Columns for the initiatives founded per year, a line with square markers for the stopped ones:
    the two differ in shape, not only in colour."""
    if not years:
        return None
    frame = Frame.sized(720, 320, left=48, right=12, top=40, bottom=32)
    axis_max, y_ticks = frame.count_axis(max(max(row.founded, row.stopped) for row in years))
    slot = frame.slot(len(years))
    column_width = round(max(1.0, min(slot * 0.7, 40.0)), 1)

    columns, markers, points = [], [], []
    marker_size = 6 if slot >= 7 else 4
    for index, row in enumerate(years):
        centre = frame.centre(index, len(years))
        founded, stopped = frame.y(row.founded, axis_max), frame.y(row.stopped, axis_max)
        columns.append(Column(row.year, round(centre - column_width / 2, 1), founded, round(frame.bottom - founded, 1)))
        points.append(f"{round(centre, 1)},{stopped}")
        markers.append(Marker(row.year, round(centre - marker_size / 2, 1), round(stopped - marker_size / 2, 1)))
    label_every = next(every for every in (1, 2, 5, 10, 20, 50) if len(years) / every <= 12)
    x_ticks = [Tick(row.year, round(frame.centre(index, len(years)), 1), str(row.year))
               for index, row in enumerate(years) if row.year % label_every == 0]
    return YearChart(summary=year_summary(years), frame=frame, column_width=column_width, columns=columns,
                     line=" ".join(points), markers=markers, marker_size=marker_size, y_ticks=y_ticks,
                     x_ticks=x_ticks, founded_label=_("Founded"), stopped_label=_("Stopped"))


def year_summary(years: Sequence[YearCount]) -> str:
    most_founded = max(years, key=lambda row: (row.founded, row.year))
    most_stopped = max(years, key=lambda row: (row.stopped, row.year))
    return _("Initiatives founded and stopped per year, %(first)s to %(last)s: columns for the founded ones, "
             "a line for the stopped ones. Most founded in one year: %(founded)s in %(founded_year)s; "
             "most stopped in one year: %(stopped)s in %(stopped_year)s. The table below gives every year.") % {
        "first": years[0].year, "last": years[-1].year, "founded": most_founded.founded,
        "founded_year": most_founded.year, "stopped": most_stopped.stopped, "stopped_year": most_stopped.year}


# ---------------------------------------------------------------------------------------------
# The choropleth


@dataclass(frozen=True)
class ColourClass:
    low: int
    high: int
    colour: str
    municipalities: int = 0

    @property
    def label(self) -> str:
        return str(self.low) if self.low == self.high else f"{self.low}–{self.high}"


def class_breaks(counts: Iterable[int], classes: int = len(PALETTE)) -> list[tuple[int, int]]:
    """Ranges (low, high) for the counts above zero: quantiles by nearest rank, so that each class
    holds about as many municipalities; fewer classes when the counts do not differ enough."""
    positive = sorted(count for count in counts if count > 0)
    if not positive:
        return []
    uppers = {positive[math.ceil(k * len(positive) / classes) - 1] for k in range(1, classes)}
    uppers.add(positive[-1])
    ranges, low = [], 1
    for high in sorted(uppers):
        ranges.append((low, high))
        low = high + 1
    return ranges


def colour_classes(counts: Sequence[int]) -> list[ColourClass]:
    """The zero class, then the classes of class_breaks with colours spread over the palette."""
    ranges = class_breaks(counts)
    if len(ranges) > 1:
        colours = [PALETTE[round(index * (len(PALETTE) - 1) / (len(ranges) - 1))] for index in range(len(ranges))]
    else:
        colours = [PALETTE[len(PALETTE) // 2]] * len(ranges)
    classes = [ColourClass(0, 0, ZERO_COLOUR, sum(1 for count in counts if count == 0))]
    for (low, high), colour in zip(ranges, colours, strict=True):
        classes.append(ColourClass(low, high, colour, sum(1 for count in counts if low <= count <= high)))
    return classes


def colour_for(count: int, classes: Sequence[ColourClass]) -> str:
    return next(entry.colour for entry in classes if entry.low <= count <= entry.high)


@dataclass(frozen=True)
class MunicipalityCount:
    code: str
    name: str
    province: str
    count: int


def municipality_counts(initiatives: InitiativeQuerySet) -> tuple[list[MunicipalityCount], dict[str, Any]]:
    """Every current municipality with its number of initiatives, and the same as a GeoJSON
    FeatureCollection of simplified boundaries (feature id: the CBS code)."""
    counts = {row["municipality"]: row["count"] for row in initiatives.counts_by("municipality")}
    rows, features = [], []
    outlined = Municipality.objects.current().order_by("name").with_outline()
    # "outline" is with_outline's annotation, which the stubs lose in a queryset of our own.
    areas = outlined.values_list("pk", "code", "name", "province__name", "outline")  # type: ignore[misc]  # annotated
    for pk, code, name, province, shape in areas:
        count = counts.get(pk, 0)
        rows.append(MunicipalityCount(code, name, province, count))
        label = ngettext("%(name)s: %(count)s initiative", "%(name)s: %(count)s initiatives", count) % {
            "name": name, "count": count}
        features.append({"type": "Feature", "id": code, "geometry": json.loads(shape),
                         # the tooltip shows the label as HTML
                         "properties": {"count": count, "label": escape(label)}})
    return rows, {"type": "FeatureCollection", "features": features}


def choropleth(collection: dict[str, Any], classes: Sequence[ColourClass]) -> RenderedMap:
    # Fractional zoom levels let the whole country fill the map; the page scrolls past the map.
    site_map = SiteMap(label=_("Map: published initiatives per municipality"), name="choropleth",
                       zoom_snap=0.25, scroll_wheel_zoom=False)
    site_map.fit_bounds(NETHERLANDS_BOUNDS)

    def style(feature: dict[str, Any]) -> dict[str, Any]:
        return {"fillColor": colour_for(feature["properties"]["count"], classes), "fillOpacity": FILL_OPACITY,
                "color": BORDER_COLOUR, "weight": 0.6}

    def highlight(feature: dict[str, Any]) -> dict[str, Any]:
        return {"color": "#1a1a1a", "weight": 2.5}

    folium.GeoJson(collection, name="municipalities", style_function=style, highlight_function=highlight,
                   tooltip=folium.GeoJsonTooltip(fields=["label"], labels=False)).add_to(site_map)
    return rendered(site_map)


# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Section:
    id: str
    title: str
    column: str  # heading of the first column of the table
    rows: list[Count]
    chart: BarChart
    note: str = ""


def section(section_id: str, title: str, column: str, rows: list[Count], note: str = "") -> Section:
    return Section(section_id, title, column, rows, bar_chart(f"chart-{section_id}", title, rows), note)


def service_note(without_service: int) -> str:
    note = _("An initiative can offer more than one service.")
    if without_service:
        note += " " + ngettext("%(count)s initiative lists none.", "%(count)s initiatives list none.",
                               without_service) % {"count": without_service}
    return note


@cached_page()
def statistics(request: HttpRequest) -> HttpResponse:
    initiatives = Initiative.objects.published()
    total = initiatives.count()
    without_service = initiatives.filter(services__isnull=True).count()
    stopped = initiatives.filter(status=Status.STOPPED).count()
    sections = [
        section("kind", _("Initiatives by kind"), _("Kind"), counts_by_kind(initiatives)),
        section("service", _("Initiatives by service"), _("Service"), counts_by_service(initiatives),
                note=service_note(without_service)),
        section("province", _("Initiatives by province"), _("Province"), counts_by_province(initiatives)),
        section("status", _("Initiatives by status"), _("Status"), counts_by_status(initiatives)),
        section("stop-reason", _("Why initiatives stopped"), _("Reason"), counts_by_stop_reason(initiatives),
                note=ngettext("Of the %(count)s stopped initiative.", "Of the %(count)s stopped initiatives.",
                              stopped) % {"count": stopped}),
    ]
    years = counts_per_year(initiatives)
    municipalities, collection = municipality_counts(initiatives)
    classes = colour_classes([row.count for row in municipalities])
    return render(request, "registry/statistics.html", {
        "total": total,
        "sections": sections,
        "years": years,
        "year_chart": year_chart(years),
        "without_year": initiatives.filter(founded_year__isnull=True).count(),
        "map": choropleth(collection, classes),
        "classes": classes,
        "municipalities": municipalities,
    })
