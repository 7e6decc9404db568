from __future__ import annotations

import datetime

from rest_framework.request import Request

from registry.models import last_change


def register_version(request: Request) -> datetime.datetime | None:
    """The register's last change, looked up once per request."""
    if not hasattr(request, "_register_version"):
        request._register_version = last_change()  # type: ignore[attr-defined]
    return request._register_version  # type: ignore[attr-defined,no-any-return]
