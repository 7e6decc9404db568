"""Webhooks delivered by a real worker to real receivers on 127.0.0.1 (loopback is allowed in
development): the signature verifies with the documented recipe, a receiver that answers 500 then
200 gets the event once after the retry, a dead receiver is disabled after WEBHOOK_DISABLE_AFTER
failed attempts with every attempt in the log, and a slow receiver is timed out without holding up
another webhook's delivery."""

from __future__ import annotations

import hashlib
import hmac
import json
import socket
import time
from pathlib import Path

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from django.utils import timezone

from registry import actions
from registry.models import DeliveryState, Initiative, Webhook, WebhookAttempt, WebhookDelivery
from tests.committed import kill
from tests.conftest import LEIDEN, UTRECHT, make
from tests.jobs.receiver import receiving
from tests.jobs.worker import start_worker, wait_for
from tests.maintainers import administrator

# Verified today: the worker's own schedules (the verification loop) write no versions of them meanwhile.
TODAY = timezone.localdate()
WORKER = {"WEBHOOK_ALLOW_LOOPBACK": "true", "WEBHOOKS_CRON": "* * * * * *", "WEBHOOK_RETRY_SECONDS": "0",
          "WEBHOOK_TIMEOUT": "2", "WEBHOOK_DISABLE_AFTER": "3", "JOBS_SCHEDULES": "true"}


@pytest.fixture
def developer(committed_db, settings):
    settings.WEBHOOK_ALLOW_LOOPBACK = True
    return get_user_model().objects.create_user("ontwikkelaar", password="x")


def attempts_of(webhook: Webhook) -> list[tuple[int | None, str]]:
    return list(WebhookAttempt.objects.filter(webhook=webhook).order_by("at", "pk").values_list("status_code",
                                                                                                 "error"))


def test_a_receiver_answering_500_then_200_gets_the_event_once_and_its_signature_verifies(developer,
                                                                                         tmp_path: Path):
    with receiving([500, 200]) as receiver:
        webhook = actions.register_webhook(url=receiver.url, filter={"municipality": ["GM0546"]},
                                           acting_user=developer)
        leiden = make("Repair Café Leiden", LEIDEN, last_verified_on=TODAY)
        make("Energiecoöperatie Utrecht", UTRECHT, last_verified_on=TODAY)  # not in the filter's municipality
        worker = start_worker(tmp_path / "worker.log", tmp_path / "mail", **WORKER)
        try:
            wait_for(lambda: WebhookDelivery.objects.filter(state=DeliveryState.DELIVERED).exists(), timeout=90,
                     what=lambda: f"a delivery; attempts {attempts_of(webhook)}")
            time.sleep(3)  # three more runs: nothing more is sent
        finally:
            kill(worker)
    [delivery] = WebhookDelivery.objects.all()
    assert (delivery.state, delivery.attempts) == (DeliveryState.DELIVERED, 2)
    assert attempts_of(webhook) == [(500, "the receiver answered 500"), (200, "")]
    first, second = receiver.received  # the failed attempt and its retry, nothing more
    assert first.body == second.body
    assert first.headers["Register-Delivery"] == second.headers["Register-Delivery"] == f"{webhook.pk}-" \
        f"{delivery.history_id}"
    # The documented recipe (docs/webhooks.md): HMAC-SHA256 of the body's bytes with the secret.
    expected = "sha256=" + hmac.new(webhook.secret.encode(), second.body, hashlib.sha256).hexdigest()
    assert hmac.compare_digest(second.headers["Register-Signature"], expected)
    assert second.headers["Content-Type"] == "application/json"
    assert second.headers["Register-Event"] == "created"
    version = Initiative.history.get(history_id=delivery.history_id)
    assert json.loads(second.body) == {
        "deliveryId": f"{webhook.pk}-{delivery.history_id}",
        "webhook": webhook.pk,
        "event": {
            "cursor": json.loads(second.body)["event"]["cursor"], "action": "created", "id": leiden.pk,
            "slug": "repair-cafe-leiden", "at": version.history_date.isoformat().replace("+00:00", "Z"),
            "url": f"http://127.0.0.1:8000/api/v1/initiatives/{leiden.pk}", "mergedInto": None,
            "status": "actief", "stopped": False,
        },
    }
    # A body changed on the way no longer matches its signature.
    tampered = second.body.replace(b"actief", b"gestopt")
    assert not hmac.compare_digest(second.headers["Register-Signature"], "sha256=" + hmac.new(
        webhook.secret.encode(), tampered, hashlib.sha256).hexdigest())


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_a_dead_receiver_is_disabled_after_its_failures_with_every_attempt_logged(developer, tmp_path: Path):
    webhook = actions.register_webhook(url=f"http://127.0.0.1:{closed_port()}/hook", filter={},
                                       acting_user=developer)
    make("Repair Café Leiden", LEIDEN, last_verified_on=TODAY)
    worker = start_worker(tmp_path / "worker.log", tmp_path / "mail", **WORKER)
    try:
        wait_for(lambda: not Webhook.objects.get(pk=webhook.pk).active, timeout=90,
                 what=lambda: f"the webhook disabled; attempts {attempts_of(webhook)}")
        time.sleep(3)  # a disabled webhook is not tried again
    finally:
        kill(worker)
    attempts = attempts_of(webhook)
    assert len(attempts) == 3
    assert all(status is None and error.startswith("ConnectionError: ") for status, error in attempts), attempts
    webhook.refresh_from_db()
    assert webhook.failures == 3 and webhook.disabled_at is not None
    assert webhook.disabled_reason == f"3 failed attempts in a row; the last: {attempts[-1][1]}"
    [delivery] = WebhookDelivery.objects.all()
    assert (delivery.state, delivery.attempts) == (DeliveryState.PENDING, 3)

    # The delivery log in the admin, and a maintainer enables the webhook again.
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(administrator())
    page = client.get(f"/admin/registry/webhook/{webhook.pk}/change/").content.decode()
    assert page.count('<td class="field-error">') == 3  # each attempt in the log
    # The whole error of each attempt, and in the reason it was disabled.
    assert page.count("Failed to establish a new connection: [Errno 111] Connection refused") == 3 + 1
    listing = client.get("/admin/registry/webhook/").content.decode()
    assert webhook.url in listing
    response = client.post("/admin/registry/webhook/", {"action": "enable", "_selected_action": [webhook.pk]})
    assert response.status_code == 302
    webhook.refresh_from_db()
    assert (webhook.active, webhook.failures, webhook.disabled_reason) == (True, 0, "")


def test_a_slow_receiver_is_timed_out_without_holding_up_another_webhook(developer, tmp_path: Path):
    with receiving([200], delay=30) as slow, receiving([200]) as fast:
        slow_hook = actions.register_webhook(url=slow.url, filter={}, acting_user=developer)
        fast_hook = actions.register_webhook(url=fast.url, filter={}, acting_user=developer)
        make("Repair Café Leiden", LEIDEN, last_verified_on=TODAY)
        worker = start_worker(tmp_path / "worker.log", tmp_path / "mail", **WORKER)
        try:
            wait_for(lambda: attempts_of(slow_hook) and attempts_of(fast_hook), timeout=90,
                     what="an attempt of each webhook")
        finally:
            kill(worker)
        assert fast.received and slow.received
        # The fast receiver had its event while the slow one was still being waited for.
        assert fast.received[0].at - slow.received[0].at < 1.5
    assert attempts_of(fast_hook)[0] == (200, "")
    status, error = attempts_of(slow_hook)[0]
    assert (status, error) == (None, "no answer within 2 seconds")
    assert WebhookAttempt.objects.filter(webhook=slow_hook).first().seconds < 4
