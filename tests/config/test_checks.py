"""The deploy checks of the site's own settings (config/checks.py)."""

from __future__ import annotations

import pytest
from django.test import override_settings

from config.checks import public_address

PUBLIC = {"SITE_URL": "https://register.example.nl", "ALLOWED_HOSTS": ["register.example.nl"],
          "SECURE_SSL_REDIRECT": True, "CONTACT_EMAIL": "beheer@register.example.nl",
          "DEFAULT_FROM_EMAIL": "beheer@register.example.nl"}


def found(**changes: object) -> list[tuple[str, str]]:
    with override_settings(**{**PUBLIC, **changes}):
        return [(problem.id or "", problem.msg) for problem in public_address()]


def test_a_public_https_address_among_the_allowed_hosts_and_a_real_contact_pass():
    assert found() == []


@pytest.mark.parametrize("address", ["http://127.0.0.1:8000", "http://localhost:8000", "http://[::1]", "http://127.0.1.1",
                                     "http://0.0.0.0:8000", "http://register.localhost"])
def test_an_address_on_this_machine_is_named(address):
    assert found(SITE_URL=address) == [(
        "config.W001", f"SITE_URL is {address}, an address on this machine: links in e-mails, in the open-data "
                       "snapshots and the API's contact point lead there.")]


@pytest.mark.parametrize("address", ["register.example.nl", "https://", "ftp://register.example.nl"])
def test_an_address_without_a_scheme_and_host_is_named(address):
    assert found(SITE_URL=address, ALLOWED_HOSTS=["*"]) == [(
        "config.W005", f"SITE_URL is {address!r}, not an address with a scheme and a host: the links the site "
                       "writes outside a request (e-mails, open-data snapshots, the API's contact) are broken.")]


def test_a_host_the_site_refuses_is_named():
    assert found(SITE_URL="https://register.example.com") == [(
        "config.W002", "SITE_URL's host 'register.example.com' is not in ALLOWED_HOSTS: the site refuses its own "
                       "public address.")]


def test_a_host_allowed_by_a_pattern_passes():
    assert found(SITE_URL="https://www.register.example.nl", ALLOWED_HOSTS=[".register.example.nl"]) == []


def test_plain_http_behind_the_https_redirect_is_named_but_not_without_it():
    assert found(SITE_URL="http://register.example.nl") == [(
        "config.W003", "SITE_URL is http://register.example.nl, but the site sends every visitor to https: the "
                       "links it writes outside a request each cost a redirect.")]
    assert found(SITE_URL="http://register.example.nl", SECURE_SSL_REDIRECT=False) == []


def test_the_placeholder_contact_is_named_and_whether_e_mails_are_sent_from_it():
    assert found(CONTACT_EMAIL="register@example.org", DEFAULT_FROM_EMAIL="register@example.org") == [(
        "config.W004", "API_CONTACT_EMAIL is the placeholder register@example.org: the API documents and the "
                       "open-data catalogue name it as whom to ask, and e-mails are sent from it.")]
    assert found(CONTACT_EMAIL="register@example.org") == [(
        "config.W004", "API_CONTACT_EMAIL is the placeholder register@example.org: the API documents and the "
                       "open-data catalogue name it as whom to ask.")]
