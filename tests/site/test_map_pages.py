"""The map page, the embed and its builder, without a browser: what the server sends."""

from __future__ import annotations

import datetime
import re

from django.test import Client

from tests.conftest import LEIDEN, UTRECHT, make


def local_assets(html: str) -> list[str]:
    return re.findall(r'<(?:script|link)[^>]*(?:src|href)="([^"]+)"', html)


def test_the_map_page_loads_its_data_instead_of_holding_it(client: Client, leiden, utrecht):
    response = client.get("/")

    html = response.content.decode()
    assert response.status_code == 200
    assert response["X-Frame-Options"] == "DENY"
    assert "Buurtkamer De Linde" not in html  # not inlined: the map fetches the tiles of its view
    assert '"tileUrl": "/kaart/tegels/{z}/{x}/{y}.geojson"' in html and '"overviewUrl": "/kaart/overzicht"' in html
    assert 'id="map-count" role="status" data-count="2">2 initiatieven<' in html
    assert all(url.startswith("/static/") for url in local_assets(html)), local_assets(html)
    for asset in ["/static/vendor/leaflet/leaflet.js", "/static/vendor/leaflet/leaflet.css", "/static/registry/map.js"]:
        assert asset in local_assets(html)
    assert "cdn" not in html.lower() and "user-scalable=no" not in html


def test_the_map_page_shows_the_filters_of_its_address(client: Client, leiden, utrecht):
    html = client.get("/?province=PV26&service=ontmoetingsplek&q=linde").content.decode()

    assert '<option value="PV26" selected>Utrecht</option>' in html
    assert '<option value="GM0344" data-province="PV26">Utrecht</option>' in html
    assert re.search(r'<input type="checkbox" name="service" value="ontmoetingsplek"[^>]*checked', html)
    assert 'value="linde"' in html
    assert 'data-count="0"' in html
    # The map shows running initiatives by default, the list every status: the link names the status.
    assert 'href="/initiatieven?q=linde&amp;service=ontmoetingsplek&amp;status=actief&amp;province=PV26"' in html


def test_the_list_shows_its_records_on_the_map_with_its_statuses(client: Client, leiden, utrecht):
    # The list shows every status unless one is chosen, the map only running ones: the link says which.
    html = client.get("/initiatieven?q=linde").content.decode()
    assert 'href="/?q=linde&amp;status=actief&amp;status=gepauzeerd&amp;status=gestopt">Toon deze op de kaart' in html
    html = client.get("/initiatieven?status=gestopt&province=PV26").content.decode()
    assert 'href="/?status=gestopt&amp;province=PV26">Toon deze op de kaart' in html


def test_a_bad_filter_on_the_map_page_is_named(client: Client, db):
    response = client.get("/?municipality=GM9999&bbox=x")

    assert response.status_code == 400
    html = response.content.decode()
    assert "GM9999 is geen beschikbare keuze" in html
    assert "Verwacht 4 getallen" in html


def test_the_embed_locks_its_filters_and_may_be_framed_by_any_site(client: Client, leiden, utrecht):
    response = client.get("/embed?municipality=GM0546")

    html = response.content.decode()
    assert response.status_code == 200
    assert "X-Frame-Options" not in response
    assert response["Content-Security-Policy"].endswith("; frame-ancestors *")
    assert '"lockedQuery": "status=actief\\u0026municipality=GM0546"' in html and '"embedded": true' in html
    assert 'data-count="1"' in html
    assert 'id="map-filters"' not in html
    assert 'href="http://testserver/?status=actief&amp;municipality=GM0546" target="_blank"' in html


def test_an_embed_with_a_bad_filter_says_so(client: Client, db):
    response = client.get("/embed?service=zwembad")

    assert response.status_code == 400
    assert "zwembad is geen beschikbare keuze" in response.content.decode()


def test_the_builder_writes_the_iframe_code(client: Client, leiden):
    html = client.get("/insluiten?municipality=GM0546&service=ontmoetingsplek&height=400").content.decode()

    assert ('&lt;iframe src="http://testserver/embed?service=ontmoetingsplek&amp;municipality=GM0546" '
            'title="Kaart van bewonersinitiatieven" width="100%" height="400" style="border:0" loading="lazy"'
            '&gt;&lt;/iframe&gt;') in html
    assert "De kaart toont 1 initiatief." in html
    # An unknown height falls back to the default rather than failing.
    assert 'height="500"' in client.get("/insluiten?height=99999").content.decode()


def test_the_builder_counts_what_the_embedded_map_shows(client: Client, leiden):
    make("Gestopte Buurtwinkel Leiden", LEIDEN, status="gestopt", stopped_on=datetime.date(2024, 5, 1),
         stop_reason="menskracht")
    # The embedded map shows running initiatives unless statuses are chosen, and so does the count.
    assert "De kaart toont 1 initiatief." in client.get("/insluiten?municipality=GM0546").content.decode()
    html = client.get("/insluiten?municipality=GM0546&status=actief&status=gestopt").content.decode()
    assert "De kaart toont 2 initiatieven." in html


def test_the_detail_page_has_a_small_map_of_its_location(client: Client, leiden):
    html = client.get("/initiatieven/buurtkamer-de-linde").content.decode()

    assert '<div class="map" id="map_location"' in html
    assert "[52.1601, 4.497]" in html
    assert '"alt": "Buurtkamer De Linde"' in html


def test_an_unknown_page_or_slug_is_a_404_page_of_the_site(client: Client, db):
    make("Elders", UTRECHT)

    for path in ["/initiatieven/bestaat-niet", "/partners/niemand", "/gebieden/GM9999", "/gebieden/PV99", "/niets"]:
        response = client.get(path)
        assert response.status_code == 404, path
        assert response["Content-Type"].startswith("text/html"), path
        html = response.content.decode()
        assert '<html lang="nl">' in html and '<h1 class="utrecht-heading-1">Pagina niet gevonden</h1>' in html, path
        assert 'href="/initiatieven"' in html, path


def test_a_list_without_results_says_so(client: Client, leiden):
    html = client.get("/initiatieven?q=zzzzqqq").content.decode()

    assert "0 initiatieven" in html
    assert "Geen initiatief past bij deze filters." in html


def test_bad_filters_are_named_as_the_form_names_them(client: Client, db):
    html = client.get("/?kind=xyz&bbox=1,2").content.decode()

    assert "<strong>Soort</strong> (<code>kind</code>): Selecteer een geldige keuze. xyz is geen" in html
    assert "<strong>bbox</strong>: Verwacht 4 getallen" in html


LEGEND = re.compile(r'<section class="legend".*?</section>', re.S)


def test_the_legend_shows_each_cluster_colour_and_names_the_status_filter_only_where_there_is_one(
        client: Client, leiden):
    on_the_map = LEGEND.search(client.get("/").text).group(0)
    on_an_area = LEGEND.search(client.get("/gebieden/GM0546").text).group(0)

    # The three colours the map draws (registry/site/static/registry/map.js: under 10, under 100, more).
    assert re.findall(r'marker-cluster (marker-cluster-\w+)"><span>', on_the_map) == [
        "marker-cluster-small", "marker-cluster-medium", "marker-cluster-large"]
    assert "groen: minder dan 10, geel: 10 tot 99, oranje: 100 of meer" in on_the_map
    assert "Een gestopt initiatief (te zien als u gestopte meeneemt onder Status)." in on_the_map
    # An area's map shows every status, and has no Status filter to point to.
    assert "Een gestopt initiatief.</li>" in on_an_area and "onder Status" not in on_an_area
