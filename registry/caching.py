"""Answers kept in a cache of their own while the register is unchanged: the public pages
(`cached_page`), the open-data downloads and the API's large aggregate answers (api/caching.py:
the map's data, the statistics). The API's records are not kept: they are assembled from
prepared documents at the speed of the database (registry.documents).

A key holds the release (config.release), the register's version (its last change, from the
history), today's date (whether a
record counts as stale changes with it), the path, the known query parameters in a fixed order,
the language and what else the caller adds, so a kept answer is never stale and never another
request's. The version also follows the prepared documents (registry.history.last_change), so a
change that leaves no history (a vocabulary's label, an area's name) shows at once as well.

What may be kept is bounded by the register, not by the visitors: an answer is kept only when
every query parameter is one the caller names and none is of the kind that takes any value (a free
text, a box, a point, a moment). So a flood of made-up addresses is answered, but fills nothing.
Kept answers live in the `responses` cache, apart from what counts per client (throttles, failed
logins, suggestion limits) in `default`, so that no number of kept answers can evict a count.

After an edit every key is new. The first request for an answer makes it while the others that
ask for the same answer wait for it (up to SINGLE_FLIGHT_WAIT seconds), rather than all making it
at once on the same cores.
"""

from __future__ import annotations

import datetime
import hashlib
import re
import time
from collections.abc import Callable, Collection, Iterable
from functools import wraps
from typing import Any

from django.conf import settings
from django.core.cache import caches
from django.db import connections
from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from django.utils.cache import patch_vary_headers
from django.utils.http import http_date, quote_etag
from django.utils.text import compress_string
from django.utils.translation import get_language

from config.csp import trust_hashes, trusted_hashes
from config.release import release, released_at
from registry.history import last_change

RESPONSE_CACHE_SECONDS = 600
SINGLE_FLIGHT_WAIT = 10.0
SINGLE_FLIGHT_POLL = 0.05


def responses() -> Any:
    return caches["responses"]


def register_version(request: HttpRequest) -> datetime.datetime | None:
    """The register's last change, looked up once per request."""
    if not hasattr(request, "_register_version"):
        request._register_version = last_change()  # type: ignore[attr-defined]  # kept on the request
    return request._register_version  # type: ignore[attr-defined]  # set just above


COUNT_CACHE_SECONDS = 600


def kept_count(queryset: Any, version: Any) -> int:
    """The number of rows a query selects, kept (in `default`) until the register changes (the
    version is part of the key): counting 90,000 matching rows costs more than fetching a page of
    them. The REST API's pages and the OGC API's numberMatched share it."""
    return int(kept_value(queryset, version, "count", queryset.count))


def kept_value(queryset: Any, version: Any, what: str, compute: Callable[[], Any]) -> Any:
    """What `compute` says of the rows a query selects (its count, their extent), kept in `default`
    under the query's statement and `what` until the register changes (the version is part of the
    key)."""
    # The ids alone and unordered: the same rows in another order have the same count and extent,
    # and compiling every column of an initiative cost more than the count's lookup (about 3 ms).
    sql, params = queryset.order_by().values("pk").query.sql_with_params()
    # The statement as PostgreSQL receives it, with its values quoted: the parameters' repr would not
    # do, as a geometry's adapter shows its memory address (each box would be counted again).
    operations: Any = connections[queryset.db].ops  # PostgreSQL's, which can compose
    statement = operations.compose_sql(sql, params)
    key = f"{what}:" + hashlib.sha256(repr((statement, str(version))).encode()).hexdigest()
    found = caches["default"].get(key, _MISSING)
    if found is _MISSING:
        found = compute()
        caches["default"].set(key, found, COUNT_CACHE_SECONDS)
    return found


# Tells a kept None (an empty extent) from a key that is not there.
_MISSING = object()


# How long a process keeps what `kept_in_process` read for one version of the register: something
# that changes without a new version (an area renamed by load_areas, which prepares no document)
# shows within this time.
IN_PROCESS_SECONDS = 600
_in_process: dict[str, tuple[Any, float, Any]] = {}


def kept_in_process(key: str, version: Any, read: Callable[[], Any]) -> Any:
    """What `read` returns, kept in this process's memory while the register keeps its `version`
    (and at most IN_PROCESS_SECONDS): for what every page shows and is cheaper to keep as Python
    objects than to fetch and unpickle from a shared cache (the filter panel's hundreds of options).
    Without a version (a maintainer's view, which shows drafts) nothing is kept."""
    kept = _in_process.get(key)
    now = time.monotonic()
    if version is not None and kept is not None and kept[0] == version and now - kept[1] < IN_PROCESS_SECONDS:
        return kept[2]
    found = read()
    if version is not None:
        _in_process[key] = (version, now, found)
    return found


def keepable(request: HttpRequest, known: Collection[str]) -> bool:
    """Whether an answer to this request may be kept: every query parameter is one of `known`, and
    each value is written in its one plain way. The key holds the values as written, so without
    that one selection would be endless entries ("province=PV28&province=PV28…", "foundedFrom=
    1990.0", "01990", " 1990", "ordering=name,name"), each a file of megabytes, and the flood of
    them would evict what matters; such a request is answered, only not kept."""
    return all(name in known and _plainly_written(request.GET.getlist(name)) for name in request.GET)


def _plainly_written(values: list[str]) -> bool:
    items = [item for value in values for item in value.split(",")]
    return len(set(items)) == len(items) and all(
        item == item.strip() and (PLAIN_NUMBER.fullmatch(item) is not None or NUMBER_LIKE.fullmatch(item) is None)
        for item in items)


# A number as the register's bounded parameters take one (a year: 1990), against anything a number
# parser would also read (+1990, 1990.0, 1e3, 01990).
PLAIN_NUMBER = re.compile(r"0|[1-9][0-9]*")
NUMBER_LIKE = re.compile(r"[-+0-9.eE]+")


def response_key(request: HttpRequest, *parts: str, version: Any = None) -> str:
    """The key of an answer: the release (config.release), the register's version (or the `version`
    of what the answer shows, when that is known to be narrower), the day, and everything of the
    request that can change it."""
    # The scheme and host too: answers hold absolute links (embed code, JSON-LD, API hyperlinks),
    # and a load balancer may admit the site under more than one name. The parameters sorted, so
    # that their order makes no second entry.
    query = sorted((name, value) for name in request.GET for value in request.GET.getlist(name))
    return "response:" + hashlib.sha256("|".join([
        release(), str(register_version(request) if version is None else version), str(timezone.localdate()),
        request.scheme or "", request.get_host(),
        request.path, repr(query), get_language() or "", *parts,
    ]).encode()).hexdigest()


def last_modified(changed: datetime.datetime) -> str:
    """The Last-Modified of an answer whose content last changed at `changed`, but never before the
    release that made it (config.release.released_at)."""
    return http_date(max(changed.timestamp(), released_at()))


def version_etag(request: HttpRequest, *parts: str, version: Any, weak: bool = False) -> str:
    """An answer's ETag from what it follows from (response_key: the release, `version`, the day, the
    address and `parts`), for an answer whose body would cost more to hash (megabytes of Features).
    `weak` for an answer whose bytes differ where its meaning does not (the moment it was made)."""
    return _etag(response_key(request, *parts, version=version), weak=weak)


def _etag(key: str, *, weak: bool) -> str:
    tag = quote_etag(key[-32:])
    return f"W/{tag}" if weak else tag


def single_flight(key: str, produce: Callable[[], Any], *, timeout: int = RESPONSE_CACHE_SECONDS) -> Any:
    """The value kept under `key`, or made by `produce` and kept; while one process makes it, others
    asking for the same key wait for it instead of making it too. None from `produce` is not kept."""
    cache = responses()
    value = cache.get(key)
    if value is not None:
        return value
    lock = key + ":making"
    if not cache.add(lock, True, timeout=int(SINGLE_FLIGHT_WAIT) + 5):
        deadline = time.monotonic() + SINGLE_FLIGHT_WAIT
        while time.monotonic() < deadline:
            time.sleep(SINGLE_FLIGHT_POLL)
            value = cache.get(key)
            if value is not None:
                return value
            if cache.get(lock) is None:  # the maker gave up (an error): make it here
                break
    try:
        value = produce()
        if value is not None:
            cache.set(key, value, timeout)
        return value
    finally:
        cache.delete(lock)


def kept_response(request: HttpRequest, parts: tuple[str, ...], produce: Callable[[], bytes | None],
                  content_type: str, *, compress: bool, version: Any = None) -> HttpResponse | None:
    """A body kept under `parts` (see response_key, and its `version`), made by `produce` on a miss
    (once, see single_flight), with an ETag from the same key; None when `produce` declines (an answer
    that is not to be kept). With `compress`, a client that accepts gzip gets the body compressed once
    and kept so."""
    gzipped = compress and "gzip" in request.META.get("HTTP_ACCEPT_ENCODING", "")

    def make() -> bytes | None:
        body = produce()
        return compress_string(body) if body is not None and gzipped else body

    key = response_key(request, *parts, "gzip" if gzipped else "", version=version)
    body = single_flight(key, make)
    if body is None:
        return None
    response = HttpResponse(body, content_type=content_type)
    # Tagged by what it is kept under, not by hashing megabytes for every request that fetches it;
    # weak, since a file made again under the same key (once evicted) may differ in its bytes where
    # its meaning does not (a workbook's moment of writing).
    response["ETag"] = _etag(key, weak=True)
    if gzipped:
        response["Content-Encoding"] = "gzip"
    if compress:
        patch_vary_headers(response, ["Accept-Encoding"])
    return response


GZIP_FROM_BYTES = 200  # smaller pages gain nothing from compression


def cached_page(parameters: Iterable[str] = (), *, version: Callable[..., Any] | None = None,
                ) -> Callable[[Callable[..., HttpResponse]], Callable[..., HttpResponse]]:
    """A public page, for anonymous visitors answered from the cache while the register is unchanged,
    when its query holds only the given `parameters`. With `version` (called with the view's
    arguments), while what that returns is unchanged instead: a page of one record is then kept
    across the edits of every other record. None from it: the register's version.

    Only for pages without a form that posts (a CSRF token is personal) and with nothing of the
    visitor's own on them. Signed-in maintainers see drafts and their own menu: never cached.
    """
    known = frozenset(parameters)

    def decorate(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
        @wraps(view)
        def page(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            if (not settings.PAGE_CACHE or request.method not in ("GET", "HEAD") or request.user.is_authenticated
                    or not keepable(request, known)):
                return view(request, *args, **kwargs)
            made: list[HttpResponse] = []

            def make() -> tuple[str, bytes, bytes | None, dict[str, set[str]]] | None:
                response = view(request, *args, **kwargs)
                made.append(response)
                if response.status_code != 200 or response.streaming:
                    return None
                # Compressed once, when made, and kept beside the page (not again for every visitor).
                content = response.content
                gzipped = compress_string(content) if len(content) >= GZIP_FROM_BYTES else None
                return (response["Content-Type"], content, gzipped, trusted_hashes())

            narrower = version(request, *args, **kwargs) if version is not None else None
            kept = single_flight(response_key(request, "page", version=narrower), make)
            if kept is None:
                return made[0]
            content_type, content, gzipped, inline = kept
            trust_hashes(inline)  # the page's own inline scripts and styles, as when it was made
            # Gzipped for a client that accepts it: a map page is 80 KB of HTML, which a phone on a slow
            # connection waits for (Lighthouse, issue 14). A kept page holds nothing personal (no CSRF
            # token), so compression reveals no secret (BREACH).
            zipped = gzipped is not None and "gzip" in request.META.get("HTTP_ACCEPT_ENCODING", "")
            response = HttpResponse(gzipped if zipped else content, content_type=content_type)
            patch_vary_headers(response, ["Accept-Encoding"])
            if zipped:
                response["Content-Encoding"] = "gzip"
            return response

        return page

    return decorate
