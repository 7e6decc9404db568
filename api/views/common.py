from __future__ import annotations

from typing import Any

from django.utils.http import http_date
from rest_framework.request import Request
from rest_framework.response import Response

from api.caching import register_version


class LastModifiedMixin:
    """Last-Modified from the register's history; ETag and 304 come from ConditionalGetMiddleware."""

    def finalize_response(self, request: Request, response: Response, *args: Any, **kwargs: Any) -> Response:
        response = super().finalize_response(request, response, *args, **kwargs)  # type: ignore[misc]
        if request.method in ("GET", "HEAD") and response.status_code == 200:
            changed = register_version(request)
            if changed is not None:
                response["Last-Modified"] = http_date(changed.timestamp())
        return response
