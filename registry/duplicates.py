"""Possible duplicates: records with a similar name (PostgreSQL pg_trgm) close to each other
(PostGIS, metres on the spheroid).

Looked for when a record is saved (registry.actions.save_edit, so also by an import or an
approved suggestion), and for the whole register at once with `manage.py find_duplicates`.
A pair is stored once (lowest id first); a "not a duplicate" decision stays with the pair.
"""

from __future__ import annotations

from django.contrib.postgres.search import TrigramSimilarity
from django.db import connection
from django.db.models import F, QuerySet

from geo.expressions import DistanceMetres, as_geography
from registry.models import DuplicateCandidate, DuplicateDecision, Initiative

# Names at least this similar (pg_trgm similarity, 0–1) ... Variants of one name score 0.65–0.8
# ("Stichting Buurtkamer De Linde" / "Buurtkamer De Linde", "Repair Cafe" / "Repair Café"); at 0.5,
# different initiatives of one place came in too ("Dorpsbelang Zwolle" / "Dorpshuis Zwolle").
NAME_SIMILARITY = 0.6
# ... of records at most this far apart.
DISTANCE_M = 1000
# The type of the geography index on the location (see Initiative.Meta.indexes).
GEOGRAPHY = "geography(Point,4326)"


def similar_to(initiative: Initiative) -> QuerySet[Initiative]:
    """Other records with a similar name within DISTANCE_M, most similar first (annotated with
    `name_similarity` and `distance_m`)."""
    if initiative.location is None:
        return Initiative.objects.none()
    return (Initiative.objects.exclude(pk=initiative.pk)
            .near(initiative.location, DISTANCE_M)
            .annotate(name_similarity=TrigramSimilarity("name", initiative.name),
                      distance_m=DistanceMetres(as_geography(F("location")), as_geography(initiative.location)))
            .filter(name_similarity__gte=NAME_SIMILARITY)
            .order_by("-name_similarity", "distance_m", "pk"))


def record_candidates(initiative: Initiative) -> list[DuplicateCandidate]:
    """Store the pairs this record forms with similar records; returns the pairs new to the queue
    (a pair seen before keeps its decision)."""
    found = []
    for other in similar_to(initiative):
        first, second = sorted([initiative.pk, other.pk])
        # Annotations of similar_to's query, which its type (QuerySet[Initiative]) cannot carry.
        similarity, distance = other.name_similarity, other.distance_m  # type: ignore[attr-defined]  # annotations
        candidate, created = DuplicateCandidate.objects.get_or_create(
            first_id=first, second_id=second, defaults={"name_similarity": similarity, "distance_m": distance})
        if created:
            found.append(candidate)
    return found


def find_all(ids: list[int] | None = None) -> int:
    """Look for pairs across the whole register in one statement, or only the pairs that the records
    `ids` form with any other (what an import just wrote); returns the number of new pairs.

    The casts are spelled as in the index `initiative_location_geography` (geography(Point,4326)):
    with a bare ::geography the planner cannot use it, and the join compares every pair. The names
    are compared only for the close pairs: a trigram index on the name (the `%` operator) made the
    planner probe it for every record, eight times slower (measured on 100,000 records)."""
    if ids is not None and not ids:
        return 0
    table, pairs = Initiative._meta.db_table, DuplicateCandidate._meta.db_table
    # The whole register: each pair from its lower id. A set: each pair from its member (a pair of two
    # members comes twice, and the second is a conflict that does nothing).
    pairing = "b.id > a.id" if ids is None else "b.id <> a.id AND a.id = ANY(%(ids)s)"
    with connection.cursor() as cursor:
        cursor.execute(
            f"""
            INSERT INTO {pairs} (first_id, second_id, name_similarity, distance_m, found_at, decision)
            SELECT LEAST(a.id, b.id), GREATEST(a.id, b.id), similarity(a.name, b.name),
                   ST_Distance(a.location::{GEOGRAPHY}, b.location::{GEOGRAPHY}), statement_timestamp(), %(open)s
              FROM {table} AS a
              JOIN {table} AS b
                ON {pairing}
               AND ST_DWithin(a.location::{GEOGRAPHY}, b.location::{GEOGRAPHY}, %(metres)s)
             WHERE similarity(a.name, b.name) >= %(similarity)s
            ON CONFLICT (first_id, second_id) DO NOTHING
            """,
            {"ids": ids, "metres": DISTANCE_M, "similarity": NAME_SIMILARITY, "open": DuplicateDecision.OPEN},
        )
        return cursor.rowcount
