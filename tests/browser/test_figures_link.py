"""“Update your figures” in Chromium under the Content-Security-Policy: from its verification link an
initiative opens the figures form, makes a mistake (a negative amount), is led to the field by the
error summary, fixes it and sends; the figures wait in the queue, and an editor of the region approves
them in the admin; then the consented year shows on the public page as a chart with its table. Axe on
every page, in Dutch and in English."""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import pytest
from django.utils import timezone

from registry import actions, verification
from registry.models import (
    Initiative,
    SocialValueEvidence,
    Suggestion,
    SuggestionKind,
    SuggestionState,
    YearlyFigures,
)
from registry.site import forms
from tests.browser.backoffice import assert_accessible, committed, log_in, maintainers
from tests.browser.conftest import Site, axe_violations
from tests.conftest import LEIDEN

THIS_YEAR = timezone.localdate().year


@pytest.fixture(scope="module")
def records(site: Site, django_db_blocker: Any) -> Iterator[dict[str, Any]]:
    with maintainers("cijfers", django_db_blocker) as users:
        with django_db_blocker.unblock():
            record = committed("Buurtkamer Cijfers", LEIDEN, kind="bewonersinitiatief", founded_year=2018)
            evidence = SocialValueEvidence(initiative=record, method="sroi", year=2024, figure=Decimal("3.40"),
                                           result="Elke euro levert € 3,40 aan maatschappelijke waarde op.",
                                           assessed_by="Hogeschool Leiden", report_url="https://cijfers.example/sroi")
            evidence.full_clean()
            actions.save_evidence(evidence, acting_user=None)
        yield {"users": users, "record": record}


def test_an_initiative_sends_its_figures_and_an_editor_approves_them(page: Any, site: Site, records: dict[str, Any],
                                                                      monkeypatch):
    monkeypatch.setattr(forms, "FILL_SECONDS", 0)  # the server runs in this process
    record: Initiative = records["record"]
    token = verification.make_token(record)
    page.goto(site(f"/controle/{token}"))
    page.locator(f"a.button[href='/controle/{token}/cijfers']").click()
    page.wait_for_url(site(f"/controle/{token}/cijfers"))
    assert page.locator("#id_year").input_value() == str(THIS_YEAR)
    assert_accessible(page)

    page.locator("#id_income_subsidy").fill("-12000")
    page.locator("#id_income_own").fill("€ 4.500")
    page.locator("#id_volunteers").fill("14")
    page.locator("#id_public").check()
    page.locator("form.public-form button[type=submit]").click()
    page.wait_for_load_state()

    summary = page.locator("#error-summary")
    assert page.evaluate("() => document.activeElement.id") == "error-summary"
    assert summary.locator("li").all_inner_texts() == [
        "Inkomsten uit subsidie (€): Een bedrag kan niet negatief zijn (-12000); vul 0 in voor geen."]
    assert page.locator("#id_income_subsidy").get_attribute("aria-invalid") == "true"
    assert page.locator("#id_volunteers").input_value() == "14"  # nothing typed is lost
    assert_accessible(page)

    summary.locator("a").click()
    assert page.evaluate("() => document.activeElement.id") == "id_income_subsidy"
    page.keyboard.press("Control+A")
    page.keyboard.type("12000")
    page.locator("form.public-form button[type=submit]").click()
    page.wait_for_url(site(f"/controle/{token}/ontvangen"))
    assert_accessible(page)

    suggestion = Suggestion.objects.get(initiative=record, kind=SuggestionKind.FIGURES)
    assert suggestion.state == SuggestionState.PENDING
    assert not YearlyFigures.objects.filter(initiative=record).exists()

    log_in(page, site, records["users"]["editor"].username)
    page.goto(site(f"/admin/registry/suggestion/{suggestion.pk}/change/"))
    assert_accessible(page)
    page.click("button[value=approve]")
    page.wait_for_load_state()

    stored = YearlyFigures.objects.get(initiative=record)
    assert (stored.year, stored.income_subsidy, stored.income_own, stored.volunteers, stored.public) == (
        THIS_YEAR, 12000, 4500, 14, True)
    assert stored.consent_recorded_by == records["users"]["editor"]

    for language in ("nl", "en"):
        page.context.add_cookies([{"name": "django_language", "value": language, "url": site("/")}])
        page.goto(site(f"/initiatieven/{record.slug}"))
        section = page.locator("section.income-mix")
        assert section.locator("svg.income-chart rect.mix").count() == 2
        assert section.locator("tbody th[scope=row]").all_inner_texts() == [str(THIS_YEAR)]
        assert axe_violations(page) == [], language
    assert "16,500" in page.locator("section.income-mix table").inner_text()  # English: comma thousands


def test_the_evidence_of_social_value_reads_well_and_passes_axe(page: Any, site: Site, records: dict[str, Any]):
    record: Initiative = records["record"]
    for language, heading, figure in (
            ("nl", "Maatschappelijk rendement (SROI), 2024", "€ 3,40 maatschappelijke waarde per geïnvesteerde euro"),
            ("en", "Social return on investment (SROI), 2024", "€ 3.40 of social value per euro invested")):
        page.context.add_cookies([{"name": "django_language", "value": language, "url": site("/")}])
        page.goto(site(f"/initiatieven/{record.slug}"))
        section = page.locator("section.evidence")
        assert section.locator("h3").all_inner_texts() == [heading], language
        assert section.locator("dd").all_inner_texts()[:2] == [figure, "Hogeschool Leiden"], language
        assert section.locator("a").get_attribute("href") == "https://cijfers.example/sroi"
        assert axe_violations(page, "section.evidence", impacts=("minor", "moderate", "serious", "critical")) == [], (
            language)
        assert axe_violations(page) == [], language
