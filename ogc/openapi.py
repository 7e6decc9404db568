"""The API definition (OpenAPI 3.0) of the OGC API, made from the collections themselves, so that
every collection, parameter and filter the service takes is declared (Part 1, /req/oas30), and
none it does not."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.utils.translation import gettext as _

from geo.crs import CRS84, SUPPORTED
from geo.tilematrixsets import TILE_MATRIX_SETS
from ogc.collections import COLLECTIONS, Collection
from ogc.filtering import LANGUAGES, MAX_LENGTH
from ogc.params import DEFAULT_LIMIT, GEOJSON, HTML, JSON, MAX_LIMIT, OPENAPI, SCHEMA
from registry.filters import InitiativeFilterSet

VERSION = "1.0.0"


def _parameter(name: str, description: str, schema: dict[str, Any], *, where: str = "query",
               explode: bool | None = None) -> dict[str, Any]:
    parameter: dict[str, Any] = {"name": name, "in": where, "description": description, "schema": schema,
                                 "required": where == "path"}
    if explode is not None:
        parameter.update(style="form", explode=explode)
    return parameter


def _parameters() -> dict[str, Any]:
    crs_schema = {"type": "string", "format": "uri", "enum": list(SUPPORTED), "default": CRS84.uri}
    return {
        "f-data": _parameter("f", _("The encoding: json (GeoJSON) or html. Without it, the Accept header "
                                    "chooses."), {"type": "string", "enum": ["json", "html"]}),
        "f-metadata": _parameter("f", _("The encoding: json or html. Without it, the Accept header chooses."),
                                 {"type": "string", "enum": ["json", "html"]}),
        "limit": _parameter("limit", _("The number of features on a page."),
                            {"type": "integer", "minimum": 1, "maximum": MAX_LIMIT, "default": DEFAULT_LIMIT}),
        "bbox": _parameter("bbox", _("Only features that intersect the box: the lower corner, then the upper "
                                     "corner, in bbox-crs (default CRS84: lon,lat,lon,lat); six numbers with "
                                     "heights are taken, the heights ignored."),
                           {"type": "array", "minItems": 4, "maxItems": 6, "items": {"type": "number"}},
                           explode=False),
        "bbox-crs": _parameter("bbox-crs", _("The CRS of bbox."), crs_schema),
        "crs": _parameter("crs", _("The CRS of the geometries in the answer (Content-Crs says which)."),
                          crs_schema),
        "datetime": _parameter("datetime", _("Only features whose time meets this moment or interval (RFC 3339; "
                                             "a date; intervals with /, open ends as ..)."), {"type": "string"}),
        "cursor": _parameter("cursor", _("Where a page starts: follow the next link rather than making one."),
                             {"type": "string"}),
        "featureId": _parameter("featureId", _("The feature's id."), {"type": "string"}, where="path"),
        "filter": _parameter("filter", _("A CQL2 expression on the collection's queryables (see its queryables): "
                                         "comparisons, IS NULL, LIKE, BETWEEN, IN, AND, OR, NOT and S_INTERSECTS."),
                             {"type": "string", "maxLength": MAX_LENGTH}),
        "filter-lang": _parameter("filter-lang", _("The language of filter."),
                                  {"type": "string", "enum": list(LANGUAGES), "default": "cql2-text"}),
        "filter-crs": _parameter("filter-crs", _("The CRS of the geometries in filter."), crs_schema),
    }


def _response(description: str, types: dict[str, str]) -> dict[str, Any]:
    return {"description": description,
            "content": {media: {"schema": {"$ref": f"#/components/schemas/{schema}"}} if schema
                        else {"schema": {"type": "string" if media == HTML else "object"}}
                        for media, schema in types.items()}}


PROBLEMS = {
    "400": {"$ref": "#/components/responses/Problem"},
    "404": {"$ref": "#/components/responses/Problem"},
    "406": {"$ref": "#/components/responses/Problem"},
    "429": {"$ref": "#/components/responses/Problem"},
}


def _operation(operation_id: str, summary: str, parameters: list[dict[str, Any]], ok: dict[str, Any],
               tag: str) -> dict[str, Any]:
    return {"get": {"operationId": operation_id, "summary": summary, "tags": [tag], "parameters": parameters,
                    "responses": {"200": ok, **PROBLEMS}}}


def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/parameters/{name}"}


def _filter_parameters(collection: Collection) -> list[dict[str, Any]]:
    """The register's shared filters (registry.filters) that the collection's items take."""
    found = []
    for name in collection.filter_parameters:
        help_text = InitiativeFilterSet.base_filters[name].extra.get("help_text", "")
        found.append(_parameter(name, str(help_text), {"type": "string"}))
    return found


def _paths() -> dict[str, Any]:
    metadata = [_ref("f-metadata")]
    paths: dict[str, Any] = {
        "/": _operation("getLandingPage", _("The landing page"), metadata,
                        _response(_("The landing page"), {JSON: "LandingPage", HTML: ""}), "Capabilities"),
        "/conformance": _operation("getConformance", _("The conformance classes this API implements"), metadata,
                                   _response(_("The conformance classes"), {JSON: "Conformance", HTML: ""}),
                                   "Capabilities"),
        "/api": _operation("getApi", _("This API definition"), metadata,
                           _response(_("The API definition"), {OPENAPI: "", HTML: ""}), "Capabilities"),
        "/collections": _operation("getCollections", _("The feature collections"), metadata,
                                   _response(_("The collections"), {JSON: "Collections", HTML: ""}), "Capabilities"),
    }
    for collection in COLLECTIONS.values():
        base = f"/collections/{collection.id}"
        title = str(collection.title)
        items = [_ref("f-data"), _ref("limit"), _ref("bbox"), _ref("bbox-crs"), _ref("crs"), _ref("cursor"),
                 _ref("filter"), _ref("filter-lang"), _ref("filter-crs")]
        if collection.temporal is not None:
            items.append(_ref("datetime"))
        paths[base] = _operation(f"describe_{collection.id}", title, metadata,
                                 _response(title, {JSON: "Collection", HTML: ""}), collection.id)
        paths[f"{base}/queryables"] = _operation(
            f"getQueryables_{collection.id}", _("What a filter on %(collection)s may name") % {"collection": title},
            metadata, _response(_("The queryables as JSON Schema"), {SCHEMA: "", HTML: ""}), collection.id)
        paths[f"{base}/items"] = _operation(
            f"getFeatures_{collection.id}", _("The features of %(collection)s") % {"collection": title},
            items + _filter_parameters(collection),
            _response(_("A page of features"), {GEOJSON: "FeatureCollection", HTML: ""}), collection.id)
        paths[f"{base}/items/{{featureId}}"] = _operation(
            f"getFeature_{collection.id}", _("One feature of %(collection)s") % {"collection": title},
            [_ref("featureId"), _ref("f-data"), _ref("crs")],
            _response(_("A feature"), {GEOJSON: "Feature", HTML: ""}), collection.id)
    _tile_paths(paths)
    return paths


def _tile_paths(paths: dict[str, Any]) -> None:
    """OGC API Tiles: the tile matrix sets and the initiatives' vector tiles (ogc.tiling)."""
    matrix_set = _parameter("tileMatrixSetId", _("The tile matrix set."),
                            {"type": "string", "enum": list(TILE_MATRIX_SETS)}, where="path")
    json_only = [_parameter("f", _("The encoding: json."), {"type": "string", "enum": ["json"]})]
    paths["/tileMatrixSets"] = _operation("getTileMatrixSetsList", _("The tile matrix sets"), json_only,
                                          _response(_("The tile matrix sets"), {JSON: ""}), "Tiles")
    paths["/tileMatrixSets/{tileMatrixSetId}"] = _operation(
        "getTileMatrixSet", _("A tile matrix set (OGC 2D TMS 2.0)"), [matrix_set, *json_only],
        _response(_("The tile matrix set"), {JSON: ""}), "Tiles")
    base = "/collections/initiatives/tiles"
    paths[base] = _operation("getInitiativesTileSetsList", _("The initiatives' vector tilesets"), json_only,
                             _response(_("The tilesets"), {JSON: ""}), "Tiles")
    paths[base + "/{tileMatrixSetId}"] = _operation(
        "getInitiativesTileSet", _("A tileset's metadata, or TileJSON (WebMercatorQuad)"),
        [matrix_set, _parameter("f", _("json, or tilejson for map libraries (WebMercatorQuad only)."),
                                {"type": "string", "enum": ["json", "tilejson"]})],
        _response(_("The tileset"), {JSON: "", "application/vnd.mapbox.tile+json": ""}), "Tiles")
    tile = [matrix_set, *[_parameter(name, description, {"type": "integer", "minimum": 0}, where="path")
                          for name, description in (("tileMatrix", _("The level.")), ("tileRow", _("The row.")),
                                                    ("tileCol", _("The column.")))]]
    paths[base + "/{tileMatrixSetId}/{tileMatrix}/{tileRow}/{tileCol}"] = {"get": {
        "operationId": "getInitiativesTile", "summary": _("A vector tile of the published initiatives"),
        "tags": ["Tiles"], "parameters": tile,
        "responses": {"200": {"description": _("The tile"), "content": {
            "application/vnd.mapbox-vector-tile": {"schema": {"type": "string", "format": "binary"}}}},
            "204": {"description": _("No initiative lies in this tile.")}, **PROBLEMS}}}


def _link_schema() -> dict[str, Any]:
    return {"type": "object", "required": ["href", "rel"], "properties": {
        "href": {"type": "string", "format": "uri"}, "rel": {"type": "string"}, "type": {"type": "string"},
        "title": {"type": "string"}}}


def _schemas() -> dict[str, Any]:
    links = {"type": "array", "items": {"$ref": "#/components/schemas/Link"}}
    return {
        "Link": _link_schema(),
        "LandingPage": {"type": "object", "required": ["links"], "properties": {
            "title": {"type": "string"}, "description": {"type": "string"}, "links": links}},
        "Conformance": {"type": "object", "required": ["conformsTo"], "properties": {
            "links": links, "conformsTo": {"type": "array", "items": {"type": "string", "format": "uri"}}}},
        "Collection": {"type": "object", "required": ["id", "links"], "properties": {
            "id": {"type": "string"}, "title": {"type": "string"}, "description": {"type": "string"},
            "links": links, "extent": {"type": "object"}, "itemType": {"type": "string"},
            "crs": {"type": "array", "items": {"type": "string"}}, "storageCrs": {"type": "string"}}},
        "Collections": {"type": "object", "required": ["links", "collections"], "properties": {
            "links": links, "collections": {"type": "array", "items": {"$ref": "#/components/schemas/Collection"}},
            "crs": {"type": "array", "items": {"type": "string"}}}},
        "Feature": {"type": "object", "required": ["type", "geometry", "properties"], "properties": {
            "type": {"type": "string", "enum": ["Feature"]}, "id": {"oneOf": [{"type": "string"}, {"type": "integer"}]},
            "geometry": {"type": "object", "nullable": True}, "properties": {"type": "object", "nullable": True},
            "links": links}},
        "FeatureCollection": {"type": "object", "required": ["type", "features"], "properties": {
            "type": {"type": "string", "enum": ["FeatureCollection"]},
            "features": {"type": "array", "items": {"$ref": "#/components/schemas/Feature"}},
            "links": links, "timeStamp": {"type": "string", "format": "date-time"},
            "numberMatched": {"type": "integer", "minimum": 0}, "numberReturned": {"type": "integer", "minimum": 0}}},
        "Problem": {"type": "object", "required": ["code", "status", "detail"], "properties": {
            "type": {"type": "string"}, "title": {"type": "string"}, "status": {"type": "integer"},
            "detail": {"type": "string"}, "instance": {"type": "string"},
            "code": {"type": "string", "description": "The OGC exception code."},
            "invalidParams": {"type": "array", "items": {"type": "object", "properties": {
                "name": {"type": "string"}, "reason": {"type": "string"}}}}}},
    }


def definition(server: str) -> dict[str, Any]:
    return {
        "openapi": "3.0.3",
        "info": {
            "title": _("Register of residents' initiatives – OGC API Features"),
            "version": VERSION,
            "description": _("OGC API Features Parts 1, 2 and 3 (CQL2 filters) for the published register: "
                             "initiatives, partners, municipalities and provinces; OGC API Tiles (vector tiles) "
                             "for the initiatives."),
            "contact": {"name": settings.CONTACT_NAME, "email": settings.CONTACT_EMAIL, "url": settings.CONTACT_URL},
            "license": {"name": settings.OPENDATA_LICENSE_TITLE, "url": settings.OPENDATA_LICENSE_URL},
        },
        "servers": [{"url": server}],
        "paths": _paths(),
        "components": {
            "parameters": _parameters(),
            "schemas": _schemas(),
            "responses": {"Problem": {"description": _(
                "What is wrong with the request: a problem document, or a page saying it where f=html was asked for"),
                "content": {"application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}},
                            HTML: {"schema": {"type": "string"}}}}},
        },
    }
