"""A simulated year of the verification loop on a seeded register: time moves forward day by day
(time-machine in this process; each day's jobs get the day's tick, as the schedule gives it), a real
worker runs the day's campaign and the editors' digests, initiatives answer by the links in their
e-mail (or not, or ask not to be asked), and editors verify their worklist by phone once a week.

At the end: every running record is verified, on a worklist, or still being asked, and the stale ones
are shown as unconfirmed (never hidden); no round sent more than two messages; no province got more
than its daily cap; the outbox holds exactly the messages the rounds and the history record."""

from __future__ import annotations

import datetime
import email
import email.policy
import re
import subprocess
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest
import time_machine
from django.core.cache import cache
from django.test import Client
from procrastinate.contrib.django.models import ProcrastinateJob

from registry import actions
from registry.history import Reasons
from registry.models import (
    Initiative,
    PublicationState,
    RoundState,
    Status,
    VerificationMethod,
    VerificationOptOut,
    VerificationRound,
)
from registry.operations.demo import seed_demo
from registry.operations.tasks import verification_day, worklist_digests
from registry.querysets import stale_cutoff
from registry.site import forms
from tests.committed import kill
from tests.jobs.worker import SEPARATOR, Sent, job_status, start_worker, wait_for
from tests.maintainers import administrator, editor

START = datetime.date(2027, 1, 4)
DAYS = 365
CAP = 4
LINK = re.compile(r"http://127\.0\.0\.1:8000(/controle/\S+)")
ROUND = re.compile(r"<verification-(\d+)-([12])@")


@pytest.fixture
def worker(committed_db: None, tmp_path: Path, monkeypatch) -> Iterator[tuple[subprocess.Popen[bytes], Path]]:
    monkeypatch.setattr(forms, "FILL_SECONDS", 0)
    mail = tmp_path / "mail"
    process = start_worker(tmp_path / "worker.log", mail, JOBS_SCHEDULES="false",
                           VERIFICATION_DAILY_CAP=str(CAP), VERIFICATION_SEND_PAUSE="0")
    yield process, mail
    if process.poll() is None:
        kill(process)


def tick(day: datetime.date, hour: int) -> int:
    return int(datetime.datetime(day.year, day.month, day.day, hour, tzinfo=datetime.UTC).timestamp())


def run_schedules(day: datetime.date) -> None:
    """The day's ticks of the loop's two schedules, as the worker's scheduler defers them; then wait."""
    asked = verification_day.defer(timestamp=tick(day, 1))
    told = worklist_digests.defer(timestamp=tick(day, 6))
    wait_for(lambda: job_status(asked) == job_status(told) == "succeeded", timeout=120, every=0.01,
             what=lambda: f"day {day}: {job_status(asked)}, {job_status(told)}")


def new_messages(mail: Path, read: dict[str, int]) -> list[Sent]:
    """The messages the worker wrote since the last call: what each file holds past the bytes read
    before (the file backend names a file by the second it opened it, so two days' runs within one
    second append to the same file)."""
    found = []
    for path in sorted(mail.glob("*.log")) if mail.exists() else []:
        content = path.read_bytes()
        fresh, read[path.name] = content[read.get(path.name, 0):], len(content)
        for chunk in fresh.decode("utf-8").split(SEPARATOR):
            if chunk.strip():
                message = email.message_from_string(chunk.strip("\n"), policy=email.policy.default)
                body = message.get_body(("plain",))
                found.append(Sent(str(message["To"]), str(message["Subject"]), str(message["Message-ID"]),
                                  body.get_content() if body is not None else ""))
    return found


def test_a_year_of_the_loop_by_itself(worker):
    _process, mail = worker
    with time_machine.travel(datetime.datetime(2027, 1, 3, 12, tzinfo=datetime.UTC), tick=False):
        seed_demo(300, seed=11)
        # The demo register has no phone numbers: every third record gets one, for the editors to call.
        for pk in Initiative.objects.values_list("pk", flat=True):
            if pk % 3 == 0:
                Initiative.objects.filter(pk=pk).update(phone=f"06 {10000000 + pk}")
        editors = {code: editor(f"redacteur-{code.lower()}", code, email=f"{code.lower()}@example.org")
                   for code in ("PV27", "PV28", "PV26")}  # Noord-Holland, Zuid-Holland, Utrecht
        administrator("beheerder", email="beheer@example.org")
    running = Initiative.objects.filter(publication_state=PublicationState.PUBLISHED).exclude(status=Status.STOPPED)
    published_before = set(Initiative.objects.filter(publication_state=PublicationState.PUBLISHED)
                           .values_list("pk", flat=True))
    email_of = dict(Initiative.objects.values_list("pk", "email"))
    province_of = dict(Initiative.objects.values_list("pk", "province_id"))
    phone_of = dict(Initiative.objects.values_list("pk", "phone"))
    assert running.count() > 200 and running.exclude(email="").count() > 80

    client = Client()
    read: dict[str, int] = {}
    verification_sent: list[tuple[datetime.date, int, int, str]] = []  # day, round, number, to
    digests: list[tuple[datetime.date, str, str]] = []
    opted_out_on: dict[int, datetime.date] = {}

    for n in range(DAYS):
        day = START + datetime.timedelta(days=n)
        with time_machine.travel(datetime.datetime(day.year, day.month, day.day, 17, tzinfo=datetime.UTC),
                                 tick=False):
            cache.clear()  # the public forms' per-address limit
            run_schedules(day)
            for message in new_messages(mail, read):
                found = ROUND.search(message.message_id)
                if found is None:
                    digests.append((day, message.to, message.body))
                    continue
                round_id, number = int(found.group(1)), int(found.group(2))
                verification_sent.append((day, round_id, number, message.to))
                pk = VerificationRound.objects.get(pk=round_id).initiative_id
                path = LINK.search(message.body).group(1)  # type: ignore[union-attr]
                # How the initiatives answer: at once, at the reminder, "stop asking us", or never.
                if (pk % 5 == 0 and number == 1) or (pk % 5 == 1 and number == 2):
                    assert client.post(path, {"confirm": "1"}).status_code == 302
                elif pk % 5 == 2 and number == 1:
                    assert client.post(path, {"stop_asking": "1"}).status_code == 200
                    opted_out_on[pk] = day
            if day.weekday() == 4:  # on Fridays the editors phone the records on their worklist
                for user in editors.values():
                    on_list = VerificationRound.objects.filter(state=RoundState.WORKLIST).filter(
                        province__code__in=user.maintainer.provinces.values("code")).exclude(
                        initiative__phone="")
                    actions.mark_verified_many(Initiative.objects.filter(pk__in=on_list.values("initiative_id")),
                                               VerificationMethod.PHONE, acting_user=user)
    end = START + datetime.timedelta(days=DAYS - 1)

    # Nothing was hidden or deleted by a job.
    assert set(Initiative.objects.filter(publication_state=PublicationState.PUBLISHED)
               .values_list("pk", flat=True)) == published_before

    # Every running record: verified, on a worklist, or being asked (its round younger than 30 days).
    fresh = stale_cutoff(end)
    for initiative in running.only("pk", "last_verified_on"):
        rounds = VerificationRound.objects.filter(initiative=initiative)
        open_round = rounds.filter(state__in=[RoundState.WAITING, RoundState.ASKED, RoundState.WORKLIST]).first()
        verified = initiative.last_verified_on is not None and initiative.last_verified_on >= fresh
        assert verified or open_round is not None, (initiative.pk, initiative.last_verified_on, list(rounds))
        if not verified and open_round is not None and open_round.state == RoundState.ASKED:
            assert open_round.first_sent_on > end - datetime.timedelta(days=30)
    assert VerificationRound.objects.filter(state=RoundState.WORKLIST).exists()
    assert VerificationRound.objects.filter(state=RoundState.ANSWERED).exists()
    assert VerificationRound.objects.filter(state=RoundState.VERIFIED).exists()

    # No round sent more than two messages, each once, each to its record's address.
    per_round = Counter(round_id for _day, round_id, _n, _to in verification_sent)
    assert max(per_round.values()) <= 2
    assert len({(round_id, number) for _day, round_id, number, _to in verification_sent}) == len(verification_sent)
    initiative_of = dict(VerificationRound.objects.values_list("pk", "initiative_id"))
    assert all(to == email_of[initiative_of[round_id]] for _day, round_id, _n, to in verification_sent)
    # Initiatives that asked not to be asked got nothing more.
    for _day, round_id, _n, _to in verification_sent:
        pk = initiative_of[round_id]
        assert pk not in opted_out_on or _day <= opted_out_on[pk]
    assert VerificationOptOut.objects.count() == len(opted_out_on) > 0

    # The daily cap per province held.
    per_province_day = Counter((day, province_of[initiative_of[round_id]])
                               for day, round_id, _n, _to in verification_sent)
    assert max(per_province_day.values()) <= CAP
    assert CAP in per_province_day.values()  # and it mattered

    # The outbox is what the rounds and the history say was sent.
    rounds = VerificationRound.objects.all()
    assert sum(rounds.values_list("requests_sent", flat=True)) == len(verification_sent)
    assert Initiative.history.filter(history_change_reason=Reasons.VERIFICATION_ASKED.text()).count() == sum(
        1 for *_rest, number, _to in verification_sent if number == 1)
    assert Initiative.history.filter(history_change_reason=Reasons.VERIFICATION_REMINDED.text()).count() == sum(
        1 for *_rest, number, _to in verification_sent if number == 2)

    # Digests: at most one per maintainer a day, with the phone numbers to call.
    per_day = Counter((day, to) for day, to, _body in digests)
    assert digests and max(per_day.values()) == 1
    phones = [phone for pk, phone in phone_of.items() if phone]
    assert any(phone in body for _day, _to, body in digests for phone in phones)

    # An unconfirmed record is public, marked as such, and faded on the map.
    with time_machine.travel(datetime.datetime(end.year, end.month, end.day, 12, tzinfo=datetime.UTC)):
        stale = running.filter(verification_rounds__state=RoundState.WORKLIST).first()
        assert stale is not None and stale.is_stale
        page = Client(HTTP_ACCEPT_LANGUAGE="en").get(f"/initiatieven/{stale.slug}")
        assert page.status_code == 200 and "Not verified since" in page.content.decode()
        cache.clear()
        features = Client().get("/api/v1/initiatives/map").json()["features"]
        marked = {feature["id"]: feature["properties"].get("stale", False) for feature in features}
        assert marked[stale.pk] is True
    assert not ProcrastinateJob.objects.filter(status="failed").exists()
