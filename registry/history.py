"""The register's history: why a version was made (named reasons, shown in the reader's language),
the entries written for any set of saved records, and when anything last changed.

Each version of an initiative is a row of simple-history's table (HistoricalInitiative) with the
links (services, funding sources) as they were. Our own code writes them in one way, for one record
or for many (write_entries, called by registry.saving); simple-history's signals only write entries
for saves outside the actions (a shell), and for partners and partnerships.

A reason is stored as English text made from a template (`Reason.STOPPED.text(reason="menskracht")`
gives "stopped: menskracht"): stable, readable in the database and in exports, and matched back to
its template to be shown translated (`describe`). Several reasons of one save are joined by "; ".
"""

from __future__ import annotations

import datetime
import functools
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.contrib.gis.db import models
from django.db import connection, connections, router
from django.utils.functional import Promise
from django.utils.translation import pgettext_lazy

from registry.models import (
    Initiative,
    InitiativeDocument,
    Partner,
    Partnership,
    PublicationState,
    StopReason,
    VerificationMethod,
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
    IMPORTED = Reason("import ({source}): {change}", pgettext_lazy("history reason", "import ({source}): {change}"))
    DEMO = Reason("demo data", pgettext_lazy("history reason", "demo data"))

    @classmethod
    def all(cls) -> list[Reason]:
        return [value for value in vars(cls).values() if isinstance(value, Reason)]


# Codes inside a reason, shown by their labels.
_CODE_LABELS: dict[str, type[models.TextChoices]] = {
    "reason": StopReason, "method": VerificationMethod}
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
    return SEPARATOR.join(_describe_one(part) for part in stored.split(SEPARATOR))


def _describe_one(text: str) -> str:
    for reason in Reasons.all():
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
    fields = [f for f in Initiative._meta.concrete_fields if f.name != "search_vector"]
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
    histories = [model.history.model for model in (Initiative, Partner, Partnership)]
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
