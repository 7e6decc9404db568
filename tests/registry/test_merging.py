"""Merging with care: the comparison says which fields differ, a maintainer chooses per field whose value
stays, the plan shown beforehand is what the merge does, and a merge can be undone for MERGE_UNDO_DAYS
days: the removed record comes back with its links and its old address, recorded in both histories."""

from __future__ import annotations

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.test import Client
from django.utils import timezone

from registry import actions, documents, merging
from registry.models import (
    FundingSource,
    Initiative,
    Merge,
    Partner,
    PartnerKind,
    Partnership,
    PartnershipRole,
    Role,
    Service,
    SlugAlias,
    Suggestion,
    SuggestionKind,
)
from registry.roles import NotAllowed
from tests.conftest import LEIDEN, UTRECHT, make
from tests.maintainers import maintainer

pytestmark = pytest.mark.django_db


@pytest.fixture
def editor():
    return maintainer("zh", Role.EDITOR, "PV28")


@pytest.fixture
def twin(leiden):
    """A second record of the Leiden initiative: another phone, a founding year the first lacks, a
    service, a funding source and a partnership of its own, an old slug, a waiting suggestion."""
    other = make("Buurtkamer de Linde", LEIDEN, phone="071 999 0000", founded_year=None, website="",
                 kvk_number="", email="", description="", street="Breestraat", house_number="3",
                 postcode="2311 CS", place="Leiden")
    other.founded_year = 2012
    other.save()
    other.services.set(Service.objects.filter(code__in=["winkel", "ontmoetingsplek"]))
    other.funding_sources.set(FundingSource.objects.filter(code="crowdfunding"))
    town = Partner.objects.create(name="Gemeente Leiden", kind=PartnerKind.objects.get(code="gemeente"),
                                  municipality=leiden.municipality)
    Partnership.objects.create(initiative=other, partner=town, role=PartnershipRole.objects.get(code="opdrachtgever"),
                               start="2021")
    SlugAlias.objects.create(slug="oude-linde", initiative=other)
    Suggestion.objects.create(kind=SuggestionKind.CORRECTION, initiative=other, proposed={"phone": "071 000 0000"})
    return Initiative.objects.get(pk=other.pk)


def test_the_comparison_marks_the_fields_that_differ_and_proposes_the_kept_records_values(leiden, twin):
    plan = merging.plan(leiden, twin)

    differing = {row.key: (row.kept, row.removed, row.take) for row in plan.rows if row.differs}
    assert differing == {
        "name": ("Buurtkamer De Linde", "Buurtkamer de Linde", "kept"),
        "founded_year": ("2015", "2012", "kept"),
        "address": ("Breestraat, 1, 2311 CS, Leiden, 52.160100, 4.497000",
                    "Breestraat, 3, 2311 CS, Leiden, 52.160100, 4.497000", "kept"),
        "phone": ("071 123 4567", "071 999 0000", "kept"),
        "short_description": ("Huiskamer voor de buurt.", "—", "kept"),
        "description": ("Koffie, soep en een luisterend oor.", "—", "kept"),
        "kind": ("Bewonersinitiatief", "Dorpscoöperatie", "kept"),
        "legal_form": ("stichting", "—", "kept"),
        "kvk_number": ("12345678", "—", "kept"),
        "website": ("https://linde.example", "—", "kept"),
        "email": ("info@linde.example", "—", "kept"),
        "volunteers": ("12", "—", "kept"),
        "paid_staff": ("1", "—", "kept"),
        "reach_per_week": ("80", "—", "kept"),
        "provenance": ("Aanmelding", "—", "kept"),
        "verification": ("1 maart 2026, telefonisch", "—", "kept"),
    }
    assert [service.code for service in plan.services_added] == ["winkel"]
    assert [term.code for term in plan.funding_added] == ["crowdfunding"]
    assert [(link.partner.name, link.role.code) for link in plan.partnerships_moved] == [
        ("Gemeente Leiden", "opdrachtgever")]
    assert plan.old_slugs == ["oude-linde", twin.slug]
    assert plan.suggestions == 1


def test_the_values_chosen_per_field_are_what_the_kept_record_holds(leiden, twin, editor):
    twin_id, twin_slug = twin.pk, twin.slug
    kept = actions.merge(leiden, twin, acting_user=editor, take={"phone": "removed", "founded_year": "removed",
                                                                  "address": "removed"})

    stored = Initiative.objects.get(pk=kept.pk)
    assert (stored.name, stored.phone, stored.founded_year, stored.house_number, stored.website) == (
        "Buurtkamer De Linde", "071 999 0000", 2012, "3", "https://linde.example")
    assert stored.slug == "buurtkamer-de-linde"
    latest = stored.history.latest()
    assert latest.history_change_reason == f"merged with #{twin_id} ({twin_slug})"
    assert {c.field for c in latest.diff_against(latest.prev_record).changes} == {
        "phone", "founded_year", "house_number", "services", "funding_sources"}


def test_a_choice_that_is_not_a_field_group_is_refused(leiden, twin, editor):
    with pytest.raises(ValueError):
        actions.merge(leiden, twin, acting_user=editor, take={"slug": "removed"})
    assert Initiative.objects.filter(pk=twin.pk).exists()


def test_an_undo_brings_the_removed_record_back_with_its_links_and_address(client: Client, leiden, twin, editor):
    twin_id, twin_slug = twin.pk, twin.slug
    services = set(twin.services.values_list("code", flat=True))
    before = Initiative.objects.get(pk=leiden.pk)
    documents.prepare()  # of the records the fixtures made outside the actions
    actions.merge(leiden, twin, acting_user=editor, take={"phone": "removed"})
    merge = Merge.objects.get()
    assert client.get(f"/initiatieven/{twin_slug}").status_code == 301

    plan = merging.undo_plan(merge)
    assert plan.possible
    assert [(label, now, back) for label, now, back in plan.fields] == [
        ("openbaar telefoonnummer", "071 999 0000", "071 123 4567")]
    assert [service.code for service in plan.services_removed] == ["winkel"]
    assert [link.partner.name for link in plan.partnerships_removed] == ["Gemeente Leiden"]

    restored = actions.undo_merge(merge, acting_user=editor)

    assert (restored.pk, restored.slug, restored.phone) == (twin_id, twin_slug, "071 999 0000")
    assert set(restored.services.values_list("code", flat=True)) == services
    assert list(restored.funding_sources.values_list("code", flat=True)) == ["crowdfunding"]
    assert list(restored.partnerships.values_list("partner__name", "role__code", "start")) == [
        ("Gemeente Leiden", "opdrachtgever", "2021")]
    assert set(SlugAlias.objects.filter(initiative=restored).values_list("slug", flat=True)) == {"oude-linde"}
    assert restored.suggestions.count() == 1
    kept = Initiative.objects.get(pk=leiden.pk)
    assert (kept.phone, set(kept.services.values_list("pk", flat=True)),
            set(kept.funding_sources.values_list("pk", flat=True)), kept.partnerships.count()) == (
        before.phone, set(before.services.values_list("pk", flat=True)),
        set(before.funding_sources.values_list("pk", flat=True)), 1)
    assert not SlugAlias.objects.filter(initiative=kept).exists()
    page = client.get(f"/initiatieven/{twin_slug}")
    assert page.status_code == 200 and "071 999 0000" in page.content.decode()
    # Recorded: the merge says it was undone, both histories say what happened, by whom.
    merge.refresh_from_db()
    assert (merge.undone_by, merge.undone_at is not None) == (editor, True)
    assert (kept.history.latest().history_change_reason, kept.history.latest().history_user) == (
        f"merge with #{twin_id} ({twin_slug}) undone", editor)
    assert (restored.history.latest().history_change_reason, restored.history.latest().history_type) == (
        f"restored: the merge into #{leiden.pk} was undone", "+")
    with pytest.raises(ValidationError, match="al ongedaan gemaakt"):
        actions.undo_merge(merge, acting_user=editor)
    # The public documents (the read model) of both records follow.
    assert documents.stale_documents() == {"missing": [], "outdated": [], "orphaned": []}


def test_an_undo_leaves_what_was_changed_after_the_merge(leiden, twin, editor):
    actions.merge(leiden, twin, acting_user=editor, take={"phone": "removed", "founded_year": "removed"})
    kept = Initiative.objects.get(pk=leiden.pk)
    before = Initiative.objects.get(pk=kept.pk)
    kept.phone = "071 222 3333"
    kept.full_clean()
    actions.save_edit(kept, before, acting_user=editor)

    plan = merging.undo_plan(Merge.objects.get())
    assert ([label for label, _now, _back in plan.fields], plan.fields_kept) == (["opgericht in"],
                                                                                ["openbaar telefoonnummer"])
    actions.undo_merge(Merge.objects.get(), acting_user=editor)

    kept = Initiative.objects.get(pk=leiden.pk)
    assert (kept.phone, kept.founded_year) == ("071 222 3333", 2015)


def test_an_undo_gives_back_the_records_merged_into_the_removed_one(client: Client, leiden, editor):
    first = make("Buurtkamer Linde", LEIDEN)
    second = make("Buurtkamer de Linde", LEIDEN)
    first_id, first_slug = first.pk, first.slug
    actions.merge(second, first, acting_user=editor)
    actions.merge(leiden, Initiative.objects.get(pk=second.pk), acting_user=editor)
    assert client.get(f"/api/v1/initiatives/{first_id}")["Location"] == f"/api/v1/initiatives/{leiden.pk}"

    actions.undo_merge(Merge.objects.get(removed_id=second.pk), acting_user=editor)

    assert client.get(f"/api/v1/initiatives/{first_id}")["Location"] == f"/api/v1/initiatives/{second.pk}"
    assert client.get(f"/initiatieven/{first_slug}")["Location"] == f"/initiatieven/{second.slug}"


def test_a_merge_is_undone_only_within_its_period_and_region(leiden, twin, editor, settings):
    actions.merge(leiden, twin, acting_user=editor)
    merge = Merge.objects.get()

    utrecht_editor = maintainer("ut", Role.EDITOR, "PV26")
    with pytest.raises(NotAllowed):
        actions.undo_merge(merge, acting_user=utrecht_editor)
    reviewer = maintainer("lezer", Role.REVIEWER)
    with pytest.raises(NotAllowed):
        actions.undo_merge(merge, acting_user=reviewer)

    Merge.objects.filter(pk=merge.pk).update(merged_at=timezone.now() - datetime.timedelta(days=31))
    plan = merging.undo_plan(Merge.objects.get())
    assert plan.problem == "Een samenvoeging kan 30 dagen ongedaan worden gemaakt; deze is ouder."
    with pytest.raises(ValidationError):
        actions.undo_merge(merge, acting_user=editor)
    settings.MERGE_UNDO_DAYS = 40
    assert merging.undo_plan(Merge.objects.get()).possible
    assert not Initiative.objects.filter(pk=twin.pk).exists()


def test_the_change_feed_reports_the_merge_and_its_undo(client: Client, leiden, twin, editor):
    cursor = client.get("/api/v1/changes").json()["cursor"]
    twin_id = twin.pk
    actions.merge(leiden, twin, acting_user=editor)
    actions.undo_merge(Merge.objects.get(), acting_user=editor)

    changes = client.get(f"/api/v1/changes?since={cursor}").json()["changes"]
    assert [(c["action"], c["id"]) for c in changes] == [
        ("merged", twin_id), ("updated", leiden.pk), ("updated", leiden.pk), ("created", twin_id)]


def test_a_merged_record_outside_the_editors_region_is_not_restored_by_them(leiden, utrecht):
    administrator = maintainer("landelijk", Role.ADMINISTRATOR)
    far = make("Buurtkamer De Linde Utrecht", UTRECHT)
    actions.merge(leiden, far, acting_user=administrator)

    editor = maintainer("zh", Role.EDITOR, "PV28")
    with pytest.raises(NotAllowed):
        actions.undo_merge(Merge.objects.get(), acting_user=editor)
    assert not Initiative.objects.filter(name="Buurtkamer De Linde Utrecht").exists()


def test_an_undo_gives_the_external_id_back_to_the_record_it_came_from(leiden, editor):
    Initiative.objects.filter(pk=leiden.pk).update(source="Lijst LSA")
    leiden = Initiative.objects.get(pk=leiden.pk)
    listed = make("Buurtkamer de Linde", LEIDEN, source="Lijst LSA", external_id="L-1")
    listed_id = listed.pk
    kept = actions.merge(leiden, listed, acting_user=editor)
    assert Initiative.objects.get(pk=kept.pk).external_id == "L-1"  # of the same list: it goes with the record

    restored = actions.undo_merge(Merge.objects.get(), acting_user=editor)

    assert (restored.pk, restored.external_id) == (listed_id, "L-1")
    assert Initiative.objects.get(pk=leiden.pk).external_id == ""
