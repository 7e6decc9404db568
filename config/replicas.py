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

A replica that does not answer costs no request an error:

- At the start of a request that may read from a replica, its connection is made, or (a kept one)
  health-checked, before the request runs: the same work Django would do at the first query. A
  replica that fails this is left out by this process for DATABASE_REPLICA_RETRY_SECONDS, and the
  request reads from another replica or the primary.
- A replica that fails while the request runs (stopped mid-request, its connection cut, a query
  cancelled by a conflict with replication) makes the request answer 5xx. Such an answer is not
  sent: the request is run again from the start, as a fresh request, reading from the primary
  (only anonymous GET/HEAD/OPTIONS requests read from a replica, and they may be repeated). A
  replica whose connection no longer works is left out as above.
- Once the time is up the next request tries the replica again, so it comes back into use by
  itself when it answers again.
- What cannot be repeated: a streamed download whose first bytes were sent is cut off if its
  replica stops while it is being sent (a client sees a short download, as on any lost connection).
"""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import suppress
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.handlers.wsgi import WSGIRequest
from django.db import DEFAULT_DB_ALIAS, DatabaseError, connections
from django.db.models import Model
from django.http import FileResponse, HttpRequest, HttpResponse, HttpResponseBase, StreamingHttpResponse

logger = logging.getLogger(__name__)

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
    failure: str = ""  # what failed on the replica, when that ended the view (process_exception)


_current: ContextVar[RequestReads | None] = ContextVar("registry_request_reads", default=None)


# Replicas this process leaves out until a time (time.monotonic()), because they did not answer.
_down_until: dict[str, float] = {}


def is_down(alias: str) -> bool:
    """Whether this process currently leaves the replica out."""
    until = _down_until.get(alias)
    return until is not None and time.monotonic() < until


def mark_down(alias: str) -> None:
    seconds = settings.DATABASE_REPLICA_RETRY_SECONDS
    if not is_down(alias):
        logger.warning("Database %s does not answer; its reads go elsewhere for %s s", alias, seconds)
    _down_until[alias] = time.monotonic() + seconds


def answers(alias: str) -> bool:
    """Whether the replica answers now: its connection made, or a kept one health-checked (as Django
    does at the first query of a request; in the tests' client, which skips Django's per-request
    checks, a connection that failed earlier is checked too)."""
    connection = connections[alias]
    try:
        if connection.connection is not None and connection.errors_occurred:
            if not connection.is_usable():
                connection.close()
            connection.errors_occurred = False
        connection.close_if_health_check_failed()
        connection.ensure_connection()
    except DatabaseError:
        close_quietly(alias)
        return False
    return True


def close_quietly(alias: str) -> None:
    with suppress(DatabaseError):  # a connection that is already gone
        connections[alias].close()


def replica_for(request: HttpRequest) -> str | None:
    """The replica this request may read from, or None when it must read from the primary: one that
    answers, chosen at random among those not left out."""
    replicas: list[str] = list(getattr(settings, "DATABASE_REPLICAS", []))
    if not replicas or request.method not in SAFE_METHODS:
        return None
    if settings.SESSION_COOKIE_NAME in request.COOKIES or STICKY_COOKIE in request.COOKIES:
        return None
    if "HTTP_AUTHORIZATION" in request.META:
        return None
    candidates = [alias for alias in replicas if not is_down(alias)]
    random.shuffle(candidates)
    for alias in candidates:
        if answers(alias):
            if _down_until.pop(alias, None) is not None:
                logger.warning("Database %s answers again; reads go there again", alias)
            return alias
        mark_down(alias)
    return None


def failed_during(alias: str, response: HttpResponseBase) -> bool:
    """Whether the request's answer is an error that came from the replica it read from; leaves that
    replica out when its connection no longer works (a query cancelled by replication leaves it
    working: the request is repeated on the primary all the same)."""
    connection = connections[alias]
    if response.status_code < 500 or not connection.errors_occurred:
        return False
    if connection.connection is None or not connection.is_usable():
        mark_down(alias)
        close_quietly(alias)
    return True


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
        replica = replica_for(request)
        # The request as the server made it, before anything ran: to repeat it on the primary.
        environ = dict(request.META) if replica is not None and isinstance(request, WSGIRequest) else None
        reads = RequestReads(replica=replica)
        response = self.answer(request, reads)
        if replica is not None and failed_during(replica, response):
            logger.warning("Database %s failed during %s %s (%s); answered from the primary", replica,
                           request.method, request.path, reads.failure or f"status {response.status_code}")
            again = WSGIRequest(environ) if environ is not None else request
            response = self.answer(again, RequestReads(replica=None))
        return response

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponseBase | None:
        """A database error of the replica that ends the view (or its template) is answered here, with
        an answer that is never sent (__call__ repeats the request on the primary), rather than as a
        server error, which Django would log with its traceback."""
        reads = _current.get()
        if (reads is not None and reads.replica is not None and isinstance(exception, DatabaseError)
                and connections[reads.replica].errors_occurred):
            reads.failure = f"{type(exception).__name__}: {str(exception).strip()}"
            return HttpResponse(status=503)
        return None

    def answer(self, request: HttpRequest, reads: RequestReads) -> HttpResponseBase:
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


# -- health: which databases answer, and how far each replica is behind ---------------------------

PRIMARY_POSITION_SQL = ("SELECT (CASE WHEN pg_is_in_recovery() THEN pg_last_wal_replay_lsn() "
                        "ELSE pg_current_wal_lsn() END)::text")
# The age of the last transaction replayed, unless everything received is replayed (then 0: the
# age alone grows while the primary is idle); and where replay stands, to compare with the primary.
REPLICA_POSITION_SQL = (
    "SELECT pg_is_in_recovery(), pg_last_wal_replay_lsn()::text, "
    "CASE WHEN pg_last_wal_receive_lsn() IS NOT DISTINCT FROM pg_last_wal_replay_lsn() THEN 0 "
    "ELSE extract(epoch FROM clock_timestamp() - pg_last_xact_replay_timestamp()) END"
)


def lsn(text: str | None) -> int | None:
    """A WAL position ('16/B374D848') as a number of bytes."""
    if not text:
        return None
    high, low = text.split("/")
    return (int(high, 16) << 32) + int(low, 16)


def database_health() -> dict[str, dict[str, Any]]:
    """Each database: whether it answers, and for a replica whether it is a standby, how far its
    replay is behind the primary's WAL (bytes, read just after the primary's position) and in
    seconds, and whether this process reads from it now. Errors are logged, not shown."""
    health: dict[str, dict[str, Any]] = {}
    primary_position = None
    try:
        with connections[DEFAULT_DB_ALIAS].cursor() as cursor:
            cursor.execute(PRIMARY_POSITION_SQL)
            primary_position = lsn(cursor.fetchone()[0])
        health[DEFAULT_DB_ALIAS] = {"answers": True}
    except DatabaseError as error:
        logger.warning("Database %s does not answer the health check: %s", DEFAULT_DB_ALIAS, error)
        health[DEFAULT_DB_ALIAS] = {"answers": False}
    for alias in getattr(settings, "DATABASE_REPLICAS", []):
        try:
            with connections[alias].cursor() as cursor:
                cursor.execute(REPLICA_POSITION_SQL)
                in_recovery, replayed, seconds = cursor.fetchone()
        except DatabaseError as error:
            logger.warning("Database %s does not answer the health check: %s", alias, error)
            close_quietly(alias)
            health[alias] = {"answers": False, "inUse": False}
            continue
        behind = None
        if primary_position is not None:
            replayed_position = lsn(replayed) if in_recovery else primary_position
            behind = max(0, primary_position - replayed_position) if replayed_position is not None else None
        health[alias] = {"answers": True, "standby": in_recovery, "lagSeconds": round(float(seconds or 0), 3),
                         "lagBytes": behind, "inUse": not is_down(alias)}
    return health


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
