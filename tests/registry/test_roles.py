"""Roles in the admin: administrators change everything, regional editors only their region (and
cannot move a record out of it), reviewers read, staff without a role see nothing of the register."""

from __future__ import annotations

import pytest
from django.contrib.gis.geos import GEOSGeometry
from django.test import Client

from registry.models import (
    DuplicateCandidate,
    Initiative,
    Maintainer,
    Partner,
    PartnerKind,
    Partnership,
    PartnershipRole,
    Role,
    YearlyFigures,
)
from tests.conftest import UTRECHT
from tests.maintainers import maintainer
from tests.registry.test_admin import add_form

ZUID_HOLLAND, UTRECHT_PROVINCE, LEIDEN_MUNICIPALITY = "PV28", "PV26", "GM0546"


def logged_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def as_posted_by_the_map(point) -> str:
    """The admin's map widget posts the point as GeoJSON in WGS84 (geo/static/geo/point-map-widget.js)."""
    return point.json


def change_form(initiative: Initiative, **overrides: str) -> dict[str, str]:
    """The admin's change form of a stored record, as the browser would post it unchanged."""
    form = add_form(
        name=initiative.name, slug=initiative.slug, kind=str(initiative.kind_id),
        services=[str(pk) for pk in initiative.services.values_list("pk", flat=True)],
        legal_form=initiative.legal_form, kvk_number=initiative.kvk_number,
        founded_year=str(initiative.founded_year or ""), website=initiative.website, street=initiative.street,
        house_number=initiative.house_number, postcode=initiative.postcode, place=initiative.place,
        location=as_posted_by_the_map(initiative.location), publication_state=initiative.publication_state,
        **{"partnerships-TOTAL_FORMS": "0"})
    form.update(overrides)
    return form


@pytest.fixture
def editor(db):
    return maintainer("zh", Role.EDITOR, ZUID_HOLLAND)


@pytest.fixture
def reviewer(db):
    return maintainer("lezer", Role.REVIEWER)


def listed(client: Client) -> set[str]:
    response = client.get("/admin/registry/initiative/")
    assert response.status_code == 200
    return {initiative.name for initiative in response.context["cl"].queryset}


def test_an_editor_sees_only_the_initiatives_of_their_region(editor, leiden, utrecht):
    assert listed(logged_in(editor)) == {"Buurtkamer De Linde"}
    town_editor = maintainer("leiden", Role.EDITOR, municipalities=(LEIDEN_MUNICIPALITY,))
    assert listed(logged_in(town_editor)) == {"Buurtkamer De Linde"}
    utrecht_editor = maintainer("utrecht", Role.EDITOR, UTRECHT_PROVINCE)
    assert listed(logged_in(utrecht_editor)) == {"Energiecoöperatie Utrecht"}

    # Not shown, and said so: it lies outside the region (not that it "does not exist"), without naming it.
    version = utrecht.history.latest().history_id
    for page in ("change", "history", "delete", f"history/{version}"):
        response = logged_in(editor).get(f"/admin/registry/initiative/{utrecht.pk}/{page}/")
        assert response.status_code == 403
        text = response.content.decode()
        assert f"Initiatief #{utrecht.pk} ligt buiten uw regio (Zuid-Holland)" in text
        assert "Energiecoöperatie" not in text


def test_an_editor_changes_a_record_of_their_region_and_is_named_in_its_history(editor, leiden):
    response = logged_in(editor).post(f"/admin/registry/initiative/{leiden.pk}/change/",
                                      change_form(leiden, name="Buurtkamer De Linde (Leiden)"))

    assert response.status_code == 302, response.context["adminform"].form.errors
    latest = Initiative.objects.get(pk=leiden.pk).history.latest()
    assert (latest.name, latest.history_user, latest.history_change_reason) == (
        "Buurtkamer De Linde (Leiden)", editor, "edited")


def test_an_editor_cannot_move_a_record_out_of_their_region(editor, leiden):
    response = logged_in(editor).post(f"/admin/registry/initiative/{leiden.pk}/change/",
                                      change_form(leiden, location=as_posted_by_the_map(UTRECHT), postcode="3512 JE",
                                                  place="Utrecht"))

    assert response.status_code == 200
    assert response.context["adminform"].form.errors == {"location": [
        "Deze locatie ligt in Utrecht, buiten uw regio (Zuid-Holland)."]}
    stored = Initiative.objects.get(pk=leiden.pk)
    assert (stored.municipality.code, stored.history.count()) == (LEIDEN_MUNICIPALITY, leiden.history.count())


def test_an_editor_adds_records_only_in_their_region(editor):
    outside = logged_in(editor).post("/admin/registry/initiative/add/", add_form(postcode="3512 JE", place="Utrecht"))
    assert outside.status_code == 200
    assert list(outside.context["adminform"].form.errors) == ["location"]
    assert not Initiative.objects.exists()

    inside = logged_in(editor).post("/admin/registry/initiative/add/", add_form())
    assert inside.status_code == 302
    assert {entry.history_user for entry in Initiative.objects.get().history.all()} == {editor}


def test_an_editor_deletes_only_in_their_region(editor, leiden, utrecht):
    client = logged_in(editor)
    assert client.post(f"/admin/registry/initiative/{utrecht.pk}/delete/", {"post": "yes"}).status_code == 403
    assert Initiative.objects.filter(pk=utrecht.pk).exists()

    assert client.post(f"/admin/registry/initiative/{leiden.pk}/delete/", {"post": "yes"}).status_code == 302
    assert not Initiative.objects.filter(pk=leiden.pk).exists()
    assert Initiative.history.model.objects.get(id=leiden.pk, history_type="-").history_user == editor


def test_a_bulk_action_changes_only_the_region(editor, leiden, utrecht):
    from registry import actions

    actions.archive(leiden, acting_user=None)
    actions.archive(utrecht, acting_user=None)
    logged_in(editor).post("/admin/registry/initiative/", {"action": "publish",
                                                           "_selected_action": [leiden.pk, utrecht.pk]})

    assert dict(Initiative.objects.values_list("name", "publication_state")) == {
        "Buurtkamer De Linde": "gepubliceerd", "Energiecoöperatie Utrecht": "gearchiveerd"}


def test_a_reviewer_reads_everything_and_changes_nothing(reviewer, leiden, utrecht):
    client = logged_in(reviewer)
    assert listed(client) == {"Buurtkamer De Linde", "Energiecoöperatie Utrecht"}
    page = client.get(f"/admin/registry/initiative/{leiden.pk}/change/")
    assert page.status_code == 200 and page.context["has_change_permission"] is False

    assert client.post(f"/admin/registry/initiative/{leiden.pk}/change/",
                       change_form(leiden, name="Anders")).status_code == 403
    assert client.post("/admin/registry/initiative/add/", add_form()).status_code == 403
    assert client.post(f"/admin/registry/initiative/{leiden.pk}/delete/", {"post": "yes"}).status_code == 403
    version = leiden.history.earliest()
    revert = f"/admin/registry/initiative/{leiden.pk}/history/{version.history_id}/"
    assert client.get(revert).status_code == 200
    assert client.post(revert).status_code == 403
    assert Initiative.objects.get(pk=leiden.pk).name == "Buurtkamer De Linde"


def test_staff_without_a_role_see_nothing_of_the_register(django_user_model, leiden):
    user = django_user_model.objects.create_user("medewerker", password="x", is_staff=True)
    client = logged_in(user)

    assert client.get("/admin/registry/initiative/").status_code == 403
    assert client.get(f"/admin/registry/initiative/{leiden.pk}/change/").status_code == 403
    assert "registry" not in {app["app_label"] for app in client.get("/admin/").context["app_list"]}


def test_partners_are_shared_an_editor_changes_one_only_used_in_their_region(editor, leiden, utrecht):
    fund = Partner.objects.get(slug="vsbfonds")  # works with the Leiden initiative only
    client = logged_in(editor)
    form = {"name": "VSBfonds", "slug": "vsbfonds", "kind": str(fund.kind_id), "kvk_number": "", "oin": "",
            "website": "https://vsbfonds.example", "municipality": ""}
    assert client.post(f"/admin/registry/partner/{fund.pk}/change/", form).status_code == 302
    assert Partner.objects.get(pk=fund.pk).website == "https://vsbfonds.example"

    Partnership.objects.create(initiative=utrecht, partner=fund, role=PartnershipRole.objects.get(code="financier"))
    assert client.post(f"/admin/registry/partner/{fund.pk}/change/", {**form, "website": ""}).status_code == 403
    assert client.post(f"/admin/registry/partner/{fund.pk}/delete/", {"post": "yes"}).status_code == 403
    assert Partner.objects.get(pk=fund.pk).website == "https://vsbfonds.example"


def test_an_editor_changes_no_partner_that_commissioned_work_outside_their_region(editor, leiden, utrecht):
    """Its name shows in the yearly figures of the record whose work it commissioned."""
    fund = Partner.objects.get(slug="vsbfonds")  # works with the Leiden initiative only
    YearlyFigures.objects.create(initiative=utrecht, year=2025, commissioning_partner=fund)
    client = logged_in(editor)
    form = {"name": "VSBfonds", "slug": "vsbfonds", "kind": str(fund.kind_id), "kvk_number": "", "oin": "",
            "website": "https://vsbfonds.example", "municipality": ""}

    assert client.post(f"/admin/registry/partner/{fund.pk}/change/", form).status_code == 403
    assert Partner.objects.get(pk=fund.pk).website != "https://vsbfonds.example"


def test_an_editor_links_partners_only_to_initiatives_of_their_region(editor, leiden, utrecht):
    fund = Partner.objects.get(slug="vsbfonds")
    role = PartnershipRole.objects.get(code="lening")
    form = {"partner": str(fund.pk), "role": str(role.pk), "start": "2024", "end": "", "note": ""}
    client = logged_in(editor)

    refused = client.post("/admin/registry/partnership/add/", {**form, "initiative": str(utrecht.pk)})
    assert list(refused.context["adminform"].form.errors) == ["initiative"]
    assert client.post("/admin/registry/partnership/add/", {**form, "initiative": str(leiden.pk)}).status_code == 302
    assert list(Partnership.objects.filter(role=role).values_list("initiative__name", flat=True)) == [
        "Buurtkamer De Linde"]


def test_accounts_and_roles_are_for_administrators(editor, reviewer, django_user_model):
    administrator = maintainer("landelijk", Role.ADMINISTRATOR)
    for user in (editor, reviewer):
        assert logged_in(user).get("/admin/registry/maintainer/").status_code == 403
        assert logged_in(user).get("/admin/auth/user/").status_code == 403
    client = logged_in(administrator)
    assert client.get("/admin/auth/user/").status_code == 200

    newcomer = django_user_model.objects.create_user("nieuw", password="x")
    from geo.models import Province

    response = client.post("/admin/registry/maintainer/add/", {
        "user": str(newcomer.pk), "role": Role.EDITOR, "provinces": [], "municipalities": [], "notify": "on"})
    assert response.context["adminform"].form.non_field_errors() == [
        "Een regionale redacteur heeft minstens één provincie of gemeente nodig."]
    response = client.post("/admin/registry/maintainer/add/", {
        "user": str(newcomer.pk), "role": Role.EDITOR,
        "provinces": [str(Province.objects.get(code=UTRECHT_PROVINCE).pk)], "municipalities": [], "notify": "on"})
    assert response.status_code == 302
    newcomer.refresh_from_db()
    assert (newcomer.is_staff, newcomer.maintainer.role) == (True, Role.EDITOR)


def test_the_duplicate_review_merges_only_within_the_region(editor, leiden, utrecht):
    from tests.conftest import LEIDEN, make

    twin = make("Buurtkamer de Linde", LEIDEN)
    pair, _found = DuplicateCandidate.objects.update_or_create(first=leiden, second=twin,
                                                               defaults={"name_similarity": 0.9, "distance_m": 0})
    far = DuplicateCandidate.objects.create(first=leiden, second=utrecht, name_similarity=0.6, distance_m=40000)
    client = logged_in(editor)

    # A pair across the region's border is for an administrator: not shown, not decided.
    assert client.get(f"/admin/registry/duplicatecandidate/{far.pk}/change/").status_code == 302
    client.post(f"/admin/registry/duplicatecandidate/{far.pk}/change/", {"decision": "merge", "keep": "first"})
    assert Initiative.objects.filter(pk=utrecht.pk).exists()

    page = client.get(f"/admin/registry/duplicatecandidate/{pair.pk}/change/")
    assert page.context["can_decide"] is True
    response = client.post(f"/admin/registry/duplicatecandidate/{pair.pk}/change/",
                           {"decision": "merge", "keep": "first"})
    assert response["Location"] == f"/admin/registry/initiative/{leiden.pk}/change/"
    assert not Initiative.objects.filter(pk=twin.pk).exists()

    administrator = maintainer("landelijk", Role.ADMINISTRATOR)
    logged_in(administrator).post(f"/admin/registry/duplicatecandidate/{far.pk}/change/", {"decision": "distinct"})
    far.refresh_from_db()
    assert (far.decision, far.decided_by) == ("verschillend", administrator)


def test_a_point_placed_in_the_region_by_map_is_accepted(editor):
    point = GEOSGeometry("POINT(4.4970 52.1601)", srid=4326)
    response = logged_in(editor).post("/admin/registry/initiative/add/",
                                      add_form(location=as_posted_by_the_map(point)))
    assert response.status_code == 302
    assert Maintainer.objects.get(user=editor).provinces.get().code == ZUID_HOLLAND
    assert Initiative.objects.get().province.code == ZUID_HOLLAND
    assert PartnerKind.objects.exists()
