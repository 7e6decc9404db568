"""Boundaries found in a review of the workflow: reverts through simple-history's own form, accounts
of superusers, redirects to drafts, deletions that cascade, restores after the world moved on."""

from __future__ import annotations

import pytest
from django.test import Client

from registry import actions
from registry.models import (
    DuplicateCandidate,
    Initiative,
    Merge,
    Partner,
    Partnership,
    PartnershipRole,
    PublicationState,
    Role,
    SlugAlias,
    Suggestion,
    SuggestionKind,
)
from tests.conftest import LEIDEN, make
from tests.maintainers import ZUID_HOLLAND, administrator, editor, maintainer, reviewer


def logged_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def partner_form(partner: Partner, **changes: str) -> dict[str, str]:
    return {"name": partner.name, "slug": partner.slug, "kind": str(partner.kind_id), "kvk_number": "", "oin": "",
            "website": "", "municipality": "", **changes}


def test_a_reviewer_cannot_revert_a_partner_through_its_history_form(leiden):
    fund = Partner.objects.get(slug="vsbfonds")
    version = fund.history.latest()
    client = logged_in(reviewer("lezer"))

    page = client.get(f"/admin/registry/partner/{fund.pk}/history/{version.history_id}/")
    assert page.context["revert_disabled"] is True
    response = client.post(f"/admin/registry/partner/{fund.pk}/history/{version.history_id}/",
                           partner_form(fund, name="Gekaapt"))

    assert response.status_code == 403
    assert Partner.objects.get(pk=fund.pk).name == "VSBfonds"


def test_an_editor_cannot_revert_a_shared_partner_or_a_partnership_outside_the_region(leiden, utrecht):
    fund = Partner.objects.get(slug="vsbfonds")
    link = leiden.partnerships.get()
    leiden_version = link.history.latest()
    link.initiative = utrecht  # moved to Utrecht since
    link.save()
    client = logged_in(editor("zh", ZUID_HOLLAND))

    refused = client.post(f"/admin/registry/partner/{fund.pk}/history/{fund.history.latest().history_id}/",
                          partner_form(fund, name="Gewijzigd"))
    moved = client.post(f"/admin/registry/partnership/{link.pk}/history/{leiden_version.history_id}/", {
        "initiative": str(leiden.pk), "partner": str(fund.pk), "role": str(link.role_id), "start": "2020",
        "end": "2022", "note": ""})

    assert (refused.status_code, moved.status_code) == (403, 403)
    assert Partner.objects.get(pk=fund.pk).name == "VSBfonds"
    assert Partnership.objects.get(pk=link.pk).initiative == utrecht


def test_a_malformed_version_or_deletion_is_a_404_not_an_error(admin_client, leiden):
    assert admin_client.get(f"/admin/registry/initiative/{leiden.pk}/history/abc/").status_code == 404
    assert admin_client.post("/admin/registry/initiative/deleted/999999999/restore/").status_code == 404
    version = leiden.history.latest()  # exists, but is not a deletion
    assert admin_client.post(f"/admin/registry/initiative/deleted/{version.history_id}/restore/").status_code == 404


def test_only_a_superuser_changes_a_superusers_account(admin_user, django_user_model):
    client = logged_in(administrator("landelijk"))

    password = client.post(f"/admin/auth/user/{admin_user.pk}/password/",
                           {"password1": "Overgenomen-123", "password2": "Overgenomen-123"})
    deletion = client.post(f"/admin/auth/user/{admin_user.pk}/delete/", {"post": "yes"})

    assert (password.status_code, deletion.status_code) == (403, 403)
    assert django_user_model.objects.get(pk=admin_user.pk).check_password("password")


def test_an_old_address_does_not_lead_to_a_draft(client, leiden):
    draft = make("Geheim concept Leiden", LEIDEN, publication_state=PublicationState.DRAFT)
    published_id, published_slug = leiden.pk, leiden.slug
    cursor = client.get("/api/v1/changes").json()["cursor"]

    actions.merge(draft, leiden, acting_user=None)

    assert client.get(f"/initiatieven/{published_slug}").status_code == 404
    assert client.get(f"/api/v1/initiatives/{published_id}").status_code == 404
    changes = client.get(f"/api/v1/changes?since={cursor}").json()["changes"]
    assert [(c["action"], c["id"], c["mergedInto"]) for c in changes] == [("deleted", published_id, None)]


def test_an_initiative_with_a_duplicate_pair_or_a_suggestion_can_be_deleted_in_the_admin(leiden):
    twin = make("Buurtkamer de Linde", LEIDEN)
    DuplicateCandidate.objects.update_or_create(first=leiden, second=twin,
                                                defaults={"name_similarity": 0.9, "distance_m": 0})
    Suggestion.objects.create(kind=SuggestionKind.CORRECTION, initiative=twin, proposed={"phone": "071 111 1111"})

    assert logged_in(administrator()).post(f"/admin/registry/initiative/{leiden.pk}/delete/",
                                           {"post": "yes"}).status_code == 302
    assert logged_in(editor("zh", ZUID_HOLLAND)).post(f"/admin/registry/initiative/{twin.pk}/delete/",
                                                      {"post": "yes"}).status_code == 302
    assert not Initiative.objects.exists()


def test_partnerships_deleted_with_their_initiative_name_the_user_outside_a_request(leiden):
    user = editor("zh", ZUID_HOLLAND)
    link_id = leiden.partnerships.get().pk

    actions.delete(leiden, acting_user=user)

    assert Partnership.history.get(id=link_id, history_type="-").history_user == user


def test_a_merge_moves_the_pending_suggestions_of_the_removed_record(leiden):
    twin = make("Buurtkamer de Linde", LEIDEN)
    Suggestion.objects.create(kind=SuggestionKind.CORRECTION, initiative=twin, proposed={"phone": "071 111 1111"})

    actions.merge(leiden, twin, acting_user=None)

    assert Suggestion.objects.get().initiative == leiden


def test_restore_leaves_out_deleted_partners_and_gets_its_old_addresses_back(leiden, client):
    twin = make("Buurtkamer de Linde", LEIDEN)
    twin_slug = twin.slug
    actions.merge(leiden, twin, acting_user=None)
    other_fund = Partner.objects.create(name="Fonds weg", kind=Partner.objects.get(slug="vsbfonds").kind)
    Partnership.objects.create(initiative=leiden, partner=other_fund, role=PartnershipRole.objects.get(code="lening"))
    pk = leiden.pk
    actions.delete(leiden, acting_user=None)
    Partnership.objects.filter(partner=other_fund).delete()
    other_fund.delete()
    deletion = Initiative.history.get(id=pk, history_type="-")

    restored = actions.restore(deletion.history_id, acting_user=None)

    assert list(restored.partnerships.values_list("partner__slug", flat=True)) == ["vsbfonds"]
    assert set(SlugAlias.objects.filter(initiative=restored).values_list("slug", flat=True)) == {twin_slug}
    assert client.get(f"/initiatieven/{twin_slug}")["Location"] == f"/initiatieven/{restored.slug}"
    assert Merge.objects.get().kept_id == pk


def test_a_restored_record_whose_slug_became_an_old_address_gets_a_new_one(leiden):
    pk, slug = leiden.pk, leiden.slug
    actions.delete(leiden, acting_user=None)
    successor = make("Opvolger", LEIDEN)
    SlugAlias.objects.create(slug=slug, initiative=successor)

    restored = actions.restore(Initiative.history.get(id=pk, history_type="-").history_id, acting_user=None)

    assert restored.slug == "buurtkamer-de-linde-2"


def test_editors_see_only_pairs_and_imports_within_their_region(leiden, utrecht):
    DuplicateCandidate.objects.create(first=leiden, second=utrecht, name_similarity=0.6, distance_m=40000)
    regional_reviewer = maintainer("lezer-zh", Role.REVIEWER, ZUID_HOLLAND)

    for user in (editor("zh", ZUID_HOLLAND), regional_reviewer):
        client = logged_in(user)
        assert list(client.get("/admin/registry/duplicatecandidate/?decision__exact=open")
                    .context["cl"].queryset) == []
    assert len(logged_in(administrator()).get("/admin/registry/duplicatecandidate/?decision__exact=open")
               .context["cl"].queryset) == 1


@pytest.mark.parametrize(("crs", "refused"), [
    ({"properties": "EPSG:4326"}, False), ({"type": "name"}, True), ("EPSG:28992", True)])
def test_an_odd_crs_in_a_geojson_import_is_read_or_a_clear_file_error(crs, refused):
    import json

    from registry.importing.reading import FileProblem, read_geojson

    document = json.dumps({"type": "FeatureCollection", "crs": crs, "features": []}).encode()
    if refused:
        with pytest.raises(FileProblem, match="WGS84"):
            read_geojson(document)
    else:
        assert read_geojson(document).rows == []


def test_waiting_suggestions_move_with_their_record_to_its_new_region(leiden):
    from tests.conftest import UTRECHT

    suggestion = Suggestion.objects.create(kind=SuggestionKind.CORRECTION, initiative=leiden,
                                           proposed={"phone": "071 111 1111"}, municipality=leiden.municipality,
                                           province=leiden.province)
    before = Initiative.objects.get(pk=leiden.pk)
    leiden.location, leiden.postcode, leiden.place = UTRECHT.clone(), "3512 JE", "Utrecht"
    leiden.full_clean()
    actions.save_edit(leiden, before, acting_user=None)

    suggestion.refresh_from_db()
    assert (suggestion.municipality.code, suggestion.province.code) == ("GM0344", "PV26")
    actions.approve_suggestion(suggestion, acting_user=editor("utrecht", "PV26"))
    assert Initiative.objects.get(pk=leiden.pk).phone == "071 111 1111"
