"""The initiatives as map tiles: the clusters of one z/x/y tile with exact counts per status, and the
initiatives of cells that hold only one, made by PostgreSQL from the filtered queryset and the read
model (no Python per record). The public map draws the GeoJSON; the MVT encoding of the same cells is
for GIS clients (the OGC API Tiles). The grid and its SQL: geo.tiles.

What a tile costs depends on the points in it, not on the register as a whole: the tile's box goes
through the spatial index, and only cells of one initiative read its prepared marker.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import EmptyResultSet
from django.db import connections

from geo.tiles import GRID, Tile, cells_sql, mvt_sql, search_box
from registry.models import Initiative, InitiativeDocument, Status
from registry.querysets import InitiativeQuerySet, stale_cutoff

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
    in_tile = queryset.in_bbox(*search_box(tile))
    try:
        source, params = in_tile.order_by().values_list("id", "location", "status").query.sql_with_params()
    except EmptyResultSet:
        return None
    return cells_sql(source, tile, STATUS_COUNTS), params


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
    marker = "jsonb_set(d.marker::jsonb, '{properties,status}', to_jsonb(i.status))"
    single = (f"(CASE WHEN i.status <> 'gestopt' AND (i.last_verified_on IS NULL OR i.last_verified_on < %s) "
              f"THEN jsonb_set(jsonb_set({marker}, '{{properties,stale}}', 'true'), '{{properties,lastVerifiedOn}}', "
              f"coalesce(to_jsonb(i.last_verified_on), 'null'::jsonb)) ELSE {marker} END)::text")
    statement = f"""
        SELECT '{{"type":"FeatureCollection","features":['
               || coalesce(string_agg(CASE WHEN c.count = 1 THEN {single} ELSE {cluster} END, ','
                                      ORDER BY c.cy, c.cx), '') || ']}}'
          FROM ({sql}) c
          LEFT JOIN {INITIATIVES} i ON c.count = 1 AND i.id = c.first_id
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
