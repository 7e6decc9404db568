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

from registry.models import DistanceMetres, DuplicateCandidate, Initiative, as_geography

# Names at least this similar (pg_trgm similarity, 0–1) ...
NAME_SIMILARITY = 0.5
# ... of records at most this far apart.
DISTANCE_M = 1000


def similar_to(initiative: Initiative) -> QuerySet[Initiative]:
    """Other records with a similar name within DISTANCE_M, most similar first (annotated with
    `name_similarity` and `distance_m`)."""
    if initiative.location is None:
        return Initiative.objects.none()
    return (Initiative.objects.exclude(pk=initiative.pk)
            .near(initiative.location, DISTANCE_M)
            .filter(name__trigram_similar=initiative.name)
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
        candidate, created = DuplicateCandidate.objects.get_or_create(
            first_id=first, second_id=second,
            defaults={"name_similarity": other.name_similarity, "distance_m": other.distance_m})
        if created:
            found.append(candidate)
    return found


def find_all() -> int:
    """Look for pairs across the whole register in one statement; returns the number of new pairs."""
    table, pairs = Initiative._meta.db_table, DuplicateCandidate._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"""
            INSERT INTO {pairs} (first_id, second_id, name_similarity, distance_m, found_at, decision)
            SELECT a.id, b.id, similarity(a.name, b.name),
                   ST_Distance(a.location::geography, b.location::geography), statement_timestamp(), 'open'
              FROM {table} AS a
              JOIN {table} AS b
                ON b.id > a.id
               AND ST_DWithin(a.location::geography, b.location::geography, %(metres)s)
               AND a.name %% b.name
             WHERE similarity(a.name, b.name) >= %(similarity)s
            ON CONFLICT (first_id, second_id) DO NOTHING
            """,
            {"metres": DISTANCE_M, "similarity": NAME_SIMILARITY},
        )
        return cursor.rowcount
