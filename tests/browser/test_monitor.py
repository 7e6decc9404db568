"""The annual monitor in a real browser, in Dutch and in English: its pages pass axe-core with no
violation of any impact, work on a phone, link their PDF, and load nothing from elsewhere (the
`page` fixture fails a test on a foreign request, a refused script or a JavaScript error)."""

from __future__ import annotations

import datetime
from typing import Any

import pytest

from tests.browser.conftest import EVERY_IMPACT, PHONE, Site, axe_violations, checked_page

Y = datetime.date.today().year


def in_english(page: Any) -> None:
    page.select_option("#language", "en")
    page.click(".language button")
    page.wait_for_load_state()


@pytest.mark.parametrize(("path", "dutch", "english"), [
    (f"/monitor/{Y}", f"Monitor {Y}: Nederland", f"Monitor {Y}: The Netherlands"),
    (f"/monitor/{Y}/PV28", f"Monitor {Y}: Zuid-Holland", f"Monitor {Y}: Zuid-Holland"),
    (f"/monitor/{Y - 1}/GM0546", f"Monitor {Y - 1}: Leiden", f"Monitor {Y - 1}: Leiden"),
])
def test_the_monitor_pages_pass_axe_in_both_languages(page: Any, site: Site, path, dutch, english):
    page.goto(site(path))
    assert page.locator("html").get_attribute("lang") == "nl"
    assert page.locator("h1").inner_text() == dutch
    assert page.locator("#table-figures tbody tr").count() == 3
    assert page.locator("svg.km-chart").count() >= 1
    assert axe_violations(page, impacts=EVERY_IMPACT) == []

    in_english(page)
    assert page.locator("html").get_attribute("lang") == "en"
    assert page.locator("h1").inner_text() == english
    assert page.locator("#table-figures tbody th").first.inner_text() == "Running at the end of the year"
    assert axe_violations(page, impacts=EVERY_IMPACT) == []


def test_the_national_monitor_counts_what_the_register_holds(page: Any, site: Site):
    page.goto(site(f"/monitor/{Y}"))

    running = page.locator("#table-figures tbody tr").first.locator("td").first.inner_text()
    assert int(running.replace(".", "")) <= site.published
    assert page.locator("#table-survival-province tbody tr").count() == len(site.by_province)


def test_the_monitor_works_on_a_phone_and_offers_its_pdf(browser: Any, site: Site):
    with checked_page(browser, site, **PHONE) as page:
        page.goto(site(f"/monitor/{Y}/PV28"))
        assert axe_violations(page, impacts=EVERY_IMPACT) == []
        # Nothing wider than the screen but the tables' own scrolling regions.
        assert page.evaluate("() => document.documentElement.scrollWidth") <= 390
        link = page.get_by_role("link", name="Downloaden als pdf")
        response = page.request.get(site(link.get_attribute("href")))
        assert response.headers["content-type"] == "application/pdf"
        assert response.body().startswith(b"%PDF")


def test_the_long_table_of_municipalities_opens_from_its_summary_by_keyboard(browser: Any, site: Site):
    with checked_page(browser, site, **PHONE) as page:
        page.goto(site(f"/monitor/{Y}"))
        table = page.locator("#table-coverage")
        summary = page.locator("#coverage-details summary")
        rows = table.locator("tbody tr").count()
        # The section is laid out when it comes near the screen (content-visibility), in the next frame.
        summary.scroll_into_view_if_needed()
        page.wait_for_function("s => document.querySelector(s).innerText !== ''", arg="#coverage-details summary")
        assert rows > 12 and not table.is_visible()
        assert summary.inner_text() == f"Toon de {rows} gemeenten die ten minste één van deze voorzieningen missen"

        summary.focus()
        page.keyboard.press("Enter")

        assert table.is_visible() and page.locator("#coverage-details").get_attribute("open") == ""
        assert summary.bounding_box()["height"] >= 44
        assert axe_violations(page, impacts=EVERY_IMPACT) == []
        assert page.evaluate("() => document.documentElement.scrollWidth") <= 390


def test_the_footer_leads_to_this_years_monitor(page: Any, site: Site):
    page.goto(site("/"))
    page.locator(".site-footer").get_by_role("link", name="Jaarmonitor").click()
    page.wait_for_load_state()

    assert page.url == site(f"/monitor/{Y}")
    assert page.locator("h1").inner_text() == f"Monitor {Y}: Nederland"
