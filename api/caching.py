from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.http import HttpResponse
from django.utils.cache import patch_vary_headers
from django.utils.text import compress_string
from rest_framework.request import Request
from rest_framework.response import Response

from registry.caching import RESPONSE_CACHE_SECONDS, register_version, response_key

__all__ = ["cached_read", "register_version"]


def cached_read(request: Request, view: Any, produce: Callable[[], Response], *,
                compress: bool = False) -> HttpResponse | Response:
    """An anonymous read answered from the shared cache while the register has not changed (the
    key: registry.caching.response_key, with the chosen format). Only successful answers are kept.
    Authenticated readers see drafts: never cached. With `compress`, a client that accepts gzip
    gets the body compressed once and kept so (a large answer, such as the map's 24 MB, takes
    longer to compress than to fetch from the cache).
    """
    if request.user.is_authenticated or not settings.API_RESPONSE_CACHE:
        return produce()
    renderer = request.accepted_renderer
    gzipped = compress and "gzip" in request.META.get("HTTP_ACCEPT_ENCODING", "")
    key = response_key(request, renderer.media_type, "gzip" if gzipped else "")
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
