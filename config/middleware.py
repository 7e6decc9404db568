"""HTTP-level protection for every response: the Content-Security-Policy and request size limits.

Django's SecurityMiddleware already sends HSTS, X-Content-Type-Options, Referrer-Policy and
Cross-Origin-Opener-Policy (settings SECURE_*); XFrameOptionsMiddleware denies framing. What it
lacks is a Content-Security-Policy (Django 6.0 adds one) and a limit on request bodies that holds
for file uploads too, which DATA_UPLOAD_MAX_MEMORY_SIZE does not cover.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import cache
from urllib.parse import urlsplit

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext as _

from api.exceptions import problem_response
from config.csp import collecting, trusted_hashes
from registry.importing import MAX_UPLOAD_BYTES

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
        with collecting():
            response = self.get_response(request)
            trusted = trusted_hashes()
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
        return problem_response(request, status, detail)
    return render(request, "refused.html", {"status": status, "detail": detail}, status=status)
