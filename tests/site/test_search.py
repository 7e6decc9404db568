"""The site's search box: the list and the map with any text, "did you mean", and the suggestions as
you type (registry.site.views.suggestions)."""

from __future__ import annotations

import re
from urllib.parse import urlencode

import pytest
from django.contrib.gis.geos import Point

from tests.api.test_search_input import HOSTILE
from tests.conftest import LEIDEN, UTRECHT, make

AMSTERDAM = Point(4.8952, 52.3702, srid=4326)


@pytest.fixture
def register(db):
    return [
        make("Dorpswinkel Oud-Leiden", LEIDEN, kind="bewonersbedrijf", place="Leiden", services=["winkel"]),
        make("Zorgcoöperatie Hart van Utrecht", UTRECHT, kind="zorgcooperatie", place="Utrecht",
             services=["dagbesteding"]),
        make("Wijkrestaurant De Akker", AMSTERDAM, kind="wijkonderneming", place="Amsterdam",
             services=["wijkrestaurant"]),
    ]


@pytest.mark.parametrize("text", HOSTILE)
@pytest.mark.parametrize("path", ["/", "/initiatieven", "/embed", "/zoeken/suggesties"])
def test_any_text_is_answered_without_an_error(client, register, path, text):
    assert client.get(f"{path}?{urlencode({'q': text})}").status_code == 200


@pytest.mark.parametrize("path", ["/", "/initiatieven", "/zoeken/suggesties"])
def test_a_text_too_long_or_with_a_null_is_refused_by_name(client, register, path):
    for text in ("w" * 201, "win\x00kel"):
        response = client.get(f"{path}?{urlencode({'q': text})}")
        assert response.status_code == 400
        assert "q" in response.json()["errors"] if path.startswith("/zoeken") else "Search" in response.text \
            or "Zoeken" in response.text


def test_the_list_finds_by_compounds_and_says_did_you_mean(client, register):
    html = client.get("/initiatieven?q=amsterdm").content.decode()
    assert "Wijkrestaurant De Akker" in html
    assert 'Bedoelde u <a class="utrecht-link utrecht-link--html-a" href="?q=amsterdam">amsterdam</a>?' in html

    html = client.get("/initiatieven?" + urlencode({"q": "zorgcooperatie", "status": "actief"})).content.decode()
    assert "Zorgcoöperatie Hart van Utrecht" in html and 'did-you-mean"' not in html


@pytest.mark.parametrize("path", ["/", "/initiatieven", "/insluiten"])
def test_the_filters_point_at_no_explanation_that_is_not_on_the_page(client, register, path):
    html = client.get(path).content.decode()
    for described in re.findall(r'aria-describedby="([^"]+)"', html):
        for target in described.split():
            assert f'id="{target}"' in html, target


def test_the_maps_overview_says_did_you_mean_for_the_text_typed_now(client, register):
    # The map asks for its overview as the box is typed in (map.js), and shows its didYouMean.
    assert client.get("/kaart/overzicht?q=wijkrestaurent").json()["didYouMean"] == "wijkrestaurant"
    assert client.get("/kaart/overzicht?q=wijkrestaurant").json()["didYouMean"] is None
    assert client.get("/kaart/overzicht?q=xyzqq+wijkrestaurent").json()["didYouMean"] is None
    assert client.get("/kaart/overzicht").json()["didYouMean"] is None
    html = client.get("/").content.decode()
    assert re.search(r'<p id="map-did-you-mean"[^>]* hidden>', html)


def test_the_search_box_is_a_combobox_with_our_own_script(client, register):
    html = client.get("/initiatieven").content.decode()
    assert 'data-suggestions="/zoeken/suggesties"' in html
    assert 'role="listbox"' in html and 'src="/static/registry/suggest.js"' in html


def test_suggestions_are_grouped_places_services_and_initiatives(client, register):
    body = client.get("/zoeken/suggesties?q=winkel").json()
    groups = {group["kind"]: group for group in body["groups"]}
    assert list(groups) == ["places", "services", "initiatives"]
    assert groups["places"]["label"] == "Plaatsen"
    assert {"label": "Winkel", "detail": "plaats, Hollands Kroon"}.items() <= groups["places"]["items"][0].items()
    # Three of the five places whose name begins so: the services and initiatives stay in view.
    assert [place["detail"] for place in groups["places"]["items"]] == [
        "plaats, Hollands Kroon", "plaats, Cranendonck", "plaats, Tilburg"]
    # A place lists what is around it (near), a municipality what is in it (suggest.js).
    assert groups["places"]["items"][0]["municipality"] == ""
    leiden = client.get("/zoeken/suggesties?q=leiden").json()["groups"][0]["items"][0]
    assert (leiden["label"], leiden["municipality"]) == ("Leiden", "GM0546")
    assert groups["services"]["items"] == [{"label": "Dorps- of buurtwinkel", "detail": "", "service": "winkel"}]
    assert groups["initiatives"]["items"] == [{"label": "Dorpswinkel Oud-Leiden", "detail": "Bewonersbedrijf · Leiden",
                                               "url": "/initiatieven/dorpswinkel-oud-leiden"}]
    assert body["didYouMean"] is None


def test_suggestions_take_an_unfinished_word_and_follow_the_language(client, register):
    body = client.get("/zoeken/suggesties?q=zorg+coop", HTTP_ACCEPT_LANGUAGE="en").json()
    initiatives = next(g for g in body["groups"] if g["kind"] == "initiatives")
    assert initiatives["label"] == "Initiatives"
    assert [i["label"] for i in initiatives["items"]] == ["Zorgcoöperatie Hart van Utrecht"]


def test_suggestions_offer_the_corrected_text(client, register):
    body = client.get("/zoeken/suggesties?q=wijkrestaurent").json()
    assert body["didYouMean"] == "wijkrestaurant"
    # A misspelt place is offered as the place it stands for.
    body = client.get("/zoeken/suggesties?q=amsterdm").json()
    assert body["didYouMean"] == "amsterdam"
    places = next(group for group in body["groups"] if group["kind"] == "places")
    assert [(place["label"], place["detail"]) for place in places["items"]] == [
        ("Amsterdam", "gemeente, Noord-Holland"), ("Amsterdamscheveld", "plaats, Emmen")]


def test_suggestions_leave_drafts_out(client, register):
    make("Dorpswinkel Concept", LEIDEN, kind="bewonersbedrijf", place="Leiden", publication_state="concept")
    body = client.get("/zoeken/suggesties?q=dorpswinkel").json()
    initiatives = next(g for g in body["groups"] if g["kind"] == "initiatives")
    assert [i["label"] for i in initiatives["items"]] == ["Dorpswinkel Oud-Leiden"]


PLACES_MEANT = re.compile(r'<p class="utrecht-paragraph did-you-mean places-meant">(.*?)</p>', re.S)


def test_a_postcode_searched_on_the_list_offers_what_is_around_it_with_the_other_filters(client, register):
    page = client.get("/initiatieven?q=2311+CS&service=winkel&province=PV28&near=4.8,53.05&radius=2000"
                      "&ordering=-foundedYear&page=2")

    assert PLACES_MEANT.findall(page.text) == [
        'Zoekt u een plaats? <a class="utrecht-link utrecht-link--html-a" '
        'href="?service=winkel&amp;near=4.4898%2C52.1565&amp;radius=25000&amp;nearName=2311">2311</a> '
        '(postcode, Leiden)']


def test_a_municipality_searched_on_the_list_offers_what_is_in_it_in_the_visitors_language(client, register):
    page = client.get("/initiatieven?q=leiden&municipality=GM0344&ordering=name", HTTP_ACCEPT_LANGUAGE="en")

    # The text finds only the records that name Leiden (none in Utrecht); the municipality has more.
    assert "0 initiatives" in page.text
    assert PLACES_MEANT.findall(page.text) == [
        'Looking for a place? <a class="utrecht-link utrecht-link--html-a" '
        'href="?ordering=name&amp;municipality=GM0546">Leiden</a> (municipality, Zuid-Holland)']


def test_a_province_searched_on_the_list_offers_what_is_in_it(client, register):
    page = client.get("/initiatieven?q=Zuid-Holland&municipality=GM0344&service=winkel")

    assert PLACES_MEANT.findall(page.text) == [
        'Zoekt u een plaats? <a class="utrecht-link utrecht-link--html-a" '
        'href="?service=winkel&amp;province=PV28">Zuid-Holland</a> (provincie)']
    # As a suggestion, with its code for the list's province filter (suggest.js).
    suggested = client.get("/zoeken/suggesties?q=zuid-holl").json()["groups"][0]["items"]
    assert [(place["label"], place["detail"], place["province"], place["municipality"]) for place in suggested] == [
        ("Zuid-Holland", "provincie", "PV28", "")]


def test_a_text_that_names_no_place_offers_none(client, register):
    for address in ("/initiatieven?q=dorpswinkel", "/initiatieven?q=leid", "/initiatieven"):
        assert PLACES_MEANT.findall(client.get(address).text) == []


def test_the_maps_overview_names_the_places_the_text_names(client, register):
    body = client.get("/kaart/overzicht?q=2311&status=actief").json()

    assert body == {"count": 0, "extent": None, "didYouMean": None, "places": [
        {"name": "2311", "type": "postcode", "context": "Leiden", "lon": 4.4898, "lat": 52.1565, "zoom": 14}]}
    assert client.get("/kaart/overzicht?q=dorpswinkel").json()["places"] == []
    # As the map asks while the box is typed in: the last word may be unfinished.
    assert [place["name"] for place in client.get("/kaart/overzicht?q=zwolle*").json()["places"]] == ["Zwolle"]


NEAR_NOTE = re.compile(r'<p class="utrecht-paragraph near-note">(.*?) <a ', re.S)


def test_the_list_around_a_point_says_it_by_the_places_name_when_it_has_one(client, register):
    named = client.get("/initiatieven?near=5.12,52.09&radius=25000&nearName=" + "<b>Utrecht</b>" + "x" * 200)
    unnamed = client.get("/initiatieven?near=5.12,52.09&radius=25000")

    assert NEAR_NOTE.findall(named.text) == [
        f"Dichtstbij &lt;b&gt;Utrecht&lt;/b&gt;{'x' * 86} eerst, tot 25 km ver."]  # escaped, cut at 100
    assert NEAR_NOTE.findall(unnamed.text) == ["Dichtstbij het gekozen punt eerst, tot 25 km ver."]
