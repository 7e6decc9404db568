"""OGC API Features below /ogc/v1: the landing page, conformance, the API definition, the
collections, their items and single items, as JSON (GeoJSON for features) and HTML.

Only public data: published initiatives, whoever asks (a maintainer's drafts stay in the REST API
and the admin). Pages of items are keyset pages by the collection's key (the featureId): the next
link carries the last key, so a client that follows it neither skips nor repeats a feature.
"""

from __future__ import annotations

import datetime
import json
from collections.abc import Callable
from typing import Any
from urllib.parse import urlencode

from django.conf import settings
from django.db.models import Q
from django.http import HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.cache import patch_cache_control, patch_vary_headers
from django.utils.translation import gettext as _
from django.views import View
from rest_framework.settings import api_settings

from geo.crs import CRS, CRS84, SUPPORTED
from ogc import filtering, params
from ogc.collections import COLLECTIONS, Collection
from ogc.errors import NotFound, OgcError
from ogc.maps import BOX_BUTTON_ID, BOX_FIELD_ID, features_map
from ogc.maps import DATA_ID as MAP_DATA_ID
from ogc.openapi import definition
from ogc.params import (
    GEOJSON_ENCODING,
    HTML_ENCODING,
    JSON_ENCODING,
    OPENAPI_ENCODING,
    SCHEMA_ENCODING,
    Encoding,
)
from registry.caching import kept_count, last_modified, register_version, version_etag
from registry.querysets import among

CONFORMANCE = [
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/core",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/oas30",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/html",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/geojson",
    "http://www.opengis.net/spec/ogcapi-features-2/1.0/conf/crs",
    # Part 3 and CQL2 (ogc.filtering): what QGIS and GDAL look for before they send a filter.
    "http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/queryables",
    "http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/filter",
    "http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/features-filter",
    "http://www.opengis.net/spec/cql2/1.0/conf/cql2-text",
    "http://www.opengis.net/spec/cql2/1.0/conf/cql2-json",
    "http://www.opengis.net/spec/cql2/1.0/conf/basic-cql2",
    "http://www.opengis.net/spec/cql2/1.0/conf/advanced-comparison-operators",
    "http://www.opengis.net/spec/cql2/1.0/conf/basic-spatial-functions",
    # The same class (S_INTERSECTS) by its name in the drafts, which QGIS (3.32 on) looks for.
    "http://www.opengis.net/spec/cql2/1.0/conf/basic-spatial-operators",
    # OGC API Tiles (ogc.tiling): vector tiles of the initiatives.
    "http://www.opengis.net/spec/ogcapi-tiles-1/1.0/conf/core",
    "http://www.opengis.net/spec/ogcapi-tiles-1/1.0/conf/tileset",
    "http://www.opengis.net/spec/ogcapi-tiles-1/1.0/conf/tilesets-list",
    "http://www.opengis.net/spec/ogcapi-tiles-1/1.0/conf/geodata-tilesets",
    "http://www.opengis.net/spec/ogcapi-tiles-1/1.0/conf/mvt",
    "http://www.opengis.net/spec/ogcapi-tiles-1/1.0/conf/oas30",
]
ITEMS_PARAMETERS = frozenset({"f", "limit", "bbox", "bbox-crs", "crs", "datetime", "cursor", "filter", "filter-lang",
                              "filter-crs"})
QUERYABLES_REL = "http://www.opengis.net/def/rel/ogc/1.0/queryables"
MAX_AGE = 60


def dumps(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


class OgcView(View):
    """What every OGC API answer shares: the anonymous rate (the REST API's throttle, from the
    settings), the check of the query's parameter names, errors as OGC exceptions, and the headers
    of a public read."""

    parameters: frozenset[str] = frozenset({"f"})
    # When what this answer shows last changed, where the view knows it of that alone (an item);
    # otherwise the register's last change dates it.
    shown_version: datetime.datetime | None = None

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        response: HttpResponseBase
        try:
            self.check_request(request, kwargs)
            response = super().dispatch(request, *args, **kwargs)
        except OgcError as problem:
            if _reads_html(request) and not isinstance(problem, _Throttled):
                # Someone reading the HTML pages (a form of them sent): the problem as a page.
                response = render(request, "ogc/problem.html", {"problem": problem}, status=problem.status)
            else:
                response = problem.response(request)
        if request.method in ("GET", "HEAD") and response.status_code == 200:
            patch_cache_control(response, public=True, max_age=MAX_AGE)
            changed = self.shown_version if self.shown_version is not None else register_version(request)
            if changed is not None:
                response["Last-Modified"] = last_modified(changed)
        patch_vary_headers(response, ["Accept", "Accept-Language"])
        return response

    def check_request(self, request: HttpRequest, kwargs: dict[str, Any]) -> None:
        throttle_classes: list[Any] = list(api_settings.DEFAULT_THROTTLE_CLASSES)
        for throttle_class in throttle_classes:
            throttle = throttle_class()
            if not throttle.allow_request(request, self):
                wait = throttle.wait()
                problem = OgcError(_("Too many requests; try again in a moment."), status=429,
                                   code="TooManyRequests")
                raise _Throttled(problem, wait)
        if any("\x00" in name or any("\x00" in value for value in values) for name, values in request.GET.lists()):
            raise OgcError(_("Text may not contain NUL characters."))
        unknown = sorted(set(request.GET) - self.allowed_parameters(kwargs))
        if unknown:
            raise OgcError(_("Unknown query parameter %(names)s; this resource takes %(known)s.") % {
                "names": ", ".join(unknown), "known": ", ".join(sorted(self.allowed_parameters(kwargs)))},
                parameter=unknown[0])

    def allowed_parameters(self, kwargs: dict[str, Any]) -> frozenset[str]:
        return self.parameters

    def http_method_not_allowed(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        problem = OgcError(_("This API only reads: use GET."), status=405, code="MethodNotAllowed")
        response = problem.response(request)
        response["Allow"] = "GET, HEAD, OPTIONS"
        return response

    def url(self, name: str, *args: Any, **query: str) -> str:
        url = self.request.build_absolute_uri(reverse(f"ogc:{name}", args=args))
        return url + ("?" + urlencode(query, safe=",:/") if query else "")

    def answer(self, encoding: Encoding, document: dict[str, Any], template: str,
               context: Callable[[], dict[str, Any]] | None = None) -> HttpResponse:
        if encoding is HTML_ENCODING:
            return render(self.request, template, {"document": document, **(context() if context else {})})
        return HttpResponse(dumps(document), content_type=encoding.media_type)

    def links(self, name: str, *args: Any, encodings: tuple[Encoding, ...], chosen: Encoding,
              titles: dict[str, str]) -> list[dict[str, str]]:
        """self and alternate links of this resource, one per encoding."""
        return [{"href": self.url(name, *args, f=encoding.name), "rel": "self" if encoding is chosen else "alternate",
                 "type": encoding.media_type, "title": titles[encoding.name]} for encoding in encodings]


def _reads_html(request: HttpRequest) -> bool:
    """Whether the request asked for HTML (by f or by its Accept header), as the answer would have
    been chosen."""
    try:
        return params.negotiate(request, [JSON_ENCODING, HTML_ENCODING]) is HTML_ENCODING
    except OgcError:  # f names another encoding
        return False


class _Throttled(OgcError):
    def __init__(self, problem: OgcError, wait: float | None) -> None:
        super().__init__(problem.detail, status=429, code=problem.code)
        self.wait = wait

    def response(self, request: HttpRequest) -> Any:
        response = super().response(request)
        if self.wait is not None:
            response["Retry-After"] = str(int(self.wait))
        return response


def _titles() -> dict[str, str]:
    return {"json": _("This document as JSON"), "html": _("This document as HTML")}


class LandingView(OgcView):
    def get(self, request: HttpRequest) -> HttpResponse:
        encoding = params.negotiate(request, [JSON_ENCODING, HTML_ENCODING])
        document = {
            "title": _("Register of residents' initiatives – OGC API Features"),
            "description": _("The published residents' initiatives and resident enterprises in the Netherlands, "
                             "their partners, and the municipalities and provinces, for GIS software: OGC API "
                             "Features with coordinates in CRS84, RD New (EPSG:28992), ETRS89 (EPSG:4258) and "
                             "Web Mercator (EPSG:3857). Open data under %(licence)s.")
                           % {"licence": settings.OPENDATA_LICENSE_TITLE},
            "links": [
                *self.links("landing", encodings=(JSON_ENCODING, HTML_ENCODING), chosen=encoding, titles=_titles()),
                {"href": self.url("api", f="json"), "rel": "service-desc", "type": params.OPENAPI,
                 "title": _("The API definition (OpenAPI 3.0)")},
                {"href": self.url("api", f="html"), "rel": "service-doc", "type": params.HTML,
                 "title": _("The API documentation")},
                {"href": self.url("conformance", f="json"), "rel": "conformance", "type": params.JSON,
                 "title": _("The standards this API conforms to")},
                {"href": self.url("collections", f="json"), "rel": "data", "type": params.JSON,
                 "title": _("The collections")},
                {"href": self.url("tile-matrix-sets", f="json"),
                 "rel": "http://www.opengis.net/def/rel/ogc/1.0/tiling-schemes", "type": params.JSON,
                 "title": _("The tile matrix sets")},
                {"href": settings.OPENDATA_LICENSE_URL, "rel": "license", "type": params.HTML,
                 "title": settings.OPENDATA_LICENSE_TITLE},
            ],
        }
        return self.answer(encoding, document, "ogc/landing.html",
                           lambda: {"collections": list(COLLECTIONS.values())})


class ConformanceView(OgcView):
    def get(self, request: HttpRequest) -> HttpResponse:
        encoding = params.negotiate(request, [JSON_ENCODING, HTML_ENCODING])
        document = {"links": self.links("conformance", encodings=(JSON_ENCODING, HTML_ENCODING), chosen=encoding,
                                        titles=_titles()),
                    "conformsTo": CONFORMANCE}
        return self.answer(encoding, document, "ogc/conformance.html")


class ApiView(OgcView):
    def get(self, request: HttpRequest) -> HttpResponse:
        encoding = params.negotiate(request, [OPENAPI_ENCODING, HTML_ENCODING])
        document = definition(request.build_absolute_uri(reverse("ogc:landing")))
        return self.answer(encoding, document, "ogc/api.html", lambda: {"paths": [
            (path, operation["get"]["summary"], [
                parameter.get("name") or document["components"]["parameters"][parameter["$ref"].rsplit("/", 1)[-1]]
                ["name"] for parameter in operation["get"]["parameters"]])
            for path, operation in document["paths"].items()]})


def _crs_list() -> list[str]:
    return list(SUPPORTED)


class CollectionsMixin(OgcView):
    def collection_document(self, collection: Collection) -> dict[str, Any]:
        items_titles = {"json": _("The items as GeoJSON"), "html": _("The items as HTML")}
        return {
            "id": collection.id,
            "title": str(collection.title),
            "description": str(collection.description),
            "links": [
                {"href": self.url("collection", collection.id, f="json"), "rel": "self", "type": params.JSON,
                 "title": _("This collection as JSON")},
                {"href": self.url("collection", collection.id, f="html"), "rel": "alternate", "type": params.HTML,
                 "title": _("This collection as HTML")},
                *[{"href": self.url("items", collection.id, f=encoding.name), "rel": "items",
                   "type": encoding.media_type, "title": items_titles[encoding.name]}
                  for encoding in (GEOJSON_ENCODING, HTML_ENCODING)],
                {"href": self.url("queryables", collection.id, f="json"), "rel": QUERYABLES_REL,
                 "type": params.SCHEMA, "title": _("What a filter may name")},
                *([{"href": self.url("tiles", collection.id, f="json"),
                    "rel": "http://www.opengis.net/def/rel/ogc/1.0/tilesets-vector", "type": params.JSON,
                    "title": _("Vector tiles")}] if collection.id == "initiatives" else []),
                {"href": settings.OPENDATA_LICENSE_URL, "rel": "license", "type": params.HTML,
                 "title": settings.OPENDATA_LICENSE_TITLE},
            ],
            "extent": collection.extent(),
            "itemType": "feature",
            "crs": _crs_list(),
            "storageCrs": CRS84.uri,
        }

    def collection(self, collection_id: str) -> Collection:
        try:
            return COLLECTIONS[collection_id]
        except KeyError:
            raise NotFound(_("There is no collection %(id)s; the collections are %(ids)s.") % {
                "id": collection_id, "ids": ", ".join(COLLECTIONS)}) from None


class CollectionsView(CollectionsMixin):
    def get(self, request: HttpRequest) -> HttpResponse:
        encoding = params.negotiate(request, [JSON_ENCODING, HTML_ENCODING])
        document = {
            "links": self.links("collections", encodings=(JSON_ENCODING, HTML_ENCODING), chosen=encoding,
                                titles=_titles()),
            "collections": [self.collection_document(collection) for collection in COLLECTIONS.values()],
            "crs": _crs_list(),
        }
        return self.answer(encoding, document, "ogc/collections.html")


class CollectionView(CollectionsMixin):
    def get(self, request: HttpRequest, collection_id: str) -> HttpResponse:
        collection = self.collection(collection_id)
        encoding = params.negotiate(request, [JSON_ENCODING, HTML_ENCODING])
        document = self.collection_document(collection)
        if encoding is HTML_ENCODING:
            document["links"][0]["rel"], document["links"][1]["rel"] = "alternate", "self"
        return self.answer(encoding, document, "ogc/collection.html", lambda: {"collection": collection})


class ItemsView(CollectionsMixin):
    def allowed_parameters(self, kwargs: dict[str, Any]) -> frozenset[str]:
        collection = COLLECTIONS.get(kwargs.get("collection_id", ""))
        return ITEMS_PARAMETERS | frozenset(collection.filter_parameters if collection else ())

    def get(self, request: HttpRequest, collection_id: str) -> HttpResponse:
        collection = self.collection(collection_id)
        encoding = params.negotiate(request, [GEOJSON_ENCODING, HTML_ENCODING])
        size, crs, box, interval = (params.limit(request), params.crs(request), params.bbox(request),
                                    params.interval(request))
        queryset = collection.queryset()
        if box is not None:
            queryset = collection.in_box(queryset, box)
        if interval is not None:
            queryset = collection.in_interval(queryset, interval)
        extra = {name: request.GET.getlist(name) for name in collection.filter_parameters if name in request.GET}
        if extra:
            queryset = collection.filtered(queryset, extra)
        condition = cql2_filter(request, collection)
        if condition is not None:
            queryset = queryset.filter(condition)
        queryset = queryset.order_by(collection.key)
        matched = kept_count(queryset.order_by(), register_version(request))
        cursor = request.GET.get("cursor")
        if cursor is not None:
            try:
                queryset = queryset.filter(**{f"{collection.key}__gt": collection.key_value(cursor)})
            except ValueError:
                raise OgcError(_("Not a cursor of this collection: follow the next link, or leave it out."),
                               parameter="cursor") from None
        rows = list(queryset.values_list("pk", collection.key)[:size + 1])
        more = len(rows) > size
        rows = rows[:size]
        keys = [key for _pk, key in rows]
        page = among(collection.queryset(), [pk for pk, _key in rows]).order_by(collection.key)
        features = collection.features(page, crs) if rows else b""
        links = [
            self.items_link(GEOJSON_ENCODING, "self" if encoding is GEOJSON_ENCODING else "alternate"),
            self.items_link(HTML_ENCODING, "self" if encoding is HTML_ENCODING else "alternate"),
            {"href": self.url("collection", collection.id, f="json"), "rel": "collection", "type": params.JSON,
             "title": str(collection.title)},
        ]
        if more:
            links.append(self.items_link(encoding, "next", cursor=str(keys[-1])))
        stamp = timezone.now().replace(microsecond=0).isoformat().replace("+00:00", "Z")
        if encoding is HTML_ENCODING:
            shown = json.loads(b"[" + features + b"]")
            table = _rows(collection, shown, crs)
            response = render(request, "ogc/items.html", {
                "collection": collection, "rows": table, "columns": collection.column_properties(),
                "matched": matched, "returned": len(keys), "document": {"links": links}, "crs": crs,
                "next": links[-1]["href"] if more else None, "form": _items_form(request, size),
                **_map_context(collection, shown, crs, pages={row["id"]: row["href"] for row in table})})
        else:
            head = (f'{{"type":"FeatureCollection","timeStamp":"{stamp}","numberMatched":{matched},'
                    f'"numberReturned":{len(keys)},"links":{dumps(links)},"features":[')
            response = HttpResponse(b"".join((head.encode(), features, b"]}")),
                                    content_type=GEOJSON_ENCODING.media_type)
            if collection.follows_the_register:
                # The page follows from the register's version and the address; its timeStamp does not
                # (hence weak).
                response["ETag"] = version_etag(request, GEOJSON_ENCODING.media_type,
                                                version=register_version(request), weak=True)
        response["Content-Crs"] = f"<{crs.uri}>"
        return response

    def items_link(self, encoding: Encoding, rel: str, **change: str) -> dict[str, str]:
        query = self.request.GET.copy()
        query["f"] = encoding.name
        for name, value in change.items():
            query[name] = value
        href = self.request.build_absolute_uri(self.request.path) + "?" + query.urlencode(safe=",:/")
        titles = {"self": _("This page"), "alternate": _("This page as %(encoding)s") % {
            "encoding": encoding.name.upper()}, "next": _("The next page")}
        return {"href": href, "rel": rel, "type": encoding.media_type, "title": titles[rel]}


def cql2_filter(request: HttpRequest, collection: Collection) -> Q | None:
    """The items' `filter` (with `filter-lang` and `filter-crs`) as a Q on the collection's
    queryables, or None without one (or with an empty one, as an HTML form sends it)."""
    text = request.GET.get("filter") or None
    language = request.GET.get("filter-lang", "cql2-text")
    if language not in filtering.LANGUAGES:
        raise OgcError(_("filter-lang %(lang)s is not supported; use cql2-text or cql2-json.") % {"lang": language},
                       parameter="filter-lang")
    crs = params.crs(request, "filter-crs")
    if text is None:
        for name in ("filter-lang", "filter-crs"):
            if name in request.GET:
                raise OgcError(_("%(name)s needs a filter.") % {"name": name}, parameter=name)
        return None
    try:
        return filtering.to_q(text, language, collection.queryset().model, collection.queryables, crs)
    except filtering.FilterError as problem:
        raise OgcError(str(problem), parameter="filter") from None


class QueryablesView(CollectionsMixin):
    def get(self, request: HttpRequest, collection_id: str) -> HttpResponse:
        collection = self.collection(collection_id)
        encoding = params.negotiate(request, [SCHEMA_ENCODING, HTML_ENCODING])
        document = filtering.schema(collection.queryables, identifier=self.url("queryables", collection.id),
                                    title=str(collection.title))
        return self.answer(encoding, document, "ogc/queryables.html", lambda: {
            "collection": collection, "queryables": [
                (name, entry["title"], entry.get("description", ""),
                 " ".join(str(entry[key]) for key in ("type", "format") if key in entry),
                 ", ".join(entry.get("enum", [])))
                for name, entry in document["properties"].items()]})


class ItemView(CollectionsMixin):
    parameters = frozenset({"f", "crs"})

    def get(self, request: HttpRequest, collection_id: str, feature_id: str) -> HttpResponse:
        collection = self.collection(collection_id)
        encoding = params.negotiate(request, [GEOJSON_ENCODING, HTML_ENCODING])
        crs = params.crs(request)
        missing = NotFound(_("There is no feature %(id)s in %(collection)s.") % {
            "id": feature_id, "collection": collection.id})
        try:
            key = collection.key_value(feature_id)
        except ValueError:
            raise missing from None
        found = collection.item(collection.queryset().filter(**{collection.key: key}), crs)
        if found is None:
            raise missing
        text, self.shown_version = found
        links = [self.item_link(collection, feature_id, GEOJSON_ENCODING, encoding, crs),
                 self.item_link(collection, feature_id, HTML_ENCODING, encoding, crs),
                 {"href": self.url("collection", collection.id, f="json"), "rel": "collection", "type": params.JSON,
                  "title": str(collection.title)}]
        if encoding is HTML_ENCODING:
            feature = json.loads(text)
            titles = {prop.name: prop.title for prop in collection.properties}
            response = render(request, "ogc/item.html", {
                "collection": collection, "feature": feature, "document": {"links": links}, "crs": crs,
                "values": [(titles.get(name, name), name, _shown(value))
                           for name, value in (feature["properties"] or {}).items()],
                "geometry": _geometry(feature),
                **_map_context(collection, [feature], crs)})
        else:
            response = HttpResponse(text[:-1] + f',"links":{dumps(links)}}}', content_type=GEOJSON_ENCODING.media_type)
        response["Content-Crs"] = f"<{crs.uri}>"
        return response

    def item_link(self, collection: Collection, feature_id: str, encoding: Encoding, chosen: Encoding,
                  crs: CRS) -> dict[str, str]:
        query = {"f": encoding.name, **({"crs": crs.uri} if crs is not CRS84 else {})}
        return {"href": self.url("item", collection.id, feature_id, **query),
                "rel": "self" if encoding is chosen else "alternate", "type": encoding.media_type,
                "title": _("This feature as %(encoding)s") % {"encoding": encoding.name.upper()}}


def _shown(value: Any) -> str:
    if value is None:
        return "–"
    if isinstance(value, list):
        return ", ".join(str(item) for item in value)
    return str(value)


def _geometry(feature: dict[str, Any]) -> str:
    geometry = feature.get("geometry")
    if not geometry:
        return "–"
    if geometry["type"] == "Point":
        return "Point " + ", ".join(str(number) for number in geometry["coordinates"])
    return str(geometry["type"])


def _rows(collection: Collection, features: list[dict[str, Any]], crs: CRS) -> list[dict[str, Any]]:
    query = "?f=html" + ("" if crs is CRS84 else "&" + urlencode({"crs": crs.uri}))
    return [{"id": feature["id"],
             "href": reverse("ogc:item", args=(collection.id, feature["id"])) + query,
             "values": [_shown((feature["properties"] or {}).get(column.name))
                        for column in collection.column_properties()],
             "geometry": _geometry(feature)} for feature in features]


def _items_form(request: HttpRequest, size: int) -> dict[str, Any]:
    """The filter form's values. The form asks for a box in CRS84 and a CQL2 text filter: a box or a
    filter asked for otherwise (bbox-crs, filter-crs, cql2-json) is not shown in it, and a submitted
    form leaves it out. Every other parameter but the cursor (a new filter starts at the first
    page) is kept as it was."""
    typed = {"bbox", "bbox-crs", "limit", "filter", "filter-lang", "filter-crs", "cursor", "f"}
    box_in_crs84 = params.crs(request, "bbox-crs") is CRS84
    text_filter = (request.GET.get("filter-lang", "cql2-text") == "cql2-text"
                   and params.crs(request, "filter-crs") is CRS84)
    return {"box_id": BOX_FIELD_ID, "box_button_id": BOX_BUTTON_ID,
            "bbox": request.GET.get("bbox", "") if box_in_crs84 else "",
            "filter": request.GET.get("filter", "") if text_filter else "",
            "limit": size, "max_limit": params.MAX_LIMIT,
            "kept": [(name, value) for name, values in request.GET.lists() if name not in typed
                     for value in values]}


def _map_context(collection: Collection, features: list[dict[str, Any]], crs: CRS, *,
                 pages: dict[Any, str] | None = None) -> dict[str, Any]:
    """The map of a page's points and the data it draws: each one's id, name and point, and with
    `pages` (a page of items) the address of each one's own page, where a click leads, and the
    map's view as the form's box. None for a collection of areas (a page of 1,000 boundaries would
    be megabytes of HTML; their table says what they are) or in another CRS than CRS84, whose
    coordinates a web map cannot place."""
    if crs is not CRS84 or collection.geometry_type != "Point" or not features:
        return {"map": None}
    points = [{"type": "Feature", "id": feature["id"], "geometry": feature["geometry"],
               "properties": {"name": (feature["properties"] or {}).get("name")}} for feature in features]
    return {"map": features_map(with_box=pages is not None), "map_data_id": MAP_DATA_ID, "map_data": {
        "collection": {"type": "FeatureCollection", "features": points},
        "links": [{"id": key, "href": href} for key, href in (pages or {}).items()]}}


def not_found(request: HttpRequest) -> HttpResponse:
    return NotFound(_("There is no resource at this address; start at %(landing)s.") % {
        "landing": request.build_absolute_uri(reverse("ogc:landing"))}).response(request)
