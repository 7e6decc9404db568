"""Consent and privacy of yearly figures (docs/figures.md): an initiative's amounts are public only for
the years it agreed to; every aggregate sums consented figures only, never over fewer than five
initiatives; and no difference of two aggregates (an area against its parts, a year against the next,
a filter against a filter) can isolate an unconsented figure. Whole pages, API answers and downloads
are searched for the one amount that must not appear."""

from __future__ import annotations

import itertools
import re

import pytest
from django.contrib.gis.geos import Point
from django.test import Client

from registry import actions, figures
from registry.figures import MIN_GROUP, aggregate
from registry.models import INCOME_FIELDS, Initiative, PublicationState, YearlyFigures
from tests.conftest import LEIDEN, make

DEN_HAAG = Point(4.3007, 52.0705, srid=4326)
SECRET = 987_654  # an unconsented amount: it must never be seen, nor be derivable
SECRET_TEXTS = ("987654", "987.654", "987,654", "987 654", "987\u00a0654")


def body(response) -> str:
    return (b"".join(response.streaming_content) if response.streaming else response.content).decode()


def shows_secret(text: str) -> bool:
    return any(secret in text for secret in SECRET_TEXTS)


def place(base: Point, index: int) -> Point:
    return Point(base.x + 0.002 * (index % 4), base.y + 0.002 * (index // 4), srid=4326)


def with_figures(name: str, location: Point, year: int, public: bool, kind: str = "bewonersinitiatief",
                 **amounts: int) -> Initiative:
    initiative = make(name, location, kind=kind, founded_year=2010)
    record = YearlyFigures(initiative=initiative, year=year, public=public, **amounts)
    record.full_clean()
    actions.save_figures(record, acting_user=None)
    return initiative


def add_year(initiative: Initiative, year: int, public: bool, **amounts: int) -> None:
    record = YearlyFigures(initiative=initiative, year=year, public=public, **amounts)
    record.full_clean()
    actions.save_figures(record, acting_user=None)


@pytest.fixture
def register(db):
    """Zuid-Holland: Leiden with six initiatives (five consented, one not: the secret), Den Haag with five
    consented; 2024 and 2025; the secret initiative consented in 2024 only. Utrecht (another province)
    with four consented."""
    found: dict[str, Initiative] = {}
    for index in range(5):
        found[f"leiden-{index}"] = with_figures(f"Leiden {index}", place(LEIDEN, index), 2024, True,
                                                income_subsidy=1000 * (index + 1), income_own=100, volunteers=3)
        add_year(found[f"leiden-{index}"], 2025, True, income_subsidy=1100 * (index + 1), income_own=100,
                 volunteers=4)
    found["secret"] = with_figures("Geheim Fonds Leiden", place(LEIDEN, 7), 2024, True, kind="dorpscooperatie",
                                   income_subsidy=50_000, income_own=100, volunteers=9)
    add_year(found["secret"], 2025, False, income_subsidy=SECRET, income_own=SECRET, income_crowdfunding=SECRET,
             volunteers=SECRET)
    for index in range(5):
        found[f"haag-{index}"] = with_figures(f"Den Haag {index}", place(DEN_HAAG, index), 2025, True,
                                              income_subsidy=2000, income_own=500 * index, volunteers=5)
    for index in range(4):
        found[f"utrecht-{index}"] = with_figures(f"Utrecht {index}", place(Point(5.1214, 52.0907, srid=4326), index),
                                                 2025, True, income_subsidy=700, volunteers=2)
    return found


def consented_sum(initiatives, year: int, field: str) -> int:
    return sum(getattr(row, field) or 0 for row in YearlyFigures.objects.filter(
        initiative__in=initiatives, year=year, public=True,
        initiative__publication_state=PublicationState.PUBLISHED))


def test_an_aggregate_sums_consented_figures_only(register):
    leiden_2025 = aggregate(Initiative.objects.filter(municipality__code="GM0546"), 2025)

    assert (leiden_2025.initiatives, leiden_2025.reporting, leiden_2025.contributing, leiden_2025.published) == (
        6, 6, 5, True)
    assert leiden_2025.income == {**dict.fromkeys(INCOME_FIELDS.values()),
                                  "subsidie": 1100 * 15, "eigen-inkomsten": 500}
    assert leiden_2025.income_total == 1100 * 15 + 500
    assert leiden_2025.measures["volunteers"] == 20
    assert leiden_2025.share("subsidie") == pytest.approx(16500 / 17000)


def test_an_aggregate_over_fewer_than_five_initiatives_says_nothing_but_the_counts(register):
    utrecht = aggregate(Initiative.objects.filter(province__code="PV26"), 2025)

    assert (utrecht.initiatives, utrecht.reporting, utrecht.contributing, utrecht.published) == (4, 4, 4, False)
    assert set(utrecht.income.values()) == {None}
    assert utrecht.income_total is None and set(utrecht.measures.values()) == {None}
    assert utrecht.contributors == {}


def test_a_source_fewer_than_five_contribute_to_is_withheld_and_left_out_of_the_total(register):
    # In Den Haag five report own income, of which four above 0 and one 0: five contribute. Crowdfunding only
    # the secret initiative (unconsented) has; in 2024 only one consented initiative has own income 100 each.
    haag = aggregate(Initiative.objects.filter(municipality__code="GM0518"), 2025)
    assert haag.income["eigen-inkomsten"] == 500 * (0 + 1 + 2 + 3 + 4)
    assert haag.income["crowdfunding"] is None

    one_source = [initiative for key, initiative in register.items() if key.startswith("haag-")]
    YearlyFigures.objects.filter(initiative=one_source[0], year=2025).update(income_funds=123)
    haag = aggregate(Initiative.objects.filter(municipality__code="GM0518"), 2025)
    assert haag.income["vermogensfondsen"] is None
    assert haag.income_total == 2000 * 5 + 500 * 10  # without the withheld 123


@pytest.mark.parametrize("year", [2024, 2025])
def test_no_area_against_its_parts_isolates_an_unconsented_figure(register, year):
    """The province is the sum of its municipalities, and leaving the unconsented initiative out of the
    group changes no aggregate: so no subtraction can find it."""
    province = aggregate(Initiative.objects.filter(province__code="PV28"), year)
    parts = [aggregate(Initiative.objects.filter(municipality__code=code), year) for code in ("GM0546", "GM0518")]
    for code in INCOME_FIELDS.values():
        if province.income[code] is not None and all(part.income[code] is not None for part in parts):
            assert province.income[code] == sum(part.income[code] for part in parts)
    without_secret = Initiative.objects.filter(province__code="PV28").exclude(pk=register["secret"].pk)
    if year == 2025:  # unconsented this year: it makes no difference at all
        assert aggregate(without_secret, year).income == province.income
        assert aggregate(without_secret, year).measures == province.measures
    assert province.income["subsidie"] == consented_sum(Initiative.objects.filter(province__code="PV28"), year,
                                                        "income_subsidy")


def test_no_year_against_the_next_isolates_an_unconsented_figure(register):
    """The secret initiative consented in 2024, not in 2025: the change between the years is the change of
    the consented figures only, the same as with that initiative left out of 2025 altogether."""
    leiden = Initiative.objects.filter(municipality__code="GM0546")
    change = aggregate(leiden, 2025).income["subsidie"] - aggregate(leiden, 2024).income["subsidie"]

    assert change == consented_sum(leiden, 2025, "income_subsidy") - consented_sum(leiden, 2024, "income_subsidy")
    assert change == 1100 * 15 - (1000 * 15 + 50_000)
    assert SECRET not in {change, -change}


def test_no_filter_against_a_filter_isolates_an_unconsented_figure(register):
    """Every pair of filters (areas, kinds, names): no aggregate holds the secret, and no difference of two
    aggregates equals it, for any measure."""
    filters = [
        Initiative.objects.all(), Initiative.objects.filter(province__code="PV28"),
        Initiative.objects.filter(municipality__code="GM0546"), Initiative.objects.filter(kind__code="dorpscooperatie"),
        Initiative.objects.exclude(kind__code="dorpscooperatie"), Initiative.objects.filter(name__startswith="Geheim"),
        Initiative.objects.exclude(name__startswith="Geheim"), Initiative.objects.filter(pk=register["secret"].pk),
    ]
    values = []
    for queryset in filters:
        found = aggregate(queryset, 2025)
        values.append([*found.income.values(), found.income_total, *found.measures.values()])
    for first, second in itertools.combinations(values, 2):
        for a, b in zip(first, second, strict=True):
            if a is not None and b is not None:
                assert abs(a - b) != SECRET
    assert not any(value == SECRET for row in values for value in row)
    # The secret initiative on its own: fewer than five, nothing but counts.
    alone = aggregate(Initiative.objects.filter(pk=register["secret"].pk), 2025)
    assert (alone.reporting, alone.contributing, alone.published, alone.income_total) == (1, 0, False, None)


def test_drafts_count_in_no_aggregate(register):
    draft = register["haag-0"]
    Initiative.objects.filter(pk=draft.pk).update(publication_state=PublicationState.DRAFT)

    haag = aggregate(Initiative.objects.filter(municipality__code="GM0518"), 2025)

    assert (haag.initiatives, haag.contributing, haag.published) == (4, 4, False)


def test_no_public_page_api_answer_or_download_shows_an_unconsented_amount(register):
    client = Client()
    secret = register["secret"]
    pages = [f"/initiatieven/{secret.slug}", "/initiatieven", "/statistieken", "/gebieden/GM0546",
             f"/api/v1/initiatives/{secret.pk}", "/api/v1/initiatives", "/api/v1/initiatives?format=geojson",
             "/api/v1/stats", "/opendata/initiatives.csv", "/opendata/initiatives.geojson",
             "/opendata/initiatives.jsonld", f"/ogc/v1/collections/initiatives/items/{secret.pk}?f=json"]
    for path in pages:
        response = client.get(path)
        assert response.status_code == 200, path
        assert not shows_secret(body(response)), path
    for path in ["/initiatieven/" + secret.slug, f"/api/v1/initiatives/{secret.pk}"]:
        assert not shows_secret(body(client.get(path, HTTP_ACCEPT_LANGUAGE="en"))), path


def test_the_detail_shows_the_consented_years_only_and_no_change_across_an_unconsented_one(register):
    secret = register["secret"]
    add_year(secret, 2026, True, income_subsidy=60_000)  # 2025 between is unconsented

    document = Client().get(f"/api/v1/initiatives/{secret.pk}").json()

    empty = dict.fromkeys(INCOME_FIELDS.values())
    assert document["yearlyFigures"] == [
        {"year": 2024, "income": {**empty, "subsidie": 50_000, "eigen-inkomsten": 100}, "incomeTotal": 50_100,
         "commissioningPartner": None, "expenses": None, "volunteers": 9, "paidStaffFte": None,
         "peopleReached": None, "workPlaces": None, "members": None, "householdShare": None, "premises": "",
         "indicators": {"subsidyShare": 0.998, "commissionShare": 0.0, "incomeSources": 2,
                        "changeFromPreviousYear": None}},
        {"year": 2026, "income": {**empty, "subsidie": 60_000}, "incomeTotal": 60_000,
         "commissioningPartner": None, "expenses": None, "volunteers": None, "paidStaffFte": None,
         "peopleReached": None, "workPlaces": None, "members": None, "householdShare": None, "premises": "",
         "indicators": {"subsidyShare": 1.0, "commissionShare": 0.0, "incomeSources": 1,
                        "changeFromPreviousYear": None}},
    ]
    html = Client().get(f"/initiatieven/{secret.slug}").content.decode()
    years = re.findall(r'<th scope="row">(\d{4})</th>', html)
    assert years == ["2024", "2026"]
    assert "50.100" in html and "60.000" in html


def test_a_withdrawn_consent_takes_the_year_off_the_page_and_out_of_the_aggregates(register):
    record = YearlyFigures.objects.get(initiative=register["leiden-0"], year=2025)
    record.public = False
    actions.save_figures(record, acting_user=None)

    document = Client().get(f"/api/v1/initiatives/{register['leiden-0'].pk}").json()
    assert [year["year"] for year in document["yearlyFigures"]] == [2024]
    leiden = aggregate(Initiative.objects.filter(municipality__code="GM0546"), 2025)
    assert (leiden.contributing, leiden.published) == (4, False)


def test_a_draft_shows_no_figures_even_where_consented(register):
    initiative = register["leiden-1"]
    Initiative.objects.filter(pk=initiative.pk).update(publication_state=PublicationState.DRAFT)

    assert figures.public_figures(initiative) == []
    assert figures.public_document(initiative.pk) == []
    assert MIN_GROUP == 5


@pytest.mark.parametrize("area", ["province", "municipality"])
def test_aggregates_by_area_are_the_one_aggregation_per_area(register, area):
    for year in (2024, 2025):
        grouped = figures.aggregate_by_area(Initiative.objects.all(), year, area)

        expected = {code: aggregate(Initiative.objects.filter(**{f"{area}__code": code}), year) for code in grouped}
        assert grouped == expected
        assert set(grouped) == ({"PV28", "PV26"} if area == "province" else {"GM0546", "GM0518", "GM0344"})


def test_a_kept_record_page_follows_a_withdrawn_consent(register):
    """A record's page is kept by the record's own version (registry.site.views.record_version): its
    figures are part of that version, so a withdrawn year leaves the kept page at once."""
    initiative = register["leiden-0"]
    visitor = Client()
    url = f"/initiatieven/{initiative.slug}"
    before = visitor.get(url).content.decode()
    assert visitor.get(url).content.decode() == before  # kept

    record = YearlyFigures.objects.get(initiative=initiative, year=2025)
    record.public = False
    actions.save_figures(record, acting_user=None)

    after = visitor.get(url).content.decode()
    assert after != before and before.count("2025") > after.count("2025")
