"""The read model: each initiative's public documents, prepared in PostgreSQL when the record (or
anything it shows) changes, and assembled by PostgreSQL when they are read.

Why stored rather than built per request: measured side by side on 100,000 records (README,
"The read model"), assembling prepared text is 3–13 times faster end to end than the serializers
for a page or a box, and 2–3 times faster in the database than building the same documents per
request; preparing one record costs about a millisecond, all of them a few seconds, in one
set-based statement.

One builder (`_BUILD`) makes every part of every document, for one id or all of them:

* the API's record and GeoJSON Feature, field for field what api.serializers returned (the
  serializers stay for writes, validation and the OpenAPI schema, and the tests compare the two);
* the map's compact Feature;
* a line of the open-data initiatives.csv, the lines of partnerships.csv, a Feature of
  initiatives.geojson (the columns of registry.columns).

One part is made in Python instead, in the same `prepare`: what only the API's detail record shows,
its public yearly figures and evidence (`prepare_detail_members`, from registry.figures, kept in a
table of its own), whose indicators are Python floats that SQL does not round the same way.

What depends on the request or on the day is spliced in when a document is read, never stored:
the record's absolute `url` and whether it is `stale`.

Prepared by `prepare(ids)`, which registry.saving calls for every saved initiative and
registry.actions for what changes elsewhere (a vocabulary term, a partner, yearly figures or
evidence, through the save of their initiative); `stale_documents()`
finds documents that differ from a fresh build (`manage.py check_documents`, and the rebuild
command `manage.py rebuild_documents` prepares all).
"""

from __future__ import annotations

import datetime
import json
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from django.conf import settings
from django.db import connection, connections
from django.db.models import QuerySet
from django.utils import timezone
from psycopg.adapt import Loader

from geo.crs import CRS, geojson_sql
from geo.search import ALIASES
from registry import figures
from registry.columns import INITIATIVE_COLUMNS, LIST_SEPARATOR, PARTNERSHIP_COLUMNS
from registry.models import (
    FiguresDocument,
    FundingSource,
    Initiative,
    InitiativeDocument,
    InitiativeSearch,
    Kind,
    NameWord,
    Partner,
    PartnerKind,
    Partnership,
    PartnershipRole,
    PublicationState,
    SearchWord,
    Service,
    Status,
    YearlyFigures,
)
from registry.querysets import stale_cutoff, stale_since, statement

DOCUMENTS = InitiativeDocument._meta.db_table
INITIATIVES = Initiative._meta.db_table
PARTS = ("geometry", "body", "tail", "marker", "csv_row", "partnership_rows", "export_feature", "status",
         "last_verified_on")
SEARCHED = InitiativeSearch._meta.db_table
FIGURES = FiguresDocument._meta.db_table
SEARCH_PARTS = ("vector", "name", "names", "sort_name")


def _table(model: Any) -> str:
    return str(model._meta.db_table)


# -- pieces of SQL ----------------------------------------------------------------------------------


def _json(expression: str) -> str:
    """A text or date value as a JSON string (to_json escapes as Python's json does), null as null."""
    return f"coalesce(to_json({expression})::text, 'null')"


def _number(expression: str) -> str:
    return f"coalesce(({expression})::text, 'null')"


def _term(alias: str) -> str:
    """A vocabulary term as the API shows it: its code and both labels, whatever the language."""
    return (f"""'{{"code":' || to_json({alias}.code) || ',"label":{{"nl":' || to_json({alias}.label_nl)"""
            f""" || ',"en":' || to_json({alias}.label_en) || '}}}}'""")


def _area(alias: str) -> str:
    return f"""coalesce('{{"code":' || to_json({alias}.code) || ',"name":' || to_json({alias}.name) || '}}', 'null')"""


def _iso(column: str) -> str:
    """A moment as the API writes it (datetime.isoformat() in the site's time zone): microseconds
    only when not zero, the offset as +HH:MM, and Z for UTC."""
    zone = settings.TIME_ZONE
    local = f"({column} AT TIME ZONE '{zone}')"
    offset = f"({local} - ({column} AT TIME ZONE 'UTC'))"
    return (f"(to_char({local}, 'YYYY-MM-DD\"T\"HH24:MI:SS')"
            f" || CASE WHEN date_trunc('second', {column}) = {column} THEN '' ELSE to_char({local}, '.US') END"
            f" || CASE WHEN {offset} = interval '0' THEN 'Z'"
            f" WHEN {offset} < interval '0' THEN to_char({offset}, 'HH24:MI')"
            f" ELSE '+' || to_char({offset}, 'HH24:MI') END)")


def _utc_seconds(column: str) -> str:
    """A moment as the open data writes it: UTC, to the second, with Z."""
    return f"""to_char({column} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"')"""


def _float(expression: str) -> str:
    """A double as Python writes a float: the shortest form that reads back, and 52.0, not 52."""
    text = f"({expression})::text"
    return f"CASE WHEN {text} ~ '^-?[0-9]+$' THEN {text} || '.0' ELSE {text} END"


def _degrees(function: str, precision: int) -> str:
    return _float(f"round({function}(i.location)::numeric, {precision})::float8")


# PostGIS writes a whole coordinate as 52, Python as 52.0 (rare after rounding to 6 decimals).
GEOMETRY = r"regexp_replace(ST_AsGeoJSON(i.location, 6), '([[,]-?[0-9]+)(?=[],])', '\1.0', 'g')"


def _no_line_separators(expression: str) -> str:
    """The API's JSON escapes U+2028 and U+2029 (line ends to JavaScript); to_json does not."""
    return rf"replace(replace({expression}, U&'\2028', '\u2028'), U&'\2029', '\u2029')"


def _csv(expression: str) -> str:
    """A value as a field of RFC 4180 CSV, quoted when it holds a comma, a quote or a line end (as
    Python's csv module writes it)."""
    text = f"coalesce(({expression})::text, '')"
    return f"""CASE WHEN {text} ~ '[,"\\r\\n]' THEN '"' || replace({text}, '"', '""') || '"' ELSE {text} END"""


# The related lists of the initiatives in `t`, aggregated once (not by a subquery per record).
def _related(source: str) -> str:
    services, funding = Initiative.services.through, Initiative.funding_sources.through
    return f"""
sv AS (SELECT l.initiative_id,
              string_agg({_term('s')}, ',' ORDER BY s."order", s.code) AS terms,
              string_agg(s.code, '{LIST_SEPARATOR}' ORDER BY s."order", s.code) AS codes,
              '[' || string_agg(to_json(s.code)::text, ',' ORDER BY s."order", s.code) || ']' AS code_list,
              string_agg(s.label_nl || ' ' || s.search_words, ' ' ORDER BY s."order", s.code) AS labels_nl,
              string_agg(s.label_en, ' ' ORDER BY s."order", s.code) AS labels_en
         FROM {_table(services)} l JOIN {_table(Service)} s ON s.id = l.service_id
        WHERE l.initiative_id IN ({source}) GROUP BY l.initiative_id),
fs AS (SELECT l.initiative_id,
              string_agg({_term('f')}, ',' ORDER BY f."order", f.code) AS terms,
              string_agg(f.code, '{LIST_SEPARATOR}' ORDER BY f."order", f.code) AS codes,
              '[' || string_agg(to_json(f.code)::text, ',' ORDER BY f."order", f.code) || ']' AS code_list
         FROM {_table(funding)} l JOIN {_table(FundingSource)} f ON f.id = l.fundingsource_id
        WHERE l.initiative_id IN ({source}) GROUP BY l.initiative_id),
ps AS (SELECT p.initiative_id,
              string_agg('{{"partner":{{"id":' || pa.id || ',"slug":' || to_json(pa.slug) || ',"name":'
                         || to_json(pa.name) || ',"kind":' || {_term('pk')} || '}},"role":' || {_term('r')}
                         || ',"start":' || to_json(p.start) || ',"end":' || to_json(p."end") || '}}',
                         ',' ORDER BY pa.name, r."order", p.start, p.id) AS items,
              string_agg({_partnership_row()}, '' ORDER BY pa.name, r."order", p.id) AS rows,
              string_agg(pa.name, ' ' ORDER BY pa.name, r."order", p.id) AS partner_names
         FROM {_table(Partnership)} p JOIN {_table(Partner)} pa ON pa.id = p.partner_id
         JOIN {_table(PartnerKind)} pk ON pk.id = pa.kind_id JOIN {_table(PartnershipRole)} r ON r.id = p.role_id
        WHERE p.initiative_id IN ({source}) GROUP BY p.initiative_id)"""


def _partnership_row() -> str:
    values = {"initiative_id": "p.initiative_id", "partner_slug": "pa.slug", "partner_name": "pa.name",
              "partner_kind": "pk.code", "role": "r.code", "start": "p.start", "end": 'p."end"'}
    assert [column.name for column in PARTNERSHIP_COLUMNS] == list(values), "registry.columns changed"
    return " || ',' || ".join(_csv(values[column.name]) for column in PARTNERSHIP_COLUMNS) + r" || E'\r\n'"


# -- the API's record and Feature -----------------------------------------------------------------------

_BODY = " || ".join([
    """'"slug":' || to_json(i.slug)""", """',"name":' || to_json(i.name)""", f"""',"kind":' || {_term('k')}""",
    """',"services":[' || coalesce(sv.terms, '') || ']'""",
    """',"shortDescription":' || to_json(i.short_description)""", """',"description":' || to_json(i.description)""",
    """',"legalForm":' || to_json(i.legal_form)""", """',"kvkNumber":' || to_json(i.kvk_number)""",
    f"""',"foundedYear":' || {_number('i.founded_year')}""", """',"status":' || to_json(i.status)""",
    f"""',"stoppedOn":' || {_json('i.stopped_on')}""", """',"stopReason":' || to_json(i.stop_reason)""",
    """',"address":{"street":' || to_json(i.street) || ',"houseNumber":' || to_json(i.house_number)"""
    """ || ',"postcode":' || to_json(i.postcode) || ',"place":' || to_json(i.place) || '}'""",
    f"""',"municipality":' || {_area('m')}""", f"""',"province":' || {_area('pr')}""",
    """',"locationPrecision":' || to_json(i.location_precision)""", """',"website":' || to_json(i.website)""",
    """',"email":' || to_json(i.email)""", """',"phone":' || to_json(i.phone)""",
    """',"fundingSources":[' || coalesce(fs.terms, '') || ']'""",
    f"""',"volunteers":' || {_number('i.volunteers')}""", f"""',"paidStaff":' || {_number('i.paid_staff')}""",
    f"""',"reachPerWeek":' || {_number('i.reach_per_week')}""",
    """',"partnerships":[' || coalesce(ps.items, '') || ']'""",
    """',"publicationState":' || to_json(i.publication_state)""", """',"source":' || to_json(i.source)""",
    """',"sourceUrl":' || to_json(i.source_url)""", f"""',"lastVerifiedOn":' || {_json('i.last_verified_on')}""",
    """',"verificationMethod":' || to_json(i.verification_method)""",
])
_TAIL = f"""'"createdAt":"' || {_iso('i.created_at')} || '","updatedAt":"' || {_iso('i.updated_at')} || '"}}'"""

# The map: only what a marker and its popup show, coordinates to 5 decimals (about 1 m).
_MARKER = ("""'{"type":"Feature","id":' || i.id || ',"geometry":' || ST_AsGeoJSON(i.location, 5)"""
           """ || ',"properties":{"slug":' || to_json(i.slug) || ',"name":' || to_json(i.name)"""
           """ || ',"kind":' || to_json(k.code) || ',"services":' || coalesce(sv.code_list, '[]')"""
           """ || ',"place":' || to_json(i.place) || '}}'""")


# -- the open data ------------------------------------------------------------------------------------

def _export_values() -> dict[str, tuple[str, str]]:
    """Each column of initiatives.csv: (its text in the CSV, its JSON value in the GeoJSON)."""
    def text(expression: str) -> tuple[str, str]:
        return expression, _json(expression)

    def number(expression: str) -> tuple[str, str]:
        return expression, _number(expression)

    def codes(alias: str) -> tuple[str, str]:
        return f"{alias}.codes", f"coalesce({alias}.code_list, '[]')"

    latitude, longitude = _degrees("ST_Y", 6), _degrees("ST_X", 6)
    values = {
        "id": number("i.id"), "slug": text("i.slug"), "name": text("i.name"), "kind": text("k.code"),
        "services": codes("sv"), "short_description": text("i.short_description"),
        "description": text("i.description"), "legal_form": text("i.legal_form"), "kvk_number": text("i.kvk_number"),
        "founded_year": number("i.founded_year"), "status": text("i.status"), "stopped_on": text("i.stopped_on"),
        "stop_reason": text("i.stop_reason"), "street": text("i.street"), "house_number": text("i.house_number"),
        "postcode": text("i.postcode"), "place": text("i.place"), "municipality_code": text("m.code"),
        "municipality_name": text("m.name"), "province_code": text("pr.code"), "province_name": text("pr.name"),
        "latitude": (latitude, latitude), "longitude": (longitude, longitude),
        "location_precision": text("i.location_precision"), "website": text("i.website"),
        "funding_sources": codes("fs"), "volunteers": number("i.volunteers"), "paid_staff": number("i.paid_staff"),
        "reach_per_week": number("i.reach_per_week"), "last_verified_on": text("i.last_verified_on"),
        "verification_method": text("i.verification_method"),
        "updated_at": (_utc_seconds("i.updated_at"), f"""'"' || {_utc_seconds('i.updated_at')} || '"'"""),
    }
    assert [column.name for column in INITIATIVE_COLUMNS] == list(values), "registry.columns changed"
    return values


def _csv_row() -> str:
    return " || ',' || ".join(_csv(csv_value) for csv_value, _json_value in _export_values().values()) \
        + r" || E'\r\n'"


def _export_feature() -> str:
    """A Feature of initiatives.geojson: the columns as properties (code lists as arrays), the point
    as geometry."""
    values = _export_values()
    properties = " || ',' || ".join(f"""'"{name}":' || {json_value}""" for name, (_csv_value, json_value)
                                    in values.items() if name not in ("latitude", "longitude"))
    return (f"""'{{"type":"Feature","id":' || i.id || ',"geometry":{{"type":"Point","coordinates":['"""
            f""" || {values['longitude'][1]} || ',' || {values['latitude'][1]} || ']}},"properties":{{' || """
            f"""{properties} || '}}}}'""")


# -- what the search reads (registry.search) --------------------------------------------------------------

SEARCH_CONFIG = "registry_search"  # Dutch, unaccented (migration registry 0014)


def _aliases() -> str:
    """The everyday names of the record's place, municipality and province (Den Haag, Den Bosch,
    Friesland), which
    the place search knows (geo.search.ALIASES), so that they find the record too."""
    pairs = ", ".join(f"({_literal(common)}, {_literal(official)})" for common, official in sorted(ALIASES.items()))
    return (f"(SELECT string_agg(a.common, ' ' ORDER BY a.common) FROM (VALUES {pairs}) AS a(common, official)"
            " WHERE lower(a.official) IN (lower(i.place), lower(m.name), lower(pr.name)))")


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _searched(*expressions: str) -> str:
    """Text as the search compares it: unaccented, in lower case, each word between single spaces
    (a space at each end too, so that ' word' finds a word's beginning)."""
    text = f"lower(unaccent(concat_ws(' ', {', '.join(expressions)})))"
    return f"' ' || btrim(regexp_replace({text}, '[^[:alnum:]]+', ' ', 'g')) || ' '"


def _weighted(weight: str, *expressions: str) -> str:
    return f"setweight(to_tsvector('{SEARCH_CONFIG}', concat_ws(' ', {', '.join(expressions)})), '{weight}')"


_PLACES = ("i.place", "m.name", "pr.name", _aliases())
_SEARCH_VECTOR = " || ".join([
    _weighted("A", "i.name"),
    _weighted("B", *_PLACES),
    _weighted("C", "k.label_nl", "k.label_en", "k.search_words", "sv.labels_nl", "sv.labels_en", "ps.partner_names"),
    _weighted("D", "i.short_description", "i.description"),
])
_SEARCH_NAME = _searched("i.name")
# English labels only in the vector: English makes no compounds, and "shop" is part of "workshop".
_SEARCH_NAMES = _searched("i.name", *_PLACES, "k.label_nl", "k.search_words", "sv.labels_nl", "ps.partner_names")


def _build_search(source: str) -> str:
    """The statement that prepares what the search reads (registry.models.InitiativeSearch) for the
    initiatives whose ids `source` selects, as _build does their documents."""
    parts = {"vector": _SEARCH_VECTOR, "name": _SEARCH_NAME, "names": _SEARCH_NAMES, "sort_name": "i.name"}
    assert tuple(parts) == SEARCH_PARTS
    names = ", ".join(SEARCH_PARTS)
    return f"""
WITH t AS MATERIALIZED ({source}),{_related("SELECT id FROM t")}
INSERT INTO {SEARCHED} (initiative_id, {names})
SELECT i.id, {", ".join(parts.values())}
  FROM t JOIN {INITIATIVES} i ON i.id = t.id
  JOIN {_table(Kind)} k ON k.id = i.kind_id
  LEFT JOIN {_table(Initiative._meta.get_field("municipality").related_model)} m ON m.id = i.municipality_id
  LEFT JOIN {_table(Initiative._meta.get_field("province").related_model)} pr ON pr.id = i.province_id
  LEFT JOIN sv ON sv.initiative_id = i.id
  LEFT JOIN ps ON ps.initiative_id = i.id
    ON CONFLICT (initiative_id) DO UPDATE
   SET {", ".join(f"{part} = EXCLUDED.{part}" for part in SEARCH_PARTS)}
 WHERE ({", ".join(f"{SEARCHED}.{part}" for part in SEARCH_PARTS)})
       IS DISTINCT FROM ({", ".join(f"EXCLUDED.{part}" for part in SEARCH_PARTS)})"""


def _remember_record_words(source: str) -> str:
    """The statement that adds the words of these records' short fields (drafts too) to the words
    a part of a word is looked up in (registry.models.NameWord)."""
    return f"""
INSERT INTO {_table(NameWord)} (word)
SELECT DISTINCT w.word FROM {SEARCHED} d, unnest(registry_words(d.names)) AS w(word)
 WHERE d.initiative_id IN ({source}) AND length(w.word) >= 3
    ON CONFLICT (word) DO NOTHING"""


def _remember_words(source: str) -> str:
    """The statement that adds the words of these documents' short fields (published records only:
    a draft's words are nobody's business) and of the vocabularies' English labels to the words the
    search knows (registry.models.SearchWord)."""
    english = " UNION ".join(f"SELECT label_en FROM {_table(model)}" for model in (Kind, Service))
    return f"""
INSERT INTO {_table(SearchWord)} (word)
SELECT DISTINCT w.word
  FROM (SELECT d.names AS text
          FROM {SEARCHED} d JOIN {INITIATIVES} i ON i.id = d.initiative_id
         WHERE d.initiative_id IN ({source}) AND i.publication_state = '{PublicationState.PUBLISHED}'
        UNION ALL SELECT lower(unaccent(label_en)) FROM ({english}) AS labels(label_en)) AS t,
       regexp_split_to_table(t.text, '[^[:alnum:]]+') AS w(word)
 WHERE length(w.word) >= 3
    ON CONFLICT (word) DO NOTHING"""


def _build(source: str) -> str:
    """The statement that prepares (inserts or replaces) the documents of the initiatives whose ids
    `source` selects, set-based; replaced only where a part differs."""
    parts = {"geometry": GEOMETRY, "body": _no_line_separators(_BODY), "tail": _TAIL, "marker": _MARKER,
             "csv_row": _csv_row(), "partnership_rows": "coalesce(ps.rows, '')",
             "export_feature": _export_feature(), "status": "i.status", "last_verified_on": "i.last_verified_on"}
    assert tuple(parts) == PARTS
    names = ", ".join(PARTS)
    return f"""
WITH t AS MATERIALIZED ({source}),{_related("SELECT id FROM t")}
INSERT INTO {DOCUMENTS} (initiative_id, {names}, prepared_at)
SELECT i.id, {", ".join(parts.values())}, statement_timestamp()
  FROM t JOIN {INITIATIVES} i ON i.id = t.id
  JOIN {_table(Kind)} k ON k.id = i.kind_id
  LEFT JOIN {_table(Initiative._meta.get_field("municipality").related_model)} m ON m.id = i.municipality_id
  LEFT JOIN {_table(Initiative._meta.get_field("province").related_model)} pr ON pr.id = i.province_id
  LEFT JOIN sv ON sv.initiative_id = i.id
  LEFT JOIN fs ON fs.initiative_id = i.id
  LEFT JOIN ps ON ps.initiative_id = i.id
    ON CONFLICT (initiative_id) DO UPDATE
   SET {", ".join(f"{part} = EXCLUDED.{part}" for part in PARTS)}, prepared_at = EXCLUDED.prepared_at
 WHERE ({", ".join(f"{DOCUMENTS}.{part}" for part in PARTS)})
       IS DISTINCT FROM ({", ".join(f"EXCLUDED.{part}" for part in PARTS)})"""


# -- preparing ------------------------------------------------------------------------------------------


# Above this many records the builder joins by hashing, whatever the planner estimates.
MANY = 200


def prepare(ids: Iterable[int] | None = None) -> set[int]:
    """Prepare the documents of these initiatives (None: of all), in the caller's transaction, so
    that a document that cannot be prepared fails the write that changed it. Returns the initiatives
    whose document or detail members changed (those already current are left alone)."""
    wanted = None if ids is None else sorted(set(ids))
    if wanted is not None and not wanted:
        return set()
    with connection.cursor() as cursor:
        many = wanted is None or len(wanted) > MANY
        if many:
            # Rows written in this very transaction (an import, demo data) have no statistics yet:
            # the planner takes the set for a row or two and joins it to every list by nested
            # loops, which for thousands of records takes minutes instead of a second.
            cursor.execute("SET LOCAL enable_nestloop = off")
        try:
            source, params = ((f"SELECT id FROM {INITIATIVES}", []) if wanted is None
                              else (f"SELECT id FROM {INITIATIVES} WHERE id = ANY(%s)", [wanted]))
            cursor.execute(_build(source) + "\nRETURNING initiative_id", params)
            written = {pk for (pk,) in cursor.fetchall()}
            cursor.execute(_build_search(source), params)
            cursor.execute(_remember_words(source), params)
            cursor.execute(_remember_record_words(source), params)
        finally:
            if many:
                cursor.execute("SET LOCAL enable_nestloop = on")
    return written | prepare_detail_members(wanted)


# The detail members are prepared for this many initiatives at a time (memory stays bounded in a rebuild).
MEMBERS_CHUNK = 5000


def _chunks(wanted: list[int] | None) -> Iterator[list[int]]:
    ids = wanted if wanted is not None else list(Initiative.objects.order_by("pk").values_list("pk", flat=True))
    for start in range(0, len(ids), MEMBERS_CHUNK):
        yield ids[start:start + MEMBERS_CHUNK]


def prepare_detail_members(wanted: list[int] | None = None) -> set[int]:
    """Prepare what only the API's detail record shows (its public yearly figures and evidence,
    registry.figures.shown_members) for these initiatives (None: all). Made in Python, not by the SQL
    builder: its indicators are Python floats rounded by round() (half to even, on the binary value),
    which PostgreSQL's numeric rounding (half away from zero) does not reproduce byte for byte.
    Where they change, so does their document's `prepared_at`, which the register's version follows.
    Returns the initiatives whose members changed."""
    changed: set[int] = set()
    with connection.cursor() as cursor:
        for chunk in _chunks(wanted):
            members = figures.shown_members(chunk)
            cursor.execute(f"""
                WITH gone AS (DELETE FROM {FIGURES} WHERE initiative_id = ANY(%s) AND NOT initiative_id = ANY(%s)
                              RETURNING initiative_id),
                     written AS (INSERT INTO {FIGURES} (initiative_id, members)
                                 SELECT * FROM unnest(%s::int[], %s::text[])
                                     ON CONFLICT (initiative_id) DO UPDATE SET members = EXCLUDED.members
                                  WHERE {FIGURES}.members IS DISTINCT FROM EXCLUDED.members
                              RETURNING initiative_id)
                UPDATE {DOCUMENTS} SET prepared_at = statement_timestamp()
                 WHERE initiative_id IN (SELECT initiative_id FROM gone UNION ALL SELECT initiative_id FROM written)
                RETURNING initiative_id""",
                           [chunk, list(members), list(members), list(members.values())])
            changed.update(pk for (pk,) in cursor.fetchall())
    return changed


def showing_term(model: type[Any], term_id: int) -> QuerySet[Initiative]:
    """The initiatives whose documents show this vocabulary term (its code, labels or order)."""
    relation = {Kind: "kind", Service: "services", FundingSource: "funding_sources",
                PartnerKind: "partnerships__partner__kind", PartnershipRole: "partnerships__role"}[model]
    return Initiative.objects.filter(**{relation: term_id}).order_by().distinct()


def showing_partner(partner_id: int) -> set[int]:
    """The initiatives whose documents show this partner: as a partner, or commissioning a year's work
    (two lookups by index: one query joining both would scan the three tables)."""
    return {*Partnership.objects.filter(partner_id=partner_id).values_list("initiative_id", flat=True),
            *YearlyFigures.objects.filter(commissioning_partner_id=partner_id).values_list("initiative_id", flat=True)}


def stale_documents() -> dict[str, list[int]]:
    """Documents that are missing, differ from a fresh build, or belong to no initiative (a bug or a
    write around registry.actions), by kind; what the search reads counts as part of the documents.
    Set-based: a build of every document into a temporary table, compared with the stored ones."""
    found: dict[str, set[int]] = {"missing": set(), "outdated": set(), "orphaned": set()}
    with connection.cursor() as cursor:
        for table, build, parts in ((DOCUMENTS, _build, PARTS), (SEARCHED, _build_search, SEARCH_PARTS)):
            cursor.execute(f"CREATE TEMPORARY TABLE fresh_documents (LIKE {table}) ON COMMIT DROP")
            statement = build(f"SELECT id FROM {INITIATIVES}").split("    ON CONFLICT")[0]
            cursor.execute(statement.replace(f"INSERT INTO {table}", "INSERT INTO fresh_documents", 1))
            stored, fresh = ", ".join(f"d.{part}" for part in parts), ", ".join(f"f.{part}" for part in parts)
            cursor.execute(f"""
                SELECT coalesce(f.initiative_id, d.initiative_id),
                       CASE WHEN d.initiative_id IS NULL THEN 'missing' WHEN f.initiative_id IS NULL THEN 'orphaned'
                            ELSE 'outdated' END
                  FROM fresh_documents f FULL JOIN {table} d ON d.initiative_id = f.initiative_id
                 WHERE d.initiative_id IS NULL OR f.initiative_id IS NULL
                    OR ({stored}) IS DISTINCT FROM ({fresh})
                 ORDER BY 1""")
            for pk, kind in cursor.fetchall():
                found[kind].add(pk)
            cursor.execute("DROP TABLE fresh_documents")
        for chunk in _chunks(None):
            cursor.execute(f"SELECT initiative_id, members FROM {FIGURES} WHERE initiative_id = ANY(%s)", [chunk])
            stored_members = dict(cursor.fetchall())
            fresh_members = figures.shown_members(chunk)
            found["outdated"].update(pk for pk in {*stored_members, *fresh_members}
                                     if stored_members.get(pk) != fresh_members.get(pk))
    found["outdated"] -= found["missing"]  # a missing document's members are prepared with it: one record, once
    return {kind: sorted(ids) for kind, ids in found.items()}


# -- reading --------------------------------------------------------------------------------------------


# Whether a document `d` is stale (registry.querysets.stale_cutoff, a fact of the day, as its parameter),
# from its copies of the record's status and last verification: InitiativeQuerySet.stale() on the
# document's copies, which a statement over documents alone can read without the record.
STALE = f"d.status <> '{Status.STOPPED}' AND (d.last_verified_on IS NULL OR d.last_verified_on < %s)"


# A document `d`'s map feature with its record's status (the list beside the map, the GeoJSON tiles).
MARKER_WITH_STATUS = "jsonb_set(d.marker::jsonb, '{properties,status}', to_jsonb(d.status))"


def _assembled(kind: str) -> str:
    """A whole document from its parts and what is spliced in (assembled_params: the list's URL
    for `url`, then registry.querysets.stale_cutoff() for `stale`). One concat() builds it at once,
    where a chain of || copied the growing text at every step (1,000 Features: 0.8 ms of 14)."""
    stale = f"CASE WHEN {STALE} THEN 'true' ELSE 'false' END"
    record = f"""'{{"id":', t.id, ',"url":"', %s::text, t.id, '","location":', d.geometry, ',', d.body,""" \
             f""" ',"stale":', {stale}, ','"""
    if kind == "record":
        return f"concat({record}, d.tail)"
    if kind == "detail":  # the record with the members only the detail has (FIGURES f: assembled_joins)
        return (f"concat({record}, left(d.tail, -1), ',', coalesce(f.members, {_literal(figures.NO_DETAIL_MEMBERS)}),"
                " '}')")
    if kind == "feature":
        return (f"""concat('{{"id":', t.id, ',"type":"Feature","geometry":', d.geometry, ',"properties":{{"url":"',"""
                f""" %s::text, t.id, '",', d.body, ',"stale":', {stale}, ',', d.tail, '}}')""")
    raise ValueError(kind)


def assembled_params(base: str, today: datetime.date | None = None) -> list[Any]:
    """The parameters of _assembled: the list's absolute URL with a closing "/", escaped as the
    inside of a JSON string (as PostgreSQL's to_json would: quotes, backslashes, control
    characters), and the day before which a record is stale."""
    return [json.dumps(base.rstrip("/") + "/", ensure_ascii=False)[1:-1], stale_cutoff(today)]


# PostgreSQL joins the documents in runs of this many, Python joins the runs: one value of 2 MB
# (1,000 Features) costs the server and libpq about twice as much to send and receive as the same
# bytes in ten rows (1,000 Features of the benchmark's box: 14.9 ms as one value, 8.4 ms in runs of
# 100, through psycopg; 10.1 ms as one row per record).
RUN = 100


class _Utf8(Loader):
    """Text as PostgreSQL sends it, UTF-8 bytes: documents go on to the client as they came, not
    decoded into Python text and encoded again (2–4 ms of 1,000 Features' 20, in an A/B in process)."""

    def load(self, data: Any) -> bytes:
        return bytes(data)


def selected_ids(queryset: QuerySet[Any]) -> tuple[str, Sequence[Any]] | None:
    """The statement (and its parameters) that selects the ids of the queryset's rows, in its order;
    None when it can match nothing."""
    return statement(queryset.values("pk"))


@contextmanager
def _utf8_cursor(alias: str) -> Iterator[Any]:
    """A cursor that reads text as the bytes PostgreSQL sent (_Utf8)."""
    with connections[alias].cursor() as cursor:
        cursor.cursor.adapters.register_loader("text", _Utf8)
        yield cursor


def joined_in_order(queryset: QuerySet[Any], expression: str, joins: str = "",
                    params: Sequence[Any] = ()) -> bytes:
    """The SQL text `expression` (over `t.id`, each selected row's id, and the tables of `joins`, which
    take no parameters; `params` are the expression's) for every row the queryset selects, in its order
    (filtered, ordered and sliced by the caller), joined by commas, as UTF-8: no Python per record."""
    selected = selected_ids(queryset)
    if selected is None:
        return b""
    ids_sql, ids_params = selected
    # ARRAY(subquery) keeps the subquery's order, and WITH ORDINALITY numbers it.
    sql = f"""
        SELECT string_agg(piece, ',' ORDER BY ord)
          FROM (SELECT {expression} AS piece, t.ord
                  FROM unnest(ARRAY({ids_sql})) WITH ORDINALITY AS t(id, ord) {joins}) pieces
         GROUP BY (ord - 1) / {RUN}
         ORDER BY (ord - 1) / {RUN}"""
    with _utf8_cursor(queryset.db) as cursor:
        cursor.execute(sql, [*params, *ids_params])
        return b",".join(run for (run,) in cursor.fetchall())


def assemble(queryset: QuerySet[Initiative], kind: str, *, base: str, today: datetime.date | None = None) -> bytes:
    """The documents of the initiatives the queryset selects (filtered, ordered and sliced by the
    caller), in its order, joined by commas, as UTF-8 made by PostgreSQL. `kind` is "record" (the
    API's JSON), "detail" (the record as the API's detail shows it) or "feature" (GeoJSON); `base`
    the list's absolute URL."""
    return joined_in_order(queryset, _assembled(kind), assembled_joins(kind), assembled_params(base, today))


def assemble_one(queryset: QuerySet[Initiative], kind: str, *, base: str, today: datetime.date | None = None
                 ) -> tuple[bytes, datetime.datetime] | None:
    """The document of the one initiative the queryset selects (a detail), as `assemble` makes it, with
    its version: when it last changed. That is its `prepared_at` (which moves where a part of its
    document or a member of its detail changed), or, for a stale record, the start of the day it
    became stale, if later: its `"stale"` turned true then. None when the queryset selects none.
    One statement: the detail's Last-Modified and ETag need no look at the rest of the register."""
    row = _only_row(queryset, lambda ids_sql: one_document_sql(kind, ids_sql), one_document_params(base, today),
                    utf8=True)
    if row is None:
        return None
    text, version, stale, verified_on = row
    if stale and verified_on is not None:
        became_stale = timezone.make_aware(datetime.datetime.combine(stale_since(verified_on), datetime.time.min))
        version = max(version, became_stale)
    return text, version


def _only_row(queryset: QuerySet[Initiative], statement_of: Callable[[str], str], params: Sequence[Any], *,
              utf8: bool = False) -> tuple[Any, ...] | None:
    """The row of the one initiative the queryset selects, from the statement `statement_of` makes of the
    statement of its ids (taking `params`, then the ids' own, and giving at most two rows, to tell one
    from more); None when it selects none. `utf8`: text as the bytes PostgreSQL sent (_Utf8)."""
    selected = selected_ids(queryset)
    if selected is None:
        return None
    ids_sql, ids_params = selected
    with (_utf8_cursor(queryset.db) if utf8 else connections[queryset.db].cursor()) as cursor:
        cursor.execute(statement_of(ids_sql), [*params, *ids_params])
        rows = cursor.fetchall()
    if len(rows) > 1:
        raise ValueError(f"the queryset selects more than one initiative ({queryset.query})")
    return tuple(rows[0]) if rows else None


def one_document_sql(kind: str, ids_sql: str) -> str:
    """The statement of assemble_one (its parameters: one_document_params, then those of `ids_sql`):
    the document, `prepared_at`, whether stale and the last verification of each initiative `ids_sql`
    selects (at most two rows, to tell one from more)."""
    return (f"SELECT {_assembled(kind)}, d.prepared_at, {STALE}, d.last_verified_on"
            f" FROM unnest(ARRAY({ids_sql})) AS t(id) {assembled_joins(kind)} LIMIT 2")


def one_document_params(base: str, today: datetime.date | None = None) -> list[Any]:
    params = assembled_params(base, today)
    return [*params, params[-1]]  # the stale cutoff again, for whether the record is stale


def assembled_joins(kind: str) -> str:
    """The tables _assembled(kind) reads besides `t` (the selected ids)."""
    joins = f"JOIN {DOCUMENTS} d ON d.initiative_id = t.id"
    return joins + (f" LEFT JOIN {FIGURES} f ON f.initiative_id = t.id" if kind == "detail" else "")


def _feature(crs: CRS) -> str:
    """The open-data Feature of `i` (the initiative) and `d` (its documents) with the point in `crs`."""
    # The stored Feature's properties are spliced in as they are, from its one ',"properties":' on:
    # its geometry holds only numbers and its properties are flat, and to_json escapes the quote of
    # that text inside a value (\"), so no other occurrence exists for split_part to stop at. It
    # finds the text by bytes; substr and strpos count characters, a quarter of a box's time.
    return ("""'{"type":"Feature","id":' || i.id || ',"geometry":' || """ + geojson_sql("i.location", crs)
            + """ || ',"properties":' || split_part(d.export_feature, ',"properties":', 2)""")


_FEATURE_JOINS = f"JOIN {INITIATIVES} i ON i.id = t.id JOIN {DOCUMENTS} d ON d.initiative_id = t.id"


def features(queryset: QuerySet[Initiative], crs: CRS) -> bytes:
    """The open-data Features (initiatives.geojson's: flat columns, no personal data) of the
    initiatives the queryset selects, in its order, joined by commas, with the point transformed
    by PostGIS into `crs` (geo.crs: its axis order and precision), for the OGC API, as UTF-8."""
    return joined_in_order(queryset, _feature(crs), _FEATURE_JOINS)


def feature(queryset: QuerySet[Initiative], crs: CRS) -> tuple[str, datetime.datetime] | None:
    """The open-data Feature of the one initiative the queryset selects, as `features` makes it,
    with when it last changed (its documents' `prepared_at`: a Feature holds nothing of the day,
    unlike a detail's "stale"), in one statement; None when it selects none."""
    row = _only_row(queryset, lambda ids_sql: f"SELECT {_feature(crs)}, d.prepared_at"
                    f" FROM unnest(ARRAY({ids_sql})) AS t(id) {_FEATURE_JOINS} LIMIT 2", ())
    return (row[0], row[1]) if row is not None else None


def parts(queryset: QuerySet[Initiative], part: str, *, chunk: int = 2000) -> Iterator[str]:
    """One stored part (say "csv_row") of each initiative the queryset selects, by id, streamed
    from a server-side cursor: memory does not grow with the number of records."""
    if part not in PARTS:
        raise ValueError(part)
    documents = InitiativeDocument.objects.using(queryset.db).filter(
        initiative__in=queryset.order_by().values("pk")).order_by("initiative_id")
    yield from documents.values_list(part, flat=True).iterator(chunk)


def map_features(queryset: QuerySet[Initiative]) -> str:
    """These initiatives as the map's one compact GeoJSON FeatureCollection, by id."""
    selected = selected_ids(queryset.order_by())
    if selected is None:
        return '{"type":"FeatureCollection","features":[]}'
    ids_sql, ids_params = selected
    # A stale record (registry.querysets.stale_cutoff, a fact of the day) says so, and since when: the
    # map fades its marker and its popup says "not confirmed since …" (never hidden).
    marker = (f"CASE WHEN {STALE} THEN left(d.marker, -2) || ',\"stale\":true,\"lastVerifiedOn\":' "
              "|| coalesce(to_json(d.last_verified_on)::text, 'null') || '}}' ELSE d.marker END")
    sql = f"""
        SELECT '{{"type":"FeatureCollection","features":['
               || coalesce(string_agg({marker}, ',' ORDER BY d.initiative_id), '') || ']}}'
          FROM {DOCUMENTS} d
         WHERE d.initiative_id IN ({ids_sql})"""
    with connections[queryset.db].cursor() as cursor:
        cursor.execute(sql, [stale_cutoff(), *ids_params])
        return str(cursor.fetchone()[0])


def map_features_in_order(queryset: QuerySet[Initiative]) -> str:
    """The map Features (the `marker` part, with the record's `status`) of the initiatives the queryset
    selects, in its order (sliced by the caller), as a JSON array: the list beside the map."""
    joined = joined_in_order(queryset, f"{MARKER_WITH_STATUS}::text", f"JOIN {DOCUMENTS} d ON d.initiative_id = t.id")
    return f"[{joined.decode()}]"
