"""Registering webhooks through the API: a token is needed, the address must be https and public (a
private one is refused, whatever the name), the filter is the shared filter set's, and the secret is
shown once. The signature's recipe is in the OpenAPI document."""

from __future__ import annotations

import pytest
from django.test import override_settings
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from registry.models import Webhook


@pytest.fixture
def developer(django_user_model) -> APIClient:
    """Any account with a token may register webhooks (no role in the register needed)."""
    user = django_user_model.objects.create_user("ontwikkelaar", password="x")
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=user).key}", HTTP_ACCEPT_LANGUAGE="en")
    return client


def problem_params(response) -> list[dict[str, str]]:
    assert response.status_code == 400, response.content
    assert response["Content-Type"] == "application/problem+json"
    return response.json()["invalidParams"]


def test_without_a_token_nothing_is_registered(client: APIClient):
    response = client.post("/api/v1/webhooks", {"url": "https://93.184.215.14/hook"}, format="json")
    assert response.status_code == 401
    assert client.get("/api/v1/webhooks").status_code == 401
    assert not Webhook.objects.exists()


def test_a_webhook_is_registered_with_its_secret_shown_once(developer: APIClient, django_user_model):
    response = developer.post("/api/v1/webhooks", {
        "url": "https://93.184.215.14/hook", "filter": {"municipality": "GM0546", "kind": ["bewonersbedrijf"],
                                                        "status": ["gestopt", "actief"]}}, format="json")
    assert response.status_code == 201, response.content
    body = response.json()
    webhook = Webhook.objects.get()
    assert body == {
        "id": webhook.pk, "url": "https://93.184.215.14/hook",
        "filter": {"municipality": ["GM0546"], "kind": ["bewonersbedrijf"], "status": ["actief", "gestopt"]},
        "active": True, "failures": 0, "disabledAt": None, "disabledReason": "",
        "createdAt": body["createdAt"], "secret": webhook.secret,
    }
    assert len(webhook.secret) >= 40
    listed = developer.get("/api/v1/webhooks").json()
    assert [hook["id"] for hook in listed] == [webhook.pk] and "secret" not in listed[0]
    assert "secret" not in developer.get(f"/api/v1/webhooks/{webhook.pk}").json()
    # Another developer sees none of it.
    other = django_user_model.objects.create_user("ander", password="x")
    stranger = APIClient()
    stranger.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=other).key}",
                         HTTP_ACCEPT_LANGUAGE="en")
    assert stranger.get("/api/v1/webhooks").json() == []
    assert stranger.get(f"/api/v1/webhooks/{webhook.pk}").status_code == 404
    assert stranger.delete(f"/api/v1/webhooks/{webhook.pk}").status_code == 404
    assert developer.delete(f"/api/v1/webhooks/{webhook.pk}").status_code == 204
    assert not Webhook.objects.exists()


@pytest.mark.parametrize(("url", "reason"), [
    ("https://10.1.2.3/hook", "The host 10.1.2.3 resolves to 10.1.2.3, which is not a public internet address "
                              "(private, loopback, link-local or reserved)."),
    ("https://192.168.0.10:8443/hook", "The host 192.168.0.10 resolves to 192.168.0.10, which is not a public "
                                       "internet address (private, loopback, link-local or reserved)."),
    ("https://169.254.169.254/latest/meta-data", "The host 169.254.169.254 resolves to 169.254.169.254, which is "
                                                 "not a public internet address (private, loopback, link-local or "
                                                 "reserved)."),
    ("https://[fd00::1]/hook", "The host fd00::1 resolves to fd00::1, which is not a public internet address "
                               "(private, loopback, link-local or reserved)."),
    ("https://[::ffff:10.0.0.1]/hook", "The host ::ffff:10.0.0.1 resolves to 10.0.0.1, which is not a "
                                       "public internet address (private, loopback, link-local or reserved)."),
    ("https://localhost/hook", "The host localhost resolves to "),
    ("http://93.184.215.14/hook", "The address must be an https:// URL (http:// only to this machine, in "
                                  "development)."),
    ("ftp://93.184.215.14/hook", "The address must be an https:// URL."),
    ("https://", "Enter a valid URL."),
    ("https://user:pw@93.184.215.14/hook", "The address must not contain a user name or password."),
])
@override_settings(WEBHOOK_ALLOW_LOOPBACK=False)
def test_an_address_that_is_not_public_https_is_refused(developer: APIClient, url, reason):
    response = developer.post("/api/v1/webhooks", {"url": url}, format="json")
    params = problem_params(response)
    assert {param["name"] for param in params} == {"url"}
    assert any(param["reason"].startswith(reason) for param in params), params
    assert not Webhook.objects.exists()


@override_settings(WEBHOOK_ALLOW_LOOPBACK=True)
def test_loopback_over_http_is_allowed_in_development_only(developer: APIClient):
    assert developer.post("/api/v1/webhooks", {"url": "http://127.0.0.1:9/hook"}, format="json").status_code == 201
    with override_settings(WEBHOOK_ALLOW_LOOPBACK=False):
        response = developer.post("/api/v1/webhooks", {"url": "http://127.0.0.1:9/hook"}, format="json")
        assert problem_params(response)[0]["name"] == "url"


@pytest.mark.parametrize(("filter_", "name", "reason"), [
    ({"kind": ["spookhuis"]}, "filter.kind", "Select a valid choice. spookhuis is not one of the available choices."),
    ({"municipality": "GM9999"}, "filter.municipality",
     "Select a valid choice. GM9999 is not one of the available choices."),
    ({"status": "verdwenen"}, "filter.status", "Select a valid choice. verdwenen is not one of the available "
                                               "choices."),
    ({"q": "winkel"}, "filter.q", "Not a filter of webhooks; use kind, service, serviceMatch, municipality, "
                                  "province, status."),
    ({"kind": [1]}, "filter.kind", "Expected a text or a list of texts."),
])
def test_a_filter_with_an_unknown_value_is_refused_by_name(developer: APIClient, filter_, name, reason):
    response = developer.post("/api/v1/webhooks", {"url": "https://93.184.215.14/hook", "filter": filter_},
                              format="json")
    assert problem_params(response) == [{"name": name, "reason": reason}]
    assert not Webhook.objects.exists()


def test_the_openapi_document_says_how_to_check_the_signature(client: APIClient):
    document = client.get("/api/v1/openapi.json").json()
    operation = document["paths"]["/api/v1/webhooks"]["post"]
    assert "Register-Signature: sha256=<hex>" in operation["description"]
    assert "hmac.compare_digest" in operation["description"]
    assert "201" in operation["responses"] and "400" in operation["responses"]
