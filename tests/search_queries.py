"""The labelled queries of the search (registry.search): what visitors and maintainers type, in Dutch
and English, with typos, plurals, parts of compounds, places by their everyday names, services and
combinations; each with the records it should find, taken from structured fields (services, kind,
municipality, province, place, partners, and the name where the name says what it is), never from
the search's own output.

Shared by the tests (tests/registry/test_search_quality.py, floors on a seeded register) and the
benchmark (tests/benchmarks/search.py, the figures at 100,000 records).
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import reduce
from operator import and_, or_
from typing import Any

from django.db.models import Q

from registry.models import Initiative, Partnership


def service(*codes: str) -> Q:
    return Q(pk__in=Initiative.services.through.objects.filter(service__code__in=codes).values("initiative_id"))


def kind(*codes: str) -> Q:
    return Q(kind__code__in=codes)


def named(*parts: str) -> Q:
    """The name holds one of these (accents ignored): the name says what the record is."""
    return reduce(or_, (Q(name__unaccent__icontains=part) for part in parts))


def municipality(name: str) -> Q:
    return Q(municipality__name=name)


def province(name: str) -> Q:
    return Q(province__name=name)


def place(name: str) -> Q:
    return Q(place__iexact=name)


def partner(slug: str) -> Q:
    return Q(pk__in=Partnership.objects.filter(partner__slug=slug).values("initiative_id"))


def both(*conditions: Q) -> Q:
    return reduce(and_, conditions)


SHOP = service("winkel") | named("winkel")
DAY_CARE = service("dagbesteding")
MEETING = service("ontmoetingsplek") | named("ontmoetingsplek")
HALL = service("dorpshuis-buurthuis") | named("dorpshuis", "buurthuis")
CARE_COOP = kind("zorgcooperatie") | named("zorgcoöperatie")
AMSTERDAM = municipality("Amsterdam")
THE_HAGUE = municipality("'s-Gravenhage")
DEN_BOSCH = municipality("'s-Hertogenbosch")
ROTTERDAM = municipality("Rotterdam")
UTRECHT = municipality("Utrecht") | province("Utrecht")
GRONINGEN = municipality("Groningen") | province("Groningen")


@dataclass(frozen=True)
class Labelled:
    text: str
    category: str
    truth: Callable[[], Q]


def _q(condition: Q) -> Callable[[], Q]:
    return lambda: condition


QUERIES: list[Labelled] = [Labelled(text, category, _q(truth)) for text, category, truth in [
    # services, in Dutch, as the vocabulary names them or as people say them
    ("winkel", "service", SHOP | place("Winkel")),
    ("buurtwinkel", "service", service("winkel") | named("buurtwinkel")),
    ("dorpswinkel", "compound", service("winkel") | named("dorpswinkel")),
    ("dagbesteding", "service", DAY_CARE),
    ("ontmoetingsplek", "service", MEETING),
    ("wijkrestaurant", "service", service("wijkrestaurant") | named("wijkrestaurant")),
    ("gemeenschapstuin", "service", service("gemeenschapstuin")),
    ("stadslandbouw", "service", service("stadslandbouw")),
    ("leerwerkplekken", "service", service("leerwerkplekken")),
    ("mantelzorg", "compound", service("mantelzorgondersteuning")),
    ("sociaal loket", "service", service("sociaal-loket")),
    ("buurtbus", "service", service("vervoer")),
    ("vervoer", "service", service("vervoer")),
    ("energie", "service", service("energie") | named("energie")),
    ("dorpshuis", "service", HALL),
    ("buurthuis", "service", HALL),
    ("wijkatelier", "service", service("wijkatelier")),
    ("zorg", "compound", kind("zorgcooperatie") | service("zorg-welzijn", "mantelzorgondersteuning") | named("zorg")),
    # plurals and irregular forms
    ("winkels", "plural", SHOP | place("Winkel")),
    ("dorpshuizen", "plural", HALL),
    ("buurthuizen", "plural", HALL),
    ("ontmoetingsplekken", "plural", MEETING),
    ("wijkrestaurants", "plural", service("wijkrestaurant") | named("wijkrestaurant")),
    ("wijkateliers", "plural", service("wijkatelier")),
    ("leerwerkplek", "plural", service("leerwerkplekken")),
    ("moestuinen", "plural", named("moestuin") | service("gemeenschapstuin")),
    # in English
    ("village shop", "english", service("winkel")),
    ("shop", "english", service("winkel")),
    ("day activities", "english", DAY_CARE),
    ("meeting point", "english", service("ontmoetingsplek")),
    ("community garden", "english", service("gemeenschapstuin")),
    ("community restaurant", "english", service("wijkrestaurant")),
    ("urban farming", "english", service("stadslandbouw")),
    ("care cooperative", "english", kind("zorgcooperatie")),
    ("energy", "english", service("energie")),
    ("housing", "english", service("wonen")),
    ("community bus", "english", service("vervoer")),
    ("informal care support", "english", service("mantelzorgondersteuning")),
    ("village hall", "english", service("dorpshuis-buurthuis")),
    ("resident enterprise", "english", kind("bewonersbedrijf")),
    ("neighbourhood enterprise", "english", kind("wijkonderneming")),
    # kinds and compounds, with and without accents, together or apart
    ("bewonersbedrijf", "kind", kind("bewonersbedrijf") | named("bewonersbedrijf")),
    ("dorpscoöperatie", "kind", kind("dorpscooperatie") | named("dorpscoöperatie")),
    ("dorpscooperatie", "kind", kind("dorpscooperatie") | named("dorpscoöperatie")),
    ("zorgcoöperatie", "kind", CARE_COOP),
    ("zorgcooperatie", "kind", CARE_COOP),
    ("zorg cooperatie", "compound", CARE_COOP),
    ("zorg coöperatie", "compound", CARE_COOP),
    ("buurtcoöperatie", "kind", kind("buurtcooperatie") | named("buurtcoöperatie")),
    ("wijkonderneming", "kind", kind("wijkonderneming") | named("wijkonderneming")),
    ("coöperatie", "compound", kind("dorpscooperatie", "zorgcooperatie", "buurtcooperatie") | named("coöperatie")),
    ("repair café", "name", named("repair café")),
    ("repair cafe", "name", named("repair café")),
    ("repaircafe", "compound", named("repair café")),
    ("speeltuin", "compound", named("speeltuin")),
    ("buurtkamer", "name", named("buurtkamer")),
    ("moestuin", "compound", named("moestuin") | service("gemeenschapstuin")),
    ("energiecoöperatie", "name", named("energiecoöperatie")),
    # places, with the names people use
    ("amsterdam", "place", AMSTERDAM),
    ("rotterdam", "place", ROTTERDAM),
    ("utrecht", "place", UTRECHT),
    ("groningen", "place", GRONINGEN),
    ("den haag", "place", THE_HAGUE),
    ("the hague", "place", THE_HAGUE),
    ("den bosch", "place", DEN_BOSCH),
    ("'s-hertogenbosch", "place", DEN_BOSCH),
    ("hertogenbosch", "place", DEN_BOSCH),
    ("friesland", "place", province("Fryslân")),
    ("noord-brabant", "place", province("Noord-Brabant")),
    ("limburg", "place", province("Limburg")),
    ("zwolle", "place", municipality("Zwolle")),
    # typos
    ("amsterdm", "typo", AMSTERDAM),
    ("roterdam", "typo", ROTTERDAM),
    ("utreht", "typo", UTRECHT),
    ("dagbestedding", "typo", DAY_CARE),
    ("ontmoetingplek", "typo", MEETING),
    ("zorgcoperatie", "typo", CARE_COOP),
    ("wijkrestaurent", "typo", service("wijkrestaurant") | named("wijkrestaurant")),
    # combinations: every word counts
    ("zorgcoöperatie amsterdam", "combination", both(CARE_COOP, AMSTERDAM)),
    ("winkel groningen", "combination", both(SHOP, GRONINGEN)),
    ("dagbesteding utrecht", "combination", both(DAY_CARE, UTRECHT)),
    ("buurthuis rotterdam", "combination", both(HALL, ROTTERDAM)),
    ("village shop friesland", "combination", both(service("winkel"), province("Fryslân"))),
    ("energie noord-brabant", "combination", both(service("energie") | named("energie"), province("Noord-Brabant"))),
    ("wijkrestaurant den haag", "combination", both(service("wijkrestaurant") | named("wijkrestaurant"), THE_HAGUE)),
    ("dorpshuizen limburg", "combination", both(HALL, province("Limburg"))),
    ("day activities amsterdam", "combination", both(DAY_CARE, AMSTERDAM)),
    ("ontmoetingsplek den bosch", "combination", both(MEETING, DEN_BOSCH)),
    # partners
    ("oranje fonds", "partner", partner("oranje-fonds")),
    ("vsbfonds", "partner", partner("vsbfonds")),
    ("knhm", "partner", partner("knhm-foundation")),
    ("kern met pit", "partner", partner("kern-met-pit")),
]]


# -- measuring ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Outcome:
    query: Labelled
    relevant: int
    found: int
    recall: float
    precision: float  # of everything found
    precision_at_20: float
    ndcg_at_10: float


def ndcg(ranked: Sequence[bool], relevant: int, k: int = 10) -> float:
    dcg = sum(1 / math.log2(i + 2) for i, hit in enumerate(ranked[:k]) if hit)
    ideal = sum(1 / math.log2(i + 2) for i in range(min(k, relevant)))
    return dcg / ideal if ideal else 0.0


def the_search(base: Any, text: str) -> Any:
    return base.search(text).best_first()


def plain_full_text(base: Any, text: str) -> Any:
    """The search as it was before registry.search: Dutch full text over name, place and descriptions
    (websearch syntax), ranked. For comparison only."""
    from django.contrib.postgres.search import SearchQuery, SearchRank, SearchVector

    vector = (SearchVector("name", weight="A", config="dutch") + SearchVector("place", weight="B", config="dutch")
              + SearchVector("short_description", "description", weight="C", config="dutch"))
    query = SearchQuery(text, config="dutch", search_type="websearch")
    return (base.annotate(plain_vector=vector).filter(plain_vector=query)
            .annotate(plain_rank=SearchRank(vector, query)).order_by("-plain_rank", "name", "pk"))


def measure(base: Any, query: Labelled, searcher: Callable[[Any, str], Any] = the_search) -> Outcome:
    """The search's answer to one query on `base` (a queryset of initiatives), against its truth."""
    truth = set(base.filter(query.truth()).values_list("pk", flat=True))
    found = list(searcher(base, query.text).values_list("pk", flat=True))
    hits = [pk in truth for pk in found]
    top = hits[:20]
    return Outcome(
        query=query, relevant=len(truth), found=len(found),
        recall=sum(hits) / len(truth) if truth else 0.0,
        precision=sum(hits) / len(found) if found else 0.0,
        precision_at_20=sum(top) / len(top) if top else 0.0,
        ndcg_at_10=ndcg(hits, len(truth)),
    )


def measure_all(base: Any, searcher: Callable[[Any, str], Any] = the_search) -> list[Outcome]:
    return [measure(base, query, searcher) for query in QUERIES]


def means(outcomes: Sequence[Outcome]) -> dict[str, float]:
    return {name: statistics.fmean(getattr(o, name) for o in outcomes)
            for name in ("recall", "precision", "precision_at_20", "ndcg_at_10")}
