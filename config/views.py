"""The site-wide answers that belong to no app: errors, a database outage, and the health check."""

from __future__ import annotations

import sys

from django.db import DatabaseError, InterfaceError, OperationalError, connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views import defaults
from django.views.decorators.cache import never_cache

from api.exceptions import api_not_found, api_server_error, problem_response

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


def server_error(request: HttpRequest) -> HttpResponse:
    # Django calls this inside its `except` block, so the error at hand is the one being handled.
    if database_unreachable(sys.exc_info()[1]):
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
    """For load balancers and monitoring: 200 when this process can query the database, else 503."""
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
    except DatabaseError:
        return JsonResponse({"status": "unavailable"}, status=503, headers={"Retry-After": str(OUTAGE_RETRY_AFTER)})
    return JsonResponse({"status": "ok"})
