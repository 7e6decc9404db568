"""The map's data per view (registry/site/mapdata.py): tiles by z/x/y with the filters in the query
string, and a view's summary with the list of what is in it."""

from __future__ import annotations

import json

from django.test import Client

from tests.conftest import UTRECHT, make

LEIDEN_TILE = "/kaart/tegels/12/2099/1350.geojson"


def test_a_tile_holds_the_initiatives_of_its_filters_and_may_be_kept_by_anyone(client: Client, leiden, utrecht):
    response = client.get(LEIDEN_TILE)

    assert response.status_code == 200
    assert response["Content-Type"] == "application/geo+json"
    assert "public" in response["Cache-Control"] and "max-age=300" in response["Cache-Control"]
    [feature] = response.json()["features"]
    assert feature["properties"]["name"] == "Buurtkamer De Linde"
    assert client.get(LEIDEN_TILE + "?service=energie").json()["features"] == []


def test_a_tile_says_which_filter_is_wrong(client: Client, db):
    response = client.get(LEIDEN_TILE + "?kind=vliegveld")

    assert response.status_code == 400
    assert "vliegveld" in response.json()["detail"]
    assert list(response.json()["errors"]) == ["kind"]


def test_a_tile_that_does_not_exist_is_not_found(client: Client, db):
    assert client.get("/kaart/tegels/3/8/0.geojson").status_code == 404
    assert client.get("/kaart/tegels/23/0/0.geojson").status_code == 404


def test_the_summary_counts_and_lists_what_is_in_view(client: Client, leiden, utrecht):
    make("Aardappelhuis Utrecht", UTRECHT, place="Utrecht", status="gestopt", stopped_on="2025-05-01",
         stop_reason="menskracht")

    everywhere = client.get("/kaart/overzicht?status=actief").json()
    around_utrecht = client.get("/kaart/overzicht?bbox=5.0,52.0,5.2,52.2").json()

    assert everywhere["count"] == 2
    west, south, east, north = everywhere["extent"]
    assert (round(west, 4), round(south, 4), round(east, 4), round(north, 4)) == (4.497, 52.0907, 5.1214, 52.1601)
    assert "inView" not in everywhere
    assert around_utrecht["count"] == 3  # every status: the API's default
    assert around_utrecht["inView"]["count"] == 2
    assert [(item["properties"]["name"], item["properties"]["status"]) for item in around_utrecht["inView"]["items"]] \
        == [("Aardappelhuis Utrecht", "gestopt"), ("Energiecoöperatie Utrecht", "actief")]


def test_the_summary_of_nothing_says_so(client: Client, leiden):
    body = json.loads(client.get("/kaart/overzicht?q=zwembad").content)

    assert body == {"count": 0, "extent": None, "didYouMean": None, "places": []}


def test_the_summarys_count_and_extent_are_kept_across_boxes_until_the_register_changes(client: Client, leiden,
                                                                                        utrecht):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from registry import actions
    from tests.maintainers import administrator

    def extents(queries: CaptureQueriesContext) -> int:
        return sum("ST_Extent" in query["sql"] for query in queries.captured_queries)

    with CaptureQueriesContext(connection) as first:
        assert client.get("/kaart/overzicht?status=actief&bbox=4.4,52.1,4.6,52.2").json()["count"] == 2
    with CaptureQueriesContext(connection) as other_box:
        assert client.get("/kaart/overzicht?status=actief&bbox=5.0,52.0,5.2,52.2").json()["inView"]["count"] == 1
    assert (extents(first), extents(other_box)) == (1, 0)

    utrecht.status, utrecht.stopped_on, utrecht.stop_reason = "gestopt", "2025-05-01", "geld"
    actions.save_edit(utrecht, type(utrecht).objects.get(pk=utrecht.pk), acting_user=administrator())
    after_edit = client.get("/kaart/overzicht?status=actief&bbox=4.0,52.0,4.9,52.3").json()
    assert after_edit["count"] == 1
    assert [round(value, 4) for value in after_edit["extent"]] == [4.497, 52.1601, 4.497, 52.1601]


def test_a_tile_is_kept_across_edits_elsewhere_and_follows_its_own_initiatives(client: Client, leiden, utrecht):
    """From zoom 10 a tile is keyed by what it shows (registry.tiles.tile_version): an edit in Utrecht
    leaves Leiden's tile kept, an edit in Leiden makes it anew; at zoom 7 every edit does."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from registry import actions
    from tests.maintainers import administrator

    def made(url: str) -> bool:
        with CaptureQueriesContext(connection) as queries:
            client.get(url)
        return any("FeatureCollection" in query["sql"] for query in queries.captured_queries)

    maintainer = administrator()
    country = "/kaart/tegels/7/65/42.geojson"
    assert made(LEIDEN_TILE) and made(country)
    assert not made(LEIDEN_TILE) and not made(country)

    utrecht.short_description = "Elders veranderd."
    actions.save_edit(utrecht, type(utrecht).objects.get(pk=utrecht.pk), acting_user=maintainer)
    assert not made(LEIDEN_TILE)
    assert made(country)

    leiden.status, leiden.stopped_on, leiden.stop_reason = "gestopt", "2025-05-01", "geld"
    actions.save_edit(leiden, type(leiden).objects.get(pk=leiden.pk), acting_user=maintainer)
    assert made(LEIDEN_TILE)
    [feature] = client.get(LEIDEN_TILE).json()["features"]
    assert feature["properties"]["status"] == "gestopt"
