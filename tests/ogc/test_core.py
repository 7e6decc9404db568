"""OGC API Features Part 1 (Core, GeoJSON, HTML, OpenAPI 3.0) against the test register: whole
documents where the standard fixes their shape. The abstract test suite's assertions each test
covers are named in the docstrings (ATS, "/conf/core/…")."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from django.test import Client

from tests.ogc.conftest import BASE, CRS84, RD_NEW, get_json

pytestmark = pytest.mark.usefixtures("in_english")

CONFORMANCE = [
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/core",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/oas30",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/html",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/geojson",
    "http://www.opengis.net/spec/ogcapi-features-2/1.0/conf/crs",
    "http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/queryables",
    "http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/filter",
    "http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/features-filter",
    "http://www.opengis.net/spec/cql2/1.0/conf/cql2-text",
    "http://www.opengis.net/spec/cql2/1.0/conf/cql2-json",
    "http://www.opengis.net/spec/cql2/1.0/conf/basic-cql2",
    "http://www.opengis.net/spec/cql2/1.0/conf/advanced-comparison-operators",
    "http://www.opengis.net/spec/cql2/1.0/conf/basic-spatial-functions",
    "http://www.opengis.net/spec/cql2/1.0/conf/basic-spatial-operators",
    "http://www.opengis.net/spec/ogcapi-tiles-1/1.0/conf/core",
    "http://www.opengis.net/spec/ogcapi-tiles-1/1.0/conf/tileset",
    "http://www.opengis.net/spec/ogcapi-tiles-1/1.0/conf/tilesets-list",
    "http://www.opengis.net/spec/ogcapi-tiles-1/1.0/conf/geodata-tilesets",
    "http://www.opengis.net/spec/ogcapi-tiles-1/1.0/conf/mvt",
    "http://www.opengis.net/spec/ogcapi-tiles-1/1.0/conf/oas30",
]
ALL_CRS = [CRS84, "http://www.opengis.net/def/crs/EPSG/0/28992", "http://www.opengis.net/def/crs/EPSG/0/4258",
           "http://www.opengis.net/def/crs/EPSG/0/4326", "http://www.opengis.net/def/crs/EPSG/0/3857"]


def test_the_landing_page_links_the_api_definition_conformance_and_data(client: Client, db: None) -> None:
    """ATS /conf/core/landing-page-op, /conf/core/landing-page-success: the links service-desc or
    service-doc, conformance and data, each with its type."""
    response = client.get("/ogc/v1")
    assert response["Content-Type"] == "application/json"
    document = response.json()
    assert document["title"] == "Register of residents' initiatives – OGC API Features"
    assert [(link["rel"], link["type"], link["href"]) for link in document["links"]] == [
        ("self", "application/json", f"{BASE}?f=json"),
        ("alternate", "text/html", f"{BASE}?f=html"),
        ("service-desc", "application/vnd.oai.openapi+json;version=3.0", f"{BASE}/api?f=json"),
        ("service-doc", "text/html", f"{BASE}/api?f=html"),
        ("conformance", "application/json", f"{BASE}/conformance?f=json"),
        ("data", "application/json", f"{BASE}/collections?f=json"),
        ("http://www.opengis.net/def/rel/ogc/1.0/tiling-schemes", "application/json", f"{BASE}/tileMatrixSets?f=json"),
        ("license", "text/html", "http://creativecommons.org/publicdomain/zero/1.0/"),
    ]


def test_conformance_declares_features_parts_1_to_3_and_tiles(client: Client, db: None) -> None:
    """ATS /conf/core/conformance-op, /conf/core/conformance-success."""
    assert get_json(client, "/ogc/v1/conformance") == {
        "links": [{"href": f"{BASE}/conformance?f=json", "rel": "self", "type": "application/json",
                   "title": "This document as JSON"},
                  {"href": f"{BASE}/conformance?f=html", "rel": "alternate", "type": "text/html",
                   "title": "This document as HTML"}],
        "conformsTo": CONFORMANCE}


def test_collections_describe_each_collection_with_extent_crs_and_items_links(client: Client, register: Any) -> None:
    """ATS /conf/core/fc-md-op, /conf/core/fc-md-success, /conf/core/fc-md-links, /conf/core/fc-md-items,
    /conf/core/fc-md-extent, /conf/core/sfc-md-op; Part 2 /conf/crs/crs-valid, storageCrs."""
    document = get_json(client, "/ogc/v1/collections")
    assert [collection["id"] for collection in document["collections"]] == [
        "initiatives", "partners", "municipalities", "provinces"]
    assert document["crs"] == ALL_CRS
    initiatives = document["collections"][0]
    assert initiatives == get_json(client, "/ogc/v1/collections/initiatives")
    assert {key: value for key, value in initiatives.items() if key != "description"} == {
        "id": "initiatives",
        "title": "Residents' initiatives",
        "links": [
            {"href": f"{BASE}/collections/initiatives?f=json", "rel": "self", "type": "application/json",
             "title": "This collection as JSON"},
            {"href": f"{BASE}/collections/initiatives?f=html", "rel": "alternate", "type": "text/html",
             "title": "This collection as HTML"},
            {"href": f"{BASE}/collections/initiatives/items?f=json", "rel": "items", "type": "application/geo+json",
             "title": "The items as GeoJSON"},
            {"href": f"{BASE}/collections/initiatives/items?f=html", "rel": "items", "type": "text/html",
             "title": "The items as HTML"},
            {"href": f"{BASE}/collections/initiatives/queryables?f=json",
             "rel": "http://www.opengis.net/def/rel/ogc/1.0/queryables", "type": "application/schema+json",
             "title": "What a filter may name"},
            {"href": f"{BASE}/collections/initiatives/tiles?f=json",
             "rel": "http://www.opengis.net/def/rel/ogc/1.0/tilesets-vector", "type": "application/json",
             "title": "Vector tiles"},
            {"href": "http://creativecommons.org/publicdomain/zero/1.0/", "rel": "license", "type": "text/html",
             "title": "Creative Commons Zero v1.0 Universal"},
        ],
        # Leiden and Utrecht (the draft is not published); the earliest founding year is the stopped one's.
        "extent": {"spatial": {"bbox": [[4.497, 52.0907, 5.1214, 52.1601]], "crs": CRS84},
                   "temporal": {"interval": [["2010-01-01T00:00:00Z", None]],
                                "trs": "http://www.opengis.net/def/uom/ISO-8601/0/Gregorian"}},
        "itemType": "feature",
        "crs": ALL_CRS,
        "storageCrs": CRS84,
    }
    provinces = document["collections"][3]
    assert provinces["extent"] == {"spatial": {"bbox": [[3.358378, 50.750367, 7.227498, 53.554047]], "crs": CRS84}}


LEIDEN_FEATURE = {
    "type": "Feature",
    "geometry": {"type": "Point", "coordinates": [4.497, 52.1601]},
    "properties": {
        "slug": "buurtkamer-de-linde", "name": "Buurtkamer De Linde", "kind": "bewonersinitiatief",
        "services": ["ontmoetingsplek", "wijkrestaurant"], "short_description": "Huiskamer voor de buurt.",
        "description": "Koffie, soep en een luisterend oor.", "legal_form": "stichting", "kvk_number": "12345678",
        "founded_year": 2015, "status": "actief", "stopped_on": None, "stop_reason": "", "street": "Breestraat",
        "house_number": "1", "postcode": "2311 CS", "place": "Leiden", "municipality_code": "GM0546",
        "municipality_name": "Leiden", "province_code": "PV28", "province_name": "Zuid-Holland",
        "location_precision": "exact", "website": "https://linde.example",
        "funding_sources": ["subsidie", "donaties"], "volunteers": 12, "paid_staff": 1, "reach_per_week": 80,
        "last_verified_on": "2026-03-01", "verification_method": "telefoon"},
}


def _without_changing(feature: dict[str, Any]) -> dict[str, Any]:
    """The feature without its id and moment of change (which the test does not fix)."""
    properties = {key: value for key, value in feature["properties"].items() if key not in ("id", "updated_at")}
    return {**{key: value for key, value in feature.items() if key not in ("id", "links")},
            "properties": properties}


def test_items_are_the_published_initiatives_as_geojson_without_personal_data(client: Client, register: Any) -> None:
    """ATS /conf/core/fc-op, /conf/core/fc-response, /conf/core/fc-links, /conf/core/fc-numberMatched,
    /conf/core/fc-numberReturned, /conf/geojson/content, /conf/geojson/definition."""
    response = client.get("/ogc/v1/collections/initiatives/items")
    assert response["Content-Type"] == "application/geo+json"
    assert response["Content-Crs"] == f"<{CRS84}>"
    document = response.json()
    assert [document["type"], document["numberMatched"], document["numberReturned"]] == ["FeatureCollection", 3, 3]
    assert [feature["properties"]["name"] for feature in document["features"]] == [
        "Buurtkamer De Linde", "Energiecoöperatie Utrecht", "Gestopte Buurtwinkel"]
    leiden = document["features"][0]
    assert leiden["id"] == leiden["properties"]["id"] == register["leiden"].pk
    assert _without_changing(leiden) == LEIDEN_FEATURE
    assert "email" not in json.dumps(document) and "071 123 4567" not in json.dumps(document)
    assert [(link["rel"], link["type"], link["href"]) for link in document["links"]] == [
        ("self", "application/geo+json", f"{BASE}/collections/initiatives/items?f=json"),
        ("alternate", "text/html", f"{BASE}/collections/initiatives/items?f=html"),
        ("collection", "application/json", f"{BASE}/collections/initiatives?f=json"),
    ]


def test_a_single_item_has_self_alternate_and_collection_links(client: Client, register: Any) -> None:
    """ATS /conf/core/f-op, /conf/core/f-success, /conf/core/f-links."""
    pk = register["leiden"].pk
    response = client.get(f"/ogc/v1/collections/initiatives/items/{pk}")
    assert (response["Content-Type"], response["Content-Crs"]) == ("application/geo+json", f"<{CRS84}>")
    document = response.json()
    assert _without_changing(document) == LEIDEN_FEATURE
    assert document["links"] == [
        {"href": f"{BASE}/collections/initiatives/items/{pk}?f=json", "rel": "self", "type": "application/geo+json",
         "title": "This feature as JSON"},
        {"href": f"{BASE}/collections/initiatives/items/{pk}?f=html", "rel": "alternate", "type": "text/html",
         "title": "This feature as HTML"},
        {"href": f"{BASE}/collections/initiatives?f=json", "rel": "collection", "type": "application/json",
         "title": "Residents' initiatives"},
    ]


def test_drafts_unknown_and_malformed_ids_are_not_found(client: Client, register: Any) -> None:
    """ATS /conf/core/f-success (404 for an unknown feature); nothing unpublished is reachable."""
    for feature_id in (register["draft"].pk, 999999, "abc", "1e3", "9" * 40):
        document = get_json(client, f"/ogc/v1/collections/initiatives/items/{feature_id}", 404)
        assert document == {"type": "about:blank", "title": "Not Found", "status": 404, "code": "NotFound",
                            "detail": f"There is no feature {feature_id} in initiatives.",
                            "instance": f"/ogc/v1/collections/initiatives/items/{feature_id}"}
    listed = get_json(client, "/ogc/v1/collections/initiatives/items?q=Geheim")
    assert listed["numberMatched"] == 0


def _walk(client: Client, url: str) -> list[dict[str, Any]]:
    pages = []
    while url:
        page = get_json(client, url.replace("http://testserver", ""))
        pages.append(page)
        url = next((link["href"] for link in page["links"] if link["rel"] == "next"), "")
    return pages


def test_next_links_walk_every_feature_once_and_keep_the_query(client: Client, register: Any) -> None:
    """ATS /conf/core/fc-limit-definition, /conf/core/fc-limit-response-1, /conf/core/fc-next-1 (the next
    link keeps the other parameters)."""
    pages = _walk(client, "/ogc/v1/collections/municipalities/items?limit=100&bbox=3,50,8,54")
    assert [page["numberReturned"] for page in pages] == [100, 100, 100, 42]
    assert {page["numberMatched"] for page in pages} == {342}
    codes = [feature["id"] for page in pages for feature in page["features"]]
    assert len(codes) == len(set(codes)) == 342 and codes == sorted(codes)
    next_link = next(link["href"] for link in pages[0]["links"] if link["rel"] == "next")
    assert parse_qs(urlsplit(next_link).query) == {
        "limit": ["100"], "bbox": ["3,50,8,54"], "f": ["json"], "cursor": [codes[99]]}
    walked = _walk(client, "/ogc/v1/collections/initiatives/items?limit=1")
    assert [page["features"][0]["properties"]["name"] for page in walked] == [
        "Buurtkamer De Linde", "Energiecoöperatie Utrecht", "Gestopte Buurtwinkel"]


def test_bbox_selects_what_intersects_the_box(client: Client, register: Any) -> None:
    """ATS /conf/core/fc-bbox-definition, /conf/core/fc-bbox-response."""
    def names(query: str) -> list[str]:
        document = get_json(client, f"/ogc/v1/collections/initiatives/items?{query}")
        return [feature["properties"]["name"] for feature in document["features"]]

    assert names("bbox=4.4,52.1,4.6,52.2") == ["Buurtkamer De Linde"]
    assert names("bbox=4.4,52.1,-10,4.6,52.2,100") == ["Buurtkamer De Linde"]  # with heights
    assert names("bbox=4.497,52.1,4.6,52.1601") == ["Buurtkamer De Linde"]  # on the box's corner
    assert names("bbox=5,52,5.2,52.2") == ["Energiecoöperatie Utrecht", "Gestopte Buurtwinkel"]
    assert names("bbox=6,53,7,54") == []
    municipalities = get_json(client, "/ogc/v1/collections/municipalities/items?bbox=4.496,52.16,4.498,52.161")
    assert [feature["id"] for feature in municipalities["features"]] == ["GM0546"]


def test_datetime_selects_initiatives_by_their_lifetime(client: Client, register: Any) -> None:
    """ATS /conf/core/fc-time-definition, /conf/core/fc-time-response: Leiden from 2015, Utrecht from
    2019, the stopped one from 2010 to 2018-05-01."""
    def names(moment: str) -> list[str]:
        document = get_json(client, f"/ogc/v1/collections/initiatives/items?datetime={moment}")
        return [feature["properties"]["name"] for feature in document["features"]]

    assert names("2016-06-01T12:00:00Z") == ["Buurtkamer De Linde", "Gestopte Buurtwinkel"]
    assert names("2018-05-01") == ["Buurtkamer De Linde", "Gestopte Buurtwinkel"]
    assert names("2018-05-02") == ["Buurtkamer De Linde"]
    assert names("2020-01-01T00:00:00%2B01:00") == ["Buurtkamer De Linde", "Energiecoöperatie Utrecht"]
    assert names("../2014-12-31") == ["Gestopte Buurtwinkel"]
    assert names("2019-01-01/..") == ["Buurtkamer De Linde", "Energiecoöperatie Utrecht"]
    assert names("2000-01-01/2009-12-31") == []


def test_the_shared_filters_apply_to_initiatives(client: Client, register: Any) -> None:
    """The register's one filter set (registry.filters), as the REST API applies it."""
    document = get_json(client, "/ogc/v1/collections/initiatives/items?kind=buurtcooperatie&status=actief")
    assert [feature["properties"]["name"] for feature in document["features"]] == ["Energiecoöperatie Utrecht"]
    document = get_json(client, "/ogc/v1/collections/initiatives/items?service=wijkrestaurant&service=energie")
    assert document["numberMatched"] == 2
    problem = get_json(client, "/ogc/v1/collections/initiatives/items?kind=nope", 400)
    assert (problem["code"], problem["invalidParams"][0]["name"]) == ("InvalidParameterValue", "kind")


def test_partners_and_areas_have_their_own_properties(client: Client, register: Any) -> None:
    partners = get_json(client, "/ogc/v1/collections/partners/items")
    assert [(feature["properties"]["name"], feature["geometry"] and feature["geometry"]["type"],
             feature["properties"]["initiatives"]) for feature in partners["features"]] == [
        ("VSBfonds", None, 1), ("Gemeente Leiden", "MultiPolygon", 0)]
    leiden = get_json(client, "/ogc/v1/collections/municipalities/items/gm0546")
    assert leiden["properties"] == {"code": "GM0546", "name": "Leiden", "province_code": "PV28",
                                    "province_name": "Zuid-Holland", "valid_from": "2024-01-01", "initiatives": 1}
    utrecht = get_json(client, "/ogc/v1/collections/provinces/items/PV26")
    assert utrecht["properties"] == {"code": "PV26", "name": "Utrecht", "initiatives": 2}


@pytest.mark.parametrize(("query", "parameter", "detail"), [
    ("limit=0", "limit", "limit must be a whole number from 1 to 1000."),
    ("limit=1001", "limit", "limit must be a whole number from 1 to 1000."),
    ("limit=ten", "limit", "limit must be a whole number from 1 to 1000."),
    ("bbox=4,52,5", "bbox", "bbox must be the lower corner, then the upper corner (x, y (longitude, latitude) in "
                            f"{CRS84}): four numbers (or six, with heights)."),
    ("bbox=5,52,4,53", "bbox", "bbox must be the lower corner, then the upper corner (x, y (longitude, latitude) "
                               f"in {CRS84}): the lower corner lies east of the upper one."),
    ("bbox=4,52,5,nan", "bbox", "bbox must be the lower corner, then the upper corner (x, y (longitude, latitude) "
                                f"in {CRS84}): four numbers (or six, with heights)."),
    ("bbox=52,4,53,5&bbox-crs=http://www.opengis.net/def/crs/OGC/1.3/CRS84x", "bbox-crs",
     "bbox-crs http://www.opengis.net/def/crs/OGC/1.3/CRS84x is not supported; use one of " + ", ".join(ALL_CRS)
     + "."),
    ("bbox-crs=http://www.opengis.net/def/crs/EPSG/0/28992", "bbox-crs", "bbox-crs needs a bbox."),
    ("crs=EPSG:28992", "crs", "crs EPSG:28992 is not supported; use one of " + ", ".join(ALL_CRS) + "."),
    ("datetime=yesterday", "datetime", "datetime must be a moment (2024-05-01T12:00:00Z), a date (2024-05-01) or "
                                       "an interval of them with / (2020-01-01/.., ../2024-12-31)."),
    ("datetime=../..", "datetime", "datetime must be a moment (2024-05-01T12:00:00Z), a date (2024-05-01) or "
                                   "an interval of them with / (2020-01-01/.., ../2024-12-31)."),
    ("datetime=2020-01-01/2019-01-01", "datetime", "datetime: the interval ends before it starts."),
    ("cursor=abc", "cursor", "Not a cursor of this collection: follow the next link, or leave it out."),
    ("f=xml", "f", "Unknown encoding xml; this resource has json, html."),
    ("sortby=name", "sortby", None),
])
def test_bad_parameters_are_400_with_the_parameter_and_the_reason(client: Client, db: None, query: str,
                                                                  parameter: str, detail: str | None) -> None:
    """ATS /conf/core/query-param-invalid, /conf/core/query-param-unknown; Part 2 an unsupported crs
    or bbox-crs is a 400."""
    document = get_json(client, f"/ogc/v1/collections/initiatives/items?{query}", 400)
    if detail is None:  # the list of what the resource takes is long
        detail = document["detail"]
        assert detail.startswith(f"Unknown query parameter {parameter}; this resource takes bbox, bbox-crs, ")
    assert document == {"type": "about:blank", "title": "Bad Request", "status": 400, "code": "InvalidParameterValue",
                        "detail": detail, "instance": "/ogc/v1/collections/initiatives/items",
                        "invalidParams": [{"name": parameter, "reason": detail}]}


def test_datetime_on_a_collection_without_time_is_a_400(client: Client, db: None) -> None:
    document = get_json(client, "/ogc/v1/collections/provinces/items?datetime=2020-01-01", 400)
    assert (document["detail"], document["invalidParams"][0]["name"]) == (
        "The collection provinces has no time: leave out datetime.", "datetime")


def test_unknown_collections_and_addresses_are_404_exceptions(client: Client, db: None) -> None:
    for path in ("/ogc/v1/collections/drafts", "/ogc/v1/collections/drafts/items",
                 "/ogc/v1/collections/drafts/items/1", "/ogc/v1/collections/drafts/queryables"):
        document = get_json(client, path, 404)
        assert document["detail"] == ("There is no collection drafts; the collections are initiatives, partners, "
                                      "municipalities, provinces.")
    assert get_json(client, "/ogc/v1/nothing", 404)["detail"] == (
        "There is no resource at this address; start at http://testserver/ogc/v1.")


def test_the_accept_header_chooses_the_encoding_and_f_overrides_it(client: Client, register: Any) -> None:
    """ATS /conf/core/http (content negotiation), /conf/html/content."""
    browser = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"
    assert client.get("/ogc/v1", HTTP_ACCEPT=browser)["Content-Type"] == "text/html; charset=utf-8"
    assert client.get("/ogc/v1", HTTP_ACCEPT="*/*")["Content-Type"] == "application/json"
    items = "/ogc/v1/collections/initiatives/items"
    assert client.get(items, HTTP_ACCEPT="application/json")["Content-Type"] == "application/geo+json"
    assert client.get(items + "?f=json", HTTP_ACCEPT=browser)["Content-Type"] == "application/geo+json"
    assert client.get("/ogc/v1/api")["Content-Type"] == "application/vnd.oai.openapi+json;version=3.0"
    refused = client.get("/ogc/v1/conformance", HTTP_ACCEPT="application/xml")
    assert refused.status_code == 406 and refused.json()["code"] == "NotAcceptable"


def test_an_item_is_dated_by_its_own_record_not_by_the_others(client: Client, register: Any,
                                                               released_long_ago: None) -> None:
    """An item's Last-Modified is when its record's document last changed: another record's edit
    leaves it (and a client's copy by date) alone, its own edit moves it. A municipality, which the
    register does not date by itself, keeps the register's last change."""
    import datetime

    from django.utils.http import http_date, parse_http_date

    from registry import actions
    from registry.models import InitiativeDocument

    leiden, utrecht = register["leiden"], register["utrecht"]
    long_ago = datetime.datetime(2026, 1, 5, 12, 0, tzinfo=datetime.UTC)
    InitiativeDocument.objects.filter(initiative=leiden).update(prepared_at=long_ago)
    path = f"/ogc/v1/collections/initiatives/items/{leiden.pk}"
    assert client.get(path)["Last-Modified"] == http_date(long_ago.timestamp())

    utrecht.name = "Buurtkamer Utrecht-Oost"
    actions.save_edit(utrecht, None, acting_user=None)
    assert client.get(path)["Last-Modified"] == http_date(long_ago.timestamp())
    assert client.get(path, HTTP_IF_MODIFIED_SINCE=http_date(long_ago.timestamp())).status_code == 304
    municipality = client.get("/ogc/v1/collections/municipalities/items/GM0546")["Last-Modified"]
    assert parse_http_date(municipality) > long_ago.timestamp()

    leiden.name = "Buurtkamer Leiden-Noord"
    actions.save_edit(leiden, None, acting_user=None)
    moved = client.get(path, HTTP_IF_MODIFIED_SINCE=http_date(long_ago.timestamp()))
    assert moved.status_code == 200 and moved["Last-Modified"] == http_date(
        InitiativeDocument.objects.get(initiative=leiden).prepared_at.timestamp())


def test_a_page_of_initiatives_is_tagged_by_the_registers_version_and_its_address(client: Client,
                                                                                 register: Any) -> None:
    """A page of initiatives follows from the register's version and its address, not from its
    timeStamp, so its ETag does too (weak: the bytes of its timeStamp differ): an unchanged page is a
    304 without its megabytes being hashed, and any edit or another address is a new tag."""

    from registry import actions

    path = "/ogc/v1/collections/initiatives/items?f=json&limit=2"
    first = client.get(path)
    unchanged = client.get(path, HTTP_IF_NONE_MATCH=first["ETag"])
    in_rd_new = client.get(path + "&crs=http://www.opengis.net/def/crs/EPSG/0/28992")
    partners = client.get("/ogc/v1/collections/partners/items?f=json&limit=2")
    leiden = register["leiden"]
    leiden.name = "Buurtkamer Leiden-Noord"
    actions.save_edit(leiden, None, acting_user=None)
    edited = client.get(path, HTTP_IF_NONE_MATCH=first["ETag"])

    assert first["ETag"].startswith('W/"') and unchanged.status_code == 304
    assert in_rd_new["ETag"] not in (first["ETag"], None)
    # The partners' boundaries are the municipalities', which the register does not date: hashed.
    assert not partners["ETag"].startswith("W/")
    assert edited.status_code == 200 and edited["ETag"] != first["ETag"]


def test_an_item_and_its_date_are_one_statement_and_a_page_sends_its_ids_as_one_array(
        client: Client, register: Any) -> None:
    """The item reads its Feature and its date together; a page selects its Features by one array of
    ids, not by an IN list of a parameter per id (a page of 1,000 spent 7 ms on that)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    path = f"/ogc/v1/collections/initiatives/items/{register['leiden'].pk}"
    client.get(path)
    with CaptureQueriesContext(connection) as item:
        assert _without_changing(get_json(client, path)) == LEIDEN_FEATURE
    # Besides the throttle's count, synced now and then (api.throttling).
    read = [query["sql"] for query in item.captured_queries if "api_throttle" not in query["sql"]]
    assert len(read) == 1, read

    with CaptureQueriesContext(connection) as page:
        listed = get_json(client, "/ogc/v1/collections/initiatives/items?limit=2")
    features_sql = next(query["sql"] for query in page.captured_queries if "string_agg" in query["sql"])
    ids = ",".join(str(feature["id"]) for feature in listed["features"])
    assert f"IN (SELECT unnest('{{{ids}}}'::" in features_sql


def test_html_pages_use_the_site_design_and_escape_names(client: Client, register: Any) -> None:
    """ATS /conf/html/definition, /conf/html/content."""
    from registry import actions

    leiden = register["leiden"]
    leiden.name = "<script>alert(1)</script> & Co"
    actions.save_edit(leiden, None, acting_user=None)
    page = client.get("/ogc/v1/collections/initiatives/items?f=html").content.decode()
    assert 'class="utrecht-page-header site-header"' in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt; &amp; Co" in page and "<script>alert" not in page
    assert f'href="/ogc/v1/collections/initiatives/items/{leiden.pk}?f=html"' in page
    single = client.get(f"/ogc/v1/collections/initiatives/items/{leiden.pk}?f=html").content.decode()
    assert '<h1 class="utrecht-heading-1">&lt;script&gt;alert(1)&lt;/script&gt; &amp; Co</h1>' in single
    for path in ("/ogc/v1", "/ogc/v1/conformance", "/ogc/v1/api", "/ogc/v1/collections",
                 "/ogc/v1/collections/municipalities", "/ogc/v1/collections/municipalities/items/GM0546"):
        response = client.get(path + "?f=html")
        assert (response.status_code, response["Content-Type"]) == (200, "text/html; charset=utf-8"), path


def test_the_api_definition_declares_every_path_and_parameter(client: Client, db: None) -> None:
    """ATS /conf/oas30/oas-definition-1, /conf/oas30/oas-impl: an OpenAPI 3.0 document that
    schemathesis's loader accepts, with each collection's paths."""
    import schemathesis

    document = get_json(client, "/ogc/v1/api")
    assert document["openapi"] == "3.0.3"
    assert document["servers"] == [{"url": BASE}]
    assert sorted(document["paths"]) == sorted([
        "/", "/conformance", "/api", "/collections",
        *[path for collection in ("initiatives", "partners", "municipalities", "provinces") for path in (
            f"/collections/{collection}", f"/collections/{collection}/queryables", f"/collections/{collection}/items",
            f"/collections/{collection}/items/{{featureId}}")],
        "/tileMatrixSets", "/tileMatrixSets/{tileMatrixSetId}", "/collections/initiatives/tiles",
        "/collections/initiatives/tiles/{tileMatrixSetId}",
        "/collections/initiatives/tiles/{tileMatrixSetId}/{tileMatrix}/{tileRow}/{tileCol}"])
    items = document["paths"]["/collections/initiatives/items"]["get"]["parameters"]
    names = [parameter.get("name") or document["components"]["parameters"][parameter["$ref"].split("/")[-1]]["name"]
             for parameter in items]
    assert names[:10] == ["f", "limit", "bbox", "bbox-crs", "crs", "cursor", "filter", "filter-lang", "filter-crs",
                          "datetime"]
    assert {"kind", "service", "municipality", "province", "status", "q"} <= set(names)
    assert "datetime" not in json.dumps(document["paths"]["/collections/provinces/items"])
    schema = schemathesis.openapi.from_dict(document)
    assert len(list(schema.get_all_operations())) == 25


def test_only_reads_are_answered(client: Client, db: None) -> None:
    for response in (client.post("/ogc/v1/collections/initiatives/items", data="{}",
                                 content_type="application/geo+json"),
                     client.delete("/ogc/v1/collections/initiatives/items/1")):
        assert (response.status_code, response["Allow"], response.json()["code"]) == (
            405, "GET, HEAD, OPTIONS", "MethodNotAllowed")
    head = client.head("/ogc/v1/collections/initiatives/items")
    assert (head.status_code, head["Content-Type"], head.content) == (200, "application/geo+json", b"")


def test_the_anonymous_rate_applies(client: Client, db: None, monkeypatch: pytest.MonkeyPatch) -> None:
    """The REST API's throttle (from the settings) counts the OGC API's requests too."""
    from rest_framework.throttling import AnonRateThrottle

    monkeypatch.setattr(AnonRateThrottle, "THROTTLE_RATES", {"anon": "3/minute"})
    statuses = [client.get("/ogc/v1/conformance").status_code for _ in range(4)]
    refused = client.get("/ogc/v1/conformance")
    assert statuses == [200, 200, 200, 429]
    assert refused["Content-Type"] == "application/problem+json"
    assert refused.json()["code"] == "TooManyRequests" and 0 < int(refused["Retry-After"]) <= 60


def _map_data(page: str) -> Any:
    start = page.index('<script id="features-data" type="application/json">') + len(
        '<script id="features-data" type="application/json">')
    return json.loads(page[start:page.index("</script>", start)])


def test_an_html_page_of_items_has_a_filter_form_a_map_of_its_features_and_its_links(
        client: Client, register: Any) -> None:
    """As pygeoapi's HTML pages: the page's features on a map (drawn from data the page holds,
    never script text), a form that filters by box, CQL2 and page size, and the page's links."""
    leiden, utrecht = register["leiden"], register["utrecht"]
    page = client.get("/ogc/v1/collections/initiatives/items?f=html&limit=2&filter=founded_year%3E2000"
                      "&status=actief").content.decode()
    data = _map_data(page)
    assert [feature["id"] for feature in data["collection"]["features"]] == [leiden.pk, utrecht.pk]
    assert data["collection"]["features"][0]["geometry"] == {"type": "Point", "coordinates": [4.497, 52.1601]}
    assert data["links"] == [
        {"id": leiden.pk, "href": f"/ogc/v1/collections/initiatives/items/{leiden.pk}?f=html"},
        {"id": utrecht.pk, "href": f"/ogc/v1/collections/initiatives/items/{utrecht.pk}?f=html"}]
    assert 'id="map_features"' in page and "ogcFeatures.start" in page
    # The form shows what was asked and keeps the other filters; a new filter starts at page one.
    assert 'name="filter" value="founded_year&gt;2000"' in page
    assert 'name="limit" value="2"' in page and 'name="bbox" value=""' in page
    assert '<input type="hidden" name="status" value="actief">' in page
    assert 'name="cursor"' not in page
    # The page's links, JSON among them.
    assert (f'<a class="utrecht-link utrecht-link--html-a" href="{BASE}/collections/initiatives/items?f=json&amp;'
            f'limit=2&amp;filter=founded_year%3E2000&amp;status=actief" type="application/geo+json">') in page


def test_a_page_in_another_crs_has_no_map_and_a_hostile_name_stays_data(client: Client, register: Any) -> None:
    from registry import actions

    leiden = register["leiden"]
    leiden.name = "</script><script>alert(1)</script>"
    actions.save_edit(leiden, None, acting_user=None)
    page = client.get("/ogc/v1/collections/initiatives/items?f=html").content.decode()
    assert _map_data(page)["collection"]["features"][0]["properties"]["name"] == leiden.name
    assert "<script>alert(1)" not in page
    rd = client.get("/ogc/v1/collections/initiatives/items?f=html&crs=" + RD_NEW).content.decode()
    assert "features-data" not in rd and "ogcFeatures.start" not in rd
    assert f'<input type="hidden" name="crs" value="{RD_NEW}">' in rd


def test_an_empty_box_or_filter_is_none(client: Client, register: Any) -> None:
    """What an HTML form sends for a field left empty."""
    every = get_json(client, "/ogc/v1/collections/initiatives/items?f=json")
    empty = get_json(client, "/ogc/v1/collections/initiatives/items?f=json&bbox=&filter=")
    assert [f["id"] for f in empty["features"]] == [f["id"] for f in every["features"]]
    assert empty["numberMatched"] == every["numberMatched"] == 3


def test_a_bad_parameter_of_an_html_page_answers_a_page_that_says_what_is_wrong(client: Client, db: None) -> None:
    response = client.get("/ogc/v1/collections/initiatives/items?f=html&bbox=1,2")
    assert (response.status_code, response["Content-Type"]) == (400, "text/html; charset=utf-8")
    page = response.content.decode()
    assert ('<div class="utrecht-alert utrecht-alert--error" role="alert"><p class="utrecht-paragraph">bbox must be '
            "the lower corner, then the upper corner (x, y (longitude, latitude) in "
            f"{CRS84}): four numbers (or six, with heights). (<code>bbox</code>)</p></div>") in page
    missing = client.get("/ogc/v1/collections/initiatives/items/999999?f=html")
    assert (missing.status_code, missing["Content-Type"]) == (404, "text/html; charset=utf-8")
    assert "There is no feature 999999 in initiatives." in missing.content.decode()
    # Without f=html, the problem document as before.
    assert client.get("/ogc/v1/collections/initiatives/items?bbox=1,2")["Content-Type"] == "application/problem+json"


def test_a_feature_page_names_each_property_and_its_name_in_the_data(client: Client, register: Any) -> None:
    leiden = register["leiden"]
    page = client.get(f"/ogc/v1/collections/initiatives/items/{leiden.pk}?f=html").content.decode()
    assert ('<tr><th scope="row">Founded (year) <code class="property-name">founded_year</code></th>'
            "<td>2015</td></tr>") in page
    assert [feature["id"] for feature in _map_data(page)["collection"]["features"]] == [leiden.pk]


def test_the_filter_form_asks_in_crs84_and_cql2_text_only(client: Client, register: Any) -> None:
    """A box or filter asked for in another way is not put into the form (a submitted form would
    send the kept bbox-crs with degrees typed in the box, or an empty filter with its filter-lang)."""
    from urllib.parse import quote

    page = client.get("/ogc/v1/collections/initiatives/items?f=html&bbox=90000,460000,100000,470000&bbox-crs="
                      + quote(RD_NEW) + "&filter-lang=cql2-json&filter="
                      + quote('{"op":">","args":[{"property":"founded_year"},2000]}')).content.decode()
    assert 'name="bbox" value=""' in page and 'name="filter" value=""' in page
    assert 'type="hidden" name="bbox-crs"' not in page and 'type="hidden" name="filter' not in page


def test_a_page_renders_the_same_bytes_each_time_so_a_copy_is_revalidated(client: Client, register: Any) -> None:
    path = f"/ogc/v1/collections/initiatives/items/{register['leiden'].pk}?f=html"
    first, second = client.get(path), client.get(path)
    assert first.content == second.content
    assert client.get(path, HTTP_IF_NONE_MATCH=first["ETag"]).status_code == 304


def test_a_browser_asking_for_html_by_accept_gets_its_problem_as_a_page(client: Client, db: None) -> None:
    response = client.get("/ogc/v1/collections/initiatives/items?bbox=1,2", HTTP_ACCEPT="text/html,*/*;q=0.8")
    assert (response.status_code, response["Content-Type"]) == (400, "text/html; charset=utf-8")


def test_a_collection_of_areas_has_no_map_of_its_boundaries(client: Client, db: None) -> None:
    page = client.get("/ogc/v1/collections/municipalities/items?f=html&limit=20").content.decode()
    assert "features-data" not in page and "ogcFeatures.start" not in page
    assert page.count("MultiPolygon") == 20
