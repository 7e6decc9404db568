from __future__ import annotations

from typing import Any

from django.db.models import Count, IntegerField, OuterRef, QuerySet, Subquery
from django.db.models.functions import Coalesce
from django.utils.http import http_date
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from api.caching import register_version


class LastModifiedMixin(APIView):
    """Last-Modified from the register's history; ETag and 304 come from ConditionalGetMiddleware."""

    def finalize_response(self, request: Request, response: Response, *args: Any, **kwargs: Any) -> Response:
        response = super().finalize_response(request, response, *args, **kwargs)
        if request.method in ("GET", "HEAD") and response.status_code == 200:
            changed = register_version(request)
            if changed is not None:
                response["Last-Modified"] = http_date(changed.timestamp())
        return response

def count_of(queryset: QuerySet, field: str, distinct: str | None = None) -> Coalesce:
    """The number of rows of `queryset` (or of distinct values of `distinct`) whose `field` is the
    outer row, as one correlated subquery (joining two counted relations would multiply rows)."""
    counter = Count(distinct, distinct=True) if distinct else Count("*")
    counted = (queryset.filter(**{field: OuterRef("pk")}).order_by().values(field)
               .annotate(n=counter).values("n"))
    return Coalesce(Subquery(counted, output_field=IntegerField()), 0)
