"""The search box's suggestions (registry/suggest.js) in a real browser, with the keyboard only:
an ARIA combobox whose options are grouped places, services and initiatives; axe finds nothing."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

from tests.browser.conftest import Site, axe_violations

BOX = "#filter-q"


def options(page: Any) -> list[str]:
    return page.locator("#filter-q-suggestions [role=option] .suggestion-label").all_inner_texts()


def type_and_wait(page: Any, text: str) -> None:
    page.locator(BOX).focus()
    page.keyboard.type(text, delay=20)
    page.wait_for_function("() => document.querySelector('#filter-q').getAttribute('aria-expanded') === 'true'")


def type_until_first(page: Any, text: str, first: str) -> None:
    """Type the text, and wait until the first option is `first` (an answer to the text's beginning may
    come before the answer to all of it)."""
    type_and_wait(page, text)
    page.wait_for_function("first => document.querySelector('#filter-q-suggestions .suggestion-label')"
                           "?.textContent === first", arg=first)


def answer_late(page: Any, address_part: str, ms: int) -> None:
    """Every fetch of an address holding `address_part` answers `ms` milliseconds late."""
    page.add_init_script("""(([part, ms]) => {
        const fetchNow = window.fetch;
        window.fetch = (url, options) => String(url).includes(part)
            ? new Promise(resolve => setTimeout(resolve, ms)).then(() => fetchNow(url, options))
            : fetchNow(url, options);
    })(""" + json.dumps([address_part, ms]) + ");")


def active_option(page: Any) -> str:
    return page.evaluate("""() => {
        const id = document.querySelector('#filter-q').getAttribute('aria-activedescendant');
        const option = id && document.getElementById(id);
        return option && option.getAttribute('aria-selected') === 'true'
            ? option.querySelector('.suggestion-label').textContent : null; }""")


def test_the_box_suggests_grouped_options_and_the_keyboard_chooses_a_service(page: Any, site: Site):
    page.goto(site("/initiatieven"))
    box = page.locator(BOX)
    assert box.get_attribute("role") == "combobox" and box.get_attribute("aria-expanded") == "false"
    assert box.get_attribute("aria-controls") == "filter-q-suggestions"

    type_until_first(page, "dorpsh", "Dorpshuis of buurthuis")
    groups = page.locator("#filter-q-suggestions [role=group]")
    headings = [groups.nth(i).locator(".suggestion-heading").inner_text() for i in range(groups.count())]
    assert headings[:2] == ["Voorzieningen", "Initiatieven"]
    assert options(page)[0] == "Dorpshuis of buurthuis"
    assert page.locator("#filter-q-status").inner_text().endswith("Kies met de pijltjestoetsen.")
    assert axe_violations(page) == []  # with the list open

    page.keyboard.press("ArrowDown")
    assert active_option(page) == "Dorpshuis of buurthuis"
    assert page.evaluate("() => document.activeElement.id") == "filter-q"  # the focus stays in the box
    page.keyboard.press("ArrowDown")
    assert active_option(page) == options(page)[1]
    page.keyboard.press("ArrowUp")
    page.keyboard.press("Enter")

    page.wait_for_url("**/initiatieven?*")
    assert parse_qs(urlsplit(page.url).query)["service"] == ["dorpshuis-buurthuis"]
    assert page.locator("input[type=checkbox][name=service][value=dorpshuis-buurthuis]").is_checked()


def test_escape_closes_the_list_and_enter_then_searches_the_text(page: Any, site: Site):
    page.goto(site("/initiatieven"))
    type_and_wait(page, "dorpshuizen")
    page.keyboard.press("ArrowDown")
    page.keyboard.press("Escape")
    assert page.locator(BOX).get_attribute("aria-expanded") == "false"
    assert page.locator("#filter-q-suggestions").is_hidden()
    assert page.locator(BOX).get_attribute("aria-activedescendant") is None
    page.keyboard.press("Enter")
    page.wait_for_url("**/initiatieven?q=dorpshuizen*")
    assert "Dorpshuis" in page.locator(".results").inner_text()


def test_choosing_an_initiative_opens_its_page(page: Any, site: Site):
    page.goto(site("/initiatieven"))
    type_and_wait(page, site.sample.name)
    # Until the answer to the whole name is in (an answer to its beginning may have come first).
    page.wait_for_function("""name => [...document.querySelectorAll('#filter-q-suggestions .suggestion-label')]
        .some(label => label.textContent === name)""", arg=site.sample.name)
    labels = options(page)
    index = labels.index(site.sample.name)
    for _ in range(index + 1):
        page.keyboard.press("ArrowDown")
    assert active_option(page) == site.sample.name
    page.keyboard.press("Enter")
    page.wait_for_url(f"**/initiatieven/{site.sample.slug}")


def test_choosing_a_place_moves_the_map(page: Any, site: Site):
    page.goto(site("/"))
    page.wait_for_function("() => !document.getElementById('map_initiatives').hasAttribute('aria-busy')")
    type_until_first(page, "Leiden", "Leiden")
    # The map searches as the box is typed in: now only what "Leiden" finds.
    page.wait_for_function("n => document.getElementById('map-count').dataset.count !== String(n)",
                           arg=site.running)
    page.keyboard.press("ArrowDown")
    page.keyboard.press("Enter")
    page.wait_for_function("() => map_initiatives.getZoom() >= 11")
    center = page.evaluate("() => map_initiatives.getCenter()")
    assert abs(center["lat"] - 52.16) < 0.05 and abs(center["lng"] - 4.49) < 0.05
    assert page.locator(BOX).input_value() == ""
    # The typed place filtered the map while it was typed; once chosen, the map shows everything there
    # (running initiatives, the map's default).
    page.wait_for_function("n => document.getElementById('map-count').dataset.count === String(n)",
                           arg=site.running)
    # And it stays there: the reload without the text does not fit the view to the whole country.
    for wait in (0, 700):  # the typing's own reload came 400 ms after the last key
        page.wait_for_timeout(wait)
        assert page.evaluate("() => map_initiatives.getZoom()") >= 11
        center = page.evaluate("() => map_initiatives.getCenter()")
        assert abs(center["lat"] - 52.16) < 0.05 and abs(center["lng"] - 4.49) < 0.05
    assert axe_violations(page) == []


@pytest.mark.parametrize(("typed", "first", "area", "code"), [
    ("Leiden", "Leiden", "municipality", "GM0546"), ("Zuid-Holl", "Zuid-Holland", "province", "PV28")])
def test_choosing_a_municipality_or_province_on_the_list_shows_what_is_in_it(page: Any, site: Site, typed: str,
                                                                            first: str, area: str, code: str):
    # An earlier area, point and radius go.
    page.goto(site("/initiatieven?municipality=GM0344&province=PV26&near=4.8,53.05&radius=2000"))
    type_until_first(page, typed, first)
    page.keyboard.press("ArrowDown")
    page.keyboard.press("Enter")
    page.wait_for_url(f"**/initiatieven?*{area}={code}*")
    query = parse_qs(urlsplit(page.url).query)
    other = {"municipality": "province", "province": "municipality"}[area]
    assert query[area] == [code] and not query.get(other, [""])[0] and not query.get("q", [""])[0]
    assert "near" not in query and "radius" not in query
    assert page.locator(f"select[name={area}]").input_value() == code
    count = {"municipality": site.by_municipality, "province": site.by_province}[area][code]
    assert page.locator(".count").inner_text().startswith(f"{count} initiatie")


def test_a_second_escape_empties_the_box_and_forgets_its_suggestions(page: Any, site: Site):
    page.goto(site("/initiatieven"))
    type_and_wait(page, "dorpsh")
    status = page.locator("#filter-q-status")
    assert "suggesties" in status.inner_text()
    page.keyboard.press("Escape")
    page.keyboard.press("Escape")
    assert page.locator(BOX).input_value() == ""
    page.keyboard.press("ArrowDown")
    assert page.locator(BOX).get_attribute("aria-expanded") == "false"
    assert options(page) == []
    assert page.locator(BOX).get_attribute("aria-activedescendant") is None
    # Nothing offered, nothing said: typing the same text again is announced anew.
    assert status.inner_text() == ""


def test_a_late_answer_to_an_earlier_text_is_dropped(page: Any, site: Site):
    # The answer for "da" comes after the visitor has taken a letter away again.
    answer_late(page, "q=da", 700)
    page.goto(site("/initiatieven"))
    page.locator(BOX).focus()
    page.keyboard.type("da", delay=20)
    page.wait_for_timeout(250)  # asked (150 ms after the last key), not yet answered
    page.keyboard.press("Backspace")
    page.wait_for_timeout(1000)
    assert page.locator(BOX).input_value() == "d"
    assert page.locator(BOX).get_attribute("aria-expanded") == "false"
    assert options(page) == []


def test_an_answer_still_to_come_when_the_text_is_searched_does_not_reopen_the_list(page: Any, site: Site):
    # On the map the search runs in the page and the box keeps the focus: an answer that arrives after
    # Enter must not cover the results (and the places offered under the box).
    answer_late(page, "suggesties", 400)
    page.goto(site("/"))
    page.locator(BOX).focus()
    page.keyboard.type("Bergen", delay=10)
    page.keyboard.press("Enter")  # before the box has asked for suggestions, or heard back
    page.wait_for_timeout(1200)

    assert page.locator(BOX).get_attribute("aria-expanded") == "false"
    assert options(page) == [] and page.evaluate("() => document.activeElement.id") == "filter-q"


def test_a_typo_is_offered_as_did_you_mean(page: Any, site: Site):
    page.goto(site("/initiatieven"))
    type_and_wait(page, "dorpshuys")
    page.wait_for_function("() => document.querySelector('#filter-q-suggestions .suggestion-heading')"
                           ".textContent === 'Bedoelde u'")
    assert page.locator("#filter-q-suggestions .suggestion-heading").first.inner_text() == "Bedoelde u"
    page.keyboard.press("ArrowDown")
    page.keyboard.press("Enter")
    page.wait_for_url("**/initiatieven?q=dorpshuis*")


def test_choosing_a_place_on_the_list_shows_what_is_around_it_nearest_first(page: Any, site: Site):
    page.goto(site("/initiatieven?municipality=GM0546&ordering=name"))  # another municipality, another order
    type_until_first(page, "Den Burg", "Den Burg")
    page.keyboard.press("ArrowDown")
    page.keyboard.press("Enter")
    page.wait_for_url("**/initiatieven?*near=*")
    query = parse_qs(urlsplit(page.url).query)
    lon, lat = map(float, query["near"][0].split(","))
    assert abs(lon - 4.80) < 0.05 and abs(lat - 53.05) < 0.05
    assert not query.get("q", [""])[0] and not query.get("municipality", [""])[0] and "ordering" not in query
    assert query["radius"] == ["25000"]  # a village's region, not the API's 5 km default
    assert page.locator("#sort").input_value() == ""  # the default: nearest first
    assert "Afstand" in page.locator("#sort option:checked").inner_text()
    # Said above the results, since no control shows the point; and the way back to everywhere.
    note = page.locator(".near-note")
    assert note.inner_text() == "Dichtstbij Den Burg eerst, tot 25 km ver. Overal zoeken"
    note.get_by_role("link", name="Overal zoeken").click()
    page.wait_for_url("**/initiatieven?*")
    assert not {"near", "radius", "nearName"} & set(parse_qs(urlsplit(page.url).query))
    assert page.locator(".near-note").count() == 0


def test_the_map_says_did_you_mean_for_what_is_typed_now(page: Any, site: Site):
    page.goto(site("/?q=amsterdm"))
    page.wait_for_function("() => !document.getElementById('map-did-you-mean').hidden")
    hint = page.locator("#map-did-you-mean")
    assert hint.locator("a").inner_text() == "amsterdam"
    assert parse_qs(urlsplit(hint.locator("a").get_attribute("href")).query)["q"] == ["amsterdam"]
    box = page.locator(BOX)
    box.fill("")
    box.focus()
    page.keyboard.type("dorpshuis", delay=20)  # a known word: nothing to correct
    page.wait_for_function("() => document.getElementById('map-did-you-mean').hidden")
    box.fill("")
    box.focus()
    page.keyboard.type("dorpshuys", delay=20)
    page.wait_for_function("() => !document.getElementById('map-did-you-mean').hidden")
    link = hint.locator("a")
    assert link.inner_text() == "dorpshuis"
    assert parse_qs(urlsplit(link.get_attribute("href")).query)["q"] == ["dorpshuis"]
    assert axe_violations(page) == []


def test_the_embed_builder_takes_a_place_as_its_search_and_drops_an_earlier_area(page: Any, site: Site):
    # Its map cannot keep a point (the code it hands out has the site's filters only).
    page.goto(site("/insluiten?municipality=GM0546"))
    type_until_first(page, "Den Burg", "Den Burg")
    page.keyboard.press("ArrowDown")
    page.keyboard.press("Enter")
    page.wait_for_url("**/insluiten?*q=Den+Burg*")
    query = parse_qs(urlsplit(page.url).query)
    assert not query.get("municipality", [""])[0] and "near" not in query


def test_a_postcode_typed_in_the_maps_search_box_is_offered_as_a_place_to_go_to(page: Any, site: Site):
    # Typed and sent without choosing the suggestion: the text alone finds no initiative.
    page.goto(site("/?q=2311"))
    page.wait_for_function("() => !document.getElementById('map-places').hidden")
    hint = page.locator("#map-places")
    assert hint.inner_text() == "Zoekt u een plaats? 2311 (postcode, Leiden)"
    assert page.locator("#map-count").get_attribute("data-count") == "0"
    # Also where a phone shows "nothing found", its filters (and the box) folded away.
    assert page.locator("#map-empty [data-places-offer]").inner_text() == "Zoekt u een plaats? 2311 (postcode, Leiden)"
    link = hint.get_by_role("link", name="2311")
    address = urlsplit(link.get_attribute("href"))
    assert ("q" not in parse_qs(address.query), address.fragment.split("/")[0]) == (True, "14")

    link.click()
    page.wait_for_function("() => map_initiatives.getZoom() === 14")
    # The link went with the text: the keyboard goes on from the map.
    assert page.evaluate("() => document.activeElement.id") == "map_initiatives"
    center = page.evaluate("() => map_initiatives.getCenter()")
    assert abs(center["lat"] - 52.16) < 0.02 and abs(center["lng"] - 4.49) < 0.02
    assert page.locator(BOX).input_value() == ""
    page.wait_for_function("n => document.getElementById('map-count').dataset.count === String(n)",
                           arg=site.running)
    page.wait_for_function("() => document.getElementById('map-places').hidden")
    assert "q=" not in urlsplit(page.url).query
    assert axe_violations(page) == []


def test_a_place_typed_in_the_maps_search_box_is_offered_while_it_is_typed(page: Any, site: Site):
    page.goto(site("/"))
    page.wait_for_function("() => !document.getElementById('map_initiatives').hasAttribute('aria-busy')")
    type_and_wait(page, "Leiden")
    page.keyboard.press("Escape")  # the suggestions closed: what the text alone finds, and the offer
    page.wait_for_function("() => !document.getElementById('map-places').hidden")
    assert page.locator("#map-places").inner_text() == "Zoekt u een plaats? Leiden (gemeente, Zuid-Holland)"
    page.locator("#map-places").get_by_role("link", name="Leiden").click()
    page.wait_for_function("() => map_initiatives.getZoom() === 11")
    assert page.locator(BOX).input_value() == ""


def test_a_postcode_searched_on_the_list_leads_to_what_is_around_it(page: Any, site: Site):
    page.goto(site("/initiatieven?q=2311&service=dorpshuis-buurthuis&page=2"))
    hint = page.locator(".places-meant")
    assert hint.inner_text() == "Zoekt u een plaats? 2311 (postcode, Leiden)"

    hint.get_by_role("link", name="2311").click()
    page.wait_for_url("**/initiatieven?*near=*")
    query = parse_qs(urlsplit(page.url).query)
    lon, lat = map(float, query["near"][0].split(","))
    assert abs(lon - 4.49) < 0.02 and abs(lat - 52.16) < 0.02
    assert (query["radius"], query["service"], "q" in query, "page" in query) == (
        ["25000"], ["dorpshuis-buurthuis"], False, False)
    assert page.locator(".near-note").inner_text() == "Dichtstbij 2311 eerst, tot 25 km ver. Overal zoeken"
    assert page.locator(".places-meant").count() == 0
