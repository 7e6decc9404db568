"""Page-number pagination with a total count and next/previous links, as JSON or GeoJSON."""

from __future__ import annotations

import hashlib
from functools import cached_property, partial
from typing import Any

from django.core.cache import cache
from django.core.paginator import Paginator as DjangoPaginator
from django.db.models import QuerySet
from django.utils.translation import gettext as _
from rest_framework.exceptions import ValidationError
from rest_framework.pagination import PageNumberPagination
from rest_framework.request import Request
from rest_framework.response import Response

from api.caching import register_version

DEFAULT_PAGE_SIZE = 50
MAX_PAGE_SIZE = 1000
COUNT_CACHE_SECONDS = 600


class CountCachingPaginator(DjangoPaginator):
    """Counting 90,000 matching rows costs more than fetching a page of them; the count of a
    query is kept until the register changes (the version is part of the key)."""

    object_list: QuerySet[Any]  # the API pages querysets only

    def __init__(self, object_list: Any, per_page: int, *, version: Any) -> None:
        super().__init__(object_list, per_page)
        self.version = version

    @cached_property
    def count(self) -> int:
        sql, params = self.object_list.query.sql_with_params()
        key = "count:" + hashlib.sha256(repr((sql, params, str(self.version))).encode()).hexdigest()
        counted = cache.get(key)
        if counted is None:
            counted = self.object_list.count()
            cache.set(key, counted, COUNT_CACHE_SECONDS)
        return int(counted)


class Pagination(PageNumberPagination):
    page_size = DEFAULT_PAGE_SIZE
    page_size_query_param = "pageSize"
    max_page_size = MAX_PAGE_SIZE

    def get_page_size(self, request: Request) -> int:
        raw = request.query_params.get(self.page_size_query_param)
        if raw is None:
            return self.page_size
        if not raw.isdigit() or not 1 <= int(raw) <= self.max_page_size:
            # A silently shortened page would look complete to a client: say so instead.
            raise ValidationError({self.page_size_query_param: [
                _("Expected a whole number from 1 to %(max)d.") % {"max": self.max_page_size}]})
        return int(raw)

    def paginate_queryset(self, queryset: Any, request: Request, view: Any = None) -> Any:
        # DRF only calls it, as it would call the class.
        self.django_paginator_class = partial(  # type: ignore[assignment]  # a factory, not a class
            CountCachingPaginator, version=register_version(request))
        page = request.query_params.get(self.page_query_param)
        if page is not None and (not page.isdigit() or int(page) < 1):
            raise ValidationError({self.page_query_param: [_("Expected a whole number from 1.")]})
        return super().paginate_queryset(queryset, request, view)

    def get_paginated_response(self, data: Any) -> Response:
        assert self.page is not None, "paginate_queryset made it"
        if isinstance(data, dict) and data.get("type") == "FeatureCollection":
            links = [{"rel": rel, "href": href, "type": "application/geo+json"}
                     for rel, href in (("next", self.get_next_link()), ("previous", self.get_previous_link()))
                     if href]
            return Response({"type": "FeatureCollection", "numberMatched": self.page.paginator.count,
                             "numberReturned": len(data["features"]), "links": links,
                             "features": data["features"]})
        return Response({"count": self.page.paginator.count, "next": self.get_next_link(),
                         "previous": self.get_previous_link(), "results": data})

    def get_paginated_response_schema(self, schema: dict[str, Any]) -> dict[str, Any]:
        return {
            "type": "object",
            "required": ["count", "next", "previous", "results"],
            "properties": {
                "count": {"type": "integer", "description": "Number of matching records."},
                "next": {"type": "string", "format": "uri", "nullable": True},
                "previous": {"type": "string", "format": "uri", "nullable": True},
                "results": schema,
            },
        }
