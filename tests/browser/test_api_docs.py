"""The API's documentation page on a phone and a desktop: within the screen's width, with a way
back to the site (issue 14)."""

from __future__ import annotations

from typing import Any

import pytest

from tests.browser.conftest import DESKTOP, PHONE, Site, checked_page

OVERFLOW = "() => document.documentElement.scrollWidth - document.documentElement.clientWidth"


@pytest.mark.parametrize("screen", ["phone", "desktop"])
def test_the_api_documentation_fits_the_screen_and_leads_back_to_the_site(browser: Any, site: Site, screen: str):
    with checked_page(browser, site, **(PHONE if screen == "phone" else DESKTOP)) as page:
        page.goto(site("/api/v1/docs"))
        page.locator(".opblock-summary-path").first.wait_for()
        assert page.locator("html").get_attribute("lang") == "nl"
        assert page.evaluate(OVERFLOW) == 0

        # The widest parts: an operation opened, with its table of parameters and a tried answer.
        listing = page.locator(".opblock-summary", has=page.locator(".opblock-summary-path",
                                                                    has_text="/api/v1/initiatives")).first
        listing.click()
        page.locator(".parameters").first.wait_for()
        page.locator(".try-out__btn").first.click()
        page.locator(".execute").first.click()
        page.locator(".live-responses-table .response-col_status").first.wait_for()
        assert page.evaluate(OVERFLOW) == 0
        if screen == "phone":
            assert page.evaluate("() => document.querySelector('.opblock-summary-path').getBoundingClientRect().right"
                                 ) <= 390

        back = page.get_by_role("link", name="Register van bewonersinitiatieven")
        box = back.bounding_box()
        assert box["height"] >= 44  # a tap target
        back.click()
        page.wait_for_url(site("/"))
        assert page.locator("h1").count() == 1
