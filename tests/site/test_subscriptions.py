"""E-mail subscriptions on the public site: double opt-in, one-click unsubscribe, links that do
nothing and say why (changed, expired, used), and a form that refuses an unknown area or kind."""

from __future__ import annotations

import datetime
import html
import re
from typing import Any

import pytest
import time_machine
from django.core import mail
from django.core.cache import cache
from django.test import Client
from django.utils import timezone

from registry import subscriptions
from registry.models import Frequency, Subscription, SubscriptionDigest
from registry.operations.tasks import run_subscription_digests
from registry.site import forms
from tests.conftest import LEIDEN, make

EN = {"HTTP_ACCEPT_LANGUAGE": "en"}
ADDRESS = "lezer@example.net"


@pytest.fixture(autouse=True)
def no_waiting(db, monkeypatch):
    cache.clear()
    monkeypatch.setattr(forms, "FILL_SECONDS", 0)
    yield
    cache.clear()


def form(**overrides: Any) -> dict[str, Any]:
    data: dict[str, Any] = {"email": ADDRESS, "area": "Leiden", "kinds": [], "services": [],
                            "frequency": Frequency.DAILY, "homepage": "", "started": forms.started_token()}
    data.update(overrides)
    return data


def errors_of(page: str) -> list[str]:
    items = re.findall(r'<ul class="utrecht-form-field-error-message errorlist"[^>]*>(.*?)</ul>', page, re.S)
    return [html.unescape(re.sub(r"<[^>]+>", "", item)).strip() for item in items]


def link_in(body: str, path: str) -> str:
    [url] = re.findall(rf"http://\S+{path}\S+", body)
    return url.split("8000", 1)[1] if "8000" in url else url


def subscribe(client: Client, **overrides: Any) -> str:
    """Subscribe; returns the confirmation link's path from the e-mail."""
    before = len(mail.outbox)
    response = client.post("/volgen", form(**overrides), **EN)
    assert response.status_code == 302, response.content.decode()[:3000]
    assert response["Location"] == "/volgen/verstuurd"
    assert len(mail.outbox) == before + 1
    return link_in(mail.outbox[-1].body, "/volgen/bevestigen/")


def test_the_form_is_linked_from_every_footer_and_from_the_area_pages(client: Client, db):
    page = client.get("/gebieden/GM0546", **EN).content.decode()
    link = '<a class="utrecht-link utrecht-link--html-a" href='
    assert f'{link}"/volgen?area=GM0546">Follow the changes in Leiden by e-mail</a>' in page
    assert f'{link}"/volgen">Follow the changes by e-mail</a>' in client.get("/over", **EN).content.decode()
    prefilled = client.get("/volgen?area=GM0546", **EN).content.decode()
    assert 'name="area" value="GM0546"' in prefilled
    dutch = client.get("/volgen", HTTP_ACCEPT_LANGUAGE="nl").content.decode()
    assert '<h1 class="utrecht-heading-1">Volg de wijzigingen per e-mail</h1>' in dutch


def test_nothing_but_the_confirmation_is_sent_before_the_link_is_used(client: Client, db):
    start = timezone.now() - datetime.timedelta(days=3)
    with time_machine.travel(start, tick=False):
        path = subscribe(client)
    confirmation = mail.outbox[0]
    subscription = Subscription.objects.get()
    assert (confirmation.to, confirmation.subject) == ([ADDRESS], "Confirm your subscription to the register's "
                                                                  "changes in the municipality of Leiden")
    assert confirmation.body == (
        "Someone, probably you, asked for a daily e-mail about the initiatives in the municipality of Leiden that "
        "are new, changed or stopped, from the register of residents' initiatives (http://127.0.0.1:8000).\n\n"
        "To confirm, open this link within 7 days and press the button:\n"
        f"http://127.0.0.1:8000{path}\n\n"
        "If you did not ask for this, ignore this e-mail: nothing more will be sent to you, and the request is "
        "forgotten.\n")
    assert subscription.confirmed_at is None and subscription.language == "en"
    # Changes in Leiden the next day: no digest for an unconfirmed subscription.
    with time_machine.travel(start + datetime.timedelta(days=1), tick=False):
        make("Repair Café Leiden", LEIDEN)
    run_subscription_digests(timezone.localdate(start + datetime.timedelta(days=2)))
    assert len(mail.outbox) == 1 and not SubscriptionDigest.objects.exists()

    # Opening the link changes nothing (mail scanners open links); its button confirms.
    page = client.get(path, **EN)
    assert page.status_code == 200 and "Confirm my subscription" in page.content.decode()
    assert page["Cache-Control"] == "no-store"
    subscription.refresh_from_db()
    assert subscription.confirmed_at is None
    done = client.post(path, **EN).content.decode()
    assert "You will get a daily e-mail about the initiatives in the municipality of Leiden" in done
    subscription.refresh_from_db()
    assert subscription.confirmed_at is not None


def test_a_confirmation_link_used_again_changes_nothing_and_says_so(client: Client, db):
    path = subscribe(client)
    client.post(path, **EN)
    confirmed_at = Subscription.objects.get().confirmed_at
    again = client.post(path, **EN)
    assert again.status_code == 200
    text = again.content.decode()
    assert "This subscription was already confirmed on" in text and "this link changed nothing" in text
    assert Subscription.objects.get().confirmed_at == confirmed_at


def test_a_changed_link_does_nothing_and_says_why(client: Client, db):
    path = subscribe(client)
    subscription = Subscription.objects.get()
    unsubscribe = "/volgen/opzeggen/" + subscriptions.unsubscribe_token(subscription)
    for tampered in (path[:-2] + ("xy" if not path.endswith("xy") else "zz"),
                     path.replace(f"/{subscription.pk}:", f"/{subscription.pk + 1}:"),
                     unsubscribe[:-1] + ("a" if not unsubscribe.endswith("a") else "b")):
        for method in (client.get, client.post):
            response = method(tampered, **EN)
            assert response.status_code == 404, tampered
            assert "The link was changed or cut short." in response.content.decode()
    subscription.refresh_from_db()
    assert subscription.confirmed_at is None


def test_an_expired_confirmation_link_does_nothing_and_says_why(client: Client, db):
    with time_machine.travel(timezone.now() - datetime.timedelta(days=8)):
        path = subscribe(client)
    response = client.post(path, **EN)
    assert response.status_code == 410
    assert "A link to confirm a subscription works for 7 days, and this one is older." in response.content.decode()
    assert Subscription.objects.get().confirmed_at is None
    # The job forgets it; the link then still says it expired (checked before anything is looked up).
    run_subscription_digests(timezone.localdate())
    assert not Subscription.objects.exists()
    assert client.get(path, **EN).status_code == 410


def test_a_confirmation_link_of_a_forgotten_subscription_says_it_is_gone(client: Client, db):
    path = subscribe(client)
    Subscription.objects.all().delete()
    response = client.post(path, **EN)
    assert response.status_code == 410
    assert "It was cancelled, or it was not confirmed in time." in response.content.decode()


def test_unsubscribing_takes_one_click_and_deletes_the_address(client: Client, db):
    client.post(subscribe(client), **EN)
    subscription = Subscription.objects.get()
    path = "/volgen/opzeggen/" + subscriptions.unsubscribe_token(subscription)
    page = client.get(path, **EN)
    assert page.status_code == 200 and "Stop the daily e-mail about the initiatives in the municipality of Leiden" \
        in page.content.decode()
    assert Subscription.objects.exists()  # opening the link changes nothing
    # RFC 8058: the mail software POSTs "List-Unsubscribe=One-Click", without a CSRF token or cookie.
    strict = Client(enforce_csrf_checks=True)
    response = strict.post(path, "List-Unsubscribe=One-Click", content_type="application/x-www-form-urlencoded",
                           **EN)
    assert response.status_code == 200
    assert "Your address has been deleted from the register." in response.content.decode()
    assert not Subscription.objects.exists()
    used = client.post(path, **EN)
    assert used.status_code == 410
    assert "you have already unsubscribed, and your address has been deleted. This link does nothing more." in \
        used.content.decode()


def test_subscribing_again_replaces_the_earlier_subscription_once_confirmed(client: Client, db):
    client.post(subscribe(client), **EN)
    first = Subscription.objects.get()
    second_link = subscribe(client, frequency=Frequency.WEEKLY, kinds=["bewonersbedrijf"], area="GM0546")
    assert Subscription.objects.count() == 2  # the first goes only when the second is confirmed
    client.post(second_link, **EN)
    [kept] = Subscription.objects.all()
    assert kept.pk != first.pk and kept.frequency == Frequency.WEEKLY
    assert list(kept.kinds.values_list("code", flat=True)) == ["bewonersbedrijf"]


@pytest.mark.parametrize(("overrides", "message"), [
    ({"area": "Atlantis"}, "The register knows no municipality or province “Atlantis”. Give its name as on the "
                           "register's area pages, or its code (GM0546, PV28)."),
    ({"area": "GM9999"}, "The register knows no municipality or province “GM9999”. Give its name as on the "
                         "register's area pages, or its code (GM0546, PV28)."),
    ({"area": "Utrecht"}, "“Utrecht” is both a municipality (GM0344) and a province (PV26): give the code of the "
                          "one you mean."),
    ({"kinds": ["bewonersbedrijf", "spookhuis"]}, "“spookhuis” is not a kind the register knows."),
    ({"services": ["tijdreizen"]}, "“tijdreizen” is not a service the register knows."),
    ({"email": "geen-adres"}, "Enter a valid email address."),
    ({"frequency": "elk-uur"}, "Select a valid choice. elk-uur is not one of the available choices."),
])
def test_an_unknown_area_or_kind_is_refused_on_the_form_with_a_clear_message(client: Client, db, overrides,
                                                                             message):
    response = client.post("/volgen", form(**overrides), **EN)
    assert response.status_code == 400
    assert errors_of(response.content.decode()) == [f"Error: {message}"]
    assert not Subscription.objects.exists() and mail.outbox == []


def test_the_refusal_is_dutch_for_a_dutch_visitor(client: Client, db):
    response = client.post("/volgen", form(area="Atlantis"), HTTP_ACCEPT_LANGUAGE="nl")
    assert errors_of(response.content.decode()) == [
        "Fout: Het register kent geen gemeente of provincie “Atlantis”. Geef de naam zoals op de gebiedspagina's "
        "van het register, of de code (GM0546, PV28)."]


def test_a_province_by_its_code_or_name(client: Client, db):
    subscribe(client, area="pv28")
    subscribe(client, area="zuid-holland", email="ander@example.net")
    assert [s.area_code for s in Subscription.objects.order_by("pk")] == ["PV28", "PV28"]


def test_a_filled_in_honeypot_is_thanked_and_stores_nothing(client: Client, db):
    response = client.post("/volgen", form(homepage="http://spam.example"), **EN)
    assert response.status_code == 302 and not Subscription.objects.exists() and mail.outbox == []
