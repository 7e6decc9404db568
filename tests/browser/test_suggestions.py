"""The public form "Meld een initiatief aan" and a verification link in a real browser, checked
with axe-core: a mistake is reported in a summary that takes the focus and leads to the field.
(Elements are found by structure, not by the new strings, which locale/nl is still to translate.)"""

from __future__ import annotations

from typing import Any

from registry import verification
from registry.models import Suggestion, SuggestionState
from registry.site import forms
from tests.browser.conftest import Site, axe_violations


def test_adding_an_initiative_with_a_mistake_then_fixed(page: Any, site: Site, monkeypatch):
    monkeypatch.setattr(forms, "FILL_SECONDS", 0)  # the server runs in this process
    page.goto(site("/"))
    page.locator(".site-header nav a[href='/aanmelden']").click()
    page.wait_for_url(site("/aanmelden"))
    assert page.locator("#id_homepage").get_attribute("tabindex") == "-1"
    assert page.locator("#error-summary").count() == 0
    assert axe_violations(page) == []

    page.locator("#id_name").fill("Buurttuin De Vlinder")
    page.get_by_label("Bewonersinitiatief").check()  # the kind and service labels are the vocabularies'
    page.get_by_label("Gemeenschapstuin").check()
    page.locator("#id_postcode").fill("9999 SS")
    page.locator("#id_place").fill("Leiden")
    page.locator("#id_submitter_email").fill("jan@example.org")
    page.locator("form.public-form button[type=submit]").click()
    page.wait_for_load_state()

    summary = page.locator("#error-summary")
    assert page.evaluate("() => document.activeElement.id") == "error-summary"
    assert summary.locator("li").all_inner_texts() == [
        "Postcode: “9999 SS” is geen Nederlandse postcode: de letters SS worden nooit gebruikt."]
    assert page.locator("#id_name").input_value() == "Buurttuin De Vlinder"  # nothing typed is lost
    assert page.locator("#id_kind_0").is_checked()
    postcode = page.locator("#id_postcode")
    assert postcode.get_attribute("aria-invalid") == "true"
    assert "id_postcode_error" in postcode.get_attribute("aria-describedby").split()
    assert axe_violations(page) == []

    summary.locator("a").click()
    assert page.evaluate("() => document.activeElement.id") == "id_postcode"
    page.keyboard.press("Control+A")
    page.keyboard.type("2311 CS")
    page.locator("form.public-form button[type=submit]").click()
    page.wait_for_url(site("/aanmelden/bedankt"))

    assert axe_violations(page) == []
    suggestion = Suggestion.objects.get(proposed__name="Buurttuin De Vlinder")
    assert (suggestion.state, suggestion.proposed["postcode"], suggestion.submitter_email) == (
        SuggestionState.PENDING, "2311 CS", "jan@example.org")
    # Not on the site until an editor approves it.
    page.goto(site("/initiatieven?q=Vlinder"))
    assert "Buurttuin De Vlinder" not in page.locator("main").inner_text()


def test_a_verification_link(page: Any, site: Site):
    page.goto(site(f"/controle/{verification.make_token(site.sample)}"))

    assert site.sample.name in page.locator(".lead").inner_text()
    assert page.locator("button[name=confirm]").count() == 1
    assert axe_violations(page) == []
    page.locator("a.button[href$='/gestopt']").click()
    page.wait_for_load_state()
    assert page.locator("input[name=stopped_on][type=date]").count() == 1
    assert axe_violations(page) == []


def test_a_verification_link_is_answered_in_a_real_browser(page: Any, site: Site):
    """The link's page posts its own form: the browser must send an Origin the CSRF check accepts (a
    no-referrer policy makes Chromium send `Origin: null`, and every answer was refused with 403)."""
    page.goto(site(f"/controle/{verification.make_token(site.sample)}"))
    with page.expect_navigation():
        page.locator("button[name=confirm]").click()

    assert "/bevestigd" in page.url
    assert page.locator("h1").count() == 1 and "403" not in page.title()
