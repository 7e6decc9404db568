from __future__ import annotations

import datetime
from typing import Any

from django.db.models import Count, IntegerField, OuterRef, QuerySet, Subquery
from django.db.models.functions import Coalesce
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from api.caching import register_version
from registry.caching import last_modified


class LastModifiedMixin(APIView):
    """Last-Modified from the register's history, or from the one record an answer shows
    (`shown_version`, set by the view), never before the release (registry.caching.last_modified);
    304 comes from ConditionalGetMiddleware, as does the ETag where the view sets none."""

    # When what this answer shows last changed, where the view knows it (a detail: its document's
    # version, read with it); otherwise the register's last change. DRF makes a view per request.
    shown_version: datetime.datetime | None = None

    def answer_version(self, request: Request) -> datetime.datetime | None:
        return self.shown_version if self.shown_version is not None else register_version(request)

    def finalize_response(self, request: Request, response: Response, *args: Any, **kwargs: Any) -> Response:
        response = super().finalize_response(request, response, *args, **kwargs)
        if request.method in ("GET", "HEAD") and response.status_code == 200:
            changed = self.answer_version(request)
            if changed is not None:
                response["Last-Modified"] = last_modified(changed)
        return response


def count_of(queryset: QuerySet, field: str, distinct: str | None = None) -> Coalesce:
    """The number of rows of `queryset` (or of distinct values of `distinct`) whose `field` is the
    outer row, as one correlated subquery (joining two counted relations would multiply rows)."""
    counter = Count(distinct, distinct=True) if distinct else Count("*")
    counted = (queryset.filter(**{field: OuterRef("pk")}).order_by().values(field)
               .annotate(n=counter).values("n"))
    return Coalesce(Subquery(counted, output_field=IntegerField()), 0)
