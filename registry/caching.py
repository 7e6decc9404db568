"""Answers kept in the shared cache while the register is unchanged: the API's anonymous reads
(api/caching.py) and the public pages (`cached_page`).

A key holds the register's version (its last change, from the history), today's date (whether a
record counts as stale changes with it), the full path with its query, the language and what else
the caller adds, so a kept answer is never stale and never another request's. Changes that leave
no history (vocabulary labels, reloaded areas) show after RESPONSE_CACHE_SECONDS at the latest.
"""

from __future__ import annotations

import datetime
import hashlib
from collections.abc import Callable
from functools import wraps
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from django.utils.cache import patch_vary_headers
from django.utils.text import compress_string
from django.utils.translation import get_language

from config.csp import trust_hashes, trusted_hashes
from registry.history import last_change

RESPONSE_CACHE_SECONDS = 600


def register_version(request: HttpRequest) -> datetime.datetime | None:
    """The register's last change, looked up once per request."""
    if not hasattr(request, "_register_version"):
        request._register_version = last_change()  # type: ignore[attr-defined]  # kept on the request itself
    return request._register_version  # type: ignore[attr-defined]  # set just above


def response_key(request: HttpRequest, *parts: str) -> str:
    # The scheme and host too: answers hold absolute links (embed code, JSON-LD, API hyperlinks),
    # and a load balancer may admit the site under more than one name.
    return "response:" + hashlib.sha256("|".join([
        str(register_version(request)), str(timezone.localdate()), request.scheme or "", request.get_host(),
        request.get_full_path(), get_language() or "", *parts,
    ]).encode()).hexdigest()


def kept_response(request: HttpRequest, parts: tuple[str, ...], produce: Callable[[], bytes | None],
                  content_type: str, *, compress: bool) -> HttpResponse | None:
    """A body kept in the cache under `parts` (see response_key), made by `produce` on a miss;
    None when `produce` declines (an answer that is not to be kept). With `compress`, a client
    that accepts gzip gets the body compressed once and kept so."""
    gzipped = compress and "gzip" in request.META.get("HTTP_ACCEPT_ENCODING", "")
    key = response_key(request, *parts, "gzip" if gzipped else "")
    body = cache.get(key)
    if body is None:
        body = produce()
        if body is None:
            return None
        if gzipped:
            body = compress_string(body)
        cache.set(key, body, RESPONSE_CACHE_SECONDS)
    response = HttpResponse(body, content_type=content_type)
    if gzipped:
        response["Content-Encoding"] = "gzip"
    if compress:
        patch_vary_headers(response, ["Accept-Encoding"])
    return response


def cached_page(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """A public page, for anonymous visitors answered from the cache while the register is unchanged.

    Only for pages without a form that posts (a CSRF token is personal) and with nothing of the
    visitor's own on them. Signed-in maintainers see drafts and their own menu: never cached.
    """

    @wraps(view)
    def page(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not settings.PAGE_CACHE or request.method not in ("GET", "HEAD") or request.user.is_authenticated:
            return view(request, *args, **kwargs)
        key = response_key(request, "page")
        hit = cache.get(key)
        if hit is not None:
            content_type, content, inline = hit
            trust_hashes(inline)  # the page's own inline scripts and styles, as when it was made
            return HttpResponse(content, content_type=content_type)
        response = view(request, *args, **kwargs)
        if response.status_code == 200 and not response.streaming:
            cache.set(key, (response["Content-Type"], response.content, trusted_hashes()), RESPONSE_CACHE_SECONDS)
        return response

    return page
