"""Layout and language of the admin, in Chromium under the Content-Security-Policy: the list's key columns
and the partnership row's fields fit at 1280 pixels; the overview, the list, a record, the comparison, the
history and the import report fit a phone's 390 pixels (wide tables scroll within the page); the admin
switches to English and back; an editor who opens a record of another region is told so. Axe on each."""

from __future__ import annotations

import datetime
from collections.abc import Iterator
from typing import Any

import pytest

from registry import importing
from registry.importing import ImportOptions
from registry.models import (
    DuplicateCandidate,
    ImportRun,
    ImportWork,
    Initiative,
    RoundState,
    VerificationRound,
    WorklistReason,
)
from tests.browser.backoffice import assert_accessible, committed, log_in, maintainers
from tests.browser.conftest import Site
from tests.conftest import LEIDEN, UTRECHT
from tests.registry.import_helpers import GOOD_ROWS, csv_bytes

LONG = "Buurtcoöperatie Zuidoostelijke Binnenstadsbewonersvereniging Leiden-Noordwest"


@pytest.fixture(scope="module")
def records(site: Site, django_db_blocker: Any) -> Iterator[dict[str, Any]]:
    with maintainers("indeling", django_db_blocker) as users:
        with django_db_blocker.unblock():
            record = committed(LONG, LEIDEN)
            # (Not LONG + " 2": since the scored search, a number tells neighbours apart.)
            twin = committed(f"Stichting {LONG} (in oprichting)", LEIDEN)
            candidate = DuplicateCandidate.objects.get(first=record, second=twin)  # found when saved
            far = committed("Energiehuis Indeling", UTRECHT)
            rows = [*GOOD_ROWS, ["L-9", LONG * 2, "onbekende-soort", "", "9999 XX", "Nergenshuizen", "99,9",
                                 "99,9", "", "geen telefoonnummer maar een hele lange zin zonder spaties" * 3]]
            content = csv_bytes(rows)
            options = ImportOptions(source="Lijst indeling", file_name="lijst-met-een-lange-naam.csv")
            report = importing.check(content, options, acting_user=users["admin"])
            run = ImportRun.objects.create(file_name=options.file_name, content=content, source=options.source,
                                           options=options.stored(), report=report.to_dict(),
                                           created_by=users["admin"])
            # An import under way (the page that follows the job), and a record on the editors' worklist.
            working = ImportRun.objects.create(file_name=options.file_name, content=content, source=options.source,
                                               options=options.stored(), created_by=users["admin"],
                                               working=ImportWork.CHECKING,
                                               progress={"phase": "checking", "done": 500, "total": 2000})
            VerificationRound.objects.create(initiative=far, opened_on=datetime.date(2027, 3, 1),
                                             state=RoundState.WORKLIST, worklist_reason=WorklistReason.NO_EMAIL,
                                             worklist_on=datetime.date(2027, 3, 1), province=far.province,
                                             municipality=far.municipality)
        yield {"users": users, "record": record.pk, "pair": candidate.pk, "far": far.pk, "run": run.pk,
               "working": working.pk}
        with django_db_blocker.unblock():
            ImportRun.objects.filter(pk__in=[run.pk, working.pk]).delete()
            VerificationRound.objects.filter(initiative=far).delete()


def right_edges(page: Any, selector: str) -> list[float]:
    return page.evaluate("""selector => [...document.querySelectorAll(selector)]
        .map(element => element.getBoundingClientRect().right)""", selector)


def test_the_key_columns_and_partnership_fields_fit_at_1280_pixels(page: Any, site: Site, records: dict[str, Any]):
    log_in(page, site, records["users"]["editor"].username)
    page.goto(site("/admin/registry/initiative/"))
    headers = page.locator("#result_list thead th").all_inner_texts()
    assert [text.strip() for text in headers[1:]] == [
        "NAAM", "SOORT", "PLAATS (GEMEENTE)", "STATUS", "PUBLICATIESTATUS", "LAATST GECONTROLEERD OP", "TOEGEWEZEN AAN"]
    assert max(right_edges(page, "#result_list thead th")) <= 1280

    page.goto(site(f"/admin/registry/initiative/{records['record']}/change/"))
    cells = ".inline-group .tabular tr.form-row td"
    assert page.locator(f"{cells}.field-partner").count() >= 1
    for column in ("field-partner", "field-role", "field-start", "field-end", "field-note", "delete"):
        assert max(right_edges(page, f"{cells}.{column}")) <= 1280, column
    assert_accessible(page)


@pytest.mark.parametrize("path", [
    "/admin/", "/admin/registry/initiative/", "/admin/registry/initiative/{record}/change/",
    "/admin/registry/duplicatecandidate/{pair}/change/", "/admin/registry/initiative/{record}/history/",
    "/admin/registry/importrun/{run}/change/", "/admin/registry/importrun/add/",
    "/admin/registry/importrun/{working}/change/", "/admin/registry/verificationround/?state__exact=werklijst",
    "/admin/procrastinate/procrastinatejob/"])
def test_the_pages_fit_a_phone(browser: Any, page: Any, site: Site, records: dict[str, Any], path: str):
    page.set_viewport_size({"width": 390, "height": 844})
    log_in(page, site, records["users"]["admin"].username)
    page.goto(site(path.format(**records)))
    assert page.evaluate("() => document.documentElement.scrollWidth") <= 390
    assert_accessible(page)


def test_the_admin_switches_to_english_and_back(page: Any, site: Site, records: dict[str, Any]):
    log_in(page, site, records["users"]["reviewer"].username)
    page.select_option("#admin-language", "en")
    page.click(".language-switch button")
    page.wait_for_load_state()
    assert (page.locator("h1").inner_text(), page.locator("#site-name").inner_text()) == (
        "Work overview", "Register of residents' initiatives")
    assert page.locator("html").get_attribute("lang") == "en"
    assert_accessible(page)
    page.select_option("#admin-language", "nl")
    page.click(".language-switch button")
    page.wait_for_load_state()
    assert page.locator("h1").inner_text() == "Werkoverzicht"


def test_an_editor_is_told_a_record_lies_outside_their_region(page: Any, site: Site, records: dict[str, Any]):
    log_in(page, site, records["users"]["editor"].username)
    response = page.goto(site(f"/admin/registry/initiative/{records['far']}/change/"))
    assert response.status == 403
    assert page.locator("#outside-region").inner_text().startswith(
        f"Initiatief #{records['far']} ligt buiten uw regio (Zuid-Holland)")
    assert "Energiehuis" not in page.content()
    assert_accessible(page)
    assert Initiative.objects.filter(pk=records["far"]).exists()
