"""The map's data per view, for the page script (static registry/map.js): tiles of clusters by z/x/y
(registry.tiles) and a view's summary (how many match, where, and the first ones in view by name).

The filters are the shared filter set's, by the API's parameter names, in the query string: a tile's
address names everything it depends on, so a proxy or CDN can keep it (Cache-Control), and so does
the response cache while the register is unchanged (only addresses whose parameters the register
bounds; registry.caching).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.contrib.gis.db.models import Extent
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse, QueryDict
from django.utils.cache import patch_cache_control
from django.utils.translation import gettext as _
from django.views.decorators.gzip import gzip_page

from geo.tiles import Tile, TileOutOfRange
from registry import documents, tiles
from registry.caching import keepable, kept_count, kept_response, kept_value, register_version
from registry.filters import KEPT_FILTER_PARAMETERS, InitiativeFilterSet
from registry.models import Initiative
from registry.site.filtering import places_meant, searched_text

# Seconds a browser or proxy may keep a tile or summary (after an edit it may show the old one that long).
SHARED_SECONDS = 300
# The list beside the map: the first ones in view, by name.
LIST_SIZE = 50


def _filters(data: QueryDict) -> InitiativeFilterSet:
    return InitiativeFilterSet(data, queryset=Initiative.objects.published())


def _refused(filters: InitiativeFilterSet) -> JsonResponse:
    errors = {name: [str(message) for message in messages] for name, messages in filters.errors.items()}
    return JsonResponse({"status": 400, "title": _("Invalid filters"),
                         "detail": " ".join(" ".join(messages) for messages in errors.values()),
                         "errors": errors}, status=400)


def _answer(request: HttpRequest, part: str, produce: Callable[[], str], content_type: str,
            version: Callable[[], Any] | None = None) -> HttpResponse:
    """The answer, kept while the register keeps its version, or while `version()` (what the answer
    shows, when that is narrower and None is the register's) returns the same."""
    body: HttpResponse | None = None
    if settings.PAGE_CACHE and keepable(request, KEPT_FILTER_PARAMETERS):
        body = kept_response(request, (part,), lambda: produce().encode(), content_type, compress=True,
                             version=version() if version is not None else None)
    if body is None:
        body = HttpResponse(produce(), content_type=content_type)
    patch_cache_control(body, public=True, max_age=SHARED_SECONDS)
    return body


@gzip_page  # a kept answer is gzipped already (kept_response); the others here
def tile(request: HttpRequest, z: int, x: int, y: int) -> HttpResponse:
    """GeoJSON of one tile's clusters and single initiatives (registry.tiles.geojson_tile)."""
    try:
        address = Tile(z, x, y)
    except TileOutOfRange as error:
        raise Http404(str(error)) from error
    filters = _filters(request.GET)
    if not filters.is_valid():
        return _refused(filters)
    return _answer(request, "tile", lambda: tiles.geojson_tile(filters.qs, address), "application/geo+json",
                   version=lambda: tiles.tile_version(filters.qs, address))


@gzip_page
def overview(request: HttpRequest) -> HttpResponse:
    """How many initiatives match the filters and the box around them (`count`, `extent`), the search
    with its typos corrected (`didYouMean`, or null; registry.search.correction), the places its whole
    text names (`places`: a postcode, a municipality; site.filtering.places_meant); with `bbox`, also
    how many of them are in that box and the first LIST_SIZE by name (`inView`)."""
    everywhere = request.GET.copy()
    box = everywhere.pop("bbox", None)
    filters, in_view = _filters(everywhere), _filters(request.GET)
    if not in_view.is_valid():
        return _refused(in_view)
    filters.is_valid()

    def produce() -> str:
        # The filters' count and extent are the same for every box: kept per register version, so
        # that a visitor moving the map pays only for the box (at 100,000, the load test's 26
        # overviews from empty caches: median 265 → 55 ms).
        qs = filters.qs.order_by()
        version = register_version(request)
        count = kept_count(qs, version)
        extent = kept_value(qs, version, "extent", lambda: qs.aggregate(extent=Extent("location"))["extent"])
        corrected = kept_value(qs, version, "did-you-mean", qs.correction) if searched_text(filters) else None
        # Without words of a language: the answer is kept for every language (map.js names the type).
        places = [{"name": place.name, "type": place.type, "context": place.context, "lon": place.lon,
                   "lat": place.lat, "zoom": place.zoom} for place in places_meant(filters)]
        parts = [f'"count":{count}',
                 f'"extent":{"null" if extent is None else "[" + ",".join(str(v) for v in extent) + "]"}',
                 f'"didYouMean":{json.dumps(corrected)}', f'"places":{json.dumps(places)}']
        if box:
            shown = in_view.qs.order_by("name", "pk")
            parts.append(f'"inView":{{"count":{shown.count()},'
                         f'"items":{documents.map_features_in_order(shown[:LIST_SIZE])}}}')
        return "{" + ",".join(parts) + "}"

    return _answer(request, "overview", produce, "application/json")
