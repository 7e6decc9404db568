"""Every change is in the history: who, when, what; a version can be restored, a deleted record
brought back, and two records of one initiative merged (the old address redirects)."""

from __future__ import annotations

import datetime

import pytest
from django.core.exceptions import ValidationError

from registry import actions
from registry.models import (
    DuplicateCandidate,
    FundingSource,
    Initiative,
    Merge,
    Partner,
    PartnerKind,
    Partnership,
    PartnershipRole,
    Service,
    SlugAlias,
)
from tests.conftest import LEIDEN, make


@pytest.fixture
def editor(django_user_model):
    return django_user_model.objects.create_user("redacteur", password="x", is_superuser=True)


def test_an_edit_records_who_changed_which_fields_from_what_to_what(leiden, editor):
    before = Initiative.objects.get(pk=leiden.pk)
    leiden.name, leiden.phone = "Buurtkamer De Linde-Noord", "071 765 4321"
    leiden.full_clean()
    actions.save_edit(leiden, before, acting_user=editor)

    latest, previous = leiden.history.order_by("-history_id")[:2]
    delta = latest.diff_against(previous)
    assert {(c.field, c.old, c.new) for c in delta.changes} == {
        ("name", "Buurtkamer De Linde", "Buurtkamer De Linde-Noord"), ("phone", "071 123 4567", "071 765 4321")}
    assert (latest.history_user, latest.history_change_reason) == (editor, "edited")


def test_revert_puts_fields_and_services_back_and_says_so(leiden, editor):
    first = leiden.history.earliest()
    services = set(leiden.services.values_list("code", flat=True))
    before = Initiative.objects.get(pk=leiden.pk)
    leiden.name, leiden.postcode = "Andere naam", "2312 AB"
    leiden.full_clean()
    actions.save_edit(leiden, before, acting_user=editor)
    leiden.services.set(Service.objects.filter(code="winkel"))
    # The fixture sets services after its first save: the version to go back to is the one after that.
    version = leiden.history.filter(history_id__gt=first.history_id).order_by("history_id").first()
    assert set(version.services.values_list("service__code", flat=True)) == services

    actions.revert(leiden, version.history_id, acting_user=editor)

    stored = Initiative.objects.get(pk=leiden.pk)
    assert (stored.name, stored.postcode) == ("Buurtkamer De Linde", "2311 CS")
    assert set(stored.services.values_list("code", flat=True)) == services
    latest = stored.history.latest()
    assert latest.history_change_reason.startswith("reverted to the version of ")
    assert latest.history_user == editor


def test_a_deleted_record_comes_back_with_its_id_services_and_partnerships(leiden, editor):
    pk, partner = leiden.pk, leiden.partnerships.get().partner
    services = set(leiden.services.values_list("code", flat=True))
    funding = set(leiden.funding_sources.values_list("code", flat=True))
    actions.delete(leiden, acting_user=editor)
    assert not Initiative.objects.filter(pk=pk).exists()
    deletion = Initiative.history.model.objects.get(id=pk, history_type="-")
    assert deletion.history_user == editor

    restored = actions.restore(deletion.history_id, acting_user=editor)

    assert (restored.pk, restored.slug, restored.municipality.code) == (pk, "buurtkamer-de-linde", "GM0546")
    assert set(restored.services.values_list("code", flat=True)) == services
    assert set(restored.funding_sources.values_list("code", flat=True)) == funding
    assert list(restored.partnerships.values_list("partner", "role__code", "start", "end")) == [
        (partner.pk, "financier", "2020", "2022")]
    assert restored.history.latest().history_change_reason == "restored"
    with pytest.raises(ValidationError):
        actions.restore(deletion.history_id, acting_user=editor)  # it exists again


def duplicate_of_leiden(**fields) -> Initiative:
    return make("Buurtkamer de Linde", LEIDEN, **fields)


def test_merge_keeps_one_record_with_what_both_had(leiden, editor):
    other = duplicate_of_leiden(website="", email="", phone="", founded_year=None, kvk_number="",
                                description="Tweede invoer.", verification_method="bezoek",
                                last_verified_on=datetime.date.today())
    other.services.set(Service.objects.filter(code__in=["winkel", "ontmoetingsplek"]))
    other.funding_sources.set(FundingSource.objects.filter(code="crowdfunding"))
    town = Partner.objects.create(name="Gemeente Leiden", kind=PartnerKind.objects.get(code="gemeente"),
                                  municipality=leiden.municipality)
    Partnership.objects.create(initiative=other, partner=town, role=PartnershipRole.objects.get(code="opdrachtgever"))
    Partnership.objects.create(initiative=other, partner=leiden.partnerships.get().partner, start="2020",
                               role=PartnershipRole.objects.get(code="financier"))  # both have this one
    SlugAlias.objects.create(slug="oude-linde", initiative=other)
    removed_id, removed_slug = other.pk, other.slug

    kept = actions.merge(leiden, other, acting_user=editor)

    assert not Initiative.objects.filter(pk=removed_id).exists()
    kept = Initiative.objects.get(pk=leiden.pk)
    assert kept.description == "Koffie, soep en een luisterend oor."  # its own value wins
    assert (kept.last_verified_on, kept.verification_method) == (datetime.date.today(), "bezoek")  # the newest
    assert set(kept.services.values_list("code", flat=True)) == {"ontmoetingsplek", "wijkrestaurant", "winkel"}
    assert set(kept.funding_sources.values_list("code", flat=True)) == {"subsidie", "donaties", "crowdfunding"}
    assert sorted(kept.partnerships.values_list("partner__name", "role__code")) == [
        ("Gemeente Leiden", "opdrachtgever"), ("VSBfonds", "financier")]
    assert set(SlugAlias.objects.filter(initiative=kept).values_list("slug", flat=True)) == {"oude-linde", removed_slug}
    merge = Merge.objects.get()
    assert (merge.kept, merge.removed_id, merge.removed_slug, merge.merged_by) == (kept, removed_id, removed_slug,
                                                                                   editor)
    assert kept.history.latest().history_change_reason == f"merged with #{removed_id} ({removed_slug})"
    removal = Initiative.history.model.objects.get(id=removed_id, history_type="-")
    assert (removal.history_change_reason, removal.history_user) == (f"merged into #{kept.pk} ({kept.slug})", editor)


def test_merging_fills_only_empty_fields(leiden, editor):
    other = duplicate_of_leiden(website="https://andere.example", legal_form="vereniging")
    leiden.website = ""
    leiden.save()

    kept = actions.merge(leiden, other, acting_user=editor)

    assert (kept.website, kept.legal_form) == ("https://andere.example", "stichting")


def test_the_old_address_of_a_merged_record_redirects_on_the_site_and_in_the_api(client, leiden, editor):
    other = duplicate_of_leiden()
    removed_id, removed_slug = other.pk, other.slug
    actions.merge(leiden, other, acting_user=editor)

    page = client.get(f"/initiatieven/{removed_slug}")
    assert (page.status_code, page["Location"]) == (301, "/initiatieven/buurtkamer-de-linde")
    api = client.get(f"/api/v1/initiatives/{removed_id}?format=geojson")
    assert (api.status_code, api["Location"]) == (301, f"/api/v1/initiatives/{leiden.pk}?format=geojson")
    assert client.get(f"/api/v1/initiatives/{removed_id + 1000}").status_code == 404


def test_the_merge_shows_in_the_change_feed(client, leiden, editor):
    other = duplicate_of_leiden()
    cursor = client.get("/api/v1/changes").json()["cursor"]
    removed_id = other.pk
    actions.merge(leiden, other, acting_user=editor)

    changes = client.get(f"/api/v1/changes?since={cursor}").json()["changes"]

    assert [(c["action"], c["id"], c["mergedInto"]) for c in changes] == [
        ("merged", removed_id, leiden.pk), ("updated", leiden.pk, None)]
    assert changes[1]["url"] == f"http://testserver/api/v1/initiatives/{leiden.pk}"


def test_a_merge_of_a_merge_leads_to_the_last_record(client, leiden, editor):
    second, third = duplicate_of_leiden(), make("Buurtkamer Linde", LEIDEN)
    second_id = second.pk
    actions.merge(third, second, acting_user=editor)
    actions.merge(leiden, third, acting_user=editor)

    response = client.get(f"/api/v1/initiatives/{second_id}")
    assert (response.status_code, response["Location"]) == (301, f"/api/v1/initiatives/{leiden.pk}")


def test_a_merge_removes_the_pair_from_the_duplicate_queue(leiden, editor, make_initiative):
    other = make_initiative(name="Buurtkamer de Linde")
    other.full_clean()
    actions.save_edit(other, None, acting_user=editor)  # saving looks for duplicates
    assert DuplicateCandidate.objects.filter(first=leiden, second=other).exists()

    actions.merge(leiden, other, acting_user=editor)

    assert not DuplicateCandidate.objects.exists()


def test_a_record_cannot_be_merged_with_itself(leiden, editor):
    with pytest.raises(ValidationError):
        actions.merge(leiden, Initiative.objects.get(pk=leiden.pk), acting_user=editor)
    assert Initiative.objects.filter(pk=leiden.pk).exists()


def test_a_restored_record_shows_in_the_change_feed_as_created_again(client, leiden, editor):
    pk = leiden.pk
    actions.delete(leiden, acting_user=editor)
    cursor = client.get("/api/v1/changes").json()["cursor"]
    deletion = Initiative.history.model.objects.get(id=pk, history_type="-")

    actions.restore(deletion.history_id, acting_user=editor)

    changes = client.get(f"/api/v1/changes?since={cursor}").json()["changes"]
    assert [(c["action"], c["id"]) for c in changes] == [("created", pk)]


def test_the_admin_shows_the_history_as_a_readable_diff_and_reverts_from_it(admin_client, leiden, admin_user):
    before = Initiative.objects.get(pk=leiden.pk)
    leiden.name, leiden.status, leiden.stopped_on, leiden.stop_reason = (
        "De Linde", "gestopt", datetime.date(2026, 1, 31), "financiering")
    leiden.full_clean()
    actions.save_edit(leiden, before, acting_user=admin_user)

    history = admin_client.get(f"/admin/registry/initiative/{leiden.pk}/history/")
    latest = history.context["page_obj"][0]
    assert {(c["field"], str(c["old"]), str(c["new"])) for c in latest.history_delta_changes} == {
        ("Naam", "Buurtkamer De Linde", "De Linde"), ("Status", "actief", "gestopt"),
        ("Gestopt op", "—", "2026-01-31"), ("Reden van stoppen", "—", "gebrek aan financiering")}

    version = leiden.history.order_by("history_id")[1]  # after the services were set
    page = admin_client.get(f"/admin/registry/initiative/{leiden.pk}/history/{version.history_id}/")
    assert {(c.label, c.now, c.then) for c in page.context["plan"].fields} >= {
        ("naam", "De Linde", "Buurtkamer De Linde"), ("status", "gestopt", "actief")}
    assert page.context["can_revert"] is True

    response = admin_client.post(f"/admin/registry/initiative/{leiden.pk}/history/{version.history_id}/")
    assert response.status_code == 302
    stored = Initiative.objects.get(pk=leiden.pk)
    assert (stored.name, stored.status, stored.stopped_on) == ("Buurtkamer De Linde", "actief", None)


def test_the_admin_lists_deleted_records_and_restores_them(admin_client, leiden, utrecht, admin_user):
    twin = make("Buurtkamer de Linde", LEIDEN)
    actions.merge(leiden, twin, acting_user=admin_user)  # merged away: not offered for restoring
    utrecht_id = utrecht.pk
    actions.delete(utrecht, acting_user=admin_user)

    page = admin_client.get("/admin/registry/initiative/deleted/")
    assert [(d.name, d.history_user) for d in page.context["deletions"]] == [
        ("Energiecoöperatie Utrecht", admin_user)]

    deletion = page.context["deletions"][0]
    response = admin_client.post(f"/admin/registry/initiative/deleted/{deletion.history_id}/restore/")
    assert response["Location"] == f"/admin/registry/initiative/{utrecht_id}/change/"
    assert Initiative.objects.filter(pk=utrecht_id).exists()
    assert list(admin_client.get("/admin/registry/initiative/deleted/").context["deletions"]) == []
