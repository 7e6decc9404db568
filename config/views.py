"""The site-wide answers that belong to no app: errors, a database outage, and the health check."""

from __future__ import annotations

import logging
import sys

from django.core.cache import cache
from django.db import InterfaceError, OperationalError
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views import defaults
from django.views.decorators.cache import never_cache
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

from api.exceptions import api_not_found, api_server_error, problem_response
from config.release import release
from config.replicas import database_health

logger = logging.getLogger(__name__)

# Seconds a client is asked to wait before trying again while the database is away: a restart
# or a fail-over to a replica takes about this long.
OUTAGE_RETRY_AFTER = 10


def permission_denied(request: HttpRequest, exception: Exception) -> HttpResponse:
    """403 in the reader's language, with the reason when there is one (registry.roles.NotAllowed says
    why); in the admin as an admin page."""
    detail = str(exception) if exception is not None and str(exception) else ""
    if request.path.startswith("/admin/"):
        from django.contrib import admin

        context = {**admin.site.each_context(request), "title": _("Not allowed"), "detail": detail}
        return render(request, "admin/403.html", context, status=403)
    return render(request, "403.html", {"detail": detail}, status=403)


def not_found(request: HttpRequest, exception: Exception) -> HttpResponse:
    if request.path.startswith("/api/"):
        return api_not_found(request, exception)
    return defaults.page_not_found(request, exception)


# SQLSTATEs of OperationalErrors that are a fault of one query or transaction, not an outage:
# deadlocks and serialization failures (40), program limits (54), a cancelled query or a statement
# timeout (57014), a lock not available (55P03), a full disk or memory (53100, 53200, 53400).
QUERY_FAULTS = ("40", "54", "57014", "55P03", "53100", "53200", "53400")


def database_unreachable(error: BaseException | None) -> bool:
    """Whether an error means the database cannot be reached (down, restarting, refusing
    connections, the connection cut), rather than a fault in a query, which stays a 500."""
    if not isinstance(error, OperationalError | InterfaceError):
        return False
    sqlstate = getattr(error.__cause__, "sqlstate", None) or ""
    return not sqlstate.startswith(QUERY_FAULTS)


def cache_unreachable(error: BaseException | None) -> bool:
    """Whether an error means the shared cache (Redis, REDIS_URL) cannot be reached: every request
    that counts for the throttle or is answered from the cache needs it, as it needs the database.
    (A lost database cache table is a lost database.) Other Redis errors are faults: 500."""
    return isinstance(error, RedisConnectionError | RedisTimeoutError)


def server_error(request: HttpRequest) -> HttpResponse:
    # Django calls this inside its `except` block, so the error at hand is the one being handled.
    error = sys.exc_info()[1]
    if database_unreachable(error) or cache_unreachable(error):
        return service_unavailable(request)
    if request.path.startswith("/api/"):
        return api_server_error(request)
    return defaults.server_error(request)


def service_unavailable(request: HttpRequest) -> HttpResponse:
    """503 while the database is away. The next request reconnects by itself (health checks on
    persistent connections), so no process needs a restart when the database is back."""
    if request.path.startswith("/api/"):
        response: HttpResponse = problem_response(
            request, 503, _("The register is briefly unavailable; please try again in a moment."))
    else:
        # Rendered without the request's context: that would ask the database for the session.
        response = render(None, "503.html", status=503)
    response["Retry-After"] = str(OUTAGE_RETRY_AFTER)
    response["Cache-Control"] = "no-store"
    return response


@never_cache
def healthz(request: HttpRequest) -> HttpResponse:
    """For load balancers and monitoring: 200 when this process can query the primary database, else
    503. The document says which databases answer (the primary, each replica with its replication
    lag and whether this process reads from it now) and whether the shared cache answers:
    "ok" when all do, "degraded" when the primary does and something else does not. Its "release"
    tells the machines of a rolling deploy apart (config.release)."""
    databases = database_health()
    try:
        cache.get("healthz")
        cache_answers = True
    except Exception as error:  # whatever the cache backend raises: it does not answer
        logger.warning("The cache does not answer the health check: %s", error)
        cache_answers = False
    if not databases["default"]["answers"]:
        status = "unavailable"
    elif cache_answers and all(database["answers"] for database in databases.values()):
        status = "ok"
    else:
        status = "degraded"
    document = {"status": status, "release": release(), "databases": databases, "cache": {"answers": cache_answers}}
    if status == "unavailable":
        return JsonResponse(document, status=503, headers={"Retry-After": str(OUTAGE_RETRY_AFTER)})
    return JsonResponse(document)


# Search engines may read every public page; not the admin, nor the pages that a verification
# link with its token opens (each is one initiative's private page, and marked noindex as well).
ROBOTS_TXT = "User-agent: *\nDisallow: /admin/\nDisallow: /controle/\n"


def robots_txt(request: HttpRequest) -> HttpResponse:
    return HttpResponse(ROBOTS_TXT, content_type="text/plain; charset=utf-8")
