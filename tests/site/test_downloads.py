"""The list and an area's page offer what they list as open data: the same records, with the same
filters, in a workbook, CSV or GeoJSON (registry/_downloads.html)."""

from __future__ import annotations

import csv
import io
import json
import re
from html import unescape

from django.test import Client

from tests.conftest import LEIDEN, UTRECHT, make

DOWNLOADS = re.compile(r'<p class="utrecht-paragraph downloads">(.*?)</p>', re.S)


def links(page_text: str) -> list[str]:
    [paragraph] = DOWNLOADS.findall(page_text)
    return [unescape(address) for address in re.findall(r'href="([^"]+)"', paragraph)]


def download_ids(client: Client, address: str) -> list[int]:
    response = client.get(address)
    body = b"".join(response.streaming_content) if response.streaming else response.content
    if address.startswith("/opendata/initiatives.csv"):
        return [int(row["id"]) for row in csv.DictReader(io.StringIO(body.decode()))]
    return [feature["id"] for feature in json.loads(body)["features"]]


def test_the_list_offers_its_selection_with_its_filters_and_point(client: Client, db):
    near = [make(name, UTRECHT, services=["energie"]) for name in ("Zon op Utrecht", "Wind op Utrecht")]
    make("Zon op Leiden", LEIDEN, services=["energie"])  # beyond the radius
    make("Buurthuis Utrecht", UTRECHT, services=["ontmoetingsplek"])  # another service

    page = client.get("/initiatieven?service=energie&near=5.12,52.09&radius=10000&ordering=name&page=1")

    query = "service=energie&near=5.12%2C52.09&radius=10000"
    assert links(page.text) == [f"/opendata/initiatives.xlsx?{query}", f"/opendata/initiatives.csv?{query}",
                                f"/opendata/initiatives.geojson?{query}", "/opendata"]
    assert DOWNLOADS.findall(page.text)[0].startswith("Download alle 2 initiatieven van deze selectie:")
    expected = sorted(initiative.pk for initiative in near)
    for address in links(page.text)[1:3]:
        assert sorted(download_ids(client, address)) == expected


def test_an_areas_page_offers_its_initiatives(client: Client, leiden, utrecht):
    page = client.get("/gebieden/GM0546", HTTP_ACCEPT_LANGUAGE="en")

    assert DOWNLOADS.findall(page.text)[0].startswith("Download this initiative:")
    assert links(page.text)[:3] == ["/opendata/initiatives.xlsx?municipality=GM0546",
                                    "/opendata/initiatives.csv?municipality=GM0546",
                                    "/opendata/initiatives.geojson?municipality=GM0546"]
    assert download_ids(client, links(page.text)[1]) == [leiden.pk]


def test_nothing_to_download_is_not_offered(client: Client, leiden):
    assert DOWNLOADS.findall(client.get("/initiatieven?q=zwembad").text) == []
