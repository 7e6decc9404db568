"""The register's admin site: its own name, the work overview as its home page (overview.py), and a
login with a limit on failed attempts against guessing passwords.

Failures are counted per account and per client address in the shared cache (the database, or
Redis with REDIS_URL), so the limit holds across all server processes. While an account or an
address is locked, even the right password is refused: otherwise a guesser would learn it.
"""

from __future__ import annotations

import math
import time
from typing import Any

from django.conf import settings
from django.contrib.admin import AdminSite
from django.contrib.admin.forms import AdminAuthenticationForm
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from config.clients import client_address
from registry.backoffice import overview, saved_filters


def _keys(request: HttpRequest, username: str) -> tuple[str, str]:
    return (f"login-failures:account:{username.strip().casefold()}",
            f"login-failures:address:{client_address(request)}")


def _failures(key: str) -> int:
    count, _window_end = cache.get(key, (0, 0.0))
    return int(count)


def is_locked(request: HttpRequest, username: str) -> bool:
    account, address = _keys(request, username)
    return (_failures(account) >= settings.LOGIN_FAILURES_PER_ACCOUNT
            or _failures(address) >= settings.LOGIN_FAILURES_PER_ADDRESS)


def record_failure(request: HttpRequest, username: str) -> None:
    """Count a failure. The window starts at the first failure and later ones do not extend it,
    so the entry keeps its end (a cache's incr() would reset the expiry in some backends)."""
    now = time.time()
    for key in _keys(request, username):
        count, window_end = cache.get(key, (0, 0.0))
        if window_end <= now:
            count, window_end = 0, now + settings.LOGIN_LOCKOUT_MINUTES * 60
        cache.set(key, (count + 1, window_end), timeout=max(1, math.ceil(window_end - now)))


def forget_failures(request: HttpRequest, username: str) -> None:
    cache.delete(_keys(request, username)[0])


class LimitedAuthenticationForm(AdminAuthenticationForm):
    def clean(self) -> dict[str, Any]:
        username = self.cleaned_data.get("username") or ""
        if self.request is not None and is_locked(self.request, username):
            self.request.login_locked = True  # type: ignore[attr-defined]  # read by RegisterAdminSite.login
            raise ValidationError(
                _("Too many failed attempts to log in. Try again in %(minutes)d minutes at the latest.")
                % {"minutes": settings.LOGIN_LOCKOUT_MINUTES}, code="locked")
        try:
            cleaned = super().clean()
        except ValidationError as error:
            if self.request is not None and error.code == "invalid_login":
                record_failure(self.request, username)
            raise
        if self.request is not None:
            forget_failures(self.request, username)
        return cleaned


class RegisterAdminSite(AdminSite):
    login_form = LimitedAuthenticationForm
    site_header = gettext_lazy("Register of residents' initiatives")
    site_title = gettext_lazy("Register of residents' initiatives")
    index_title = gettext_lazy("Work overview")
    index_template = "admin/registry/overview.html"
    # The screens need their width for the lists; the home page lists every part of the admin.
    enable_nav_sidebar = False

    def index(self, request: HttpRequest, extra_context: dict[str, Any] | None = None) -> TemplateResponse:
        return super().index(request, {**overview.context(self, request), **(extra_context or {})})

    def get_urls(self) -> list[Any]:
        return [*saved_filters.urls(self), *super().get_urls()]

    def login(self, request: HttpRequest, extra_context: dict[str, Any] | None = None) -> HttpResponse:
        response = super().login(request, extra_context)
        if getattr(request, "login_locked", False):
            response.status_code = 429
            response["Retry-After"] = str(settings.LOGIN_LOCKOUT_MINUTES * 60)
        return response
