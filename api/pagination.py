"""Page-number pagination with a total count and next/previous links, as JSON or GeoJSON."""

from __future__ import annotations

import base64
import binascii
import datetime
import json
import math
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cached_property, partial
from typing import Any

from django.core.paginator import Paginator as DjangoPaginator
from django.db.models import Q, QuerySet
from django.utils.translation import gettext as _
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.pagination import PageNumberPagination
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.utils.urls import remove_query_param, replace_query_param

from api.caching import register_version
from registry import documents
from registry.caching import kept_count

DEFAULT_PAGE_SIZE = 50
MAX_PAGE_SIZE = 1000


class CountCachingPaginator(DjangoPaginator):
    """Counting 90,000 matching rows costs more than fetching a page of them; the count of a
    query is kept until the register changes (the version is part of the key)."""

    object_list: QuerySet[Any]  # the API pages querysets only

    def __init__(self, object_list: Any, per_page: int, *, version: Any) -> None:
        super().__init__(object_list, per_page)
        self.version = version

    @cached_property
    def count(self) -> int:
        return kept_count(self.object_list, self.version)


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
                "count": {"type": "integer", "description": (
                    "Number of matching records: exact, counted once for each state of the register and "
                    "kept until it changes.")},
                "next": {"type": "string", "format": "uri", "nullable": True, "description": (
                    "The next page: by number, or by cursor in a walk started with `cursor=`.")},
                "previous": {"type": "string", "format": "uri", "nullable": True},
                "results": schema,
            },
        }


# -- pages of prepared documents (registry.documents) ----------------------------------------------


@dataclass(frozen=True)
class DocumentPage:
    """A page of the list: its prepared documents as one text, and the links around it."""

    count: int
    returned: int
    documents: bytes  # UTF-8, as PostgreSQL assembled them
    next: str | None
    previous: str | None

    def as_json(self) -> bytes:
        return b"".join((f'{{"count":{self.count},"next":{dumps(self.next)},"previous":{dumps(self.previous)},'
                         f'"results":['.encode(), self.documents, b"]}"))

    def as_geojson(self) -> bytes:
        links = [{"rel": rel, "href": href, "type": "application/geo+json"}
                 for rel, href in (("next", self.next), ("previous", self.previous)) if href]
        return b"".join((f'{{"type":"FeatureCollection","numberMatched":{self.count},'
                         f'"numberReturned":{self.returned},"links":{dumps(links)},"features":['.encode(),
                         self.documents, b"]}"))


def dumps(value: Any) -> str:
    """As DRF's JSONRenderer writes it: compact, UTF-8."""
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


class DocumentPagination(Pagination):
    """Pages of prepared documents by number (`page`, as always) or, for a client that walks the
    whole register, by keyset (`cursor`): the next link carries the last record's sort key, so a
    walk neither skips nor repeats a record while others are created, changed or deleted."""

    cursor_query_param = "cursor"

    def document_page(self, queryset: QuerySet[Any], request: Request, *, kind: str, base: str) -> DocumentPage:
        size = self.get_page_size(request)
        version = register_version(request)
        counted = CountCachingPaginator(queryset, size, version=version).count
        if self.cursor_query_param in request.query_params:
            if self.page_query_param in request.query_params:
                raise ValidationError({self.cursor_query_param: [
                    _("Give either page or cursor: a walk by cursor has no page numbers.")]})
            return self._by_cursor(queryset, request, size, counted, kind=kind, base=base)
        number = self._page_number(request)
        pages = max(1, math.ceil(counted / size))
        if number > pages:
            raise NotFound(_("Invalid page."))
        start = (number - 1) * size
        returned = max(0, min(size, counted - start))
        url = request.build_absolute_uri()
        return DocumentPage(
            count=counted, returned=returned,
            documents=documents.assemble(queryset[start:start + size], kind, base=base),
            next=replace_query_param(url, self.page_query_param, number + 1) if number < pages else None,
            previous=(None if number == 1 else remove_query_param(url, self.page_query_param) if number == 2
                      else replace_query_param(url, self.page_query_param, number - 1)))

    def _page_number(self, request: Request) -> int:
        page = request.query_params.get(self.page_query_param)
        if page is None:
            return 1
        if not page.isdigit() or int(page) < 1:
            raise ValidationError({self.page_query_param: [_("Expected a whole number from 1.")]})
        return int(page)

    def _by_cursor(self, queryset: QuerySet[Any], request: Request, size: int, counted: int, *, kind: str,
                   base: str) -> DocumentPage:
        keyset = Keyset.of(queryset)
        token = request.query_params[self.cursor_query_param]
        after = keyset.decode(token) if token else None
        page = keyset.after(queryset, after)[:size + 1]
        keys = list(page.values_list(*keyset.columns))
        more = len(keys) > size
        keys = keys[:size]
        url = request.build_absolute_uri()
        return DocumentPage(
            count=counted, returned=len(keys),
            documents=documents.assemble(queryset.filter(pk__in=[row[-1] for row in keys]).order_by(
                *keyset.ordering), kind, base=base),
            next=replace_query_param(url, self.cursor_query_param, keyset.encode(keys[-1])) if more else None,
            previous=None)


@dataclass(frozen=True)
class Keyset:
    """The sort of a list as keyset paging needs it: the columns (the last one the primary key) with
    their directions, and the position after a row as a filter. Null values sort last going up and
    first going down, as PostgreSQL sorts them."""

    ordering: tuple[str, ...]  # as given to order_by, e.g. ("-founded_year", "pk")

    @classmethod
    def of(cls, queryset: QuerySet[Any]) -> Keyset:
        ordering = tuple(str(key) for key in queryset.query.order_by)
        if not ordering or any(not isinstance(key, str) for key in queryset.query.order_by) \
                or ordering[-1] not in ("pk", "id"):
            raise ValidationError({"cursor": [_(
                "A walk by cursor needs a sort by a column (ordering=name, foundedYear, updatedAt or "
                "lastVerifiedOn); with near or q, give one.")]})
        for key in ordering[:-1]:
            if key.lstrip("-") not in CURSOR_COLUMNS:
                raise ValidationError({"cursor": [_(
                    "A walk by cursor needs a sort by a column (ordering=name, foundedYear, updatedAt or "
                    "lastVerifiedOn); with near or q, give one.")]})
        return cls(ordering)

    @property
    def columns(self) -> tuple[str, ...]:
        return tuple(key.lstrip("-") for key in self.ordering)

    def encode(self, row: Sequence[Any]) -> str:
        values = [value.isoformat() if isinstance(value, datetime.date) else value for value in row]
        text = json.dumps([list(self.ordering), values], separators=(",", ":"), ensure_ascii=False)
        return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")

    def decode(self, token: str) -> list[Any]:
        problem = ValidationError({"cursor": [_("Not a cursor of this list: start again without one, or "
                                               "with an empty cursor.")]})
        try:
            ordering, values = json.loads(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)))
        except (ValueError, TypeError, binascii.Error):
            raise problem from None
        if ordering != list(self.ordering) or not isinstance(values, list) or len(values) != len(self.ordering):
            raise problem
        try:
            return [CURSOR_COLUMNS[column].parse(value) if value is not None else None
                    for column, value in zip(self.columns, values, strict=True)]
        except (ValueError, TypeError):
            raise problem from None

    def after(self, queryset: QuerySet[Any], row: Sequence[Any] | None) -> QuerySet[Any]:
        if row is None:
            return queryset
        first, value = self.ordering[0], row[0]
        if value is not None and first.lstrip("-") in NOT_NULL_COLUMNS:
            # A bound on the first column alone, which the planner can start an index scan from (the
            # condition below is exact, but its ORs hide that range from it).
            queryset = queryset.filter(**{f"{first.lstrip('-')}__{'lte' if first.startswith('-') else 'gte'}": value})
        condition = Q(pk__gt=row[-1])
        for key, value in reversed(list(zip(self.ordering[:-1], row[:-1], strict=True))):
            column, descending = key.lstrip("-"), key.startswith("-")
            if value is None:
                # Nulls last going up (nothing but nulls follows), first going down (every value follows).
                condition = (Q(**{f"{column}__isnull": True}) & condition) if not descending else (
                    (Q(**{f"{column}__isnull": True}) & condition) | Q(**{f"{column}__isnull": False}))
            else:
                beyond = Q(**{f"{column}__lt" if descending else f"{column}__gt": value})
                if not descending:
                    beyond |= Q(**{f"{column}__isnull": True})
                condition = beyond | (Q(**{column: value}) & condition)
        return queryset.filter(condition)


@dataclass(frozen=True)
class CursorColumn:
    parse: Any


NOT_NULL_COLUMNS = {"name", "updated_at", "pk", "id"}
CURSOR_COLUMNS = {
    "name": CursorColumn(str),
    "founded_year": CursorColumn(int),
    "updated_at": CursorColumn(datetime.datetime.fromisoformat),
    "last_verified_on": CursorColumn(datetime.date.fromisoformat),
    "pk": CursorColumn(int),
    "id": CursorColumn(int),
}
