"""A worker killed (SIGKILL) in the middle of the subscribers' digests, and a new one started: each
subscription gets its digest exactly once."""

from __future__ import annotations

import datetime
import time
from collections import Counter
from pathlib import Path

import time_machine
from django.utils import timezone

from geo.models import Municipality
from registry.models import Frequency, JobError, Subscription, SubscriptionDigest
from registry.operations.tasks import subscription_digests
from tests.committed import kill
from tests.conftest import LEIDEN, make
from tests.jobs.worker import finished, job_status, outbox, start_worker, wait_for

COUNT = 240


def test_digests_killed_half_way_reach_each_subscriber_exactly_once(committed_db, tmp_path: Path):
    yesterday = timezone.localtime() - datetime.timedelta(days=1)
    leiden = Municipality.objects.current().get(code="GM0546")
    Subscription.objects.bulk_create([
        Subscription(email=f"lezer-{number}@example.net", municipality=leiden, frequency=Frequency.DAILY,
                     language="nl", confirmed_at=yesterday.replace(hour=0, minute=0, second=0))
        for number in range(COUNT)])
    with time_machine.travel(yesterday.replace(hour=12, minute=0), tick=False):
        make("Repair Café Leiden", LEIDEN)
    expected = {f"lezer-{number}@example.net" for number in range(COUNT)}
    mail = tmp_path / "mail"
    settings = {"SUBSCRIPTION_SEND_PAUSE": "0.02"}
    job_id = subscription_digests.defer(timestamp=int(time.time()))

    first = start_worker(tmp_path / "first.log", mail, **settings)
    wait_for(lambda: len(outbox(mail)) >= 20, timeout=120, what="the first digests")
    kill(first)
    before = outbox(mail)
    assert 20 <= len(before) < COUNT
    assert job_status(job_id) == "doing"  # killed: no worker finishes it

    second = start_worker(tmp_path / "second.log", mail, **settings)
    try:
        wait_for(lambda: finished("subscription_digests"), timeout=180, what="the digests, finished")
    finally:
        kill(second)
    assert job_status(job_id) in ("succeeded", "aborted")
    sent = outbox(mail)
    assert Counter(message.to for message in sent) == Counter(expected)  # every address once
    assert len({message.message_id for message in sent}) == len(sent)
    assert SubscriptionDigest.objects.count() == COUNT
    assert all(message.subject.startswith("[Register] 1 wijziging in de gemeente Leiden, ") for message in sent)
    assert JobError.objects.filter(job_id=job_id, error__contains="the worker stopped").exists()
