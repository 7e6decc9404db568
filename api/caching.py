from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.http import HttpResponse
from rest_framework.request import Request
from rest_framework.response import Response

from registry.caching import keepable, kept_response, register_version
from registry.filters import KEPT_FILTER_PARAMETERS

__all__ = ["cached_read", "register_version"]


def cached_read(request: Request, view: Any, produce: Callable[[], Response], *,
                compress: bool = False) -> HttpResponse | Response:
    """An anonymous read answered from the shared cache while the register has not changed (the
    key: registry.caching.response_key, with the chosen format), when its query holds only filters
    whose values the register bounds (registry.filters.KEPT_FILTER_PARAMETERS). Only successful
    answers are kept. For the large aggregate answers (the map's data, the statistics); records are
    assembled from prepared documents and not kept.
    Authenticated readers see drafts: never cached. With `compress`, a client that accepts gzip
    gets the body compressed once and kept so (a large answer, such as the map's 24 MB, takes
    longer to compress than to fetch from the cache).
    """
    if (request.user.is_authenticated or not settings.API_RESPONSE_CACHE
            or not keepable(request, KEPT_FILTER_PARAMETERS | {"format"})):
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
