"""The suggestion queue, in Chromium under the Content-Security-Policy: from the overview's count an
editor opens the waiting suggestions of their region, decides one after another (each decision opens the
next waiting one of the same list), skips with Next, and is back at the same filtered list at the end; an
administrator decides one elsewhere; a reviewer reads without buttons. Axe on the list and the review."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from registry import actions
from registry.models import Suggestion, SuggestionKind, SuggestionState
from tests.browser.backoffice import assert_accessible, committed, list_count, log_in, maintainers, messages
from tests.browser.conftest import Site
from tests.conftest import LEIDEN, UTRECHT


@pytest.fixture(scope="module")
def records(site: Site, django_db_blocker: Any) -> Iterator[dict[str, Any]]:
    with maintainers("wachtrij", django_db_blocker) as users:
        with django_db_blocker.unblock():
            record = committed("Buurtkamer Wachtrij", LEIDEN)
            elsewhere = committed("Energiehuis Wachtrij", UTRECHT)
            waiting = [actions.submit_suggestion(SuggestionKind.CORRECTION, {"phone": f"071 400 000{n}"},
                                                 initiative=record).pk for n in range(3)]
            utrecht = actions.submit_suggestion(SuggestionKind.CORRECTION, {"phone": "030 400 0000"},
                                                initiative=elsewhere).pk
        yield {"users": users, "waiting": waiting, "utrecht": utrecht}


def test_an_editor_works_through_the_queue_with_its_filter(page: Any, site: Site, records: dict[str, Any]):
    newest, middle, oldest = reversed(records["waiting"])
    log_in(page, site, records["users"]["editor"].username)
    page.click(".work-suggestions a")
    page.wait_for_url(site("/admin/registry/suggestion/?state__exact=open"))
    assert list_count(page) == 3
    assert_accessible(page)

    page.locator("#result_list tbody tr a").first.click()
    page.wait_for_url(f"**/admin/registry/suggestion/{newest}/change/?_changelist_filters=state__exact%3Dopen")
    assert_accessible(page)
    page.click(".next-suggestion")  # skip the newest for now
    page.wait_for_url(f"**/suggestion/{middle}/change/?_changelist_filters=state__exact%3Dopen")

    page.click("button[value=approve]")
    page.wait_for_url(f"**/suggestion/{oldest}/change/?_changelist_filters=state__exact%3Dopen")
    assert messages(page) == ["Goedgekeurd: “Buurtkamer Wachtrij” is bijgewerkt."]
    page.fill("#note", "Dubbel.")
    page.click("button[value=reject]")
    page.wait_for_url(f"**/suggestion/{newest}/change/?_changelist_filters=state__exact%3Dopen")
    page.click("button[value=reject]")
    page.wait_for_url(site("/admin/registry/suggestion/?state__exact=open"))
    assert messages(page)[-1] == "Er wachten geen suggesties meer in deze lijst."
    assert list_count(page) == 0
    assert dict(Suggestion.objects.filter(pk__in=records["waiting"]).values_list("pk", "state")) == {
        middle: SuggestionState.APPROVED, oldest: SuggestionState.REJECTED, newest: SuggestionState.REJECTED}


def test_a_reviewer_reads_a_suggestion_without_deciding(page: Any, site: Site, records: dict[str, Any]):
    log_in(page, site, records["users"]["reviewer"].username)
    page.goto(site(f"/admin/registry/suggestion/{records['utrecht']}/change/"))
    assert page.locator("button[value=approve], button[value=reject]").count() == 0
    assert_accessible(page)


def test_an_administrator_decides_in_any_region(page: Any, site: Site, records: dict[str, Any]):
    log_in(page, site, records["users"]["admin"].username)
    page.goto(site("/admin/registry/suggestion/?state__exact=open"))
    page.locator(f"#result_list a[href*='/suggestion/{records['utrecht']}/']").first.click()
    page.wait_for_url("**/change/**")
    page.click("button[value=approve]")
    page.wait_for_load_state()
    assert Suggestion.objects.get(pk=records["utrecht"]).state == SuggestionState.APPROVED
