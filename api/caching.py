from __future__ import annotations

import datetime
import hashlib
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.http import HttpResponse
from django.utils import timezone
from django.utils.cache import patch_vary_headers
from django.utils.text import compress_string
from django.utils.translation import get_language
from rest_framework.request import Request
from rest_framework.response import Response

from registry.models import last_change


def register_version(request: Request) -> datetime.datetime | None:
    """The register's last change, looked up once per request."""
    if not hasattr(request, "_register_version"):
        request._register_version = last_change()  # type: ignore[attr-defined]
    return request._register_version  # type: ignore[attr-defined,no-any-return]


RESPONSE_CACHE_SECONDS = 600


def cached_read(request: Request, view: Any, produce: Callable[[], Response], *,
                compress: bool = False) -> HttpResponse | Response:
    """An anonymous read answered from the shared cache while the register has not changed.

    The key holds the register's version (its last change), the full path with the query, the
    chosen format and the language, so a cached answer is never stale and never another
    request's. Only successful answers are kept. Authenticated readers see drafts: never cached.
    With `compress`, a client that accepts gzip gets the body compressed once and kept so (a large
    answer, such as the map's 24 MB, takes longer to compress than to fetch from the cache).
    """
    if request.user.is_authenticated or not settings.API_RESPONSE_CACHE:
        return produce()
    renderer = request.accepted_renderer
    gzipped = compress and "gzip" in request.META.get("HTTP_ACCEPT_ENCODING", "")
    key = "response:" + hashlib.sha256("|".join([
        # Today's date too: whether a record counts as stale changes with it.
        str(register_version(request)), str(timezone.localdate()), request.get_full_path(), renderer.media_type,
        get_language() or "",
        "gzip" if gzipped else "",
    ]).encode()).hexdigest()
    hit = cache.get(key)
    if hit is None:
        response = produce()
        if response.status_code != 200:
            return response
        hit = renderer.render(response.data, request.accepted_media_type, view.get_renderer_context())
        if gzipped:
            hit = compress_string(hit)
        cache.set(key, hit, RESPONSE_CACHE_SECONDS)
    answer = HttpResponse(hit, content_type=renderer.media_type)
    if gzipped:
        answer["Content-Encoding"] = "gzip"
    if compress:
        patch_vary_headers(answer, ["Accept-Encoding"])
    return answer
