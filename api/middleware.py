"""Response headers every API answer carries (Dutch API Design Rules, caching, fair use)."""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils.cache import patch_cache_control, patch_vary_headers
from django.utils.translation import gettext as _

API_PREFIX = "/api/"
API_VERSION = "1.0.0"
ANONYMOUS_MAX_AGE = 60


class ApiHeadersMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if not request.path.startswith(API_PREFIX):
            return response
        response["API-Version"] = API_VERSION
        patch_vary_headers(response, ["Accept", "Accept-Language", "Authorization"])
        if "Cache-Control" not in response:
            public_read = (request.method in ("GET", "HEAD") and response.status_code < 400
                           and "HTTP_AUTHORIZATION" not in request.META)
            if public_read:
                patch_cache_control(response, public=True, max_age=ANONYMOUS_MAX_AGE)
            else:
                patch_cache_control(response, private=True, no_store=True)
        return response


class RefuseNulMiddleware:
    """PostgreSQL cannot store or compare text with NUL characters; a query parameter holding
    one is refused here with a problem document, before any lookup reaches the database."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.path.startswith(API_PREFIX):
            bad = sorted({name for name, values in request.GET.lists()
                          if "\x00" in name or any("\x00" in value for value in values)})
            if bad or "\x00" in request.path:
                from api.exceptions import PROBLEM_TYPE, problem

                reason = _("Text may not contain NUL characters.")
                params = [{"name": name.replace("\x00", "\\0"), "reason": reason} for name in bad]
                document = problem(400, reason, instance=request.path.replace("\x00", "\\0"),
                                   **({"invalidParams": params} if params else {}))
                return JsonResponse(document, status=400, content_type=PROBLEM_TYPE)
        return self.get_response(request)
