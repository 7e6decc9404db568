"""The other public pages in a real browser: list, detail, language, statistics and the embed,
each checked with axe-core."""

from __future__ import annotations

from typing import Any

from tests.browser.conftest import Site, axe_violations
from tests.browser.test_map import wait_for_count


def test_the_list_and_detail_pages(page: Any, site: Site):
    sample = site.sample
    page.goto(site("/initiatieven"))

    assert page.locator("p.count").inner_text() == f"{site.published} initiatieven"
    assert axe_violations(page) == []

    page.goto(site(f"/initiatieven/{sample.slug}"))
    assert page.locator("h1").inner_text() == sample.name
    assert sample.kind.label_nl in page.locator(".lead").inner_text()
    page.locator("#map_location .leaflet-marker-icon").wait_for()
    assert page.evaluate("() => { const c = map_location.getCenter(); return [c.lat, c.lng]; }") == [
        sample.location.y, sample.location.x]
    assert axe_violations(page) == []


def test_the_language_switch_turns_the_site_english(page: Any, site: Site):
    page.goto(site("/initiatieven"))
    assert page.locator("html").get_attribute("lang") == "nl"

    page.select_option("#language", "en")
    page.click(".language button")
    page.wait_for_load_state()

    assert page.locator("html").get_attribute("lang") == "en"
    assert page.locator("h1").inner_text() == "Initiatives"
    assert page.locator("p.count").inner_text() == f"{site.published} initiatives"
    page.goto(site("/"))
    wait_for_count(page, site.running)  # the map shows running initiatives by default
    assert page.locator("#map-count").inner_text() == f"{site.running} initiatives"
    assert page.locator("#map-filters legend").first.inner_text() == "Kind"


def test_the_statistics_page(page: Any, site: Site):
    page.goto(site("/statistieken"))

    page.locator("#map_choropleth path.leaflet-interactive").first.wait_for()
    assert page.locator("#map_choropleth path.leaflet-interactive").count() == 342
    assert str(site.published) in page.locator("main").inner_text()
    assert axe_violations(page) == []


def test_the_open_data_page(page: Any, site: Site):
    page.goto(site("/opendata"))

    assert page.locator("h1").inner_text() == "Open data"
    assert page.locator("table.dictionary").count() == 2
    assert axe_violations(page) == []


def test_an_embed_keeps_its_filters_and_only_it_may_be_framed(page: Any, site: Site):
    # The embedded map, as the site's, shows running initiatives unless its filters name statuses.
    municipality, expected = max(site.running_by_municipality.items(), key=lambda item: item[1])
    page.goto(site(f"/insluiten?municipality={municipality}&height=400"))
    code = page.locator("#embed-code").input_value()
    embed_url = site(f"/embed?municipality={municipality}")
    assert code.startswith(f'<iframe src="{embed_url}"') and 'height="400"' in code
    assert axe_violations(page) == []

    # A page of another origin (about:blank here) frames the embed and, in vain, the map page.
    page.set_content(f'<iframe id="embed" src="{embed_url}" title="embed" width="800" height="500"></iframe>'
                     f'<iframe id="home" src="{site("/")}" title="home" width="800" height="500"></iframe>')
    embed = page.frame_locator("#embed")
    embed.locator("#map-count").wait_for()
    frame = next(f for f in page.frames if f.url.startswith(embed_url))
    frame.wait_for_function("n => document.getElementById('map-count').dataset.count === String(n)", arg=expected)
    assert frame.locator("#map-filters").count() == 0  # nothing to change
    assert frame.evaluate("() => new URL(document.querySelector('.map-summary a').href).search") == (
        f"?status=actief&municipality={municipality}")
    home = next((f for f in page.frames if f.url.rstrip("/") == site.url), None)
    assert home is None or home.evaluate("() => document.body === null || document.body.innerText === ''")
    assert page.csp_refusals == [f"Framing '{site.url}/' violates the following Content Security Policy directive: "
                                 "\"frame-ancestors 'none'\". The request has been blocked.\n"]
    page.csp_refusals.clear()


def test_the_api_documentation_works_under_the_content_security_policy(page: Any, site: Site):
    page.goto(site("/api/v1/docs"))

    page.locator(".opblock-summary-path").first.wait_for()
    paths = page.locator(".opblock-summary-path").all_inner_texts()
    assert "/api/v1/initiatives" in paths
    assert "/api/v1/initiatives/{id}" in paths


def test_a_features_page_of_the_ogc_api_fits_a_phone(browser: Any, site: Site):
    from tests.browser.conftest import PHONE, checked_page

    with checked_page(browser, site, **PHONE) as phone:
        phone.goto(site(f"/ogc/v1/collections/initiatives/items/{site.sample.pk}?f=html"))
        # Its two columns wrap within the screen (the CRS's long address once widened the table to
        # 631 pixels, and cut off every value in its scrolled box).
        widths = phone.evaluate("""() => { const box = document.querySelector('.table-scroll');
                                           return [box.scrollWidth, box.clientWidth]; }""")
        assert widths[0] <= widths[1], widths
        assert phone.evaluate("() => document.documentElement.scrollWidth") <= 390
        assert axe_violations(phone) == []


def test_the_ogc_api_items_page_maps_its_features_and_takes_the_maps_view_as_its_box(page: Any, site: Site):
    page.goto(site("/ogc/v1/collections/initiatives/items?f=html&limit=100"))
    markers = page.locator("#map_features path.leaflet-interactive")
    assert markers.count() == 100
    assert axe_violations(page) == []
    # Zoomed in on a part of the country, the map's view becomes the box: fewer features, each in it.
    page.evaluate("() => { const map = Object.values(window).find(v => v instanceof L.Map);"
                  " map.setView([52.1, 5.1], 10, {animate: false}); }")
    with page.expect_navigation():
        page.get_by_role("button", name="Toon wat in het kaartbeeld ligt").click()
    box = [float(value) for value in page.locator("#items-bbox").input_value().split(",")]
    assert box[0] < 5.1 < box[2] and box[1] < 52.1 < box[3], box
    features = page.evaluate("() => JSON.parse(document.getElementById('features-data').textContent)"
                             ".collection.features.map(f => f.geometry.coordinates)")
    assert 0 < len(features) < 100
    assert all(box[0] <= lon <= box[2] and box[1] <= lat <= box[3] for lon, lat in features)
    # A marker leads to its feature's page: one clicked where nothing lies over it (a control, another
    # marker), as a person would.
    page.locator("#map_features").scroll_into_view_if_needed()
    point = page.evaluate("""() => {
      for (const path of document.querySelectorAll('#map_features path.leaflet-interactive')) {
        const box = path.getBoundingClientRect(), x = box.x + box.width / 2, y = box.y + box.height / 2;
        if (document.elementFromPoint(x, y) === path) return [x, y]; } }""")
    assert point is not None
    with page.expect_navigation():
        page.mouse.click(*point)
    assert "/ogc/v1/collections/initiatives/items/" in page.url and "f=html" in page.url
