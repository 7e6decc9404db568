"""Work in bulk, in Chromium under the Content-Security-Policy: an editor selects records in a filtered
list, stops them with a reason, marks them verified with the method and assigns them, each after a form;
an administrator assigns a selection across regions and is told which records the editor cannot take; a
reviewer has no actions. Saved filters come back above the list. Axe on the list and the forms."""

from __future__ import annotations

import datetime
from collections.abc import Iterator
from typing import Any

import pytest

from registry.backoffice.models import SavedFilter
from registry.models import Initiative
from tests.browser.backoffice import assert_accessible, committed, list_count, log_in, maintainers, messages
from tests.browser.conftest import Site
from tests.conftest import LEIDEN, UTRECHT


@pytest.fixture(scope="module")
def records(site: Site, django_db_blocker: Any) -> Iterator[dict[str, Any]]:
    with maintainers("bulk", django_db_blocker) as users:
        with django_db_blocker.unblock():
            made = {name: committed(name, where, founded_year=2015).pk for name, where in (
                ("Bulkproef Stoppen Een", LEIDEN), ("Bulkproef Stoppen Twee", LEIDEN),
                ("Bulkproef Controle Een", LEIDEN), ("Bulkproef Controle Twee", LEIDEN),
                ("Bulkproef Toewijzen Leiden", LEIDEN), ("Bulkproef Toewijzen Utrecht", UTRECHT))}
        yield {"users": users, **made}


def select_all_and_run(page: Any, action: str) -> None:
    page.check("#action-toggle")
    page.select_option("select[name=action]", action)
    page.click("button[name=index]")
    page.wait_for_url("**/admin/registry/initiative/**")


def test_an_editor_stops_a_selection_with_a_reason(page: Any, site: Site, records: dict[str, Any]):
    log_in(page, site, records["users"]["editor"].username)
    page.goto(site("/admin/registry/initiative/?q=Bulkproef+Stoppen"))
    assert list_count(page) == 2
    assert_accessible(page)
    select_all_and_run(page, "stop_selected")
    assert page.locator("h1").inner_text() == "Initiatieven stoppen"
    assert page.locator(".bulk-selection").inner_text() == "Bulkproef Stoppen Een\nBulkproef Stoppen Twee"
    assert_accessible(page)
    page.fill("#id_stopped_on", "2025-11-30")
    page.check("input[name=stop_reason][value=menskracht]")
    page.click(".bulk-form input[type=submit]")
    page.wait_for_load_state()

    assert messages(page) == ["2 initiatieven gestopt."]
    assert page.url == site("/admin/registry/initiative/?q=Bulkproef+Stoppen")  # back to the same list
    stopped = Initiative.objects.filter(name__startswith="Bulkproef Stoppen")
    assert set(stopped.values_list("status", "stopped_on", "stop_reason")) == {
        ("gestopt", datetime.date(2025, 11, 30), "menskracht")}
    assert {record.history.latest().history_user.username for record in stopped} == {"bulk-redacteur"}


def test_an_editor_marks_verified_assigns_and_saves_the_filter(page: Any, site: Site, records: dict[str, Any]):
    editor = records["users"]["editor"]
    log_in(page, site, editor.username)
    page.goto(site("/admin/registry/initiative/?q=Bulkproef+Controle"))
    select_all_and_run(page, "mark_verified_selected")
    assert_accessible(page)
    page.check("input[name=verification_method][value=bezoek]")
    page.click(".bulk-form input[type=submit]")
    page.wait_for_load_state()
    assert messages(page) == ["2 initiatieven als gecontroleerd gemarkeerd."]
    assert set(Initiative.objects.filter(name__startswith="Bulkproef Controle").values_list(
        "last_verified_on", "verification_method")) == {(datetime.date.today(), "bezoek")}

    select_all_and_run(page, "assign_selected")
    page.select_option("#id_assignee", str(editor.pk))
    page.click(".bulk-form input[type=submit]")
    page.wait_for_load_state()
    assert messages(page) == ["2 initiatieven toegewezen."]

    # The list of what is theirs, saved under a name, found again above the list.
    page.goto(site("/admin/registry/initiative/?assigned=mine"))
    assert list_count(page) == 2
    page.fill("#saved-filter-name", "Mijn records")
    page.click(".save-filter button")
    page.wait_for_load_state()
    assert SavedFilter.objects.get(user=editor).query == "assigned=mine"
    page.goto(site("/admin/registry/initiative/"))
    assert_accessible(page)
    page.click(".saved-filters a:text('Mijn records')")
    page.wait_for_url(site("/admin/registry/initiative/?assigned=mine"))
    assert list_count(page) == 2
    page.goto(site("/admin/"))
    assert page.locator(".work-assigned .work-count").inner_text() == "2"


def test_an_administrator_assigns_only_what_the_editor_may_change(page: Any, site: Site, records: dict[str, Any]):
    log_in(page, site, records["users"]["admin"].username)
    page.goto(site("/admin/registry/initiative/?q=Bulkproef+Toewijzen"))
    select_all_and_run(page, "assign_selected")
    page.select_option("#id_assignee", str(records["users"]["editor"].pk))
    page.click(".bulk-form input[type=submit]")
    page.wait_for_load_state()
    assert messages(page) == [
        "1 initiatief toegewezen.",
        "Niet gewijzigd, omdat het record het niet toelaat: Bulkproef Toewijzen Utrecht (buiten de regio van "
        "bulk-redacteur)"]
    assert Initiative.objects.get(pk=records["Bulkproef Toewijzen Leiden"]).assigned_to == records["users"]["editor"]
    assert Initiative.objects.get(pk=records["Bulkproef Toewijzen Utrecht"]).assigned_to is None


def test_a_reviewer_has_no_bulk_actions(page: Any, site: Site, records: dict[str, Any]):
    log_in(page, site, records["users"]["reviewer"].username)
    page.goto(site("/admin/registry/initiative/?q=Bulkproef"))
    assert list_count(page) == 6
    assert page.locator("select[name=action], #action-toggle").count() == 0
    assert_accessible(page)
