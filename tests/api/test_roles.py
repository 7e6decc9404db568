"""Roles in the API: the same boundaries as in the admin, answered as problem documents."""

from __future__ import annotations

import pytest
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from registry.models import Initiative, Partner, Partnership, PartnershipRole, PublicationState, Role
from tests.api.test_writes import new_initiative
from tests.conftest import UTRECHT, make
from tests.maintainers import maintainer


def client_of(user) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.get_or_create(user=user)[0].key}")
    return client


@pytest.fixture
def editor(db):
    return maintainer("zh", Role.EDITOR, "PV28")


@pytest.fixture
def utrecht_draft(db) -> Initiative:
    return make("Concept Utrecht", UTRECHT, publication_state=PublicationState.DRAFT)


def problem(response) -> tuple[int, str, str]:
    return response.status_code, response["Content-Type"], response.json()["detail"]


def test_an_editor_reads_the_public_register_and_the_drafts_of_their_region(editor, leiden, utrecht, utrecht_draft):
    leiden_draft = make("Concept Leiden", leiden.location, publication_state=PublicationState.DRAFT)
    names = {r["name"] for r in client_of(editor).get("/api/v1/initiatives").json()["results"]}

    assert names == {leiden.name, utrecht.name, leiden_draft.name}
    assert client_of(editor).get(f"/api/v1/initiatives/{utrecht_draft.pk}").status_code == 404
    assert client_of(editor).get(f"/api/v1/initiatives/{leiden_draft.pk}").status_code == 200


def test_an_editor_creates_in_their_region_and_is_named_in_the_history(editor):
    response = client_of(editor).post("/api/v1/initiatives", new_initiative(), format="json")

    assert response.status_code == 201, response.json()
    assert Initiative.objects.get(pk=response.json()["id"]).history.latest().history_user == editor


def test_an_editor_cannot_create_outside_their_region(editor):
    response = client_of(editor).post("/api/v1/initiatives", new_initiative(
        address={"postcode": "3512 JE", "place": "Utrecht"}), format="json")

    assert response.status_code == 400
    assert response.json()["invalidParams"] == [
        {"name": "location", "reason": "Deze locatie ligt in Utrecht, buiten uw regio (Zuid-Holland)."}]
    assert not Initiative.objects.exists()


def test_an_editor_cannot_move_a_record_out_of_their_region(editor, leiden):
    response = client_of(editor).patch(f"/api/v1/initiatives/{leiden.pk}", {
        "location": {"type": "Point", "coordinates": [UTRECHT.x, UTRECHT.y]}}, format="json")

    assert response.status_code == 400
    assert response.json()["invalidParams"][0]["name"] == "location"
    assert Initiative.objects.get(pk=leiden.pk).municipality.code == "GM0546"


def test_an_editor_cannot_change_or_delete_outside_their_region(editor, utrecht):
    client = client_of(editor)
    expected = (403, "application/problem+json", "“Energiecoöperatie Utrecht” ligt buiten uw regio (Zuid-Holland).")

    assert problem(client.patch(f"/api/v1/initiatives/{utrecht.pk}", {"name": "Anders"}, format="json")) == expected
    assert problem(client.delete(f"/api/v1/initiatives/{utrecht.pk}")) == expected
    assert Initiative.objects.get(pk=utrecht.pk).name == "Energiecoöperatie Utrecht"


def test_a_reviewer_and_staff_without_a_role_cannot_write(django_user_model, leiden):
    reviewer = maintainer("lezer", Role.REVIEWER)
    staff = django_user_model.objects.create_user("medewerker", password="x", is_staff=True)
    for user in (reviewer, staff):
        client = client_of(user)
        assert problem(client.post("/api/v1/initiatives", new_initiative(), format="json")) == (
            403, "application/problem+json", "Uw rol staat geen wijzigingen in het register toe.")
        assert client.delete(f"/api/v1/initiatives/{leiden.pk}").status_code == 403
    assert Initiative.objects.count() == 1
    # A reviewer reads drafts; staff without a role only what is public.
    draft = make("Concept", UTRECHT, publication_state=PublicationState.DRAFT)
    assert client_of(reviewer).get(f"/api/v1/initiatives/{draft.pk}").status_code == 200
    assert client_of(staff).get(f"/api/v1/initiatives/{draft.pk}").status_code == 404


def test_partnerships_follow_the_region_of_their_initiative(editor, leiden, utrecht):
    client = client_of(editor)
    refused = client.post("/api/v1/partnerships", {"initiative": utrecht.pk, "partner": "vsbfonds",
                                                    "role": "lening", "start": "2024"}, format="json")
    assert refused.json()["invalidParams"] == [{"name": "initiative", "reason": "Dit initiatief ligt buiten uw regio."}]

    foreign = Partnership.objects.create(initiative=utrecht, partner=Partner.objects.get(slug="vsbfonds"),
                                         role=PartnershipRole.objects.get(code="lening"))
    assert client.delete(f"/api/v1/partnerships/{foreign.pk}").status_code == 403
    own = leiden.partnerships.get()
    assert client.patch(f"/api/v1/partnerships/{own.pk}", {"initiative": utrecht.pk}, format="json").status_code == 400
    assert client.delete(f"/api/v1/partnerships/{own.pk}").status_code == 204
    assert list(Partnership.objects.values_list("initiative__name", flat=True)) == ["Energiecoöperatie Utrecht"]


def test_an_editor_changes_a_partner_only_while_it_works_in_their_region(editor, leiden, utrecht):
    client = client_of(editor)
    fund = Partner.objects.get(slug="vsbfonds")
    assert client.patch(f"/api/v1/partners/{fund.pk}", {"website": "https://vsb.example"}, format="json").status_code \
        == 200

    Partnership.objects.create(initiative=utrecht, partner=fund, role=PartnershipRole.objects.get(code="lening"))
    refused = client.patch(f"/api/v1/partners/{fund.pk}", {"website": ""}, format="json")
    assert problem(refused) == (403, "application/problem+json", "“VSBfonds” werkt ook met initiatieven buiten uw "
                                                                 "regio; een beheerder wijzigt deze partner.")
    assert problem(client.delete(f"/api/v1/partners/{fund.pk}")) == (
        403, "application/problem+json", "Alleen een beheerder verwijdert een partner.")
    assert Partner.objects.get(pk=fund.pk).website == "https://vsb.example"
