"""HTTP-level protection for every response: the Content-Security-Policy and request size limits.

Django's SecurityMiddleware already sends HSTS, X-Content-Type-Options, Referrer-Policy and
Cross-Origin-Opener-Policy (settings SECURE_*); XFrameOptionsMiddleware denies framing. What it
lacks is a Content-Security-Policy (Django 6.0 adds one) and a limit on request bodies that holds
for file uploads too, which DATA_UPLOAD_MAX_MEMORY_SIZE does not cover.
"""

from __future__ import annotations

import base64
import hashlib
import re
from collections.abc import Callable
from contextvars import ContextVar
from functools import cache
from urllib.parse import urlsplit

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext as _

# Inline scripts and style blocks are allowed only when our own code made them: whoever renders
# one (geo.maps.render_parts: the folium-composed map script, folium's tooltip styles) declares
# its SHA-256 hash with `trust_inline`, and the policy allows exactly those. A script that reached
# a page any other way (an injection past the escaping) is refused. Hashes rather than nonces: a
# hash stays valid for a page answered from a cache (registry.caching keeps them with the page).
_trusted: ContextVar[dict[str, set[str]] | None] = ContextVar("trusted_inline", default=None)
INLINE_KINDS = ("script", "style")


def source_hash(content: str) -> str:
    return "'sha256-" + base64.b64encode(hashlib.sha256(content.encode()).digest()).decode() + "'"


def trust_inline(kind: str, content: str) -> None:
    """Allow an inline <script> or <style> element with exactly this content on the page being made."""
    trust_hashes({kind: {source_hash(content)}})


INLINE_BLOCK = re.compile(r"<(script|style)(?![^>]*\bsrc\s*=)[^>]*>(.*?)</\1\s*>", re.DOTALL | re.IGNORECASE)


def trust_inline_blocks(html: str) -> None:
    """Allow every inline block of a page rendered from a template that holds nobody's text but
    ours or a library's (never for pages that show records, names or anything typed)."""
    for kind, content in INLINE_BLOCK.findall(html):
        trust_inline(kind.lower(), content)


def trust_hashes(hashes: dict[str, set[str]]) -> None:
    trusted = _trusted.get()
    if trusted is not None:  # outside a request (a command, a test without one) nothing is served
        for kind, found in hashes.items():
            trusted[kind].update(found)


def trusted_hashes() -> dict[str, set[str]]:
    trusted = _trusted.get() or {}
    return {kind: set(trusted.get(kind, ())) for kind in INLINE_KINDS}


# Anything that is not a page (JSON, GeoJSON, CSV, files) runs nothing and may be framed by nobody.
NOT_A_PAGE_POLICY = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'"


@cache
def tile_origin() -> str:
    """The origin (scheme://host[:port]) of the configured base-map tiles, or "" if relative."""
    parts = urlsplit(settings.MAP_TILE_URL)
    return f"{parts.scheme}://{parts.netloc}" if parts.scheme and parts.netloc else ""


def page_policy(trusted: dict[str, set[str]], *, framable: bool) -> str:
    images = " ".join(filter(None, ["'self'", "data:", tile_origin()]))
    directives = [
        "default-src 'self'",
        " ".join(["script-src 'self'", *sorted(trusted["script"])]),
        " ".join(["style-src-elem 'self'", *sorted(trusted["style"])]),
        # style="" attributes: Leaflet's markers and the admin's widgets write them. They cannot
        # run code, and the elements that could (scripts, style sheets) stay locked down.
        "style-src-attr 'unsafe-inline'",
        f"img-src {images}",
        "connect-src 'self'",
        "font-src 'self'",
        "object-src 'none'",
        "base-uri 'self'",
        "form-action 'self'",
        # The embed pages are made to be framed by other sites; no other page is.
        "frame-ancestors *" if framable else "frame-ancestors 'none'",
    ]
    return "; ".join(directives)


class ContentSecurityPolicyMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        token = _trusted.set({kind: set() for kind in INLINE_KINDS})
        try:
            response = self.get_response(request)
            trusted = trusted_hashes()
        finally:
            _trusted.reset(token)
        if "Content-Security-Policy" in response:
            return response
        framable = getattr(response, "xframe_options_exempt", False)
        content_type = response.get("Content-Type", "")
        if content_type.startswith("text/html"):
            response["Content-Security-Policy"] = page_policy(trusted, framable=framable)
        else:
            response["Content-Security-Policy"] = NOT_A_PAGE_POLICY
        response["Permissions-Policy"] = "geolocation=(self), camera=(), microphone=(), payment=(), usb=()"
        return response


# Room for the multipart envelope around the largest file the import accepts, so that a file just
# over that size still reaches the form, which explains the limit in the admin's own words.
MULTIPART_ROOM = 1024 * 1024


def body_limit(path: str) -> int:
    """The largest request body accepted at this address, in bytes."""
    if path.startswith("/admin/") and path.rstrip("/").endswith("/importrun/add"):
        from registry.importing import MAX_UPLOAD_BYTES

        return MAX_UPLOAD_BYTES + MULTIPART_ROOM
    return settings.MAX_REQUEST_BYTES


class RequestSizeLimitMiddleware:
    """Refuses request bodies above the limit before anything reads them, with 413 (or 411 for a
    body of unknown length, which could otherwise stream a file upload past every limit)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        limit = body_limit(request.path)
        length = request.META.get("CONTENT_LENGTH") or ""
        if request.META.get("HTTP_TRANSFER_ENCODING", "").lower().strip() == "chunked" and not length:
            return refusal(request, 411, _("A request body needs a Content-Length header."))
        try:
            size = int(length) if length else 0
        except ValueError:
            return refusal(request, 400, _("The Content-Length header is not a number."))
        if size > limit:
            return refusal(request, 413, _("The request body is %(size)s; at most %(limit)s is accepted here.")
                           % {"size": filesizeformat(size), "limit": filesizeformat(limit)})
        return self.get_response(request)


def refusal(request: HttpRequest, status: int, detail: str) -> HttpResponse:
    if request.path.startswith("/api/"):
        from api.exceptions import problem_response

        return problem_response(request, status, detail)
    return render(request, "refused.html", {"status": status, "detail": detail}, status=status)
