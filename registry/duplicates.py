"""Possible duplicates: pairs of records scored by the signals a person weighs, each with its reasons.

Looked for when a record is saved (registry.saving.after_saving, so also by an import, a merge or an
approved suggestion), for the whole register at once (`manage.py find_duplicates`, the nightly run),
and for a record not yet saved (a suggestion under review, `matches_for`). A pair is stored once
(lowest id first) with its score and reasons; a "not a duplicate" decision stays with the pair.

Two steps, both proportional to the candidates, never to all pairs of the register:

1. **Candidates, set-based in PostgreSQL**: records within RADIUS_M of each other whose names are at
   all alike, widened by POSTCODE_SLACK_M when a location is only a postcode's centre; plus records
   that share an identifier, at any distance (KvK number, website domain, e-mail address, phone
   number; IDENTIFIERS, indexed in migration 0013). Names are compared after normalising by the SQL
   function registry_name_key (case, accents, quotes, remarks in brackets, legal-form words, articles;
   migration 0013). For the whole register (`_whole_register_statements`) each record is normalised
   once into a temporary table with its own spatial index; for a few records (`_candidate_sql`, what a
   save pays) the register's indexes find the neighbours and namesakes of each.
2. **The score, in Python over the candidates only** (`score`): evidence for (identifiers, names,
   distance judged by each location's precision) and against (words that tell neighbours apart, another
   kind of place, different KvK numbers or websites) add up to a score from 0 to 1. Pairs scoring at
   least MIN_SCORE are stored, with the reasons as codes and figures that `explain` puts into words in
   the reader's language.

Measured on the labelled set of tests/registry/duplicate_evaluation.py (tests and `make bench`).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from difflib import SequenceMatcher
from functools import lru_cache
from typing import Any

from django.db import connection, transaction
from django.utils import formats
from django.utils.translation import gettext as _

from registry.models import DuplicateCandidate, DuplicateDecision, Initiative
from registry.models.choices import LocationPrecision

# Candidates: records at most this far apart (both located exactly) ...
RADIUS_M = 2000
# ... or this much further when a location is only its postcode area's centre (a PC4 area in the
# country is often several kilometres across).
POSTCODE_SLACK_M = 3000
# ... (the search of a few records) whose raw names are at least this alike (pg_trgm): generous, only to
# spare normalising every name nearby. "Buurthuis De Horst (vrijwilligers)" / "Buurthuis De Horst" is
# 0.55, a legal form and remark both added around 0.4.
RAW_SIMILARITY = 0.3
# ... and whose normalised names are at least this alike, or the names without their first word (often
# the kind of place: "huiskamer wilg" / "buurtkamer wilg" is 0.41, "wilg" / "wilg" 1), unless they share
# an identifier. Lower, and the Python step fills with names that share only their kind
# ("buurtmoestuin linde" / "buurtmoestuin brink" is 0.56): on 100,000 demo records, 880,000 candidates
# at 0.35 (over 3 GB in Python when read at once).
KEY_SIMILARITY = 0.6
# An identifier shared by more records than this is an umbrella's (a network's e-mail address, a
# municipality's phone number), not a sign of one initiative: it makes no candidates.
MAX_SHARED = 10
# Pairs scoring at least this are proposed (0–1, see `score`).
MIN_SCORE = 0.5

# The type of the geography index on the location (see Initiative.Meta.indexes).
GEOGRAPHY = "geography(Point,4326)"

# Identifier: (expression of a record `{t}`, when the record has one). Spelled as the indexes of
# migration 0013, so that the search of one record uses them.
IDENTIFIERS: dict[str, tuple[str, str]] = {
    "kvk": ("{t}.kvk_number", "{t}.kvk_number <> ''"),
    "email": ("lower({t}.email)", "{t}.email <> ''"),
    # The domain without www; on a platform shared by many (Facebook, Google Sites) also the page's path.
    "website": (r"regexp_replace(lower({t}.website), '^[a-z]+://(www[0-9]*\.)?((facebook|instagram|linkedin"
                r"|twitter|x)\.com/[^/?#]+|sites\.google\.com/(site/)?[^/?#]+|[^/:?#]+).*$', '\2')",
                "{t}.website <> ''"),
    # Digits only, +31 / 0031 (0) read as the leading 0.
    "phone": (r"regexp_replace(regexp_replace({t}.phone, '[^0-9]', '', 'g'), '^(00)?310?', '0')",
              "{t}.phone <> ''"),
}

# -- words (of names after registry_name_key) ----------------------------------------------------------

# Words that tell two neighbouring initiatives of one name apart: "Dorpshuis De Kapstok Zuid".
QUARTERS = {"noord", "zuid", "oost", "west", "noordoost", "noordwest", "zuidoost", "zuidwest", "centrum",
            "midden", "binnenstad", "buitenwijk", "boven", "beneden"}
# ... except "centrum" after these, where it names a kind of place ("Multifunctioneel Centrum De Kapstok").
_CENTRE_OF = {"multifunctioneel", "cultureel", "sociaal", "wijk", "buurt", "dorps", "ontmoetings", "zorg"}
# Prefixes of a compound that say whose place it is (dorps-huis, buurt-winkel, wijk-restaurant).
_OWNERS = ("gemeenschaps", "bewoners", "dorps", "buurt", "wijk", "stads", "dorp", "huis", "kern", "zorg")
# The head of a compound (or a word alone) and the kind of place it names. Two records that each name
# a kind, and no kind in common, are two places: "Dorpshuis Het Klokhuis" / "Dorpswinkel Het Klokhuis".
PLACE_KINDS: dict[str, str] = {
    **dict.fromkeys(["huis", "centrum", "mfa", "multifunctioneel", "gebouw", "accommodatie"], "hall"),
    **dict.fromkeys(["winkel", "super", "supermarkt", "kruidenier", "markt"], "shop"),
    **dict.fromkeys(["kamer", "huiskamer", "ontmoetingsplek", "inloop", "koffie", "koffiehuis", "cafe"], "meeting"),
    **dict.fromkeys(["restaurant", "eetcafe", "keuken", "eettafel", "kookcafe"], "restaurant"),
    **dict.fromkeys(["tuin", "moestuin", "pluktuin", "voedselbos", "boomgaard"], "garden"),
    **dict.fromkeys(["boerderij", "stadsboerderij", "kinderboerderij"], "farm"),
    **dict.fromkeys(["zorgboerderij"], "care farm"),
    **dict.fromkeys(["bus", "buurtbus", "vervoer", "taxi", "auto", "deelauto"], "transport"),
    **dict.fromkeys(["atelier", "werkplaats", "repair"], "workshop"),
    **dict.fromkeys(["belang", "raad", "platform", "overleg"], "council"),
    **dict.fromkeys(["energie", "energiecooperatie", "zonnepark", "zonnedak", "windpark"], "energy"),
    **dict.fromkeys(["zorgcooperatie", "dagbesteding", "mantelzorg", "thuiszorg"], "care"),
    **dict.fromkeys(["voedselbank"], "food bank"),
    **dict.fromkeys(["bibliotheek", "leeskamer"], "library"),
    **dict.fromkeys(["speeltuin"], "playground"),
    **dict.fromkeys(["sportpark", "sportvereniging", "zwembad"], "sport"),
}

_NEEDS_SECOND = {"repair", "multifunctioneel", "cultureel", "sociaal"}
# Words for the kind of organisation, not of place: like a legal form, they say nothing of which
# initiative it is ("Bewonersbedrijf De Kastanje" / "Bewonersbedrijf Terneuzen").
ORGANISATION_WORDS = {"bewonersbedrijf", "buurtbedrijf", "wijkbedrijf", "dorpsbedrijf", "buurtcooperatie",
                      "dorpscooperatie", "wijkcooperatie", "bewonerscooperatie", "bewonersinitiatief",
                      "buurtinitiatief", "wijkonderneming", "bewonersvereniging", "buurtvereniging",
                      "dorpsvereniging", "vrijwilligersorganisatie", "vrijwilligers", "initiatief", "project"}
# ... of which these name a kind of organisation of their own (a register's Kind).
ORGANISATION_KINDS = ORGANISATION_WORDS - {"vrijwilligersorganisatie", "vrijwilligers", "initiatief", "project"}
# Words of one name that stand for a word of the other when this alike (a typo: "kapstock").
TYPO_SIMILARITY = 0.8

# -- weights of the score ------------------------------------------------------------------------------

# Identifiers: how much the same one counts alone (several combine as independent signs). A KvK number
# stays with an initiative that is renamed; a website, e-mail address or phone number is often an
# umbrella's (a welfare organisation's site with a page per initiative it supports), so these count only
# as far as the names are alike too.
IDENTIFIER_WEIGHTS = {"kvk": 0.6, "website": 0.5, "email": 0.5, "phone": 0.45}
CONTACTS = {"website", "email", "phone"}
NAMES_WEIGHT = 0.6          # names equal after normalising
FAR_PENALTY = 0.4           # further apart than a candidate may be, locations' precision allowing
NEIGHBOURS_PENALTY = 0.8    # "Noord" against "Zuid", "II" against none
OTHER_KIND_PENALTY = 0.9    # "dorpshuis" against "dorpswinkel": even one cooperative's are two places
OTHER_KVK_PENALTY = 0.4     # two KvK numbers: two legal persons
OTHER_WEBSITE_PENALTY = 0.1


@dataclass(frozen=True)
class Candidate:
    """Two records the first step found, with what the score needs of them."""

    first_id: int
    second_id: int
    first_key: str
    second_key: str
    name_similarity: float  # pg_trgm of the keys
    distance_m: float
    first_precision: str
    second_precision: str
    first_place: str = ""  # the place fields, normalised as the names
    second_place: str = ""
    same: frozenset[str] = frozenset()       # identifiers both have, equal
    different: frozenset[str] = frozenset()  # identifiers both have, different


@dataclass(frozen=True)
class Match:
    """A scored pair: 0–1, and why."""

    first_id: int
    second_id: int
    score: float
    reasons: list[dict[str, Any]]
    name_similarity: float
    distance_m: float
    other: Initiative | None = field(default=None, compare=False)  # for matches_for: the stored record


# -- the score -----------------------------------------------------------------------------------------


def place_kinds(words: Iterable[str]) -> dict[str, str]:
    """The kinds of place the words name, each with the word that names it."""
    found: dict[str, str] = {}
    for word in words:
        kind = _kind_of(word)
        if kind is not None:
            found.setdefault(kind, word)
    return found


@lru_cache(maxsize=100_000)
def _kind_of(word: str) -> str | None:
    head = word
    for owner in () if word in PLACE_KINDS else _OWNERS:
        if word.startswith(owner) and word[len(owner):] in PLACE_KINDS:
            head = word[len(owner):]
            break
    if head in PLACE_KINDS:
        return PLACE_KINDS[head]
    if "energie" in word:
        return "energy"
    # A typo in the owner ("wjikcentrum"): a long head still says the kind ("huis" would not: "klokhuis"
    # is a name).
    return next((kind for tail, kind in PLACE_KINDS.items() if len(tail) >= 6 and word.endswith(tail)), None)


def neighbour_words(first: Sequence[str], second: Sequence[str]) -> list[str]:
    """Words that one name has and the other lacks and that tell neighbours apart: a quarter of the
    place, a number (II and 2 are alike after normalising)."""
    def marks(words: Sequence[str]) -> set[str]:
        return {word for index, word in enumerate(words) if word.isdigit() or (
            word in QUARTERS and not (word == "centrum" and index and words[index - 1] in _CENTRE_OF))}

    return sorted(marks(first) ^ marks(second))


@lru_cache(maxsize=200_000)
def _names(first: str, second: str, places: frozenset[str]) -> tuple[float, dict[str, Any]]:
    """How alike two normalised names are (0–1) and the reason that says so. `places` are the words of
    the records' places: like the kind of place, they say nothing of which initiative it is."""
    if not first or not second:
        return 0.0, {"code": "names_alike", "percent": 0}
    if first == second:
        return 1.0, {"code": "names_equal"}
    words_first, words_second = first.split(), _typos_as(second.split(), first.split())
    typo = " ".join(words_second) != second
    if sorted(words_first) == sorted(words_second) or first.replace(" ", "") == second.replace(" ", ""):
        return (0.9, {"code": "names_alike", "percent": 90}) if typo else (0.97, {"code": "names_equal"})
    common = set(words_first) & set(words_second)
    # The kind of place or organisation leads a name ("Repair Café De Linde"); further on, such a word
    # is a name ("De Boomgaard").
    generic = set(places) | ORGANISATION_WORDS | _leading_kinds(words_first) | _leading_kinds(words_second)
    # A place or the kind of organisation added to one name ("... te Tilburg", "... vrijwilligers") leaves
    # the rest as it was.
    rest_first = [word for word in words_first if word not in common and word not in places | ORGANISATION_WORDS]
    rest_second = [word for word in words_second if word not in common and word not in places | ORGANISATION_WORDS]
    alike, reason = _rests_alike(words_first, words_second, rest_first, rest_second, common, generic, places)
    if typo and alike > 0.9:
        return 0.9, {"code": "names_alike", "percent": 90}
    return alike, reason


def _rests_alike(words_first: list[str], words_second: list[str], rest_first: list[str], rest_second: list[str],
                 common: set[str], generic: set[str], places: frozenset[str]) -> tuple[float, dict[str, Any]]:
    if not rest_first and not rest_second:
        # Equal but for the places they name: "Dorpshuis Oosterwolde" / "Dorpshuis", but not "Zorgcoöperatie
        # Leiden" / "Zorgcoöperatie Oosterwolde".
        named_first, named_second = set(words_first) & places, set(words_second) & places
        if named_first and named_second and named_first != named_second:
            return 0.3, {"code": "names_alike", "percent": 30}
        if named_first != named_second:
            return 0.9, {"code": "name_contained"}
        return 0.9, {"code": "names_alike", "percent": 90}
    if (not rest_first or not rest_second) and common - generic:
        # "Buurtkamer De Linde" in "Buurtkamer De Linde Leiden", but not "Huiskamer Tilburg" in
        # "Huiskamer De Wilg te Tilburg".
        return 0.85, {"code": "name_contained"}
    kinds_first, kinds_second = place_kinds(rest_first), place_kinds(rest_second)
    if (common - generic and all(place_kinds([word]) for word in rest_first + rest_second)
            and kinds_first.keys() & kinds_second.keys()):
        # Only the word for the place differs, and it names the same kind: "Buurthuis" / "Wijkcentrum".
        return 0.9, {"code": "names_alike", "percent": 90}
    if common:
        # What tells the names apart is what differs: "Buurtkamer De Linde" / "Buurtkamer De Eik" share
        # a long word and are still two names.
        alike = SequenceMatcher(None, " ".join(rest_first), " ".join(rest_second)).ratio()
        if not common - generic:
            alike *= 0.9
    else:
        alike = SequenceMatcher(None, " ".join(words_first), " ".join(words_second)).ratio()
    return alike, {"code": "names_alike", "percent": round(alike * 100)}


def _typos_as(words: list[str], others: list[str]) -> list[str]:
    """`words` with each word that is a typo of one of `others` (not itself among them) spelled as that."""
    spelled = []
    for word in words:
        if word not in others and len(word) >= 5:
            for other in others:
                if (len(other) >= 5 and abs(len(other) - len(word)) <= 2 and other not in words
                        and SequenceMatcher(None, word, other).ratio() >= TYPO_SIMILARITY):
                    word = other
                    break
        spelled.append(word)
    return spelled


def _leading_kinds(words: list[str]) -> set[str]:
    """The words at the start of a name that say what kind of place or organisation it is: the first,
    and the second after a word that needs one ("Repair Café", "Multifunctioneel Centrum")."""
    if not words or not (place_kinds(words[:1]) or words[0] in ORGANISATION_WORDS):
        return set()
    return set(words[:2]) if words[0] in _NEEDS_SECOND and len(words) > 1 else {words[0]}


def _leading_kind(words: list[str]) -> dict[str, str]:
    """The kinds of place the start of a name says, or else the kind of organisation ("Bewonersbedrijf
    De Dorpsput" is not "Dorpsbelang De Dorpsput")."""
    leading = sorted(_leading_kinds(words), key=words.index)
    kinds = place_kinds(leading)
    if not kinds and leading and leading[0] in ORGANISATION_KINDS:
        kinds = {f"organisation {leading[0]}": leading[0]}
    return kinds


def _between(value: float, low: float, high: float) -> float:
    """0 at `low` or below, 1 at `high` or above, linear between."""
    return min(1.0, max(0.0, (value - low) / (high - low)))


def _slack(precision: str) -> float:
    return POSTCODE_SLACK_M if precision == LocationPrecision.POSTCODE else 0.0


def score(candidate: Candidate) -> Match:
    """The pair's score, 0–1, with its reasons (strongest first)."""
    reasons: list[dict[str, Any]] = []
    total = 0.0

    alike, name_reason = _names(candidate.first_key, candidate.second_key,
                                frozenset(f"{candidate.first_place} {candidate.second_place}".split()))
    name_reason = dict(name_reason)  # the cached one stays as it is

    # The distance, less what each location may be off by: a postcode's centre against a street
    # address 2 km away may be the same door.
    approximate = LocationPrecision.POSTCODE in (candidate.first_precision, candidate.second_precision)
    apart = max(0.0, candidate.distance_m - _slack(candidate.first_precision) - _slack(candidate.second_precision))
    far = apart > RADIUS_M

    unlikely = 1.0
    for code in ("kvk", "website", "email", "phone"):
        if code in candidate.same:
            weight = IDENTIFIER_WEIGHTS[code] * (_between(alike, 0.3, 0.7) if code in CONTACTS else 1.0)
            if far and code != "kvk":
                weight /= 2  # a chain's website or a network's address, in another town
            unlikely *= 1 - weight
            reasons.append({"code": f"same_{code}"})
    total += 1 - unlikely

    reasons.append(name_reason)
    total += NAMES_WEIGHT * _between(alike, 0.5, 0.95)

    # Being close says something only of alike names.
    if far:
        total -= FAR_PENALTY
    else:
        close = 0.3 if apart <= 150 else 0.2 if apart <= 500 else 0.1 if apart <= 1000 else 0.05
        total += close * _between(alike, 0.5, 0.8)
    reasons.append({"code": "distance", "metres": round(candidate.distance_m), "approximate": approximate})

    words_first, words_second = candidate.first_key.split(), candidate.second_key.split()
    neighbours = neighbour_words(words_first, words_second)
    if neighbours:
        total -= NEIGHBOURS_PENALTY
        reasons.append({"code": "neighbour_words", "words": neighbours})
    # The kind of place is what leads the name: "Buurthuis" / "Buurtwinkel De Boomgaard" (an orchard
    # further on is a name).
    kinds_first, kinds_second = _leading_kind(words_first), _leading_kind(words_second)
    if kinds_first and kinds_second and not kinds_first.keys() & kinds_second.keys():
        total -= OTHER_KIND_PENALTY
        reasons.append({"code": "other_kind", "words": [next(iter(kinds_first.values())),
                                                        next(iter(kinds_second.values()))]})
    if "kvk" in candidate.different:
        total -= OTHER_KVK_PENALTY
        reasons.append({"code": "different_kvk"})
    if "website" in candidate.different:
        total -= OTHER_WEBSITE_PENALTY
        reasons.append({"code": "different_website"})

    return Match(candidate.first_id, candidate.second_id, round(min(1.0, max(0.0, total)), 3), reasons,
                 candidate.name_similarity, candidate.distance_m)


def explain(reasons: Sequence[dict[str, Any]]) -> str:
    """The reasons in words, in the active language: "same KvK number; names equal after normalising,
    1.6 km apart"."""
    said: list[str] = []
    for reason in reasons:
        code = reason.get("code")
        if code == "distance":
            metres = float(reason.get("metres", 0))
            distance = (_("%(km)s km") % {"km": formats.number_format(metres / 1000, 1)} if metres >= 1000
                        else _("%(m)s m") % {"m": round(metres)})
            text = (_("%(distance)s apart (a location from the postcode)") if reason.get("approximate")
                    else _("%(distance)s apart")) % {"distance": distance}
            # "names equal after normalising, 1.6 km apart": the distance goes with the names.
            if said:
                said[-1] = f"{said[-1]}, {text}"
            else:
                said.append(text)
            continue
        words = " / ".join(reason.get("words", []))
        texts = {
            "same_kvk": _("same KvK number"),
            "same_website": _("same website"),
            "same_email": _("same e-mail address"),
            "same_phone": _("same phone number"),
            "names_equal": _("names equal after normalising"),
            "name_contained": _("one name contains the other"),
            "names_alike": _("names %(percent)s%% alike") % {"percent": reason.get("percent", 0)},
            "neighbour_words": _("but words that tell neighbours apart: %(words)s") % {"words": words},
            "other_kind": _("but another kind of place: %(words)s") % {"words": words},
            "different_kvk": _("but different KvK numbers"),
            "different_website": _("but different websites"),
        }
        said.append(texts.get(str(code), str(code)))
    return "; ".join(said)


# -- the candidates ------------------------------------------------------------------------------------


def _identifier(code: str, alias: str) -> tuple[str, str]:
    expression, present = IDENTIFIERS[code]
    return expression.format(t=alias), present.format(t=alias)


def _alike_sql(first: str, second: str, first_place: str, second_place: str) -> str:
    """Whether two name keys are alike enough to be candidates (see KEY_SIMILARITY); the names without
    their first word only when that leaves more than the place ("Dorpshuis Hoorn" and "Buurtbus Hoorn"
    are not alike)."""
    first_core, second_core = f"substring({first} from ' (.*)$')", f"substring({second} from ' (.*)$')"
    return (f"({first} = {second} OR similarity({first}, {second}) >= %(key_similarity)s "
            f"OR ({first_core} <> {first_place} AND {second_core} <> {second_place} "
            f"AND similarity({first_core}, {second_core}) >= %(key_similarity)s))")


def _candidate_sql(probe: str) -> str:
    """The first step as one statement. `probe` is a query of the records to look for (id, name, place,
    location, location_precision and the identifiers' columns): the whole register, some of its
    records, or records not saved (a pair of two probes comes from both; the caller keeps one).

    Each branch carries all that the score needs of both records, so that the rest joins only the
    normalised names (one row per record): the planner cannot estimate how many pairs the branches
    make, and a join of them back to the register on several columns was planned as a cross product."""
    table = Initiative._meta.db_table
    p_geog, r_geog = f"p.location::{GEOGRAPHY}", f"r.location::{GEOGRAPHY}"
    order = "r.id <> p.id"
    alike = "similarity(p.name, r.name) >= %(raw_similarity)s"
    same, different = [], []
    for code in IDENTIFIERS:
        (p_key, p_has), (r_key, r_has) = _identifier(code, "p"), _identifier(code, "r")
        same.append(f"({p_has} AND {r_has} AND {p_key} = {r_key})")
        different.append(f"({p_has} AND {r_has} AND {p_key} <> {r_key})")
    columns = (f"p.id AS p_id, r.id AS r_id, p.name AS p_name, r.name AS r_name, p.place AS p_place, "
               f"r.place AS r_place, p.location_precision AS p_precision, r.location_precision AS r_precision, "
               f"ST_Distance({p_geog}, {r_geog}) AS metres, "
               f"ARRAY[{', '.join(same)}] AS same, ARRAY[{', '.join(different)}] AS different")
    branches = [
        f"SELECT {columns} FROM probe p JOIN {table} r "
        f"ON {order} AND ST_DWithin({r_geog}, {p_geog}, %(radius)s) WHERE {alike}",
    ]
    branches.append(  # wider where either location is a postcode's centre
        f"SELECT {columns} FROM probe p JOIN {table} r ON r.id <> p.id "
        f"AND ST_DWithin({r_geog}, {p_geog}, %(wide_radius)s) "
        f"WHERE (p.location_precision = %(postcode)s OR r.location_precision = %(postcode)s) AND {alike}")
    for code in IDENTIFIERS:
        (p_key, p_has), (r_key, r_has) = _identifier(code, "p"), _identifier(code, "r")
        x_key, x_has = _identifier(code, "x")
        branch = f"SELECT {columns} FROM probe p JOIN {table} r ON {r_key} = {p_key} AND {r_has} AND {order}"
        # Counted by the identifier's index (a few records).
        branch += (f" WHERE {p_has} AND (SELECT count(*) FROM {table} x WHERE {x_key} = {p_key} AND {x_has})"
                   " <= %(max_shared)s")
        branches.append(branch)
    union = "\n UNION ALL ".join(branches)
    # Only the candidates' names (the probe's may not be stored), joined by the name.
    return f"""
        WITH probe AS MATERIALIZED ({probe}),
        pairs AS MATERIALIZED ({union}),
        keys AS MATERIALIZED (
            SELECT name, registry_name_key(name) AS key
              FROM (SELECT p_name AS name FROM pairs UNION SELECT r_name FROM pairs
                    UNION SELECT p_place FROM pairs UNION SELECT r_place FROM pairs) AS named)
        SELECT c.p_id, c.r_id, p_key.key, r_key.key, similarity(p_key.key, r_key.key), c.metres,
               c.p_precision, c.r_precision, p_at.key, r_at.key, c.same, c.different
          FROM pairs c
          JOIN keys p_key ON p_key.name = c.p_name JOIN keys r_key ON r_key.name = c.r_name
          JOIN keys p_at ON p_at.name = c.p_place JOIN keys r_at ON r_at.name = c.r_place
         WHERE {_alike_sql("p_key.key", "r_key.key", "p_at.key", "r_at.key")} OR true = ANY(c.same)
    """


# The whole search's table of keys, one row per record (a temporary table, gone at the commit).
KEYS_TABLE = "duplicate_search_keys"


def _whole_register_statements() -> list[str]:
    """The first step for the whole register: each record's normalised name, identifiers and neighbour
    marks once, in a temporary table with its own spatial index (ANALYZEd, so that the planner knows
    it); then, in one statement, the pairs from that index and from the identifiers (each pair once,
    lower id first) and what the score needs of each pair.

    Pairs whose names differ in a word that tells neighbours apart (NEIGHBOUR_MARKS: "Zuid", "2") come
    only from a shared identifier: without one, the score rejects them anyway (`score`: at most
    names + distance − NEIGHBOURS_PENALTY < MIN_SCORE), and in a register they are many.

    A temporary table rather than a CTE: joined to the register again, a CTE (no index, no statistics)
    was planned as a comparison of every two records' names."""
    table = Initiative._meta.db_table
    identifiers = ", ".join(f"CASE WHEN {present.format(t='t')} THEN {expression.format(t='t')} END AS {code}"
                            for code, (expression, present) in IDENTIFIERS.items())
    shared = ", ".join(f"count({code}) OVER (PARTITION BY {code}) AS {code}_shared" for code in IDENTIFIERS)
    by_identifier = "\n UNION ".join(
        f"SELECT p.id, r.id FROM {KEYS_TABLE} p JOIN {KEYS_TABLE} r ON r.{code} = p.{code} AND r.id > p.id "
        f"WHERE p.{code}_shared <= %(max_shared)s" for code in IDENTIFIERS)
    alike = f"p.marks = r.marks AND {_alike_sql('p.name_key', 'r.name_key', 'p.place_key', 'r.place_key')}"
    same = ", ".join(f"coalesce(p.{code} = r.{code}, false)" for code in IDENTIFIERS)
    different = ", ".join(f"coalesce(p.{code} <> r.{code}, false)" for code in IDENTIFIERS)
    return [
        f"DROP TABLE IF EXISTS {KEYS_TABLE}",
        f"""
        CREATE TEMPORARY TABLE {KEYS_TABLE} ON COMMIT DROP AS
        SELECT named.*, {shared},
               ARRAY(SELECT DISTINCT word FROM unnest(string_to_array(named.name_key, ' ')) AS word
                      WHERE word = ANY(%(marks)s) OR word ~ '^[0-9]+$' ORDER BY word) AS marks
          FROM (SELECT t.id, t.location::{GEOGRAPHY} AS geog, t.location_precision AS precision,
                       registry_name_key(t.name) AS name_key, registry_name_key(t.place) AS place_key, {identifiers}
                  FROM {table} t) AS named
        """,
        f"CREATE INDEX ON {KEYS_TABLE} USING gist (geog)",
        f"CREATE UNIQUE INDEX ON {KEYS_TABLE} (id)",
        f"ANALYZE {KEYS_TABLE}",
        f"""
        WITH pairs AS MATERIALIZED (
            SELECT p.id AS p_id, r.id AS r_id
              FROM {KEYS_TABLE} p JOIN {KEYS_TABLE} r ON r.id > p.id AND ST_DWithin(r.geog, p.geog, %(radius)s)
             WHERE {alike}
            UNION
            SELECT LEAST(p.id, r.id), GREATEST(p.id, r.id)
              FROM {KEYS_TABLE} p
              JOIN {KEYS_TABLE} r ON r.id <> p.id AND ST_DWithin(r.geog, p.geog, %(wide_radius)s)
             WHERE p.precision = %(postcode)s AND {alike}
            UNION
            {by_identifier})
        SELECT c.p_id, c.r_id, p.name_key, r.name_key, similarity(p.name_key, r.name_key),
               ST_Distance(p.geog, r.geog), p.precision, r.precision, p.place_key, r.place_key,
               ARRAY[{same}], ARRAY[{different}]
          FROM pairs c
          JOIN {KEYS_TABLE} p ON p.id = c.p_id
          JOIN {KEYS_TABLE} r ON r.id = c.r_id
        """,
    ]


# Words that tell neighbours apart for the whole search's first step: QUARTERS but "centrum", which is
# not always one (see neighbour_words).
NEIGHBOUR_MARKS = sorted(QUARTERS - {"centrum"})

_PROBE_COLUMNS = "id, name, place, location, location_precision, kvk_number, email, website, phone"


def _matches(probe: str | None, params: dict[str, Any]) -> list[Match]:
    """The scored pairs (at least MIN_SCORE) of the records `probe` selects, or (None) of the whole
    register. The candidates are read in batches from a server-side cursor and scored as they come:
    the whole register's may be hundreds of thousands."""
    codes = list(IDENTIFIERS)
    found: list[Match] = []
    seen: set[tuple[int, int]] = set()
    # One transaction: the whole search's temporary table and the cursor last until its end.
    with transaction.atomic():
        with connection.cursor() as cursor:
            if probe is None:
                # The keys and pairs of 100,000 records are hashed: in memory rather than in batches on disk.
                cursor.execute("SET LOCAL work_mem = '128MB'")
                for statement in _whole_register_statements()[:-1]:
                    cursor.execute(statement, {"marks": NEIGHBOUR_MARKS})
        with connection.chunked_cursor() as cursor:
            cursor.execute(_whole_register_statements()[-1] if probe is None else _candidate_sql(probe), {
                "marks": NEIGHBOUR_MARKS,
                **params, "radius": RADIUS_M, "wide_radius": RADIUS_M + POSTCODE_SLACK_M,
                "postcode": LocationPrecision.POSTCODE, "raw_similarity": RAW_SIMILARITY,
                "key_similarity": KEY_SIMILARITY, "max_shared": MAX_SHARED})
            while rows := cursor.fetchmany(10_000):
                for (p_id, r_id, p_key, r_key, alike, metres, p_precision, r_precision, p_place, r_place, same,
                     different) in rows:
                    if probe is not None:  # from two branches, or of two probes from both
                        pair = (min(p_id, r_id), max(p_id, r_id))
                        if pair in seen:
                            continue
                        seen.add(pair)
                    match = score(Candidate(
                        p_id, r_id, p_key, r_key, alike, metres, p_precision, r_precision, p_place or "",
                        r_place or "", frozenset(code for code, flag in zip(codes, same, strict=True) if flag),
                        frozenset(code for code, flag in zip(codes, different, strict=True) if flag)))
                    if match.score >= MIN_SCORE:
                        found.append(match)
    return found


# -- searches ------------------------------------------------------------------------------------------


def find_all(ids: list[int] | None = None) -> int:
    """Look for pairs across the whole register, or only the pairs that the records `ids` form with
    any other (what a save or an import just wrote); store them with their scores. Returns the number
    of new pairs. A pair already stored keeps its decision; an open one takes the new score."""
    if ids is not None and not ids:
        return 0
    table = Initiative._meta.db_table
    with transaction.atomic():
        if ids is None:
            matches = _matches(None, {})
        else:
            matches = _matches(f"SELECT {_PROBE_COLUMNS} FROM {table} WHERE id = ANY(%(ids)s)", {"ids": list(ids)})
        return store(matches)


def store(matches: Sequence[Match]) -> int:
    """Write the pairs (lowest id first) in one statement; returns how many are new."""
    if not matches:
        return 0
    pairs = DuplicateCandidate._meta.db_table
    ordered = [(min(m.first_id, m.second_id), max(m.first_id, m.second_id), m) for m in matches]
    with connection.cursor() as cursor:
        cursor.execute(
            f"""
            INSERT INTO {pairs} AS pair (first_id, second_id, name_similarity, distance_m, score, reasons,
                                         found_at, decision)
            SELECT first_id, second_id, alike, metres, score, reasons::jsonb, statement_timestamp(), %(open)s
              FROM unnest(%(first)s::int[], %(second)s::int[], %(alike)s::float8[], %(metres)s::float8[],
                          %(score)s::float8[], %(reasons)s::text[])
                   AS found(first_id, second_id, alike, metres, score, reasons)
            ON CONFLICT (first_id, second_id) DO UPDATE
               SET score = excluded.score, reasons = excluded.reasons,
                   name_similarity = excluded.name_similarity, distance_m = excluded.distance_m
             WHERE pair.decision = %(open)s
               AND (pair.score, pair.reasons) IS DISTINCT FROM (excluded.score, excluded.reasons)
            RETURNING xmax = 0
            """,
            {"open": DuplicateDecision.OPEN, "first": [o[0] for o in ordered], "second": [o[1] for o in ordered],
             "alike": [o[2].name_similarity for o in ordered], "metres": [o[2].distance_m for o in ordered],
             "score": [o[2].score for o in ordered], "reasons": [json.dumps(o[2].reasons) for o in ordered]},
        )
        return sum(1 for (inserted,) in cursor.fetchall() if inserted)


def matches_for(records: Sequence[Initiative]) -> list[list[Match]]:
    """For records that may not be saved (a suggestion, the rows of an import's dry run): the stored
    records each may duplicate, most likely first, with the stored record as `other`."""
    located = [(number, record) for number, record in enumerate(records) if record.location is not None]
    if not located:
        return [[] for _record in records]
    # Each record under a number of its own below 0, never a stored record's id (ids of stored records
    # being edited are kept, so they do not match themselves).
    numbers = {number: record.pk or -(number + 1) for number, record in located}
    # The points as text: geometry[] literals split on ':' (PostGIS's delimiter), not on commas.
    probe = ("SELECT id, name, place, ST_GeomFromEWKT(ewkt) AS location, location_precision, kvk_number, email, "
             "website, phone FROM unnest(%(p_id)s::int[], %(p_name)s::text[], %(p_place)s::text[], "
             "%(p_location)s::text[], %(p_precision)s::text[], %(p_kvk)s::text[], %(p_email)s::text[], "
             "%(p_website)s::text[], %(p_phone)s::text[]) AS probe(id, name, place, ewkt, location_precision, "
             "kvk_number, email, website, phone)")
    params = {
        "p_id": [numbers[n] for n, _r in located], "p_name": [r.name for _n, r in located],
        "p_place": [r.place for _n, r in located],
        "p_location": [r.location.ewkt for _n, r in located if r.location is not None],
        "p_precision": [r.location_precision for _n, r in located],
        "p_kvk": [r.kvk_number for _n, r in located], "p_email": [r.email for _n, r in located],
        "p_website": [r.website for _n, r in located], "p_phone": [r.phone for _n, r in located],
    }
    matches = _matches(probe, params)
    others = Initiative.objects.in_bulk([m.second_id for m in matches])
    by_probe: dict[int, list[Match]] = {}
    for match in matches:
        if match.second_id in others:
            by_probe.setdefault(match.first_id, []).append(
                Match(match.first_id, match.second_id, match.score, match.reasons, match.name_similarity,
                      match.distance_m, others[match.second_id]))
    return [sorted(by_probe.get(numbers[number], []), key=lambda m: (-m.score, m.distance_m, m.second_id))
            if number in numbers else [] for number in range(len(records))]


def similar_to(initiative: Initiative) -> list[Match]:
    """The stored records this one may duplicate, most likely first (the record need not be saved)."""
    return matches_for([initiative])[0]
