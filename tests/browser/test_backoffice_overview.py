"""The admin's home page, in Chromium under the Content-Security-Policy, as each role: the work of the
user's region, each count a link to a list that shows exactly that many rows; axe finds no serious
problem on the overview or the lists."""

from __future__ import annotations

import datetime
from collections.abc import Iterator
from typing import Any

import pytest

from registry import actions, duplicates
from registry.models import ImportRun, Initiative, SuggestionKind
from tests.browser.backoffice import assert_accessible, list_count, log_in, maintainers
from tests.browser.conftest import Site


@pytest.fixture(scope="module")
def users(site: Site, django_db_blocker: Any) -> Iterator[dict[str, Any]]:
    with maintainers("overzicht", django_db_blocker) as users:
        with django_db_blocker.unblock():
            in_zh = Initiative.objects.filter(province__code="PV28").order_by("pk")
            in_utrecht = Initiative.objects.filter(province__code="PV26").order_by("pk")
            for record in (in_zh[0], in_zh[1], in_utrecht[0]):
                actions.submit_suggestion(SuggestionKind.CORRECTION, {"phone": "071 111 1111"}, initiative=record)
            duplicates.find_all()
            actions.assign_many(in_zh.filter(pk__in=[in_zh[0].pk, in_zh[2].pk]), users["editor"], acting_user=None)
            for name, who, errors in (("wacht.csv", "editor", 0), ("fout.csv", "editor", 1),
                                      ("landelijk.csv", "admin", 3)):
                ImportRun.objects.create(file_name=name, content=b"", source="Lijst", created_by=users[who],
                                         report={"counts": {"created": 2, "updated": 0, "unchanged": 0,
                                                            "error": errors}, "file_errors": [], "rows": []})
            ImportRun.objects.create(file_name="klaar.csv", content=b"", source="Lijst", created_by=users["admin"],
                                     committed_at=datetime.datetime.now(datetime.UTC),
                                     report={"counts": {"created": 1, "error": 0}, "file_errors": [], "rows": []})
        yield users
        with django_db_blocker.unblock():
            ImportRun.objects.filter(source="Lijst").delete()


@pytest.mark.parametrize("role", ["admin", "editor", "reviewer"])
def test_each_count_on_the_overview_is_the_count_of_the_list_it_links_to(page: Any, site: Site,
                                                                         users: dict[str, Any], role: str):
    log_in(page, site, users[role].username)
    assert page.locator("#site-name").inner_text() == "Register van bewonersinitiatieven"
    assert page.locator("h1").inner_text() == "Werkoverzicht"
    assert_accessible(page)
    items = page.locator(".work-item a")
    work = [(items.nth(n).get_attribute("href"), int(items.nth(n).locator(".work-count").inner_text()))
            for n in range(items.count())]
    # Records assigned to you and the verification worklist: for who changes records; failed background
    # jobs: for administrators.
    assert len(work) == {"admin": 8, "editor": 7, "reviewer": 5}[role]
    assert any(count > 0 for _url, count in work)

    for url, count in work:
        page.goto(site(url))
        assert list_count(page) == count, url
        assert_accessible(page)


def test_the_editor_sees_the_work_of_their_region(page: Any, site: Site, users: dict[str, Any]):
    log_in(page, site, users["editor"].username)
    counts = {page.locator(".work-item").nth(n).get_attribute("class").split()[1]:
              int(page.locator(".work-count").nth(n).inner_text()) for n in range(page.locator(".work-item").count())}

    assert counts["work-suggestions"] == 2  # the Utrecht one is not theirs
    assert counts["work-assigned"] == 2
    assert (counts["work-imports-waiting"], counts["work-imports-failed"]) == (1, 1)  # their own imports
    assert page.locator(".overview-region").inner_text() == "Uw regio: Zuid-Holland."
    changes = page.locator("#recent-changes tbody tr")
    assert changes.count() > 0
    assert "toegewezen aan overzicht-redacteur" in changes.first.inner_text()

    page.locator("#recent-changes tbody tr a").first.click()
    assert page.locator("h1").inner_text().startswith("Geschiedenis van")
