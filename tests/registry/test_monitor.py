"""The annual monitor's figures (registry/monitor.py) equal what direct queries and plain Python make of a
seeded register: counts, survival curves, stop reasons, coverage of services and volunteers."""

from __future__ import annotations

import datetime
from collections import defaultdict
from collections.abc import Iterator
from typing import Any

import pytest
from django.db.models import Sum

from geo.models import Municipality
from registry import actions
from registry.models import Initiative, Kind, PublicationState, Status, StopReason
from registry.monitor import (
    COVERAGE_SERVICES,
    VOLUNTEERS_MINIMUM,
    UnknownArea,
    UnknownYear,
    compute,
    find_area,
    monitor_for,
    monitor_years,
    suppressed_volunteers,
    tables,
)
from registry.operations.demo import seed_demo
from tests.browser.conftest import empty_register
from tests.conftest import LEIDEN, UTRECHT, make

THIS_YEAR = datetime.date.today().year
PROVINCE = "PV28"  # Zuid-Holland: Leiden is in it


@pytest.fixture(scope="module")
def seeded(django_db_setup: None, django_db_blocker: Any) -> Iterator[None]:
    """400 demo initiatives, and a few made by hand for the edges: a stopped one without a founding
    year, a paused one, a draft (never counted), one stopped last year for lack of people."""
    with django_db_blocker.unblock():
        empty_register()
        seed_demo(400, seed=17)
        last_year = datetime.date(THIS_YEAR - 1, 6, 1)
        make("Zonder jaartal", LEIDEN, status=Status.STOPPED, stopped_on=last_year, stop_reason=StopReason.FUNDING,
             services=["winkel"], funding_sources=["subsidie"])
        make("Even stil", LEIDEN, founded_year=2010, status=Status.PAUSED, services=["ontmoetingsplek"],
             funding_sources=["subsidie"], volunteers=12)
        make("Nog concept", UTRECHT, founded_year=2012, publication_state=PublicationState.DRAFT,
             services=["sociaal-loket"], volunteers=40)
        make("Te weinig handen", UTRECHT, founded_year=2019, status=Status.STOPPED, stopped_on=last_year,
             stop_reason=StopReason.PEOPLE, services=["winkel"], funding_sources=["subsidie", "donaties"])
    yield
    with django_db_blocker.unblock():
        empty_register()


def published(area: str = "") -> Any:
    initiatives = Initiative.objects.published()
    return initiatives.in_area(area) if area else initiatives


def running(initiatives: Any, year: int) -> Any:
    """Said another way than registry.monitor.running_at_end_of: leave out what stopped by then."""
    return initiatives.filter(founded_year__lte=year).exclude(stopped_on__year__lte=year)


def funding_model(codes: set[str]) -> str:
    if "subsidie" in codes:
        return "gemengd" if codes - {"subsidie"} else "alleen-subsidie"
    return "zonder-subsidie" if codes else "onbekend"


def product_limit(lifetimes: list[tuple[int, bool]]) -> list[tuple[int, int, float]]:
    """Kaplan–Meier the long way: for each age, those at risk, and the running product of the shares
    that did not stop."""
    survival, points = 1.0, []
    for age in range(max(years for years, _stopped in lifetimes) + 1):
        at_risk = sum(1 for years, _stopped in lifetimes if years >= age)
        stopped = sum(1 for years, was_stopped in lifetimes if years == age and was_stopped)
        survival *= 1 - stopped / at_risk
        points.append((age, at_risk, survival))
    return points


def lifetimes_by_group(area: str, year: int) -> dict[tuple[str, str], list[tuple[int, bool]]]:
    groups: dict[tuple[str, str], list[tuple[int, bool]]] = defaultdict(list)
    records = published(area).filter(founded_year__lte=year).select_related("kind", "province") \
        .prefetch_related("funding_sources")
    for record in records:
        if record.stopped_on is not None and record.stopped_on.year <= year:
            one = (max(record.stopped_on.year - record.founded_year, 0), True)
        else:
            one = (year - record.founded_year, False)
        groups["all", "all"].append(one)
        groups["kind", record.kind.code].append(one)
        groups["funding-model", funding_model({s.code for s in record.funding_sources.all()})].append(one)
        groups["province", record.province.code].append(one)
    return groups


@pytest.mark.parametrize("year", [THIS_YEAR, THIS_YEAR - 1, 2012])
@pytest.mark.parametrize("area", ["", PROVINCE, "GM0546"])
def test_the_counts_equal_direct_queries(seeded, db, year, area):
    monitor = compute(year, find_area(area), "v")
    initiatives = published(area)

    def both(query: Any) -> tuple[int, int]:
        return query(year), query(year - 1)

    assert [(f.name.code, f.value, f.previous) for f in monitor.figures] == [
        ("running", *both(lambda y: running(initiatives, y).count())),
        ("founded", *both(lambda y: initiatives.filter(founded_year=y).count())),
        ("stopped", *both(lambda y: initiatives.filter(stopped_on__year=y).count())),
    ]
    kinds = list(Kind.objects.all())
    assert [(f.name.code, f.value, f.previous) for f in monitor.running_by_kind] == [
        (kind.code, *both(lambda y, kind=kind: running(initiatives, y).filter(kind=kind).count())) for kind in kinds]
    assert [(f.name.code, f.value, f.previous) for f in monitor.founded_by_kind] == [
        (kind.code, *both(lambda y, kind=kind: initiatives.filter(founded_year=y, kind=kind).count()))
        for kind in kinds]
    assert [(f.name.code, f.value, f.previous) for f in monitor.stopped_by_reason] == [
        (reason.value, *both(lambda y, reason=reason: initiatives.filter(stopped_on__year=y, stop_reason=reason)
                             .count())) for reason in StopReason]
    assert monitor.without_founding_year == initiatives.filter(founded_year__isnull=True).count()
    assert [(row.year, row.counts) for row in monitor.stop_reasons] == [
        (y, {reason.value: initiatives.filter(stopped_on__year=y, stop_reason=reason).count() for reason in StopReason})
        for y in range(year - 9, year + 1)]


def test_the_seeded_register_holds_what_the_comparisons_need(seeded, db):
    """Not a vacuous comparison: the register has stops in the monitor's years, each reason, a record
    without a founding year, and a draft that must not count."""
    initiatives = published()
    assert initiatives.filter(stopped_on__year=THIS_YEAR - 1).count() >= 2
    assert {row["stop_reason"] for row in initiatives.filter(status=Status.STOPPED).values("stop_reason")} == {
        reason.value for reason in StopReason}
    assert initiatives.filter(founded_year__isnull=True).exists()
    monitor = compute(THIS_YEAR, find_area(""), "v")
    assert monitor.figure("running").value == running(initiatives, THIS_YEAR).count() > 300
    assert monitor.figure("running").value < running(Initiative.objects.all(), THIS_YEAR).count()  # the draft


@pytest.mark.parametrize(("year", "area"), [(THIS_YEAR, ""), (2015, ""), (THIS_YEAR, PROVINCE)])
def test_the_survival_curves_equal_a_product_limit_over_the_records(seeded, db, year, area):
    monitor = compute(year, find_area(area), "v")
    expected = lifetimes_by_group(area, year)

    found = {(survival.grouping, group.name.code or "all"): group.curve
             for survival in monitor.survival for group in survival.groups}
    wanted = {key for key in expected if area == "" or key[0] != "province"}
    assert set(found) == wanted
    for key, curve in found.items():
        points = product_limit(expected[key])
        assert [(p.years, p.at_risk) for p in curve.points] == [(age, n) for age, n, _s in points], key
        assert [p.survival for p in curve.points] == pytest.approx([s for _age, _n, s in points], abs=1e-12), key
        assert curve.initiatives == len(expected[key])
        assert curve.stopped == sum(1 for _years, stopped in expected[key] if stopped)


def test_the_previous_years_curve_is_the_register_seen_from_then(seeded, db):
    monitor = compute(THIS_YEAR, find_area(""), "v")
    before = compute(THIS_YEAR - 1, find_area(""), "v")

    for now, then in zip(monitor.survival, before.survival, strict=True):
        assert [(g.name, g.previous) for g in now.groups if g.previous] == [(g.name, g.curve) for g in then.groups]


@pytest.mark.parametrize("area", ["", PROVINCE, "GM0546"])
def test_the_coverage_equals_direct_queries(seeded, db, area):
    monitor = compute(THIS_YEAR, find_area(area), "v")
    municipalities = Municipality.objects.current().order_by("name")
    if area.startswith("PV"):
        municipalities = municipalities.filter(province__code=area)
    elif area:
        municipalities = municipalities.filter(code=area)

    def offering(municipality: Municipality, service: str, year: int) -> int:
        return running(published(), year).filter(municipality=municipality, services__code=service).count()

    assert [(row.municipality.code, row.counts) for row in monitor.coverage] == [
        (m.code, {s: (offering(m, s, THIS_YEAR), offering(m, s, THIS_YEAR - 1)) for s in COVERAGE_SERVICES})
        for m in municipalities]
    assert [(row.service.code, row.without, row.without_previous) for row in monitor.coverage_services] == [
        (s, sum(1 for m in municipalities if not offering(m, s, THIS_YEAR)),
         sum(1 for m in municipalities if not offering(m, s, THIS_YEAR - 1))) for s in COVERAGE_SERVICES]
    assert [row.municipality.code for row in monitor.lacking] == [
        m.code for m in municipalities if any(not offering(m, s, THIS_YEAR) for s in COVERAGE_SERVICES)]


@pytest.mark.parametrize("area", ["", PROVINCE, "GM0546"])
def test_the_volunteers_equal_direct_sums_over_five_or_more(seeded, db, area):
    monitor = compute(THIS_YEAR, find_area(area), "v")
    reporting = running(published(area), THIS_YEAR).filter(volunteers__isnull=False)

    everyone = reporting.count()
    assert (monitor.volunteers[0].initiatives, monitor.volunteers[0].total) == (
        everyone, reporting.aggregate(total=Sum("volunteers"))["total"] if everyone >= VOLUNTEERS_MINIMUM else None)
    by_kind = {row.group.code: row for row in monitor.volunteers[1:]}
    assert list(by_kind) == [kind.code for kind in Kind.objects.all()]
    for code, row in by_kind.items():
        of_kind = reporting.filter(kind__code=code)
        assert row.initiatives == of_kind.count()
        if row.total is not None:
            assert row.initiatives >= VOLUNTEERS_MINIMUM
            assert row.total == of_kind.aggregate(total=Sum("volunteers"))["total"]
    # What the total and the shown kinds let one work out covers five or more initiatives, or none.
    hidden = sum(row.initiatives for row in by_kind.values() if row.total is None)
    assert hidden == 0 or hidden >= VOLUNTEERS_MINIMUM or monitor.volunteers[0].total is None


@pytest.mark.parametrize(("groups", "shown"), [
    ([("a", 10), ("b", 7), ("c", 5)], {"a", "b", "c"}),
    ([("a", 10), ("b", 3), ("c", 7)], {"a"}),  # b alone would be the total minus a and c: c goes too
    ([("a", 10), ("b", 2), ("c", 2), ("d", 6)], {"a"}),  # b and c together hold 4: the smallest shown, d, goes
    ([("a", 10), ("b", 0), ("c", 7)], {"a", "c"}),  # an empty group reveals nobody
    ([("a", 4), ("b", 3)], set()),
])
def test_suppression_never_lets_the_total_reveal_fewer_than_five(groups, shown):
    found = suppressed_volunteers(groups)

    assert found == shown
    hidden = sum(n for code, n in groups if code not in found)
    assert hidden == 0 or hidden >= VOLUNTEERS_MINIMUM or not found


def test_a_year_or_area_that_does_not_exist_is_refused(seeded, db):
    first = monitor_years()[0]
    assert first == published().order_by("founded_year").values_list("founded_year", flat=True).first()
    assert monitor_years()[-1] == THIS_YEAR
    for year in (first - 1, THIS_YEAR + 1):
        with pytest.raises(UnknownYear):
            monitor_for(year, None, "v")
    for code in ("PV99", "GM9999", "XX12", "pv"):
        with pytest.raises(UnknownArea):
            monitor_for(THIS_YEAR, code, "v")
    assert monitor_for(THIS_YEAR, "pv28", "v").area.name == "Zuid-Holland"  # in any case


def test_it_is_computed_once_per_version_of_the_register(seeded, db, django_assert_max_num_queries):
    made = monitor_for(THIS_YEAR, PROVINCE, "version-1")

    with django_assert_max_num_queries(1):  # one read of the kept monitor
        kept = monitor_for(THIS_YEAR, PROVINCE, "version-1")
    assert kept == made
    assert monitor_for(THIS_YEAR, PROVINCE, "version-2").computed_at > made.computed_at


def test_an_edit_makes_the_monitor_new(seeded, db, client):
    first = client.get(f"/api/v1/monitor?year={THIS_YEAR}&area=GM0546").json()
    record = Initiative.objects.published().filter(municipality__code="GM0546", founded_year__lte=THIS_YEAR,
                                                   stopped_on__isnull=True).first()
    actions.stop(record, datetime.date.today(), StopReason.PEOPLE, acting_user=None)

    second = client.get(f"/api/v1/monitor?year={THIS_YEAR}&area=GM0546").json()
    assert second["registerVersion"] != first["registerVersion"]
    stopped = {row["measure"]: row["value"] for row in second["figures"] if not row["kind"] and not row["stopReason"]}
    assert stopped["stopped"] == {row["measure"]: row["value"] for row in first["figures"]
                                  if not row["kind"] and not row["stopReason"]}["stopped"] + 1


def test_its_tables_hold_every_figure(seeded, db):
    monitor = compute(THIS_YEAR, find_area(PROVINCE), "v")
    found = tables(monitor)

    assert found["figures"].rows[:3] == [(THIS_YEAR, PROVINCE, f.name.code, "", "", f.value, f.previous)
                                         for f in monitor.figures]
    assert len(found["coverage"].rows) == len(monitor.coverage) * len(COVERAGE_SERVICES)
    assert len(found["survival"].rows) == sum(len(g.curve.points) for s in monitor.survival for g in s.groups)
    assert {row[2] for row in found["survival"].rows} == {"all", "kind", "funding-model"}  # no provinces in one
    assert all(len(row) == len(table.columns) for table in found.values() for row in table.rows)


@pytest.mark.parametrize("area", ["", PROVINCE, "GM0546"])
def test_the_income_equals_direct_sums_of_published_figures_over_five_or_more(seeded, db, area):
    """The monitor's finances are registry.figures.aggregate's: sums of the figures the initiatives
    agreed to publish, each only where at least five contribute to it."""
    from registry.models import YearlyFigures
    from registry.models.figures import INCOME_FIELDS

    year = THIS_YEAR - 1
    monitor = compute(year, find_area(area), "v")
    assert monitor.finances is not None
    shown = {row.name.code: row for row in monitor.finances.sources}
    consented = YearlyFigures.objects.filter(year=year, public=True, initiative__in=published(area))
    if area == "":
        assert consented.count() >= 5  # the demo register holds figures enough for the country
    assert monitor.finances.current.contributing == consented.count()
    for field, code in INCOME_FIELDS.items():
        given = consented.exclude(**{f"{field}__isnull": True})
        expected = given.aggregate(total=Sum(field))["total"] if given.count() >= 5 and consented.count() >= 5 else None
        assert shown[code].amount == expected, code
        assert shown[code].previous_amount == monitor.finances.previous.income[code]
    income = tables(monitor)["income"]
    assert {row[2] for row in income.rows} >= set(INCOME_FIELDS.values()) | {"total", "volunteers"}
