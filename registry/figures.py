"""Yearly figures of initiatives: the one way they are saved (for one record and for a file of many),
the indicators of one initiative, what of them is public, and the ONE aggregation every audience
uses for figures over several initiatives (the monitor, statistics, the API, open data).

Privacy (docs/figures.md): an initiative's amounts are public only for the years it agreed to
(`YearlyFigures.public`). `aggregate` sums consented figures only, so an unconsented figure never
enters any published number, and no subtraction of one published aggregate from another (an area
against its parts, a year against the next, one filter against another) can bring it back; and it
never answers over fewer than MIN_GROUP initiatives (a measure filled in by fewer is withheld).
"""

from __future__ import annotations

import datetime
import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.contrib.auth.models import User
from django.db import transaction
from django.db.models import Count, F, Q, QuerySet, Sum
from django.utils import timezone

from registry.history import Reasons
from registry.models import (
    AMOUNT_FIELDS,
    INCOME_FIELDS,
    Initiative,
    PublicationState,
    SocialValueEvidence,
    YearlyFigures,
)

# No published aggregate is made over fewer initiatives than this.
MIN_GROUP = 5
# The measures `aggregate` sums besides the income per source.
SUMMED = ["expenses", "volunteers", "paid_staff_fte", "people_reached", "work_places"]
# What a maintainer or a file may set (the consent's who, when and how are set by `store`).
EDITABLE = ["year", *INCOME_FIELDS, "commissioning_partner_id", "expenses", "volunteers", "paid_staff_fte",
            "people_reached", "work_places", "members", "household_share", "premises", "public", "source"]


# -- saving: one path for one record and for many -----------------------------------------------------


# What the public sees of a consented year (public_document): every editable field but the source note.
SHOWN = [name for name in EDITABLE if name != "source"]


@dataclass
class Stored:
    created: list[YearlyFigures] = field(default_factory=list)
    updated: list[YearlyFigures] = field(default_factory=list)
    unchanged: list[YearlyFigures] = field(default_factory=list)
    # The initiatives whose public figures changed: a consented year added, changed, or its consent given
    # or withdrawn. Only these are a change of the public record (registry.actions tells the change feed).
    shown_changed: set[int] = field(default_factory=set)


def changes_what_is_shown(before: YearlyFigures | None, after: YearlyFigures) -> bool:
    """Whether saving `after` over `before` changes what the public sees: never for a year that is not
    consented before nor after (its amounts are shown nowhere, so no one learns it changed)."""
    if before is None:
        return after.public
    if not (before.public or after.public):
        return False
    return before.public != after.public or not all(same_value(getattr(before, name), getattr(after, name))
                                                    for name in SHOWN)


def store(records: Sequence[YearlyFigures], *, acting_user: User | None, reason: str = "", origin: str,
          when: datetime.datetime | None = None) -> Stored:
    """Write validated figures (new or changed), set-based: a bulk insert and a bulk update, one
    history entry each with the user and the reason. Where the consent flag is set for the first time
    or changed, who recorded it, when and how (`origin`, a ConsentOrigin) are written with it. The
    caller has validated (full_clean) and authorised (registry.actions) the records."""
    when = when or timezone.now()
    result = Stored()
    stored = {row.pk: row for row in YearlyFigures.objects.filter(pk__in=[r.pk for r in records if r.pk])}
    for record in records:
        before = stored.get(record.pk) if record.pk else None
        if before is not None and all(same_value(getattr(before, name), getattr(record, name)) for name in EDITABLE):
            result.unchanged.append(record)
            continue
        if before is None or before.public != record.public:
            record.consent_recorded_at, record.consent_recorded_by = when, acting_user
            record.consent_origin = origin
        if changes_what_is_shown(before, record):
            result.shown_changed.add(record.initiative_id)
        record.updated_at = when
        (result.created if before is None else result.updated).append(record)
    with transaction.atomic():
        for record in result.created:
            record.created_at = when
        YearlyFigures.objects.bulk_create(result.created)
        YearlyFigures.objects.bulk_update(
            result.updated, [*EDITABLE, "consent_recorded_at", "consent_recorded_by", "consent_origin", "updated_at"])
        history = YearlyFigures.history
        for records_, update, default in ((result.created, False, Reasons.CREATED),
                                          (result.updated, True, Reasons.EDITED)):
            if records_:
                history.bulk_history_create(records_, update=update, default_user=acting_user,
                                            default_change_reason=reason or default.text(), default_date=when)
    return result


def same_value(old: Any, new: Any) -> bool:
    if isinstance(old, Decimal) or isinstance(new, Decimal):
        return (old is None and new is None) or (old is not None and new is not None
                                                 and Decimal(str(old)) == Decimal(str(new)))
    return bool(old == new)


# -- one initiative: indicators, and what is public ----------------------------------------------------


@dataclass(frozen=True)
class Indicators:
    year: int
    income_total: int | None
    subsidy_share: float | None  # 0–1 of the income
    commission_share: float | None
    income_sources: int  # sources with an amount above 0
    change: float | None  # of the income against the year before (0.1 = 10% more), when both are known


def indicators(rows: Sequence[YearlyFigures]) -> list[Indicators]:
    """The indicators of each year of `rows` (one initiative's figures). The change from the year before
    is computed only against a year among `rows`: given only the public years, it never reveals a year
    that is not public."""
    by_year = {row.year: row for row in rows}
    found = []
    for row in sorted(rows, key=lambda r: r.year):
        total = row.income_total
        previous = by_year.get(row.year - 1)
        before = previous.income_total if previous is not None else None
        found.append(Indicators(
            year=row.year, income_total=total,
            subsidy_share=(row.income_subsidy or 0) / total if total else None,
            commission_share=(row.income_commissions or 0) / total if total else None,
            income_sources=sum(1 for amount in row.income_by_source().values() if amount),
            change=(total - before) / before if total is not None and before else None))
    return found


def _public_years(ids: Sequence[int]) -> QuerySet[YearlyFigures]:
    return (YearlyFigures.objects.filter(initiative_id__in=ids, public=True,
                                         initiative__publication_state=PublicationState.PUBLISHED)
            .select_related("commissioning_partner").order_by("initiative_id", "year"))


def public_figures(initiative: Initiative | int) -> list[YearlyFigures]:
    """The years of an initiative whose figures it agreed to publish, oldest first (none for a record
    that is not published)."""
    return list(_public_years([initiative.pk if isinstance(initiative, Initiative) else initiative]))


def _number(value: Any) -> Any:
    if isinstance(value, Decimal):
        return float(value)
    return value


def _years_document(rows: Sequence[YearlyFigures]) -> list[dict[str, Any]]:
    """One initiative's public years as the API's detail document shows them (`yearlyFigures`): amounts
    in euros by funding-source code, people and places, and the indicators."""
    found = []
    for row, shown in zip(rows, indicators(rows), strict=True):
        partner = row.commissioning_partner
        found.append({
            "year": row.year,
            "income": {code: getattr(row, name) for name, code in INCOME_FIELDS.items()},
            "incomeTotal": row.income_total,
            "commissioningPartner": {"slug": partner.slug, "name": partner.name} if partner is not None else None,
            "expenses": row.expenses,
            "volunteers": row.volunteers, "paidStaffFte": _number(row.paid_staff_fte),
            "peopleReached": row.people_reached, "workPlaces": row.work_places, "members": row.members,
            "householdShare": _number(row.household_share), "premises": row.premises,
            "indicators": {"subsidyShare": _rounded(shown.subsidy_share),
                           "commissionShare": _rounded(shown.commission_share),
                           "incomeSources": shown.income_sources,
                           "changeFromPreviousYear": _rounded(shown.change)},
        })
    return found


def public_document(initiative_id: int) -> list[dict[str, Any]]:
    """The public years of one initiative as the API's detail document shows them (`yearlyFigures`)."""
    return _years_document(public_figures(initiative_id))


def _rounded(value: float | None) -> float | None:
    return round(value, 4) if value is not None else None


# -- evidence of social value: public with its published initiative --------------------------------------
#
# Evidence is shown without a consent of its own (docs/figures.md): it is not an amount of the
# initiative's own money but a finding about what it brings, mostly from a report that is public
# already, recorded so that funders and municipalities can see it. The model has no consent flag; a
# record that may not be shown is not entered. Shown only while the initiative is published.

# What the public sees of a piece of evidence (a change to any of these is a change of the public record).
EVIDENCE_SHOWN = ["initiative_id", "method", "year", "result", "figure", "assessed_by", "report_url"]


def _public_evidence(ids: Sequence[int]) -> QuerySet[SocialValueEvidence]:
    return SocialValueEvidence.objects.filter(
        initiative_id__in=ids, initiative__publication_state=PublicationState.PUBLISHED,
    ).order_by("initiative_id", "-year", "pk")


def public_evidence(initiative: Initiative | int) -> list[SocialValueEvidence]:
    """The evidence of a published initiative's social value, newest first (none for a record that is
    not published)."""
    return list(_public_evidence([initiative.pk if isinstance(initiative, Initiative) else initiative]))


def _evidence_item(row: SocialValueEvidence) -> dict[str, Any]:
    return {"year": row.year, "method": row.method, "result": row.result, "figure": _number(row.figure),
            "assessedBy": row.assessed_by, "reportUrl": row.report_url}


def evidence_document(initiative_id: int) -> list[dict[str, Any]]:
    """The evidence as the API's detail document shows it (`socialValueEvidence`)."""
    return [_evidence_item(row) for row in public_evidence(initiative_id)]


def _member(value: Any) -> str:
    # As DRF's JSONRenderer writes it (compact, UTF-8, the two line separators JavaScript cannot take
    # escaped), so the prepared members are byte for byte what the detail serializer makes.
    text = json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    return text.replace("\u2028", "\\u2028").replace("\u2029", "\\u2029")


def detail_members(yearly: list[dict[str, Any]], evidence: list[dict[str, Any]]) -> str:
    """What only the API's detail record has, as its last JSON members (additive: the published
    contract grows without changing)."""
    return f'"yearlyFigures":{_member(yearly)},"socialValueEvidence":{_member(evidence)}'


# The detail members of an initiative that shows neither figures nor evidence.
NO_DETAIL_MEMBERS = detail_members([], [])


def shown_members(ids: Sequence[int]) -> dict[int, str]:
    """detail_members of each of these initiatives that shows public figures or evidence, in two
    queries: for the read model (registry.documents prepares them when the record or its figures
    change, so a read of the detail runs no Python per record)."""
    years: dict[int, list[YearlyFigures]] = {}
    for row in _public_years(ids):
        years.setdefault(row.initiative_id, []).append(row)
    evidence: dict[int, list[SocialValueEvidence]] = {}
    for item in _public_evidence(ids):
        evidence.setdefault(item.initiative_id, []).append(item)
    return {pk: detail_members(_years_document(years.get(pk, [])),
                               [_evidence_item(item) for item in evidence.get(pk, [])])
            for pk in sorted({*years, *evidence})}


# -- many initiatives: the one aggregation -----------------------------------------------------------------


@dataclass(frozen=True)
class Aggregate:
    """Figures of a group of published initiatives for one year. `initiatives` counts the group and
    `reporting` those with figures for the year (counts are not sensitive); `contributing` those whose
    figures are public, the only ones summed. A measure is None when fewer than MIN_GROUP initiatives
    contribute to it; `published` is False (and every measure None) when fewer contribute at all.
    `income_total` is the total of the income sources shown (a withheld source is not in it)."""

    year: int
    initiatives: int
    reporting: int
    contributing: int
    published: bool
    income: dict[str, int | None]  # by funding-source code
    income_total: int | None
    measures: dict[str, int | float | None]  # SUMMED
    contributors: dict[str, int]  # how many initiatives each measure sums

    def share(self, code: str) -> float | None:
        amount = self.income.get(code)
        return amount / self.income_total if amount is not None and self.income_total else None


def _sums() -> dict[str, Any]:
    names = [*INCOME_FIELDS, *SUMMED]
    return {"reporting": Count("pk"), "contributing": Count("pk", filter=Q(public=True)),
            **{f"sum_{name}": Sum(name, filter=Q(public=True)) for name in names},
            **{f"n_{name}": Count(name, filter=Q(public=True)) for name in names}}


def _aggregate(year: int, initiatives: int, totals: dict[str, Any]) -> Aggregate:
    """The rules, applied to the sums of one group (of consented figures only: _sums)."""
    contributing = totals.get("contributing") or 0
    published = contributing >= MIN_GROUP

    def kept(name: str) -> Any:
        if not published or totals[f"n_{name}"] < MIN_GROUP:
            return None
        return _number(totals[f"sum_{name}"])

    income = {code: kept(name) for name, code in INCOME_FIELDS.items()}
    # The total of the sources shown: a source withheld (fewer than MIN_GROUP initiatives) is not in it,
    # or the total minus the shown sources would give it away.
    shown = [amount for amount in income.values() if amount is not None]
    return Aggregate(
        year=year, initiatives=initiatives, reporting=totals.get("reporting") or 0, contributing=contributing,
        published=published, income=income, income_total=sum(shown) if shown else None,
        measures={name: kept(name) for name in SUMMED},
        contributors={name: totals[f"n_{name}"] for name in [*INCOME_FIELDS, *SUMMED]} if published else {})


def aggregate(initiatives: QuerySet[Initiative], year: int) -> Aggregate:
    """The figures of `initiatives` (any filter of the register; only its published records count)
    for `year`: consented figures only, never over fewer than MIN_GROUP initiatives. The only function
    that may sum figures of several initiatives for anyone outside the network."""
    published = initiatives.filter(publication_state=PublicationState.PUBLISHED).order_by()
    totals = YearlyFigures.objects.filter(year=year, initiative__in=published.values("pk")).aggregate(**_sums())
    return _aggregate(year, published.count(), totals)


def aggregate_by_area(initiatives: QuerySet[Initiative], year: int, area: str) -> dict[str, Aggregate]:
    """`aggregate` for each province or municipality (`area`: "province" or "municipality") of the
    initiatives, by the area's code, in two queries whatever the number of areas; the same rules hold
    for each (it is the same computation, grouped). Areas without published initiatives are left out."""
    if area not in ("province", "municipality"):
        raise ValueError(area)
    published = initiatives.filter(publication_state=PublicationState.PUBLISHED).order_by()
    counts = dict(published.exclude(**{f"{area}__isnull": True}).values_list(f"{area}__code")
                  .annotate(n=Count("pk")).values_list(f"{area}__code", "n"))
    grouped = {row.pop("code"): row for row in YearlyFigures.objects.filter(
        year=year, initiative__in=published.values("pk")).values(code=F(f"initiative__{area}__code"))
        .annotate(**_sums()).order_by()}
    empty = {name: (0 if name.startswith("n_") else None) for name in _sums()}
    return {code: _aggregate(year, count, grouped.get(code, empty)) for code, count in sorted(counts.items())}


__all__ = ["AMOUNT_FIELDS", "EDITABLE", "EVIDENCE_SHOWN", "MIN_GROUP", "NO_DETAIL_MEMBERS", "SUMMED", "Aggregate",
           "Indicators", "Stored", "aggregate", "aggregate_by_area", "detail_members", "evidence_document",
           "indicators", "public_document", "public_evidence", "public_figures", "same_value", "shown_members",
           "store"]
