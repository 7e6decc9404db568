"""Yearly figures and evidence of social value: every rule on the model, with its message on its own
field (Dutch, the default language); database constraints under them; saving with history and the
consent's who, when and how; the indicators, computed by hand."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from registry import actions, figures
from registry.models import AMOUNT_FIELDS, ConsentOrigin, SocialValueEvidence, YearlyFigures
from registry.roles import NotAllowed
from tests.maintainers import editor

THIS_YEAR = timezone.localdate().year


def errors_of(instance) -> dict[str, list[str]]:
    with pytest.raises(ValidationError) as raised:
        instance.full_clean()
    return raised.value.message_dict


@pytest.mark.parametrize("field", AMOUNT_FIELDS)
def test_a_negative_amount_is_an_error_on_its_field(leiden, field):
    record = YearlyFigures(initiative=leiden, year=2024, **{field: -500})

    assert errors_of(record) == {field: ["Een bedrag kan niet negatief zijn (-500); vul 0 in voor geen."]}


@pytest.mark.parametrize("field", ["volunteers", "paid_staff_fte", "people_reached", "work_places", "members"])
def test_a_negative_count_is_an_error_on_its_field(leiden, field):
    record = YearlyFigures(initiative=leiden, year=2024, **{field: -1})

    assert errors_of(record) == {field: ["Een aantal mensen of plekken kan niet negatief zijn (-1)."]}


@pytest.mark.parametrize(("share", "expected"), [
    (Decimal("100.1"), {"household_share": ["Een aandeel ligt tussen 0 en 100 procent; 100.1 niet."]}),
    (Decimal("-1"), {"household_share": ["Een aandeel ligt tussen 0 en 100 procent; -1 niet."]}),
])
def test_a_share_of_households_that_cannot_hold_is_an_error(leiden, share, expected):
    assert errors_of(YearlyFigures(initiative=leiden, year=2024, household_share=share)) == expected


def test_a_year_after_this_year_is_an_error_on_the_year(leiden):
    record = YearlyFigures(initiative=leiden, year=THIS_YEAR + 1, income_subsidy=1000)

    assert errors_of(record) == {"year": [
        f"{THIS_YEAR + 1} ligt in de toekomst: cijfers gaan over dit jaar ({THIS_YEAR}) of eerder."]}


def test_a_year_before_the_founding_is_an_error_on_the_year(leiden):
    assert leiden.founded_year == 2015
    record = YearlyFigures(initiative=leiden, year=2014, income_subsidy=1000)

    assert errors_of(record) == {"year": ["2014 ligt vóór de oprichting van het initiatief (2015)."]}


def test_a_second_record_for_the_same_year_is_an_error_on_the_year_and_the_database_refuses_it(leiden):
    first = YearlyFigures(initiative=leiden, year=2024, income_subsidy=1000)
    first.full_clean()
    actions.save_figures(first, acting_user=None)

    second = YearlyFigures(initiative=leiden, year=2024, income_own=50)
    assert errors_of(second) == {"year": ["Er zijn al cijfers over 2024 voor dit initiatief: pas die aan."]}
    with pytest.raises(IntegrityError), transaction.atomic():
        YearlyFigures.objects.create(initiative=leiden, year=2024)
    # The stored record is valid against itself.
    first.full_clean()
    assert YearlyFigures.objects.get().income_subsidy == 1000


def test_the_database_refuses_negative_amounts_and_impossible_shares_written_around_the_model(leiden):
    record = YearlyFigures.objects.create(initiative=leiden, year=2024, income_subsidy=10)
    with pytest.raises(IntegrityError), transaction.atomic():
        YearlyFigures.objects.filter(pk=record.pk).update(expenses=-1)
    with pytest.raises(IntegrityError), transaction.atomic():
        YearlyFigures.objects.filter(pk=record.pk).update(household_share=Decimal("101"))
    assert YearlyFigures.objects.get().expenses is None


def test_saving_writes_history_and_records_the_consent_with_who_when_and_how(leiden):
    user = editor()
    record = YearlyFigures(initiative=leiden, year=2024, income_subsidy=20000, public=True)
    record.full_clean()
    actions.save_figures(record, acting_user=user)

    stored = YearlyFigures.objects.get()
    assert (stored.public, stored.consent_recorded_by, stored.consent_origin) == (True, user,
                                                                                 ConsentOrigin.MAINTAINER)
    first_recorded = stored.consent_recorded_at
    assert first_recorded is not None

    # Another field changes: the consent's record stays as it was.
    stored.income_own = 5000
    stored.full_clean()
    actions.save_figures(stored, acting_user=None, origin=ConsentOrigin.IMPORT)
    stored.refresh_from_db()
    assert (stored.consent_recorded_by, stored.consent_recorded_at, stored.consent_origin) == (
        user, first_recorded, ConsentOrigin.MAINTAINER)

    # The consent is withdrawn: who, when and how again.
    stored.public = False
    actions.save_figures(stored, acting_user=None, origin=ConsentOrigin.IMPORT)
    stored.refresh_from_db()
    assert (stored.public, stored.consent_recorded_by, stored.consent_origin) == (False, None, ConsentOrigin.IMPORT)
    assert stored.consent_recorded_at > first_recorded

    history = list(stored.history.order_by("history_id").values_list(
        "history_type", "history_user__username", "history_change_reason", "income_own", "public"))
    assert history == [("+", "redacteur-zh", "created", None, True), ("~", None, "edited", 5000, True),
                       ("~", None, "edited", 5000, False)]


def test_saving_what_did_not_change_writes_nothing(leiden):
    record = YearlyFigures(initiative=leiden, year=2024, income_subsidy=20000, paid_staff_fte=Decimal("1.5"))
    actions.save_figures(record, acting_user=None)
    again = YearlyFigures.objects.get()
    again.paid_staff_fte = Decimal("1.50")

    result = actions.save_figures_many([again], acting_user=None)

    assert (len(result.unchanged), again.history.count()) == (1, 1)


def test_an_editor_changes_figures_only_in_their_region(leiden, utrecht):
    user = editor()  # Zuid-Holland, where Leiden lies
    actions.save_figures(YearlyFigures(initiative=leiden, year=2024, income_subsidy=1), acting_user=user)

    with pytest.raises(NotAllowed, match="Energiecoöperatie Utrecht"):
        actions.save_figures(YearlyFigures(initiative=utrecht, year=2024, income_subsidy=1), acting_user=user)
    with pytest.raises(NotAllowed):
        actions.save_figures_many([YearlyFigures(initiative=leiden, year=2023, income_subsidy=1),
                                   YearlyFigures(initiative=utrecht, year=2023, income_subsidy=1)], acting_user=user)
    assert list(YearlyFigures.objects.values_list("initiative__name", "year")) == [("Buurtkamer De Linde", 2024)]


def test_evidence_of_social_value_is_validated_and_kept_in_the_history(leiden):
    bad = SocialValueEvidence(initiative=leiden, method="sroi", year=THIS_YEAR + 1, result="3,40 per euro",
                              report_url="javascript:alert(1)")
    assert errors_of(bad) == {
        "year": [f"{THIS_YEAR + 1} ligt in de toekomst."],
        "report_url": ["Vul een volledig webadres in dat begint met https:// of http://."]}
    assert errors_of(SocialValueEvidence(initiative=leiden, method="onbekend", year=2020, result="x")) == {
        "method": ["Waarde 'onbekend' is geen geldige keuze."]}

    good = SocialValueEvidence(initiative=leiden, method="sroi", year=2024, result="Elke euro levert 3,40 op.",
                               figure=Decimal("3.40"), assessed_by="Hogeschool Leiden",
                               report_url="https://example.org/sroi.pdf")
    good.full_clean()
    actions.save_evidence(good, acting_user=editor())
    assert list(good.history.values_list("history_type", "history_user__username", "history_change_reason")) == [
        ("+", "redacteur-zh", "created")]


def test_the_indicators_by_hand(leiden):
    rows = [
        YearlyFigures(initiative=leiden, year=2022, income_subsidy=6000, income_commissions=2000, income_own=2000),
        YearlyFigures(initiative=leiden, year=2023, income_subsidy=6000, income_commissions=6000, income_own=0),
        YearlyFigures(initiative=leiden, year=2025, income_own=100),  # 2024 missing: no change computed
        YearlyFigures(initiative=leiden, year=2026, expenses=50),  # no income at all
    ]

    assert figures.indicators(rows) == [
        figures.Indicators(2022, 10000, 0.6, 0.2, 3, None),
        figures.Indicators(2023, 12000, 0.5, 0.5, 2, 0.2),
        figures.Indicators(2025, 100, 0.0, 0.0, 1, None),
        figures.Indicators(2026, None, None, None, 0, None),
    ]
