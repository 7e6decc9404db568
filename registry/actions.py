"""State changes that matter, in one place: the admin, the API, the public forms, the import and
the commands all call these.

Each takes the acting user keyword-only (`acting_user=None` is the system itself: a command run
by the operator, a migration, a boundary change) and asks registry.roles whether that user's role
and region allow it. Each validates through the model (full_clean), writes, and leaves the effects
of a saved initiative (its history entry with the user and the reason, waiting suggestions that
follow it, the search for duplicates) to registry.saving, the same for one record as for a list.
Reasons are named in registry.history.Reasons and shown translated.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from types import SimpleNamespace
from typing import Any

from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Model, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _
from simple_history.models import HistoricalRecords

from registry import campaigns, documents, figures, merging, suggestions, verification
from registry import changes as change_feed
from registry import subscriptions as subscribing
from registry import webhooks as webhook_rules
from registry.history import (
    Links,
    Reasons,
    joined,
    links_of,
    publication_reason,
    revert_plan,
    version_fields,
)
from registry.models import (
    OPEN_STATES,
    ConsentOrigin,
    DuplicateCandidate,
    DuplicateDecision,
    Frequency,
    FundingSource,
    Initiative,
    Kind,
    Merge,
    Partner,
    Partnership,
    PublicationState,
    RoundState,
    Service,
    SlugAlias,
    SocialValueEvidence,
    Status,
    StopReason,
    Subscription,
    Suggestion,
    SuggestionKind,
    SuggestionState,
    VerificationMethod,
    VerificationOptOut,
    VerificationRound,
    Vocabulary,
    Webhook,
    WorklistReason,
    YearlyFigures,
)
from registry.roles import NotAllowed, access_for, check_assignee
from registry.saving import Saved, after_saving, follow_suggestions


def authorise(acting_user: User | None, before: Initiative | None, after: Initiative | None) -> None:
    """Refuse (NotAllowed) what the user's role or region does not allow: changing `before` as it
    is stored, and placing `after` where it now lies (already validated, so its areas are derived)."""
    if acting_user is None:
        return
    access = access_for(acting_user)
    if before is None:
        access.require_write()
    else:
        access.require_change(before)
    if after is not None:
        try:
            access.check_place(after)
        except ValidationError as error:
            raise NotAllowed(" ".join(error.messages)) from None


def attribute(record: Model, acting_user: User | None, reason: str) -> None:
    """The user and the reason of the history entry simple-history writes at the next save or
    deletion of a partner, a partnership, or a deleted initiative."""
    record._change_reason = reason  # type: ignore[attr-defined]  # read by simple-history
    if acting_user is not None:
        record._history_user = acting_user  # type: ignore[attr-defined]  # read by simple-history


@contextmanager
def acting_as(acting_user: User | None) -> Iterator[None]:
    """History entries simple-history writes here name the user, also those of rows deleted along
    with a record (which never pass through attribute()), as its middleware does in a request."""
    if acting_user is None or getattr(HistoricalRecords.context, "request", None) is not None:
        yield
        return
    HistoricalRecords.context.request = SimpleNamespace(user=acting_user)
    try:
        yield
    finally:
        del HistoricalRecords.context.request


@contextmanager
def history_paused(initiative: Initiative) -> Iterator[None]:
    """Saves and changes to services or funding sources made here write no history entries of their
    own (simple-history skips them): registry.saving writes the one entry that holds them all."""
    initiative.skip_history_when_saving = True  # type: ignore[attr-defined]  # read by simple-history
    try:
        yield
    finally:
        del initiative.skip_history_when_saving  # type: ignore[attr-defined]  # set just above


# -- one initiative ---------------------------------------------------------------------------------


@dataclass
class PartnershipChanges:
    """The partnerships an edit of an initiative saves or deletes with it (the admin's inline)."""

    saved: list[Partnership] = field(default_factory=list)
    deleted: list[Partnership] = field(default_factory=list)
    reason: str = ""  # of their history entries; "" for created, edited or deleted

    def __bool__(self) -> bool:
        return bool(self.saved or self.deleted)


def describe_changes(before: Initiative | None, after: Initiative) -> str:
    """The state changes an edit makes, as a stored reason (and so for the change feed)."""
    if before is None:
        return Reasons.CREATED.text()
    changes = []
    if before.publication_state != after.publication_state:
        changes.append(publication_reason(after.publication_state).text())
    if before.status != after.status:
        if after.status == Status.STOPPED:
            changes.append(Reasons.STOPPED.text(reason=after.stop_reason))
        else:
            changes.append((Reasons.PAUSED if after.status == Status.PAUSED else Reasons.RESUMED).text())
    if after.last_verified_on and before.last_verified_on != after.last_verified_on:
        changes.append(Reasons.VERIFIED.text(method=after.verification_method or "method unknown"))
    return joined(*changes) or Reasons.EDITED.text()


def _fields_changed(before: Initiative | None, after: Initiative) -> bool:
    ignored = {"updated_at", "created_at"}
    return before is None or any(getattr(before, f.attname) != getattr(after, f.attname)
                                 for f in Initiative._meta.concrete_fields if f.name not in ignored)


def _links(initiative: Initiative) -> tuple[set[int], set[int]]:
    return (set(initiative.services.values_list("pk", flat=True)),
            set(initiative.funding_sources.values_list("pk", flat=True)))


def _renamed_or_moved(before: Initiative | None, after: Initiative) -> bool:
    if before is None or before.name != after.name:
        return True
    if before.location is None or after.location is None:
        return before.location is not after.location
    return not before.location.equals_exact(after.location)


@transaction.atomic
def save_edit(initiative: Initiative, before: Initiative | None, *, acting_user: User | None,
              reason: str | None = None, services: Iterable[Service | int] | None = None,
              funding_sources: Iterable[FundingSource | int] | None = None,
              partnerships: PartnershipChanges | None = None, when: datetime.datetime | None = None) -> Initiative:
    """Save an initiative edited as a whole (admin form, API write, approved suggestion, revert,
    merge), already validated by the caller's full_clean, with the services, funding sources and
    partnerships given: one history entry for all of it, naming the state changes it makes. The
    partnerships' own entries carry the same moment (`when`, now), which ties them to this version
    (registry.history.partnership_changes)."""
    when = when or timezone.now()
    authorise(acting_user, before, initiative)
    links_before = _links(before) if before is not None and partnerships else None
    if before is None or before.assigned_to_id != initiative.assigned_to_id or _renamed_or_moved(before, initiative):
        check_assignee(initiative)
    with history_paused(initiative):
        initiative.save()
        if services is not None:
            initiative.services.set(services)
        if funding_sources is not None:
            initiative.funding_sources.set(funding_sources)
    if partnerships:
        _change_partnerships(initiative, partnerships, acting_user, when)
    if reason is None:
        reason = describe_changes(before, initiative)
        if partnerships:  # "edited" only when a field or a link of the record itself changed too
            edited = (reason != Reasons.EDITED.text() or _fields_changed(before, initiative)
                      or (links_before is not None and links_before != _links(initiative)))
            reason = joined(reason if edited else "", Reasons.PARTNERSHIPS_CHANGED.text())
    after_saving([Saved(initiative.pk, reason, created=before is None,
                        renamed_or_moved=_renamed_or_moved(before, initiative))], acting_user=acting_user,
                 when=when)
    return initiative


def _save(initiative: Initiative, reason: str, acting_user: User | None) -> None:
    """A state change of a stored record, validated here (the caller changed a few fields)."""
    before = Initiative.objects.get(pk=initiative.pk)
    try:
        initiative.full_clean()
    except ValidationError:
        initiative.refresh_from_db()  # leave the caller's object as it is stored
        raise
    save_edit(initiative, before, acting_user=acting_user, reason=reason)


@transaction.atomic
def delete(initiative: Initiative, *, acting_user: User | None) -> None:
    """Delete a record; its history keeps it, so restore() can bring it back."""
    authorise(acting_user, initiative, None)
    attribute(initiative, acting_user, Reasons.DELETED.text())
    with acting_as(acting_user):  # the partnerships deleted with it name the user too
        initiative.delete()


@transaction.atomic
def set_publication_state(initiative: Initiative, state: PublicationState, *, acting_user: User | None) -> bool:
    """Publish, archive or take back to draft; False when it already is so."""
    if initiative.publication_state == state:
        return False
    initiative.publication_state = state
    _save(initiative, publication_reason(state).text(), acting_user)
    return True


def publish(initiative: Initiative, *, acting_user: User | None) -> bool:
    return set_publication_state(initiative, PublicationState.PUBLISHED, acting_user=acting_user)


def archive(initiative: Initiative, *, acting_user: User | None) -> bool:
    return set_publication_state(initiative, PublicationState.ARCHIVED, acting_user=acting_user)


@transaction.atomic
def stop(initiative: Initiative, on: datetime.date, reason: StopReason | str, *, acting_user: User | None) -> bool:
    if initiative.status == Status.STOPPED:
        return False
    initiative.status, initiative.stopped_on, initiative.stop_reason = Status.STOPPED, on, reason
    _save(initiative, Reasons.STOPPED.text(reason=reason), acting_user)
    close_rounds([initiative.pk], RoundState.CLOSED)
    return True


@transaction.atomic
def resume(initiative: Initiative, *, acting_user: User | None) -> bool:
    """An initiative that paused or stopped is active again."""
    if initiative.status == Status.ACTIVE:
        return False
    initiative.status, initiative.stopped_on, initiative.stop_reason = Status.ACTIVE, None, ""
    _save(initiative, Reasons.RESUMED.text(), acting_user)
    return True


@transaction.atomic
def mark_verified(initiative: Initiative, method: VerificationMethod | str, on: datetime.date | None = None, *,
                  acting_user: User | None) -> bool:
    initiative.last_verified_on = on or timezone.localdate()
    initiative.verification_method = method
    _save(initiative, Reasons.VERIFIED.text(method=method), acting_user)
    close_rounds([initiative.pk], RoundState.ANSWERED if method == VerificationMethod.SELF else RoundState.VERIFIED,
                 initiative.last_verified_on)
    return True


# -- many initiatives at once ----------------------------------------------------------------------------
# The same changes for a selection (the admin's bulk actions): checked per record by the model's own rules
# and the user's region, then written set-based, with one history entry per record (registry.saving),
# never a loop of single saves.


@dataclass
class BulkResult:
    """What a change of many records did: the records changed, those that already were so, those the
    model's rules refused (with the messages), and how many lay outside the user's region (not named:
    the user may not see them)."""

    changed: list[int] = field(default_factory=list)
    unchanged: list[int] = field(default_factory=list)
    invalid: list[tuple[Initiative, list[str]]] = field(default_factory=list)
    refused: int = 0


def _in_region(initiatives: QuerySet[Initiative], acting_user: User | None,
               result: BulkResult) -> QuerySet[Initiative]:
    """The records of the selection the user may change (counting the others in `result.refused`)."""
    initiatives = initiatives.select_related(None).prefetch_related(None).order_by()  # only the rows
    if acting_user is None:
        return initiatives
    access = access_for(acting_user)
    access.require_write()
    result.refused = initiatives.exclude(access.region()).count()
    return initiatives.filter(access.region())


def _write_many(result: BulkResult, values: dict[str, Any], reason: str, acting_user: User | None) -> BulkResult:
    if result.changed:
        now = timezone.now()
        Initiative.objects.filter(pk__in=result.changed).update(**values, updated_at=now)
        after_saving([Saved(pk, reason, renamed_or_moved=False) for pk in result.changed],
                     acting_user=acting_user, when=now)
    return result


def _checked_value(name: str, value: Any) -> Any:
    """A value for one field of many records, checked by the field's own rules (choices, type)."""
    return Initiative.field_named(name).clean(value, None)


@transaction.atomic
def stop_many(initiatives: QuerySet[Initiative], on: datetime.date, reason: StopReason | str, *,
              acting_user: User | None) -> BulkResult:
    """Record that the selected initiatives stopped on `on` for `reason` (those stopped already stay
    as they are), as stop() does for one."""
    on, reason = _checked_value("stopped_on", on), _checked_value("stop_reason", reason)
    result = BulkResult()
    scoped = _in_region(initiatives, acting_user, result)
    for record in scoped.only("pk", "name", "status", "stopped_on", "stop_reason", "founded_year"):
        if record.status == Status.STOPPED:
            result.unchanged.append(record.pk)
            continue
        record.status, record.stopped_on, record.stop_reason = Status.STOPPED, on, reason
        errors = record.status_errors()  # the model's rules of stopping (a date after the founding year)
        if errors:
            result.invalid.append((record, [str(message) for messages in errors.values() for message in messages]))
        else:
            result.changed.append(record.pk)
    close_rounds(result.changed, RoundState.CLOSED)
    return _write_many(result, {"status": Status.STOPPED, "stopped_on": on, "stop_reason": reason},
                       Reasons.STOPPED.text(reason=reason), acting_user)


@transaction.atomic
def mark_verified_many(initiatives: QuerySet[Initiative], method: VerificationMethod | str,
                       on: datetime.date | None = None, *, acting_user: User | None) -> BulkResult:
    """Record that the selected initiatives were verified on `on` (today) by `method`, as
    mark_verified() does for one."""
    on = _checked_value("last_verified_on", on or timezone.localdate())
    method = _checked_value("verification_method", method)
    if not method:
        raise ValidationError({"verification_method": _("Say how the records were verified.")})
    result = BulkResult()
    scoped = _in_region(initiatives, acting_user, result)
    result.changed = list(scoped.values_list("pk", flat=True))
    close_rounds(result.changed, RoundState.ANSWERED if method == VerificationMethod.SELF else RoundState.VERIFIED,
                 on)
    return _write_many(result, {"last_verified_on": on, "verification_method": method},
                       Reasons.VERIFIED.text(method=method), acting_user)


# -- the yearly verification loop (registry.campaigns decides what is due; these make each step) ---------
# Each step is an entry in the record's history (registry.saving, set-based); the round's own row says
# where the record stands, and its database constraints hold the loop's limits.


def close_rounds(ids: Sequence[int], state: RoundState, on: datetime.date | None = None) -> int:
    """The open rounds of these records end: verified, answered, or no longer needed (stopped)."""
    if not ids:
        return 0
    return VerificationRound.objects.filter(initiative_id__in=list(ids), state__in=OPEN_STATES).update(
        state=state, closed_on=on or timezone.localdate())


def _history_only(entries: Sequence[tuple[int, str]], acting_user: User | None) -> None:
    after_saving([Saved(pk, reason, renamed_or_moved=False) for pk, reason in entries], acting_user=acting_user)


@transaction.atomic
def open_verification_rounds(day: datetime.date, *, acting_user: User | None) -> tuple[int, int]:
    """A round for every record due on `day` (registry.campaigns.due_for_a_round). Records without a
    public e-mail address, and those that asked not to be asked, go to their editors' worklist at once.
    Returns (rounds that wait for their message, rounds put on the worklist)."""
    opted_out = set(VerificationOptOut.objects.values_list("initiative_id", flat=True))
    rounds, entries = [], []
    for pk, email, province_id, municipality_id in (campaigns.due_for_a_round(day).order_by("pk")
                                                    .values_list("pk", "email", "province_id", "municipality_id")):
        why = WorklistReason.OPTED_OUT if pk in opted_out else WorklistReason.NO_EMAIL if not email else None
        rounds.append(VerificationRound(
            initiative_id=pk, opened_on=day, state=RoundState.WORKLIST if why else RoundState.WAITING,
            worklist_on=day if why else None, worklist_at=timezone.now() if why else None,
            worklist_reason=why or "", province_id=province_id,
            municipality_id=municipality_id))
        if why:
            entries.append((pk, Reasons.ON_WORKLIST.text(why=why)))
    VerificationRound.objects.bulk_create(rounds)
    _history_only(entries, acting_user)
    return len(rounds) - len(entries), len(entries)


@transaction.atomic
def put_unanswered_on_worklist(day: datetime.date, *, acting_user: User | None) -> int:
    """Rounds asked VERIFICATION_WORKLIST_DAYS ago without an answer go to their editors' worklist."""
    rows = list(campaigns.unanswered(day).select_for_update().values_list("pk", "initiative_id"))
    VerificationRound.objects.filter(pk__in=[pk for pk, _id in rows]).update(
        state=RoundState.WORKLIST, worklist_on=day, worklist_at=timezone.now(),
        worklist_reason=WorklistReason.NO_ANSWER)
    _history_only([(pk, Reasons.ON_WORKLIST.text(why=WorklistReason.NO_ANSWER)) for _round, pk in rows], acting_user)
    return len(rows)


def send_verification_message(round_id: int, kind: str, day: datetime.date, *, acting_user: User | None,
                              at: datetime.datetime | None = None, mail: Any = None) -> bool:
    """Send a round's request or reminder, once: under the round's lock the message is recorded (the
    round, the history) and sent in one transaction, so a message that cannot be sent records nothing
    and a job that runs again finds it sent. Only a crash between the mail server's answer and the
    commit can send it twice; it then has the same Message-ID. Returns whether it was sent now."""
    with transaction.atomic():
        round_ = (VerificationRound.objects.select_for_update(of=("self",)).select_related("initiative")
                  .filter(pk=round_id).first())
        if round_ is None or not campaigns.still_due(round_, kind):
            return False
        initiative = round_.initiative
        if initiative.publication_state != PublicationState.PUBLISHED or initiative.status == Status.STOPPED:
            round_.state, round_.closed_on = RoundState.CLOSED, day  # no longer a running public record
            round_.save(update_fields=["state", "closed_on"])
            return False
        if not initiative.email or VerificationOptOut.objects.filter(initiative=initiative).exists():
            why = WorklistReason.OPTED_OUT if initiative.email else WorklistReason.NO_EMAIL
            round_.state, round_.worklist_on, round_.worklist_reason = RoundState.WORKLIST, day, why
            round_.worklist_at = timezone.now()
            round_.save(update_fields=["state", "worklist_on", "worklist_at", "worklist_reason"])
            _history_only([(initiative.pk, Reasons.ON_WORKLIST.text(why=why))], acting_user)
            return False
        reminder = kind == campaigns.REMINDER
        message = verification.message_for(initiative, round_, reminder=reminder, at=at)
        if reminder:
            round_.reminder_sent_on = day
        else:
            round_.state, round_.first_sent_on = RoundState.ASKED, day
        round_.requests_sent += 1
        round_.save(update_fields=["state", "first_sent_on", "reminder_sent_on", "requests_sent"])
        _history_only([(initiative.pk, (Reasons.VERIFICATION_REMINDED if reminder else Reasons.VERIFICATION_ASKED)
                        .text())], acting_user)
        if mail is not None:
            mail.send_messages([message])
        else:
            message.send()
    return True


@transaction.atomic
def stop_asking(initiative: Initiative, *, acting_user: User | None, on: datetime.date | None = None) -> bool:
    """The initiative asked (by its link) not to be asked again: no more messages; its open round, and
    every later one, goes to the editors' worklist. Returns False when it had asked already."""
    _opt_out, created = VerificationOptOut.objects.get_or_create(initiative=initiative)
    if not created:
        return False
    on = on or timezone.localdate()
    VerificationRound.objects.filter(initiative=initiative, state__in=[RoundState.WAITING, RoundState.ASKED]).update(
        state=RoundState.WORKLIST, worklist_on=on, worklist_at=timezone.now(), worklist_reason=WorklistReason.OPTED_OUT)
    _history_only([(initiative.pk, Reasons.STOP_ASKING.text())], acting_user)
    return True


@transaction.atomic
def record_link_answer(initiative: Initiative, *, stopped: bool, acting_user: User | None,
                       on: datetime.date | None = None) -> None:
    """The initiative answered by its link with a correction or a report that it stopped: the proposal
    waits for an editor (a suggestion), and the round has its answer."""
    close_rounds([initiative.pk], RoundState.ANSWERED, on)
    _history_only([(initiative.pk, (Reasons.STOP_BY_LINK if stopped else Reasons.CORRECTION_BY_LINK).text())],
                  acting_user)


@transaction.atomic
def assign_many(initiatives: QuerySet[Initiative], assignee: User | None, *,
                acting_user: User | None) -> BulkResult:
    """Give the selected initiatives to a maintainer to look after (None: to nobody). Only to someone
    who may change them: an administrator, or an editor whose region holds them."""
    result = BulkResult()
    scoped = _in_region(initiatives, acting_user, result)
    if assignee is None:
        for pk, current in scoped.values_list("pk", "assigned_to_id"):
            (result.unchanged if current is None else result.changed).append(pk)
        return _write_many(result, {"assigned_to": None}, Reasons.UNASSIGNED.text(), acting_user)
    theirs = access_for(assignee)
    if not theirs.can_write:
        raise ValidationError({"assigned_to": _("%(user)s may not change records: assign an editor or an "
                                                "administrator.") % {"user": assignee}})
    outside = set(scoped.exclude(theirs.region()).values_list("pk", flat=True))
    for record in scoped.only("pk", "name", "assigned_to_id", "municipality_id", "province_id"):
        if record.pk in outside:
            result.invalid.append((record, [_("outside the region of %(user)s") % {"user": assignee}]))
        elif record.assigned_to_id == assignee.pk:
            result.unchanged.append(record.pk)
        else:
            result.changed.append(record.pk)
    return _write_many(result, {"assigned_to": assignee}, Reasons.ASSIGNED.text(user=assignee.get_username()),
                       acting_user)


# -- vocabularies, partners and partnerships ----------------------------------------------------------


@transaction.atomic
def save_term(term: Vocabulary, *, acting_user: User | None) -> Vocabulary:
    """Save a term of a vocabulary (its labels, its order; a new term). The vocabularies are national:
    administrators only. A published code never changes (the admin shows it read-only)."""
    if acting_user is not None and not access_for(acting_user).is_administrator:
        raise NotAllowed(_("Only an administrator changes the vocabularies."))
    term.full_clean()
    term.save()
    # Every document that shows the term shows its code, labels and place in the order.
    documents.prepare(documents.showing_term(type(term), term.pk).values_list("pk", flat=True))
    return term



@transaction.atomic
def save_partner(partner: Partner, before: Partner | None, *, acting_user: User | None) -> Partner:
    """Save a partner, already validated by the caller's full_clean. An editor adds partners, and
    changes one only while every initiative it works with lies in their region."""
    if acting_user is not None:
        access = access_for(acting_user)
        if before is None:
            access.require_write()
        else:
            access.require_change_partner(before)
    attribute(partner, acting_user, (Reasons.CREATED if before is None else Reasons.EDITED).text())
    partner.save()
    if before is not None and (before.name, before.slug, before.kind_id) != (partner.name, partner.slug,
                                                                             partner.kind_id):
        _record_partner_change(documents.showing_partner(partner.pk), Reasons.PARTNER_CHANGED.text(name=before.name),
                               acting_user)
    return partner


@transaction.atomic
def delete_partner(partner: Partner, *, acting_user: User | None) -> None:
    """Delete a partner that works with no initiative (its partnerships are removed first)."""
    if acting_user is not None and not access_for(acting_user).is_administrator:
        raise NotAllowed(_("Only an administrator deletes partners."))
    if partner.partnerships.exists():
        raise ValidationError(_("This partner still has partnerships; remove those first."))
    # Years it commissioned show it until the delete empties their commissioning partner.
    commissioned = documents.showing_partner(partner.pk)
    attribute(partner, acting_user, Reasons.DELETED.text())
    partner.delete()
    _record_partner_change(commissioned, Reasons.PARTNER_DELETED.text(name=partner.name), acting_user)


def _record_partner_change(showing: set[int], reason: str, acting_user: User | None) -> None:
    """A partner these initiatives may show changed: a new version for each whose public record did
    change (its document or detail), and for no other, so that a year commissioned in private (which
    no document shows) leaves no trace in the change feed."""
    changed = documents.prepare(showing)
    _record_shown_change(sorted(changed), reason, acting_user, timezone.now())


def _change_partnerships(initiative: Initiative, changes: PartnershipChanges, acting_user: User | None,
                         when: datetime.datetime) -> None:
    """Save and delete partnerships of one initiative, each with its own history entry at `when` (the
    initiative's entry, written by the caller at the same moment)."""
    for partnership in changes.deleted:  # first: one that comes back may take the place of one that goes
        attribute(partnership, acting_user, changes.reason or Reasons.DELETED.text())
        partnership._history_date = when  # type: ignore[attr-defined]  # read by simple-history
        partnership.delete()
    for partnership in changes.saved:
        partnership.initiative = initiative
        attribute(partnership, acting_user, changes.reason
                  or (Reasons.CREATED if partnership.pk is None else Reasons.EDITED).text())
        partnership._history_date = when  # type: ignore[attr-defined]
        partnership.save()


@transaction.atomic
def save_partnership(partnership: Partnership, before: Partnership | None, *, acting_user: User | None) -> Partnership:
    """Save one partnership (already validated), changing the initiatives it belonged to and belongs to:
    their public documents show it, so each gets a history entry."""
    initiatives = {partnership.initiative_id, *([before.initiative_id] if before is not None else [])}
    for initiative in Initiative.objects.filter(pk__in=initiatives):
        authorise(acting_user, initiative, None)
    when = timezone.now()
    _change_partnerships(partnership.initiative, PartnershipChanges(saved=[partnership]), acting_user, when)
    _record_partnership_change(sorted(initiatives), acting_user, when)
    return partnership


@transaction.atomic
def delete_partnership(partnership: Partnership, *, acting_user: User | None) -> None:
    authorise(acting_user, Initiative.objects.get(pk=partnership.initiative_id), None)
    when = timezone.now()
    _change_partnerships(partnership.initiative, PartnershipChanges(deleted=[partnership]), acting_user, when)
    _record_partnership_change([partnership.initiative_id], acting_user, when)


def _record_partnership_change(initiative_ids: Sequence[int], acting_user: User | None,
                               when: datetime.datetime) -> None:
    _record_shown_change(initiative_ids, Reasons.PARTNERSHIPS_CHANGED.text(), acting_user, when)


def _record_shown_change(initiative_ids: Sequence[int], reason: str, acting_user: User | None,
                         when: datetime.datetime) -> None:
    """Something the initiatives' public record shows, kept elsewhere (partnerships, public yearly figures,
    evidence of social value), changed: each gets a new version, so the change feed (registry.changes), the
    webhooks and the subscribers' digests list it, and its updatedAt moves."""
    if not initiative_ids:
        return
    Initiative.objects.filter(pk__in=initiative_ids).update(updated_at=when)
    after_saving([Saved(pk, reason, renamed_or_moved=False) for pk in initiative_ids],
                 acting_user=acting_user, when=when)


# -- history: revert, restore, merge --------------------------------------------------------------------


def _add_partnerships(links: list[Partnership], acting_user: User | None, reason: str,
                      when: datetime.datetime) -> None:
    """Partnerships written in bulk, each with its own history entry at `when`; the initiative's entry
    is written by its save, at the same moment."""
    Partnership.objects.bulk_create(links)
    Partnership.history.bulk_history_create(
        links, default_user=acting_user, default_change_reason=reason, default_date=when)


@transaction.atomic
def revert(initiative: Initiative, history_id: int, *, acting_user: User | None) -> Initiative:
    """Put an initiative back as it was in one of its history entries: its fields, services, funding
    sources and partnerships, exactly as registry.history.revert_plan shows them beforehand (a new
    entry says so). Who looks after the record stays as it is."""
    version = initiative.history.get(history_id=history_id)
    before = Initiative.objects.get(pk=initiative.pk)
    authorise(acting_user, before, None)
    plan = revert_plan(initiative.pk, version)
    for attname, value in plan.values.items():
        setattr(initiative, attname, value)
    initiative._location_basis = None  # the stored point and precision are put back as they were
    initiative.full_clean()
    when = timezone.localtime(version.history_date)
    reason = Reasons.REVERTED.text(when=f"{when:%Y-%m-%d %H:%M}")
    return save_edit(initiative, before, acting_user=acting_user, services=plan.services,
                     funding_sources=plan.funding_sources, reason=reason,
                     partnerships=PartnershipChanges(saved=plan.partnerships_saved,
                                                     deleted=plan.partnerships_deleted, reason=reason))


@transaction.atomic
def restore(history_id: int, *, acting_user: User | None) -> Initiative:
    """Bring back a deleted initiative from its history, under its old id, with its services,
    funding sources and the partnerships that were deleted with it."""
    return _restore(history_id, acting_user, Reasons.RESTORED.text())


def _restore(history_id: int, acting_user: User | None, reason: str) -> Initiative:
    history = Initiative.history.model
    deletion = history.objects.get(history_id=history_id, history_type="-")
    if Initiative.objects.filter(pk=deletion.id).exists():
        raise ValidationError(_("This initiative exists again; there is nothing to restore."))
    initiative = Initiative(pk=deletion.id)
    for name in version_fields():
        setattr(initiative, name, getattr(deletion, name))
    initiative._location_basis = None
    if (Initiative.objects.filter(slug=initiative.slug).exists()
            or SlugAlias.objects.filter(slug=initiative.slug).exists()):
        initiative.slug = ""  # taken meanwhile: a new one from the name
    initiative.full_clean()  # derives its areas
    if initiative.assigned_to_id is not None:
        try:
            check_assignee(initiative)
        except ValidationError:
            initiative.assigned_to = None  # no longer someone who may look after it
    authorise(acting_user, None, initiative)
    # The partnerships deleted with it: deletions in the same second.
    moment = (deletion.history_date - datetime.timedelta(seconds=1), deletion.history_date
              + datetime.timedelta(seconds=1))
    # Not those whose partner was deleted meanwhile.
    gone = Partnership.history.model.objects.filter(
        initiative_id=deletion.id, history_type="-", history_date__range=moment,
        partner_id__in=Partner.objects.values("pk"))
    # The deletion's own entry holds no services (they went first): the entry before it does.
    last = history.objects.filter(id=deletion.id, history_id__lt=history_id).order_by("-history_id").first()
    with history_paused(initiative):
        initiative.save(force_insert=True)
    when = timezone.now()
    _add_partnerships([Partnership(pk=entry.id, initiative=initiative, partner_id=entry.partner_id,
                                   role_id=entry.role_id, start=entry.start, end=entry.end, note=entry.note)
                       for entry in gone], acting_user, Reasons.RESTORED_WITH_INITIATIVE.text(), when)
    # Its old addresses (earlier slugs, records merged into it) lead to it again.
    old_slugs = {*history.objects.filter(id=deletion.id).values_list("slug", flat=True),
                 *Merge.objects.filter(kept_id=deletion.id, undone_at__isnull=True)
                 .values_list("removed_slug", flat=True)}
    taken = {*Initiative.objects.filter(slug__in=old_slugs).values_list("slug", flat=True),
             *SlugAlias.objects.filter(slug__in=old_slugs).values_list("slug", flat=True)}
    SlugAlias.objects.bulk_create([SlugAlias(slug=slug, initiative=initiative)
                                   for slug in sorted(old_slugs - taken - {initiative.slug})])
    links: Links = links_of(last) if last is not None else {}
    return save_edit(initiative, None, acting_user=acting_user, reason=reason, when=when, **links)


@transaction.atomic
def merge(kept: Initiative, removed: Initiative, *, acting_user: User | None,
          take: Mapping[str, str] | None = None) -> Initiative:
    """Make two records of one initiative one, as registry.merging.plan says beforehand: the kept
    record takes the values chosen per field in `take` (by default its own, and the other's where it
    has none), the other's services, funding sources, partnerships and old slugs; the removed record
    is deleted, and its address leads to the kept one (301). What the merge did is stored on its
    Merge, so that undo_merge can reverse it for MERGE_UNDO_DAYS days."""
    if kept.pk == removed.pk:
        raise ValidationError(_("A record cannot be merged with itself."))
    authorise(acting_user, kept, None)
    authorise(acting_user, removed, None)
    before = Initiative.objects.get(pk=kept.pk)
    kept_before = kept.history.order_by("-history_id").values_list("history_id", flat=True).first()
    plan = merging.plan(kept, removed, take)
    changed = plan.apply_fields()
    removed_id, removed_slug, removed_name = removed.pk, removed.slug, removed.name
    services = {*kept.services.values_list("pk", flat=True), *(service.pk for service in plan.services_added)}
    funding = {*kept.funding_sources.values_list("pk", flat=True), *(term.pk for term in plan.funding_added)}

    DuplicateCandidate.objects.filter(first__in=[kept, removed], second__in=[kept, removed]).delete()
    merges_moved = list(Merge.objects.filter(kept=removed, undone_at__isnull=True).values_list("pk", flat=True))
    Merge.objects.filter(pk__in=merges_moved).update(kept=kept)  # what was merged into it lives on in the kept one
    suggestions_moved = list(Suggestion.objects.filter(initiative=removed).values_list("pk", flat=True))
    Suggestion.objects.filter(pk__in=suggestions_moved).update(initiative=kept)  # to be decided on the kept one
    attribute(removed, acting_user, Reasons.MERGED_INTO.text(id=kept.pk, slug=kept.slug))
    with acting_as(acting_user):
        removed.delete()  # first: its slug and external id become free for the kept record
    history = Initiative.history.model
    deletion = history.objects.filter(id=removed_id, history_type="-").order_by("-history_id").first()
    for slug in plan.old_slugs:
        SlugAlias.objects.update_or_create(slug=slug, defaults={"initiative": kept})
    kept.full_clean()
    when = timezone.now()
    _add_partnerships(plan.partnerships_moved, acting_user, Reasons.MOVED_BY_MERGE.text(id=removed_id), when)
    save_edit(kept, before, acting_user=acting_user, services=services, funding_sources=funding,
              reason=Reasons.MERGED_WITH.text(id=removed_id, slug=removed_slug), when=when)
    done = merging.MergeDone(
        kept_before=kept_before or 0, kept_after=kept.history.latest().history_id,
        removed_deletion=deletion.history_id, fields=changed,
        services_added=[service.pk for service in plan.services_added],
        funding_added=[term.pk for term in plan.funding_added],
        partnerships_added=[link.pk for link in plan.partnerships_moved], old_slugs=plan.old_slugs,
        merges_moved=merges_moved, suggestions_moved=suggestions_moved)
    Merge.objects.create(kept=kept, removed_id=removed_id, removed_name=removed_name, removed_slug=removed_slug,
                         merged_by=acting_user, details=done.to_dict())
    return kept


@transaction.atomic
def undo_merge(merge: Merge, *, acting_user: User | None) -> Initiative:
    """Undo a merge within MERGE_UNDO_DAYS days, as registry.merging.undo_plan says beforehand: the
    removed record comes back under its id with its links and its old address; the kept record loses
    the values, links and old addresses the merge gave it, where nobody changed them since. Decided by
    whoever may change both records. Returns the record that came back."""
    merge = Merge.objects.select_for_update().get(pk=merge.pk)
    plan = merging.undo_plan(merge)
    if not plan.possible or plan.kept is None or plan.done is None:
        raise ValidationError(plan.problem)
    kept, done = plan.kept, plan.done
    authorise(acting_user, kept, None)
    before = Initiative.objects.get(pk=kept.pk)
    reason = Reasons.MERGE_UNDONE.text(id=merge.removed_id, slug=merge.removed_slug)
    # Its old addresses go back to it (restore gives them back), earlier merges into it too.
    SlugAlias.objects.filter(slug__in=done.old_slugs, initiative=kept).delete()
    Merge.objects.filter(pk__in=done.merges_moved, kept=kept).update(kept_id=merge.removed_id)
    merge.undone_at, merge.undone_by = timezone.now(), acting_user
    merge.save(update_fields=["undone_at", "undone_by"])

    # First the kept record gives back what it took (an external id of the same list, say), then the
    # removed record can have it again.
    for attname, value in plan.values.items():
        setattr(kept, attname, value)
    kept._location_basis = None
    kept.full_clean()
    services = set(kept.services.values_list("pk", flat=True)) - {service.pk for service in plan.services_removed}
    funding = set(kept.funding_sources.values_list("pk", flat=True)) - {term.pk for term in plan.funding_removed}
    save_edit(kept, before, acting_user=acting_user, services=services, funding_sources=funding, reason=reason,
              partnerships=PartnershipChanges(deleted=plan.partnerships_removed, reason=reason))

    restored = _restore(done.removed_deletion, acting_user, Reasons.RESTORED_BY_UNDO.text(id=kept.pk))
    taken = {*SlugAlias.objects.filter(slug__in=done.old_slugs).values_list("slug", flat=True),
             *Initiative.objects.filter(slug__in=done.old_slugs).values_list("slug", flat=True)}
    SlugAlias.objects.bulk_create([SlugAlias(slug=slug, initiative=restored)
                                   for slug in done.old_slugs if slug not in taken])
    Suggestion.objects.filter(pk__in=plan.suggestions).update(initiative=restored)
    follow_suggestions([restored.pk])
    return restored


@transaction.atomic
def mark_distinct(candidate: DuplicateCandidate, *, acting_user: User | None) -> None:
    """Two records found alike are different initiatives: the pair is not proposed again. Decided by
    whoever may change both records, as for a merge."""
    authorise(acting_user, candidate.first, None)
    authorise(acting_user, candidate.second, None)
    candidate.decision = DuplicateDecision.DISTINCT
    candidate.decided_by = acting_user
    candidate.decided_at = timezone.now()
    candidate.save(update_fields=["decision", "decided_by", "decided_at"])


# -- suggestions: from the public or a verification link, decided by an editor -----------------------
# What a proposal holds and the record it makes are in registry.suggestions.


@transaction.atomic
def submit_suggestion(kind: str, proposed: dict[str, Any], *, initiative: Initiative | None = None,
                      origin: str = "formulier", message: str = "", submitter_name: str = "",
                      submitter_email: str = "") -> Suggestion:
    """Store a proposal in the moderation queue (it changes no record) and, once committed, tell
    the editors of its region. The proposal is validated as the public form validates it; its
    region is that of the proposed location (a new initiative) or of the record (otherwise). Made
    by someone from outside, so there is no acting user."""
    if (kind == SuggestionKind.NEW) != (initiative is None):
        raise ValueError("A new initiative has no record yet; a correction or stop report has one.")
    if kind == SuggestionKind.FIGURES:
        assert initiative is not None
        suggestions.build_figures(proposed, initiative).full_clean()
        area = Initiative.objects.get(pk=initiative.pk)
    else:
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


def _pending_for_decision(suggestion: Suggestion, acting_user: User | None) -> Suggestion:
    """The suggestion, locked, if it still waits and the user may decide on it: an administrator,
    or an editor whose region holds it (and, for a correction or stop report, the record as stored)."""
    locked = Suggestion.objects.select_for_update().get(pk=suggestion.pk)
    if locked.state != SuggestionState.PENDING:
        raise ValidationError(_("This suggestion was already decided (%(state)s).")
                              % {"state": locked.get_state_display()})
    if acting_user is not None:
        access = access_for(acting_user)
        access.require_write()
        if not access.covers(locked.municipality_id, locked.province_id):
            raise NotAllowed(_("This suggestion lies outside your region (%(region)s).")
                             % {"region": access.describe_region()})
        if locked.kind != SuggestionKind.NEW and locked.initiative is not None:
            access.require_change(locked.initiative)
    return locked


def _decide(suggestion: Suggestion, state: str, acting_user: User | None, note: str) -> None:
    suggestion.state = state
    suggestion.decided_by = acting_user
    suggestion.decided_at = timezone.now()
    suggestion.decision_note = note
    suggestion.save(update_fields=["state", "decided_by", "decided_at", "decision_note", "initiative"])


def _record_of(suggestion: Suggestion) -> Initiative:
    """The record a correction or a stop report is about, as it is stored now."""
    assert suggestion.initiative_id is not None, "only a new initiative has no record (submit_suggestion)"
    return Initiative.objects.get(pk=suggestion.initiative_id)


@transaction.atomic
def approve_suggestion(suggestion: Suggestion, *, acting_user: User | None, note: str = "") -> Initiative:
    """Apply a suggestion through the actions above: a new initiative is created, published, and
    linked on the suggestion; a correction is saved as an edit of the changed fields; a stop report
    stops the record. The record as it is now must be valid with the proposal applied, or the
    model's ValidationError is raised and nothing changes. Returns the record."""
    suggestion = _pending_for_decision(suggestion, acting_user)
    kind, proposed = suggestion.kind, suggestion.proposed
    if kind == SuggestionKind.FIGURES:
        record = _record_of(suggestion)
        built = suggestions.build_figures(proposed, record)
        built.full_clean()
        save_figures(built, acting_user=acting_user, origin=ConsentOrigin.LINK,
                     reason=Reasons.FIGURES_FROM_SUGGESTION.text(id=suggestion.pk))
        _decide(suggestion, SuggestionState.APPROVED, acting_user, note)
        return record
    if kind == SuggestionKind.STOPPED:
        record = _record_of(suggestion)
        if record.status == Status.STOPPED:
            raise ValidationError(_("This initiative is already recorded as stopped."))
        values = suggestions.read(proposed)
        stop(record, on=values["stopped_on"], reason=values["stop_reason"], acting_user=acting_user)
    else:
        before = None if kind == SuggestionKind.NEW else _record_of(suggestion)
        record = suggestions.build(kind, proposed, before)
        record.full_clean()
        services = suggestions.services_of(record) if before is None or "services" in proposed else None
        reason = (Reasons.CREATED_FROM_SUGGESTION if before is None else Reasons.CORRECTED_BY_SUGGESTION)
        save_edit(record, before, acting_user=acting_user, services=services, reason=reason.text(id=suggestion.pk))
        suggestion.initiative = record
    _decide(suggestion, SuggestionState.APPROVED, acting_user, note)
    return record


@transaction.atomic
def reject_suggestion(suggestion: Suggestion, *, acting_user: User | None, note: str = "") -> None:
    """Keep the suggestion, rejected, with the editor's note; no record changes."""
    suggestion = _pending_for_decision(suggestion, acting_user)
    _decide(suggestion, SuggestionState.REJECTED, acting_user, note)


# -- subscriptions and webhooks (registry/subscriptions.py, registry/webhooks.py) ---------------------


def subscribe(*, email: str, area: Any, kinds: Iterable[Kind] = (), services: Iterable[Service] = (),
              frequency: str = Frequency.WEEKLY, language: str = "nl", acting_user: User | None = None
              ) -> Subscription:
    """Store a wish to subscribe (unconfirmed) and send its confirmation link, in one transaction: a
    message that cannot be sent stores nothing. Nothing else goes to the address until it is confirmed."""
    from geo.models import Municipality

    with transaction.atomic():
        subscription = Subscription(email=email, frequency=frequency, language=language,
                                    municipality=area if isinstance(area, Municipality) else None,
                                    province=None if isinstance(area, Municipality) else area)
        subscription.full_clean()
        subscription.save()
        subscription.kinds.set(list(kinds))
        subscription.services.set(list(services))
        subscribing.confirmation_message(subscription).send()
    return subscription


@transaction.atomic
def confirm_subscription(subscription: Subscription, *, acting_user: User | None = None) -> Subscription:
    """The address confirmed: digests start. An earlier subscription of the same address to the same
    area is replaced by this one (subscribing again is how choices are changed)."""
    subscription = Subscription.objects.select_for_update().get(pk=subscription.pk)
    if subscription.confirmed_at is not None:
        return subscription
    subscription.confirmed_at = timezone.now()
    subscription.save(update_fields=["confirmed_at"])
    Subscription.objects.filter(email__iexact=subscription.email, province=subscription.province,
                                municipality=subscription.municipality,
                                confirmed_at__isnull=False).exclude(pk=subscription.pk).delete()
    return subscription


@transaction.atomic
def unsubscribe(subscription: Subscription, *, acting_user: User | None = None) -> None:
    """The subscription goes, with its address and the record of its digests."""
    Subscription.objects.filter(pk=subscription.pk).delete()


def _require_webhook_owner(webhook: Webhook, acting_user: User) -> None:
    if webhook.owner_id != acting_user.pk and not access_for(acting_user).is_administrator:
        raise NotAllowed(_("Only its owner or an administrator changes a webhook."))


@transaction.atomic
def register_webhook(*, url: str, filter: Any, acting_user: User) -> Webhook:
    """A new webhook of the acting user, with a new secret, for the events from now on. Its address
    and filter are checked (Webhook.clean: https, public addresses only, known filter values)."""
    from django.conf import settings

    if Webhook.objects.filter(owner=acting_user).count() >= settings.WEBHOOKS_PER_USER:
        raise ValidationError(_("An account may register at most %(count)d webhooks.")
                              % {"count": settings.WEBHOOKS_PER_USER})
    webhook = Webhook(owner=acting_user, url=url, filter=filter, secret=webhook_rules.new_secret(),
                      cursor=change_feed.latest_id())
    webhook.full_clean()
    webhook.save()
    return webhook


@transaction.atomic
def remove_webhook(webhook: Webhook, *, acting_user: User) -> None:
    _require_webhook_owner(webhook, acting_user)
    webhook.delete()


@transaction.atomic
def enable_webhook(webhook: Webhook, *, acting_user: User) -> Webhook:
    """A disabled webhook on again: its failures forgotten, its waiting deliveries due at once (the
    events that came meanwhile follow, from where it stopped)."""
    _require_webhook_owner(webhook, acting_user)
    webhook = Webhook.objects.select_for_update().get(pk=webhook.pk)
    webhook.active, webhook.failures, webhook.disabled_at, webhook.disabled_reason = True, 0, None, ""
    webhook.save(update_fields=["active", "failures", "disabled_at", "disabled_reason"])
    webhook.deliveries.filter(state="wacht").update(next_attempt_at=None)
    return webhook


# -- yearly figures and evidence of social value (registry.figures) ------------------------------------


@transaction.atomic
def save_figures(record: YearlyFigures, *, acting_user: User | None, origin: str = ConsentOrigin.MAINTAINER,
                 reason: str = "") -> YearlyFigures:
    """Save one initiative's figures for a year (already validated by the caller's full_clean),
    by whoever may change the initiative; the consent's who and when are recorded when it is set."""
    save_figures_many([record], acting_user=acting_user, origin=origin, reason=reason)
    return record


@transaction.atomic
def save_figures_many(records: Sequence[YearlyFigures], *, acting_user: User | None,
                      origin: str = ConsentOrigin.MAINTAINER, reason: str = "") -> figures.Stored:
    """Save many validated figures at once (a figures file), all or none: each initiative must be one the
    user may change (checked set-based), then registry.figures.store writes them as for one record."""
    if acting_user is not None:
        access = access_for(acting_user)
        access.require_write()
        ids = {record.initiative_id for record in records}
        outside = Initiative.objects.filter(pk__in=ids).exclude(access.region()).order_by("name").first()
        if outside is not None:
            access.require_change(outside)  # raises, naming the record and the region
    when = timezone.now()
    stored = figures.store(records, acting_user=acting_user, origin=origin, reason=reason, when=when)
    # Only a change of what the public sees (consented years) is a change of the public record.
    _record_shown_change(sorted(stored.shown_changed), Reasons.PUBLIC_FIGURES_CHANGED.text(), acting_user, when)
    return stored


@transaction.atomic
def delete_figures(record: YearlyFigures, *, acting_user: User | None) -> None:
    authorise(acting_user, Initiative.objects.get(pk=record.initiative_id), None)
    shown = YearlyFigures.objects.filter(pk=record.pk, public=True).exists()  # as stored, not as edited
    attribute(record, acting_user, Reasons.DELETED.text())
    record.delete()
    if shown:
        _record_shown_change([record.initiative_id], Reasons.PUBLIC_FIGURES_CHANGED.text(), acting_user,
                             timezone.now())


@transaction.atomic
def save_evidence(evidence: SocialValueEvidence, *, acting_user: User | None) -> SocialValueEvidence:
    """Save evidence of an initiative's social value (already validated), by whoever may change it. The
    evidence is public (docs/figures.md), so its initiative's public record changes with it."""
    initiative = Initiative.objects.get(pk=evidence.initiative_id)
    authorise(acting_user, initiative, None)
    before = SocialValueEvidence.objects.filter(pk=evidence.pk).first() if evidence.pk is not None else None
    moved_from = [before.initiative_id] if before is not None and before.initiative_id != initiative.pk else []
    for other in Initiative.objects.filter(pk__in=moved_from):
        authorise(acting_user, other, None)
    attribute(evidence, acting_user, (Reasons.CREATED if before is None else Reasons.EDITED).text())
    evidence.save()
    if before is None or not all(figures.same_value(getattr(before, name), getattr(evidence, name))
                                 for name in figures.EVIDENCE_SHOWN):
        _record_shown_change(sorted({initiative.pk, *moved_from}), Reasons.EVIDENCE_CHANGED.text(), acting_user,
                             timezone.now())
    return evidence


@transaction.atomic
def delete_evidence(evidence: SocialValueEvidence, *, acting_user: User | None) -> None:
    authorise(acting_user, Initiative.objects.get(pk=evidence.initiative_id), None)
    attribute(evidence, acting_user, Reasons.DELETED.text())
    evidence.delete()
    _record_shown_change([evidence.initiative_id], Reasons.EVIDENCE_CHANGED.text(), acting_user, timezone.now())
