"""OGC API Tiles for the initiatives: tile matrix sets, tilesets, TileJSON and Mapbox Vector Tiles,
read back with GDAL's MVT driver (Debian's gdal-bin), which georeferences a Web Mercator tile from
its level, column and row.

ATS covered: Tiles /conf/core (tile operation, 404 outside the limits, 204 for an empty tile),
/conf/tileset (metadata with the tiling scheme and the templated item link), /conf/tilesets-list,
/conf/geodata-tilesets (the collection links its tilesets), /conf/mvt (the media type)."""

from __future__ import annotations

import math
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
from django.test import Client

from registry.models import Initiative
from tests.conftest import LEIDEN
from tests.ogc.conftest import get_json

pytestmark = [pytest.mark.usefixtures("in_english"),
              pytest.mark.skipif(shutil.which("ogrinfo") is None, reason="needs gdal-bin")]
TILES = "/ogc/v1/collections/initiatives/tiles"
BASE = "http://testserver/ogc/v1"


def web_mercator_tile(lon: float, lat: float, level: int) -> tuple[int, int]:
    """(row, column) of the WebMercatorQuad tile holding a point (the slippy-map formula)."""
    n = 2 ** level
    column = int((lon + 180) / 360 * n)
    row = int((1 - math.asinh(math.tan(math.radians(lat))) / math.pi) / 2 * n)
    return row, column


def read_tile(content: bytes, tmp_path: Path, *, level: int | None = None, row: int = 0, column: int = 0) -> str:
    path = tmp_path / "tile.mvt"
    path.write_bytes(content)
    georeference = ["-oo", f"Z={level}", "-oo", f"X={column}", "-oo", f"Y={row}"] if level is not None else []
    return subprocess.run(["ogrinfo", "-ro", "-al", "-q", *georeference, f"MVT:{path}"], capture_output=True,
                          text=True, check=True, timeout=60).stdout


def test_the_landing_page_and_the_collection_link_the_tiles(client: Client, db: None) -> None:
    landing = get_json(client, "/ogc/v1")
    assert {"href": f"{BASE}/tileMatrixSets?f=json", "rel": "http://www.opengis.net/def/rel/ogc/1.0/tiling-schemes",
            "type": "application/json", "title": "The tile matrix sets"} in landing["links"]
    initiatives = get_json(client, "/ogc/v1/collections/initiatives")
    assert {"href": f"{BASE}/collections/initiatives/tiles?f=json",
            "rel": "http://www.opengis.net/def/rel/ogc/1.0/tilesets-vector", "type": "application/json",
            "title": "Vector tiles"} in initiatives["links"]
    provinces = get_json(client, "/ogc/v1/collections/provinces")
    assert "tiles" not in str(provinces["links"])
    assert get_json(client, "/ogc/v1/collections/provinces/tiles", 404)["detail"] == (
        "The collection provinces has no tiles; initiatives has.")


def test_the_dutch_tile_matrix_set_is_pdoks(client: Client, db: None) -> None:
    listed = get_json(client, "/ogc/v1/tileMatrixSets")
    assert [entry["id"] for entry in listed["tileMatrixSets"]] == ["WebMercatorQuad", "NetherlandsRDNewQuad"]
    rd = get_json(client, "/ogc/v1/tileMatrixSets/NetherlandsRDNewQuad")
    assert (rd["crs"], rd["orderedAxes"], len(rd["tileMatrices"])) == (
        "http://www.opengis.net/def/crs/EPSG/0/28992", ["X", "Y"], 17)
    assert rd["tileMatrices"][0] == {
        "id": "0", "scaleDenominator": pytest.approx(12288000), "cellSize": pytest.approx(3440.64),
        "cornerOfOrigin": "topLeft", "pointOfOrigin": [-285401.92, 903401.92], "tileWidth": 256,
        "tileHeight": 256, "matrixWidth": 1, "matrixHeight": 1}
    assert rd["tileMatrices"][16]["cellSize"] == pytest.approx(0.0525)
    mercator = get_json(client, "/ogc/v1/tileMatrixSets/WebMercatorQuad")
    assert mercator["tileMatrices"][0]["scaleDenominator"] == pytest.approx(559082264.0287178)
    assert get_json(client, "/ogc/v1/tileMatrixSets/WorldCRS84Quad", 404)["code"] == "NotFound"


def test_tilesets_describe_the_tiles_and_tilejson_their_template(client: Client, db: None) -> None:
    listed = get_json(client, TILES)
    assert [tileset["tileMatrixSetURI"] for tileset in listed["tilesets"]] == [
        "http://www.opengis.net/def/tilematrixset/OGC/1.0/WebMercatorQuad",
        "http://www.opengis.net/def/tilematrixset/OGC/1.0/NetherlandsRDNewQuad"]
    tileset = get_json(client, f"{TILES}/NetherlandsRDNewQuad")
    assert (tileset["dataType"], tileset["crs"]) == ("vector", "http://www.opengis.net/def/crs/EPSG/0/28992")
    assert [(link["rel"], link["href"]) for link in tileset["links"]] == [
        ("self", f"{BASE}/collections/initiatives/tiles/NetherlandsRDNewQuad?f=json"),
        ("http://www.opengis.net/def/rel/ogc/1.0/tiling-scheme", f"{BASE}/tileMatrixSets/NetherlandsRDNewQuad?f=json"),
        ("item", f"{BASE}/collections/initiatives/tiles/NetherlandsRDNewQuad/{{tileMatrix}}/{{tileRow}}/{{tileCol}}")]
    assert tileset["layers"][0]["id"] == "initiatives"
    response = client.get(f"{TILES}/WebMercatorQuad?f=tilejson")
    assert response["Content-Type"] == "application/vnd.mapbox.tile+json"
    tilejson = response.json()
    assert (tilejson["tilejson"], tilejson["tiles"], tilejson["vector_layers"][0]["id"]) == (
        "3.0.0", [f"{BASE}/collections/initiatives/tiles/WebMercatorQuad/{{z}}/{{y}}/{{x}}"], "initiatives")
    assert get_json(client, f"{TILES}/NetherlandsRDNewQuad?f=tilejson", 400)["invalidParams"][0]["name"] == "f"


def test_a_web_mercator_tile_holds_the_maps_cells_where_the_points_are(client: Client, register: Any,
                                                                      tmp_path: Path) -> None:
    row, column = web_mercator_tile(LEIDEN.x, LEIDEN.y, 12)
    response = client.get(f"{TILES}/WebMercatorQuad/12/{row}/{column}")
    assert (response.status_code, response["Content-Type"]) == (200, "application/vnd.mapbox-vector-tile")
    output = read_tile(response.content, tmp_path, level=12, row=row, column=column)
    # The public map's cells (registry.tiles.mvt_tile): a cell of one initiative is that initiative.
    assert re.findall(r"^  name \(String\) = (.*)$", output, re.MULTILINE) == ["Buurtkamer De Linde"]
    assert re.search(r"^  count \(Integer\) = 1$", output, re.MULTILINE) and "status (String) = actief" in output
    x, y = map(float, re.search(r"POINT \(([-\d.]+) ([-\d.]+)\)", output).groups())
    expected = LEIDEN.transform(3857, clone=True)
    # A 4096 grid on a level-12 tile: about 2.4 m a step.
    assert abs(x - expected.x) < 5 and abs(y - expected.y) < 5


def test_a_web_mercator_tile_counts_a_cluster_exactly(client: Client, register: Any, tmp_path: Path) -> None:
    """At level 5 Utrecht's two initiatives (one running, one stopped) share a cell: one cluster."""
    from tests.conftest import UTRECHT

    row, column = web_mercator_tile(UTRECHT.x, UTRECHT.y, 5)
    output = read_tile(client.get(f"{TILES}/WebMercatorQuad/5/{row}/{column}").content, tmp_path)
    counts = sorted(int(count) for count in re.findall(r"^  count \(Integer\) = (\d+)$", output, re.MULTILINE))
    assert sum(counts) == 3  # Leiden's lies in the same level-5 tile
    assert "Geheim concept" not in output


def test_the_whole_country_in_one_rd_new_tile_and_leiden_deeper(client: Client, register: Any,
                                                                tmp_path: Path) -> None:
    output = read_tile(client.get(f"{TILES}/NetherlandsRDNewQuad/0/0/0").content, tmp_path)
    assert sorted(re.findall(r"^  name \(String\) = (.*)$", output, re.MULTILINE)) == sorted(
        Initiative.objects.published().values_list("name", flat=True))
    assert "Geheim concept" not in output  # the draft
    point = LEIDEN.transform(28992, clone=True)
    size = 880803.84 / 2 ** 10
    column, row = int((point.x + 285401.92) // size), int((903401.92 - point.y) // size)
    output = read_tile(client.get(f"{TILES}/NetherlandsRDNewQuad/10/{row}/{column}").content, tmp_path)
    assert re.findall(r"^  name \(String\) = (.*)$", output, re.MULTILINE) == ["Buurtkamer De Linde"]


def test_empty_tiles_are_204_and_tiles_outside_the_set_404(client: Client, register: Any) -> None:
    assert client.get(f"{TILES}/WebMercatorQuad/5/0/0").status_code == 204  # the Arctic
    for path in ("WebMercatorQuad/19/0/0", "WebMercatorQuad/3/8/0", "NetherlandsRDNewQuad/17/0/0",
                 "NetherlandsRDNewQuad/0/-1/0", "NetherlandsRDNewQuad/a/b/c", "Elsewhere/0/0/0"):
        document = get_json(client, f"{TILES}/{path}", 404)
        assert document["code"] == "NotFound", path
    tileset = get_json(client, f"{TILES}/WebMercatorQuad")
    assert set(tileset["layers"][0]["propertiesSchema"]["properties"]) == {
        "count", "active", "paused", "stopped", "id", "slug", "name", "status"}
