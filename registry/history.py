"""The register's history: why a version was made (named reasons, shown in the reader's language),
the entries written for any set of saved records, and when anything last changed.

Each version of an initiative is a row of simple-history's table (HistoricalInitiative) with the
links (services, funding sources) as they were. Our own code writes them in one way, for one record
or for many (write_entries, called by registry.saving); simple-history's signals only write entries
for saves outside the actions (a shell), and for partners and partnerships.

A reason is stored as English text made from a template (`Reason.STOPPED.text(reason="menskracht")`
gives "stopped: menskracht"): stable, readable in the database and in exports, and matched back to
its template to be shown translated (`describe`). Several reasons of one save are joined by "; "
(which a value inside a reason may hold as well: `describe` tells them apart).
"""

from __future__ import annotations

import datetime
import functools
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, TypedDict

from django.contrib.gis.db import models
from django.contrib.gis.geos import Point
from django.db import connection, connections, router
from django.utils import formats, timezone
from django.utils.functional import Promise
from django.utils.translation import pgettext_lazy

from registry.models import (
    FundingSource,
    Initiative,
    InitiativeDocument,
    Partner,
    Partnership,
    PartnershipRole,
    PublicationState,
    Service,
    SocialValueEvidence,
    StopReason,
    VerificationMethod,
    WorklistReason,
    YearlyFigures,
)

SEPARATOR = "; "


@dataclass(frozen=True)
class Reason:
    """Why a version was made: `template` is what is stored, `label` what a reader sees."""

    template: str
    label: Promise

    def text(self, **values: Any) -> str:
        return self.template.format(**values)

    @functools.cached_property
    def pattern(self) -> re.Pattern[str]:
        parts = re.split(r"(\{\w+\})", self.template)
        return re.compile("".join(f"(?P<{part[1:-1]}>.+?)" if part.startswith("{") else re.escape(part)
                                  for part in parts) + "$", re.DOTALL)


class Reasons:
    CREATED = Reason("created", pgettext_lazy("history reason", "created"))
    EDITED = Reason("edited", pgettext_lazy("history reason", "edited"))
    UPDATED = Reason("updated {columns}", pgettext_lazy("history reason", "updated {columns}"))
    PUBLISHED = Reason("published", pgettext_lazy("history reason", "published"))
    ARCHIVED = Reason("archived", pgettext_lazy("history reason", "archived"))
    BACK_TO_DRAFT = Reason("back to draft", pgettext_lazy("history reason", "back to draft"))
    STOPPED = Reason("stopped: {reason}", pgettext_lazy("history reason", "stopped: {reason}"))
    PAUSED = Reason("paused", pgettext_lazy("history reason", "paused"))
    RESUMED = Reason("resumed", pgettext_lazy("history reason", "resumed"))
    VERIFIED = Reason("verified ({method})", pgettext_lazy("history reason", "verified ({method})"))
    DELETED = Reason("deleted", pgettext_lazy("history reason", "deleted"))
    RESTORED = Reason("restored", pgettext_lazy("history reason", "restored"))
    RESTORED_WITH_INITIATIVE = Reason("restored with its initiative",
                                      pgettext_lazy("history reason", "restored with its initiative"))
    REVERTED = Reason("reverted to the version of {when}",
                      pgettext_lazy("history reason", "reverted to the version of {when}"))
    MERGED_WITH = Reason("merged with #{id} ({slug})", pgettext_lazy("history reason", "merged with #{id} ({slug})"))
    MERGED_INTO = Reason("merged into #{id} ({slug})", pgettext_lazy("history reason", "merged into #{id} ({slug})"))
    MOVED_BY_MERGE = Reason("moved from #{id} by a merge",
                            pgettext_lazy("history reason", "moved from #{id} by a merge"))
    CREATED_FROM_SUGGESTION = Reason("created from suggestion #{id}",
                                     pgettext_lazy("history reason", "created from suggestion #{id}"))
    CORRECTED_BY_SUGGESTION = Reason("corrected by suggestion #{id}",
                                     pgettext_lazy("history reason", "corrected by suggestion #{id}"))
    AREAS_DERIVED = Reason("areas derived again from the point",
                           pgettext_lazy("history reason", "areas derived again from the point"))
    PARTNERSHIPS_CHANGED = Reason("partnerships changed", pgettext_lazy("history reason", "partnerships changed"))
    # A partner the record shows (as a partner, or commissioning a public year) renamed or deleted.
    # The name last, so that a long one cut to the column's length still reads (and is translated).
    PARTNER_CHANGED = Reason("partner changed: {name}", pgettext_lazy("history reason", "partner changed: {name}"))
    PARTNER_DELETED = Reason("partner deleted: {name}", pgettext_lazy("history reason", "partner deleted: {name}"))
    # The figures and evidence the public sees (registry.figures): so the change feed lists the initiative.
    PUBLIC_FIGURES_CHANGED = Reason("published yearly figures changed",
                                    pgettext_lazy("history reason", "published yearly figures changed"))
    EVIDENCE_CHANGED = Reason("evidence of social value changed",
                              pgettext_lazy("history reason", "evidence of social value changed"))
    IMPORTED = Reason("import ({source}): {change}", pgettext_lazy("history reason", "import ({source}): {change}"))
    DEMO = Reason("demo data", pgettext_lazy("history reason", "demo data"))
    ASSIGNED = Reason("assigned to {user}", pgettext_lazy("history reason", "assigned to {user}"))
    UNASSIGNED = Reason("no longer assigned", pgettext_lazy("history reason", "no longer assigned"))
    MERGE_UNDONE = Reason("merge with #{id} ({slug}) undone",
                          pgettext_lazy("history reason", "merge with #{id} ({slug}) undone"))
    VERIFICATION_ASKED = Reason("verification asked by e-mail",
                                pgettext_lazy("history reason", "verification asked by e-mail"))
    VERIFICATION_REMINDED = Reason("verification reminder sent by e-mail",
                                   pgettext_lazy("history reason", "verification reminder sent by e-mail"))
    ON_WORKLIST = Reason("on the editors' worklist: {why}",
                         pgettext_lazy("history reason", "on the editors' worklist: {why}"))
    STOP_ASKING = Reason("asked not to be asked to verify again",
                         pgettext_lazy("history reason", "asked not to be asked to verify again"))
    CORRECTION_BY_LINK = Reason("sent a correction by its verification link",
                                pgettext_lazy("history reason", "sent a correction by its verification link"))
    STOP_BY_LINK = Reason("reported by its verification link that it stopped",
                          pgettext_lazy("history reason", "reported by its verification link that it stopped"))
    FIGURES_FROM_SUGGESTION = Reason("figures from suggestion #{id}",
                                     pgettext_lazy("history reason", "figures from suggestion #{id}"))
    FIGURES_IMPORTED = Reason("figures import ({file})", pgettext_lazy("history reason", "figures import ({file})"))
    RESTORED_BY_UNDO = Reason("restored: the merge into #{id} was undone",
                              pgettext_lazy("history reason", "restored: the merge into #{id} was undone"))

    @classmethod
    def all(cls) -> list[Reason]:
        return [value for value in vars(cls).values() if isinstance(value, Reason)]


# Codes inside a reason, shown by their labels.
_CODE_LABELS: dict[str, type[models.TextChoices]] = {
    "reason": StopReason, "method": VerificationMethod, "why": WorklistReason}
_STATE_REASONS = {PublicationState.PUBLISHED: Reasons.PUBLISHED, PublicationState.ARCHIVED: Reasons.ARCHIVED,
                  PublicationState.DRAFT: Reasons.BACK_TO_DRAFT}


def publication_reason(state: str) -> Reason:
    return _STATE_REASONS[PublicationState(state)]


def joined(*texts: str) -> str:
    return SEPARATOR.join(text for text in texts if text)


def describe(stored: str | None) -> str:
    """A stored reason in the reader's language (unknown text, such as an old free reason, as it is)."""
    if not stored:
        return ""
    return SEPARATOR.join(_describe_one(part) for part in _joined_reasons(stored))


def _joined_reasons(stored: str) -> list[str]:
    """The reasons a stored text joins. A value inside a reason may hold the separator itself (a
    file "lijst; 2025.xlsx" in "figures import ({file})"), so a piece that begins such a reason but
    matches none alone runs on to the fewest pieces that match. (A value that ends its reason, such
    as a partner's name, reads the same either way, and a piece after it is shown as it is.)"""
    pieces = stored.split(SEPARATOR)
    reasons: list[str] = []
    start = 0
    while start < len(pieces):
        end = start + 1
        if pieces[start].startswith(_ENCLOSING_BEGINNINGS) and _matching(pieces[start]) is None:
            end = next((end for end in range(start + 2, len(pieces) + 1)
                        if _matching(SEPARATOR.join(pieces[start:end])) is not None), end)
        reasons.append(SEPARATOR.join(pieces[start:end]))
        start = end
    return reasons


def _matching(text: str) -> Reason | None:
    return next((reason for reason in _REASONS if reason.pattern.match(text)), None)


_REASONS = tuple(Reasons.all())
# How the reasons begin whose values are followed by more of their text: only a piece that begins
# so can be the start of a reason that a value cut in pieces.
_ENCLOSING_BEGINNINGS = tuple(reason.template.split("{")[0] for reason in _REASONS
                              if re.search(r"\}[^{]", reason.template) and not reason.template.startswith("{"))


def _describe_one(text: str) -> str:
    for reason in _REASONS:
        match = reason.pattern.match(text)
        if match is None:
            continue
        values = match.groupdict()
        for name, choices in _CODE_LABELS.items():
            if name in values and values[name] in choices.values:
                values[name] = str(choices(values[name]).label)
        if "change" in values:
            values["change"] = describe(values["change"])
        return str(reason.label).format(**values)
    return text


# -- writing entries ----------------------------------------------------------------------------------

LINK_TABLES = (("services", "service_id"), ("funding_sources", "fundingsource_id"))


@functools.cache
def _reason_limit() -> int:
    # Read once: each `Model.history` access builds a manager class.
    return int(Initiative.history.model._meta.get_field("history_change_reason").max_length)


def fitted(reason: str) -> str:
    """The reason, shortened to what the history column holds."""
    limit = _reason_limit()
    return reason if len(reason) <= limit else reason[:limit - 1] + "…"


def write_entries(ids: Sequence[int], reasons: Sequence[str], kinds: Sequence[str], *, user_id: int | None,
                  when: datetime.datetime) -> None:
    """A history entry for each record as it now is in the database (`kinds`: "+" created, "~"
    changed, "-" about to be deleted), by `user_id`, each with its reason, with the record's links
    as simple-history keeps them (one table per link, with the link's own id). Copied from the rows
    in SQL: building the entries as objects took longer than all the rest of an import."""
    if not ids:
        return
    history = Initiative.history.model
    fields = list(Initiative._meta.concrete_fields)
    columns = ", ".join(f'"{f.column}"' for f in fields)
    selected = ", ".join(f'i."{f.column}"' for f in fields)
    with connection.cursor() as cursor:
        cursor.execute(
            f"""
            INSERT INTO {history._meta.db_table}
                   ({columns}, history_date, history_change_reason, history_type, history_user_id)
            SELECT {selected}, %s, r.reason, r.kind, %s
              FROM {Initiative._meta.db_table} AS i
              JOIN unnest(%s::bigint[], %s::text[], %s::text[]) AS r(id, reason, kind) ON r.id = i.id
            RETURNING id, history_id
            """,
            [when, user_id, list(ids), [fitted(reason) for reason in reasons], list(kinds)],
        )
        entries = cursor.fetchall()
        for name, target in LINK_TABLES:
            links = getattr(Initiative, name).through._meta.db_table
            copies = getattr(history, name).model._meta.db_table
            cursor.execute(
                f"""
                INSERT INTO {copies} (history_id, id, initiative_id, {target})
                SELECT e.history_id, l.id, l.initiative_id, l.{target}
                  FROM {links} AS l
                  JOIN unnest(%s::bigint[], %s::bigint[]) AS e(id, history_id) ON e.id = l.initiative_id
                """,
                [[record for record, _entry in entries], [entry for _record, entry in entries]])


# -- the register's version ---------------------------------------------------------------------------


@functools.cache
def _last_change_sql() -> tuple[str, type[models.Model]]:
    # Built once: each `Model.history` access makes a new manager class (half a millisecond), and
    # the version is read on every anonymous request that the response caches answer.
    histories = [model.history.model for model in (Initiative, Partner, Partnership, YearlyFigures,
                                                   SocialValueEvidence)]
    latest = [f"(SELECT max(history_date) FROM {history._meta.db_table})" for history in histories]
    # And the prepared documents: a change that leaves no history (a vocabulary's label, an area's
    # name) changes the documents that show it, and so the version.
    latest.append(f"(SELECT max(prepared_at) FROM {InitiativeDocument._meta.db_table})")
    return f"SELECT GREATEST({', '.join(latest)})", histories[0]  # GREATEST skips NULLs in PostgreSQL


def last_change() -> datetime.datetime | None:
    """When anything in the register last changed (created, updated or deleted), from the history and
    the prepared documents."""
    statement, history = _last_change_sql()
    # Read where the request reads its data (a replica, see config/replicas.py): a version from the
    # primary with data from a replica that lags behind would file old answers under a new key.
    with connections[router.db_for_read(history)].cursor() as cursor:
        cursor.execute(statement)
        row = cursor.fetchone()
        return row[0] if row else None


# -- reading versions -----------------------------------------------------------------------------------

EMPTY = "—"
# Degrees: about a centimetre. Two points closer than this are the same point.
POINT_TOLERANCE = 1e-7


def version_fields() -> list[str]:
    """The fields a history entry holds and a revert or restore puts back (areas follow the point)."""
    return [f.attname for f in Initiative._meta.concrete_fields
            if f.name not in ("id", "municipality", "province", "created_at", "updated_at")]


class Links(TypedDict, total=False):
    """Services and funding sources by id, as actions.save_edit takes them (none given: left as they are)."""

    services: list[int]
    funding_sources: list[int]


def links_of(version: Any) -> Links:
    """Services and funding sources as a history entry recorded them."""
    return {"services": [row.service_id for row in version.services.all()],
            "funding_sources": [row.fundingsource_id for row in version.funding_sources.all()]}


def same_value(old: Any, new: Any) -> bool:
    if isinstance(old, Point) and isinstance(new, Point):
        return bool(old.equals_exact(new, tolerance=POINT_TOLERANCE))
    return bool(old == new)


def value_text(field: Any, value: Any) -> str:
    """A stored value of a field (by its attname's value: an id for a relation) as a maintainer reads it,
    in the reader's language."""
    if value in ("", None):
        return EMPTY
    if getattr(field, "choices", None):
        return str(dict(field.flatchoices).get(value, value))
    if field.many_to_one:
        related = field.related_model._default_manager.filter(pk=value).first()
        return str(related) if related is not None else f"#{value}"
    if isinstance(value, Point):
        return f"{value.y:.6f}, {value.x:.6f}"
    if isinstance(value, datetime.datetime):
        return formats.date_format(timezone.localtime(value), "DATETIME_FORMAT")
    if isinstance(value, datetime.date):
        return formats.date_format(value, "DATE_FORMAT")
    return str(value)


def field_text(record: Any, name: str) -> str:
    """A field of a record or of a history entry, by name, as a maintainer reads it."""
    field = Initiative.field_named(name)
    return value_text(field, getattr(record, field.attname))


def period_text(start: str, end: str) -> str:
    """A partnership's period: "2020–2022", "2020–…" while it lasts."""
    if not start and not end:
        return EMPTY
    return f"{start or '…'}–{end or '…'}"


# -- partnerships in an initiative's history -------------------------------------------------------------

PARTNERSHIP_FIELDS = ("partner", "role", "start", "end", "note")


class PartnershipChangeKind:
    ADDED, CHANGED, REMOVED = "added", "changed", "removed"
    LABELS = {ADDED: pgettext_lazy("partnership", "added"), CHANGED: pgettext_lazy("partnership", "changed"),
              REMOVED: pgettext_lazy("partnership", "removed")}


@dataclass(frozen=True)
class PartnershipChange:
    """A partnership that came, changed or went, as a maintainer reads it: partner, role and period (as
    they were before, for one that went), and for a change each field before and after."""

    kind: str
    partner: str
    role: str
    period: str
    note: str = ""
    changes: tuple[tuple[str, str, str], ...] = ()  # (field, before, after)

    @property
    def label(self) -> str:
        return str(PartnershipChangeKind.LABELS[self.kind])


class _Texts:
    """Names of partners (also of deleted ones, from their history) and roles, looked up once."""

    def __init__(self, partner_ids: set[int]) -> None:
        self.partners = dict(Partner.objects.filter(pk__in=partner_ids).values_list("pk", "name"))
        gone = partner_ids - set(self.partners)
        if gone:
            for pk, name in (Partner.history.model.objects
                             .filter(id__in=gone).order_by("id", "history_id").values_list("id", "name")):
                self.partners[pk] = name  # the last name it had
        self.roles = {role.pk: str(role) for role in PartnershipRole.objects.all()}

    def of(self, entry: Any, name: str) -> str:
        value = getattr(entry, f"{name}_id" if name in ("partner", "role") else name)
        if name == "partner":
            return self.partners.get(value, f"#{value}")
        if name == "role":
            return self.roles.get(value, f"#{value}")
        return value or EMPTY

    def change(self, kind: str, entry: Any, changes: tuple[tuple[str, str, str], ...] = ()) -> PartnershipChange:
        return PartnershipChange(kind, self.of(entry, "partner"), self.of(entry, "role"),
                                 period_text(entry.start, entry.end), entry.note, changes)


def _partnership_field_label(name: str) -> str:
    return str(next(field for field in Partnership._meta.concrete_fields if field.name == name).verbose_name)


@dataclass(frozen=True)
class _Step:
    """One history entry of a partnership, read as what it did to this initiative's partnerships."""

    entry: Any
    previous: Any | None
    here: bool  # the partnership belongs to this initiative after the entry
    was_here: bool


def _partnership_steps(initiative_id: int) -> list[_Step]:
    """Every history entry of the partnerships that ever belonged to this initiative, oldest first."""
    history = Partnership.history.model
    ids = history.objects.filter(initiative_id=initiative_id).values("id")
    steps: list[_Step] = []
    previous: dict[int, Any] = {}
    for entry in history.objects.filter(id__in=ids).order_by("history_date", "history_id"):
        before = previous.get(entry.id)
        previous[entry.id] = entry
        steps.append(_Step(entry, before, here=entry.history_type != "-" and entry.initiative_id == initiative_id,
                           was_here=before is not None and before.history_type != "-"
                           and before.initiative_id == initiative_id))
    return steps


def _versions_of(initiative_id: int) -> list[tuple[int, datetime.datetime]]:
    history = Initiative.history.model
    return list(history.objects.filter(id=initiative_id).order_by("history_date", "history_id")
                .values_list("history_id", "history_date"))


def _version_of_step(versions: list[tuple[int, datetime.datetime]], step: _Step) -> int | None:
    """The version of the initiative a partnership's entry belongs to: the one written at the same
    moment (registry.actions gives an edit's partnership entries the moment of its version), or for a
    partnership changed outside the actions (a shell, demo data written in bulk) the latest version
    before it."""
    found = None
    for history_id, date in versions:
        if date > step.entry.history_date:
            break
        found = history_id
    return found if found is not None else (versions[0][0] if versions else None)


def partnership_changes(initiative_id: int) -> dict[int, list[PartnershipChange]]:
    """The partnerships each version of an initiative added, changed or removed, by the version's
    history_id: partner, role and period, and for a change each field before and after."""
    steps = _partnership_steps(initiative_id)
    if not steps:
        return {}
    versions = _versions_of(initiative_id)
    texts = _Texts({step.entry.partner_id for step in steps}
                   | {step.previous.partner_id for step in steps if step.previous is not None})
    found: dict[int, list[PartnershipChange]] = {}
    for step in steps:
        change: PartnershipChange | None = None
        if step.here and not step.was_here:
            change = texts.change(PartnershipChangeKind.ADDED, step.entry)
        elif step.was_here and not step.here:
            change = texts.change(PartnershipChangeKind.REMOVED, step.previous)
        elif step.here:
            fields = tuple((_partnership_field_label(name), texts.of(step.previous, name), texts.of(step.entry, name))
                           for name in PARTNERSHIP_FIELDS
                           if texts.of(step.previous, name) != texts.of(step.entry, name))
            if fields:
                change = texts.change(PartnershipChangeKind.CHANGED, step.entry, fields)
        version = _version_of_step(versions, step)
        if change is not None and version is not None:
            found.setdefault(version, []).append(change)
    return found


def partnerships_at(initiative_id: int, history_id: int) -> list[Any]:
    """The partnerships an initiative had in one of its versions, as history entries of the partnerships
    (the changes that belong to that version included: see _version_of_step)."""
    versions = _versions_of(initiative_id)
    order = {version: index for index, (version, _date) in enumerate(versions)}
    last: dict[int, _Step] = {}
    for step in _partnership_steps(initiative_id):
        version = _version_of_step(versions, step)
        if version is not None and order[version] <= order.get(history_id, -1):
            last[step.entry.id] = step
    return [step.entry for step in last.values() if step.here]


# -- what a revert changes -----------------------------------------------------------------------------

# A revert puts the record back as it was; who looks after it now is not part of that.
REVERT_KEEPS = {"assigned_to_id"}


@dataclass(frozen=True)
class FieldChange:
    name: str
    label: str
    now: str
    then: str


@dataclass
class RevertPlan:
    """Everything reverting an initiative to one of its versions changes, to show before it is done
    (registry.actions.revert applies exactly this): fields, services, funding sources, partnerships."""

    version: Any
    values: dict[str, Any]  # attname: value, for the fields that change
    fields: list[FieldChange]
    services: list[int]
    services_added: list[str]
    services_removed: list[str]
    funding_sources: list[int]
    funding_added: list[str]
    funding_removed: list[str]
    partnerships: list[PartnershipChange]
    partnerships_saved: list[Partnership]
    partnerships_deleted: list[Partnership]
    # Partnerships of that version whose partner was deleted since: they cannot come back.
    partnerships_lost: list[PartnershipChange]

    def __bool__(self) -> bool:
        return bool(self.fields or self.services_added or self.services_removed or self.funding_added
                    or self.funding_removed or self.partnerships)


def _labels(model: type[models.Model], ids: set[int]) -> list[str]:
    return [str(term) for term in model._default_manager.filter(pk__in=ids)]


def revert_plan(initiative_id: int, version: Any) -> RevertPlan:
    """What reverting the stored initiative to `version` (one of its history entries) would change."""
    current = Initiative.objects.get(pk=initiative_id)
    values, fields = {}, []
    for attname in version_fields():
        if attname in REVERT_KEEPS:
            continue
        then, now = getattr(version, attname), getattr(current, attname)
        if not same_value(now, then):
            field = next(f for f in Initiative._meta.concrete_fields if f.attname == attname)
            values[attname] = then
            fields.append(FieldChange(field.name, str(field.verbose_name), value_text(field, now),
                                      value_text(field, then)))
    links = links_of(version)
    services_now = set(current.services.values_list("pk", flat=True))
    funding_now = set(current.funding_sources.values_list("pk", flat=True))
    services_then, funding_then = set(links["services"]), set(links["funding_sources"])

    target = {entry.id: entry for entry in partnerships_at(initiative_id, version.history_id)}
    present = {link.pk: link for link in current.partnerships.all()}
    texts = _Texts({entry.partner_id for entry in target.values()} | {link.partner_id for link in present.values()})
    live_partners = set(Partner.objects.filter(pk__in=[e.partner_id for e in target.values()])
                        .values_list("pk", flat=True))
    taken_ids = set(Partnership.objects.filter(pk__in=[pk for pk in target if pk not in present])
                    .values_list("pk", flat=True))
    changes, saved, deleted, lost = [], [], [], []
    for pk, link in present.items():
        if pk not in target:
            deleted.append(link)
            changes.append(texts.change(PartnershipChangeKind.REMOVED, link))
    for pk, entry in target.items():
        if pk in present:
            link = present[pk]
            differs = tuple((_partnership_field_label(name), texts.of(link, name), texts.of(entry, name))
                            for name in PARTNERSHIP_FIELDS if texts.of(link, name) != texts.of(entry, name))
            if differs:
                for name in PARTNERSHIP_FIELDS:
                    attname = f"{name}_id" if name in ("partner", "role") else name
                    setattr(link, attname, getattr(entry, attname))
                saved.append(link)
                changes.append(texts.change(PartnershipChangeKind.CHANGED, entry, differs))
        elif entry.partner_id not in live_partners:
            lost.append(texts.change(PartnershipChangeKind.ADDED, entry))
        else:
            saved.append(Partnership(pk=None if pk in taken_ids else pk, initiative_id=initiative_id,
                                     partner_id=entry.partner_id, role_id=entry.role_id, start=entry.start,
                                     end=entry.end, note=entry.note))
            changes.append(texts.change(PartnershipChangeKind.ADDED, entry))
    return RevertPlan(
        version=version, values=values, fields=fields,
        services=sorted(services_then), services_added=_labels(Service, services_then - services_now),
        services_removed=_labels(Service, services_now - services_then),
        funding_sources=sorted(funding_then), funding_added=_labels(FundingSource, funding_then - funding_now),
        funding_removed=_labels(FundingSource, funding_now - funding_then),
        partnerships=changes, partnerships_saved=saved, partnerships_deleted=deleted, partnerships_lost=lost)
