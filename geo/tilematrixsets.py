"""Tile matrix sets (OGC Two Dimensional Tile Matrix Set 2.0) of the OGC API Tiles: the global
WebMercatorQuad (the grid of geo.tiles, the public map's) and the Dutch NetherlandsRDNewQuad (as
PDOK publishes it), and a tile's envelope as PostGIS makes it.

Each is a quad tree of 256-pixel tiles from the top-left corner of its bounds: level z has 2^z by
2^z tiles, each half the size of the level above."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from geo.crs import CRS, RD_NEW, WEB_MERCATOR

# Metres per pixel at 0.28 mm, the standardised rendering pixel of OGC's scale denominators.
PIXEL_METRES = 0.00028


@dataclass(frozen=True)
class TileMatrixSet:
    id: str
    title: str
    uri: str
    crs: CRS
    origin: tuple[float, float]  # the top-left corner, x then y
    size: float  # the width (and height) of the whole level 0 in metres
    levels: int  # levels 0 … levels - 1
    tile_pixels: int = 256

    @property
    def bounds(self) -> tuple[float, float, float, float]:
        left, top = self.origin
        return left, top - self.size, left + self.size, top

    def valid(self, level: int, row: int, column: int) -> bool:
        return 0 <= level < self.levels and 0 <= row < 2 ** level and 0 <= column < 2 ** level

    def envelope_sql(self) -> str:
        """SQL for the tile's envelope, in the set's CRS, from three parameters: level, column, row."""
        left, bottom, right, top = self.bounds
        return (f"ST_TileEnvelope(%s, %s, %s, ST_MakeEnvelope({left!r}, {bottom!r}, {right!r}, {top!r}, "
                f"{self.crs.srid}))")

    def definition(self) -> dict[str, Any]:
        """The set as OGC 2D TMS 2.0 JSON."""
        matrices = []
        for level in range(self.levels):
            cell = self.size / self.tile_pixels / 2 ** level
            matrices.append({
                "id": str(level), "scaleDenominator": cell / PIXEL_METRES, "cellSize": cell,
                "cornerOfOrigin": "topLeft", "pointOfOrigin": list(self.origin),
                "tileWidth": self.tile_pixels, "tileHeight": self.tile_pixels,
                "matrixWidth": 2 ** level, "matrixHeight": 2 ** level})
        return {"id": self.id, "title": self.title, "uri": self.uri, "crs": self.crs.uri,
                "orderedAxes": ["X", "Y"], "tileMatrices": matrices}


_HALF_EARTH = 20037508.3427892  # π × 6378137 m: the Web Mercator square's half width

WEB_MERCATOR_QUAD = TileMatrixSet(
    "WebMercatorQuad", "Google Maps Compatible for the World",
    "http://www.opengis.net/def/tilematrixset/OGC/1.0/WebMercatorQuad", WEB_MERCATOR,
    (-_HALF_EARTH, _HALF_EARTH), 2 * _HALF_EARTH, levels=23)
# PDOK's NetherlandsRDNewQuad: level 0 is one tile of 3440.64 m pixels from (-285401.92, 903401.92).
NETHERLANDS_RD_NEW_QUAD = TileMatrixSet(
    "NetherlandsRDNewQuad", "Netherlands RD New (EPSG:28992) quad tree",
    "http://www.opengis.net/def/tilematrixset/OGC/1.0/NetherlandsRDNewQuad", RD_NEW,
    (-285401.92, 903401.92), 3440.64 * 256, levels=17)

TILE_MATRIX_SETS = {matrix_set.id: matrix_set for matrix_set in (WEB_MERCATOR_QUAD, NETHERLANDS_RD_NEW_QUAD)}
