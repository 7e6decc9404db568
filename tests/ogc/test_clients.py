"""Clients nobody here wrote read the OGC API from a live server: GDAL's OAPIF driver (ogrinfo,
Debian's gdal-bin) and OWSLib.

Debian 12's GDAL 3.6 sends a spatial filter as `bbox` and an equality on a property that the API
definition declares as a query parameter (kind, status) as that parameter; it neither sends
CQL2 (GDAL 3.7 on) nor asks for another CRS (the `CRS` open option came with GDAL 3.7), so CQL2 is
read here by OWSLib and RD New by a plain HTTP client. The server's view is wrapped to record
each items request and what it matched, which shows the filters were applied there."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qs, quote, urlsplit
from urllib.request import ProxyHandler, build_opener

import pytest

from ogc import views
from registry.models import Initiative
from registry.operations.demo import seed_demo
from tests.ogc.conftest import RD_NEW

pytestmark = pytest.mark.skipif(shutil.which("ogrinfo") is None, reason="needs gdal-bin")
opener = build_opener(ProxyHandler({}))  # loopback: never through a proxy from the environment


@pytest.fixture
def requests_seen(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[tuple[dict[str, list[str]], int]]]:
    """Each items request the server answered: its query and its numberMatched."""
    seen: list[tuple[dict[str, list[str]], int]] = []
    original = views.ItemsView.get

    def recording(self: Any, request: Any, collection_id: str) -> Any:
        response = original(self, request, collection_id)
        matched = json.loads(response.content)["numberMatched"] if response["Content-Type"].endswith("json") else -1
        seen.append((dict(request.GET.lists()), matched))
        return response

    monkeypatch.setattr(views.ItemsView, "get", recording)
    yield seen


@pytest.fixture
def demo_register(committed_db: None) -> set[int]:
    seed_demo(60, seed=3)
    return set(Initiative.objects.published().values_list("pk", flat=True))


def ogrinfo(*arguments: str) -> str:
    result = subprocess.run(["ogrinfo", "-ro", "-q", *arguments], capture_output=True, text=True, timeout=120,
                            check=True, env={"PATH": "/usr/bin:/bin", "GDAL_HTTP_TIMEOUT": "60"})
    return result.stdout


def feature_ids(output: str) -> list[int]:
    return [int(match) for match in re.findall(r"^  id \(Integer\) = (\d+)$", output, re.MULTILINE)]


def test_gdal_reads_every_published_initiative_across_pages(live_server: Any, demo_register: set[int],
                                                            requests_seen: list[Any]) -> None:
    output = ogrinfo("-oo", "PAGE_SIZE=7", f"OAPIF:{live_server.url}/ogc/v1", "initiatives")
    ids = feature_ids(output)
    assert sorted(ids) == sorted(demo_register) and len(ids) == len(set(ids))
    cursors = [query["cursor"][0] for query, _matched in requests_seen if "cursor" in query]
    # Every page after the first, once, each by the next link's cursor (GDAL reads the first page
    # twice: once for the layer's fields).
    assert len(cursors) == len(set(cursors)) == -(-len(demo_register) // 7) - 1
    layers = ogrinfo(f"OAPIF:{live_server.url}/ogc/v1")
    assert [line.split(":")[1].split("(")[0].strip() for line in layers.splitlines() if re.match(r"^\d+:", line)] == [
        "initiatives", "partners", "municipalities", "provinces"]


def test_gdal_sends_its_attribute_and_spatial_filters_to_the_server(live_server: Any, demo_register: set[int],
                                                                    requests_seen: list[Any]) -> None:
    kind = Initiative.objects.published().values_list("kind__code", flat=True).first()
    box = (4.0, 51.5, 6.5, 53.0)
    output = ogrinfo(f"OAPIF:{live_server.url}/ogc/v1", "initiatives", "-where", f"kind = '{kind}'",
                     "-spat", *map(str, box))
    expected = Initiative.objects.published().filter(kind__code=kind).in_bbox(*box)
    assert sorted(feature_ids(output)) == sorted(expected.values_list("pk", flat=True))
    assert expected.exists() and expected.count() < len(demo_register)
    filtered = [(query, matched) for query, matched in requests_seen if "bbox" in query]
    assert filtered and all(query["kind"] == [kind] and query["bbox"] == ["4,51.5,6.5,53"] and
                            matched == expected.count() for query, matched in filtered)


def test_gdal_reads_municipality_polygons(live_server: Any, committed_db: None) -> None:
    output = ogrinfo("-spat", "4.49", "52.15", "4.50", "52.17", f"OAPIF:{live_server.url}/ogc/v1", "municipalities")
    assert re.findall(r"^  code \(String\) = (\w+)$", output, re.MULTILINE) == ["GM0546"]
    assert "MULTIPOLYGON (((" in output


def test_owslib_lists_collections_queryables_and_filtered_items(live_server: Any, demo_register: set[int],
                                                                 requests_seen: list[Any]) -> None:
    from owslib.ogcapi.features import Features

    service = Features(f"{live_server.url}/ogc/v1")
    assert service.feature_collections() == ["initiatives", "partners", "municipalities", "provinces"]
    assert "http://www.opengis.net/spec/cql2/1.0/conf/cql2-text" in service.conformance()["conformsTo"]
    queryables = service.collection_queryables("initiatives")
    assert {"kind", "service", "founded_year", "geometry"} <= set(queryables["properties"])
    everything = service.collection_items("initiatives", limit=1000)
    assert {feature["id"] for feature in everything["features"]} == demo_register
    expression = "founded_year >= 2000 AND S_INTERSECTS(geometry, BBOX(3.3, 50.7, 5.5, 53.6))"
    found = service.collection_items("initiatives", limit=1000, filter=expression)
    expected = Initiative.objects.published().filter(founded_year__gte=2000).in_bbox(3.3, 50.7, 5.5, 53.6)
    assert {feature["id"] for feature in found["features"]} == set(expected.values_list("pk", flat=True))
    assert found["numberMatched"] == expected.count() < len(demo_register)
    assert requests_seen[-1][0]["filter"] == [expression]


def test_a_plain_http_client_reads_rd_new(live_server: Any, demo_register: set[int]) -> None:
    """What GDAL 3.6 cannot ask for: the items in RD New, with Content-Crs."""
    with opener.open(f"{live_server.url}/ogc/v1/collections/initiatives/items?limit=1000&crs={quote(RD_NEW)}",
                     timeout=30) as response:
        assert response.headers["Content-Crs"] == f"<{RD_NEW}>"
        document = json.load(response)
    points = {feature["id"]: feature["geometry"]["coordinates"] for feature in document["features"]}
    assert set(points) == demo_register
    for pk, (x, y) in points.items():
        expected = Initiative.objects.get(pk=pk).location.transform(28992, clone=True)
        assert abs(x - expected.x) < 0.01 and abs(y - expected.y) < 0.01
    next_links = [link for link in document["links"] if link["rel"] == "next"]
    assert next_links == [] and parse_qs(urlsplit(document["links"][0]["href"]).query)["crs"] == [RD_NEW]
