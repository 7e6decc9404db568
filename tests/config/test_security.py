"""Security headers, request size limits and the admin's login limit, as a client meets them."""

from __future__ import annotations

import base64
import datetime
import hashlib
import json
import re
from typing import Any

import pytest
from django.core.cache import cache
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.http import HttpResponse
from django.test import Client
from django.urls import reverse

from config.middleware import NOT_A_PAGE_POLICY, ContentSecurityPolicyMiddleware
from registry.models import ImportRun
from tests.jobs.inline import run_deferred
from tests.maintainers import administrator

TILES = "https://tiles.example.org"


@pytest.fixture(autouse=True)
def production_like(settings: Any, db: None) -> Any:
    settings.MAP_TILE_URL = TILES + "/{z}/{x}/{y}.png"
    settings.SECURE_HSTS_SECONDS = 31536000
    settings.SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    settings.SECURE_HSTS_PRELOAD = True
    from config.middleware import tile_origin

    tile_origin.cache_clear()
    cache.clear()  # login failures and throttles of earlier tests
    yield
    tile_origin.cache_clear()


def policy(response: Any) -> dict[str, list[str]]:
    return {name: values for name, *values in
            (directive.split() for directive in response["Content-Security-Policy"].split(";"))}


def executable_inline_scripts(html: bytes) -> list[bytes]:
    """Inline <script> elements a browser would run (JSON-LD is a data block: it never runs)."""
    return [body for attributes, body in re.findall(rb"<script([^>]*)>(.*?)</script>", html, re.DOTALL)
            if b"src=" not in attributes and b"application/ld+json" not in attributes]


def sha256_source(body: bytes) -> str:
    return "'sha256-" + base64.b64encode(hashlib.sha256(body).digest()).decode() + "'"


@pytest.mark.parametrize(("name", "inline_scripts"), [
    ("registry:home", 1), ("registry:initiatives", 0), ("registry:statistics", 1)])
def test_pages_allow_only_our_origin_the_tiles_and_their_own_inline_scripts(client: Client, leiden, name,
                                                                             inline_scripts):
    response = client.get(reverse(name), secure=True)

    assert response.status_code == 200
    scripts = executable_inline_scripts(response.content)
    assert len(scripts) == inline_scripts  # the folium-composed map's script
    styles = re.findall(rb"<style>(.*?)</style>", response.content, re.DOTALL)  # folium's, for tooltips
    assert policy(response) == {
        "default-src": ["'self'"],
        "script-src": ["'self'", *[sha256_source(body) for body in scripts]],
        "style-src-elem": ["'self'", *sorted(sha256_source(body) for body in styles)],
        "style-src-attr": ["'unsafe-inline'"],
        "img-src": ["'self'", "data:", TILES],
        "connect-src": ["'self'"],
        "font-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    }
    assert response["X-Frame-Options"] == "DENY"


def test_a_kept_page_keeps_the_hash_of_its_map_script(client: Client, leiden):
    built = client.get(reverse("registry:home"), secure=True)
    kept = client.get(reverse("registry:home"), secure=True)

    assert kept.content == built.content
    assert policy(kept)["script-src"] == policy(built)["script-src"] == [
        "'self'", *[sha256_source(body) for body in executable_inline_scripts(built.content)]]


def test_an_inline_script_or_style_that_our_code_did_not_make_is_not_allowed(rf: Any):
    # As if one got past the escaping: the policy does not take hashes from the page itself.
    middleware = ContentSecurityPolicyMiddleware(lambda request: HttpResponse(
        "<p>Hallo</p><script>alert(document.cookie)</script><style>body { display: none }</style>"))

    response = middleware(rf.get("/"))

    assert policy(response)["script-src"] == ["'self'"]
    assert policy(response)["style-src-elem"] == ["'self'"]


def test_the_detail_page_allows_its_map_script_and_needs_nothing_for_its_json_ld(client: Client, leiden):
    response = client.get(reverse("registry:initiative", args=[leiden.slug]), secure=True)

    scripts = executable_inline_scripts(response.content)
    assert len(scripts) == 1
    assert policy(response)["script-src"] == ["'self'", sha256_source(scripts[0])]
    assert b'<script type="application/ld+json">' in response.content


def test_only_the_embed_page_may_be_framed_and_by_any_site(client: Client, leiden):
    embed = client.get(reverse("registry:embed"), secure=True)
    builder = client.get(reverse("registry:embed-builder"), secure=True)

    assert policy(embed)["frame-ancestors"] == ["*"]
    assert "X-Frame-Options" not in embed
    assert policy(builder)["frame-ancestors"] == ["'none'"]
    assert builder["X-Frame-Options"] == "DENY"


def test_the_admin_screens_have_no_inline_style_blocks(client: Client, db):
    client.force_login(administrator())
    response = client.post(reverse("admin:registry_importrun_add"), {
        "file": SimpleUploadedFile("lijst.csv", b"naam\nDe Linde\n"), "source": "test", "encoding": "auto",
        "publication_state": "concept", "mapping": ""}, secure=True, follow=True)
    run_deferred()  # the import's check is a background job since issue 16
    response = client.get(response.redirect_chain[-1][0], secure=True)

    assert b"import-counts" in response.content
    assert b"<style" not in response.content
    assert b"/static/registry/admin.css" in response.content
    assert policy(response)["style-src-elem"] == ["'self'"]


@pytest.mark.parametrize("path", ["/api/v1/initiatives", "/api/v1/initiatives?format=geojson", "/healthz"])
def test_data_answers_run_nothing_and_cannot_be_framed(client: Client, leiden, path):
    response = client.get(path, secure=True)

    assert response.status_code == 200
    assert response["Content-Security-Policy"] == NOT_A_PAGE_POLICY


def test_the_other_security_headers(client: Client, leiden):
    response = client.get(reverse("registry:initiatives"), secure=True)

    assert response["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains; preload"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"
    assert response["Cross-Origin-Opener-Policy"] == "same-origin"
    assert response["Permissions-Policy"] == "geolocation=(self), camera=(), microphone=(), payment=(), usb=()"


def test_plain_http_is_sent_to_https_except_the_health_check(client: Client, db, settings):
    settings.SECURE_SSL_REDIRECT = True

    page = client.get("/initiatieven?page=2")
    health = client.get("/healthz")

    assert page.status_code == 301
    assert page["Location"] == "https://testserver/initiatieven?page=2"
    assert health.status_code == 200
    assert health.json()["status"] == "ok"
    assert re.fullmatch(r"[0-9a-f]{16}", health.json()["release"])


# -- request size limits --------------------------------------------------------------------------


def test_an_api_body_over_the_limit_is_refused_before_it_is_read(client: Client, db, settings):
    settings.MAX_REQUEST_BYTES = 1000
    body = json.dumps({"name": "x" * 2000})

    response = client.post("/api/v1/initiatives", body, content_type="application/json")

    assert response.status_code == 413
    assert response["Content-Type"] == "application/problem+json"
    assert response.json() == {
        "type": "about:blank", "title": "Request Entity Too Large", "status": 413,
        "detail": "Het verzoek is 2,0\xa0KB groot; hier wordt hoogstens 1000\xa0bytes aangenomen.",
        "instance": "/api/v1/initiatives"}


def test_a_form_over_the_limit_gets_a_page_that_says_so(client: Client, db, settings):
    settings.MAX_REQUEST_BYTES = 100_000

    response = client.post(reverse("registry:suggest-new"), {"name": "x" * 200_000}, HTTP_ACCEPT_LANGUAGE="en")

    assert response.status_code == 413
    assert response["Content-Type"] == "text/html; charset=utf-8"
    # The form's 200,000 characters and the multipart envelope around them.
    assert re.search(r'<p class="utrecht-paragraph">The request body is 195\.\d\xa0KB; '
                     r"at most 97\.7\xa0KB is accepted here\.</p>", response.content.decode())


def test_a_body_of_unknown_length_is_refused(client: Client, db):
    response = client.generic("POST", "/api/v1/initiatives", b"", content_type="application/json",
                              HTTP_TRANSFER_ENCODING="chunked")

    assert response.status_code == 411
    assert response.json()["detail"] == "Een verzoek met inhoud heeft een Content-Length-header nodig."


def test_the_import_upload_has_its_own_larger_limit(client: Client, db, settings):
    settings.MAX_REQUEST_BYTES = 1000
    client.force_login(administrator())
    csv_text = "name,kind,latitude,longitude\n" + "Buurthuis De Linde,bewonersinitiatief,52.16,4.49\n" * 100

    response = client.post(reverse("admin:registry_importrun_add"), {
        "file": SimpleUploadedFile("lijst.csv", csv_text.encode()), "source": "test", "encoding": "auto",
        "publication_state": "concept", "mapping": ""})

    assert len(csv_text) > 1000
    assert response.status_code == 302
    assert ImportRun.objects.count() == 1


# -- the admin's login limit ----------------------------------------------------------------------


def login(client: Client, username: str, password: str, address: str = "192.0.2.1") -> Any:
    return client.post(reverse("admin:login"), {"username": username, "password": password},
                       REMOTE_ADDR=address, HTTP_ACCEPT_LANGUAGE="en")


def test_five_failed_logins_lock_the_account_even_for_the_right_password(client: Client, db, settings):
    administrator("beheerder")

    failures = [login(client, "beheerder", f"wrong-{n}").status_code for n in range(5)]
    locked = login(client, "beheerder", "secret")

    assert failures == [200] * 5
    assert locked.status_code == 429
    assert locked["Retry-After"] == "900"
    assert "Too many failed attempts to log in. Try again in 15 minutes at the latest." in locked.content.decode()
    assert "_auth_user_id" not in client.session
    # The lock lasts the window from the first failure, in the shared cache every process reads.
    with connection.cursor() as cursor:
        cursor.execute("SELECT expires FROM registry_cache WHERE cache_key LIKE %s",
                       ["%login-failures:account:beheerder"])
        (expires,) = cursor.fetchone()
    remaining = expires - datetime.datetime.now(datetime.UTC)
    assert datetime.timedelta(minutes=14) < remaining <= datetime.timedelta(minutes=15)


def test_a_lock_on_one_account_leaves_the_others_alone_and_a_success_resets_the_count(client: Client, db):
    administrator("beheerder")
    administrator("tweede")
    for n in range(5):
        login(client, "beheerder", f"wrong-{n}")
    for n in range(4):
        login(client, "tweede", f"wrong-{n}")

    other = login(client, "tweede", "secret", address="192.0.2.2")
    Client().logout()
    again = [login(Client(), "tweede", f"wrong-{n}", address="192.0.2.2").status_code for n in range(4)]

    assert other.status_code == 302  # logged in: the fifth attempt, and the right password
    assert again == [200] * 4  # counted afresh after the success


def test_many_failures_from_one_address_lock_that_address(client: Client, db, settings):
    settings.LOGIN_FAILURES_PER_ADDRESS = 3
    administrator("beheerder")
    for name in ("a", "b", "c"):
        login(client, name, "guess", address="198.51.100.7")

    from_there = login(client, "beheerder", "secret", address="198.51.100.7")
    elsewhere = login(Client(), "beheerder", "secret", address="198.51.100.8")

    assert from_there.status_code == 429
    assert elsewhere.status_code == 302
