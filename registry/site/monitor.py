"""The annual monitor on the public site: `/monitor/<year>` for the country and
`/monitor/<year>/<PV..|GM..>` for a province or municipality (the CBS code, as the area pages
address areas), as a page and as a PDF rendered on the server from the same template.

The figures come from registry.monitor (computed once per year, area and version of the register,
and kept); this module only draws them: survival curves and stop reasons as inline SVG computed
here (no chart library, no script), each with a table beside it. The PDF is WeasyPrint's rendering
of the page with its print style sheet (docs/monitor.md says why WeasyPrint); WeasyPrint reads
only our own static files, never the network.
"""

from __future__ import annotations

import mimetypes
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.conf import settings
from django.contrib.staticfiles import finders
from django.contrib.staticfiles.storage import staticfiles_storage
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from geo.models import Municipality, Province
from registry.caching import cached_page, kept_response, register_version
from registry.models import StopReason
from registry.monitor import (
    STOP_REASON_YEARS,
    SURVIVAL_AGES,
    TABLE_COLUMNS,
    VOLUNTEERS_MINIMUM,
    CurveGroup,
    Monitor,
    StopYear,
    UnknownArea,
    UnknownYear,
    monitor_for,
    monitor_years,
)
from registry.site.charts import Frame, Tick, nice_step

# -- survival curves: small multiples with a shared scale --------------------------------------------


@dataclass(frozen=True)
class SurvivalChart:
    id: str
    summary: str
    frame: Frame
    line: str  # the step line of the estimate (SVG path)
    band: str  # the 95% confidence band (SVG path, closed)
    x_ticks: list[Tick]
    y_ticks: list[Tick]
    at_risk: list[Tick]  # the number at risk at each x tick (label: the number)
    at_risk_y: int


def percent(value: float | None) -> str:
    return "" if value is None else f"{round(value * 100)}%"


def survival_chart(chart_id: str, group: CurveGroup, oldest: int) -> SurvivalChart:
    """The group's curve on a scale of 0 to `oldest` years (the same for every group of a grouping,
    so that the small multiples compare), with its band and the number at risk below the axis."""
    frame = Frame.sized(340, 232, left=44, right=12, top=12, bottom=64)
    oldest = max(oldest, 1)
    curve = group.curve

    def x(age: float) -> float:
        return frame.x(min(age, oldest), oldest)

    def y(share: float) -> float:
        return frame.share_y(share)

    # Kaplan–Meier is a step function: constant from one age to the next, dropping at each age.
    line, upper, lower = [f"M{x(0)},{y(1)}"], [(x(0), y(1))], [(x(0), y(1))]
    for point in curve.points:
        if point.years > oldest:
            break
        end = x(point.years + 1)
        line.append(f"V{y(point.survival)}H{end}")
        high = point.upper if point.upper is not None else point.survival
        low = point.lower if point.lower is not None else point.survival
        upper += [(x(point.years), y(high)), (end, y(high))]
        lower += [(x(point.years), y(low)), (end, y(low))]
    band = "M" + " L".join(f"{a},{b}" for a, b in upper + lower[::-1]) + " Z"
    step = nice_step(oldest, 5)
    x_ticks = [Tick(age, x(age), str(age)) for age in range(0, oldest + 1, step)]
    y_ticks = [Tick(share, y(share / 100), f"{share}%") for share in (0, 25, 50, 75, 100)]
    at_risk = []
    for tick in x_ticks:
        seen = curve.at(tick.value)
        at_risk.append(Tick(tick.value, tick.position, str(seen.at_risk if seen else 0)))
    return SurvivalChart(id=chart_id, summary=survival_summary(group), frame=frame, line="".join(line), band=band,
                         x_ticks=x_ticks, y_ticks=y_ticks, at_risk=at_risk, at_risk_y=frame.height - 10)


def survival_summary(group: CurveGroup) -> str:
    """What the chart shows, for its text alternative."""
    curve = group.curve
    parts = []
    for age in SURVIVAL_AGES:
        point = curve.at(age)
        if point is not None:
            parts.append(ngettext("after %(years)s year %(share)s still running (95%% interval %(low)s–%(high)s, "
                                  "%(at_risk)s at risk)",
                                  "after %(years)s years %(share)s still running (95%% interval %(low)s–%(high)s, "
                                  "%(at_risk)s at risk)", age) % {
                "years": age, "share": percent(point.survival), "low": percent(point.lower),
                "high": percent(point.upper), "at_risk": point.at_risk})
    return _("%(group)s: survival curve of %(initiatives)s initiatives, %(stopped)s of which stopped; %(points)s. "
             "The table gives the numbers.") % {
        "group": group.name.label, "initiatives": curve.initiatives, "stopped": curve.stopped,
        "points": "; ".join(parts) or _("too young to say")}


@dataclass(frozen=True)
class SurvivalRow:
    group: CurveGroup
    chart: SurvivalChart
    ages: list[tuple[Any, Any]]  # per SURVIVAL_AGES: the point seen from the year and from the one before, or None


def survival_rows(grouping: str, groups: Sequence[CurveGroup]) -> list[SurvivalRow]:
    oldest = min(max((len(group.curve.points) - 1 for group in groups), default=1), 50)
    rows = []
    for index, group in enumerate(groups):
        previous = group.previous
        rows.append(SurvivalRow(
            group=group, chart=survival_chart(f"survival-{grouping}-{index}", group, oldest),
            ages=[(group.curve.at(age), previous.at(age) if previous else None) for age in SURVIVAL_AGES]))
    return rows


# -- stop reasons over the years ----------------------------------------------------------------------


@dataclass(frozen=True)
class Series:
    code: str
    label: str
    css: str
    line: str  # polyline points
    markers: list[tuple[float, float, float, float]]  # centre, and the top left of a square marker


@dataclass(frozen=True)
class StopChart:
    summary: str
    frame: Frame
    series: list[Series]
    x_ticks: list[Tick]
    y_ticks: list[Tick]


# Lack of money against lack of people: the two lines differ in dash and marker, not only in colour.
STOP_SERIES = ((StopReason.FUNDING, "funding"), (StopReason.PEOPLE, "people"))


def stop_chart(years: Sequence[StopYear]) -> StopChart:
    frame = Frame.sized(640, 260, left=44, right=16, top=36, bottom=32)
    peak = max((row.counts.get(reason, 0) for row in years for reason, _css in STOP_SERIES), default=0)
    axis_max, y_ticks = frame.count_axis(peak)

    def x(index: int) -> float:
        return round(frame.centre(index, len(years)), 1)

    def y(value: int) -> float:
        return frame.y(value, axis_max)

    series = []
    for reason, css in STOP_SERIES:
        points = [(x(index), y(row.counts.get(reason, 0))) for index, row in enumerate(years)]
        series.append(Series(reason.value, str(StopReason(reason).label), css,
                             " ".join(f"{a},{b}" for a, b in points),
                             [(a, b, round(a - 4, 1), round(b - 4, 1)) for a, b in points]))
    funding = sum(row.counts.get(StopReason.FUNDING, 0) for row in years)
    people = sum(row.counts.get(StopReason.PEOPLE, 0) for row in years)
    summary = _("Initiatives that stopped per year, %(first)s to %(last)s, for lack of money (solid line, round "
                "markers) and for lack of people (dashed line, square markers): %(funding)s and %(people)s in "
                "all. The table gives every year and reason.") % {
        "first": years[0].year if years else "", "last": years[-1].year if years else "",
        "funding": funding, "people": people}
    x_ticks = [Tick(row.year, x(index), str(row.year)) for index, row in enumerate(years)]
    return StopChart(summary=summary, frame=frame, series=series, x_ticks=x_ticks, y_ticks=y_ticks)


# A table of more rows than this (the municipalities that lack a service, in the country or a large
# province) is folded on the page: a few hundred rows of eight cells are most of a page's elements,
# laid out for a visitor who may never look at them (issue 14: the monitor's Lighthouse run).
FOLDED_ROWS = 12


# -- the views ----------------------------------------------------------------------------------------


def the_monitor(request: HttpRequest, year: int, area: str | None) -> Monitor:
    try:
        return monitor_for(year, area, register_version(request))
    except (UnknownYear, UnknownArea):
        raise Http404(_("There is no monitor for this year or area.")) from None


def context(request: HttpRequest, monitor: Monitor, *, pdf: bool = False) -> dict[str, Any]:
    code = monitor.area.code
    args = [monitor.year, code] if code else [monitor.year]
    suffix = "-area" if code else ""
    years = monitor_years()
    other_areas: list[Any] = []
    if monitor.area.is_country:
        other_areas = list(Province.objects.order_by("name"))
    elif monitor.area.level == "province":
        other_areas = list(Municipality.objects.current().filter(province__code=code).order_by("name"))
    up = []
    if monitor.area.level == "municipality":
        province = Municipality.objects.current().select_related("province").get(code=code).province
        up.append((province.name, reverse("registry:monitor-area", args=[monitor.year, province.code])))
    if not monitor.area.is_country:
        up.append((_("The Netherlands"), reverse("registry:monitor", args=[monitor.year])))
    table_args = [monitor.year, code] if code else [monitor.year]
    csv_name = "opendata:monitor-area-table" if code else "opendata:monitor-table"
    return {
        "monitor": monitor,
        "area_name": monitor.area.name if code else _("The Netherlands"),
        "pdf": pdf,
        "pdf_url": reverse(f"registry:monitor-pdf{suffix}", args=args),
        "api_url": reverse("api:monitor") + f"?year={monitor.year}" + (f"&area={code}" if code else ""),
        # Every table the monitor has (registry.monitor.TABLE_COLUMNS, which opendata.views serves).
        "csv_tables": [(name, reverse(csv_name, args=[*table_args, name])) for name in TABLE_COLUMNS],
        "previous_url": (reverse(f"registry:monitor{suffix}", args=[monitor.year - 1, *args[1:]])
                         if monitor.year - 1 in years else None),
        "next_url": (reverse(f"registry:monitor{suffix}", args=[monitor.year + 1, *args[1:]])
                     if monitor.year + 1 in years else None),
        "other_areas": [(area.name, reverse("registry:monitor-area", args=[monitor.year, area.code]))
                        for area in other_areas],
        "up": up,
        "survival": [(grouping, survival_rows(grouping.grouping, grouping.groups)) for grouping in monitor.survival],
        "survival_ages": SURVIVAL_AGES,
        "stop_chart": stop_chart(monitor.stop_reasons),
        "stop_rows": [(row.year, [row.counts.get(reason.code, 0) for reason in monitor.stop_reason_names], row.total)
                      for row in monitor.stop_reasons],
        "stop_reason_years": STOP_REASON_YEARS,
        "volunteers_minimum": VOLUNTEERS_MINIMUM,
        "area_page": reverse("registry:area", args=[code]) if code else None,
        "fold_coverage": len(monitor.lacking) > FOLDED_ROWS,
        "coverage_csv": reverse(csv_name, args=[*table_args, "coverage"]),
    }


def latest(request: HttpRequest) -> HttpResponse:
    """/monitor: this year's monitor of the country (the footer links here)."""
    return redirect("registry:monitor", timezone.localdate().year)


@cached_page()
def monitor_page(request: HttpRequest, year: int, area: str | None = None) -> HttpResponse:
    monitor = the_monitor(request, year, area)
    return render(request, "registry/monitor.html", context(request, monitor))


def monitor_pdf(request: HttpRequest, year: int, area: str | None = None) -> HttpResponse:
    """The page as a PDF, to pass on. Made once per version of the register and language, and kept
    (nothing on it is the visitor's own)."""
    monitor = the_monitor(request, year, area)
    name = f"monitor-{monitor.year}-{slugify(monitor.area.name)}.pdf"

    def produce() -> bytes:
        html = render_to_string("registry/monitor.html", context(request, monitor, pdf=True), request=request)
        return html_to_pdf(html, request.build_absolute_uri("/"))

    if settings.PAGE_CACHE:
        response = kept_response(request, ("pdf", monitor.version), produce, "application/pdf", compress=False)
        assert response is not None  # produce always makes a body
    else:
        response = HttpResponse(produce(), content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


def html_to_pdf(html: str, base_url: str) -> bytes:
    from weasyprint import HTML  # imported here: loading Pango takes a moment, and only the PDF needs it

    return HTML(string=html, base_url=base_url, url_fetcher=static_files_fetcher(base_url)).write_pdf()


def static_files_fetcher(base_url: str) -> Any:
    """A WeasyPrint URL fetcher that reads the site's own static files (the style sheets) from disk,
    and refuses everything else: the PDF never makes a request over the network."""
    from weasyprint.urls import URLFetcher, URLFetcherResponse

    static_url = settings.STATIC_URL if settings.STATIC_URL.startswith("/") else "/" + settings.STATIC_URL
    prefix = base_url.rstrip("/") + static_url

    class StaticFiles(URLFetcher):
        def fetch(self, url: str, headers: Any = None) -> Any:
            if not url.startswith(prefix):
                raise ValueError(f"the PDF reads only the site's static files, not {url}")
            name = url[len(prefix):].split("?")[0]
            path = static_path(name)
            if path is None:
                raise ValueError(f"no static file {name}")
            media_type = mimetypes.guess_type(name)[0] or "application/octet-stream"
            return URLFetcherResponse(url, path.read_bytes(), {"Content-Type": media_type})

    return StaticFiles(allowed_protocols=("http", "https"))


def static_path(name: str) -> Path | None:
    """A static file on disk: collected (production, hashed names) or found in the apps (development)."""
    try:
        if staticfiles_storage.exists(name):
            return Path(staticfiles_storage.path(name))
    except (NotImplementedError, ValueError):
        pass
    found = finders.find(name)
    return Path(found) if isinstance(found, str) else None
