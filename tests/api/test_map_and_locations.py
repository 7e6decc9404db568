"""The map's data (/initiatives/map) and the place search (/locations)."""

from __future__ import annotations

import gzip
import json

from registry.models import PublicationState
from tests.conftest import LEIDEN, UTRECHT, make


def test_the_map_data_is_every_matching_published_initiative_as_compact_geojson(client, leiden, utrecht):
    make("Concept", UTRECHT, publication_state=PublicationState.DRAFT)

    response = client.get("/api/v1/initiatives/map")

    assert response.status_code == 200
    assert response["Content-Type"] == "application/geo+json"
    document = json.loads(response.content)
    assert document == {"type": "FeatureCollection", "features": [
        {"type": "Feature", "id": leiden.pk, "geometry": {"type": "Point", "coordinates": [4.497, 52.1601]},
         "properties": {"slug": "buurtkamer-de-linde", "name": "Buurtkamer De Linde", "kind": "bewonersinitiatief",
                        "services": ["ontmoetingsplek", "wijkrestaurant"], "place": "Leiden"}},
        {"type": "Feature", "id": utrecht.pk, "geometry": {"type": "Point", "coordinates": [5.1214, 52.0907]},
         "properties": {"slug": utrecht.slug, "name": utrecht.name, "kind": utrecht.kind.code,
                        "services": ["energie"], "place": utrecht.place,
                        # Never verified: stale, so the map fades it and says since when (never).
                        "stale": True, "lastVerifiedOn": None}},
    ]}


def test_the_map_data_takes_the_shared_filters_and_names_a_bad_one(client, leiden, utrecht):
    only_leiden = json.loads(client.get("/api/v1/initiatives/map?municipality=GM0546&service=ontmoetingsplek")
                             .content)
    nothing = json.loads(client.get("/api/v1/initiatives/map?province=PV26&service=ontmoetingsplek").content)
    bad = client.get("/api/v1/initiatives/map?near=4.49&kind=vliegveld")

    assert [feature["id"] for feature in only_leiden["features"]] == [leiden.pk]
    assert nothing == {"type": "FeatureCollection", "features": []}
    assert bad.status_code == 400
    assert bad["Content-Type"] == "application/problem+json"
    assert sorted(param["name"] for param in bad.json()["invalidParams"]) == ["kind", "near"]


def test_the_map_data_is_compressed_for_clients_that_accept_it(client, leiden):
    plain = client.get("/api/v1/initiatives/map")
    compressed = client.get("/api/v1/initiatives/map", HTTP_ACCEPT_ENCODING="gzip")

    assert compressed["Content-Encoding"] == "gzip"
    assert gzip.decompress(compressed.content) == plain.content
    assert "Accept-Encoding" in compressed["Vary"]


def test_the_map_data_follows_changes_despite_the_response_cache(client, leiden, settings):
    settings.API_RESPONSE_CACHE = True
    before = json.loads(client.get("/api/v1/initiatives/map").content)
    make("Nieuw in Leiden", LEIDEN)
    after = json.loads(client.get("/api/v1/initiatives/map").content)

    assert len(before["features"]) == 1 and len(after["features"]) == 2


def test_locations_finds_postcodes_municipalities_and_places(client, db):
    postcode = client.get("/api/v1/locations?q=2312 ab").json()
    names = client.get("/api/v1/locations?q=leid").json()
    place = client.get("/api/v1/locations?q=Den Burg").json()

    assert postcode == [{"type": "postcode", "name": "2312", "context": "Leiden", "lon": 4.4934, "lat": 52.1608,
                         "zoom": 14}]
    assert [(found["type"], found["name"]) for found in names][:3] == [
        ("municipality", "Leiden"), ("municipality", "Leiderdorp"), ("municipality", "Leidschendam-Voorburg")]
    assert [(found["type"], found["name"], found["context"]) for found in place] == [("place", "Den Burg", "Texel")]
    assert client.get("/api/v1/locations?q=Xyzzyville").json() == []
    # A province, named in full or begun, without a larger area around it.
    province = client.get("/api/v1/locations?q=noord-hol").json()
    assert [(found["type"], found["name"], found["context"], found["zoom"]) for found in province] == [
        ("province", "Noord-Holland", "", 9)]
    # Everyday names the official tables do not use ('s-Gravenhage, 's-Hertogenbosch).
    for query, official in [("Den Haag", "'s-Gravenhage"), ("den bosch", "'s-Hertogenbosch"),
                            ("Hertogenbosch", "'s-Hertogenbosch")]:
        assert client.get(f"/api/v1/locations?q={query}").json()[0]["name"] == official, query


def test_locations_needs_a_query_of_two_to_a_hundred_characters(client, db):
    for query, reason in [("", "Dit veld is vereist."),
                          ("?q=a", "Zorg ervoor dat dit veld minimaal 2 karakters bevat."),
                          ("?q=" + "a" * 101, "Zorg ervoor dat dit veld niet meer dan 100 karakters bevat.")]:
        response = client.get("/api/v1/locations" + query)
        assert response.status_code == 400, query
        assert response.json()["invalidParams"] == [{"name": "q", "reason": reason}], query


def test_a_cached_map_answer_is_kept_compressed_and_served_plain_to_who_asks(client, leiden, settings):
    settings.API_RESPONSE_CACHE = True
    plain = client.get("/api/v1/initiatives/map")
    first = client.get("/api/v1/initiatives/map", HTTP_ACCEPT_ENCODING="gzip")
    second = client.get("/api/v1/initiatives/map", HTTP_ACCEPT_ENCODING="gzip, deflate")
    plain_again = client.get("/api/v1/initiatives/map")

    assert first["Content-Encoding"] == second["Content-Encoding"] == "gzip"
    assert gzip.decompress(first.content) == gzip.decompress(second.content) == plain.content == plain_again.content
    assert "Content-Encoding" not in plain_again
    assert "Accept-Encoding" in plain_again["Vary"]
