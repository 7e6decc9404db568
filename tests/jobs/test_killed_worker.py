"""A worker killed (SIGKILL) in the middle of a verification campaign and of the daily snapshot, and a
new one started: each request is sent exactly once, and only complete snapshots exist."""

from __future__ import annotations

import hashlib
import time
from collections import Counter
from pathlib import Path

import pytest
from django.db.models import CharField, F, Value
from django.db.models.functions import Cast, Concat

from opendata.snapshots import SNAPSHOT_NAME
from opendata.tasks import daily_snapshot
from registry.history import Reasons
from registry.models import Initiative, JobError, PublicationState, RoundState, Status, VerificationRound
from registry.operations.demo import seed_demo
from registry.operations.tasks import verification_day
from tests.committed import kill
from tests.jobs.worker import finished, job_status, outbox, start_worker, wait_for, wait_for_job


@pytest.fixture
def register(committed_db: None) -> None:
    seed_demo(300, seed=7)


def test_a_campaign_killed_half_way_sends_each_request_exactly_once(register, tmp_path: Path):
    due = Initiative.objects.filter(publication_state=PublicationState.PUBLISHED).exclude(status=Status.STOPPED)
    due.update(last_verified_on=None, email=Concat(Value("info-"), Cast(F("pk"), CharField()), Value("@example.org")))
    expected = {f"info-{pk}@example.org" for pk in due.values_list("pk", flat=True)}
    assert len(expected) > 200
    mail = tmp_path / "mail"
    settings = {"VERIFICATION_SEND_PAUSE": "0.02", "VERIFICATION_DAILY_CAP": "1000"}
    job_id = verification_day.defer(timestamp=int(time.time()))

    first = start_worker(tmp_path / "first.log", mail, **settings)
    wait_for(lambda: len(outbox(mail)) >= 20, timeout=120, what="the first messages")
    kill(first)
    before = outbox(mail)
    assert 20 <= len(before) < len(expected)
    assert job_status(job_id) == "doing"  # killed: no worker finishes it

    second = start_worker(tmp_path / "second.log", mail, **settings)
    try:
        wait_for(lambda: finished("verification_day"), timeout=180, what="the campaign, finished")
    finally:
        kill(second)
    assert job_status(job_id) in ("succeeded", "aborted")

    sent = outbox(mail)
    assert Counter(message.to for message in sent) == Counter(expected)  # every address once
    assert len({message.message_id for message in sent}) == len(sent)
    rounds = VerificationRound.objects.filter(initiative__in=due)
    assert rounds.count() == len(expected)
    assert set(rounds.values_list("state", "requests_sent").distinct()) == {(RoundState.ASKED, 1)}
    assert Initiative.history.filter(history_change_reason=Reasons.VERIFICATION_ASKED.text()).count() == len(expected)
    # The worker's death is on the job's record, with the retry.
    assert JobError.objects.filter(job_id=job_id, error__contains="the worker stopped").exists()


def complete_snapshots(root: Path) -> list[str]:
    return sorted(folder.name for folder in root.iterdir() if SNAPSHOT_NAME.match(folder.name)) if root.exists() else []


def assert_complete(folder: Path) -> None:
    sums = (folder / "SHA256SUMS").read_text().splitlines()
    assert len(sums) >= 5
    for line in sums:
        digest, name = line.split("  ")
        assert hashlib.sha256((folder / name).read_bytes()).hexdigest() == digest, name


def test_a_snapshot_killed_half_way_leaves_no_snapshot_and_the_retry_writes_one(register, tmp_path: Path):
    root = tmp_path / "opendata"
    mail = tmp_path / "mail"
    job_id = daily_snapshot.defer(timestamp=int(time.time()))
    first = start_worker(tmp_path / "first.log", mail, OPENDATA_ROOT=str(root))
    wait_for(lambda: root.exists() and any(path.name.startswith(".") for path in root.iterdir()), timeout=120,
             every=0.01, what="the export's hidden work folder")
    kill(first)
    assert complete_snapshots(root) == []  # only the hidden, incomplete folder

    second = start_worker(tmp_path / "second.log", mail, OPENDATA_ROOT=str(root))
    try:
        wait_for(lambda: finished("daily_snapshot"), timeout=180, what="the snapshot, finished")
        assert job_status(job_id) in ("succeeded", "aborted")
        [day] = complete_snapshots(root)
        assert_complete(root / day)
        assert [path.name for path in root.iterdir() if path.name.startswith(".")] == []
        manifest = (root / day / "manifest.json").read_text()
        # The same day again (the next hour's tick): no second snapshot.
        again = daily_snapshot.defer(timestamp=int(time.time()) + 1)
        wait_for_job(again)
    finally:
        kill(second)
    assert complete_snapshots(root) == [day]
    assert (root / day / "manifest.json").read_text() == manifest
