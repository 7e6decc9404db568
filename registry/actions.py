"""State changes that matter, in one place: the admin, the API and commands all call these.

Each validates through the model (full_clean), saves with a history entry carrying the reason,
and returns whether anything changed.
"""

from __future__ import annotations

import datetime

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from registry.models import Initiative, PublicationState, Status, StopReason, VerificationMethod


def _save(initiative: Initiative, reason: str) -> None:
    try:
        initiative.full_clean()
    except ValidationError:
        initiative.refresh_from_db()  # leave the caller's object as it is stored
        raise
    initiative._change_reason = reason  # type: ignore[attr-defined]  # read by simple-history
    initiative.save()


def describe_changes(before: Initiative | None, after: Initiative) -> str:
    """The state changes an edit makes, in words for the history (and so the change feed)."""
    if before is None:
        return "created"
    changes = []
    if before.publication_state != after.publication_state:
        changes.append({PublicationState.PUBLISHED: "published", PublicationState.ARCHIVED: "archived",
                        PublicationState.DRAFT: "back to draft"}[PublicationState(after.publication_state)])
    if before.status != after.status:
        if after.status == Status.STOPPED:
            changes.append(f"stopped: {after.stop_reason}")
        else:
            changes.append("paused" if after.status == Status.PAUSED else "resumed")
    if after.last_verified_on and before.last_verified_on != after.last_verified_on:
        changes.append(f"verified ({after.verification_method or 'method unknown'})")
    return "; ".join(changes) or "edited"


@transaction.atomic
def save_edit(initiative: Initiative, before: Initiative | None) -> Initiative:
    """Save an initiative edited as a whole (admin form, API write), already validated by the
    caller's full_clean, naming the state changes it makes in its history entry."""
    initiative._change_reason = describe_changes(before, initiative)  # type: ignore[attr-defined]
    initiative.save()
    return initiative


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
