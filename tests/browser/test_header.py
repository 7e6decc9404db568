"""The site's header: one row on a desktop (name, menu and language switch side by side, from 1024 px
on), and on a phone the rows it had (the name, the menu, the language switch below)."""

from __future__ import annotations

from typing import Any

import pytest

from tests.browser.conftest import PHONE, Site, checked_page

BOXES = """() => Object.fromEntries(['.site-header', '.site-name', '.site-header nav', '.language',
    '.site-header nav li:last-child'].map(s => { const r = document.querySelector(s).getBoundingClientRect();
    return [s, {top: r.top, bottom: r.bottom, left: r.left, right: r.right, height: r.height}]; }))"""


def in_english(page: Any) -> None:
    page.select_option("#language", "en")
    page.click(".language button")
    page.wait_for_load_state()


def beside(a: dict, b: dict) -> bool:
    """Side by side: b starts right of a and their heights overlap (one row, not two)."""
    return b["left"] >= a["right"] and a["top"] < b["bottom"] and b["top"] < a["bottom"]


@pytest.mark.parametrize("width", [1280, 1024])
def test_on_a_desktop_the_header_is_one_row_in_either_language(browser: Any, site: Site, width: int):
    with checked_page(browser, site, viewport={"width": width, "height": 800}) as page:
        for language in ("nl", "en"):
            page.goto(site("/over"))
            if language == "en":
                in_english(page)
            assert page.locator("html").get_attribute("lang") == language
            box = page.evaluate(BOXES)
            header, name, nav, switch = (box[".site-header"], box[".site-name"], box[".site-header nav"],
                                         box[".language"])

            assert beside(name, nav) and beside(nav, switch), (language, box)
            # The switch ends at the header's right edge (less its padding), not on a row below.
            assert header["right"] - switch["right"] <= 24.5, (language, box)
            # Two lines of the name, or of the menu, and the padding: no second row of controls.
            assert header["height"] <= 110, (language, box)
            assert page.evaluate("() => document.documentElement.scrollWidth <= window.innerWidth")
            if width == 1280:  # room for the whole menu on one line
                assert box[".site-header nav li:last-child"]["top"] - nav["top"] < 5, (language, box)


def test_on_a_phone_the_header_keeps_its_rows(browser: Any, site: Site):
    with checked_page(browser, site, **PHONE) as page:
        page.goto(site("/over"))
        box = page.evaluate(BOXES)
        name, nav, switch = box[".site-name"], box[".site-header nav"], box[".language"]

        assert nav["top"] >= name["bottom"] and switch["top"] >= nav["bottom"], box
        assert name["left"] == nav["left"] == switch["left"] == 16, box  # each row starts at the padding
        assert page.evaluate("() => document.documentElement.scrollWidth <= window.innerWidth")
