"""Maintainers write with a token, through the same model validation as the admin."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from registry.models import Initiative, Partner, Partnership


def new_initiative(**changes) -> dict:
    body = {"name": "Wijkrestaurant De Kiem", "kind": "wijkonderneming", "services": ["wijkrestaurant"],
            "address": {"street": "Breestraat", "houseNumber": "10", "postcode": "2311cs", "place": "Leiden"},
            "fundingSources": ["eigen-inkomsten"], "kvkNumber": "1234 5678", "publicationState": "gepubliceerd"}
    body.update(changes)
    return body


def test_staff_create_an_initiative_and_get_the_public_document_back(staff_client):
    response = staff_client.post("/api/v1/initiatives", new_initiative(), format="json")

    assert response.status_code == 201, response.json()
    body = response.json()
    assert (body["slug"], body["kvkNumber"], body["address"]["postcode"]) == (
        "wijkrestaurant-de-kiem", "12345678", "2311 CS")
    assert (body["municipality"]["code"], body["locationPrecision"]) == ("GM0546", "postcode")
    assert [s["code"] for s in body["services"]] == ["wijkrestaurant"]
    stored = Initiative.objects.get(pk=body["id"])
    assert stored.history.latest().history_change_reason == "created"
    # The detail adds the public yearly figures and evidence (none yet) to the write answer.
    assert APIClient().get(f"/api/v1/initiatives/{stored.pk}").json() == {
        **body, "yearlyFigures": [], "socialValueEvidence": []}


def test_the_model_rules_come_back_as_invalid_params_under_the_api_names(staff_client):
    response = staff_client.post("/api/v1/initiatives", new_initiative(
        kvkNumber="123", status="gestopt", address={"postcode": "9999 SS"},
        location={"type": "Point", "coordinates": [3.5, 52.6]}), format="json")

    assert response.status_code == 400
    assert response["Content-Type"] == "application/problem+json"
    assert response.json()["invalidParams"] == [
        {"name": "kvkNumber", "reason": "Een KvK-nummer heeft precies 8 cijfers, bijvoorbeeld 12345678; “123” niet."},
        {"name": "address.postcode",
         "reason": "“9999 SS” is geen Nederlandse postcode: de letters SS worden nooit gebruikt."},
        {"name": "stoppedOn", "reason": "Een gestopt initiatief heeft een stopdatum nodig."},
        {"name": "stopReason",
         "reason": "Een gestopt initiatief heeft een reden van stoppen nodig (kies “overig” als die onbekend is)."},
        {"name": "location", "reason": "Het punt (3.50000, 52.60000) ligt buiten Nederland: meer dan 1 km van elke "
                                       "Nederlandse gemeente. Controleer of lengte- en breedtegraad niet verwisseld "
                                       "zijn."},
    ]
    assert Initiative.objects.count() == 0


@pytest.mark.parametrize(("body", "name"), [
    ({"kind": "vliegveld"}, "kind"),
    ({"services": ["winkel", 7]}, "services"),
    ({"location": {"type": "Point", "coordinates": [4.49]}}, "location"),
    ({"location": "POINT(4.49 52.16)"}, "location"),
    ({"location": {"type": "Point", "coordinates": [4.49, 95]}}, "location"),
    ({"legalForm": "nv"}, "legalForm"),
    ({"foundedYear": "lang geleden"}, "foundedYear"),
])
def test_malformed_values_are_refused_before_the_model(staff_client, body, name):
    response = staff_client.post("/api/v1/initiatives", new_initiative(**body), format="json")
    assert response.status_code == 400
    assert response.json()["invalidParams"][0]["name"].startswith(name)


def test_broken_json_is_a_400_problem(staff_client):
    response = staff_client.generic("POST", "/api/v1/initiatives", '{"name": "half', content_type="application/json")
    assert (response.status_code, response["Content-Type"]) == (400, "application/problem+json")


def test_staff_update_and_delete(staff_client, leiden):
    patched = staff_client.patch(f"/api/v1/initiatives/{leiden.pk}", {"status": "gestopt",
                                 "stoppedOn": "2026-01-31", "stopReason": "financiering"}, format="json")
    assert patched.status_code == 200, patched.json()
    assert Initiative.objects.get(pk=leiden.pk).history.latest().history_change_reason == "stopped: financiering"

    assert staff_client.delete(f"/api/v1/initiatives/{leiden.pk}").status_code == 204
    assert not Initiative.objects.filter(pk=leiden.pk).exists()


def test_staff_add_a_partnership_with_the_model_rules(staff_client, leiden):
    fund = Partner.objects.get(slug="vsbfonds")
    bad = staff_client.post("/api/v1/partnerships", {"initiative": leiden.pk, "partner": "vsbfonds",
                                                    "role": "lening", "start": "2023", "end": "2022"}, format="json")
    assert bad.json()["invalidParams"] == [{"name": "end", "reason": "Het einde ligt vóór het begin."}]

    good = staff_client.post("/api/v1/partnerships", {"initiative": leiden.pk, "partner": "vsbfonds",
                                                     "role": "lening", "start": "2023"}, format="json")
    assert good.status_code == 201, good.json()
    assert Partnership.objects.filter(partner=fund, role__code="lening").count() == 1


def test_anonymous_and_non_staff_clients_cannot_write(client, leiden, django_user_model):
    from rest_framework.authtoken.models import Token

    assert client.post("/api/v1/initiatives", new_initiative(), format="json").status_code == 401
    user = django_user_model.objects.create_user("lezer", password="x")
    reader = APIClient()
    reader.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=user).key}")
    response = reader.delete(f"/api/v1/initiatives/{leiden.pk}")
    assert (response.status_code, response["Content-Type"]) == (403, "application/problem+json")
    assert Initiative.objects.filter(pk=leiden.pk).exists()


def test_text_with_a_nul_character_is_refused_in_the_body_and_in_parameters(staff_client, leiden):
    body = staff_client.post("/api/v1/initiatives", new_initiative(name="Kiem\x00"), format="json").json()
    assert (body["status"], body["detail"]) == (400, "Tekst mag geen NUL-tekens bevatten (op name).")

    query = staff_client.get("/api/v1/initiatives?partner=a%00b").json()
    assert query["invalidParams"] == [{"name": "partner", "reason": "Tekst mag geen NUL-tekens bevatten."}]
    assert Initiative.objects.count() == 1


def test_a_partner_with_partnerships_cannot_be_deleted(staff_client, leiden):
    fund = Partner.objects.get(slug="vsbfonds")
    response = staff_client.delete(f"/api/v1/partners/{fund.pk}")

    assert (response.status_code, response["Content-Type"]) == (409, "application/problem+json")
    assert response.json()["detail"] == "Deze partner heeft nog partnerschappen; verwijder die eerst."
    assert Partner.objects.filter(pk=fund.pk).exists()


def test_a_new_partner_comes_back_with_its_counts(staff_client, db):
    response = staff_client.post("/api/v1/partners", {"name": "Gemeente Leiden", "kind": "gemeente",
                                                     "municipality": "GM0546"}, format="json")
    assert response.status_code == 201, response.json()
    body = response.json()
    assert (body["slug"], body["municipality"], body["initiativeCount"]) == (
        "gemeente-leiden", {"code": "GM0546", "name": "Leiden"}, 0)
