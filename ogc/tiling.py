"""OGC API Tiles for the initiatives: the tile matrix sets (WebMercatorQuad, NetherlandsRDNewQuad),
the collection's tilesets, each tileset's metadata (and TileJSON for map libraries in Web
Mercator), and the tiles themselves as Mapbox Vector Tiles made by PostGIS (registry.tiles).

WebMercatorQuad tiles are the public map's tiles in MVT: the same cells of clustered initiatives
with exact counts per status (registry.tiles.mvt_tile, one code path with the map); a cell of one
initiative is that initiative. NetherlandsRDNewQuad tiles, which the map does not use, hold the
initiatives themselves (registry.tiles.points_tile)."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _

from geo.tilematrixsets import TILE_MATRIX_SETS, TileMatrixSet
from geo.tiles import Tile
from ogc import params
from ogc.errors import NotFound
from ogc.params import JSON_ENCODING, Encoding
from ogc.views import CollectionsMixin, OgcView, dumps
from registry import tiles
from registry.models import Initiative

MVT = "application/vnd.mapbox-vector-tile"
TILEJSON_ENCODING = Encoding("tilejson", "application/vnd.mapbox.tile+json", also=())
TILING_SCHEME_REL = "http://www.opengis.net/def/rel/ogc/1.0/tiling-scheme"
TILESETS_REL = "http://www.opengis.net/def/rel/ogc/1.0/tilesets-vector"
# The collections that have tiles.
TILED = ("initiatives",)
# Past this level a tile holds a handful of points at most: more levels add nothing but requests.
MAX_LEVEL = {"WebMercatorQuad": 18, "NetherlandsRDNewQuad": 16}
# What a feature of each set's tiles carries: clusters (cells) in Web Mercator, points in RD New.
FIELDS = {"WebMercatorQuad": tiles.CELL_FIELDS, "NetherlandsRDNewQuad": tiles.POINT_FIELDS}


def _matrix_set(identifier: str) -> TileMatrixSet:
    try:
        return TILE_MATRIX_SETS[identifier]
    except KeyError:
        raise NotFound(_("There is no tile matrix set %(id)s; there are %(ids)s.") % {
            "id": identifier, "ids": ", ".join(TILE_MATRIX_SETS)}) from None


def _json(document: dict[str, Any], media_type: str = params.JSON) -> HttpResponse:
    return HttpResponse(dumps(document), content_type=media_type)


class TileMatrixSetsView(OgcView):
    def get(self, request: HttpRequest) -> HttpResponse:
        params.negotiate(request, [JSON_ENCODING])
        return _json({
            "links": [{"href": self.url("tile-matrix-sets", f="json"), "rel": "self", "type": params.JSON,
                       "title": _("The tile matrix sets")}],
            "tileMatrixSets": [{"id": matrix_set.id, "title": matrix_set.title, "uri": matrix_set.uri,
                                "links": [{"href": self.url("tile-matrix-set", matrix_set.id, f="json"),
                                           "rel": "self", "type": params.JSON, "title": matrix_set.title}]}
                               for matrix_set in TILE_MATRIX_SETS.values()]})


class TileMatrixSetView(OgcView):
    def get(self, request: HttpRequest, matrix_set_id: str) -> HttpResponse:
        matrix_set = _matrix_set(matrix_set_id)
        params.negotiate(request, [JSON_ENCODING])
        return _json(matrix_set.definition())


class TiledCollectionMixin(CollectionsMixin):
    def tiled(self, collection_id: str) -> str:
        collection = self.collection(collection_id)
        if collection.id not in TILED:
            raise NotFound(_("The collection %(id)s has no tiles; %(tiled)s has.") % {
                "id": collection.id, "tiled": ", ".join(TILED)})
        return collection.id

    def template(self, collection_id: str, matrix_set: TileMatrixSet) -> str:
        return self.url("tileset", collection_id, matrix_set.id) + "/{tileMatrix}/{tileRow}/{tileCol}"

    def tileset(self, collection_id: str, matrix_set: TileMatrixSet) -> dict[str, Any]:
        return {
            "title": _("Residents' initiatives in %(set)s") % {"set": matrix_set.id},
            "tileMatrixSetURI": matrix_set.uri,
            "crs": matrix_set.crs.uri,
            "dataType": "vector",
            "links": [
                {"href": self.url("tileset", collection_id, matrix_set.id, f="json"), "rel": "self",
                 "type": params.JSON, "title": _("This tileset")},
                {"href": self.url("tile-matrix-set", matrix_set.id, f="json"), "rel": TILING_SCHEME_REL,
                 "type": params.JSON, "title": matrix_set.title},
                {"href": self.template(collection_id, matrix_set), "rel": "item", "type": MVT, "templated": True,
                 "title": _("A tile")},
                *([{"href": self.url("tileset", collection_id, matrix_set.id, f="tilejson"), "rel": "alternate",
                    "type": TILEJSON_ENCODING.media_type, "title": "TileJSON"}]
                  if matrix_set.id == "WebMercatorQuad" else []),
            ],
            "tileMatrixSetLimits": [{"tileMatrix": str(level), "minTileRow": 0, "maxTileRow": 2 ** level - 1,
                                     "minTileCol": 0, "maxTileCol": 2 ** level - 1}
                                    for level in range(MAX_LEVEL[matrix_set.id] + 1)],
            "layers": [{"id": tiles.LAYER, "dataType": "vector", "geometryDimension": 0,
                        "minTileMatrix": "0", "maxTileMatrix": str(MAX_LEVEL[matrix_set.id]),
                        "propertiesSchema": {"type": "object", "properties": {
                            name: {"type": "string" if kind == "String" else "integer"}
                            for name, kind in FIELDS[matrix_set.id].items()}}}],
        }


class TilesetsView(TiledCollectionMixin):
    def get(self, request: HttpRequest, collection_id: str) -> HttpResponse:
        collection_id = self.tiled(collection_id)
        params.negotiate(request, [JSON_ENCODING])
        return _json({
            "links": [{"href": self.url("tiles", collection_id, f="json"), "rel": "self", "type": params.JSON,
                       "title": _("The tilesets")}],
            "tilesets": [{
                "title": tileset["title"], "tileMatrixSetURI": tileset["tileMatrixSetURI"], "crs": tileset["crs"],
                "dataType": "vector", "links": [tileset["links"][0], tileset["links"][1]]}
                for tileset in (self.tileset(collection_id, matrix_set) for matrix_set in TILE_MATRIX_SETS.values())],
        })


class TilesetView(TiledCollectionMixin):
    def get(self, request: HttpRequest, collection_id: str, matrix_set_id: str) -> HttpResponse:
        collection_id = self.tiled(collection_id)
        matrix_set = _matrix_set(matrix_set_id)
        offered = [JSON_ENCODING, TILEJSON_ENCODING] if matrix_set.id == "WebMercatorQuad" else [JSON_ENCODING]
        encoding = params.negotiate(request, offered)
        if encoding is TILEJSON_ENCODING:
            return _json(self.tilejson(collection_id, matrix_set), TILEJSON_ENCODING.media_type)
        return _json(self.tileset(collection_id, matrix_set))

    def tilejson(self, collection_id: str, matrix_set: TileMatrixSet) -> dict[str, Any]:
        """TileJSON 3.0.0, which map libraries (MapLibre, OpenLayers, Leaflet plugins) read."""
        extent = self.collection(collection_id).extent()["spatial"]["bbox"]
        return {
            "tilejson": "3.0.0",
            "name": _("Residents' initiatives"),
            "attribution": _("Register of residents' initiatives"),
            "scheme": "xyz",
            "tiles": [self.url("tileset", collection_id, matrix_set.id) + "/{z}/{y}/{x}"],
            "minzoom": 0,
            "maxzoom": MAX_LEVEL[matrix_set.id],
            "bounds": extent[0] if extent else [-180, -85.05112878, 180, 85.05112878],
            "vector_layers": [{"id": tiles.LAYER, "fields": FIELDS[matrix_set.id], "minzoom": 0,
                               "maxzoom": MAX_LEVEL[matrix_set.id]}],
        }


class TileView(TiledCollectionMixin):
    def get(self, request: HttpRequest, collection_id: str, matrix_set_id: str, level: str, row: str,
            column: str) -> HttpResponse:
        self.tiled(collection_id)
        matrix_set = _matrix_set(matrix_set_id)
        params.negotiate(request, [Encoding("mvt", MVT)])
        numbers = [int(text) if text.isdigit() and len(text) < 9 else -1 for text in (level, row, column)]
        if not matrix_set.valid(*numbers) or numbers[0] > MAX_LEVEL[matrix_set.id]:
            raise NotFound(_("There is no tile %(level)s/%(row)s/%(column)s in %(set)s (levels 0 to %(max)d).") % {
                "level": level, "row": row, "column": column, "set": matrix_set.id,
                "max": MAX_LEVEL[matrix_set.id]})
        level_number, row_number, column_number = numbers
        published = Initiative.objects.published()
        if matrix_set.id == "WebMercatorQuad":  # the public map's cells, as MVT
            tile = tiles.mvt_tile(published, Tile(level_number, column_number, row_number))
        else:
            tile = tiles.points_tile(published, matrix_set, level_number, row_number, column_number)
        if not tile:
            return HttpResponse(status=204)
        return HttpResponse(tile, content_type=MVT)
