"""Map tiles of clustered points, addressed as z/x/y in Web Mercator (the scheme of Leaflet, OGC API
Tiles' WebMercatorQuad and every tile cache), made in one SQL statement per tile.

The clusters are cells of a grid that all tiles of a zoom level share: GRID × GRID cells per tile.
Every point falls in exactly one cell (half-open edges), so a cluster's count is exact, never split
between two tiles and never counted twice. A cluster is drawn at the mean of its points, pulled
inside its cell by at least half an icon (`margin`): two clusters of neighbouring cells are then at
least an icon apart, and no cluster hides another one's number.

The SQL is about points only, not about what they are: the caller hands in a statement that selects
`id`, `location` (SRID 4326) and its own columns, and names what to aggregate per cell (see
registry.tiles for the initiatives). Two encodings: GeoJSON text (the public map) and Mapbox Vector
Tiles by ST_AsMVT (for GIS clients; the OGC API Tiles).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

TILE_PIXELS = 256
GRID = 4  # cells per tile side: 64-pixel cells
MAX_ZOOM = 22
# A cluster's icon is 44 pixels (a tap target): its centre stays 22 pixels inside its cell.
ICON_MARGIN = 22.0
MVT_EXTENT = 4096


class TileOutOfRange(ValueError):
    """A z/x/y that names no tile."""


@dataclass(frozen=True)
class Tile:
    z: int
    x: int
    y: int

    def __post_init__(self) -> None:
        if not 0 <= self.z <= MAX_ZOOM:
            raise TileOutOfRange(f"zoom {self.z} is outside 0…{MAX_ZOOM}")
        side = 2 ** self.z
        if not (0 <= self.x < side and 0 <= self.y < side):
            raise TileOutOfRange(f"tile {self.x}/{self.y} is outside 0…{side - 1} at zoom {self.z}")

    def bounds(self) -> tuple[float, float, float, float]:
        """(west, south, east, north) in degrees: a Web Mercator tile is a box of longitudes and latitudes."""
        west, north = pixel_to_lon_lat(self.x * TILE_PIXELS, self.y * TILE_PIXELS, self.z)
        east, south = pixel_to_lon_lat((self.x + 1) * TILE_PIXELS, (self.y + 1) * TILE_PIXELS, self.z)
        return west, south, east, north


def pixel_to_lon_lat(px: float, py: float, z: int) -> tuple[float, float]:
    world = TILE_PIXELS * 2 ** z
    lon = px / world * 360.0 - 180.0
    lat = math.degrees(math.atan(math.sinh(math.pi * (1 - 2 * py / world))))
    return lon, lat


def _pixel_x(lon: str, z: int) -> str:
    """SQL: the world pixel column of a longitude at zoom z."""
    return f"(({lon}) + 180.0) / 360.0 * {TILE_PIXELS * 2 ** z}.0"


def _pixel_y(lat: str, z: int) -> str:
    # Mercator: y = ln(tan(π/4 + φ/2)); a point at a pole is outside every tile (no Dutch address is).
    return f"(0.5 - ln(tan(pi() / 4 + radians({lat}) / 2)) / (2 * pi())) * {TILE_PIXELS * 2 ** z}.0"


def _lon(px: str, z: int) -> str:
    return f"(({px}) / {TILE_PIXELS * 2 ** z}.0 * 360.0 - 180.0)"


def _lat(py: str, z: int) -> str:
    return f"degrees(atan(sinh(pi() * (1 - 2 * ({py}) / {TILE_PIXELS * 2 ** z}.0))))"


def cells_sql(source: str, tile: Tile, aggregates: dict[str, str], *, grid: int = GRID,
              margin: float = ICON_MARGIN) -> str:
    """A statement whose rows are the tile's non-empty cells: `count`, `lon`/`lat` where to draw it
    (the mean, pulled inside the cell by `margin` pixels; a single point's own place), the extent of
    its points `west`, `south`, `east`, `north`, `first_id` (the smallest id: for a cell of one, that
    point), and one column per `aggregates` item (name: an aggregate over the source's columns, such
    as "count(*) FILTER (WHERE status = 'gestopt')").

    `source` selects at least `id` and `location`; it should already be limited to the tile's box
    (with a small margin) so that PostgreSQL uses the spatial index: this statement keeps only the
    points whose cell is in the tile, which decides exactly which tile a point on an edge belongs to.
    """
    z, cell = tile.z, TILE_PIXELS / grid
    if not 0 <= margin <= cell / 2:
        raise ValueError("the margin must fit in a cell")
    x0, y0 = tile.x * TILE_PIXELS, tile.y * TILE_PIXELS
    extra = "".join(f", {expression} AS {name}" for name, expression in aggregates.items())
    # The clamped mean in world pixels, then back to degrees.
    mean_x = f"greatest(least(avg(px), (cx + 1) * {cell} + {x0} - {margin}), cx * {cell} + {x0} + {margin})"
    mean_y = f"greatest(least(avg(py), (cy + 1) * {cell} + {y0} - {margin}), cy * {cell} + {y0} + {margin})"
    draw_x = f"CASE WHEN count(*) = 1 THEN min(px) ELSE {mean_x} END"
    draw_y = f"CASE WHEN count(*) = 1 THEN min(py) ELSE {mean_y} END"
    return f"""
        WITH points AS (
            SELECT s.*, {_pixel_x('ST_X(s.location)', z)} AS px, {_pixel_y('ST_Y(s.location)', z)} AS py
              FROM ({source}) s),
        placed AS (
            SELECT points.*, floor((px - {x0}) / {cell})::int AS cx, floor((py - {y0}) / {cell})::int AS cy
              FROM points)
        SELECT cx, cy, count(*) AS count,
               {_lon(draw_x, z)} AS lon, {_lat(draw_y, z)} AS lat,
               min(ST_X(location)) AS west, min(ST_Y(location)) AS south,
               max(ST_X(location)) AS east, max(ST_Y(location)) AS north,
               min(id) AS first_id{extra}
          FROM placed
         WHERE cx >= 0 AND cx < {grid} AND cy >= 0 AND cy < {grid}
         GROUP BY cx, cy"""


def search_box(tile: Tile) -> tuple[float, float, float, float]:
    """The tile's box with a margin of a thousandth of its size, for an index search that surely holds
    every point of the tile (cells_sql then decides the edges exactly)."""
    west, south, east, north = tile.bounds()
    dx, dy = (east - west) / 1000, (north - south) / 1000
    return max(-180.0, west - dx), max(-90.0, south - dy), min(180.0, east + dx), min(90.0, north + dy)


def mvt_sql(cells: str, tile: Tile, layer: str, columns: list[str]) -> str:
    """A statement that encodes the rows of `cells` (with `lon`, `lat` and `columns`) as one Mapbox
    Vector Tile layer (bytea), in the tile's own coordinates (extent MVT_EXTENT)."""
    attributes = ", ".join(f"c.{column}" for column in columns)
    return f"""
        SELECT ST_AsMVT(t, '{layer}', {MVT_EXTENT}, 'geom') FROM (
            SELECT {attributes},
                   ST_AsMVTGeom(ST_Transform(ST_SetSRID(ST_MakePoint(c.lon, c.lat), 4326), 3857),
                                ST_TileEnvelope({tile.z}, {tile.x}, {tile.y}), {MVT_EXTENT}, 0, true) AS geom
              FROM ({cells}) c) t"""
