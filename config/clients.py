"""Who is asking: the client's address behind the proxies we trust, for the limits that count per
client (public suggestions, failed admin logins) as the API's throttle counts them."""

from __future__ import annotations

from django.http import HttpRequest
from rest_framework.throttling import BaseThrottle


def client_address(request: HttpRequest) -> str:
    """REMOTE_ADDR, or the entry of X-Forwarded-For that the NUM_PROXIES trusted proxies in front
    added (the same rule as the API's throttle: rest_framework's BaseThrottle.get_ident)."""
    return BaseThrottle().get_ident(request)  # type: ignore[arg-type]  # reads only META, as an HttpRequest has
