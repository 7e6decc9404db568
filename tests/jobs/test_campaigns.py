"""The verification loop's days, run in the test's own process (the worker's tests run them on a real
worker: test_killed_worker.py, test_simulated_year.py): who is asked, reminded and handed to the editors
when, within the caps and limits, with every step in the record's history."""

from __future__ import annotations

import datetime

import pytest
import time_machine
from django.core import mail
from django.db import IntegrityError, transaction

from registry import actions, campaigns
from registry.history import Reasons
from registry.models import Initiative, RoundState, VerificationMethod, VerificationRound, WorklistReason
from registry.operations.tasks import run_digests, run_verification_day
from tests.conftest import LEIDEN, UTRECHT, make
from tests.maintainers import UTRECHT_PROVINCE, administrator, editor

DAY = datetime.date(2027, 3, 1)


def days(n: int) -> datetime.date:
    return DAY + datetime.timedelta(days=n)


def reasons(initiative: Initiative) -> list[str]:
    return list(Initiative.history.filter(id=initiative.pk).order_by("history_date", "history_id")
                .values_list("history_change_reason", flat=True))[1:]  # after "created"


@pytest.fixture(autouse=True)
def on_the_first_day():
    """The clock at DAY, so that dates around it are not in the future (the records' own rules)."""
    with time_machine.travel(datetime.datetime(2027, 3, 1, 12, tzinfo=datetime.UTC), tick=True):
        yield


@pytest.fixture(autouse=True)
def settings_of_the_loop(settings):
    settings.STALE_AFTER_MONTHS = 12
    settings.VERIFICATION_LEAD_DAYS = 30
    settings.VERIFICATION_REMINDER_DAYS = 14
    settings.VERIFICATION_WORKLIST_DAYS = 30
    settings.VERIFICATION_DAILY_CAP = 50
    settings.VERIFICATION_SEND_PAUSE = 0


@pytest.fixture
def due(db) -> Initiative:
    """Verified 11 months and a half before DAY: within the lead time of going stale."""
    return make("Buurtkamer De Linde", LEIDEN, email="info@linde.example", phone="071 123 4567",
                last_verified_on=datetime.date(2026, 3, 20), verification_method=VerificationMethod.EMAIL)


def test_it_asks_a_record_about_to_go_stale_once_and_a_second_run_sends_nothing(due):
    fresh = make("Moestuin Oog in Al", UTRECHT, email="tuin@example.org", last_verified_on=datetime.date(2026, 12, 1))
    run_verification_day(DAY)
    run_verification_day(DAY)
    assert [message.to for message in mail.outbox] == [["info@linde.example"]]
    assert "/controle/" in mail.outbox[0].body
    assert mail.outbox[0].extra_headers["Message-ID"].startswith("<verification-")
    round_ = VerificationRound.objects.get(initiative=due)
    assert (round_.state, round_.requests_sent, round_.first_sent_on) == (RoundState.ASKED, 1, DAY)
    assert not VerificationRound.objects.filter(initiative=fresh).exists()
    assert reasons(due) == [Reasons.VERIFICATION_ASKED.text()]


def test_it_reminds_after_14_days_and_hands_over_after_30_without_a_third_message(due):
    run_verification_day(DAY)
    run_verification_day(days(13))
    assert len(mail.outbox) == 1
    run_verification_day(days(14))
    assert len(mail.outbox) == 2 and mail.outbox[1].subject.startswith(("Reminder", "Herinnering"))
    for n in range(15, 40):
        run_verification_day(days(n))
    assert len(mail.outbox) == 2
    round_ = VerificationRound.objects.get(initiative=due)
    assert (round_.state, round_.requests_sent, round_.worklist_on, round_.worklist_reason) == (
        RoundState.WORKLIST, 2, days(30), WorklistReason.NO_ANSWER)
    assert reasons(due) == [Reasons.VERIFICATION_ASKED.text(), Reasons.VERIFICATION_REMINDED.text(),
                            Reasons.ON_WORKLIST.text(why=WorklistReason.NO_ANSWER)]
    # Still public: no job hides or deletes a record.
    due.refresh_from_db()
    assert due.publication_state == "gepubliceerd"


def test_a_record_without_an_email_address_goes_straight_to_the_worklist(db):
    silent = make("Dorpshuis De Kapstok", LEIDEN, phone="071 765 4321", last_verified_on=None)
    run_verification_day(DAY)
    assert mail.outbox == []
    round_ = VerificationRound.objects.get(initiative=silent)
    assert (round_.state, round_.worklist_reason, round_.requests_sent) == (RoundState.WORKLIST,
                                                                            WorklistReason.NO_EMAIL, 0)
    assert reasons(silent) == [Reasons.ON_WORKLIST.text(why=WorklistReason.NO_EMAIL)]


def test_an_answer_closes_the_round_and_a_year_later_a_new_one_opens(due):
    run_verification_day(DAY)
    actions.mark_verified(due, VerificationMethod.SELF, on=days(3), acting_user=None)
    assert VerificationRound.objects.get(initiative=due).state == RoundState.ANSWERED
    for n in (14, 30, 200):
        run_verification_day(days(n))
    assert len(mail.outbox) == 1
    for n in range(330, 346):  # a year after the answer, less the lead time
        run_verification_day(days(n))
    assert len(mail.outbox) == 2
    # Asked on the day it is due: 30 days before it goes stale.
    assert VerificationRound.objects.filter(initiative=due).latest("pk").first_sent_on == days(340)
    assert VerificationRound.objects.filter(initiative=due).count() == 2


def test_stopping_a_record_closes_its_round(due):
    run_verification_day(DAY)
    actions.stop(due, DAY, "menskracht", acting_user=None)
    run_verification_day(days(14))
    assert len(mail.outbox) == 1
    assert VerificationRound.objects.get(initiative=due).state == RoundState.CLOSED


def test_a_record_that_asked_not_to_be_asked_goes_to_the_worklist_next_year_too(due):
    run_verification_day(DAY)
    assert actions.stop_asking(due, acting_user=None, on=days(1))
    assert not actions.stop_asking(due, acting_user=None)
    run_verification_day(days(14))
    assert len(mail.outbox) == 1  # no reminder
    round_ = VerificationRound.objects.get(initiative=due)
    assert (round_.state, round_.worklist_reason) == (RoundState.WORKLIST, WorklistReason.OPTED_OUT)
    actions.mark_verified(due, VerificationMethod.PHONE, on=days(20), acting_user=None)
    for n in range(340, 360):
        run_verification_day(days(n))
    assert len(mail.outbox) == 1
    assert VerificationRound.objects.filter(initiative=due, state=RoundState.WORKLIST,
                                            worklist_reason=WorklistReason.OPTED_OUT).count() == 1
    assert Reasons.STOP_ASKING.text() in reasons(due)


def test_the_daily_cap_holds_per_province_and_the_rest_waits_its_turn(db, settings):
    settings.VERIFICATION_DAILY_CAP = 2
    leiden = [make(f"Initiatief Leiden {n}", LEIDEN, email=f"leiden{n}@example.org") for n in range(5)]
    utrecht = [make(f"Initiatief Utrecht {n}", UTRECHT, email=f"utrecht{n}@example.org") for n in range(3)]
    run_verification_day(DAY)
    assert len(mail.outbox) == 4  # two per province
    run_verification_day(DAY)
    assert len(mail.outbox) == 4
    run_verification_day(days(1))
    run_verification_day(days(2))
    assert sorted(message.to[0] for message in mail.outbox) == sorted(r.email for r in leiden + utrecht)
    per_day = {}
    for round_ in VerificationRound.objects.all():
        key = (round_.province_id, round_.first_sent_on)
        per_day[key] = per_day.get(key, 0) + 1
    assert max(per_day.values()) == 2
    # Reminders count against the cap too, and come first.
    run_verification_day(days(14))
    assert len(mail.outbox) == 8 + 4


def test_the_database_refuses_a_third_message_and_a_second_open_round(due):
    run_verification_day(DAY)
    round_ = VerificationRound.objects.get(initiative=due)
    with pytest.raises(IntegrityError), transaction.atomic():
        VerificationRound.objects.filter(pk=round_.pk).update(requests_sent=3)
    with pytest.raises(IntegrityError), transaction.atomic():
        VerificationRound.objects.create(initiative=due, opened_on=DAY)


def test_editors_get_one_digest_a_day_with_the_phone_numbers_of_their_region(db, settings):
    settings.VERIFICATION_DAILY_CAP = 50
    zh = editor("redacteur-zh", email="zh@example.org")
    editor("redacteur-ut", UTRECHT_PROVINCE, email="ut@example.org")
    administrator("beheerder", email="beheer@example.org")
    make("Dorpshuis De Kapstok", LEIDEN, phone="071 765 4321")
    run_verification_day(DAY)
    assert run_digests(DAY) == f"{DAY}: 1 digests sent"
    assert run_digests(DAY) == f"{DAY}: 0 digests sent"
    assert [message.to for message in mail.outbox] == [[zh.email]]
    assert "Dorpshuis De Kapstok" in mail.outbox[0].body and "071 765 4321" in mail.outbox[0].body
    assert "/admin/registry/verificationround/?state__exact=werklijst" in mail.outbox[0].body
    # Nothing new the next day: no digest; a new record on the list: a digest with only that one.
    assert run_digests(days(1)) == f"{days(1)}: 0 digests sent"
    make("Buurthuis De Horst", UTRECHT)
    run_verification_day(days(2))
    run_digests(days(2))
    assert [message.to for message in mail.outbox[1:]] == [["ut@example.org"]]
    assert "Kapstok" not in mail.outbox[1].body


def test_editors_verify_from_their_worklist(db, client):
    zh = editor("redacteur-zh")
    silent = make("Dorpshuis De Kapstok", LEIDEN, phone="071 765 4321")
    run_verification_day(DAY)
    client.force_login(zh)
    listing = client.get("/admin/registry/verificationround/?state__exact=werklijst")
    assert listing.status_code == 200 and "071 765 4321" in listing.content.decode()
    round_ = VerificationRound.objects.get(initiative=silent)
    response = client.post("/admin/registry/verificationround/", {
        "action": "verified_by_phone", "_selected_action": [round_.pk]})
    assert response.status_code == 302
    silent.refresh_from_db()
    assert silent.verification_method == VerificationMethod.PHONE
    assert VerificationRound.objects.get(pk=round_.pk).state == RoundState.VERIFIED


def test_due_messages_puts_reminders_before_new_requests(db, settings):
    settings.VERIFICATION_DAILY_CAP = 1
    first = make("Initiatief A", LEIDEN, email="a@example.org")
    run_verification_day(DAY)
    make("Initiatief B", LEIDEN, email="b@example.org")
    run_verification_day(days(1))  # B opens; A was asked on DAY, B is sent now (room 1)
    make("Initiatief C", LEIDEN, email="c@example.org")
    assert [(due.kind, VerificationRound.objects.get(pk=due.round_id).initiative_id)
            for due in campaigns.due_messages(days(14))] == [(campaigns.REMINDER, first.pk)]


def test_a_record_archived_before_its_message_is_not_asked(db, settings):
    settings.VERIFICATION_DAILY_CAP = 1
    first = make("Initiatief A", LEIDEN, email="a@example.org")
    second = make("Initiatief B", LEIDEN, email="b@example.org")
    run_verification_day(DAY)  # one is asked, the other waits for room
    waiting = VerificationRound.objects.get(state=RoundState.WAITING)
    actions.archive(Initiative.objects.get(pk=waiting.initiative_id), acting_user=None)
    run_verification_day(days(1))
    assert len(mail.outbox) == 1
    assert VerificationRound.objects.get(pk=waiting.pk).state == RoundState.CLOSED
    assert {first.pk, second.pk} == set(VerificationRound.objects.values_list("initiative_id", flat=True))
