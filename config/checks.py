"""What `manage.py check --deploy` says of the site's own settings, beside Django's security checks:
a production site must know its public address and who answers for it, or the links it writes
outside a request (e-mails, open-data snapshots, the API's contact) lead nowhere."""

from __future__ import annotations

from collections.abc import Iterable
from ipaddress import ip_address
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.core.checks import CheckMessage, Tags, Warning, register
from django.http.request import validate_host


def on_this_machine(host: str) -> bool:
    """A name or address that leads to the machine the reader is on, or to none (0.0.0.0)."""
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        address = ip_address(host)
    except ValueError:
        return False
    return address.is_loopback or address.is_unspecified


@register(Tags.security, deploy=True)
def public_address(app_configs: Iterable[Any] | None = None, **kwargs: Any) -> list[CheckMessage]:
    problems: list[CheckMessage] = []
    address = urlsplit(settings.SITE_URL)
    host = address.hostname or ""
    if address.scheme not in ("http", "https") or not host:
        problems.append(Warning(
            f"SITE_URL is {settings.SITE_URL!r}, not an address with a scheme and a host: the links the site "
            "writes outside a request (e-mails, open-data snapshots, the API's contact) are broken.",
            hint="Set SITE_URL to the site's public address, such as https://register.example.nl.",
            id="config.W005"))
    elif on_this_machine(host):
        problems.append(Warning(
            f"SITE_URL is {settings.SITE_URL}, an address on this machine: links in e-mails, in the "
            "open-data snapshots and the API's contact point lead there.",
            hint="Set SITE_URL to the site's public address, such as https://register.example.nl.",
            id="config.W001"))
    elif not validate_host(host, settings.ALLOWED_HOSTS):
        problems.append(Warning(
            f"SITE_URL's host {host!r} is not in ALLOWED_HOSTS: the site refuses its own public address.",
            hint="Add the host to ALLOWED_HOSTS, or correct SITE_URL.", id="config.W002"))
    elif address.scheme != "https" and settings.SECURE_SSL_REDIRECT:
        problems.append(Warning(
            f"SITE_URL is {settings.SITE_URL}, but the site sends every visitor to https: the links it "
            "writes outside a request each cost a redirect.",
            hint="Write SITE_URL with https://.", id="config.W003"))
    if settings.CONTACT_EMAIL == settings.CONTACT_EMAIL_PLACEHOLDER:
        sender = ", and e-mails are sent from it" if settings.DEFAULT_FROM_EMAIL == settings.CONTACT_EMAIL else ""
        problems.append(Warning(
            f"API_CONTACT_EMAIL is the placeholder {settings.CONTACT_EMAIL}: the API documents and the "
            f"open-data catalogue name it as whom to ask{sender}.",
            hint="Set API_CONTACT_EMAIL to the maintainers' address.", id="config.W004"))
    return problems
