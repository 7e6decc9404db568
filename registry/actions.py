"""State changes that matter, in one place: the admin, the API and commands all call these.

Each validates through the model (full_clean), saves with a history entry carrying the reason,
and returns whether anything changed.
"""

from __future__ import annotations

import datetime

from django.db import transaction
from django.utils import timezone

from registry.models import Initiative, PublicationState, Status, StopReason, VerificationMethod


def _save(initiative: Initiative, reason: str) -> None:
    initiative.full_clean()
    initiative._change_reason = reason  # type: ignore[attr-defined]  # read by simple-history
    initiative.save()


@transaction.atomic
def publish(initiative: Initiative) -> bool:
    if initiative.publication_state == PublicationState.PUBLISHED:
        return False
    initiative.publication_state = PublicationState.PUBLISHED
    _save(initiative, "published")
    return True


@transaction.atomic
def archive(initiative: Initiative) -> bool:
    if initiative.publication_state == PublicationState.ARCHIVED:
        return False
    initiative.publication_state = PublicationState.ARCHIVED
    _save(initiative, "archived")
    return True


@transaction.atomic
def stop(initiative: Initiative, on: datetime.date, reason: StopReason) -> bool:
    if initiative.status == Status.STOPPED:
        return False
    initiative.status, initiative.stopped_on, initiative.stop_reason = Status.STOPPED, on, reason
    _save(initiative, f"stopped: {reason}")
    return True


@transaction.atomic
def resume(initiative: Initiative) -> bool:
    """An initiative that paused or stopped is active again."""
    if initiative.status == Status.ACTIVE:
        return False
    initiative.status, initiative.stopped_on, initiative.stop_reason = Status.ACTIVE, None, ""
    _save(initiative, "resumed")
    return True


@transaction.atomic
def mark_verified(initiative: Initiative, method: VerificationMethod, on: datetime.date | None = None) -> bool:
    initiative.last_verified_on = on or timezone.localdate()
    initiative.verification_method = method
    _save(initiative, f"verified ({method})")
    return True
