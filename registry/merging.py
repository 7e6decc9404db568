"""What merging two records of one initiative does, worked out before it is done: the comparison,
the choice of which value to keep per field, and the undo.

`plan` says what a merge will do (the values of the kept record, the links it takes over, the old
addresses that will lead to it); registry.actions.merge applies exactly that plan and stores what it
did on the Merge (`MergeDone`), so that `undo_plan` can say, and registry.actions.undo_merge can
do, exactly the reverse for MERGE_UNDO_DAYS days: the removed record comes back with its links and
its old address, and the kept record loses what the merge gave it (where nobody changed it since).
"""

from __future__ import annotations

import datetime
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from typing import Any

from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from registry.history import EMPTY, field_text, same_value, value_text
from registry.models import (
    FundingSource,
    Initiative,
    Merge,
    Partnership,
    Service,
    SlugAlias,
    Suggestion,
    SuggestionState,
)

KEPT, REMOVED = "kept", "removed"


@dataclass(frozen=True)
class FieldGroup:
    """Fields that are taken together from one record or the other (an address with its point)."""

    key: str
    names: tuple[str, ...]
    label: Any = None  # the first field's label unless given

    @property
    def title(self) -> str:
        return str(self.label or Initiative.field_named(self.names[0]).verbose_name)

    @property
    def attnames(self) -> list[str]:
        return [Initiative.field_named(name).attname for name in self.names]

    def values(self, record: Initiative) -> list[Any]:
        return [getattr(record, attname) for attname in self.attnames]

    def is_empty(self, record: Initiative) -> bool:
        return all(value in ("", None) for value in self.values(record))

    def text(self, record: Initiative) -> str:
        parts = [field_text(record, name) for name in self.names if name != "location_precision"]
        parts = [part for part in parts if part != EMPTY]
        return ", ".join(parts) or EMPTY

    def differs(self, first: Initiative, second: Initiative) -> bool:
        return not all(same_value(a, b) for a, b in zip(self.values(first), self.values(second), strict=True))


# Every field a maintainer chooses between, in the order of the comparison. The slug is the kept
# record's (the other's becomes an old address); areas follow the point; an external id belongs to
# the source it came from, so it goes with the source.
GROUPS: tuple[FieldGroup, ...] = (
    FieldGroup("name", ("name",)),
    FieldGroup("kind", ("kind",)),
    FieldGroup("short_description", ("short_description",)),
    FieldGroup("description", ("description",)),
    FieldGroup("legal_form", ("legal_form",)),
    FieldGroup("kvk_number", ("kvk_number",)),
    FieldGroup("founded_year", ("founded_year",)),
    FieldGroup("status", ("status", "stopped_on", "stop_reason")),
    FieldGroup("address", ("street", "house_number", "postcode", "place", "location", "location_precision"),
               gettext_lazy("address and location")),
    FieldGroup("website", ("website",)),
    FieldGroup("email", ("email",)),
    FieldGroup("phone", ("phone",)),
    FieldGroup("volunteers", ("volunteers",)),
    FieldGroup("paid_staff", ("paid_staff",)),
    FieldGroup("reach_per_week", ("reach_per_week",)),
    FieldGroup("publication_state", ("publication_state",)),
    FieldGroup("provenance", ("source", "source_url", "external_id"), gettext_lazy("source")),
    FieldGroup("verification", ("last_verified_on", "verification_method"), gettext_lazy("last verified")),
    FieldGroup("assigned_to", ("assigned_to",)),
)
BY_KEY = {group.key: group for group in GROUPS}
ADDRESS_TEXT = ("street", "house_number", "postcode", "place")


def default_take(kept: Initiative, removed: Initiative) -> dict[str, str]:
    """Which record each group comes from unless the maintainer chooses: the kept record's own values,
    the other's where the kept record has none (an address only when it has no street, number,
    postcode or place), and the newer verification."""
    take = {}
    for group in GROUPS:
        source = KEPT
        if group.key == "verification":
            if removed.last_verified_on and (not kept.last_verified_on
                                             or removed.last_verified_on > kept.last_verified_on):
                source = REMOVED
        elif group.key == "address":
            if (all(getattr(kept, name) in ("", None) for name in ADDRESS_TEXT)
                    and any(getattr(removed, name) not in ("", None) for name in ADDRESS_TEXT)):
                source = REMOVED
        elif group.key in ("name", "kind", "status", "publication_state", "provenance"):
            source = KEPT  # always set on both; the kept record's unless chosen otherwise
        elif group.is_empty(kept) and not group.is_empty(removed):
            source = REMOVED
        take[group.key] = source
    return take


@dataclass(frozen=True)
class Row:
    """One line of the comparison: both values, whether they differ, and which the merge keeps."""

    key: str
    label: str
    kept: str
    removed: str
    differs: bool
    take: str

    @property
    def result(self) -> str:
        return self.kept if self.take == KEPT else self.removed


@dataclass
class MergePlan:
    kept: Initiative
    removed: Initiative
    take: dict[str, str]
    rows: list[Row]
    services_added: list[Service]
    funding_added: list[FundingSource]
    partnerships_moved: list[Partnership]  # new partnerships of the kept record (not saved yet)
    partnerships_present: list[Partnership]  # the removed record's that the kept one has already
    old_slugs: list[str]  # the addresses that will lead to the kept record
    external_id: str | None  # taken with the record of the same source (None: unchanged)
    suggestions: int
    merges: int

    def apply_fields(self) -> list[str]:
        """Set the chosen values on the kept record; returns the attnames that changed."""
        changed = []
        for group in GROUPS:
            if self.take[group.key] != REMOVED:
                continue
            for attname in group.attnames:
                value = getattr(self.removed, attname)
                if not same_value(getattr(self.kept, attname), value):
                    setattr(self.kept, attname, value)
                    changed.append(attname)
        if self.external_id is not None:
            self.kept.external_id = self.external_id
            changed.append("external_id")
        if any(name in changed for name in ("location", "postcode")):
            self.kept._location_basis = None  # the point and its precision as the other record had them
        return changed


def plan(kept: Initiative, removed: Initiative, take: Mapping[str, str] | None = None) -> MergePlan:
    """What merging `removed` into `kept` does, with the values chosen per group in `take` (group key:
    "kept" or "removed"; groups not named keep their default)."""
    chosen = default_take(kept, removed)
    for key, source in (take or {}).items():
        if key not in BY_KEY or source not in (KEPT, REMOVED):
            raise ValueError(f"Not a choice of a merge: {key}={source}")
        chosen[key] = source
    rows = [Row(group.key, group.title, group.text(kept), group.text(removed), group.differs(kept, removed),
                chosen[group.key]) for group in GROUPS]
    external_id = None
    if (chosen["provenance"] == KEPT and not kept.external_id and removed.external_id
            and kept.source == removed.source):
        external_id = removed.external_id  # an external id of the same list goes with the record
    services_kept = set(kept.services.values_list("pk", flat=True))
    funding_kept = set(kept.funding_sources.values_list("pk", flat=True))
    present = {(link.partner_id, link.role_id, link.start) for link in kept.partnerships.all()}
    moved, already = [], []
    for link in removed.partnerships.select_related("partner", "role"):
        if (link.partner_id, link.role_id, link.start) in present:
            already.append(link)
        else:
            moved.append(Partnership(initiative=kept, partner=link.partner, role=link.role, start=link.start,
                                     end=link.end, note=link.note))
    return MergePlan(
        kept=kept, removed=removed, take=chosen, rows=rows,
        services_added=list(removed.services.exclude(pk__in=services_kept)),
        funding_added=list(removed.funding_sources.exclude(pk__in=funding_kept)),
        partnerships_moved=moved, partnerships_present=already,
        old_slugs=[*SlugAlias.objects.filter(initiative=removed).values_list("slug", flat=True), removed.slug],
        external_id=external_id,
        suggestions=Suggestion.objects.filter(initiative=removed).count(),
        merges=Merge.objects.filter(kept=removed, undone_at__isnull=True).count())


# -- what a merge did, and its undo --------------------------------------------------------------------


@dataclass
class MergeDone:
    """What a merge changed, stored on its Merge (`details`) for the undo."""

    kept_before: int  # history_id of the kept record's version before the merge
    kept_after: int  # ... and of the version the merge wrote
    removed_deletion: int  # history_id of the removed record's deletion
    fields: list[str]  # attnames of the kept record the merge changed
    services_added: list[int]
    funding_added: list[int]
    partnerships_added: list[int]
    old_slugs: list[str]
    merges_moved: list[int]
    suggestions_moved: list[int]

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> MergeDone:
        return cls(**data)


def undo_until(merge: Merge) -> datetime.datetime:
    return merge.merged_at + datetime.timedelta(days=settings.MERGE_UNDO_DAYS)


@dataclass
class UndoPlan:
    merge: Merge
    done: MergeDone | None
    problem: str  # why it cannot be undone ("" when it can)
    kept: Initiative | None = None
    removed_version: Any = None  # the removed record's last version, as it comes back
    values: dict[str, Any] = field(default_factory=dict)  # attname: value put back on the kept record
    fields: list[tuple[str, str, str]] = field(default_factory=list)  # (label, now, back to)
    fields_kept: list[str] = field(default_factory=list)  # labels of fields changed since the merge
    services_removed: list[Service] = field(default_factory=list)
    funding_removed: list[FundingSource] = field(default_factory=list)
    partnerships_removed: list[Partnership] = field(default_factory=list)
    suggestions: list[int] = field(default_factory=list)

    @property
    def possible(self) -> bool:
        return not self.problem


def undo_plan(merge: Merge, now: datetime.datetime | None = None) -> UndoPlan:
    """What undoing a merge does now, or why it cannot be done."""
    if merge.undone_at is not None:
        return UndoPlan(merge, None, _("This merge was undone already."))
    if not merge.details:
        return UndoPlan(merge, None, _("This merge was made before merges could be undone."))
    if (now or timezone.now()) > undo_until(merge):
        return UndoPlan(merge, None, _("A merge can be undone for %(days)d days; this one is older.")
                        % {"days": settings.MERGE_UNDO_DAYS})
    done = MergeDone.from_dict(merge.details)
    kept = Initiative.objects.filter(pk=merge.kept_id).first() if merge.kept_id is not None else None
    if kept is None:
        return UndoPlan(merge, done, _("The kept record was deleted since; restore it first."))
    if Initiative.objects.filter(pk=merge.removed_id).exists():
        return UndoPlan(merge, done, _("The removed record exists again."))
    history = Initiative.history.model
    before = history.objects.filter(history_id=done.kept_before).first()
    after = history.objects.filter(history_id=done.kept_after).first()
    removed_version = (history.objects.filter(id=merge.removed_id, history_id__lt=done.removed_deletion)
                       .order_by("-history_id").first())
    if before is None or after is None or removed_version is None:
        return UndoPlan(merge, done, _("The history of these records is incomplete."))
    result = UndoPlan(merge, done, "", kept=kept, removed_version=removed_version)
    for attname in done.fields:
        field_ = next(f for f in Initiative._meta.concrete_fields if f.attname == attname)
        now_value, merged, previous = getattr(kept, attname), getattr(after, attname), getattr(before, attname)
        if attname == "location_precision":
            if same_value(now_value, merged):
                result.values[attname] = previous  # goes with the point, not shown on its own
            continue
        if same_value(now_value, merged):
            result.values[attname] = previous
            result.fields.append((str(field_.verbose_name), value_text(field_, now_value),
                                  value_text(field_, previous)))
        else:
            result.fields_kept.append(str(field_.verbose_name))
    if "location" not in result.values:
        result.values.pop("location_precision", None)
    result.services_removed = list(kept.services.filter(pk__in=done.services_added))
    result.funding_removed = list(kept.funding_sources.filter(pk__in=done.funding_added))
    result.partnerships_removed = list(kept.partnerships.filter(pk__in=done.partnerships_added)
                                       .select_related("partner", "role"))
    result.suggestions = list(Suggestion.objects.filter(pk__in=done.suggestions_moved, initiative=kept,
                                                        state=SuggestionState.PENDING).values_list("pk", flat=True))
    return result
