"""The initiatives as map tiles: the clusters of one z/x/y tile with exact counts per status, and the
initiatives of cells that hold only one, made by PostgreSQL from the filtered queryset and the read
model (no Python per record). The public map draws the GeoJSON; the MVT encoding of the same cells is
for GIS clients (the OGC API Tiles' WebMercatorQuad). The grid and its SQL: geo.tiles. For a tile
matrix set the map does not use (NetherlandsRDNewQuad, geo.tilematrixsets), points_tile makes tiles
of the initiatives themselves.

What a tile costs depends on the points in it, not on the register as a whole: the tile's box goes
through the spatial index, and only cells of one initiative read its prepared marker.
"""

from __future__ import annotations

from typing import Any

from django.db import connections
from django.db.models import QuerySet

from geo.tilematrixsets import TileMatrixSet
from geo.tiles import GRID, MVT_EXTENT, Tile, cells_sql, mvt_sql, search_box
from registry.documents import MARKER_WITH_STATUS, STALE, selected_ids
from registry.models import Initiative, InitiativeDocument, Kind, Service, Status
from registry.querysets import InitiativeQuerySet, stale_cutoff, statement

DOCUMENTS = InitiativeDocument._meta.db_table
INITIATIVES = Initiative._meta.db_table
LAYER = "initiatives"
# Per cell: how many of each status (the legend's colours, the popup's words).
STATUS_COUNTS = {name: f"count(*) FILTER (WHERE status = '{status.value}')"
                 for name, status in (("active", Status.ACTIVE), ("paused", Status.PAUSED),
                                      ("stopped", Status.STOPPED))}


def _cells(queryset: InitiativeQuerySet, tile: Tile) -> tuple[str, Any] | None:
    """The cells statement for the initiatives the queryset selects in this tile, and its parameters;
    None when the queryset can match nothing."""
    selected = statement(queryset.in_bbox(*search_box(tile)).order_by().values_list("id", "location", "status"))
    if selected is None:
        return None
    source, params = selected
    return cells_sql(source, tile, STATUS_COUNTS), params


# From this zoom on a tile's box holds a region, not a province or more, and what it shows is cheaper
# to fingerprint (tile_version) than to make: zoom 10 is about 40 km wide in the Netherlands.
NARROW_FROM_ZOOM = 10


def tile_version(queryset: InitiativeQuerySet, tile: Tile) -> tuple[int, Any] | None:
    """What a tile shows changes only with the initiatives in its box (with the margin its clusters
    look into): their number, and when their documents were last prepared (every edit of one of
    them, or of anything its marker shows). So an edit makes anew the tiles around the record, not
    every tile of the map. None below NARROW_FROM_ZOOM: the register's version."""
    if tile.z < NARROW_FROM_ZOOM:
        return None
    return queryset.in_bbox(*search_box(tile)).fingerprint()


def geojson_tile(queryset: InitiativeQuerySet, tile: Tile) -> str:
    """A GeoJSON FeatureCollection: per cell of more than one initiative a cluster (id "z/column/row"
    of the cell in the zoom level's grid; properties `cluster`, `count`, `active`, `paused`,
    `stopped` and `bbox` [west, south, east, north] of its initiatives), per cell of one its map
    Feature (registry.documents, the read model's `marker`) with its `status`."""
    cells = _cells(queryset, tile)
    if cells is None:
        return '{"type":"FeatureCollection","features":[]}'
    sql, params = cells
    grid_x, grid_y = f"({tile.x} * {GRID} + c.cx)", f"({tile.y} * {GRID} + c.cy)"
    cluster = f"""jsonb_build_object(
        'type', 'Feature', 'id', '{tile.z}/' || {grid_x} || '/' || {grid_y},
        'geometry', jsonb_build_object('type', 'Point',
                                       'coordinates', jsonb_build_array(round(c.lon::numeric, 5),
                                                                        round(c.lat::numeric, 5))),
        'properties', jsonb_build_object(
            'cluster', true, 'count', c.count, 'active', c.active, 'paused', c.paused, 'stopped', c.stopped,
            'bbox', jsonb_build_array(round(c.west::numeric, 5), round(c.south::numeric, 5),
                                      round(c.east::numeric, 5), round(c.north::numeric, 5))))::text"""
    # A record not confirmed within STALE_AFTER_MONTHS says so and since when: the map fades it.
    marker = MARKER_WITH_STATUS
    single = (f"(CASE WHEN {STALE} "
              f"THEN jsonb_set(jsonb_set({marker}, '{{properties,stale}}', 'true'), '{{properties,lastVerifiedOn}}', "
              f"coalesce(to_jsonb(d.last_verified_on), 'null'::jsonb)) ELSE {marker} END)::text")
    statement = f"""
        SELECT '{{"type":"FeatureCollection","features":['
               || coalesce(string_agg(CASE WHEN c.count = 1 THEN {single} ELSE {cluster} END, ','
                                      ORDER BY c.cy, c.cx), '') || ']}}'
          FROM ({sql}) c
          LEFT JOIN {DOCUMENTS} d ON c.count = 1 AND d.initiative_id = c.first_id"""
    with connections[queryset.db].cursor() as cursor:
        cursor.execute(statement, [stale_cutoff(), *params])
        return str(cursor.fetchone()[0])


def mvt_tile(queryset: InitiativeQuerySet, tile: Tile) -> bytes:
    """The same cells as one Mapbox Vector Tile layer "initiatives": `count`, `active`, `paused`,
    `stopped`, and for a cell of one initiative its `id`, `slug`, `name` and `status`."""
    cells = _cells(queryset, tile)
    if cells is None:
        return b""
    sql, params = cells
    with_names = f"""
        SELECT c.*, CASE WHEN c.count = 1 THEN c.first_id END AS id, i.slug, i.name, i.status
          FROM ({sql}) c LEFT JOIN {INITIATIVES} i ON c.count = 1 AND i.id = c.first_id"""
    statement = mvt_sql(with_names, tile, LAYER, ["count", "active", "paused", "stopped", "id", "slug", "name",
                                                   "status"])
    with connections[queryset.db].cursor() as cursor:
        cursor.execute(statement, params)
        return bytes(cursor.fetchone()[0] or b"")


BUFFER = 64  # of the MVT_EXTENT grid around a tile of points, so symbols at its edge are not cut
# The properties of a point in points_tile, with their types (TileJSON's vector_layers).
POINT_FIELDS = {"slug": "String", "name": "String", "kind": "String", "services": "String", "place": "String",
                "status": "String"}
# The properties of a cell in mvt_tile (a cell of one initiative also has its id, slug, name, status).
CELL_FIELDS = {"count": "Number", "active": "Number", "paused": "Number", "stopped": "Number", "id": "Number",
               "slug": "String", "name": "String", "status": "String"}


def _table(model: Any) -> str:
    return str(model._meta.db_table)


def points_tile(queryset: QuerySet[Initiative], matrix_set: TileMatrixSet, level: int, row: int,
                column: int) -> bytes:
    """A Mapbox Vector Tile of the initiatives themselves, not clustered, in any tile matrix set of
    geo.tilematrixsets (for NetherlandsRDNewQuad: the map's clusters are Web Mercator only): at
    (level, row, column), layer "initiatives", each point with `slug`, `name`, `kind`, `services` (codes,
    comma-separated), `place` and `status`; empty bytes when none lies there."""
    selected = selected_ids(queryset.order_by())
    if selected is None:
        return b""
    ids_sql, ids_params = selected
    tile_size = matrix_set.size / 2 ** level
    services = Initiative.services.through
    # The envelope and the area are computed once (MATERIALIZED): inlined, PostGIS would transform
    # the area again for every point. The services are aggregated once for the points inside,
    # by a hash join (as registry.documents does), not by a subquery per point.
    sql = f"""
        WITH env AS MATERIALIZED (SELECT {matrix_set.envelope_sql()} AS tile),
        -- The tile (with its buffer) in the stored CRS: densified first, so that its curved edges
        -- in longitude and latitude are covered; ST_AsMVTGeom then drops what lies outside.
        near AS MATERIALIZED (SELECT ST_Transform(ST_Segmentize(ST_Expand(tile, %s), %s), 4326) AS area FROM env),
        inside AS MATERIALIZED (
            SELECT i.id, ST_AsMVTGeom(ST_Transform(i.location, {matrix_set.crs.srid}), env.tile, {MVT_EXTENT}, {BUFFER},
                                      true) AS geom
              FROM {_table(Initiative)} i, env, near
             WHERE i.location && near.area AND i.id IN ({ids_sql})),
        sv AS (SELECT l.initiative_id, string_agg(s.code, ',' ORDER BY s."order", s.code) AS codes
                 FROM {_table(services)} l JOIN {_table(Service)} s ON s.id = l.service_id
                WHERE l.initiative_id IN (SELECT id FROM inside WHERE geom IS NOT NULL) GROUP BY l.initiative_id),
        points AS (
            SELECT inside.geom, i.id, i.slug, i.name, k.code AS kind, coalesce(sv.codes, '') AS services, i.place,
                   i.status
              FROM inside JOIN {_table(Initiative)} i ON i.id = inside.id JOIN {_table(Kind)} k ON k.id = i.kind_id
                   LEFT JOIN sv ON sv.initiative_id = i.id
             WHERE inside.geom IS NOT NULL)
        SELECT ST_AsMVT(points, '{LAYER}', {MVT_EXTENT}, 'geom', 'id') FROM points"""
    params = [level, column, row, tile_size * BUFFER / MVT_EXTENT, tile_size / 16, *ids_params]
    with connections[queryset.db].cursor() as cursor:
        cursor.execute(sql, params)
        found = cursor.fetchone()[0]
    return bytes(found) if found else b""
