"""Merging with care, in Chromium under the Content-Security-Policy: an editor compares a pair (the
differences marked), chooses the record to keep and a value of the other, reads the confirmation, merges,
and undoes the merge from the link in the message; an administrator merges a pair with the proposed
values; a reviewer reads the comparison without a way to merge. Axe on every page of it."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from registry.models import DuplicateCandidate, Initiative, Merge, Service, SlugAlias
from tests.browser.backoffice import assert_accessible, committed, log_in, maintainers, messages
from tests.browser.conftest import Site
from tests.conftest import LEIDEN, UTRECHT


def pair(first: Initiative, second: Initiative) -> DuplicateCandidate:
    low, high = sorted([first, second], key=lambda record: record.pk)
    # Saving them found the pair already (registry.duplicates), unless their names differ too much.
    return DuplicateCandidate.objects.get_or_create(first=low, second=high,
                                                    defaults={"name_similarity": 0.93, "distance_m": 12})[0]


@pytest.fixture(scope="module")
def records(site: Site, django_db_blocker: Any) -> Iterator[dict[str, Any]]:
    with maintainers("samenvoegen", django_db_blocker) as users:
        with django_db_blocker.unblock():
            older = committed("Buurtkamer Merelstraat", LEIDEN, phone="071 100 0000", founded_year=2010,
                              street="Merelstraat", house_number="4", postcode="2311 CS", place="Leiden")
            newer = committed("Buurtkamer Merelstraat Leiden", LEIDEN, phone="071 200 0000", founded_year=2011,
                              street="Merelstraat", house_number="4", postcode="2311 CS", place="Leiden",
                              website="https://merelstraat.example")
            newer.services.set(Service.objects.filter(code="winkel"))
            first_utrecht = committed("Repaircafé Lombok", UTRECHT, phone="030 100 0000")
            second_utrecht = committed("Repair Café Lombok", UTRECHT)
            found = {"editor": pair(older, newer), "admin": pair(first_utrecht, second_utrecht),
                     "reviewer": pair(committed("Dorpshuis Zuid", LEIDEN), committed("Dorpshuis Zuid Leiden", LEIDEN))}
        yield {"users": users, "pairs": {role: candidate.pk for role, candidate in found.items()},
               "older": older.pk, "newer": newer.pk, "newer_slug": newer.slug, "utrecht": second_utrecht.pk,
               "utrecht_kept": first_utrecht.pk}


def test_an_editor_merges_with_a_choice_and_undoes_it(page: Any, site: Site, records: dict[str, Any]):
    log_in(page, site, records["users"]["editor"].username)
    page.goto(site(f"/admin/registry/duplicatecandidate/{records['pairs']['editor']}/change/"))
    assert_accessible(page)
    differing = page.locator("table.comparison tr.differs th")
    assert [text.replace("VERSCHILT", "").strip() for text in differing.all_inner_texts()] == [
        "Naam", "Opgericht in", "Website", "Openbaar telefoonnummer"]

    # Keep the newer record (its number and address), with the older one's name and phone.
    page.check("input[name=keep][value=second]")
    page.check("input[name=value-name][value=first]")
    page.check("input[name=value-phone][value=first]")
    page.click("button[value=review]")
    page.wait_for_load_state()
    assert page.locator("h1").inner_text() == (
        "“Buurtkamer Merelstraat” samenvoegen met “Buurtkamer Merelstraat Leiden”?")
    assert_accessible(page)
    result = dict(zip(page.locator(".merge-result tbody th").all_inner_texts(),
                      page.locator(".merge-result tbody td:nth-child(2)").all_inner_texts(), strict=True))
    assert (result["Naam"], result["Openbaar telefoonnummer"], result["Opgericht in"], result["Website"]) == (
        "Buurtkamer Merelstraat", "071 100 0000", "2011", "https://merelstraat.example")
    assert Initiative.objects.filter(pk=records["older"]).exists()  # nothing merged yet

    page.click("button[value=merge]")
    page.wait_for_url(site(f"/admin/registry/initiative/{records['newer']}/change/"))
    kept = Initiative.objects.get(pk=records["newer"])
    assert (kept.name, kept.phone, kept.founded_year, kept.slug) == (
        "Buurtkamer Merelstraat", "071 100 0000", 2011, records["newer_slug"])
    assert not Initiative.objects.filter(pk=records["older"]).exists()
    assert "is samengevoegd met" in messages(page)[0]

    page.click(".messagelist a")  # Undo the merge (until …)
    page.wait_for_url("**/admin/registry/merge/*/undo/")
    assert_accessible(page)
    assert "Naam: Buurtkamer Merelstraat → Buurtkamer Merelstraat Leiden" in page.locator(".undo-effects").inner_text()
    page.click(".merge-undo button[type=submit]")
    page.wait_for_url(site(f"/admin/registry/initiative/{records['older']}/change/"))
    assert "De samenvoeging is ongedaan gemaakt" in messages(page)[0]
    back = Initiative.objects.get(pk=records["older"])
    kept = Initiative.objects.get(pk=records["newer"])
    assert (back.name, back.phone, kept.name, kept.phone) == (
        "Buurtkamer Merelstraat", "071 100 0000", "Buurtkamer Merelstraat Leiden", "071 200 0000")
    assert not SlugAlias.objects.filter(slug=back.slug).exists()
    assert Merge.objects.get(removed_id=back.pk).undone_at is not None

    page.goto(site(f"/admin/registry/initiative/{records['newer']}/history/"))
    assert "samenvoeging met" in page.locator("#change-history tbody tr").first.inner_text()
    assert_accessible(page)


def test_an_administrator_merges_with_the_proposed_values(page: Any, site: Site, records: dict[str, Any]):
    log_in(page, site, records["users"]["admin"].username)
    page.goto(site(f"/admin/registry/duplicatecandidate/{records['pairs']['admin']}/change/"))
    page.click("button[value=review]")
    page.click("button[value=merge]")
    page.wait_for_url(site(f"/admin/registry/initiative/{records['utrecht_kept']}/change/"))
    assert Initiative.objects.get(pk=records["utrecht_kept"]).phone == "030 100 0000"
    assert not Initiative.objects.filter(pk=records["utrecht"]).exists()
    page.goto(site("/admin/registry/merge/"))
    assert_accessible(page)
    assert page.locator("td.field-undo a").first.inner_text().startswith("Ongedaan maken (tot ")


def test_a_reviewer_reads_the_comparison_without_merging(page: Any, site: Site, records: dict[str, Any]):
    log_in(page, site, records["users"]["reviewer"].username)
    page.goto(site(f"/admin/registry/duplicatecandidate/{records['pairs']['reviewer']}/change/"))
    assert page.locator("table.comparison").count() == 1
    assert page.locator("form.merge-choice, button[value=merge], input[type=radio]").count() == 0
    assert_accessible(page)
