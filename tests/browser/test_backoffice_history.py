"""The readable history and the revert, in Chromium under the Content-Security-Policy: an editor changes a
partnership and a service on the record's page; its history names the partnership change with partner,
role, period, before and after; the revert page lists every field, service and partnership it will change,
and reverting changes exactly those. An administrator may revert too; a reviewer reads without a button.
Axe on the record's page, its history and the revert page."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from registry.models import FundingSource, Initiative, Partner, PartnerKind, Partnership, PartnershipRole, Service
from tests.browser.backoffice import assert_accessible, committed, log_in, maintainers, messages
from tests.browser.conftest import Site
from tests.conftest import LEIDEN


@pytest.fixture(scope="module")
def records(site: Site, django_db_blocker: Any) -> Iterator[dict[str, Any]]:
    with maintainers("geschiedenis", django_db_blocker) as users:
        with django_db_blocker.unblock():
            record = committed("Wijkrestaurant De Gaarde", LEIDEN, phone="071 300 0000", street="Gaarde",
                               house_number="2", postcode="2311 CS", place="Leiden")
            record.services.set(Service.objects.filter(code__in=["wijkrestaurant", "ontmoetingsplek"]))
            record.funding_sources.set(FundingSource.objects.filter(code="subsidie"))
            fund = Partner.objects.create(name="Fonds Gaarde", kind=PartnerKind.objects.get(code="vermogensfonds"))
            Partnership.objects.create(initiative=record, partner=fund, start="2022",
                                       role=PartnershipRole.objects.get(code="financier"))
            history = Initiative.objects.get(pk=record.pk).history
            version, first = history.latest().history_id, history.earliest().history_id
        yield {"users": users, "record": record.pk, "version": version, "first": first}


def test_an_editor_reads_a_partnership_change_and_reverts_it(page: Any, site: Site, records: dict[str, Any]):
    pk = records["record"]
    log_in(page, site, records["users"]["editor"].username)
    page.goto(site(f"/admin/registry/initiative/{pk}/change/"))
    page.locator(".point-map__map canvas").first.wait_for()
    assert_accessible(page)
    page.fill("#id_partnerships-0-end", "2025")
    page.uncheck(f"input[name=services][value='{Service.objects.get(code='ontmoetingsplek').pk}']")
    page.click("input[name=_continue]")
    page.wait_for_load_state()
    assert messages(page)[0].startswith("Initiatief “Wijkrestaurant De Gaarde” is gewijzigd.")

    page.goto(site(f"/admin/registry/initiative/{pk}/history/"))
    assert_accessible(page)
    latest = page.locator("#change-history tbody tr").first
    text = latest.inner_text()
    assert "bewerkt; partnerschappen gewijzigd" in text
    assert "Partnerschap gewijzigd: Fonds Gaarde — Financier (subsidie, bijdrage), 2022–2025" in text
    assert "Einde: — → 2025" in text
    assert "Voorzieningen:" in text

    page.goto(site(f"/admin/registry/initiative/{pk}/history/{records['version']}/"))
    assert_accessible(page)
    assert page.locator("#revert-links").inner_text() == "Voorzieningen weer toegevoegd: Ontmoetingsplek"
    assert page.locator("#revert-partnerships").inner_text() == (
        "Partnerschap gewijzigd: Fonds Gaarde — Financier (subsidie, bijdrage), 2022–…\nEinde: 2025 → —")
    assert page.locator("#revert-fields").count() == 0  # no field of the record itself changed
    page.click("input[type=submit][value='Terugzetten naar deze versie']")
    page.wait_for_url(site(f"/admin/registry/initiative/{pk}/history/"))
    assert "teruggezet naar de versie van" in page.locator("#change-history tbody tr").first.inner_text()

    stored = Initiative.objects.get(pk=pk)
    assert set(stored.services.values_list("code", flat=True)) == {"wijkrestaurant", "ontmoetingsplek"}
    assert list(stored.partnerships.values_list("end", flat=True)) == [""]


def test_an_administrator_sees_the_revert_button(page: Any, site: Site, records: dict[str, Any]):
    log_in(page, site, records["users"]["admin"].username)
    page.goto(site(f"/admin/registry/initiative/{records['record']}/history/{records['first']}/"))
    # The first version had no services, funding sources or partnerships yet: the page says so.
    assert "Voorzieningen verwijderd: Ontmoetingsplek, Wijkrestaurant" in page.locator("#revert-links").inner_text()
    assert "Partnerschap verwijderd: Fonds Gaarde" in page.locator("#revert-partnerships").inner_text()
    assert page.locator("input[type=submit][value='Terugzetten naar deze versie']").count() == 1
    assert_accessible(page)


def test_a_reviewer_reads_the_history_without_reverting(page: Any, site: Site, records: dict[str, Any]):
    log_in(page, site, records["users"]["reviewer"].username)
    page.goto(site(f"/admin/registry/initiative/{records['record']}/history/"))
    assert page.locator("#change-history tbody tr").count() >= 2
    assert_accessible(page)
    page.locator("#change-history tbody tr a").last.click()
    page.wait_for_load_state()
    assert page.locator("input[type=submit][value='Terugzetten naar deze versie']").count() == 0
    assert page.locator("h1").inner_text() == "Een versie van “Wijkrestaurant De Gaarde”"
    assert_accessible(page)
