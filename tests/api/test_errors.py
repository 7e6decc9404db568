"""Bad input answers 400 with a problem document that names each bad parameter; never a 500."""

from __future__ import annotations

import pytest


@pytest.mark.parametrize(("query", "name", "reason"), [
    ("bbox=4.4,52.1,4.6", "bbox", "Verwacht 4 getallen gescheiden door komma's, zoals 4.4,52.1,4.6,52.2."),
    ("bbox=4.6,52.1,4.4,52.2", "bbox",
     "Het kader is minLon,minLat,maxLon,maxLat: het minimum mag niet groter zijn dan het maximum."),
    ("bbox=a,b,c,d", "bbox", "Verwacht 4 getallen gescheiden door komma's, zoals 4.4,52.1,4.6,52.2."),
    ("bbox=4,52,5,nan", "bbox", "Verwacht 4 getallen gescheiden door komma's, zoals 4.4,52.1,4.6,52.2."),
    ("near=4.49,91", "near", "Breedtegraad 91.0 ligt buiten -90…90."),
    ("near=181,52", "near", "Lengtegraad 181.0 ligt buiten -180…180."),
    ("near=4.49", "near", "Verwacht 2 getallen gescheiden door komma's, zoals 4.49,52.16."),
    ("near=4.49,52.16&radius=-5", "radius", "Zorg ervoor dat deze waarde minstens 1 is."),
    ("near=4.49,52.16&radius=1e9", "radius", "Zorg ervoor dat deze waarde hoogstens 300000 is."),
    ("radius=100", "radius", "radius werkt alleen samen met near=lon,lat."),
    ("kind=bestaatniet", "kind", "Selecteer een geldige keuze. bestaatniet is geen beschikbare keuze."),
    ("service=winkel&service=vliegveld", "service",
     "Selecteer een geldige keuze. vliegveld is geen beschikbare keuze."),
    ("municipality=GM9999", "municipality", "Selecteer een geldige keuze. GM9999 is geen beschikbare keuze."),
    ("status=verdwenen", "status", "Selecteer een geldige keuze. verdwenen is geen beschikbare keuze."),
    ("serviceMatch=some", "serviceMatch", "Selecteer een geldige keuze. some is geen beschikbare keuze."),
    ("foundedFrom=vroeg", "foundedFrom", "Voer een getal in."),
    ("updatedSince=gisteren", "updatedSince", "Voer een geldige datum/tijd in."),
    ("verifiedSince=2025-13-01", "verifiedSince", "Voer een geldige datum in."),
    ("ordering=kleur", "ordering", "Selecteer een geldige keuze. kleur is geen beschikbare keuze."),
    ("pageSize=1000000000", "pageSize", "Verwacht een geheel getal van 1 tot en met 1000."),
    ("pageSize=0", "pageSize", "Verwacht een geheel getal van 1 tot en met 1000."),
    ("page=-1", "page", "Verwacht een geheel getal vanaf 1."),
])
def test_a_bad_parameter_is_a_problem_document_naming_it(client, db, query, name, reason):
    response = client.get(f"/api/v1/initiatives?{query}")

    assert response.status_code == 400
    assert response["Content-Type"] == "application/problem+json"
    assert response["API-Version"] == "1.0.0"
    assert response.json() == {
        "type": "about:blank", "title": "Bad Request", "status": 400,
        "detail": f"Ongeldige invoer: {name}.", "instance": "/api/v1/initiatives",
        "invalidParams": [{"name": name, "reason": reason}],
    }


def test_several_bad_parameters_are_all_named(client, db):
    body = client.get("/api/v1/initiatives?bbox=1&kind=x&near=0,95").json()
    assert sorted(p["name"] for p in body["invalidParams"]) == ["bbox", "kind", "near"]


def test_errors_follow_the_language_asked_for(client, db):
    body = client.get("/api/v1/initiatives?near=4.49,91", HTTP_ACCEPT_LANGUAGE="en").json()
    assert body["invalidParams"] == [{"name": "near", "reason": "Latitude 91.0 is outside -90…90."}]


@pytest.mark.parametrize("path", ["/api/v1/initiatives/999999", "/api/v1/nothing", "/api/v1/initiatives/abc",
                                  "/api/v1/kinds/onbekend", "/api/v1/municipalities/GM9999"])
def test_unknown_addresses_are_404_problem_documents(client, db, path):
    response = client.get(path)

    assert response.status_code == 404
    assert response["Content-Type"] == "application/problem+json"
    assert response.json()["status"] == 404


def test_a_page_past_the_end_is_a_404_problem(client, leiden):
    response = client.get("/api/v1/initiatives?page=5")
    assert (response.status_code, response["Content-Type"]) == (404, "application/problem+json")


def test_an_unknown_format_is_a_406_problem(client, db):
    response = client.get("/api/v1/initiatives", HTTP_ACCEPT="text/csv")
    assert (response.status_code, response["Content-Type"]) == (406, "application/problem+json")


def test_a_bad_changes_cursor_is_a_400(client, db):
    response = client.get("/api/v1/changes?since=bm90LWEtY3Vyc29y")
    assert response.json()["invalidParams"] == [
        {"name": "since", "reason": "Geen cursor uit deze feed; begin zonder `since`."}]
