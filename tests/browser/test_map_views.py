"""The map per view on a phone and a desktop: one finger scrolls the page, the filters fold away,
open, apply and reset, the count stays in view, statuses have their own markers, and the list beside
the map shows what the clusters in view hold."""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import urlsplit

import pytest

from registry.models import Initiative, Status
from tests.browser.conftest import DESKTOP, EVERY_IMPACT, PHONE, Site, axe_violations, checked_page
from tests.browser.test_map import SHOWN, VIEW, wait_for_count, wait_until_shown


@pytest.fixture
def phone(browser: Any, site: Site) -> Any:
    with checked_page(browser, site, **PHONE) as opened:
        yield opened


@pytest.fixture
def desktop(browser: Any, site: Site) -> Any:
    with checked_page(browser, site, **DESKTOP) as opened:
        yield opened


def in_viewport(page: Any, selector: str) -> bool:
    return page.evaluate("""s => { const r = document.querySelector(s).getBoundingClientRect();
                                   return r.top >= 0 && r.bottom <= window.innerHeight && r.height > 0; }""", selector)


def swipe_up(page: Any, x: float, y: float, distance: float) -> None:
    """One finger moved up the screen, as touch events through the browser's own input (so the
    browser scrolls, or the page's script takes the touch)."""
    cdp = page.context.new_cdp_session(page)
    cdp.send("Input.dispatchTouchEvent", {"type": "touchStart", "touchPoints": [{"x": x, "y": y}]})
    for step in range(1, 21):
        cdp.send("Input.dispatchTouchEvent", {"type": "touchMove",
                                              "touchPoints": [{"x": x, "y": y - distance * step / 20}]})
    cdp.send("Input.dispatchTouchEvent", {"type": "touchEnd", "touchPoints": []})
    cdp.detach()


def settled(page: Any) -> None:
    page.wait_for_function("() => !document.getElementById('map_initiatives').hasAttribute('aria-busy')")


def test_one_finger_scrolls_the_page_past_the_map_and_leaves_the_map_alone(phone: Any, site: Site):
    phone.goto(site("/"))
    wait_for_count(phone, site.running)
    view = phone.evaluate(f"() => {VIEW}")
    box = phone.locator("#map_initiatives").bounding_box()
    assert box["y"] < 844  # the map starts on the first screen

    swipe_up(phone, box["x"] + box["width"] / 2, min(box["y"] + 150, 800), 400)

    phone.wait_for_function("() => window.scrollY > 200")
    assert phone.evaluate(f"() => {VIEW}") == view
    assert phone.locator(".touch-help").is_visible()


def test_on_a_phone_the_filters_open_apply_and_reset_with_the_count_in_view(phone: Any, site: Site):
    stopped = Initiative.objects.published().filter(status=Status.STOPPED).count()
    phone.goto(site("/"))
    wait_for_count(phone, site.running)
    toggle = phone.locator("#filters-toggle")
    assert toggle.get_attribute("aria-expanded") == "false" and not phone.locator("#map-filters").is_visible()
    assert in_viewport(phone, "#map-count") and in_viewport(phone, "#place-query")

    toggle.click()
    assert toggle.get_attribute("aria-expanded") == "true"
    stop_box = phone.locator("#map-filters input[name=status][value=gestopt]")
    stop_box.scroll_into_view_if_needed()
    stop_box.check()
    wait_for_count(phone, site.running + stopped)
    assert in_viewport(phone, "#map-count")  # the bar with the count stays on top while filtering
    # Only the count and the buttons: the place search scrolls away with the page (176 px were on top).
    tools = phone.locator(".map-tools").bounding_box()
    assert phone.evaluate("() => window.scrollY") > 300 and (tools["y"], tools["height"] < 110) == (0, True)
    assert in_viewport(phone, "#filters-toggle") and not in_viewport(phone, "#place-query")
    assert "status=actief&status=gestopt" in urlsplit(phone.url).query

    phone.locator("#map-filters [data-reset-filters]").click()
    wait_for_count(phone, site.running)
    assert not stop_box.is_checked()
    assert phone.locator("#map-filters input[name=status][value=actief]").is_checked()
    assert urlsplit(phone.url).query == ""
    assert phone.locator("#map-status").inner_text() == "De filters zijn gewist."


def test_on_a_phone_folding_the_filters_or_showing_them_lands_on_the_map(phone: Any, site: Site):
    phone.goto(site("/"))
    wait_for_count(phone, site.running)
    toggle = phone.locator("#filters-toggle")

    # Scrolled down to the panel's last filters, then folded with the sticky button: the page is
    # shorter now, and the map, not the footer, is what the screen shows.
    toggle.click()
    phone.locator("#map-filters .filter-buttons").scroll_into_view_if_needed()
    toggle.click()
    assert toggle.get_attribute("aria-expanded") == "false"
    assert in_viewport(phone, "#map_initiatives")

    # The panel's own button shows the filtered map.
    toggle.click()
    service = phone.locator("#map-filters input[name=service]").first
    service.scroll_into_view_if_needed()
    service.check()
    phone.locator("#map-filters .filter-buttons button[type=submit]").click()
    assert toggle.get_attribute("aria-expanded") == "false"
    assert in_viewport(phone, "#map_initiatives")

    # Enter in the search box (whose submitter the browser also calls the Show button) keeps the panel
    # open, where the place the text names is offered under the box.
    toggle.click()
    box = phone.locator("#filter-q")
    box.scroll_into_view_if_needed()
    box.fill("3511")
    box.press("Enter")
    phone.locator("#map-places").wait_for()
    assert toggle.get_attribute("aria-expanded") == "true" and phone.locator("#map-places").is_visible()


# Every layout shift of the page, from the start of its load (before its own scripts), with what moved.
LAYOUT_SHIFTS = """window.__shifts = [];
new PerformanceObserver(list => { for (const entry of list.getEntries()) window.__shifts.push({
    value: entry.value, recent: entry.hadRecentInput,
    moved: entry.sources.map(s => s.node ? (s.node.id || s.node.className || s.node.nodeName) : '?')}); })
  .observe({type: 'layout-shift', buffered: true});"""


def test_a_cold_load_on_a_slow_phone_does_not_shift_the_page(browser: Any, site: Site):
    """As a first visit on a slow phone (no cache, a slow line, a 4× slower processor): the page is
    shown while it still arrives, and nothing on it moves once its scripts run (Lighthouse once
    measured a cumulative layout shift of 0.42 on a cold run: the filters, shown open until the
    page's last script folded them, took the map down with them)."""
    with checked_page(browser, site, **PHONE) as phone:
        phone.add_init_script(LAYOUT_SHIFTS)
        cdp = phone.context.new_cdp_session(phone)
        cdp.send("Network.enable")
        cdp.send("Network.setCacheDisabled", {"cacheDisabled": True})
        cdp.send("Network.emulateNetworkConditions", {"offline": False, "latency": 150,
                                                      "downloadThroughput": 200_000, "uploadThroughput": 100_000})
        cdp.send("Emulation.setCPUThrottlingRate", {"rate": 4})
        phone.set_default_timeout(60_000)
        phone.goto(site("/"))
        wait_for_count(phone, site.running)
        phone.wait_for_timeout(500)  # what the count's arrival might still move
        shifts = phone.evaluate("() => window.__shifts")
        cdp.send("Emulation.setCPUThrottlingRate", {"rate": 1})
        cdp.detach()

        assert not phone.locator("#map-filters").is_visible()
        assert phone.locator("#filters-toggle").is_visible()
        assert [shift for shift in shifts if not shift["recent"]] == []


def test_an_empty_result_says_so_on_the_map_with_a_way_back(desktop: Any, site: Site):
    desktop.goto(site("/"))
    wait_for_count(desktop, site.running)
    assert not desktop.locator("#map-empty").is_visible()

    desktop.fill("#filter-q", "zzzgeenresultaatzzz")
    wait_for_count(desktop, 0)
    empty = desktop.locator("#map-empty")
    assert empty.is_visible() and "Geen initiatief past bij deze filters." in empty.inner_text()
    assert desktop.evaluate(f"() => {SHOWN}") == 0

    empty.locator("[data-reset-filters]").click()
    wait_for_count(desktop, site.running)
    assert not empty.is_visible() and desktop.input_value("#filter-q") == ""


def test_tap_targets_are_at_least_44_pixels(phone: Any, site: Site):
    phone.goto(site("/"))
    wait_for_count(phone, site.running)
    phone.locator("#filters-toggle").click()

    small = phone.evaluate("""() => [...document.querySelectorAll(
            'main button, main select, main input:not([type=checkbox]), #map-filters fieldset label,'
            + ' .leaflet-control-zoom a,'
            + ' #map_initiatives .leaflet-marker-icon')]
        .filter(e => e.offsetParent !== null)
        .map(e => [e.id || e.textContent.trim().slice(0, 20) || e.className, e.getBoundingClientRect()])
        .filter(([_, r]) => r.height < 44 || r.width < 44)
        .map(([name, r]) => `${name}: ${Math.round(r.width)}×${Math.round(r.height)}`)""")
    assert small == []


def test_a_stopped_initiative_is_absent_by_default_and_has_its_own_marker_when_included(desktop: Any, site: Site):
    stopped = Initiative.objects.published().filter(status=Status.STOPPED).order_by("pk").first()
    assert stopped is not None
    point = f"{stopped.location.y:.5f}/{stopped.location.x:.5f}"
    desktop.goto(site(f"/#18/{point}"))
    wait_for_count(desktop, site.running)
    settled(desktop)
    assert desktop.locator(f'.leaflet-marker-icon[title="{stopped.name} (Gestopt)"]').count() == 0

    desktop.check("#map-filters input[name=status][value=gestopt]")
    marker = desktop.locator(f'.marker-gestopt[title="{stopped.name} (Gestopt)"]')
    marker.wait_for()
    assert desktop.evaluate(f"() => {VIEW}")[0] == 18  # ticking a box keeps the view
    marker.click()
    popup = desktop.locator(".leaflet-popup-content")
    popup.wait_for()
    assert "Gestopt" in popup.inner_text()
    assert desktop.locator(".legend").inner_text().count("\n") >= 4  # the legend explains every marker


def test_the_list_beside_the_map_holds_what_the_clusters_in_view_hold(desktop: Any, site: Site):
    desktop.goto(site("/"))
    wait_for_count(desktop, site.running)
    wait_until_shown(desktop, site.running)
    list_count = desktop.locator("#map-list-count")
    list_count.filter(has_text=re.compile(r"\d")).wait_for()
    assert list_count.inner_text() == f"In beeld: {site.running} initiatieven"

    sample = site.sample
    desktop.evaluate(f"() => map_initiatives.setView([{sample.location.y}, {sample.location.x}], 14)")
    desktop.wait_for_function("() => location.hash.startsWith('#14/')")
    settled(desktop)
    shown = desktop.evaluate(f"() => {SHOWN}")
    desktop.wait_for_function("n => document.getElementById('map-list-count').textContent"
                              ".startsWith('In beeld: ' + n + ' ')", arg=shown)
    names = desktop.locator("#map-list-items a").all_inner_texts()
    assert sample.name in names
    markers = desktop.evaluate("() => [...document.querySelectorAll('#map_initiatives .marker-point')]"
                               ".map(m => m.title)")
    assert markers and set(markers) <= set(names)


def test_the_list_shows_results_first_and_sorts_on_a_phone(phone: Any, site: Site):
    phone.goto(site("/initiatieven"))
    assert in_viewport(phone, "#sort") and in_viewport(phone, ".results h2")

    phone.select_option("#sort", "foundedYear")
    phone.click(".sort-form button")
    phone.wait_for_url(lambda url: "ordering=foundedYear" in url)

    oldest = Initiative.objects.published().exclude(founded_year=None).order_by("founded_year", "pk").first()
    assert oldest is not None
    assert phone.locator(".results h2").first.inner_text() == oldest.name


def public_pages(site: Site) -> list[str]:
    province = max(site.by_province.items(), key=lambda item: item[1])[0]
    return ["/", "/initiatieven", f"/initiatieven/{site.sample.slug}", "/statistieken", f"/gebieden/{province}",
            "/opendata", "/insluiten", "/aanmelden", "/volgen", "/over", "/contact", "/privacy", "/toegankelijkheid",
            "/licentie"]


@pytest.mark.parametrize("screen", ["phone", "desktop"])
def test_every_public_page_has_no_accessibility_violations_in_either_language(browser: Any, site: Site, screen: str):
    found = {}
    with checked_page(browser, site, **(PHONE if screen == "phone" else DESKTOP)) as page:
        for language in ("nl", "en"):
            if language == "en":
                page.goto(site("/over"))
                page.select_option("#language", "en")
                page.click(".language button")
                page.wait_for_load_state()
            for path in public_pages(site):
                page.goto(site(path))
                if path == "/":
                    wait_for_count(page, site.running)
                elif page.locator("#map_initiatives").count():
                    page.locator("#map_initiatives .leaflet-marker-icon").first.wait_for()
                assert page.locator("html").get_attribute("lang") == language
                violations = axe_violations(page, impacts=EVERY_IMPACT)
                if violations:
                    found[(language, path)] = violations
                # Nothing wider than the screen: no sideways scrolling.
                if not page.evaluate("() => document.documentElement.scrollWidth <= window.innerWidth"):
                    found[(language, path)] = "wider than the screen"
    assert found == {}


def test_on_a_phone_a_place_chosen_in_the_box_shows_the_map_there(phone: Any, site: Site):
    phone.goto(site("/"))
    wait_for_count(phone, site.running)
    phone.locator("#filters-toggle").click()
    box = phone.locator("#filter-q")
    box.scroll_into_view_if_needed()
    box.tap()
    phone.keyboard.type("Leiden", delay=20)
    phone.wait_for_function("() => document.querySelector('#filter-q-suggestions .suggestion-label')"
                            "?.textContent === 'Leiden'")
    phone.locator("#filter-q-suggestions [role=option]").first.tap()
    phone.wait_for_function("() => map_initiatives.getZoom() >= 11")
    # The panel that covered the map is closed and the map that moved is on the screen.
    assert phone.locator("#filters-toggle").get_attribute("aria-expanded") == "false"
    assert in_viewport(phone, "#map_initiatives")
