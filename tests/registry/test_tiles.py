"""Map tiles of clusters (registry.tiles on geo.tiles): exact counts, every initiative in exactly one
tile, clusters an icon apart, single initiatives with their status, the shared filters."""

from __future__ import annotations

import itertools
import json
import math

import pytest
from django.contrib.gis.geos import Point

from geo.tiles import TILE_PIXELS, Tile, TileOutOfRange
from registry.filters import InitiativeFilterSet
from registry.models import Initiative, Status
from registry.operations.demo import seed_demo
from registry.tiles import geojson_tile, mvt_tile
from tests.conftest import LEIDEN, make

ICON_PIXELS = 44  # the markers of registry/map.js and site.css


def tiles_over_the_netherlands(z: int) -> list[Tile]:
    def column(lon: float) -> int:
        return int((lon + 180) / 360 * 2 ** z)

    def row(lat: float) -> int:
        phi = math.radians(lat)
        return int((1 - math.log(math.tan(phi) + 1 / math.cos(phi)) / math.pi) / 2 * 2 ** z)

    return [Tile(z, x, y) for x in range(column(3.2), column(7.3) + 1) for y in range(row(53.7), row(50.7) + 1)]


def features(queryset, tile: Tile) -> list[dict]:
    return json.loads(geojson_tile(queryset, tile))["features"]


def count(feature: dict) -> int:
    return feature["properties"]["count"] if feature["properties"].get("cluster") else 1


def world_pixels(lon: float, lat: float, z: int) -> tuple[float, float]:
    world = TILE_PIXELS * 2 ** z
    y = (0.5 - math.log(math.tan(math.pi / 4 + math.radians(lat) / 2)) / (2 * math.pi)) * world
    return (lon + 180) / 360 * world, y


@pytest.fixture
def register(db) -> None:
    seed_demo(250, seed=3)
    # Exactly on the edge between the tiles x=131 and x=132 of zoom 8 (and of every deeper level).
    make("Op de grens", Point(132 / 256 * 360 - 180, 52.05, srid=4326), place="Monster")


@pytest.mark.parametrize("z", [6, 8, 11])
def test_it_counts_every_initiative_in_exactly_one_tile(register, z):
    published = Initiative.objects.published()

    shown = sum(count(feature) for tile in tiles_over_the_netherlands(z) for feature in features(published, tile))

    assert shown == published.count()


def test_it_counts_each_status_of_a_cluster(register):
    published = Initiative.objects.published()
    totals = {"active": 0, "paused": 0, "stopped": 0}
    for tile in tiles_over_the_netherlands(7):
        for feature in features(published, tile):
            p = feature["properties"]
            if p.get("cluster"):
                assert p["active"] + p["paused"] + p["stopped"] == p["count"]
                for name in totals:
                    totals[name] += p[name]
            else:
                totals[{"actief": "active", "gepauzeerd": "paused", "gestopt": "stopped"}[p["status"]]] += 1

    assert totals == {"active": published.filter(status=Status.ACTIVE).count(),
                      "paused": published.filter(status=Status.PAUSED).count(),
                      "stopped": published.filter(status=Status.STOPPED).count()}


@pytest.mark.parametrize("z", [7, 9])
def test_no_cluster_covers_another(register, z):
    published = Initiative.objects.published()
    clusters = [world_pixels(*feature["geometry"]["coordinates"], z)
                for tile in tiles_over_the_netherlands(z) for feature in features(published, tile)
                if feature["properties"].get("cluster")]

    assert len(clusters) > 10
    for (ax, ay), (bx, by) in itertools.combinations(clusters, 2):
        # Two 44-pixel icons overlap only when they are closer than that on both axes (rounding
        # the coordinates to 5 decimals moves them by a small part of a pixel at these zooms).
        assert max(abs(ax - bx), abs(ay - by)) >= ICON_PIXELS - 0.5


def test_a_cluster_lies_inside_the_box_of_its_initiatives_or_its_cell(register):
    published = Initiative.objects.published()
    for tile in tiles_over_the_netherlands(8):
        for feature in features(published, tile):
            west, south, east, north = feature["properties"].get("bbox", [0, 0, 0, 0])
            lon, lat = feature["geometry"]["coordinates"]
            bounds = tile.bounds()
            assert bounds[0] <= lon <= bounds[2] and bounds[1] <= lat <= bounds[3]
            if feature["properties"].get("cluster"):
                assert west <= east and south <= north


def test_an_initiative_alone_in_its_cell_is_its_marker_with_its_status(db):
    make("Dorpswinkel Gesloten", LEIDEN, place="Leiden", status=Status.STOPPED,
         stopped_on="2024-01-31", stop_reason="financiering")
    tile = Tile(12, 2099, 1350)  # Leiden

    [feature] = features(Initiative.objects.published(), tile)

    assert feature["geometry"] == {"type": "Point", "coordinates": [4.497, 52.1601]}
    assert feature["properties"] == {"slug": "dorpswinkel-gesloten", "name": "Dorpswinkel Gesloten",
                                     "kind": "dorpscooperatie", "services": [], "place": "Leiden",
                                     "status": "gestopt"}


def test_the_shared_filters_narrow_a_tile(register):
    published = Initiative.objects.published()
    running = InitiativeFilterSet({"status": ["actief"]}, queryset=published).qs

    shown = sum(count(feature) for tile in tiles_over_the_netherlands(6) for feature in features(running, tile))

    assert shown == published.filter(status=Status.ACTIVE).count() < published.count()


def test_a_tile_of_a_filter_that_matches_nothing_is_empty(register):
    nothing = Initiative.objects.published().filter(pk__in=[])

    assert features(nothing, Tile(6, 32, 20)) == []
    assert mvt_tile(nothing, Tile(6, 32, 20)) == b""


def test_the_vector_tile_holds_the_same_cells(db):
    make("Buurtkamer Eén", LEIDEN, place="Leiden")
    tile = Tile(12, 2099, 1350)

    encoded = mvt_tile(Initiative.objects.published(), tile)

    assert encoded.startswith(b"\x1a")  # a Layer message (field 3)
    assert b"initiatives" in encoded and "Buurtkamer Eén".encode() in encoded


@pytest.mark.parametrize("z, x, y", [(-1, 0, 0), (23, 0, 0), (3, 8, 0), (3, 0, -1)])
def test_it_refuses_a_tile_that_does_not_exist(z, x, y):
    with pytest.raises(TileOutOfRange):
        Tile(z, x, y)
