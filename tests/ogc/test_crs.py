"""OGC API Features Part 2 (Coordinate Reference Systems by Reference): geometries and boxes in
RD New, ETRS89, EPSG:4326 and Web Mercator, in each CRS's axis order, to about a centimetre.

The expected coordinates come from GDAL's own transformation (GEOS/OGR in this process, not
PostGIS), so a wrong SRID, a swapped axis or a lost precision shows."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

import pytest
from django.test import Client

from tests.conftest import LEIDEN, UTRECHT
from tests.ogc.conftest import CRS84, ETRS89, RD_NEW, get_json

WGS84_LATLON = "http://www.opengis.net/def/crs/EPSG/0/4326"
WEB_MERCATOR = "http://www.opengis.net/def/crs/EPSG/0/3857"


def _items(client: Client, query: str) -> Any:
    return client.get(f"/ogc/v1/collections/initiatives/items?{query}")


def test_rd_new_coordinates_are_in_metres_to_the_centimetre(client: Client, register: Any) -> None:
    """ATS Part 2 /conf/crs/fc-crs-valid-value, /conf/crs/ogc-crs-header (Content-Crs)."""
    response = _items(client, f"crs={quote(RD_NEW)}")
    assert response["Content-Crs"] == f"<{RD_NEW}>"
    x, y = response.json()["features"][0]["geometry"]["coordinates"]
    expected = LEIDEN.transform(28992, clone=True)
    assert abs(x - expected.x) < 0.01 and abs(y - expected.y) < 0.01
    assert (x, y) == (round(x, 2), round(y, 2))  # centimetres, not 15 digits
    assert 93_000 < x < 94_500 and 463_000 < y < 464_500  # the Pieterskerk in RD New


@pytest.mark.parametrize(("crs", "srid"), [(ETRS89, 4258), (WGS84_LATLON, 4326)])
def test_etrs89_and_epsg_4326_are_latitude_first(client: Client, register: Any, crs: str, srid: int) -> None:
    pk = register["leiden"].pk
    response = client.get(f"/ogc/v1/collections/initiatives/items/{pk}?crs={quote(crs)}")
    assert response["Content-Crs"] == f"<{crs}>"
    assert response.json()["geometry"] == {"type": "Point", "coordinates": [52.1601, 4.497]}
    self_link = response.json()["links"][0]["href"]
    assert self_link.endswith(f"?f=json&crs={crs}")


def test_web_mercator_is_in_metres(client: Client, register: Any) -> None:
    x, y = _items(client, f"crs={quote(WEB_MERCATOR)}").json()["features"][0]["geometry"]["coordinates"]
    expected = LEIDEN.transform(3857, clone=True)
    assert abs(x - expected.x) < 0.01 and abs(y - expected.y) < 0.01


def test_polygons_are_transformed_too(client: Client, register: Any) -> None:
    document = get_json(client, f"/ogc/v1/collections/provinces/items/PV26?crs={quote(RD_NEW)}")
    ring = document["geometry"]["coordinates"][0][0]
    assert all(110_000 < x < 175_000 and 425_000 < y < 485_000 for x, y in ring)
    assert all(round(number, 2) == number for point in ring for number in point)


def test_bbox_crs_takes_a_box_in_rd_new(client: Client, register: Any) -> None:
    """ATS Part 2 /conf/crs/fc-bbox-crs-definition, /conf/crs/fc-bbox-crs-valid-value."""
    centre = UTRECHT.transform(28992, clone=True)
    box = f"{centre.x - 100},{centre.y - 100},{centre.x + 100},{centre.y + 100}"
    document = _items(client, f"bbox={box}&bbox-crs={quote(RD_NEW)}").json()
    assert [feature["properties"]["name"] for feature in document["features"]] == [
        "Energiecoöperatie Utrecht", "Gestopte Buurtwinkel"]
    # The same box, answered in RD New: the query's own CRS for the box, another for the answer.
    both = _items(client, f"bbox={box}&bbox-crs={quote(RD_NEW)}&crs={quote(RD_NEW)}")
    assert both["Content-Crs"] == f"<{RD_NEW}>"
    x, y = both.json()["features"][0]["geometry"]["coordinates"]
    assert abs(x - centre.x) < 0.01 and abs(y - centre.y) < 0.01


def test_bbox_crs_in_etrs89_is_latitude_first(client: Client, register: Any) -> None:
    lat_lon = _items(client, f"bbox=52.1,4.4,52.2,4.6&bbox-crs={quote(ETRS89)}").json()
    assert [feature["properties"]["name"] for feature in lat_lon["features"]] == ["Buurtkamer De Linde"]
    # Read longitude first, the same numbers are a box in the Indian Ocean.
    lon_lat = _items(client, f"bbox=52.1,4.4,52.2,4.6&bbox-crs={quote(CRS84)}").json()
    assert lon_lat["features"] == []
    problem = _items(client, f"bbox=4.4,91,4.6,92&bbox-crs={quote(CRS84)}").json()
    # In Dutch, the site's default language.
    assert problem["detail"] == ("bbox moet de onderste hoek en dan de bovenste hoek zijn (x, y (lengtegraad, "
                                 f"breedtegraad) in {CRS84}): breedtegraad buiten -90…90.")


def test_the_next_link_keeps_the_crs(client: Client, register: Any) -> None:
    document = _items(client, f"limit=1&crs={quote(RD_NEW)}").json()
    next_link = next(link["href"] for link in document["links"] if link["rel"] == "next")
    assert f"crs={RD_NEW}" in next_link
    following = client.get(next_link.replace("http://testserver", ""))
    assert following["Content-Crs"] == f"<{RD_NEW}>"
    assert following.json()["features"][0]["geometry"]["coordinates"][0] > 100_000


def test_a_web_page_elsewhere_may_read_the_content_crs(client: Client, db: None) -> None:
    response = client.get(f"/ogc/v1/collections/provinces/items?crs={quote(RD_NEW)}",
                          HTTP_ORIGIN="https://kaart.gemeente.example")
    assert response["Access-Control-Allow-Origin"] == "*"
    assert "Content-Crs" in response["Access-Control-Expose-Headers"]
