"""The public map in a real browser: clusters from the data, filters in the address, place search,
near me, popups and the keyboard."""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import parse_qs, urlsplit

from tests.browser.conftest import Site, axe_violations

# Initiatives in the clusters and single markers that the map shows.
SHOWN = """[...document.querySelectorAll('#map_initiatives .leaflet-marker-icon')].reduce(
    (total, icon) => total + (icon.classList.contains('marker-cluster') ? Number(icon.dataset.count) : 1), 0)"""


# The map's zoom and centre, to the 5 decimals the address keeps (to 4, a centre such as 4.999845
# reads 4.9998 before and 4.9999 after the round trip through 4.99985).
VIEW = ("(() => { const c = map_initiatives.getCenter(); "
        "return [map_initiatives.getZoom(), c.lat.toFixed(5), c.lng.toFixed(5)]; })()")


def wait_for_count(page: Any, count: int) -> None:
    page.wait_for_function("n => document.getElementById('map-count').dataset.count === String(n) "
                           "&& !document.getElementById('map_initiatives').hasAttribute('aria-busy')", arg=count)


def wait_until_shown(page: Any, count: int) -> None:
    """Until the clusters and markers add up to `count` (the view's tiles arrive one by one, so the
    icons settle a moment after the count)."""
    page.wait_for_function(f"n => ({SHOWN}) === n", arg=count)


def test_the_map_clusters_every_published_initiative(page: Any, site: Site):
    page.goto(site("/"))
    wait_for_count(page, site.running)

    wait_until_shown(page, site.running)  # the whole country is in view
    assert page.locator(".marker-cluster").count() > 0
    assert page.locator("#map-count").inner_text() == f"{site.running} initiatieven"
    assert "Kadaster" in page.locator(".leaflet-control-attribution").inner_text()
    assert page.evaluate("() => [...document.querySelectorAll('img.leaflet-tile')].every("
                         "img => img.src.includes('/test-tiles/'))")


def test_a_filter_changes_the_count_the_markers_and_the_address(page: Any, site: Site):
    province, expected = max(site.running_by_province.items(), key=lambda item: item[1])
    page.goto(site("/"))
    wait_for_count(page, site.running)

    page.select_option("#id_province", province)
    wait_for_count(page, expected)

    wait_until_shown(page, expected)  # the map fitted itself to the province
    offered = page.evaluate("() => [...document.querySelectorAll('#id_municipality option')]"
                            ".filter(o => o.value && !o.disabled).map(o => o.dataset.province)")
    assert offered and set(offered) == {province}  # only the province's municipalities remain
    address = urlsplit(page.url)
    assert parse_qs(address.query) == {"province": [province]}
    assert re.fullmatch(r"\d+/\d+\.\d+/\d+\.\d+", address.fragment)
    # The list shows every status by default: the link names the map's (running only).
    assert page.locator("#list-link").get_attribute("href") == f"/initiatieven?status=actief&province={province}"

    # The link reproduces the view: the same filter, count and map position.
    page.wait_for_function(f"() => location.hash.startsWith('#' + {VIEW}[0] + '/')")
    view = page.evaluate(f"() => {VIEW}")
    again = page.context.new_page()
    again.goto(page.url)
    wait_for_count(again, expected)
    assert again.locator("#id_province").input_value() == province
    assert again.evaluate(f"() => {VIEW}") == view
    again.close()


def test_checking_a_service_and_free_text_narrow_the_map(page: Any, site: Site):
    sample = site.sample
    page.goto(site("/"))
    wait_for_count(page, site.running)

    page.fill("#filter-q", sample.name)
    wait_for_count(page, 1)

    assert "q=" in page.url
    page.wait_for_function("() => location.hash.startsWith('#13/')")  # zoomed in on the one result
    page.locator(".leaflet-marker-icon:not(.marker-cluster)").first.click()
    popup = page.locator(".leaflet-popup-content")
    popup.wait_for()
    assert sample.name in popup.inner_text()
    assert sample.kind.label_nl in popup.inner_text()
    link = popup.locator("a")
    assert link.get_attribute("href") == f"/initiatieven/{sample.slug}"
    link.click()
    page.wait_for_url(site(f"/initiatieven/{sample.slug}"))
    assert page.locator("h1").inner_text() == sample.name


def count_on_map(page: Any) -> int:
    page.wait_for_function("() => document.getElementById('map-count').dataset.count !== '' "
                           "&& !document.getElementById('map_initiatives').hasAttribute('aria-busy')")
    return int(page.locator("#map-count").get_attribute("data-count"))


def test_while_typing_the_last_word_is_a_beginning(page: Any, site: Site):
    # "village sh": the services' label "Village or neighbourhood shop" has "village" and a word that
    # begins with "sh"; as a whole word "sh" is in nothing.
    page.goto(site("/?q=village+sh"))
    assert count_on_map(page) == 0
    page.goto(site("/?q=village+sh*"))
    beginning = count_on_map(page)
    assert 0 < beginning < site.running

    page.goto(site("/"))
    wait_for_count(page, site.running)
    box = page.locator("#filter-q")
    box.press_sequentially("village sh", delay=30)
    wait_for_count(page, beginning)
    # The address keeps the text as typed; leaving the box (a "change") or Enter reloads nothing.
    assert parse_qs(urlsplit(page.url).query)["q"] == ["village sh"]
    box.press("Escape")
    box.press("Enter")
    page.locator("#map_initiatives").click(position={"x": 5, "y": 5})
    page.wait_for_timeout(600)
    assert count_on_map(page) == beginning
    # "Show as a list" lists what the map shows.
    page.click("#list-link")
    page.wait_for_url("**/initiatieven?**")
    assert parse_qs(urlsplit(page.url).query)["q"] == ["village sh*"]
    assert page.locator("p.count").inner_text() == f"{beginning} initiatieven"
    page.go_back()

    # Enter at once, before the typing's reload, reads the text the same way.
    page.goto(site("/"))
    wait_for_count(page, site.running)
    box.press_sequentially("village sh")
    box.press("Enter")
    wait_for_count(page, beginning)
    # So does a box ticked after typing.
    page.locator("input[name=status][value=gestopt]").check()
    page.wait_for_function("() => new URLSearchParams(location.search).getAll('status').length === 2")
    assert 0 < count_on_map(page) >= beginning


def test_place_search_and_near_me_move_the_map(page: Any, site: Site):
    page.goto(site("/"))
    wait_for_count(page, site.running)

    page.fill("#place-query", "Leiderd")
    page.click("#place-search button[type=submit]")
    page.wait_for_function("() => map_initiatives.getZoom() === 11")
    centre = page.evaluate("() => map_initiatives.getCenter()")
    assert abs(centre["lat"] - 52.157) < 0.05 and abs(centre["lng"] - 4.543) < 0.05  # Leiderdorp

    # What was said of the place gone to goes when the filters change what the map shows.
    assert page.locator("#map-status").inner_text() == "Leiderdorp (gemeente, Zuid-Holland)"
    page.locator("#filter-q").fill("dorpshuis")
    page.locator("#filter-q").press("Enter")
    page.wait_for_function("() => document.getElementById('map-status').textContent === ''")

    page.fill("#place-query", "Den")
    page.click("#place-search button[type=submit]")
    page.locator("#place-results button").first.wait_for()
    assert page.evaluate("() => document.activeElement.closest('#place-results') !== null")
    assert page.locator("#place-results button").count() > 1
    # Dropped down over the map, which stays where it was; Escape folds the list back to the box.
    map_top = page.locator("#map_initiatives").bounding_box()["y"]
    page.fill("#place-query", "Bergen")
    page.click("#place-search button[type=submit]")
    page.locator("#place-results li:nth-child(8) button").wait_for()
    assert page.locator("#map_initiatives").bounding_box()["y"] == map_top
    page.keyboard.press("Escape")
    assert page.locator("#place-results button").count() == 0
    assert page.evaluate("() => document.activeElement.id") == "place-query"
    # Chosen with the mouse: the list goes, the map moves, and the keyboard goes on from the map.
    page.click("#place-search button[type=submit]")
    page.locator("#place-results li:nth-child(2) button").click()
    assert page.locator("#place-results button").count() == 0
    assert page.evaluate("() => document.activeElement.id") == "map_initiatives"
    assert page.locator("#map-status").inner_text() == "Bergen (NH.) (gemeente, Noord-Holland)"

    page.click("#near-me")  # the browser context reports Leiden's Pieterskerk
    # Polled from here: Chromium answers the emulated position only while the page is left alone.
    for _ in range(60):
        page.wait_for_timeout(250)
        if not page.locator("#map-status").inner_text().endswith("…"):
            break
    assert page.locator("#map-status").inner_text() == "U bent hier"
    page.wait_for_function("() => map_initiatives.getZoom() === 13")
    centre = page.evaluate("() => map_initiatives.getCenter()")
    assert abs(centre["lat"] - 52.1601) < 0.001 and abs(centre["lng"] - 4.4970) < 0.001
    # Drawn above the markers and clusters (their pane is at 600) and below the tooltips (650).
    assert page.evaluate("""() => { const pane = document.querySelector('.leaflet-here-pane');
        return [getComputedStyle(pane).zIndex, pane.querySelectorAll("path").length]; }""") == ["625", 1]

    # Refused: said in Dutch, not in the browser's English ("User denied Geolocation").
    page.context.clear_permissions()
    page.click("#near-me")
    for _ in range(60):
        page.wait_for_timeout(250)
        if not page.locator("#map-status").inner_text().endswith("…"):
            break
    assert page.locator("#map-status").inner_text() == (
        "Uw locatie is niet beschikbaar: u heeft deze site geen toestemming gegeven")


def test_the_map_is_usable_with_the_keyboard(page: Any, site: Site):
    page.goto(site("/"))
    wait_for_count(page, site.running)

    page.focus("#map_initiatives")
    before = page.evaluate("() => map_initiatives.getCenter()")
    page.keyboard.press("ArrowRight")
    page.wait_for_timeout(500)
    after = page.evaluate("() => map_initiatives.getCenter()")
    assert after["lng"] > before["lng"]

    cluster = page.locator(".marker-cluster").first
    zoom = page.evaluate("() => map_initiatives.getZoom()")
    cluster.focus()
    page.keyboard.press("Enter")
    page.wait_for_function("z => map_initiatives.getZoom() > z", arg=zoom)
    assert page.evaluate("() => document.activeElement.id") == "map_initiatives"  # not lost to <body>

    # Tab goes through every marker in view once, without moving the map, then on to the controls.
    page.wait_for_function("() => location.hash.startsWith('#' + map_initiatives.getZoom() + '/')")  # redrawn
    # The new zoom's tiles arrive one by one (each adds its markers): until the last is in.
    page.wait_for_function("() => !document.getElementById('map_initiatives').hasAttribute('aria-busy')")
    markers = page.locator("#map_initiatives .leaflet-marker-icon").count()
    centre = page.evaluate("() => map_initiatives.getCenter()")
    for _ in range(markers):
        page.keyboard.press("Tab")
        assert page.evaluate("() => document.activeElement.classList.contains('leaflet-marker-icon')")
    page.keyboard.press("Tab")
    assert page.evaluate("() => document.activeElement.classList.contains('leaflet-control-zoom-in')")
    assert page.evaluate("() => map_initiatives.getCenter()") == centre


def test_a_popup_opened_with_the_keyboard_takes_the_focus_and_escape_gives_it_back(page: Any, site: Site):
    page.goto(site("/?q=" + site.sample.name.replace(" ", "+")))
    wait_for_count(page, 1)
    marker = page.locator(".leaflet-marker-icon:not(.marker-cluster)")

    marker.focus()
    page.keyboard.press("Enter")
    page.locator(".leaflet-popup-content").wait_for()
    assert page.evaluate("() => document.activeElement.closest('.popup') !== null")
    assert page.locator(".leaflet-popup-close-button").get_attribute("aria-label") == "Sluiten"

    page.keyboard.press("Escape")
    page.wait_for_function("() => !document.querySelector('.leaflet-popup')")
    assert page.evaluate("() => document.activeElement.classList.contains('leaflet-marker-icon')")


def test_the_language_switch_keeps_the_filters_and_the_view(page: Any, site: Site):
    province, expected = max(site.running_by_province.items(), key=lambda item: item[1])
    page.goto(site("/"))
    wait_for_count(page, site.running)
    page.select_option("#id_province", province)
    wait_for_count(page, expected)
    page.wait_for_function(f"() => location.hash.startsWith('#' + {VIEW}[0] + '/')")
    view = page.evaluate(f"() => {VIEW}")

    page.select_option("#language", "en")
    page.click(".language button")
    page.wait_for_url(lambda url: f"province={province}" in url)
    wait_for_count(page, expected)

    assert page.locator("html").get_attribute("lang") == "en"
    assert page.evaluate(f"() => {VIEW}") == view


def test_a_bad_filter_in_the_address_is_explained_and_left_out(page: Any, site: Site):
    response = page.goto(site("/?kind=vliegveld&province=PV99"))

    assert response.status == 400
    errors = page.locator(".errors").inner_text()
    assert "vliegveld is geen beschikbare keuze" in errors and "PV99" in errors
    wait_for_count(page, site.running)  # the form cannot hold the bad values: the map shows all running ones



def test_the_map_page_has_no_serious_accessibility_violations(page: Any, site: Site):
    page.goto(site("/"))
    wait_for_count(page, site.running)

    assert axe_violations(page) == []


def test_an_unconfirmed_initiative_is_faded_on_the_map_and_says_since_when(page: Any, site: Site):
    from registry.models import Initiative, Status

    # Running (the map's default) and the only one the search finds by its name.
    running = Initiative.objects.published().filter(status=Status.ACTIVE)
    stale = next(record for record in running.stale().order_by("pk") if running.search(record.name).count() == 1)
    page.goto(site("/?q=" + stale.name.replace(" ", "+")))
    wait_for_count(page, 1)
    marker = page.locator(".leaflet-marker-icon:not(.marker-cluster)")
    assert marker.evaluate("icon => getComputedStyle(icon).opacity") == "0.45"
    assert page.locator(".legend-icon.marker-faded").evaluate("icon => getComputedStyle(icon).opacity") == "0.45"
    marker.focus()
    page.keyboard.press("Enter")
    note = page.locator(".leaflet-popup-content .stale-mark").inner_text()
    # In the words and the date format of the list and the initiative's page.
    from django.utils import formats, translation

    with translation.override("nl"):
        expected = ("Nooit gecontroleerd" if stale.last_verified_on is None else
                    "Niet gecontroleerd sinds " + formats.date_format(stale.last_verified_on, "j F Y"))
    assert note == expected
