"""The register's one search: what the public list and map, the API's `q` and the admin's search box
all use (InitiativeQuerySet.search), ranked, in PostgreSQL with indexes.

What it reads is prepared with each record's public documents (registry.documents, "what the search
reads"): a weighted text-search vector in the search's own configuration (Dutch stemming with
accents removed), and the short fields (name, place, municipality, province with their everyday
names, Dutch labels of kind and services, partner names) as unaccented lower-case words between
spaces, under a trigram index.

How a query matches. The text is cut into words (anything else, such as tsquery or SQL syntax,
quotes or control characters, only separates them); every word must match (several words mean all
of them), and a word matches a record when any of these holds:

* its Dutch stem is in the record's vector (any field, descriptions too; "dorpshuizen" and
  "dorpshuis" share no stem, see the next point);
* it, its stem or a plural made singular by Dutch rules the stemmer leaves alone (huizen → huis,
  -ven → -f) is part of a word of the short fields: "winkel" finds "Dorpswinkel", "zorg" and
  "cooperatie" find "Zorgcoöperatie". A part of three letters must begin a word (" den"), so that
  short words do not match inside every longer one;
* it is not a word the register knows (registry.models.SearchWord, from the short fields), and
  a known word is close to it by trigrams (pg_trgm): "amsterdm" matches as "amsterdam". This is
  also the "did you mean" offered when nothing is found.

Why parts of words by trigram index rather than a compound-splitting dictionary: PostgreSQL's
ispell dictionaries split compounds only with a Hunspell dictionary whose affix file marks compound
parts, which no Debian package provides for Dutch in a form PostgreSQL reads; and the names people
search for (places, "Dorpswinkel", "Zorgcoöperatie") are rarely in a dictionary. A substring of the
short fields is exact, indexed (gin_trgm_ops serves LIKE '%…%'), and measured on the labelled
queries in tests/registry/search_queries.py (tests/benchmarks/search.py at 100,000 records).

Ranking, in tiers (Search.rank): first the records in the municipality or province the query
names by its everyday name ("den bosch"), then those with the words written together or side by
side ("zorg cooperatie" → "zorgcooperatie") or all in one label of their kind or services ("care
cooperative", a kind's English label; "village shop", the service Village or neighbourhood shop),
then by where the weakest word is found: in the name, in the places, in the other short fields
(labels, partners), only in the descriptions. Records of one tier come by name, then id.

Speed (issue 19; tests/benchmarks/search.py at 100,000 records, docs/search.md has the figures).
Parts of words are looked up among the few thousand known words (NameWord, trigram index: "winkel"
→ dorpswinkel, buurtwinkel, winkels …) and the records found by their words (`&&` on an index of
the words of their short fields: exact, no recheck). A page of the results (a slice of
best_first(), InitiativeQuerySet.__getitem__) reads the best tier the query can give alone
(Search.best: every word in the name, …; an index on the words of the name) and ranks the other
matches only when that tier does not fill the page: "ontmoetingsplek" sorts the 5,000 records with
the word in their name instead of ranking 36,000. For words together in a label, the labelled
records (all of one rank, unless a word is also in their name or places) are read in name order
and only those that may rank above them are looked up: "village shop" ranks 13,593 records no
more (InitiativeQuerySet._labelled_first). The rank was a weighted ts_rank with bonuses,
which had to be computed for every match; the tiers give the same records for the labelled queries
and a better order at the top (precision@20 0.997 → 1.000). Measured and left out: a B-tree walk
in name order per tier (names made from templates sit together in the alphabet: 60,000 rows read
for one page), every tier read by an index of its own (the lower tiers' conditions then cost more
per row than ranking), an index on the words kept in a stored column (rows 50 % wider, slower), the
RUM index (ranked top-k by its own rank only; its extension needs a superuser).
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from functools import reduce
from operator import and_, or_
from typing import Any

from django.contrib.postgres.search import SearchQuery, SearchVectorExact, SearchVectorField
from django.db import connections
from django.db.models import BooleanField, Case, Exists, F, FloatField, Func, OuterRef, Q, Value, When
from django.db.models.expressions import CombinedExpression, Expression
from django.db.models.functions import Least

from geo.models import Municipality, Province
from geo.search import ALIASES, Location, find_locations
from registry.documents import SEARCH_CONFIG
from registry.models import Initiative, InitiativeSearch, Kind, NameWord, SearchWord, Service

MAX_TERMS = 8  # words past these are left out: a query, not a text
MAX_TERM_LENGTH = 40  # longer "words" are cut (a word of 40 letters is not a typo to correct)
MIN_PART = 4  # shorter words match the beginning of a word, not any part of one
TYPO_SIMILARITY = 0.4  # pg_trgm similarity from which a known word stands in for an unknown one
CLOSE_MARGIN = 0.05  # how much less similar than the closest known word another may be and still stand in

# The rank's tiers (Search.rank): where the weakest word is found, and the bonuses added to it.
IN_NAME, IN_PLACES, IN_SHORT_FIELDS, IN_DESCRIPTIONS = 3.0, 2.0, 1.0, 0.0
TOGETHER_BONUS = 4.0  # the words written together, or together in a label
PLACE_BONUS = 8.0  # in the municipality or province the query names by its everyday name
# The least a labelled record ranks (Search.labelled): every word is in its kind's or services' labels,
# which are among the short fields.
LABELLED_LEAST = TOGETHER_BONUS + IN_SHORT_FIELDS

_WORD = re.compile(r"[^\W_]+")
NOTHING = Value(False, output_field=BooleanField())  # a condition no record meets


def words(text: str) -> list[str]:
    """The words of a query, in lower case: letters and digits of any script; everything else
    (punctuation, operators, control characters, symbols) separates words."""
    text = unicodedata.normalize("NFKC", text or "")
    found = [word[:MAX_TERM_LENGTH] for word in _WORD.findall(text.casefold())]
    return found[:MAX_TERMS]


def _singular_forms(word: str) -> set[str]:
    """Singular forms of a Dutch plural that the stemmer does not give (it leaves huiz- for huizen)."""
    forms = set()
    if word.endswith("zen") and len(word) > 5:
        forms.add(word[:-3] + "s")  # huizen → huis, reizen → reis
    if word.endswith("ven") and len(word) > 5:
        forms.add(word[:-3] + "f")  # werven → werf, druiven → druif
    if word.endswith("eren") and len(word) > 6:
        forms.add(word[:-4])  # kinderen → kind, liederen → lied
    return forms


@dataclass(frozen=True)
class Term:
    word: str  # as typed, in lower case
    plain: str  # unaccented
    lexemes: tuple[str, ...]  # its stems (none: a stop word such as "de")
    stems: tuple[str, ...]  # the stems as plain text (for parts of words)
    known: bool  # the register has it (in a word of the short fields, or in some record's vector)
    close: tuple[str, ...] = ()  # known words close to it, when it is not known itself
    split: tuple[str, ...] = ()  # two known words it is made of, when it is not known itself ("repaircafe")

    @property
    def corrections(self) -> tuple[str, ...]:
        return () if self.known else self.close

    def parts(self) -> set[str]:
        """What may be part of a word of the short fields for this term to match."""
        return {self.plain, *(s for s in self.stems if len(s) >= MIN_PART), *_singular_forms(self.plain)}


def _pattern(part: str, *, beginning: bool = False) -> str | None:
    """The LIKE pattern of the known words (NameWord) that a part of a word matches: a word that holds
    it (four letters or more), a word that begins with it (three letters, or `beginning`: the
    unfinished last word as someone types); None for a shorter part, which matches a whole word only."""
    escaped = part.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    if beginning or len(part) == MIN_PART - 1:
        return escaped + "%"
    if len(part) >= MIN_PART:
        return "%" + escaped + "%"
    return None


def _like(text: str, part: str, *, beginning: bool = False) -> Q:
    """The search table's `text` (name or names: words between single spaces) holds the part by the
    rules of _pattern: in a word (four letters or more), at a word's beginning (three letters, or
    `beginning`), or as a whole word."""
    if beginning or len(part) == MIN_PART - 1:
        return Q(**{f"searched__{text}__contains": f" {part}"})
    if len(part) >= MIN_PART:
        return Q(**{f"searched__{text}__contains": part})
    return Q(**{f"searched__{text}__contains": f" {part} "})


def _has_any(words: list[str]) -> Q:
    """One of these words is a word of the record's short fields (indexed: InitiativeSearch)."""
    return Q(searched__names__words__overlap=words)


@dataclass(frozen=True)
class Search:
    """A query understood: its terms, and what they match."""

    text: str
    terms: tuple[Term, ...] = field(default=())
    prefix: bool = False  # the last word may be unfinished (suggestions as you type)
    # The known words (NameWord) each pattern of a part matches (see _pattern), looked up by understand().
    known: dict[str, tuple[str, ...]] = field(default_factory=dict, compare=False)
    # The kinds and services with every word of a query of several words in one of their labels
    # (Dutch, English, other words): "care cooperative", "village shop" (Village or neighbourhood
    # shop), looked up by understand().
    labelled_together: tuple[tuple[int, ...], tuple[int, ...]] = ((), ())

    @property
    def empty(self) -> bool:
        return not self.terms

    def _query(self, term: Term, *, last: bool) -> str:
        # The word has letters and digits only (words()), so it is safe as a raw tsquery.
        return term.word + (":*" if last and self.prefix else "")

    def patterns(self) -> set[str]:
        """The patterns of every part of a word the terms may match (the known words are looked up
        for them at once)."""
        found = set()
        last = len(self.terms) - 1
        for i, term in enumerate(self.terms):
            found |= {_pattern(part) for part in term.parts()}
            if i == last and self.prefix and len(term.plain) >= 2:
                found.add(_pattern(term.plain, beginning=True))
            if term.split and not term.known:
                found |= {_pattern(part) for part in term.split}
        if len(self.terms) > 1:
            found.add(_pattern("".join(t.plain for t in self.terms)))  # the words written together
        return {pattern for pattern in found if pattern is not None}

    def _words(self, part: str, *, beginning: bool = False) -> list[str]:
        """The words a part of a word matches: itself (a word in its own right, or a short part that
        matches only a whole word) and the known words that hold it (or begin with it)."""
        pattern = _pattern(part, beginning=beginning)
        return [part, *self.known.get(pattern, ())] if pattern is not None else [part]

    def _term_words(self, term: Term) -> list[str]:
        """The words a record's short fields (or name) may have for the term to match there: those
        that hold one of its parts, and its corrections."""
        return sorted({word for part in term.parts() for word in self._words(part)} | set(term.corrections))

    def _wanted(self, term: Term, *, last: bool) -> list[str]:
        """The words of the short fields (or of the name) the term matches: those that hold one of its
        parts, its corrections, and for the unfinished last word as someone types the words it begins."""
        wanted = set(self._term_words(term))
        if last and self.prefix and len(term.plain) >= 2:
            wanted |= set(self._words(term.plain, beginning=True))
        return sorted(wanted)

    def _term_matches(self, term: Term, *, last: bool) -> Q:
        # The vector first: where the condition is tested row by row (a walk in name order), the
        # words' function (which splits the row's text, about 0.2 ms) is then only called for rows
        # the stems do not match. PostgreSQL keeps the order of an OR; its index scans do not care.
        matches = []
        if term.lexemes:
            query = SearchQuery(self._query(term, last=last), config=SEARCH_CONFIG, search_type="raw")
            matches.append(Q(searched__vector=query))
        matches.append(_has_any(self._wanted(term, last=last)))
        if term.split and not term.known:
            matches.append(reduce(and_, (_has_any(self._words(part)) for part in term.split)))
        return reduce(or_, matches)

    def condition(self) -> Q:
        """Every term matches."""
        last = len(self.terms) - 1
        return reduce(and_, (self._term_matches(term, last=i == last) for i, term in enumerate(self.terms)))

    def _parts(self, term: Term, *, last: bool) -> list[tuple[str, bool]]:
        """The parts of a word the short fields (or the name) may hold for the term, each with
        whether it must begin a word (the unfinished last word as someone types)."""
        parts = [(part, False) for part in term.parts()]
        if last and self.prefix and len(term.plain) >= 2:
            parts.append((term.plain, True))
        return parts

    def _holds(self, text: str, term: Term, *, last: bool) -> Q:
        """The search table's `text` (name or names) holds the term: a part of a word by the rules
        of _pattern, or a correction as a whole word. The same records as the words' index gives
        (`_wanted`), as a LIKE on the row, which costs less where every match is looked at."""
        found = [_like(text, part, beginning=beginning) for part, beginning in self._parts(term, last=last)]
        found += [Q(**{f"searched__{text}__contains": f" {word} "}) for word in term.corrections]
        if term.split and not term.known:
            found.append(reduce(and_, (_like(text, part) for part in term.split)))
        return reduce(or_, found)

    def _weighted(self, term: Term, weight: str, *, last: bool) -> Q:
        """The term's stems or corrections in the part of the vector with this weight (B places, C
        labels and partners)."""
        items = [self._query(term, last=last)] if term.lexemes else []
        items += [word for word in term.corrections if _WORD.fullmatch(word)]
        if not items:
            return Q(NOTHING)
        query = " | ".join(f"{item}{weight}" if item.endswith(":*") else f"{item}:{weight}" for item in items)
        return Q(searched__vector=SearchQuery(query, config=SEARCH_CONFIG, search_type="raw"))

    def level(self) -> Expression:
        """Where the weakest word is found: 3 every word in the name; 2 every word in the name or
        the places (place, municipality, province and their everyday names); 1 every word in those
        or the labels and partners (any short field); 0 some word only in the descriptions. The
        least of each word's level, so that each condition is tested once a row."""
        last = len(self.terms) - 1
        each: list[Expression] = [
            Case(When(self._holds("name", term, last=i == last), then=Value(IN_NAME)),
                 When(self._weighted(term, "B", last=i == last), then=Value(IN_PLACES)),
                 When(self._holds("names", term, last=i == last) | self._weighted(term, "C", last=i == last),
                      then=Value(IN_SHORT_FIELDS)),
                 default=Value(IN_DESCRIPTIONS), output_field=FloatField())
            for i, term in enumerate(self.terms)]
        return each[0] if len(each) == 1 else Least(*each)

    def in_everyday_place(self) -> Q | None:
        """The record is in the municipality or province the query names by its everyday name ("den
        bosch": 's-Hertogenbosch, not the hamlet Op den Bosch); None when it names none."""
        places = self.everyday_places()
        if not places:
            return None
        return (Q(municipality__in=Municipality.objects.filter(name__in=places))
                | Q(province__in=Province.objects.filter(name__in=places)))

    def written_together(self, *, indexed: bool = False) -> Q | None:
        """The words written as one word ("zorg cooperatie": zorgcooperatie, also inside a longer
        word) or side by side in a short field; None for a single word. `indexed`: as conditions on
        the words' index rather than on the row."""
        if len(self.terms) < 2:
            return None
        plains = [t.plain for t in self.terms]
        together = _like("names", "".join(plains)) | Q(searched__names__contains=f" {' '.join(plains)} ")
        if indexed:
            # The words' index finds these records, with some that have the words apart (@>); the LIKEs
            # decide. Written the other way round (index conditions OR'd with a LIKE), the planner had
            # to test the whole OR on every row of the bitmap, splitting each row's text into words
            # ("zorg cooperatie": 3,400 rows; the page 41 -> 29 ms).
            together &= _has_any(self._words("".join(plains))) | Q(searched__names__words__contains=plains)
        return together

    def labelled(self) -> Q | None:
        """The record's kind or one of its services has every word in one label ("village shop");
        None when no label has them (or for a single word)."""
        kinds, services = self.labelled_together
        if not kinds and not services:
            return None
        found = [Q(kind__in=kinds)] if kinds else []
        if services:
            # EXISTS rather than IN: PostgreSQL then probes the index for a few records (a page, a
            # tier) and hashes the services' records only when it ranks many ("meeting point": 38,172).
            found.append(Q(Exists(Initiative.services.through.objects.filter(
                initiative_id=OuterRef("pk"), service__in=services))))
        return reduce(or_, found)

    def together(self, *, indexed: bool = False) -> Q | None:
        """The words written together (written_together) or together in a label of the record's kind
        or services (labelled); None for a single word."""
        found = [q for q in (self.written_together(indexed=indexed), self.labelled()) if q is not None]
        return reduce(or_, found) if found else None

    def rank(self) -> Expression:
        """Higher is better, in tiers: 8 for the everyday place named, 4 for the words together, and
        level() (3 to 0) for where the weakest word is found. Records of the same rank come by name,
        then id (best_first)."""
        rank = self.level()
        for condition, weight in ((self.in_everyday_place(), PLACE_BONUS), (self.together(), TOGETHER_BONUS)):
            if condition is not None:
                rank = CombinedExpression(rank, "+", Case(When(condition, then=Value(weight)), default=Value(0.0),
                                                          output_field=FloatField()))
        return rank

    def _in_name(self, term: Term, *, last: bool) -> Q:
        """The term in the name, as conditions on the index of the name's words (the same records as
        _holds("name", …) finds on the row)."""
        found = Q(searched__name__words__overlap=self._wanted(term, last=last))
        if term.split and not term.known:
            found |= reduce(and_, (Q(searched__name__words__overlap=self._words(part)) for part in term.split))
        return found

    def _in_places(self, term: Term, *, last: bool) -> Q:
        """The term's stems in the places, by the index of the places' stems alone (the same records
        as _weighted(term, "B") finds on the row, for a term without corrections)."""
        places = Func(F("searched__vector"), function="registry_places", output_field=SearchVectorField())
        query = SearchQuery(self._query(term, last=last), config=SEARCH_CONFIG, search_type="raw")
        return Q(SearchVectorExact(places, query))

    def best(self) -> Q:
        """The records of the highest rank this query can give, as conditions the indexes answer (the
        words of the name and of the short fields): in the everyday place it names, with the words
        together, every word in the name."""
        last = len(self.terms) - 1
        best = [self._in_name(term, last=i == last) for i, term in enumerate(self.terms)]
        for condition in (self.in_everyday_place(), self.together(indexed=True)):
            if condition is not None:
                best.append(condition)
        return reduce(and_, best)

    def above_labelled(self) -> list[Q] | None:
        """Conditions the indexes answer, one a statement, that together hold every record that may
        rank above LABELLED_LEAST, except labelled ones ranked exactly that: the labelled records with
        every word in the name or the places (as level() finds them there, by the indexes of the
        name's words and of the places' stems), and the words written together. None when that
        cannot be said: no label has the words, a place is named (its bonus lifts records that are
        not labelled), or a word is unknown (corrected, or split in two) or a stop word."""
        labelled, written = self.labelled(), self.written_together(indexed=True)
        if (labelled is None or written is None or self.in_everyday_place() is not None
                or any(not term.known or not term.lexemes for term in self.terms)):
            return None
        last = len(self.terms) - 1
        named_or_placed = [self._in_name(term, last=i == last) | self._in_places(term, last=i == last)
                           for i, term in enumerate(self.terms)]
        # The labelled first: when common words make either too many to rank (LABELLED_ABOVE), it
        # is usually this one, and it costs less to find out than the LIKEs of the other.
        return [labelled & reduce(and_, named_or_placed), written]

    def everyday_places(self) -> list[str]:
        """The official names of the places the query names by their everyday names (geo.search.ALIASES:
        "den haag", "friesland"), or by their official names (a municipality or province as written)."""
        plains = [t.plain for t in self.terms]
        found = []
        for common, official in ALIASES.items():
            words_of = common.split()
            if any(plains[i:i + len(words_of)] == words_of for i in range(len(plains))):
                found.append(official)
        return found

    @property
    def corrected(self) -> str | None:
        """The query with each unknown word replaced by the closest known one ("did you mean"),
        or None when no word was replaced."""
        return self.corrected_as({})

    def corrected_as(self, spellings: dict[str, str]) -> str | None:
        """`corrected`, each replaced word in its spelling where `spellings` has one (by plain form)."""
        if not any(t.corrections for t in self.terms):
            return None
        return " ".join(spellings.get(t.corrections[0], t.corrections[0]) if t.corrections else t.word
                        for t in self.terms)


# A query's words as the search stores text: unaccented lower case, and their Dutch stems.
_FORMS = f"""
SELECT t.word, p.plain, p.lexemes, ARRAY(SELECT lower(unaccent(l)) FROM unnest(p.lexemes) AS l) AS stems
  FROM unnest(%s::text[]) WITH ORDINALITY AS t(word, ord)
 CROSS JOIN LATERAL (SELECT lower(unaccent(t.word)) AS plain,
                            tsvector_to_array(to_tsvector('{SEARCH_CONFIG}', t.word)) AS lexemes) AS p
 ORDER BY t.ord"""

# What the register knows of one word (its plain form given): whether a known word holds it or a
# singular form of it; and when none does, the known words close to it with their similarity,
# which of the halves it might be made of are known words, and (when that decides it) whether some
# record's vector has its stem. One such SELECT a word, with the word's values written into it
# (Django binds parameters on the client): PostgreSQL then plans each LIKE and trigram search for
# its own text, where a pattern computed inside one statement for every word was tested against
# all known words (dagbestedding: 4.7 ms of 12).
_KNOWLEDGE = f"""
SELECT %(ord)s::int, f.holds, c.close, c.closeness, h.halves,
       CASE WHEN f.holds OR (cardinality(c.close) = 0 AND cardinality(h.halves) = 0) OR NOT %(stemmed)s
            THEN NULL
            ELSE EXISTS (SELECT 1 FROM {InitiativeSearch._meta.db_table} d
                          WHERE d.vector @@ to_tsquery('{SEARCH_CONFIG}', %(word)s)) END
  FROM (SELECT EXISTS (SELECT 1 FROM {SearchWord._meta.db_table} w WHERE w.word LIKE ANY (%(patterns)s::text[]))
               AS holds OFFSET 0) AS f  -- OFFSET 0: tested once, not once where each use is
 CROSS JOIN LATERAL (
       SELECT coalesce(array_agg(n.word ORDER BY n.closeness DESC, n.word), '{{}}') AS close,
              coalesce(array_agg(n.closeness ORDER BY n.closeness DESC, n.word), '{{}}') AS closeness
         FROM (SELECT w.word, similarity(w.word, %(plain)s) AS closeness
                 FROM {SearchWord._meta.db_table} w
                WHERE NOT f.holds AND %(correctable)s
                  AND w.word %% %(plain)s AND similarity(w.word, %(plain)s) >= {TYPO_SIMILARITY}
                ORDER BY 2 DESC, 1 LIMIT 3) AS n) AS c
 CROSS JOIN LATERAL (
       SELECT coalesce(array_agg(w.word), '{{}}') AS halves
         FROM {SearchWord._meta.db_table} w WHERE NOT f.holds AND w.word = ANY (%(halves)s::text[])) AS h"""

MIN_SPLIT = 7  # a shorter unknown word is not taken for two known words written together
MIN_HALF = MIN_PART - 1  # each of the two: a known word of three letters at least (NameWord's shortest)


def _halves(plain: str) -> list[tuple[str, str]]:
    """The ways to cut a word into two of at least MIN_HALF letters, the most even first."""
    if len(plain) < MIN_SPLIT:
        return []
    cuts = sorted(range(MIN_HALF, len(plain) - MIN_HALF + 1), key=lambda k: abs(len(plain) - 2 * k))
    return [(plain[:k], plain[k:]) for k in cuts]


def _closest(words: Sequence[str], closeness: Sequence[float]) -> tuple[str, ...]:
    """The closest known words, and others nearly as close ("amsterdm": amsterdam, not amstel)."""
    if not words:
        return ()
    best = closeness[0]
    return tuple(word for word, near in zip(words, closeness, strict=True) if near >= best - CLOSE_MARGIN)


def _plain(text: str) -> str:
    """Lower case, accents removed, words between single spaces (as the search's short fields)."""
    folded = "".join(c for c in unicodedata.normalize("NFKD", text.casefold()) if not unicodedata.combining(c))
    return " ".join(_WORD.findall(folded))


def _labelled_together(plains: list[str], using: str) -> tuple[tuple[int, ...], tuple[int, ...]]:
    """The kinds and services with every word in one label or one of their other words, as whole
    words in any order: someone who types "village shop" means the service "Village or
    neighbourhood shop"."""
    wanted = set(plains)

    def has(term: Any) -> bool:
        texts = [term.label_nl, term.label_en, *term.search_words.split(",")]
        return any(wanted <= set(_plain(text).split()) for text in texts)

    return (tuple(k.pk for k in Kind.objects.using(using).all() if has(k)),
            tuple(s.pk for s in Service.objects.using(using).all() if has(s)))


def understand(text: str, *, prefix: bool = False, using: str = "default") -> Search:
    """The query's terms with what the database knows of them (short statements: the words' forms,
    what the register knows of each, the known words that hold their parts, and for several words
    the vocabularies' labels)."""
    found = words(text)
    if not found:
        return Search(text, (), prefix)
    with connections[using].cursor() as cursor:
        cursor.execute(_FORMS, [found])
        forms = cursor.fetchall()
        statements: list[str] = []
        params: dict[str, Any] = {}
        cuts = [_halves(plain) for _word, plain, _lexemes, _stems in forms]
        for index, (word, plain, lexemes, _stems) in enumerate(forms):
            statements.append(_KNOWLEDGE.replace("%(", f"%({index}_"))
            # A word holds it (or for a short one begins with it), or holds a singular form of it
            # that the stemmer does not give ("dorpshuizen": dorpshuis).
            patterns = [_pattern(plain) or plain + "%", *(f"%{form}%" for form in _singular_forms(plain))]
            params |= {f"{index}_{name}": value for name, value in {
                "ord": index, "word": word, "plain": plain, "stemmed": bool(lexemes), "patterns": patterns,
                "correctable": len(plain) >= MIN_PART,
                "halves": sorted({half for pair in cuts[index] for half in pair}),
            }.items()}
        cursor.execute(" UNION ALL ".join(statements) + " ORDER BY 1", params)
        knowledge = cursor.fetchall()
    terms = []
    for (word, plain, lexemes, stems), (_, holds, close, closeness, halves, in_vector), pairs in zip(
            forms, knowledge, cuts, strict=True):
        known_halves = set(halves)
        split = next((pair for pair in pairs if set(pair) <= known_halves), ())
        known = holds or (not close and not split) or bool(in_vector)
        terms.append(Term(word, plain, tuple(lexemes), tuple(stems), known, _closest(close, closeness), tuple(split)))
    # A stop word ("de", "het", "van", "voor") says nothing, unless it is all there is.
    meaningful = [t for t in terms if t.lexemes]
    understood = Search(text, tuple(meaningful or terms), prefix)
    if len(understood.terms) > 1:
        understood = replace(understood, labelled_together=_labelled_together(
            [t.plain for t in understood.terms], using))
    patterns = sorted(understood.patterns())
    if not patterns:
        return understood
    with connections[using].cursor() as cursor:
        cursor.execute(_KNOWN_WORDS, [patterns])
        known = {pattern: tuple(found) for pattern, found in cursor.fetchall()}
    return replace(understood, known=known)


# The known words each pattern matches (pg_trgm's index on NameWord serves LIKE '%…%' and '…%').
_KNOWN_WORDS = f"""
SELECT p.pattern, ARRAY(SELECT w.word FROM {NameWord._meta.db_table} w WHERE w.word LIKE p.pattern ORDER BY w.word)
  FROM unnest(%s::text[]) AS p(pattern)"""


# A postcode as people type it: "1021", "1021AB", "1021 ab".
POSTCODE_TYPED = re.compile(r"([1-9][0-9]{3}) ?([A-Za-z]{2})?")


def postcode_area(text: str) -> Q | None:
    """For maintainers: the records of a postcode ("1021 AB") or of its area ("1021", every postcode
    that begins so), when that is what the text is; None otherwise."""
    typed = POSTCODE_TYPED.fullmatch(" ".join(text.split()))
    if typed is None:
        return None
    area, letters = typed.groups()
    if letters:
        return Q(postcode=f"{area} {letters.upper()}")
    return Q(postcode=area) | Q(postcode__startswith=f"{area} ")


def identifier_matches(text: str) -> Q:
    """For maintainers: a record by its slug, KvK number, postcode (or postcode area) or external id,
    typed whole."""
    text = " ".join(text.split())
    if not text or len(text) > 220:
        return Q(NOTHING)
    return (Q(slug=text.lower()) | Q(kvk_number=text) | (postcode_area(text) or Q(postcode=text.upper()))
            | Q(external_id=text))


# -- suggestions as you type ------------------------------------------------------------------------


@dataclass(frozen=True)
class Suggestions:
    """What a search box offers while someone types: places (geo.search), services and initiatives,
    and the query with its typos corrected when it finds nothing."""

    places: list[Location]
    services: list[Service]
    initiatives: list[Any]  # Initiative
    did_you_mean: str | None


PLACES_SUGGESTED = 3


def suggest(text: str, initiatives: Any, *, limit: int = 5) -> Suggestions:
    """Suggestions for a text typed so far (its last word perhaps unfinished), from the published
    `initiatives` (a queryset) the box searches."""
    understood = understand(text, prefix=True, using=initiatives.db)
    if understood.empty or len(text.strip()) < 2:
        return Suggestions([], [], [], None)
    # Three places at most, so that the services and initiatives below them stay in view ("winkel":
    # five hamlets of that name filled the list on a phone).
    at_most = min(limit, PLACES_SUGGESTED)
    places = find_locations(" ".join(words(text)), limit=at_most)
    corrected = correction(understood, initiatives)
    if not places and corrected:
        places = find_locations(corrected, limit=at_most)  # "amsterdm": Amsterdam
    plain = [t.plain for t in understood.terms]
    services = [service for service in Service.objects.order_by("order", "code")
                if all(_offers(service, word) for word in plain)][:limit]
    # The ids first, then their few records: ranked with every column of the records and of their
    # search rows, the matches were sorted as wide rows, on disk ("dagbest": 150 ms).
    ranked = list(initiatives.searched(understood).best_first().values_list("pk", flat=True)[:limit])
    records = initiatives.filter(pk__in=ranked).select_related("kind").in_bulk()
    found = [records[pk] for pk in ranked]
    return Suggestions(places, services, found, corrected)


def correction(understood: Search, initiatives: Any) -> str | None:
    """The query with its typos corrected ("did you mean"), when that differs from what was typed and
    finds something among `initiatives` (a queryset): a word that nothing stands in for ("xyzqq
    amsterdm") keeps the corrected query from finding anything too."""
    corrected = understood.corrected
    if corrected is None or corrected == " ".join(t.plain for t in understood.terms):
        return None
    # Unordered: any of the records will do, and ordered by name PostgreSQL may walk the name index
    # testing the search on record after record (querysets._labelled_by_name).
    found = list(initiatives.search(corrected).order_by().values_list("name", "place", "kind__label_nl")
                 [:WRITTEN_FROM])
    if not found:
        return None
    # The words the search knows are stored without accents; offer them as the records write them
    # ("zorgcoöperatie", not "zorgcooperatie").
    return understood.corrected_as(_spellings(" ".join(text for row in found for text in row if text)))


# Records whose words give a correction its accents: enough to outvote a record's odd spelling, few
# enough to read in a moment.
WRITTEN_FROM = 20


def _spellings(text: str) -> dict[str, str]:
    """The most common spelling of each word of `text` in lower case, by its plain form (_plain): an
    accented one only where the records mostly write it so ("één" in one name does not make "een")."""
    counted = Counter(_WORD.findall(text.casefold()))
    spellings: dict[str, str] = {}
    for word, _count in counted.most_common():
        spellings.setdefault(_plain(word), word)
    return spellings


def _offers(service: Service, word: str) -> bool:
    """Whether a service's labels or other words hold the word: as part of a word, or for a short word
    as the beginning of one (as the search matches), accents ignored."""
    text = " ".join([service.label_nl, service.label_en, service.search_words])
    plain = "".join(c for c in unicodedata.normalize("NFKD", text.casefold()) if not unicodedata.combining(c))
    if len(word) >= MIN_PART:
        return word in plain
    return any(part.startswith(word) for part in _WORD.findall(plain))
