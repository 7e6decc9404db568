"""The links the yearly loop sends: a tampered, expired or used link changes nothing and says why;
"stop asking us" works by the link; every answer is in the record's history."""

from __future__ import annotations

import datetime
import re

import pytest
import time_machine
from django.core import mail
from django.core.cache import cache
from django.test import Client

from registry.history import Reasons
from registry.models import (
    Initiative,
    RoundState,
    Suggestion,
    VerificationMethod,
    VerificationOptOut,
    VerificationRound,
    WorklistReason,
)
from registry.operations.tasks import run_verification_day
from registry.site import forms
from tests.conftest import LEIDEN, make

DAY = datetime.date(2027, 3, 1)
NOON = datetime.datetime(2027, 3, 1, 12, tzinfo=datetime.UTC)


@pytest.fixture(autouse=True)
def quick_forms(db, monkeypatch):
    cache.clear()
    monkeypatch.setattr(forms, "FILL_SECONDS", 0)
    yield
    cache.clear()


@pytest.fixture
def client() -> Client:
    return Client(HTTP_ACCEPT_LANGUAGE="en")


@pytest.fixture
def asked(db) -> tuple[Initiative, str]:
    """A record asked on DAY by the loop, and the path of the link in its message."""
    with time_machine.travel(NOON, tick=False):
        initiative = make("Buurtkamer De Linde", LEIDEN, email="info@linde.example",
                          last_verified_on=datetime.date(2026, 3, 20), verification_method=VerificationMethod.EMAIL)
        run_verification_day(DAY)
    link = re.search(r"http://127\.0\.0\.1:8000(/controle/\S+)", mail.outbox[0].body)
    assert link is not None
    return initiative, link.group(1)


def history_count(initiative: Initiative) -> int:
    return Initiative.history.filter(id=initiative.pk).count()


def test_the_link_confirms_once_and_then_says_it_was_used(asked, client):
    initiative, path = asked
    with time_machine.travel(NOON + datetime.timedelta(days=3)):
        assert client.post(path, {"confirm": "1"}).status_code == 302
        initiative.refresh_from_db()
        assert (initiative.last_verified_on, initiative.verification_method) == (datetime.date(2027, 3, 4), "zelf")
        assert VerificationRound.objects.get(initiative=initiative).state == RoundState.ANSWERED
        entries = history_count(initiative)
    with time_machine.travel(NOON + datetime.timedelta(days=5)):
        again = client.post(path, {"confirm": "1"})
        assert again.status_code == 410
        assert "This link has been used" in again.content.decode()
        assert client.get(path + "/wijziging").status_code == 410
        initiative.refresh_from_db()
        assert initiative.last_verified_on == datetime.date(2027, 3, 4)
        assert history_count(initiative) == entries


def test_a_tampered_link_changes_nothing_and_reveals_nothing(asked, client):
    initiative, path = asked
    tampered = path[:-3] + ("AAA" if not path.endswith("AAA") else "BBB")
    other_record = path.replace(f"/controle/{initiative.pk}:", f"/controle/{initiative.pk + 1}:")
    with time_machine.travel(NOON + datetime.timedelta(days=1)):
        for bad in (tampered, other_record):
            response = client.post(bad, {"confirm": "1"})
            assert response.status_code == 404
            assert "Buurtkamer" not in response.content.decode()
    initiative.refresh_from_db()
    assert initiative.last_verified_on == datetime.date(2026, 3, 20)
    assert VerificationRound.objects.get(initiative=initiative).state == RoundState.ASKED


def test_an_expired_link_changes_nothing_and_says_so(asked, client):
    initiative, path = asked
    with time_machine.travel(NOON + datetime.timedelta(days=61)):
        response = client.post(path, {"confirm": "1"})
    assert response.status_code == 410
    assert "This link has expired" in response.content.decode()
    initiative.refresh_from_db()
    assert initiative.last_verified_on == datetime.date(2026, 3, 20)


def test_stop_asking_by_the_link_hands_the_record_to_the_editors(asked, client):
    initiative, path = asked
    with time_machine.travel(NOON + datetime.timedelta(days=2)):
        response = client.post(path, {"stop_asking": "1"})
        assert response.status_code == 200 and "will not ask" in response.content.decode()
        assert VerificationOptOut.objects.filter(initiative=initiative).exists()
        round_ = VerificationRound.objects.get(initiative=initiative)
        assert (round_.state, round_.worklist_reason) == (RoundState.WORKLIST, WorklistReason.OPTED_OUT)
        assert "Stop asking us" not in client.get(path).content.decode()
    with time_machine.travel(NOON + datetime.timedelta(days=14)):
        run_verification_day(DAY + datetime.timedelta(days=14))
    assert len(mail.outbox) == 1  # no reminder
    assert Initiative.history.filter(id=initiative.pk, history_change_reason=Reasons.STOP_ASKING.text()).exists()


def test_a_correction_by_the_link_answers_the_round(asked, client):
    initiative, path = asked
    with time_machine.travel(NOON + datetime.timedelta(days=2)):
        assert client.get(path + "/wijziging").status_code == 200
        response = client.post(path + "/wijziging", {
            "name": "Buurtkamer De Linde", "kind": "dorpscooperatie", "services": [],
            "short_description": "Huiskamer voor de buurt, nu ook op zaterdag.", "postcode": "2311 CS",
            "place": "Leiden",
            "email": "info@linde.example", "message": "", "submitter_name": "Els",
            "submitter_email": "els@linde.example", "homepage": "", "started": forms.started_token()})
    assert response.status_code == 302, response.context["form"].errors
    assert Suggestion.objects.filter(initiative=initiative).count() == 1
    assert VerificationRound.objects.get(initiative=initiative).state == RoundState.ANSWERED
    assert Initiative.history.filter(id=initiative.pk,
                                     history_change_reason=Reasons.CORRECTION_BY_LINK.text()).exists()
