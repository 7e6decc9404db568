"""The annual monitor: a yearly picture of the published initiatives of the country, a province or a
municipality, each figure beside the year before. Shown by the public site (page and PDF), the
API (/api/v1/monitor) and the open data (its tables as CSV), all from the one Monitor made here.

What "in a year" means (docs/monitor.md):
- running at the end of year Y: founded in or before Y, and not stopped by the end of Y (the register
  knows when an initiative stopped, not when it paused: a paused one counts as running);
- founded in Y: the founding year is Y; stopped in Y: the stop date lies in Y;
- initiatives without a founding year count among the stopped (their stop date is known) but cannot
  count as running in a year nor in the survival curves; the monitor says how many there are.

A monitor is computed once per year, area and version of the register, and kept in the response
cache under a key that holds that version (registry.caching): an edit makes every key new, so a
kept monitor is never stale, and at 100,000 records a view costs a cache read, not the queries.

Privacy: counts of initiatives are not sensitive. Volunteers are shown only as aggregates over at
least VOLUNTEERS_MINIMUM initiatives, with complementary suppression among the kinds (see
suppressed_volunteers). The income mix (money) is not computed here yet: `finances` is where the
yearly figures' privacy-safe aggregation plugs in.
"""

from __future__ import annotations

import datetime
import hashlib
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Count, Min, Q, Sum
from django.db.models.functions import ExtractYear
from django.utils import timezone, translation
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from geo.models import Municipality, Province
from registry.caching import responses, single_flight
from registry.figures import Aggregate, aggregate
from registry.models import FundingSource, Initiative, Kind, Service, StopReason
from registry.models.choices import FundingModel
from registry.models.figures import INCOME_FIELDS, YearlyFigures
from registry.querysets import InitiativeQuerySet
from registry.survival import Lifetime, SurvivalCurve, funding_model_expression, kaplan_meier, lifetime

# The services whose absence in a municipality the monitor shows: a meeting point, a shop and a
# social counter run by residents (codes of the Service vocabulary).
COVERAGE_SERVICES = ("ontmoetingsplek", "winkel", "sociaal-loket")
VOLUNTEERS_MINIMUM = 5
STOP_REASON_YEARS = 10  # the stop reasons of the monitor's year and the nine before it
SURVIVAL_AGES = (1, 5, 10, 20)  # the ages the summary tables show
MONITOR_CACHE_SECONDS = 24 * 3600  # the key holds the register's version: kept long, never stale


class UnknownArea(LookupError):
    pass


class UnknownYear(LookupError):
    pass


@dataclass(frozen=True)
class Named:
    """A code with its name in Dutch and English (areas have one name in both)."""

    code: str
    nl: str
    en: str

    @property
    def label(self) -> str:
        return self.en if (get_language() or "nl").startswith("en") else self.nl


def named(code: str, label: Any) -> Named:
    """A code with a translatable label, in both languages."""
    labels = {}
    for language in ("nl", "en"):
        with translation.override(language):
            labels[language] = str(label)
    return Named(code, labels["nl"], labels["en"])


def named_choice(choice: Any) -> Named:
    """An enum choice (StopReason, FundingModel) with its label in both languages."""
    return named(choice.value, choice.label)


def named_terms(vocabulary: Any, codes: Iterable[str] | None = None) -> list[Named]:
    terms = vocabulary.objects.all() if codes is None else vocabulary.objects.filter(code__in=codes)
    return [Named(term.code, term.label_nl, term.label_en) for term in terms]


# -- areas and years ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Area:
    code: str  # "" for the Netherlands, else the CBS code (PV27, GM0363): the site's address of areas
    name: str
    level: str  # "country", "province" or "municipality"
    province: str = ""  # a municipality's province's name

    @property
    def is_country(self) -> bool:
        return self.level == "country"


NETHERLANDS = Area("", "Nederland", "country")


def find_area(code: str | None) -> Area:
    """The country (no code), a province (PV..) or a current municipality (GM..) by its CBS code, in
    any case; UnknownArea otherwise."""
    if not code:
        return NETHERLANDS
    code = code.upper()
    if code.startswith("PV"):
        province = Province.objects.filter(code=code).first()
        if province is not None:
            return Area(province.code, province.name, "province")
    elif code.startswith("GM"):
        municipality = Municipality.objects.current().select_related("province").filter(code=code).first()
        if municipality is not None:
            return Area(municipality.code, municipality.name, "municipality", municipality.province.name)
    raise UnknownArea(code)


def area_initiatives(area: Area) -> InitiativeQuerySet:
    initiatives = Initiative.objects.published()
    return initiatives if area.is_country else initiatives.in_area(area.code)


def monitor_years(today: datetime.date | None = None) -> range:
    """The years a monitor exists for: from the earliest founding year among the published initiatives
    to this year (only this year while none has a founding year)."""
    this_year = (today or timezone.localdate()).year
    first = Initiative.objects.published().aggregate(first=Min("founded_year"))["first"]
    return range(min(first or this_year, this_year), this_year + 1)


def check_year(year: int) -> None:
    if year not in monitor_years():
        raise UnknownYear(year)


# -- the monitor --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Figure:
    """A count in the monitor's year beside the same count in the year before."""

    name: Named
    value: int
    previous: int

    @property
    def change(self) -> int:
        return self.value - self.previous


@dataclass(frozen=True)
class CurveGroup:
    name: Named
    curve: SurvivalCurve
    previous: SurvivalCurve | None  # the same group as seen a year earlier


@dataclass(frozen=True)
class Survival:
    grouping: str  # "all", "kind", "funding-model", "province"
    groups: list[CurveGroup]


@dataclass(frozen=True)
class StopYear:
    year: int
    counts: dict[str, int]  # per StopReason code

    @property
    def total(self) -> int:
        return sum(self.counts.values())


@dataclass(frozen=True)
class Coverage:
    """Per municipality of the area, the running initiatives that offer each coverage service."""

    municipality: Named
    province: str
    counts: dict[str, tuple[int, int]]  # service code: (in the year, in the year before)

    def lacks(self, service: str) -> bool:
        return self.counts[service][0] == 0


@dataclass(frozen=True)
class ServiceCoverage:
    service: Named
    without: int  # municipalities of the area with no running initiative offering it
    without_previous: int


@dataclass(frozen=True)
class Volunteers:
    """Volunteers of the initiatives running at the end of the year that recorded a number: the
    numbers have no year yet (they are the ones recorded today)."""

    group: Named  # code "": all kinds
    initiatives: int  # initiatives that recorded a number
    total: int | None  # None: suppressed (fewer than VOLUNTEERS_MINIMUM, or to protect a suppressed group)

    @property
    def suppressed(self) -> bool:
        return self.total is None


@dataclass(frozen=True)
class Monitor:
    year: int
    area: Area
    version: str  # the register's version the figures were computed from
    figures: list[Figure]  # running, founded, stopped
    running_by_kind: list[Figure]
    founded_by_kind: list[Figure]
    stopped_by_reason: list[Figure]
    without_founding_year: int
    survival: list[Survival]
    stop_reasons: list[StopYear]  # the last STOP_REASON_YEARS years up to the monitor's year
    stop_reason_names: list[Named]
    coverage_services: list[ServiceCoverage]
    coverage: list[Coverage]  # every municipality of the area
    volunteers: list[Volunteers]
    # Income by source and the yearly measures, from registry.figures.aggregate (its privacy rules).
    finances: Finances | None = None
    computed_at: datetime.datetime = field(default_factory=timezone.now)

    @property
    def previous_year(self) -> int:
        return self.year - 1

    def figure(self, code: str) -> Figure:
        return next(figure for figure in self.figures if figure.name.code == code)

    @property
    def municipalities(self) -> int:
        return len(self.coverage)

    @property
    def lacking(self) -> list[Coverage]:
        """The municipalities that lack at least one of the services at the end of the year."""
        return [row for row in self.coverage if any(row.lacks(service) for service in row.counts)]


@dataclass(frozen=True)
class MoneyRow:
    name: Named
    amount: int | float | None
    share: float | None
    previous_amount: int | float | None
    previous_share: float | None


@dataclass(frozen=True)
class Finances:
    """The yearly figures of the area's initiatives, this year and the year before, as
    registry.figures.aggregate gives them: consented figures only, None where fewer than its
    MIN_GROUP initiatives contribute."""

    current: Aggregate
    previous: Aggregate
    sources: list[MoneyRow]
    measures: list[MoneyRow]  # expenses, volunteers, paid staff, people reached, work places (no shares)

    @property
    def published(self) -> bool:
        return self.current.published or self.previous.published


MEASURE_NAMES = {"expenses": _("Expenses (€)"), "volunteers": _("Volunteers"), "paid_staff_fte": _("Paid staff (FTE)"),
                 "people_reached": _("People reached in the year"), "work_places": _("Work-experience places")}


def finances_in(initiatives: InitiativeQuerySet, year: int) -> Finances:
    current, previous = aggregate(initiatives, year), aggregate(initiatives, year - 1)
    sources = [MoneyRow(source, current.income.get(source.code), current.share(source.code),
                        previous.income.get(source.code), previous.share(source.code))
               for source in named_terms(FundingSource, INCOME_FIELDS.values())]
    sources.append(MoneyRow(named("total", _("Total income")), current.income_total,
                            1.0 if current.income_total else None, previous.income_total,
                            1.0 if previous.income_total else None))
    measures = [MoneyRow(named(code, label), current.measures.get(code), None, previous.measures.get(code), None)
                for code, label in MEASURE_NAMES.items()]
    return Finances(current, previous, sources, measures)


def monitor_for(year: int, area_code: str | None, version: Any) -> Monitor:
    """The monitor of `year` for an area (None or "": the country), computed once per version of the
    register and kept; UnknownYear or UnknownArea for what does not exist."""
    # Hashed, as registry.caching's keys: a version is a timestamp, with spaces (memcached's keys have none).
    key = "monitor:" + hashlib.sha256(f"{year}|{(area_code or '').upper()}|{version}".encode()).hexdigest()
    kept = responses().get(key)  # a kept monitor was checked when it was made
    if kept is not None:
        return kept
    area = find_area(area_code)
    check_year(year)
    return single_flight(key, lambda: compute(year, area, str(version)), timeout=MONITOR_CACHE_SECONDS)


def running_at_end_of(year: int) -> Q:
    """Running at the end of `year` (see the module's docstring), as a filter on initiatives."""
    return Q(founded_year__lte=year) & (Q(stopped_on__isnull=True) | Q(stopped_on__year__gt=year))


def compute(year: int, area: Area, version: str) -> Monitor:
    initiatives = area_initiatives(area)
    previous = year - 1
    kinds = named_terms(Kind)
    reasons = [named_choice(reason) for reason in StopReason]
    # One row per combination of what the figures and curves are counted by: a few thousand rows
    # for the whole register, whatever its size.
    cohorts = list(initiatives.order_by()
                   .annotate(stop_year=ExtractYear("stopped_on"), funding_model=funding_model_expression())
                   .values("kind__code", "province__code", "funding_model", "founded_year", "stop_year",
                           "stop_reason")
                   .annotate(count=Count("pk")))

    def running(row: dict, in_year: int) -> bool:
        founded, stopped = row["founded_year"], row["stop_year"]
        return founded is not None and founded <= in_year and (stopped is None or stopped > in_year)

    def count(where: Any) -> tuple[int, int]:
        return (sum(row["count"] for row in cohorts if where(row, year)),
                sum(row["count"] for row in cohorts if where(row, previous)))

    def figure(name: Named, where: Any) -> Figure:
        value, before = count(where)
        return Figure(name, value, before)

    figures = [
        figure(named("running", _("Running at the end of the year")), running),
        figure(named("founded", _("Founded in the year")), lambda row, y: row["founded_year"] == y),
        figure(named("stopped", _("Stopped in the year")), lambda row, y: row["stop_year"] == y),
    ]
    running_by_kind = [figure(kind, lambda row, y, code=kind.code: row["kind__code"] == code and running(row, y))
                       for kind in kinds]
    founded_by_kind = [figure(kind, lambda row, y, code=kind.code: row["kind__code"] == code
                              and row["founded_year"] == y) for kind in kinds]
    # A stop without a reason (which validation refuses, the database allows) counts as "other".
    stopped_by_reason = [figure(reason, lambda row, y, code=reason.code: row["stop_year"] == y
                                and (row["stop_reason"] or StopReason.OTHER) == code) for reason in reasons]
    stop_counts: dict[int, dict[str, int]] = defaultdict(lambda: dict.fromkeys((r.code for r in reasons), 0))
    for row in cohorts:
        if row["stop_year"] is not None and year - STOP_REASON_YEARS < row["stop_year"] <= year:
            stop_counts[row["stop_year"]][row["stop_reason"] or StopReason.OTHER] += row["count"]
    stop_reasons = [StopYear(y, stop_counts[y]) for y in range(year - STOP_REASON_YEARS + 1, year + 1)]

    groupings: list[tuple[str, str | None, list[Named]]] = [
        ("all", None, [named("", _("All initiatives"))]),
        ("kind", "kind__code", kinds),
        ("funding-model", "funding_model", [named_choice(model) for model in FundingModel]),
    ]
    if area.is_country:
        groupings.append(("province", "province__code",
                          [Named(p.code, p.name, p.name) for p in Province.objects.order_by("name")]))
    survival = [Survival(grouping, survival_groups(cohorts, key, names, year)) for grouping, key, names in groupings]

    coverage_services, coverage = coverage_in(area, initiatives, year)
    return Monitor(
        year=year, area=area, version=version, figures=figures, running_by_kind=running_by_kind,
        founded_by_kind=founded_by_kind, stopped_by_reason=stopped_by_reason,
        without_founding_year=sum(row["count"] for row in cohorts if row["founded_year"] is None),
        survival=survival, stop_reasons=stop_reasons, stop_reason_names=reasons,
        coverage_services=coverage_services, coverage=coverage,
        volunteers=volunteers_in(initiatives, year, kinds),
        finances=finances_in(initiatives, year),
    )


def survival_groups(cohorts: list[dict], key: str | None, names: list[Named], year: int) -> list[CurveGroup]:
    """A curve per group (seen from the end of the year, and from the end of the year before), in the
    order of `names`; groups without initiatives are left out."""
    by_group: dict[str, list[dict]] = defaultdict(list)
    for row in cohorts:
        by_group["" if key is None else row[key]].append(row)

    def lifetimes(rows: list[dict], seen_from: int) -> list[Lifetime]:
        found = []
        for row in rows:
            one = lifetime(row["founded_year"], row["stop_year"], seen_from)
            if one is not None:
                found.append(Lifetime(one.years, one.stopped, row["count"]))
        return found

    groups = []
    for name in names:
        rows = by_group.get(name.code, []) if key is not None else by_group[""]
        curve = kaplan_meier(lifetimes(rows, year))
        if curve is not None:
            groups.append(CurveGroup(name, curve, kaplan_meier(lifetimes(rows, year - 1))))
    return groups


def coverage_in(area: Area, initiatives: InitiativeQuerySet, year: int
                ) -> tuple[list[ServiceCoverage], list[Coverage]]:
    services = sorted(named_terms(Service, COVERAGE_SERVICES), key=lambda s: COVERAGE_SERVICES.index(s.code))
    municipalities = Municipality.objects.current().select_related("province").order_by("name")
    if area.level == "province":
        municipalities = municipalities.filter(province__code=area.code)
    elif area.level == "municipality":
        municipalities = municipalities.filter(code=area.code)
    offering = (initiatives.filter(services__code__in=COVERAGE_SERVICES, founded_year__lte=year)
                .order_by().values("municipality_id", "services__code")
                .annotate(now=Count("pk", filter=running_at_end_of(year), distinct=True),
                          before=Count("pk", filter=running_at_end_of(year - 1), distinct=True)))
    counts = {(row["municipality_id"], row["services__code"]): (row["now"], row["before"]) for row in offering}
    rows = [Coverage(Named(m.code, m.name, m.name), m.province.name,
                     {s.code: counts.get((m.pk, s.code), (0, 0)) for s in services}) for m in municipalities]
    summary = [ServiceCoverage(s, sum(1 for row in rows if row.counts[s.code][0] == 0),
                               sum(1 for row in rows if row.counts[s.code][1] == 0)) for s in services]
    return summary, rows


def volunteers_in(initiatives: InitiativeQuerySet, year: int, kinds: list[Named]) -> list[Volunteers]:
    reported = (initiatives.filter(running_at_end_of(year), volunteers__isnull=False).order_by()
                .values("kind__code").annotate(n=Count("pk"), total=Sum("volunteers")))
    by_kind = {row["kind__code"]: (row["n"], row["total"]) for row in reported}
    groups = [(kind, *by_kind.get(kind.code, (0, 0))) for kind in kinds]
    shown = suppressed_volunteers([(kind.code, n) for kind, n, _total in groups])
    everyone = sum(n for _kind, n, _total in groups)
    rows = [Volunteers(named("", _("All kinds")), everyone,
                       sum(total for _kind, _n, total in groups) if everyone >= VOLUNTEERS_MINIMUM else None)]
    rows += [Volunteers(kind, n, total if kind.code in shown else None) for kind, n, total in groups]
    return rows


def suppressed_volunteers(groups: list[tuple[str, int]]) -> set[str]:
    """The groups whose total may be shown beside the total of all: each holds at least
    VOLUNTEERS_MINIMUM initiatives, and the hidden ones together too, so that the total minus the
    shown groups never reveals fewer than that many initiatives' numbers (complementary
    suppression: the smallest shown group is hidden as well until the hidden ones are enough)."""
    shown = {code for code, n in groups if n >= VOLUNTEERS_MINIMUM}
    hidden = sum(n for code, n in groups if code not in shown)
    while 0 < hidden < VOLUNTEERS_MINIMUM and shown:
        smallest = min(shown, key=lambda code: (dict(groups)[code], code))
        shown.discard(smallest)
        hidden += dict(groups)[smallest]
    return shown


# -- the monitor's tables: the open data's CSV files and the API's answer ----------------------------


@dataclass(frozen=True)
class Table:
    """One of the monitor's tables, with language-neutral codes (names are the areas' own)."""

    name: str
    columns: tuple[str, ...]
    rows: list[tuple[Any, ...]]


@dataclass(frozen=True)
class TableColumn:
    """A column of the monitor's tables, as the open data's Table Schema (opendata.package) and the API's
    OpenAPI document (api/views/monitor.py) describe it: the one description of both."""

    type: str  # a Table Schema type: "integer", "number" or "string"
    description: str
    nullable: bool = False  # may be empty (CSV) or null (JSON): a withheld or unknown figure
    blank: bool = False  # a string that may be empty, meaning "all" (kind, stop reason)
    codes: tuple[str, ...] = ()  # the only values a string takes

    @property
    def required(self) -> bool:
        return not (self.nullable or self.blank)


COLUMNS: dict[str, TableColumn] = {
    "year": TableColumn("integer", "The monitor's year."),
    "area": TableColumn("string", "NL, or the CBS code of the province or municipality."),
    "measure": TableColumn("string", "running: at the end of the year; founded or stopped: in the year.",
                           codes=("running", "founded", "stopped")),
    "kind": TableColumn("string", "A kind's code, empty for all kinds (`all` in volunteers).", blank=True),
    "stop_reason": TableColumn("string", "A stop reason's code, empty for every reason.", blank=True),
    "value": TableColumn("integer", "The number of initiatives in the monitor's year."),
    "previous_year_value": TableColumn("integer", "The same number in the year before."),
    "grouping": TableColumn("string", "What the survival curves are grouped by.",
                            codes=("all", "kind", "funding-model", "province")),
    "group": TableColumn("string", "The group's code within its grouping (`all` for all initiatives)."),
    "years": TableColumn("integer", "Whole years since the founding year."),
    "at_risk": TableColumn("integer", "Initiatives known to have run at least this many years."),
    "stopped": TableColumn("integer", "Initiatives that stopped at this age."),
    "censored": TableColumn("integer", "Still running (when seen) at this age."),
    "survival": TableColumn("number", "Kaplan–Meier estimate of the share still running."),
    "lower_95": TableColumn("number", "95% confidence interval (log-log), lower bound.", nullable=True),
    "upper_95": TableColumn("number", "95% confidence interval (log-log), upper bound.", nullable=True),
    "stop_year": TableColumn("integer", "The year the initiatives stopped."),
    "initiatives": TableColumn("integer", "Initiatives: that stopped in the year for the reason (stop reasons), "
                                          "or running ones that offer the service (coverage)."),
    "municipality": TableColumn("string", "The municipality's CBS code."),
    "municipality_name": TableColumn("string", "The municipality's name."),
    "service": TableColumn("string", "ontmoetingsplek, winkel or sociaal-loket.", codes=COVERAGE_SERVICES),
    "previous_year_initiatives": TableColumn("integer", "The same number in the year before."),
    "initiatives_reporting": TableColumn("integer", "Initiatives running at the end of the year that recorded "
                                                    "a number of volunteers."),
    "volunteers": TableColumn("integer", "null when fewer than 5 initiatives recorded a number, or to protect "
                                         "such a group.", nullable=True),
    "item": TableColumn("string", "A funding source's code (income in euros), `total` (the income shown), or a "
                                  "measure: expenses, volunteers, paid_staff_fte, people_reached, work_places."),
    "amount": TableColumn("number", "The sum of the figures the initiatives agreed to publish; null when fewer "
                                    "than 5 contribute.", nullable=True),
    "share": TableColumn("number", "Share of the total income shown (income only).", nullable=True),
    "previous_year_amount": TableColumn("number", "The same sum in the year before.", nullable=True),
    "previous_year_share": TableColumn("number", "The same share in the year before.", nullable=True),
    "initiatives_contributing": TableColumn("integer", "Initiatives whose figures are published."),
    "previous_year_initiatives_contributing": TableColumn("integer", "The same in the year before."),
}

TABLE_COLUMNS: dict[str, tuple[str, ...]] = {
    "figures": ("year", "area", "measure", "kind", "stop_reason", "value", "previous_year_value"),
    "survival": ("year", "area", "grouping", "group", "years", "at_risk", "stopped", "censored", "survival",
                 "lower_95", "upper_95"),
    "stop-reasons": ("year", "area", "stop_year", "stop_reason", "initiatives"),
    "coverage": ("year", "area", "municipality", "municipality_name", "service", "initiatives",
                 "previous_year_initiatives"),
    "volunteers": ("year", "area", "kind", "initiatives_reporting", "volunteers"),
    "income": ("year", "area", "item", "amount", "share", "previous_year_amount", "previous_year_share",
               "initiatives_contributing", "previous_year_initiatives_contributing"),
}


def tables(monitor: Monitor) -> dict[str, Table]:
    """Every table of the monitor, as the open data and the API give them."""
    year, area = monitor.year, monitor.area.code or "NL"
    figures = [(year, area, figure.name.code, "", "", figure.value, figure.previous) for figure in monitor.figures]
    figures += [(year, area, "running", figure.name.code, "", figure.value, figure.previous)
                for figure in monitor.running_by_kind]
    figures += [(year, area, "founded", figure.name.code, "", figure.value, figure.previous)
                for figure in monitor.founded_by_kind]
    figures += [(year, area, "stopped", "", figure.name.code, figure.value, figure.previous)
                for figure in monitor.stopped_by_reason]
    survival = [(year, area, grouping.grouping, group.name.code or "all", point.years, point.at_risk, point.stopped,
                 point.censored, round(point.survival, 4), rounded(point.lower), rounded(point.upper))
                for grouping in monitor.survival for group in grouping.groups for point in group.curve.points]
    stops = [(year, area, row.year, reason.code, row.counts.get(reason.code, 0))
             for row in monitor.stop_reasons for reason in monitor.stop_reason_names]
    covered = [(year, area, row.municipality.code, row.municipality.nl, service, now, before)
               for row in monitor.coverage
               for service, (now, before) in row.counts.items()]
    volunteers = [(year, area, row.group.code or "all", row.initiatives, row.total) for row in monitor.volunteers]
    income: list[tuple[Any, ...]] = []
    if monitor.finances is not None:
        money = monitor.finances
        income = [(year, area, row.name.code, row.amount, rounded(row.share), row.previous_amount,
                   rounded(row.previous_share), money.current.contributing, money.previous.contributing)
                  for row in [*money.sources, *money.measures]]
    made: dict[str, list[tuple[Any, ...]]] = {"figures": figures, "survival": survival, "stop-reasons": stops,
                                              "coverage": covered, "volunteers": volunteers, "income": income}
    return {name: Table(name, TABLE_COLUMNS[name], rows) for name, rows in made.items()}


def rounded(value: float | None) -> float | None:
    return None if value is None else round(value, 4)


# What each table holds, for the open data's catalogue and Data Package (English, Dutch).
TABLE_DESCRIPTIONS: dict[str, tuple[str, str]] = {
    "figures": ("Running, founded and stopped initiatives per year, by kind and by stop reason, beside the year "
                "before.",
                "Actieve, opgerichte en gestopte initiatieven per jaar, per soort en per stopreden, naast het jaar "
                "ervoor."),
    "survival": ("Survival curves (Kaplan–Meier with 95% intervals and the number at risk) of all initiatives, "
                 "per kind, per funding model and per province.",
                 "Overlevingscurves (Kaplan–Meier met 95%-intervallen en het aantal at risk) van alle initiatieven, "
                 "per soort, per financieringsmodel en per provincie."),
    "stop-reasons": ("Initiatives that stopped in each of the ten years up to the monitor's year, per reason.",
                     "Gestopte initiatieven in elk van de tien jaren tot het jaar van de monitor, per reden."),
    "coverage": ("Per municipality, the running initiatives that offer a meeting point, a shop or a social "
                 "counter, beside the year before.",
                 "Per gemeente de actieve initiatieven met een ontmoetingsplek, winkel of sociaal loket, naast het "
                 "jaar ervoor."),
    "volunteers": ("Volunteers of the running initiatives, in total and per kind (only over 5 or more "
                   "initiatives).",
                   "Vrijwilligers van de actieve initiatieven, in totaal en per soort (alleen over 5 of meer "
                   "initiatieven)."),
    "income": ("Income by funding source and the yearly measures, summed over the figures the initiatives agreed "
               "to publish (only over 5 or more initiatives), beside the year before.",
               "Inkomsten per financieringsbron en de jaarcijfers, opgeteld over de cijfers die de initiatieven "
               "lieten publiceren (alleen over 5 of meer initiatieven), naast het jaar ervoor."),
}


def years_with_figures() -> list[int]:
    """The monitor's years for which published initiatives recorded yearly figures (consented or not:
    that a year has figures is a count, not an amount), oldest first."""
    years = monitor_years()
    recorded = (YearlyFigures.objects.filter(initiative__in=Initiative.objects.published(),
                                             year__gte=years.start, year__lt=years.stop)
                .order_by("year").values_list("year", flat=True).distinct())
    return list(recorded)


def national_tables(monitors: Iterable[Monitor]) -> dict[str, Table]:
    """The tables of several monitors (the country's, one per year) as one table each, year after year:
    the open data's monitor files."""
    rows: dict[str, list[tuple[Any, ...]]] = {name: [] for name in TABLE_COLUMNS}
    for monitor in monitors:
        for name, table in tables(monitor).items():
            rows[name] += table.rows
    return {name: Table(name, TABLE_COLUMNS[name], found) for name, found in rows.items()}


__all__ = ["COLUMNS", "COVERAGE_SERVICES", "NETHERLANDS", "TABLE_COLUMNS", "TABLE_DESCRIPTIONS", "VOLUNTEERS_MINIMUM",
           "Area", "Monitor", "Table", "TableColumn", "UnknownArea", "UnknownYear", "compute", "find_area",
           "monitor_for", "monitor_years", "national_tables", "running_at_end_of", "tables", "years_with_figures"]
