"""The change feed: every public create, update, unpublish and delete of an initiative, in the order
of its history. One reading of the history for everyone who follows the register: the API's
`/changes` (api/views/changes.py), the subscribers' digests (registry/subscriptions.py) and the
developers' webhooks (registry/webhooks.py).

An event is a version of a record (a row of the history) that was public or made it so: created
published, published, updated while published, unpublished (archived, back to draft), deleted, or
merged into another record. Drafts never appear. The cursor of an event is its history id.
"""

from __future__ import annotations

import base64
import datetime
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.db.models import OuterRef, Q, QuerySet, Subquery

from registry.history import Reasons
from registry.models import Initiative, Merge, PublicationState, Status

PUBLISHED = PublicationState.PUBLISHED
ACTIONS = ["created", "published", "updated", "unpublished", "deleted", "merged"]
# Versions the yearly verification loop and the editors' assignments write: the public record is the
# same, so a digest does not call them changes (the feed still lists them: a sync client sees them).
UNCHANGED_REASONS = {Reasons.VERIFICATION_ASKED.text(), Reasons.VERIFICATION_REMINDED.text(),
                     Reasons.STOP_ASKING.text(), Reasons.UNASSIGNED.text()}
UNCHANGED_PREFIXES = ("on the editors' worklist: ", "assigned to ")


@dataclass(frozen=True)
class Change:
    history_id: int
    action: str  # one of ACTIONS
    id: int
    slug: str
    at: datetime.datetime
    merged_into: int | None
    live: bool  # the record is published now (its page and API address answer)
    status: str
    previous_status: str | None
    reason: str

    @property
    def is_public_change(self) -> bool:
        """Whether the public record changed (not only a step of the verification loop)."""
        reason = self.reason or ""
        return not (reason in UNCHANGED_REASONS or reason.startswith(UNCHANGED_PREFIXES))

    @property
    def stopped(self) -> bool:
        return self.status == Status.STOPPED and self.previous_status not in (None, Status.STOPPED)


def encode_cursor(history_id: int) -> str:
    """An event's cursor as the API shows it (api/views/changes.py reads it back)."""
    return base64.urlsafe_b64encode(f"h{history_id}".encode()).decode().rstrip("=")


def latest_id() -> int:
    """The cursor of the newest event (or version): where a new follower starts."""
    last = Initiative.history.model.objects.order_by("-history_id").values_list("history_id", flat=True).first()
    return int(last or 0)


def _rows(after: int = 0, start: datetime.datetime | None = None, end: datetime.datetime | None = None,
          upto: int | None = None) -> QuerySet[Any]:
    history = Initiative.history.model.objects
    previous = history.filter(id=OuterRef("id"), history_id__lt=OuterRef("history_id")).order_by("-history_id")
    rows = history.filter(history_id__gt=after)
    if upto is not None:
        rows = rows.filter(history_id__lte=upto)
    if start is not None:
        rows = rows.filter(history_date__gte=start)
    if end is not None:
        rows = rows.filter(history_date__lt=end)
    return (rows.annotate(previous_state=Subquery(previous.values("publication_state")[:1]),
                          previous_type=Subquery(previous.values("history_type")[:1]),
                          previous_status=Subquery(previous.values("status")[:1]))
            .filter(Q(publication_state=PUBLISHED) | Q(previous_state=PUBLISHED))
            .order_by("history_id")
            .only("history_id", "history_type", "history_date", "id", "slug", "publication_state", "status",
                  "history_change_reason"))


def action_of(row: Any, merges: dict[int, int]) -> str:
    if row.history_type == "-":
        return "merged" if row.id in merges else "deleted"
    if row.publication_state != PUBLISHED:
        return "unpublished"
    if row.previous_state is None or row.previous_type == "-":  # new, or restored after a deletion
        return "created"
    return "published" if row.previous_state != PUBLISHED else "updated"


def _changes(rows: Iterable[Any]) -> list[Change]:
    rows = list(rows)
    live = set(Initiative.objects.published().filter(pk__in=[r.id for r in rows]).values_list("pk", flat=True))
    removed = [row.id for row in rows if row.history_type == "-"]
    # Merged into a published record; into a draft, the feed says only that this one went.
    merges = dict(Merge.objects.filter(removed_id__in=removed, kept__publication_state=PUBLISHED)
                  .values_list("removed_id", "kept_id"))
    return [Change(history_id=row.history_id, action=action_of(row, merges), id=row.id, slug=row.slug,
                   at=row.history_date, merged_into=merges.get(row.id) if row.history_type == "-" else None,
                   live=row.id in live, status=row.status, previous_status=row.previous_status,
                   reason=row.history_change_reason or "")
            for row in rows]


def after(cursor: int, limit: int, upto: int | None = None) -> tuple[list[Change], bool]:
    """The first `limit` events after `cursor` (up to `upto`), and whether more follow."""
    rows = list(_rows(after=cursor, upto=upto)[:limit + 1])
    return _changes(rows[:limit]), len(rows) > limit


def between(start: datetime.datetime, end: datetime.datetime) -> list[Change]:
    """Every event from `start` up to (not including) `end`."""
    return _changes(_rows(start=start, end=end))
