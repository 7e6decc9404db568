"""Read replicas: which database a query goes to (docs/scaling.md).

Enabled by settings only when DATABASE_REPLICA_URLS names at least one replica. The rule is
decided once per request, before any query, from what the request carries:

- Replicas serve anonymous GET/HEAD/OPTIONS requests only: no session cookie, no Authorization
  header. Maintainers always have one of the two (the admin's session, the API's token), so the
  admin, the API's writes and everything a maintainer reads come from the primary. The decision
  needs no database read: asking whether request.user is staff would itself read the session,
  and a session written a moment ago (at login) may not have reached a replica yet.
- Within such a request, reads go to one replica chosen at random for the whole request (so the
  register's version, read for the response cache's key, and the data come from one database)
  until the request writes anything; after that, and inside any transaction on the primary
  (`atomic`), they go to the primary, so a request reads its own writes.
- A browser request with an unsafe method that wrote (a public suggestion, a verification
  answer) gets a short-lived cookie; until it expires (DATABASE_PRIMARY_STICKY_SECONDS) that
  browser reads from the primary, so the page it is sent to next shows what it just did even
  while the replicas lag behind.
- Outside a request (management commands, imports, merges, the shell) everything uses the
  primary.

The cache table (DatabaseCache) always lives on the primary: throttle counts and cached answers
are written on every request, and a count read from a lagging replica would let a client through.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Iterable, Iterator
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, connections
from django.db.models import Model
from django.http import FileResponse, HttpRequest, HttpResponseBase, StreamingHttpResponse

STICKY_COOKIE = "registry_primary"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
# DatabaseCache's stand-in model (django.core.cache.backends.db.Options.app_label).
CACHE_APP_LABEL = "django_cache"


@dataclass
class RequestReads:
    """Where one request may read. Mutable on purpose: a write seen in a copied context (asgiref
    runs sync code in copies of the request's context) must still be seen by the rest of it."""

    replica: str | None  # None: this request reads from the primary
    wrote: bool = False


_current: ContextVar[RequestReads | None] = ContextVar("registry_request_reads", default=None)


def replica_for(request: HttpRequest) -> str | None:
    """The replica this request may read from, or None when it must read from the primary."""
    replicas: list[str] = list(getattr(settings, "DATABASE_REPLICAS", []))
    if not replicas or request.method not in SAFE_METHODS:
        return None
    if settings.SESSION_COOKIE_NAME in request.COOKIES or STICKY_COOKIE in request.COOKIES:
        return None
    if "HTTP_AUTHORIZATION" in request.META:
        return None
    return random.choice(replicas)


def in_transaction_on_primary() -> bool:
    """True inside an `atomic` block on the primary. Blocks opened by Django's TestCase around a
    test do not count (the same exception Django makes for `atomic(durable=True)`)."""
    blocks = connections[DEFAULT_DB_ALIAS].atomic_blocks
    return any(not block._from_testcase for block in blocks)  # type: ignore[attr-defined]  # not in django-stubs


class ReplicaRouter:
    def db_for_read(self, model: type[Model], **hints: Any) -> str:
        reads = _current.get()
        if reads is None or reads.replica is None or reads.wrote:
            return DEFAULT_DB_ALIAS
        if model._meta.app_label == CACHE_APP_LABEL or in_transaction_on_primary():
            return DEFAULT_DB_ALIAS
        return reads.replica

    def db_for_write(self, model: type[Model], **hints: Any) -> str:
        reads = _current.get()
        # Cache writes (the throttle's count on every API request) are not the request's own data:
        # counting them would send every anonymous API read to the primary.
        if reads is not None and model._meta.app_label != CACHE_APP_LABEL:
            reads.wrote = True
        return DEFAULT_DB_ALIAS

    def allow_relation(self, obj1: Model, obj2: Model, **hints: Any) -> bool | None:
        ours = {DEFAULT_DB_ALIAS, *getattr(settings, "DATABASE_REPLICAS", [])}
        if obj1._state.db in ours and obj2._state.db in ours:
            return True  # one database: the replicas are copies of the primary
        return None

    def allow_migrate(self, db: str, app_label: str, model_name: str | None = None, **hints: Any) -> bool:
        return db == DEFAULT_DB_ALIAS  # a replica follows the primary's schema by replication


class ReplicaReadsMiddleware:
    """Decides where the request reads (see the module's documentation); first in MIDDLEWARE so
    that the queries of every other middleware (sessions, authentication) are covered too."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        reads = RequestReads(replica=replica_for(request))
        token = _current.set(reads)
        try:
            response = self.get_response(request)
        finally:
            _current.reset(token)
        if reads.wrote and request.method not in SAFE_METHODS:
            # Only after unsafe methods: a public GET that happened to write must not carry a
            # Set-Cookie, which keeps proxies and CDNs from caching it.
            response.set_cookie(STICKY_COOKIE, "1", max_age=settings.DATABASE_PRIMARY_STICKY_SECONDS,
                                secure=settings.SESSION_COOKIE_SECURE, httponly=True, samesite="Lax")
        if (isinstance(response, StreamingHttpResponse) and not isinstance(response, FileResponse)
                and not response.is_async and reads.replica):
            # A streamed download (the open-data files) reads while it is sent, after this method
            # has returned: those reads belong to the request too. (A FileResponse reads no data,
            # and wrapping it would lose the server's sendfile.)
            content = response.streaming_content
            assert isinstance(content, Iterator), "a response that is not async streams an iterator"
            response.streaming_content = _within(reads, content)
        return response


def _within(reads: RequestReads, chunks: Iterable[bytes]) -> Iterator[bytes]:
    """The chunks, each produced with the request's reads in force; reset between chunks, so that
    nothing else the thread runs meanwhile (the server's next request) inherits them."""
    iterator = iter(chunks)
    while True:
        token = _current.set(reads)
        try:
            chunk = next(iterator)
        except StopIteration:
            return
        finally:
            _current.reset(token)
        yield chunk
