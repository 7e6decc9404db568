"""“Update your figures for 2026” through a verification link: the model's rules on the form, a
suggestion that waits for an editor and changes nothing until approved, and the approval through
registry.actions with the consent recorded as given by the initiative through its link."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.core.cache import cache
from django.test import Client
from django.utils import timezone

from registry import actions, verification
from registry.models import ConsentOrigin, Suggestion, SuggestionKind, SuggestionOrigin, SuggestionState, YearlyFigures
from registry.roles import NotAllowed
from registry.site import forms
from tests.maintainers import UTRECHT_PROVINCE, editor
from tests.site.test_suggestions import errors_of, summary_of

THIS_YEAR = timezone.localdate().year


@pytest.fixture(autouse=True)
def no_waiting(db, monkeypatch):
    cache.clear()
    monkeypatch.setattr(forms, "FILL_SECONDS", 0)
    yield
    cache.clear()


def figures_form(**overrides: Any) -> dict[str, Any]:
    data: dict[str, Any] = {"year": str(THIS_YEAR), "income_subsidy": "12000", "income_own": "3500",
                            "expenses": "14000", "volunteers": "14", "paid_staff_fte": "1,5", "public": "on",
                            "message": "", "submitter_name": "", "submitter_email": "", "homepage": "",
                            "started": forms.started_token()}
    data.update(overrides)
    return {name: value for name, value in data.items() if value is not None}


def test_the_verification_page_offers_to_update_the_figures_of_this_year(client: Client, leiden):
    token = verification.make_token(leiden)
    html = client.get(f"/controle/{token}").content.decode()

    assert f'href="/controle/{token}/cijfers"' in html
    assert f"Werk uw cijfers over {THIS_YEAR} bij" in html
    form = client.get(f"/controle/{token}/cijfers")
    assert form.status_code == 200 and form["Cache-Control"] == "no-store"
    assert f'<option value="{THIS_YEAR}" selected>{THIS_YEAR}</option>' in form.content.decode()


def test_the_models_rules_come_back_on_their_fields_and_nothing_is_stored(client: Client, leiden):
    token = verification.make_token(leiden)

    response = client.post(f"/controle/{token}/cijfers", figures_form(income_subsidy="-5", household_share="140"))

    html = response.content.decode()
    assert response.status_code == 400
    assert errors_of(html, "income_subsidy") == ["Een bedrag kan niet negatief zijn (-5); vul 0 in voor geen."]
    assert errors_of(html, "household_share") == ["Een aandeel ligt tussen 0 en 100 procent; 140 niet."]
    assert [target for target, _text in summary_of(html)] == ["id_income_subsidy", "id_household_share"]
    assert 'value="3500"' in html  # nothing typed is lost
    assert (Suggestion.objects.count(), YearlyFigures.objects.count()) == (0, 0)


def test_sent_figures_wait_for_an_editor_and_are_public_only_once_approved(client: Client, leiden):
    token = verification.make_token(leiden)

    response = client.post(f"/controle/{token}/cijfers", figures_form())

    assert response.status_code == 302 and response["Location"] == f"/controle/{token}/ontvangen"
    suggestion = Suggestion.objects.get()
    assert (suggestion.kind, suggestion.origin, suggestion.state, suggestion.initiative) == (
        SuggestionKind.FIGURES, SuggestionOrigin.VERIFICATION, SuggestionState.PENDING, leiden)
    assert suggestion.proposed == {
        "year": THIS_YEAR, "income_subsidy": 12000, "income_commissions": None, "income_funds": None,
        "income_crowdfunding": None, "income_loans": None, "income_own": 3500, "income_membership": None,
        "income_donations": None, "income_partnerships": None, "expenses": 14000, "volunteers": 14,
        "paid_staff_fte": "1.5", "people_reached": None, "work_places": None, "members": None,
        "household_share": None, "premises": "", "public": True}
    assert YearlyFigures.objects.count() == 0
    assert Client().get(f"/api/v1/initiatives/{leiden.pk}").json()["yearlyFigures"] == []

    with pytest.raises(NotAllowed):
        actions.approve_suggestion(suggestion, acting_user=editor("redacteur-utrecht", UTRECHT_PROVINCE))
    user = editor()
    actions.approve_suggestion(suggestion, acting_user=user)

    record = YearlyFigures.objects.get()
    assert (record.year, record.income_subsidy, record.income_own, str(record.paid_staff_fte), record.public,
            record.consent_origin, record.consent_recorded_by, record.source) == (
        THIS_YEAR, 12000, 3500, "1.50", True, ConsentOrigin.LINK, user, "Het initiatief zelf (controlelink)")
    assert list(record.history.values_list("history_user__username", "history_change_reason")) == [
        ("redacteur-zh", f"figures from suggestion #{suggestion.pk}")]
    assert [year["year"] for year in Client().get(f"/api/v1/initiatives/{leiden.pk}").json()["yearlyFigures"]] == [
        THIS_YEAR]


def test_figures_for_a_year_already_stored_update_that_year(client: Client, leiden):
    actions.save_figures(YearlyFigures(initiative=leiden, year=THIS_YEAR, income_subsidy=1, income_donations=70),
                         acting_user=None)
    token = verification.make_token(leiden)
    client.post(f"/controle/{token}/cijfers", figures_form(public=None))

    actions.approve_suggestion(Suggestion.objects.get(), acting_user=editor())

    record = YearlyFigures.objects.get()
    assert (record.income_subsidy, record.income_donations, record.public) == (12000, None, False)


def test_the_review_page_shows_the_figures_beside_the_stored_ones(client: Client, leiden):
    client.post(f"/controle/{verification.make_token(leiden)}/cijfers", figures_form())
    suggestion = Suggestion.objects.get()
    reviewer = Client()
    reviewer.force_login(editor())

    html = reviewer.get(f"/admin/registry/suggestion/{suggestion.pk}/change/").content.decode()

    assert "Jaarcijfers" in html
    assert "inkomsten uit subsidie (€)" in html.lower()
    assert "12000" in html


def test_the_form_shows_what_the_register_holds_for_this_year(client: Client, leiden):
    actions.save_figures(YearlyFigures(initiative=leiden, year=THIS_YEAR, income_donations=770, public=True),
                         acting_user=None)

    html = client.get(f"/controle/{verification.make_token(leiden)}/cijfers").content.decode()

    assert 'name="income_donations" value="770"' in html
    assert re.search(r'<input type="checkbox" name="public"[^>]*checked', html)
