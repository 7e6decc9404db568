"""Webhooks in the register's own process: which events a filter matches (a record that is gone by
its last version), and an address that resolves to a private one by the time of delivery is refused
again, without a connection."""

from __future__ import annotations

import json

import pytest
from django.contrib.auth import get_user_model

from registry import actions, webhooks
from registry.models import DeliveryState, Initiative, Webhook, WebhookAttempt, WebhookDelivery
from tests.conftest import LEIDEN, UTRECHT, make


@pytest.fixture
def developer(db):
    return get_user_model().objects.create_user("ontwikkelaar", password="x")


def test_a_filter_matches_events_by_the_record_now_and_a_gone_record_by_its_last_version(developer):
    webhook = actions.register_webhook(url="https://93.184.215.14/hook",
                                       filter={"municipality": "GM0546", "service": ["winkel"]},
                                       acting_user=developer)
    shop = make("Dorpswinkel Leiden", LEIDEN, kind="bewonersbedrijf", services=["winkel"])
    make("Buurtkamer Leiden", LEIDEN, services=["ontmoetingsplek"])  # another service
    make("Winkel Utrecht", UTRECHT, services=["winkel"])  # another municipality
    actions.delete(Initiative.objects.get(pk=shop.pk), acting_user=None)
    assert webhooks.queue_events(webhook.pk) == 2
    bodies = [json.loads(d.body) for d in WebhookDelivery.objects.filter(webhook=webhook).order_by("history_id")]
    assert [(b["event"]["action"], b["event"]["id"], b["event"]["url"]) for b in bodies] == [
        ("created", shop.pk, None), ("deleted", shop.pk, None)]
    webhook.refresh_from_db()
    assert webhook.cursor == Initiative.history.order_by("-history_id").first().history_id
    assert webhooks.queue_events(webhook.pk) == 0  # read once


def test_an_address_that_resolves_to_a_private_one_at_delivery_is_refused_again(developer):
    webhook = actions.register_webhook(url="https://93.184.215.14/hook", filter={}, acting_user=developer)
    make("Repair Café Leiden", LEIDEN)
    Webhook.objects.filter(pk=webhook.pk).update(url="https://10.20.30.40/hook")  # as if its DNS changed
    assert webhooks.deliver(webhook.pk) == (0, 1)
    [attempt] = WebhookAttempt.objects.all()
    assert (attempt.status_code, attempt.error) == (None, "refused: The host 10.20.30.40 resolves to 10.20.30.40, "
                                                          "which is not a public internet address (private, "
                                                          "loopback, link-local or reserved).")
    assert attempt.seconds < 1  # no connection was tried
    [delivery] = WebhookDelivery.objects.all()
    assert (delivery.state, delivery.attempts) == (DeliveryState.PENDING, 1)


def test_only_its_owner_or_an_administrator_removes_a_webhook(developer):
    from registry.roles import NotAllowed

    webhook = actions.register_webhook(url="https://93.184.215.14/hook", filter={}, acting_user=developer)
    other = get_user_model().objects.create_user("ander", password="x")
    with pytest.raises(NotAllowed):
        actions.remove_webhook(webhook, acting_user=other)
    actions.remove_webhook(webhook, acting_user=developer)
    assert not Webhook.objects.exists()
