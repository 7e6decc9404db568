"""What follows any save of initiatives, written once for one record and for ten thousand.

Whoever writes initiatives (registry.actions.save_edit for one record, the import's commit for a
list, a merge, `assign_areas` after a boundary change) writes the rows with their derived areas
(the one rule: Municipality.objects.id_for_point) and then calls `after_saving` with what it
wrote. That applies, set-based, in a fixed number of statements whatever the number of records:

1. waiting suggestions follow their record into its region, so they reach the right editors;
2. the public documents of the read model are prepared again (registry.documents);
3. one history entry per record: the acting user, the reason, the links as they now are (which
   the change feed, the register's version and every kept answer follow);
4. the search for possible duplicates of records that were created, renamed or moved.
"""

from __future__ import annotations

import datetime
from collections.abc import Sequence
from dataclasses import dataclass

from django.contrib.auth.models import User
from django.db import connection
from django.db.models import F, OuterRef, QuerySet
from django.utils import timezone

from geo.models import Municipality
from registry import documents, duplicates
from registry.history import write_entries
from registry.models import Initiative, Suggestion, SuggestionState


@dataclass(frozen=True)
class Saved:
    """One record a write created or changed, and why (a stored reason, see registry.history)."""

    id: int
    reason: str
    created: bool = False
    # Whether its name or point may have changed: only then can it have new duplicates.
    renamed_or_moved: bool = True


def after_saving(saved: Sequence[Saved], *, acting_user: User | None,
                 when: datetime.datetime | None = None) -> None:
    """The effects of saving these records (already written, with their areas), set-based."""
    if not saved:
        return
    ids = [record.id for record in saved]
    if sum(record.created for record in saved) > STATISTICS_AFTER:
        refresh_statistics()
    follow_suggestions(ids)
    documents.prepare(ids)
    write_entries(ids, [record.reason for record in saved], ["+" if record.created else "~" for record in saved],
                  user_id=acting_user.pk if acting_user is not None else None, when=when or timezone.now())
    duplicates.find_all([record.id for record in saved if record.created or record.renamed_or_moved])


# After a save that created more records than this the register's statistics are refreshed at once
# (refresh_statistics): a few hundred rows more can turn the planner's handful into thousands.
STATISTICS_AFTER = 200
# What the statements after a save of many new records filter and join the register on.
ANALYSED_COLUMNS = ("id", "name", "place", "location", "location_precision", "kvk_number", "email", "website",
                    "phone", "publication_state", "status", "municipality_id", "province_id")


def refresh_statistics() -> None:
    """Let the planner know the records just written, in this transaction. Until autovacuum counts
    them (after the commit), the register's statistics may say it holds a handful of rows (a new
    register, or a test's copy of one), and plans made for a handful go wrong by orders of
    magnitude: in two of three CI runs the duplicate search of a 3,000-row import ran for 220 s
    instead of 9, busy in its first statement. ANALYZE counts the rows its own transaction wrote;
    0.4 s at 100,000 records for these columns. Its lock keeps only VACUUM and another ANALYZE of
    the table waiting until the commit."""
    with connection.cursor() as cursor:
        cursor.execute(f"ANALYZE {Initiative._meta.db_table} ({', '.join(ANALYSED_COLUMNS)})")


def follow_suggestions(ids: Sequence[int]) -> int:
    """Waiting suggestions about these records take their record's region. Returns how many moved."""
    with connection.cursor() as cursor:
        cursor.execute(
            f"""
            UPDATE {Suggestion._meta.db_table} AS suggestion
               SET municipality_id = initiative.municipality_id, province_id = initiative.province_id
              FROM {Initiative._meta.db_table} AS initiative
             WHERE suggestion.initiative_id = initiative.id AND initiative.id = ANY(%s) AND suggestion.state = %s
               AND (suggestion.municipality_id IS DISTINCT FROM initiative.municipality_id
                    OR suggestion.province_id IS DISTINCT FROM initiative.province_id)
            """,
            [list(ids), SuggestionState.PENDING],
        )
        return cursor.rowcount


def derive_areas(queryset: QuerySet[Initiative]) -> list[int]:
    """Place every initiative of the queryset in its municipality and province by the one rule
    (Municipality.objects.id_for_point), in one UPDATE whatever the number of records, evaluated once
    per record. Only rows whose areas change are written, with a new updated_at; a point outside
    every municipality gets none. Returns the ids of the records that changed."""
    derived = queryset.order_by().annotate(
        initiative_id=F("pk"), derived_id=Municipality.objects.id_for_point(OuterRef("location")))
    derived_sql, params = derived.values("initiative_id", "derived_id").query.sql_with_params()
    table, areas = Initiative._meta.db_table, Municipality._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            # MATERIALIZED: merged into the UPDATE, the lookup would run up to four times a row.
            f"""
            WITH derived AS MATERIALIZED ({derived_sql})
            UPDATE {table} AS initiative
               SET municipality_id = derived.derived_id, province_id = area.province_id,
                   updated_at = statement_timestamp()
              FROM derived
              LEFT JOIN {areas} AS area ON area.id = derived.derived_id
             WHERE initiative.id = derived.initiative_id
               AND (initiative.municipality_id IS DISTINCT FROM derived.derived_id
                    OR initiative.province_id IS DISTINCT FROM area.province_id)
            RETURNING initiative.id
            """,
            params,
        )
        return [row[0] for row in cursor.fetchall()]
