"""OGC API Features Part 3 with CQL2: queryables, filter in cql2-text and cql2-json, filter-crs,
and the refusals (a 400 that says what is wrong and, in cql2-text, where).

ATS covered: Part 3 /conf/queryables/get-queryables-op, get-queryables-response; /conf/filter/filter-param,
filter-lang-default, filter-lang-param, filter-crs-param, filter-response, mixing-expressions;
/conf/features-filter/response; CQL2 /conf/basic-cql2 (comparisons, IS NULL, AND/OR/NOT, dates and
timestamps), /conf/advanced-comparison-operators (LIKE, BETWEEN, IN), /conf/basic-spatial-functions
(S_INTERSECTS with point, polygon and bbox literals), /conf/cql2-text, /conf/cql2-json."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import quote

import pytest
from django.test import Client

from tests.ogc.conftest import ETRS89, RD_NEW, get_json

pytestmark = pytest.mark.usefixtures("in_english")
ITEMS = "/ogc/v1/collections/initiatives/items"


def names(client: Client, expression: str, language: str = "cql2-text", **extra: str) -> list[str]:
    query = f"filter={quote(expression)}&filter-lang={language}" + "".join(
        f"&{key.replace('_', '-')}={quote(value)}" for key, value in extra.items())
    document = get_json(client, f"{ITEMS}?{query}")
    assert document["numberMatched"] == document["numberReturned"]
    return [feature["properties"]["name"] for feature in document["features"]]


def refusal(client: Client, expression: str, language: str = "cql2-text", collection: str = "initiatives") -> str:
    document = get_json(client, f"/ogc/v1/collections/{collection}/items?filter={quote(expression)}"
                                f"&filter-lang={language}", 400)
    assert (document["code"], document["invalidParams"][0]["name"]) == ("InvalidParameterValue", "filter")
    return str(document["detail"])


LEIDEN, UTRECHT, STOPPED = "Buurtkamer De Linde", "Energiecoöperatie Utrecht", "Gestopte Buurtwinkel"


def test_queryables_are_a_json_schema_of_what_a_filter_may_name(client: Client, db: None) -> None:
    response = client.get("/ogc/v1/collections/initiatives/queryables")
    assert response["Content-Type"] == "application/schema+json"
    document = response.json()
    assert {key: document[key] for key in ("$schema", "$id", "type", "additionalProperties")} == {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": "http://testserver/ogc/v1/collections/initiatives/queryables", "type": "object",
        "additionalProperties": False}
    assert list(document["properties"]) == [
        "name", "kind", "service", "funding_source", "status", "legal_form", "founded_year", "stopped_on",
        "last_verified_on", "updated_at", "place", "postcode", "municipality_code", "province_code", "geometry"]
    assert document["properties"]["geometry"] == {"title": "location", "format": "geometry-point",
                                                  "x-ogc-role": "primary-geometry"}
    assert document["properties"]["founded_year"] == {"title": "founded (year)", "type": "integer"}
    assert document["properties"]["last_verified_on"] == {"title": "last verified on", "type": "string",
                                                          "format": "date"}
    assert document["properties"]["status"]["enum"] == ["actief", "gepauzeerd", "gestopt"]
    assert "email" not in document["properties"] and "phone" not in document["properties"]
    html = client.get("/ogc/v1/collections/initiatives/queryables?f=html")
    assert html.status_code == 200 and "<code>founded_year</code>" in html.content.decode()


def test_basic_cql2_comparisons_and_logic(client: Client, register: Any) -> None:
    assert names(client, "kind = 'buurtcooperatie'") == [UTRECHT]
    assert names(client, "kind <> 'buurtcooperatie'") == [LEIDEN, STOPPED]
    assert names(client, "founded_year >= 2015") == [LEIDEN, UTRECHT]
    assert names(client, "2015 < founded_year") == [UTRECHT]  # the property on the right
    assert names(client, "founded_year < 2015 OR status = 'gestopt'") == [STOPPED]
    assert names(client, "NOT (status = 'gestopt') AND province_code = 'PV26'") == [UTRECHT]
    assert names(client, "last_verified_on >= DATE('2026-01-01')") == [LEIDEN]
    assert names(client, "last_verified_on IS NULL") == [UTRECHT, STOPPED]
    assert names(client, "NOT last_verified_on IS NULL") == [LEIDEN]
    assert names(client, "stopped_on < DATE('2019-01-01')") == [STOPPED]
    assert names(client, "updated_at > TIMESTAMP('2000-01-01T00:00:00Z')") == [LEIDEN, UTRECHT, STOPPED]
    assert names(client, "service = 'energie'") == [UTRECHT]
    assert names(client, "NOT service = 'energie'") == [LEIDEN, STOPPED]
    assert names(client, "municipality_code = 'GM0546' AND funding_source = 'donaties'") == [LEIDEN]
    assert names(client, "TRUE") == [LEIDEN, UTRECHT, STOPPED]
    assert names(client, "\"name\" = 'Buurtkamer De Linde'") == [LEIDEN]


def test_advanced_comparisons(client: Client, register: Any) -> None:
    assert names(client, "name LIKE 'Buurt%'") == [LEIDEN]
    assert names(client, "name LIKE '%Buurt%'") == [LEIDEN, STOPPED]
    assert names(client, "name LIKE 'Energiecoöperatie Utrech_'") == [UTRECHT]
    assert names(client, "name LIKE 'buurt%'") == []  # LIKE is case-sensitive in CQL2
    assert names(client, "name LIKE '100\\%'") == []  # an escaped wildcard is a percent sign
    assert names(client, "founded_year BETWEEN 2011 AND 2019") == [LEIDEN, UTRECHT]
    assert names(client, "kind IN ('buurtcooperatie', 'bewonersinitiatief')") == [LEIDEN, UTRECHT]
    assert names(client, "service IN ('energie', 'wijkrestaurant')") == [LEIDEN, UTRECHT]


def test_quotes_in_text_are_doubled(client: Client, register: Any) -> None:
    from registry import actions

    leiden = register["leiden"]
    leiden.name = "Huiskamer 't Hart"
    actions.save_edit(leiden, None, acting_user=None)
    assert names(client, "name = 'Huiskamer ''t Hart'") == ["Huiskamer 't Hart"]


def test_s_intersects_with_a_point_a_polygon_and_a_box(client: Client, register: Any) -> None:
    assert names(client, "S_INTERSECTS(geometry, BBOX(4.4, 52.1, 4.6, 52.2))") == [LEIDEN]
    assert names(client, "S_INTERSECTS(geometry, POINT(4.497 52.1601))") == [LEIDEN]
    assert names(client, "S_INTERSECTS(geometry, POLYGON((5 52, 5.3 52, 5.3 52.2, 5 52.2, 5 52)))") == [
        UTRECHT, STOPPED]
    assert names(client, "S_INTERSECTS(geometry, BBOX(4.4, 52.1, 4.6, 52.2)) AND kind = 'buurtcooperatie'") == []
    # Mixed with bbox and the shared filters: all of them apply.
    document = get_json(client, f"{ITEMS}?bbox=5,52,5.3,52.2&status=actief&filter="
                                + quote("founded_year > 2000"))
    assert [feature["properties"]["name"] for feature in document["features"]] == [UTRECHT]


def test_filter_crs_reads_literals_in_rd_new_and_latitude_first(client: Client, register: Any) -> None:
    from tests.conftest import LEIDEN as LEIDEN_POINT

    point = LEIDEN_POINT.transform(28992, clone=True)
    box = f"BBOX({point.x - 50}, {point.y - 50}, {point.x + 50}, {point.y + 50})"
    assert names(client, f"S_INTERSECTS(geometry, {box})", filter_crs=RD_NEW) == [LEIDEN]
    assert names(client, "S_INTERSECTS(geometry, BBOX(52.1, 4.4, 52.2, 4.6))", filter_crs=ETRS89) == [LEIDEN]
    assert names(client, "S_INTERSECTS(geometry, POLYGON((52.1 4.4, 52.1 4.6, 52.2 4.6, 52.2 4.4, 52.1 4.4)))",
                 filter_crs=ETRS89) == [LEIDEN]


def test_cql2_json_says_the_same(client: Client, register: Any) -> None:
    expression = {"op": "and", "args": [
        {"op": ">=", "args": [{"property": "founded_year"}, 2015]},
        {"op": "s_intersects", "args": [{"property": "geometry"}, {"bbox": [4.4, 52.1, 4.6, 52.2]}]}]}
    assert names(client, json.dumps(expression), "cql2-json") == [LEIDEN]
    assert names(client, json.dumps({"op": "in", "args": [{"property": "kind"}, ["buurtcooperatie"]]}),
                 "cql2-json") == [UTRECHT]


def test_a_filter_reaches_neither_drafts_nor_hidden_columns(client: Client, register: Any) -> None:
    assert names(client, "name = 'Geheim concept'") == []
    assert refusal(client, "email = 'info@linde.example'").startswith("Unknown property email (column 1)")
    assert refusal(client, "publication_state = 'concept'").startswith("Unknown property publication_state")


def test_other_collections_have_their_own_queryables(client: Client, register: Any) -> None:
    document = get_json(client, "/ogc/v1/collections/municipalities/items?filter="
                                + quote("province_code = 'PV28' AND name LIKE 'Leid_n'"))
    assert [feature["id"] for feature in document["features"]] == ["GM0546"]
    document = get_json(client, "/ogc/v1/collections/provinces/items?filter="
                                + quote("S_INTERSECTS(geometry, POINT(5.1214 52.0907))"))
    assert [feature["id"] for feature in document["features"]] == ["PV26"]
    document = get_json(client, "/ogc/v1/collections/partners/items?filter=" + quote("kind = 'gemeente'"))
    assert [feature["properties"]["name"] for feature in document["features"]] == ["Gemeente Leiden"]
    assert refusal(client, "founded_year > 2000", collection="provinces").startswith("Unknown property founded_year")


@pytest.mark.parametrize(("expression", "language", "detail"), [
    ("kind = 'buurtcooperatie' AND", "cql2-text",
     "The filter does not parse at line 1, column 29: expected GEOMETRY, Identifier, Negative, UnaryNot, True, False, "
     "Null, DECIMAL, Double, SingleQuotedString, ExpressionInParentheses, or Array."),
    ("kind == 'x'", "cql2-text", None),
    ("colour = 'red'", "cql2-text", "Unknown property colour (column 1); the queryables are name, kind, service, "
     "funding_source, status, legal_form, founded_year, stopped_on, last_verified_on, updated_at, place, postcode, "
     "municipality_code, province_code, geometry."),
    ("kind = 'x' AND S_CROSSES(geometry, POINT(4 52))", "cql2-text",
     "The function or operator s_crosses is not supported here; this API takes comparisons, IS NULL, LIKE, BETWEEN, "
     "IN, AND, OR, NOT and S_INTERSECTS. (column 16)"),
    ("CASEI(name) = CASEI('x')", "cql2-text", "The function or operator casei is not supported here; this API takes "
     "comparisons, IS NULL, LIKE, BETWEEN, IN, AND, OR, NOT and S_INTERSECTS. (column 1)"),
    ("founded_year = '2015'", "cql2-text", "founded_year is compared with a whole number, not \"2015\"."),
    ("founded_year = 2015.5", "cql2-text", "founded_year is compared with a whole number, not 2015.5."),
    ("last_verified_on > '2025-01-01'", "cql2-text",
     "last_verified_on is compared with DATE('2025-01-31'), not \"2025-01-01\"."),
    ("updated_at > TIMESTAMP('2025-13-01T00:00:00Z')", "cql2-text", None),
    ("kind = status", "cql2-text", "Compare a property with a value, not with another property."),
    ("founded_year = 2000 + 15", "cql2-text", "The function or operator + is not supported here; this API takes "
     "comparisons, IS NULL, LIKE, BETWEEN, IN, AND, OR, NOT and S_INTERSECTS. (column 21)"),
    ("service > 'a'", "cql2-text", "service is a list: use = or IN (an initiative with any of them)."),
    ("S_INTERSECTS(name, POINT(4 52))", "cql2-text", "name is a string and cannot be used so (column 14)."),
    ("S_INTERSECTS(geometry, POLYGON((4 52, 5 53, 4 53, 5 52, 4 52)))", "cql2-text",
     "The geometry is not valid: Self-intersection[4.5 52.5]."),
    ("S_INTERSECTS(geometry, BBOX(5, 52, 4, 53))", "cql2-text",
     "BBOX takes the lower corner, then the upper corner: the lower corner lies east of the upper one."),
    ("{\"op\": \"=\", \"args\": [{\"property\": \"kind\"}]}", "cql2-json", None),
    ("{\"op\": \"=\"", "cql2-json", None),
    ("'just text'", "cql2-text", "Expected a condition (such as name = 'x'), not \"just text\"."),
])
def test_bad_filters_are_400_with_the_reason(client: Client, register: Any, expression: str, language: str,
                                             detail: str | None) -> None:
    found = refusal(client, expression, language)
    if detail is not None:
        assert found == detail
    else:
        assert found.startswith(("The filter does not parse", "The filter is not valid CQL2-JSON",
                                 "updated_at is compared with TIMESTAMP")), found


def test_filters_are_bounded_in_length_and_depth(client: Client, db: None) -> None:
    long = " OR ".join(["kind = 'buurtcooperatie'"] * 200)
    assert refusal(client, long) == "The filter is 5596 characters long; at most 4000 are taken."
    deep = "(" * 50 + "kind = 'x'" + ")" * 50
    assert refusal(client, deep) == "The filter nests deeper than 20 levels."
    assert refusal(client, "NOT (" * 25 + "kind = 'x'" + ")" * 25) == "The filter nests deeper than 20 levels."
    deep_json = '{"op":"not","args":[' * 25 + '{"op":"=","args":[{"property":"kind"},"x"]}' + "]}" * 25
    assert refusal(client, deep_json, "cql2-json") == "The filter nests deeper than 20 levels."
    very_deep_json = "[" * 100_000
    assert get_json(client, f"{ITEMS}?filter-lang=cql2-json&filter={very_deep_json}", 400)["detail"].startswith(
        "The filter is 100000 characters long")
    many = " OR ".join(["founded_year = 1"] * 100)
    assert refusal(client, many) == "The filter has 301 parts; at most 200 are taken."


def test_filter_lang_and_filter_crs_are_checked(client: Client, db: None) -> None:
    document = get_json(client, f"{ITEMS}?filter=TRUE&filter-lang=ecql", 400)
    assert document["detail"] == "filter-lang ecql is not supported; use cql2-text or cql2-json."
    document = get_json(client, f"{ITEMS}?filter-crs={quote(RD_NEW)}", 400)
    assert document["detail"] == "filter-crs needs a filter."
    document = get_json(client, f"{ITEMS}?filter=TRUE&filter-crs=EPSG:28992", 400)
    assert document["invalidParams"][0]["name"] == "filter-crs"


def test_a_code_nobody_has_matches_nothing_and_its_negation_everything(client: Client, register: Any) -> None:
    assert names(client, "kind = 'nope'") == []
    assert names(client, "NOT kind = 'nope'") == [LEIDEN, UTRECHT, STOPPED]
    assert names(client, "service IN ('nope', 'energie') OR municipality_code = 'GM9999'") == [UTRECHT]
