from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.http import HttpResponse
from rest_framework.request import Request
from rest_framework.response import Response

from registry.caching import kept_response, register_version

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
    refused: list[Response] = []

    def render() -> bytes | None:
        response = produce()
        if response.status_code != 200:
            refused.append(response)
            return None
        return renderer.render(response.data, request.accepted_media_type, view.get_renderer_context())

    answer = kept_response(request, (renderer.media_type,), render, renderer.media_type, compress=compress)
    return answer if answer is not None else refused[0]
