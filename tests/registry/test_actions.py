"""State changes go through domain actions that validate and leave a history entry."""

from __future__ import annotations

import datetime

import pytest
from django.core.exceptions import ValidationError

from registry import actions
from registry.models import Initiative, PublicationState, Status, StopReason, VerificationMethod


def test_publishing_is_recorded_in_the_history(make_initiative):
    initiative = make_initiative()
    initiative.save()

    assert actions.publish(initiative, acting_user=None) is True
    assert actions.publish(initiative, acting_user=None) is False

    latest = initiative.history.latest()
    assert (latest.publication_state, latest.history_change_reason) == (PublicationState.PUBLISHED, "published")
    assert initiative.history.count() == 2


def test_stopping_needs_a_date_and_resuming_clears_it(make_initiative):
    initiative = make_initiative()
    initiative.save()

    actions.stop(initiative, on=datetime.date(2024, 6, 30), reason=StopReason.FUNDING, acting_user=None)
    stored = Initiative.objects.get(pk=initiative.pk)
    assert (stored.status, stored.stopped_on, stored.stop_reason) == (
        Status.STOPPED, datetime.date(2024, 6, 30), "financiering")

    actions.resume(stored, acting_user=None)
    stored = Initiative.objects.get(pk=initiative.pk)
    assert (stored.status, stored.stopped_on, stored.stop_reason) == (Status.ACTIVE, None, "")
    assert [h.history_change_reason for h in stored.history.order_by("history_id")] == [
        None, "stopped: financiering", "resumed"]


def test_an_invalid_stop_is_refused_and_nothing_changes(make_initiative):
    initiative = make_initiative(founded_year=2020)
    initiative.save()

    with pytest.raises(ValidationError):
        actions.stop(initiative, on=datetime.date(2019, 1, 1), reason=StopReason.PEOPLE, acting_user=None)

    assert Initiative.objects.get(pk=initiative.pk).status == Status.ACTIVE
    assert initiative.history.count() == 1


def test_verifying_sets_date_and_method(make_initiative):
    initiative = make_initiative()
    initiative.save()

    actions.mark_verified(initiative, VerificationMethod.PHONE, on=datetime.date(2026, 1, 5), acting_user=None)

    stored = Initiative.objects.get(pk=initiative.pk)
    assert (stored.last_verified_on, stored.verification_method) == (datetime.date(2026, 1, 5), "telefoon")
