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

Ranking (ts_rank with weights, name first), with a bonus for a name that holds every word (also
inside a compound) and for the words written together or next to each other ("zorg cooperatie" →
"zorgcooperatie").

Speed (issue 19; measured with tests/benchmarks/search.py at 100,000 records, docs/search.md has
the figures). Parts of words were a substring scan (`names LIKE '%winkel%'`) of every record; they
are now looked up among the few thousand known words (NameWord, trigram index: "winkel" →
dorpswinkel, buurtwinkel, winkels …) and the records found by their words (`&&` on an index of the
words of their short fields: exact, no recheck), in the same query as the vector's index. The
result is the same records (the labelled queries give the same figures). What was measured and
left out: an index on the words kept in a stored column (the rows 50 % wider: a word that matches a
third of the register reads every page that holds a match, so slower than the scan); PostgreSQL's
planner reading every row anyway where it expects many matches (hence the costly, strict function
registry_words behind the index); the RUM index (ranked top-k from the index: it orders by its own
rank only, not by ours with its bonuses and parts of words, and its extension needs a superuser to
create). Records that rank the same are ordered by the name kept in the search's table
(InitiativeQuerySet.best_first), so that the order needs nothing of the initiatives' table.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from functools import reduce
from operator import and_, or_
from typing import Any

from django.contrib.postgres.search import SearchQuery, SearchRank
from django.db import connections
from django.db.models import BooleanField, Case, F, FloatField, Q, Value, When
from django.db.models.expressions import CombinedExpression, Expression

from geo.search import ALIASES, Location, find_locations
from registry.documents import SEARCH_CONFIG
from registry.models import InitiativeSearch, NameWord, SearchWord, Service

MAX_TERMS = 8  # words past these are left out: a query, not a text
MAX_TERM_LENGTH = 40  # longer "words" are cut (a word of 40 letters is not a typo to correct)
MIN_PART = 4  # shorter words match the beginning of a word, not any part of one
TYPO_SIMILARITY = 0.45  # pg_trgm similarity from which a known word stands in for an unknown one
CLOSE_MARGIN = 0.05  # how much less similar than the closest known word another may be and still stand in
# Weights of D, C, B and A (descriptions, labels and partners, places, name) in ts_rank.
WEIGHTS = [0.1, 0.3, 0.6, 1.0]

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


def _has_any(words: list[str]) -> Q:
    """One of these words is a word of the record's short fields (indexed: InitiativeSearch)."""
    return Q(searched__names__words__overlap=words)


def _in_name(part: str) -> Q:
    """The part is part of a word of the name (a short text: LIKE on the row costs less than
    splitting it into words), by the rules of _pattern."""
    if len(part) >= MIN_PART:
        return Q(searched__name__contains=part)
    if len(part) == MIN_PART - 1:
        return Q(searched__name__contains=f" {part}")  # the beginning of a word
    return Q(searched__name__contains=f" {part} ")  # the whole word


@dataclass(frozen=True)
class Search:
    """A query understood: its terms, and what they match."""

    text: str
    terms: tuple[Term, ...] = field(default=())
    prefix: bool = False  # the last word may be unfinished (suggestions as you type)
    # The known words (NameWord) each pattern of a part matches (see _pattern), looked up by understand().
    known: dict[str, tuple[str, ...]] = field(default_factory=dict, compare=False)

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

    def _term_matches(self, term: Term, *, last: bool) -> Q:
        wanted = set(self._term_words(term))
        if last and self.prefix and len(term.plain) >= 2:
            wanted |= set(self._words(term.plain, beginning=True))
        matches = [_has_any(sorted(wanted))]
        if term.lexemes:
            query = SearchQuery(self._query(term, last=last), config=SEARCH_CONFIG, search_type="raw")
            matches.append(Q(searched__vector=query))
        if term.split and not term.known:
            matches.append(reduce(and_, (_has_any(self._words(part)) for part in term.split)))
        return reduce(or_, matches)

    def condition(self) -> Q:
        """Every term matches."""
        last = len(self.terms) - 1
        return reduce(and_, (self._term_matches(term, last=i == last) for i, term in enumerate(self.terms)))

    def rank(self) -> Expression:
        """Higher is better: the weighted text rank, and bonuses for the name and for the words
        together."""
        lexical = [self._query(t, last=i == len(self.terms) - 1) for i, t in enumerate(self.terms) if t.lexemes]
        lexical += [word for t in self.terms for word in t.corrections if _WORD.fullmatch(word)]
        rank: Expression = Value(0.0, output_field=FloatField())
        if lexical:
            query = SearchQuery(" | ".join(lexical), config=SEARCH_CONFIG, search_type="raw")
            rank = SearchRank(F("searched__vector"), query, weights=WEIGHTS)
        in_name = reduce(and_, (reduce(or_, [_in_name(part) for part in t.parts()]
                                       + [Q(searched__name__contains=f" {w} ") for w in t.corrections])
                                for t in self.terms))
        rank = CombinedExpression(rank, "+", Case(When(in_name, then=Value(1.0)), default=Value(0.0),
                                                  output_field=FloatField()))
        places = self.everyday_places()
        if places:
            # "Den Bosch" is the municipality 's-Hertogenbosch, more than the hamlet Op den Bosch.
            official = reduce(or_, (Q(municipality__name=name) | Q(province__name=name) for name in places))
            rank = CombinedExpression(rank, "+", Case(When(official, then=Value(1.5)), default=Value(0.0),
                                                      output_field=FloatField()))
        if len(self.terms) > 1:
            plains = [t.plain for t in self.terms]
            together = (Q(searched__names__contains="".join(plains))
                        | Q(searched__names__contains=" ".join(plains)))
            rank = CombinedExpression(rank, "+", Case(When(together, then=Value(0.8)), default=Value(0.0),
                                                      output_field=FloatField()))
        return rank

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
        if not any(t.corrections for t in self.terms):
            return None
        return " ".join(t.corrections[0] if t.corrections else t.word for t in self.terms)


_ANALYSE = f"""
SELECT t.word, n.plain, n.lexemes, n.stems,
       CASE WHEN EXISTS (SELECT 1 FROM {SearchWord._meta.db_table} w WHERE w.word LIKE n.pattern) THEN true
            WHEN cardinality(n.close) = 0 AND cardinality(n.split) = 0 THEN true
            ELSE cardinality(n.lexemes) > 0 AND EXISTS (
                 SELECT 1 FROM {InitiativeSearch._meta.db_table} d
                  WHERE d.vector @@ to_tsquery('{SEARCH_CONFIG}', t.word))
       END AS known,
       n.close, n.closeness, n.split
  FROM unnest(%s::text[]) WITH ORDINALITY AS t(word, ord)
 CROSS JOIN LATERAL (
       SELECT p.plain, p.lexemes, p.pattern,
              ARRAY(SELECT lower(unaccent(l)) FROM unnest(p.lexemes) AS l) AS stems,
              CASE WHEN length(p.plain) < {MIN_PART} THEN '{{}}'::text[] ELSE ARRAY(
                   SELECT w.word FROM {SearchWord._meta.db_table} w
                    WHERE w.word %% p.plain AND similarity(w.word, p.plain) >= {TYPO_SIMILARITY}
                    ORDER BY similarity(w.word, p.plain) DESC, w.word LIMIT 3) END AS close,
              CASE WHEN length(p.plain) < {MIN_PART} THEN '{{}}'::real[] ELSE ARRAY(
                   SELECT similarity(w.word, p.plain) FROM {SearchWord._meta.db_table} w
                    WHERE w.word %% p.plain AND similarity(w.word, p.plain) >= {TYPO_SIMILARITY}
                    ORDER BY similarity(w.word, p.plain) DESC, w.word LIMIT 3) END AS closeness,
              coalesce((
                   SELECT ARRAY[left(p.plain, k), substr(p.plain, k + 1)]
                     FROM generate_series(3, length(p.plain) - 3) AS k
                    WHERE length(p.plain) >= 7
                      AND EXISTS (SELECT 1 FROM {SearchWord._meta.db_table} w WHERE w.word = left(p.plain, k))
                      AND EXISTS (SELECT 1 FROM {SearchWord._meta.db_table} w WHERE w.word = substr(p.plain, k + 1))
                    ORDER BY abs(length(p.plain) - 2 * k) LIMIT 1), '{{}}'::text[]) AS split
         FROM (SELECT lower(unaccent(t.word)) AS plain,
                      tsvector_to_array(to_tsvector('{SEARCH_CONFIG}', t.word)) AS lexemes,
                      CASE WHEN length(lower(unaccent(t.word))) >= {MIN_PART}
                           THEN '%%' || lower(unaccent(t.word)) || '%%'
                           ELSE lower(unaccent(t.word)) || '%%' END AS pattern) AS p) AS n
 ORDER BY t.ord
"""


def _closest(words: Sequence[str], closeness: Sequence[float]) -> tuple[str, ...]:
    """The closest known words, and others nearly as close ("amsterdm": amsterdam, not amstel)."""
    if not words:
        return ()
    best = closeness[0]
    return tuple(word for word, near in zip(words, closeness, strict=True) if near >= best - CLOSE_MARGIN)


def _singular_known(plain: str, using: str) -> bool:
    """Whether a plural the stemmer leaves alone is known by a singular form ("dorpshuizen": dorpshuis
    is part of a known word): it finds records, so it is not a typo to correct."""
    forms = _singular_forms(plain)
    return bool(forms) and SearchWord.objects.using(using).filter(
        reduce(or_, (Q(word__contains=form) for form in forms))).exists()


def understand(text: str, *, prefix: bool = False, using: str = "default") -> Search:
    """The query's terms with what the database knows of them (one round trip)."""
    found = words(text)
    if not found:
        return Search(text, (), prefix)
    with connections[using].cursor() as cursor:
        cursor.execute(_ANALYSE, [found])
        rows = cursor.fetchall()
    terms = [Term(word, plain, tuple(lexemes), tuple(stems), bool(known) or _singular_known(plain, using),
                  _closest(close, closeness), tuple(split))
             for word, plain, lexemes, stems, known, close, closeness, split in rows]
    # A stop word ("de", "het", "van", "voor") says nothing, unless it is all there is.
    meaningful = [t for t in terms if t.lexemes]
    understood = Search(text, tuple(meaningful or terms), prefix)
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


def suggest(text: str, initiatives: Any, *, limit: int = 5) -> Suggestions:
    """Suggestions for a text typed so far (its last word perhaps unfinished), from the published
    `initiatives` (a queryset) the box searches."""
    understood = understand(text, prefix=True, using=initiatives.db)
    if understood.empty or len(text.strip()) < 2:
        return Suggestions([], [], [], None)
    places = find_locations(" ".join(words(text)), limit=limit) if len(text.strip()) >= 2 else []
    plain = [t.plain for t in understood.terms]
    services = [service for service in Service.objects.order_by("order", "code")
                if all(_offers(service, word) for word in plain)][:limit]
    found = list(initiatives.filter(understood.condition()).annotate(search_rank=understood.rank())
                 .best_first().select_related("kind")[:limit])
    corrected = understood.corrected
    return Suggestions(places, services, found, corrected if corrected and corrected != " ".join(plain) else None)


def _offers(service: Service, word: str) -> bool:
    """Whether a service's labels or other words hold the word: as part of a word, or for a short word
    as the beginning of one (as the search matches), accents ignored."""
    text = " ".join([service.label_nl, service.label_en, service.search_words])
    plain = "".join(c for c in unicodedata.normalize("NFKD", text.casefold()) if not unicodedata.combining(c))
    if len(word) >= MIN_PART:
        return word in plain
    return any(part.startswith(word) for part in _WORD.findall(plain))
