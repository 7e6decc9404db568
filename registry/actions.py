"""State changes that matter, in one place: the admin, the API, the workflow screens and the
commands all call these.

Each takes the acting user as `by` and asks registry.roles whether that user's role and region
allow it (`by=None` is the system itself: a command run by the operator, a migration). Each
validates through the model (full_clean), saves with a history entry carrying the user and the
reason, and returns whether anything changed.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterator
from contextlib import contextmanager
from types import SimpleNamespace
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Model
from django.utils import timezone
from django.utils.translation import gettext as _
from simple_history.models import HistoricalRecords

from registry import duplicates, suggestions
from registry.models import (
    DuplicateCandidate,
    DuplicateDecision,
    Initiative,
    Merge,
    Partner,
    Partnership,
    PublicationState,
    SlugAlias,
    Status,
    StopReason,
    Suggestion,
    SuggestionKind,
    SuggestionState,
    VerificationMethod,
)
from registry.roles import NotAllowed, access_for

# Fields a merge may take from the removed record when the kept one has none.
MERGE_FILLS = ["short_description", "description", "legal_form", "kvk_number", "founded_year", "street",
               "house_number", "postcode", "place", "website", "email", "phone", "volunteers", "paid_staff",
               "reach_per_week", "source_url"]


def authorise(by: Any, before: Initiative | None, after: Initiative | None) -> None:
    """Refuse (NotAllowed) what the user's role or region does not allow: changing `before` as it
    is stored, and placing `after` where it now lies (already validated, so its areas are derived)."""
    if by is None:
        return
    access = access_for(by)
    if before is None:
        access.require_write()
    else:
        access.require_change(before)
    if after is not None:
        try:
            access.check_place(after)
        except ValidationError as error:
            raise NotAllowed(" ".join(error.messages)) from None


def attribute(record: Model, by: Any, reason: str) -> None:
    """The user and the reason of the history entry the next save writes (read by simple-history)."""
    record._change_reason = reason  # type: ignore[attr-defined]
    if by is not None:
        record._history_user = by  # type: ignore[attr-defined]


def _save(initiative: Initiative, reason: str, by: Any) -> None:
    before = Initiative.objects.get(pk=initiative.pk)
    try:
        initiative.full_clean()
    except ValidationError:
        initiative.refresh_from_db()  # leave the caller's object as it is stored
        raise
    authorise(by, before, initiative)
    attribute(initiative, by, reason)
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
def save_edit(initiative: Initiative, before: Initiative | None, by: Any = None, *,
              reason: str | None = None) -> Initiative:
    """Save an initiative edited as a whole (admin form, API write, import, approved suggestion),
    already validated by the caller's full_clean, naming the state changes it makes in its history
    entry, and look for records it may duplicate."""
    authorise(by, before, initiative)
    attribute(initiative, by, reason or describe_changes(before, initiative))
    initiative.save()
    if before is not None and before.municipality_id != initiative.municipality_id:
        # Its waiting suggestions move along, to the editors of its new region.
        Suggestion.objects.filter(initiative=initiative, state=SuggestionState.PENDING).update(
            municipality_id=initiative.municipality_id, province_id=initiative.province_id)
    duplicates.record_candidates(initiative)
    return initiative


@transaction.atomic
def delete(initiative: Initiative, by: Any = None) -> None:
    """Delete a record; its history keeps it, so restore() can bring it back."""
    authorise(by, initiative, None)
    attribute(initiative, by, "deleted")
    with acting_as(by):  # the partnerships deleted with it name the user too
        initiative.delete()


@transaction.atomic
def publish(initiative: Initiative, by: Any = None) -> bool:
    if initiative.publication_state == PublicationState.PUBLISHED:
        return False
    initiative.publication_state = PublicationState.PUBLISHED
    _save(initiative, "published", by)
    return True


@transaction.atomic
def archive(initiative: Initiative, by: Any = None) -> bool:
    if initiative.publication_state == PublicationState.ARCHIVED:
        return False
    initiative.publication_state = PublicationState.ARCHIVED
    _save(initiative, "archived", by)
    return True


@transaction.atomic
def stop(initiative: Initiative, on: datetime.date, reason: StopReason, by: Any = None) -> bool:
    if initiative.status == Status.STOPPED:
        return False
    initiative.status, initiative.stopped_on, initiative.stop_reason = Status.STOPPED, on, reason
    _save(initiative, f"stopped: {reason}", by)
    return True


@transaction.atomic
def resume(initiative: Initiative, by: Any = None) -> bool:
    """An initiative that paused or stopped is active again."""
    if initiative.status == Status.ACTIVE:
        return False
    initiative.status, initiative.stopped_on, initiative.stop_reason = Status.ACTIVE, None, ""
    _save(initiative, "resumed", by)
    return True


@transaction.atomic
def mark_verified(initiative: Initiative, method: VerificationMethod, on: datetime.date | None = None,
                  by: Any = None) -> bool:
    initiative.last_verified_on = on or timezone.localdate()
    initiative.verification_method = method
    _save(initiative, f"verified ({method})", by)
    return True


# -- history: revert, restore, merge -----------------------------------------------------------


def _version_fields() -> list[str]:
    """The fields a history entry holds and a revert or restore puts back (areas follow the point)."""
    return [f.attname for f in Initiative._meta.concrete_fields
            if f.name not in ("id", "search_vector", "municipality", "province", "created_at", "updated_at")]


def _set_related(initiative: Initiative, version: Any) -> None:
    """Services and funding sources as the history entry recorded them."""
    initiative.services.set([row.service_id for row in version.services.all()])
    initiative.funding_sources.set([row.fundingsource_id for row in version.funding_sources.all()])


@contextmanager
def acting_as(by: Any) -> Iterator[None]:
    """History entries written here name `by`, also those of rows deleted along with a record (which
    never pass through attribute()), as the history middleware does inside a request."""
    if by is None or getattr(HistoricalRecords.context, "request", None) is not None:
        yield
        return
    HistoricalRecords.context.request = SimpleNamespace(user=by)
    try:
        yield
    finally:
        del HistoricalRecords.context.request


@contextmanager
def history_paused(initiative: Initiative) -> Iterator[None]:
    """Saves and changes to services or funding sources made here write no history entries of their
    own: the record's next save writes one entry that holds all of them."""
    initiative.skip_history_when_saving = True  # type: ignore[attr-defined]  # read by simple-history
    try:
        yield
    finally:
        del initiative.skip_history_when_saving  # type: ignore[attr-defined]


def _add_partnerships(links: list[Partnership], by: Any, reason: str) -> None:
    """Partnerships written in bulk, each with its own history entry; the initiative's next save
    records the change on its side (Partnership.save would write one entry per partnership)."""
    Partnership.objects.bulk_create(links)
    Partnership.history.bulk_history_create(links, default_user=by, default_change_reason=reason)


@transaction.atomic
def revert(initiative: Initiative, history_id: int, by: Any = None) -> Initiative:
    """Put an initiative back as it was in one of its history entries (a new entry says so)."""
    version = initiative.history.get(history_id=history_id)
    before = Initiative.objects.get(pk=initiative.pk)
    authorise(by, before, None)
    for name in _version_fields():
        setattr(initiative, name, getattr(version, name))
    initiative._location_basis = None  # the stored point and precision are put back as they were
    initiative.full_clean()
    with history_paused(initiative):
        _set_related(initiative, version)
    when = timezone.localtime(version.history_date)
    save_edit(initiative, before, by, reason=f"reverted to the version of {when:%Y-%m-%d %H:%M}")
    return initiative


@transaction.atomic
def restore(history_id: int, by: Any = None) -> Initiative:
    """Bring back a deleted initiative from its history, under its old id, with its services,
    funding sources and the partnerships that were deleted with it."""
    history = Initiative.history.model
    deletion = history.objects.get(history_id=history_id, history_type="-")
    if Initiative.objects.filter(pk=deletion.id).exists():
        raise ValidationError(_("This initiative exists again; there is nothing to restore."))
    initiative = Initiative(pk=deletion.id)
    for name in _version_fields():
        setattr(initiative, name, getattr(deletion, name))
    initiative._location_basis = None
    if (Initiative.objects.filter(slug=initiative.slug).exists()
            or SlugAlias.objects.filter(slug=initiative.slug).exists()):
        initiative.slug = ""  # taken meanwhile: a new one from the name
    initiative.full_clean()
    authorise(by, None, initiative)
    # The partnerships deleted with it: deletions in the same second.
    moment = (deletion.history_date - datetime.timedelta(seconds=1), deletion.history_date
              + datetime.timedelta(seconds=1))
    # Not those whose partner was deleted meanwhile.
    gone = Partnership.history.model.objects.filter(initiative_id=deletion.id, history_type="-",
                                                    history_date__range=moment,
                                                    partner_id__in=Partner.objects.values("pk"))
    with history_paused(initiative):
        initiative.save()
        # The deletion's own entry holds no services (they went first): the entry before it does.
        last = history.objects.filter(id=deletion.id, history_id__lt=history_id).order_by("-history_id").first()
        if last is not None:
            _set_related(initiative, last)
        _add_partnerships([Partnership(pk=entry.id, initiative=initiative, partner_id=entry.partner_id,
                                       role_id=entry.role_id, start=entry.start, end=entry.end, note=entry.note)
                           for entry in gone], by, "restored with its initiative")
    # Its old addresses (earlier slugs, records merged into it) lead to it again.
    old_slugs = {*history.objects.filter(id=deletion.id).values_list("slug", flat=True),
                 *Merge.objects.filter(kept_id=deletion.id).values_list("removed_slug", flat=True)}
    taken = {*Initiative.objects.filter(slug__in=old_slugs).values_list("slug", flat=True),
             *SlugAlias.objects.filter(slug__in=old_slugs).values_list("slug", flat=True)}
    SlugAlias.objects.bulk_create([SlugAlias(slug=slug, initiative=initiative)
                                   for slug in sorted(old_slugs - taken - {initiative.slug})])
    return save_edit(initiative, None, by, reason="restored")


@transaction.atomic
def merge(kept: Initiative, removed: Initiative, by: Any = None) -> Initiative:
    """Make two records of one initiative one: the kept record takes what only the removed one has
    (empty fields, services, funding sources, partnerships, old slugs), the removed record is
    deleted, and its address leads to the kept one (301)."""
    if kept.pk == removed.pk:
        raise ValidationError(_("A record cannot be merged with itself."))
    authorise(by, kept, None)
    authorise(by, removed, None)
    before = Initiative.objects.get(pk=kept.pk)
    for name in MERGE_FILLS:
        if getattr(kept, name) in ("", None) and getattr(removed, name) not in ("", None):
            setattr(kept, name, getattr(removed, name))
    if not kept.external_id and removed.external_id and kept.source == removed.source:
        # An external id belongs to its source: taken only from a record of the same list.
        kept.external_id = removed.external_id
    if not kept.last_verified_on or (removed.last_verified_on and removed.last_verified_on > kept.last_verified_on):
        kept.last_verified_on, kept.verification_method = removed.last_verified_on, removed.verification_method
    removed_id, removed_slug, removed_name = removed.pk, removed.slug, removed.name
    services = set(removed.services.values_list("pk", flat=True))
    funding = set(removed.funding_sources.values_list("pk", flat=True))
    present = {(link.partner_id, link.role_id, link.start) for link in kept.partnerships.all()}
    links = [Partnership(initiative=kept, partner_id=link.partner_id, role_id=link.role_id, start=link.start,
                         end=link.end, note=link.note)
             for link in removed.partnerships.all() if (link.partner_id, link.role_id, link.start) not in present]
    aliases = list(SlugAlias.objects.filter(initiative=removed).values_list("slug", flat=True))

    DuplicateCandidate.objects.filter(first__in=[kept, removed], second__in=[kept, removed]).delete()
    Merge.objects.filter(kept=removed).update(kept=kept)  # what was merged into it lives on in the kept one
    Suggestion.objects.filter(initiative=removed).update(initiative=kept)  # still to be decided, on the kept one
    attribute(removed, by, f"merged into #{kept.pk} ({kept.slug})")
    with acting_as(by):
        removed.delete()  # first: its slug and external id become free for the kept record
    Merge.objects.create(kept=kept, removed_id=removed_id, removed_name=removed_name, removed_slug=removed_slug,
                         merged_by=by)
    for slug in [*aliases, removed_slug]:
        SlugAlias.objects.update_or_create(slug=slug, defaults={"initiative": kept})
    kept.full_clean()
    with history_paused(kept):
        kept.services.add(*services)
        kept.funding_sources.add(*funding)
        _add_partnerships(links, by, f"moved from #{removed_id} by a merge")
    return save_edit(kept, before, by, reason=f"merged with #{removed_id} ({removed_slug})")


@transaction.atomic
def mark_distinct(candidate: DuplicateCandidate, by: Any = None) -> None:
    """Two records found alike are different initiatives: the pair is not proposed again. Decided by
    whoever may change both records, as for a merge."""
    authorise(by, candidate.first, None)
    authorise(by, candidate.second, None)
    candidate.decision = DuplicateDecision.DISTINCT
    candidate.decided_by = by
    candidate.decided_at = timezone.now()
    candidate.save(update_fields=["decision", "decided_by", "decided_at"])


# -- suggestions: from the public or a verification link, decided by an editor -----------------
# What a proposal holds and the record it makes are in registry.suggestions.


@transaction.atomic
def submit_suggestion(kind: str, proposed: dict[str, Any], *, initiative: Initiative | None = None,
                      origin: str = "formulier", message: str = "", submitter_name: str = "",
                      submitter_email: str = "") -> Suggestion:
    """Store a proposal in the moderation queue (it changes no record) and, once committed, tell
    the editors of its region. The proposal is validated as the public form validates it; its
    region is that of the proposed location (a new initiative) or of the record (otherwise)."""
    if (kind == SuggestionKind.NEW) != (initiative is None):
        raise ValueError("A new initiative has no record yet; a correction or stop report has one.")
    record = suggestions.build(kind, proposed, initiative)
    suggestions.validate(record, kind)
    area = record if initiative is None else Initiative.objects.get(pk=initiative.pk)
    suggestion = Suggestion(kind=kind, origin=origin, initiative=initiative, proposed=proposed, message=message,
                            submitter_name=submitter_name, submitter_email=submitter_email,
                            municipality_id=area.municipality_id, province_id=area.province_id)
    suggestion.full_clean()
    suggestion.save()
    pk = suggestion.pk
    transaction.on_commit(lambda: suggestions.notify_editors(pk))
    return suggestion


def _pending_for_decision(suggestion: Suggestion, by: Any) -> Suggestion:
    """The suggestion, locked, if it still waits and `by` may decide on it: an administrator, or an
    editor whose region holds it (and, for a correction or stop report, the record as stored)."""
    locked = Suggestion.objects.select_for_update().get(pk=suggestion.pk)
    if locked.state != SuggestionState.PENDING:
        raise ValidationError(_("This suggestion was already decided (%(state)s).")
                              % {"state": locked.get_state_display()})
    if by is not None:
        access = access_for(by)
        access.require_write()
        if not access.covers(locked.municipality_id, locked.province_id):
            raise NotAllowed(_("This suggestion lies outside your region (%(region)s).")
                             % {"region": access.describe_region()})
        if locked.kind != SuggestionKind.NEW and locked.initiative is not None:
            access.require_change(locked.initiative)
    return locked


def _decide(suggestion: Suggestion, state: str, by: Any, note: str) -> None:
    suggestion.state = state
    suggestion.decided_by = by
    suggestion.decided_at = timezone.now()
    suggestion.decision_note = note
    suggestion.save(update_fields=["state", "decided_by", "decided_at", "decision_note", "initiative"])


@transaction.atomic
def approve_suggestion(suggestion: Suggestion, by: Any, note: str = "") -> Initiative:
    """Apply a suggestion through the actions above: a new initiative is created, published, and
    linked on the suggestion; a correction is saved as an edit of the changed fields; a stop report
    stops the record. The record as it is now must be valid with the proposal applied, or the
    model's ValidationError is raised and nothing changes. Returns the record."""
    suggestion = _pending_for_decision(suggestion, by)
    kind, proposed = suggestion.kind, suggestion.proposed
    if kind == SuggestionKind.STOPPED:
        record = Initiative.objects.get(pk=suggestion.initiative_id)
        if record.status == Status.STOPPED:
            raise ValidationError(_("This initiative is already recorded as stopped."))
        values = suggestions.read(proposed)
        stop(record, on=values["stopped_on"], reason=values["stop_reason"], by=by)
    else:
        before = None if kind == SuggestionKind.NEW else Initiative.objects.get(pk=suggestion.initiative_id)
        record = suggestions.build(kind, proposed, before)
        record.full_clean()
        save_edit(record, before, by, reason=(f"created from suggestion #{suggestion.pk}" if before is None
                                              else f"corrected by suggestion #{suggestion.pk}"))
        if before is None or "services" in proposed:
            record.services.set(suggestions.services_of(record))
        suggestion.initiative = record
    _decide(suggestion, SuggestionState.APPROVED, by, note)
    return record


@transaction.atomic
def reject_suggestion(suggestion: Suggestion, by: Any, note: str = "") -> None:
    """Keep the suggestion, rejected, with the editor's note; no record changes."""
    suggestion = _pending_for_decision(suggestion, by)
    _decide(suggestion, SuggestionState.REJECTED, by, note)
