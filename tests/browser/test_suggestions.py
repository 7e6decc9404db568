"""The public form "Meld een initiatief aan" and a verification link in a real browser, checked
with axe-core: a mistake is reported in a summary that takes the focus and leads to the field."""

from __future__ import annotations

from typing import Any

from registry import forms, verification
from registry.models import Suggestion, SuggestionState
from tests.browser.conftest import Site, axe_violations


def test_adding_an_initiative_with_a_mistake_then_fixed(page: Any, site: Site, monkeypatch):
    monkeypatch.setattr(forms, "FILL_SECONDS", 0)  # the server runs in this process
    page.goto(site("/aanmelden"))
    assert page.locator("h1").inner_text() == "Add an initiative"
    assert page.locator("#id_homepage").get_attribute("tabindex") == "-1"
    assert axe_violations(page) == []

    page.get_by_label("Naam").fill("Buurttuin De Vlinder")
    page.get_by_label("Bewonersinitiatief").check()
    page.get_by_label("Gemeenschapstuin").check()
    page.get_by_label("Postcode").fill("9999 SS")
    page.get_by_label("Plaats").fill("Leiden")
    page.get_by_label("Your e-mail address").fill("jan@example.org")
    page.get_by_role("button", name="Send for review").click()
    page.wait_for_load_state()

    summary = page.locator("#error-summary")
    assert page.evaluate("() => document.activeElement.id") == "error-summary"
    assert summary.locator("li").all_inner_texts() == [
        "Postcode: “9999 SS” is geen Nederlandse postcode: de letters SS worden nooit gebruikt."]
    assert page.title().startswith("Error: ")
    assert page.get_by_label("Naam").input_value() == "Buurttuin De Vlinder"  # nothing typed is lost
    assert page.get_by_label("Postcode").get_attribute("aria-invalid") == "true"
    assert axe_violations(page) == []

    summary.locator("a").click()
    assert page.evaluate("() => document.activeElement.id") == "id_postcode"
    page.keyboard.press("Control+A")
    page.keyboard.type("2311 CS")
    page.get_by_role("button", name="Send for review").click()
    page.wait_for_url(site("/aanmelden/bedankt"))

    assert page.locator("h1").inner_text() == "Thank you"
    assert axe_violations(page) == []
    suggestion = Suggestion.objects.get(proposed__name="Buurttuin De Vlinder")
    assert (suggestion.state, suggestion.proposed["postcode"], suggestion.submitter_email) == (
        SuggestionState.PENDING, "2311 CS", "jan@example.org")
    # Not on the site until an editor approves it.
    page.goto(site("/initiatieven?q=Vlinder"))
    assert "Buurttuin De Vlinder" not in page.locator("main").inner_text()


def test_a_verification_link(page: Any, site: Site):
    page.goto(site(f"/controle/{verification.make_token(site.sample)}"))

    assert page.locator("h1").inner_text() == "Is this still correct?"
    assert site.sample.name in page.locator(".lead").inner_text()
    assert axe_violations(page) == []
    page.get_by_role("link", name="We have stopped").click()
    page.wait_for_load_state()
    assert page.locator("h1").inner_text() == "We have stopped"
    assert axe_violations(page) == []
