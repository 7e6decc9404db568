"""The register's one search (InitiativeQuerySet.search, registry.search), record by record: what
each kind of match finds, and what it must not."""

from __future__ import annotations

import pytest
from django.contrib.gis.geos import Point
from django.db import connection
from django.test.utils import CaptureQueriesContext

from registry import actions, search
from registry.models import Initiative, Kind, NameWord, Partner, PartnerKind, PublicationState, SearchWord, Service
from tests.conftest import LEIDEN, UTRECHT, make, partnership

HAGUE = Point(4.3007, 52.0705, srid=4326)  # Binnenhof
DEN_BOSCH = Point(5.3037, 51.6886, srid=4326)  # Sint-Janskathedraal
AMSTERDAM = Point(4.8952, 52.3702, srid=4326)  # Dam


def found(text: str, **options) -> list[str]:
    return list(Initiative.objects.published().search(text, **options)
                .order_by("-search_rank", "name", "pk").values_list("name", flat=True))


@pytest.fixture
def register(db):
    """A few records, each findable in a way the others are not."""
    return {
        "shop": make("Dorpswinkel Oud-Leiden", LEIDEN, kind="bewonersbedrijf", place="Leiden", services=["winkel"]),
        "care": make("Zorgcoöperatie Hart van Utrecht", UTRECHT, kind="zorgcooperatie", place="Utrecht",
                     services=["dagbesteding", "zorg-welzijn"], description="Wij bieden dagbesteding aan."),
        "hall": make("Dorpshuis De Kern", HAGUE, kind="dorpscooperatie", place="Den Haag",
                     services=["dorpshuis-buurthuis"]),
        "garden": make("Buurtmoestuin De Wilg", DEN_BOSCH, kind="bewonersinitiatief", place="'s-Hertogenbosch",
                       services=["gemeenschapstuin"]),
        "restaurant": make("Wijkrestaurant De Akker", AMSTERDAM, kind="wijkonderneming", place="Amsterdam",
                           services=["wijkrestaurant"], short_description="Samen eten in de Pijp."),
    }


@pytest.mark.parametrize(("text", "expected"), [
    # parts of compound words, in the name and in the labels
    ("winkel", ["Dorpswinkel Oud-Leiden"]),
    ("moestuin", ["Buurtmoestuin De Wilg"]),
    ("restaurant", ["Wijkrestaurant De Akker"]),
    # accents ignored, compounds written apart or together
    ("zorgcooperatie", ["Zorgcoöperatie Hart van Utrecht"]),
    ("zorg cooperatie", ["Zorgcoöperatie Hart van Utrecht"]),
    ("ZORGCOÖPERATIE", ["Zorgcoöperatie Hart van Utrecht"]),
    # plurals, regular and irregular
    ("dorpshuizen", ["Dorpshuis De Kern"]),
    ("winkels", ["Dorpswinkel Oud-Leiden"]),
    # services and kinds by their labels, in Dutch and English, and by the other words for them
    ("dagbesteding", ["Zorgcoöperatie Hart van Utrecht"]),
    ("day activities", ["Zorgcoöperatie Hart van Utrecht"]),
    ("village shop", ["Dorpswinkel Oud-Leiden"]),
    ("care cooperative", ["Zorgcoöperatie Hart van Utrecht"]),
    ("buurtsuper", ["Dorpswinkel Oud-Leiden"]),
    # places, municipalities and provinces, by the names people use
    ("Den Haag", ["Dorpshuis De Kern"]),
    ("the hague", ["Dorpshuis De Kern"]),
    ("Den Bosch", ["Buurtmoestuin De Wilg"]),
    ("noord-brabant", ["Buurtmoestuin De Wilg"]),
    # typos
    ("amsterdm", ["Wijkrestaurant De Akker"]),
    ("dagbestedding", ["Zorgcoöperatie Hart van Utrecht"]),
    # several words: all of them
    ("zorgcoöperatie utrecht", ["Zorgcoöperatie Hart van Utrecht"]),
    ("zorgcoöperatie amsterdam", []),
    ("winkel den haag", []),
    # descriptions, by their stems
    ("eten pijp", ["Wijkrestaurant De Akker"]),
    # a stop word says nothing; a word nobody has finds nothing
    ("de winkel", ["Dorpswinkel Oud-Leiden"]),
    ("zwembad", []),
])
def test_it_finds_what_people_mean(register, text, expected):
    assert found(text) == expected


def test_it_ranks_a_match_in_the_name_above_one_in_the_labels(register):
    make("Buurtkamer Leiden", LEIDEN, kind="bewonersinitiatief", place="Leiden", services=["winkel"])
    assert found("winkel") == ["Dorpswinkel Oud-Leiden", "Buurtkamer Leiden"]


def test_it_ranks_the_words_together_first(register):
    make("Zorg om Utrecht", UTRECHT, kind="buurtcooperatie", place="Utrecht", services=["zorg-welzijn"])
    # Both hold "zorg" and "cooperatie" (a buurtcoöperatie); the one that writes them as one word comes first.
    assert found("zorg cooperatie") == ["Zorgcoöperatie Hart van Utrecht", "Zorg om Utrecht"]


def test_an_everyday_place_name_ranks_its_municipality_above_a_hamlet_of_that_name(register):
    make("Buurtkamer Op den Bosch", Point(5.9, 51.7, srid=4326), kind="bewonersinitiatief", place="Op den Bosch")
    assert found("den bosch") == ["Buurtmoestuin De Wilg", "Buurtkamer Op den Bosch"]


def test_it_finds_records_by_their_partners(register):
    fund = Partner.objects.create(name="Oranje Fonds", kind=PartnerKind.objects.get(code="vermogensfonds"))
    partnership(register["hall"], fund, "financier", start="2020")
    assert found("oranje fonds") == ["Dorpshuis De Kern"]


def test_it_follows_a_new_label_and_a_renamed_partner_at_once(register):
    service = Service.objects.get(code="gemeenschapstuin")
    service.label_nl = "Pluktuin"
    actions.save_term(service, acting_user=None)
    assert found("pluktuin") == ["Buurtmoestuin De Wilg"]

    fund = Partner.objects.create(name="Fonds Zeldzaam", kind=PartnerKind.objects.get(code="vermogensfonds"))
    partnership(register["garden"], fund, "financier", start="2020")
    before = Partner.objects.get(pk=fund.pk)
    fund.name = "Stichting Groenfonds"
    actions.save_partner(fund, before, acting_user=None)
    assert found("groenfonds") == ["Buurtmoestuin De Wilg"]
    assert found("zeldzaam") == []


def test_other_words_of_a_kind_find_its_records(register):
    kind = Kind.objects.get(code="wijkonderneming")
    kind.search_words = "sociale onderneming"
    actions.save_term(kind, acting_user=None)
    assert found("sociale onderneming") == ["Wijkrestaurant De Akker"]


def test_a_typo_is_offered_as_did_you_mean(register):
    understood = search.understand("zorgcoperatie utreht")
    assert understood.corrected == "zorgcooperatie utrecht"
    assert search.understand("zorgcoöperatie utrecht").corrected is None
    # Offered as the records write it: the words the search compares with have no accents.
    published = Initiative.objects.published()
    assert search.correction(search.understand("zorgcoperatie utreht"), published) == "zorgcoöperatie utrecht"
    # The records' most common spelling: one "Eén" among names with "een" does not make "een" "één".
    assert search._spellings("Eén Huis een Huis, Zorgcoöperatie; zorgcoöperatie Zorgcooperatie een") == {
        "een": "een", "huis": "huis", "zorgcooperatie": "zorgcoöperatie"}


def test_a_typo_in_a_short_word_is_corrected(register):
    # One letter of five or six left out leaves fewer trigrams in common than in a long word.
    make("Repair Café Winkel", UTRECHT, kind="bewonersinitiatief", place="Winkel")
    published = Initiative.objects.published()
    assert search.correction(search.understand("winkl"), published) == "winkel"
    assert search.correction(search.understand("leidn"), published) == "leiden"
    assert found("leidn") == ["Dorpswinkel Oud-Leiden"]


def test_a_correction_that_would_find_nothing_is_not_offered(register):
    published = Initiative.objects.published()
    assert search.correction(search.understand("amsterdm"), published) == "amsterdam"
    assert search.correction(search.understand("dorpswinkl leidn"), published) == "dorpswinkel leiden"
    # "amsterdam" is right, but nothing stands in for "xyzqq" (nor for "winkl" in this register).
    assert search.understand("xyzqq amsterdm").corrected == "xyzqq amsterdam"
    assert search.correction(search.understand("xyzqq amsterdm"), published) is None
    assert search.correction(search.understand("amsterdm winkl"), published) is None


def test_a_typo_close_to_nothing_is_not_corrected(register):
    assert search.understand("qqxyzzy").corrected is None
    assert found("qqxyzzy") == []


def test_a_drafts_words_are_not_offered_to_anyone(register):
    make("Geheimzinnigproject Leiden", LEIDEN, kind="bewonersinitiatief", place="Leiden",
         publication_state=PublicationState.DRAFT)
    assert not SearchWord.objects.filter(word="geheimzinnigproject").exists()
    assert SearchWord.objects.filter(word="dorpswinkel").exists()


def test_drafts_stay_out_of_the_public_search_and_in_the_maintainers(register):
    make("Dorpswinkel Concept", LEIDEN, kind="bewonersbedrijf", place="Leiden",
         publication_state=PublicationState.DRAFT)
    assert found("dorpswinkel") == ["Dorpswinkel Oud-Leiden"]
    every = Initiative.objects.search("dorpswinkel").values_list("name", flat=True)
    assert sorted(every) == ["Dorpswinkel Concept", "Dorpswinkel Oud-Leiden"]


def test_a_part_of_a_drafts_word_finds_it_for_its_maintainers_only(register):
    """Parts of words are looked up among the words of every record (NameWord), drafts too; the
    words offered as corrections (SearchWord) stay those of published records."""
    draft = make("Geheimzinnigproject Leiden", LEIDEN, kind="bewonersinitiatief", place="Leiden",
                 publication_state=PublicationState.DRAFT)
    assert NameWord.objects.filter(word="geheimzinnigproject").exists()
    assert not SearchWord.objects.filter(word="geheimzinnigproject").exists()
    assert list(Initiative.objects.search("zinnig").values_list("pk", flat=True)) == [draft.pk]
    assert found("zinnig") == []


def test_a_renamed_record_is_found_by_the_parts_of_its_new_name_at_once(register):
    shop = register["shop"]
    before = Initiative.objects.get(pk=shop.pk)
    shop.name = "Buurtsuperette Oud-Leiden"
    actions.save_edit(shop, before, acting_user=None)
    assert found("superette") == ["Buurtsuperette Oud-Leiden"]
    assert found("superet") == ["Buurtsuperette Oud-Leiden"]  # any part of four letters or more


def test_records_that_rank_the_same_come_by_name_then_id(register):
    for name in ("Buurtwinkel Zuid", "Buurtwinkel Oost", "Buurtwinkel Noord"):
        make(name, LEIDEN, kind="bewonersbedrijf", place="Leiden", services=["winkel"])
    ranked = Initiative.objects.published().search("buurtwinkel").best_first()
    assert list(ranked.values_list("pk", flat=True)) == list(
        Initiative.objects.published().search("buurtwinkel").order_by("-search_rank", "name", "pk")
        .values_list("pk", flat=True))
    # The three rank the same (the word in the name, the same labels); the shop whose services know
    # the word ranks below them.
    assert list(ranked.values_list("name", flat=True)) == [
        "Buurtwinkel Noord", "Buurtwinkel Oost", "Buurtwinkel Zuid", "Dorpswinkel Oud-Leiden"]


@pytest.mark.parametrize("stretch", [1, 3, 1000])
def test_a_page_for_words_together_in_a_label_is_that_of_the_whole_ranking(register, monkeypatch, stretch):
    """ "village shop" is in one label (Village or neighbourhood shop): a page is read from the
    records with the service by name, and from those that may rank above them, which come later
    in the alphabet here (InitiativeQuerySet._labelled_first). However few of the register's
    names are walked to find the labelled records, the page is the same."""
    from registry import querysets

    monkeypatch.setattr(querysets, "LABELLED_PER_RECORD", 1)
    monkeypatch.setattr(querysets, "NAMES_PER_LABELLED", 1)
    monkeypatch.setattr(querysets, "NAMES_WALKED_LEAST", stretch)
    for name in ("Aa Buurtkamer", "Bb Buurtkamer"):
        make(name, LEIDEN, kind="bewonersinitiatief", place="Leiden", services=["winkel"])
    # "shop" in its name and "village" in its place: above every record that has them only in a label.
    make("Zz Shop", LEIDEN, kind="bewonersinitiatief", place="Village", services=["winkel"])
    # No shop, but the words side by side in a partner's name: as high as the labelled records.
    unlabelled = make("Ab Huiskamer", LEIDEN, kind="bewonersinitiatief", place="Leiden")
    fund = Partner.objects.create(name="Village Shop Fund", kind=PartnerKind.objects.get(code="vermogensfonds"))
    partnership(unlabelled, fund, "financier", start="2020")
    ranked = Initiative.objects.published().search("village shop").best_first()
    whole = ["Zz Shop", "Aa Buurtkamer", "Ab Huiskamer", "Bb Buurtkamer", "Dorpswinkel Oud-Leiden"]
    assert list(ranked.values_list("name", flat=True)) == whole
    labelled = {"Aa Buurtkamer", "Bb Buurtkamer", "Dorpswinkel Oud-Leiden", "Zz Shop"}
    decided = []
    for stop in range(1, len(whole) + 1):
        with CaptureQueriesContext(connection) as statements:
            page = list(ranked.values_list("name", flat=True)[:stop])
        assert page == whole[:stop]
        # Ranked among the records read (not all), when the names walked held `stop` labelled ones.
        walked = Initiative.objects.order_by("name", "pk").values_list("name", flat=True)[:max(stop, stretch)]
        enough = len(labelled.intersection(walked)) >= stop
        assert ('"registry_initiative"."id" IN (' in statements.captured_queries[-1]["sql"]) == enough, stop
        decided.append(enough)
    assert any(decided) and (stretch == 1000 or not all(decided))


def test_a_slice_of_the_reversed_ranking_is_a_slice_of_it(register):
    for name in ("Aa Buurtkamer", "Bb Buurtkamer"):
        make(name, LEIDEN, kind="bewonersinitiatief", place="Leiden", services=["winkel"])
    reversed_ranking = Initiative.objects.published().search("village shop").best_first().reverse()
    whole = list(reversed_ranking.values_list("name", flat=True))
    assert whole == ["Dorpswinkel Oud-Leiden", "Bb Buurtkamer", "Aa Buurtkamer"]
    assert list(reversed_ranking.values_list("name", flat=True)[:1]) == whole[:1]


@pytest.mark.parametrize("prefix", [False, True])
def test_a_labelled_record_with_a_word_in_its_place_comes_first_however_the_stem_is_made(db, prefix):
    # "care home": the service Care and wellbeing at home. The place Hoom stems as "home" does (hom,
    # an undoubled vowel) without holding it: a level above the records with the words in the label
    # only, later in the alphabet (found by the review of the labelled tier).
    make("Aa Thuiszorg", LEIDEN, kind="bewonersinitiatief", place="Leiden", services=["zorg-welzijn"])
    make("Zz Care", LEIDEN, kind="bewonersinitiatief", place="Hoom", services=["zorg-welzijn"])
    ranked = Initiative.objects.published().search("care home", prefix=prefix).best_first()
    assert list(ranked.values_list("name", flat=True)) == ["Zz Care", "Aa Thuiszorg"]
    assert list(ranked.values_list("name", flat=True)[:1]) == ["Zz Care"]


def test_a_star_after_the_last_word_makes_it_a_beginning(register):
    # As the map asks while someone types (registry.filters: q), and as the suggestions read a text.
    from registry.filters import InitiativeFilterSet

    def names(text: str) -> list[str]:
        found = InitiativeFilterSet({"q": text}, queryset=Initiative.objects.published()).qs
        return list(found.values_list("name", flat=True))

    assert names("village sh") == []
    assert names("village sh*") == names("village shop") == ["Dorpswinkel Oud-Leiden"]
    assert names("village sh *") == []  # a star apart is no word's ending
    assert names("village s*") == names("village s")  # a single letter is the beginning of too much


def test_maintainers_find_a_record_by_an_identifier_typed_whole(register):
    shop = register["shop"]
    Initiative.objects.filter(pk=shop.pk).update(kvk_number="87654321", postcode="2311 CS")
    for text in ("87654321", "2311 cs", shop.slug):
        assert list(Initiative.objects.search(text, identifiers=True).values_list("pk", flat=True)) == [shop.pk]
    assert not Initiative.objects.search("87654321").exists()  # the public search knows no identifiers


def test_maintainers_find_the_records_of_a_postcode_area(register):
    """"1021" is a postcode area to a maintainer (issue 18): its records, not a KvK number holding it."""
    shop, care = register["shop"], register["care"]
    Initiative.objects.filter(pk=shop.pk).update(postcode="2311 CS", kvk_number="12311000")
    Initiative.objects.filter(pk=care.pk).update(postcode="2311 AB")
    Initiative.objects.filter(pk=register["hall"].pk).update(postcode="2312 CS", kvk_number="23110000")

    def pks(text):
        return sorted(Initiative.objects.search(text, identifiers=True).values_list("pk", flat=True))

    assert pks("2311") == sorted([shop.pk, care.pk])
    assert pks("2311cs") == pks("2311 CS") == [shop.pk]
    assert pks("9999") == []


@pytest.mark.parametrize("text", [
    "", "   ", "!!!", "&|!:*()", "''\"\"", "-- ;", "\x01\x02\x1f", "🙂🙂",
])
def test_a_text_without_words_finds_nothing(register, text):
    assert found(text) == []


@pytest.mark.parametrize("text", [
    "winkel & !leiden", "winkel | zorg", "winkel:*", "'winkel'", '"dorps winkel"', "winkel')); DROP TABLE x; --",
    "win\x00kel", "winkel\x07\x1b[31m", "Дорпсвинкел winkel", "winkel 東京", "w" * 5000, "winkel " * 300,
    "\u202ewinkel", "ｗｉｎｋｅｌ",
])
def test_any_text_is_answered(register, text):
    # Query syntax is only a separator of words; the words still count.
    result = found(text)
    assert isinstance(result, list)
    if text.startswith(("winkel &", "winkel:", "'winkel'", "ｗｉｎｋｅｌ")):
        assert result == ["Dorpswinkel Oud-Leiden"]


def test_words_past_the_limit_are_left_out():
    assert search.words("a b c d e f g h i j") == ["a", "b", "c", "d", "e", "f", "g", "h"]
    assert search.words("x" * 100) == ["x" * search.MAX_TERM_LENGTH]
    assert search.words("win\x00kel café-bar") == ["win", "kel", "café", "bar"]


@pytest.mark.parametrize("text", ["dorpshuizen", "dorpshuizen den haag", "dorpshuis"])
def test_a_plural_is_understood_not_corrected(register, text):
    """A Dutch plural the search makes singular (huizen → huis) finds its records; it is no typo,
    so the list must not ask "did you mean dorpshuis?" above what it found."""
    assert found(text) == ["Dorpshuis De Kern"]
    assert search.understand(text).corrected is None


@pytest.mark.parametrize(("text", "terms"), [
    # (plain, known, corrections, split) of each meaningful word
    ("den", [("den", True, (), ())]),  # three letters: begins a word (Den Haag)
    ("de winkel", [("winkel", True, (), ())]),  # the stop word says nothing
    ("de", [("de", True, (), ())]),  # unless it is all there is
    ("dorpshuizen", [("dorpshuizen", True, (), ())]),  # a plural by a singular the stemmer does not give
    ("amsterdm", [("amsterdm", False, ("amsterdam",), ())]),
    ("wijkrestaurantakker", [("wijkrestaurantakker", False, ("wijkrestaurant",), ("wijkrestaurant", "akker"))]),
    ("qqxyzzy", [("qqxyzzy", True, (), ())]),  # close to nothing: searched as it is, finding nothing
    ("Zorgcoöperatie", [("zorgcooperatie", True, (), ())]),
])
def test_what_the_search_understands_of_each_word(register, text, terms):
    understood = search.understand(text)
    assert [(t.plain, t.known, t.corrections, tuple(t.split)) for t in understood.terms] == terms
