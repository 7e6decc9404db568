"""Following the changes by e-mail in a real browser, checked with axe-core: the form from the
footer, a mistake reported in a summary that takes the focus, the confirmation link's page, and the
one-click unsubscribe page."""

from __future__ import annotations

import re
from typing import Any

from django.core import mail

from registry import subscriptions
from registry.models import Subscription
from registry.site import forms
from tests.browser.conftest import Site, axe_violations


def test_subscribing_with_a_mistake_then_confirming_and_unsubscribing(page: Any, site: Site, monkeypatch):
    monkeypatch.setattr(forms, "FILL_SECONDS", 0)  # the server runs in this process
    mail.outbox.clear()
    page.goto(site("/over"))
    page.locator("footer a[href='/volgen']").click()
    page.wait_for_url(site("/volgen"))
    assert page.locator("h1").inner_text() == "Volg de wijzigingen per e-mail"
    assert axe_violations(page) == []

    page.locator("#id_area").fill("Atlantis")
    page.get_by_label("Bewonersbedrijf").check()
    page.get_by_label("dagelijks").check()
    page.locator("#id_email").fill("lezer@example.net")
    page.locator("form.public-form button[type=submit]").click()
    page.wait_for_load_state()

    summary = page.locator("#error-summary")
    assert page.evaluate("() => document.activeElement.id") == "error-summary"
    assert summary.locator("li").all_inner_texts() == [
        "Gemeente of provincie: Het register kent geen gemeente of provincie “Atlantis”. Geef de naam zoals op "
        "de gebiedspagina's van het register, of de code (GM0546, PV28)."]
    assert page.locator("#id_email").input_value() == "lezer@example.net"  # nothing typed is lost
    assert page.locator("#id_area").get_attribute("aria-invalid") == "true"
    assert axe_violations(page) == []
    assert not Subscription.objects.exists()

    summary.locator("a").click()
    assert page.evaluate("() => document.activeElement.id") == "id_area"
    page.keyboard.press("Control+A")
    page.keyboard.type("Leiden")
    page.locator("form.public-form button[type=submit]").click()
    page.wait_for_url(site("/volgen/verstuurd"))
    assert axe_violations(page) == []

    [message] = mail.outbox
    [link] = re.findall(r"http://\S+/volgen/bevestigen/\S+", message.body)
    page.goto(site(link.split("8000", 1)[1]))
    assert axe_violations(page) == []
    page.locator("main form button[type=submit]").click()
    page.wait_for_load_state()
    assert page.locator("h1").inner_text() == "Abonnement bevestigd"
    subscription = Subscription.objects.get()
    assert subscription.confirmed_at is not None

    page.goto(site(f"/volgen/opzeggen/{subscriptions.unsubscribe_token(subscription)}"))
    assert axe_violations(page) == []
    page.locator("main form button[type=submit]").click()
    page.wait_for_load_state()
    assert page.locator("h1").inner_text() == "Afgemeld"
    assert not Subscription.objects.exists()
