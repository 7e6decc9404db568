"""The anonymous rate (API_ANON_RATE), counted by PostgreSQL and by each server process.

DRF's AnonRateThrottle keeps each client's recent request times as a list in the shared cache,
read, changed and written back on every request: with the database cache that is six statements
and a commit, most of the time an anonymous read of a prepared document takes. Here each client
has a count per window of the rate's duration in PostgreSQL, raised by one upsert that also returns
the count of the window before; the limit applies to the sliding estimate (the previous window's
count weighted by how much of it still lies within the duration, plus this window's), which behaves
as DRF's sliding list does without keeping it.

Even that one statement (0.3 ms) was a third of what a detail costs beyond its document, so, as
API gateways do when they sync their counters to a central store in batches, each process counts a
client's requests itself and adds them to PostgreSQL a batch at a time: a hundredth of the limit
(at least one), at once when a new window begins, and on every request once the client is within
a batch of its limit. So a process lets through at most a batch more than it knows of, and the
processes together at most a batch each beyond the limit (1 % per process); under a limit of
less than a hundred requests the count is exact, as before. Once a process knows a client is over
its limit it refuses that client's requests itself, without a statement and without counting them
(DRF's sliding list keeps no time for a refused request either); the one request that learns it
from PostgreSQL has been counted there. Its Retry-After is reckoned from what the process knows,
which may be less than PostgreSQL holds (so it may be early, never late); and an operator who
deletes a client's counts to let it in again must restart the workers too (or wait for the window
to move). With Redis as the cache (REDIS_URL),
DRF's own throttle runs there, where it costs two round trips.
"""

from __future__ import annotations

import math
import threading
import time
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any

from django.core.cache import caches
from django.core.cache.backends.db import DatabaseCache
from django.db import DEFAULT_DB_ALIAS, connections
from rest_framework.request import Request
from rest_framework.throttling import AnonRateThrottle

# One statement: clear a few counts of windows long past (so the table stays small without a job),
# add this process's requests to this client's count of this window, and read its count of the
# window before.
COUNT = """
WITH gone AS (
    DELETE FROM api_throttle
     WHERE (client, slot) IN (SELECT client, slot FROM api_throttle WHERE slot < %(slot)s - 1 LIMIT 10)
), counted AS (
    INSERT INTO api_throttle (client, slot, hits) VALUES (%(client)s, %(slot)s, %(adding)s)
    ON CONFLICT (client, slot) DO UPDATE SET hits = api_throttle.hits + EXCLUDED.hits
    RETURNING hits
)
SELECT (SELECT hits FROM counted),
       coalesce((SELECT hits FROM api_throttle WHERE client = %(client)s AND slot = %(slot)s - 1), 0)
"""


@dataclass
class _Tally:
    """What this process knows of a client's count: PostgreSQL's at the last sync, and its own since."""

    rate: tuple[int, int]  # (requests, seconds) when counted: a changed rate starts afresh
    slot: int
    current: int  # this window's count in PostgreSQL after the last sync (all processes)
    previous: int  # the window before's
    unsynced: int = 0  # requests let in or refused here since, not yet in PostgreSQL


# Per process (gunicorn forks its workers before any request, so each starts empty); bounded, so a
# flood of addresses cannot grow it: past the bound the least recently seen client's tally goes
# (what it had not synced, less than a batch, is not counted).
_tallies: OrderedDict[str, _Tally] = OrderedDict()
MAX_TALLIES = 10_000
_tallies_lock = threading.Lock()


class AnonymousRateThrottle(AnonRateThrottle):
    """DRF's anonymous rate (its settings, scope and client address), counted in PostgreSQL."""

    # Set by SimpleRateThrottle.__init__ from the rate (the stubs leave them out).
    num_requests: int
    duration: int
    seconds_to_wait: float = 0.0

    def allow_request(self, request: Request, view: Any) -> bool:
        if not isinstance(caches["default"], DatabaseCache):
            return super().allow_request(request, view)
        if self.rate is None:
            return True
        self.key = self.get_cache_key(request, view)
        if self.key is None:  # a signed-in client: not limited here
            return True
        now = time.time()
        slot_float, into = divmod(now, self.duration)
        slot = int(slot_float)
        weight = 1 - into / self.duration
        current, previous = self._counted(self.key, slot, weight)
        if previous * weight + current <= self.num_requests:
            return True
        # Until the estimate falls to the limit: at once for the previous window's share, at the
        # end of this window at the latest.
        excess = previous * weight + current - self.num_requests
        decay = previous / self.duration if previous else 0.0
        self.seconds_to_wait = min(self.duration - into, excess / decay if decay else self.duration - into)
        return False

    def _counted(self, client: str, slot: int, weight: float) -> tuple[int, int]:
        """This request counted: the client's count of this window and of the one before, as far as
        this process knows them (PostgreSQL's at the last sync and this process's own since)."""
        batch = max(1, self.num_requests // 100)
        rate = (self.num_requests, self.duration)
        with _tallies_lock:
            tally = _tallies.get(client)
            if tally is not None and tally.rate != rate:
                del _tallies[client]
                tally = None
            if tally is not None and tally.slot == slot:
                _tallies.move_to_end(client)
                current = tally.current + tally.unsynced + 1
                if tally.previous * weight + current > self.num_requests:
                    # Refused on what this process already knows (counts only grow within a window):
                    # no statement and no count, as DRF keeps no time for a refused request, so a
                    # client flooding past its limit costs PostgreSQL nothing until its window moves.
                    return current, tally.previous
                if tally.unsynced + 1 < batch and tally.previous * weight + current + batch <= self.num_requests:
                    tally.unsynced += 1
                    return current, tally.previous
            # This request and what is not yet synced, all in this window (earlier hits counted in the
            # present one make the estimate stricter, never laxer). The tally stays, so that requests
            # of other threads meanwhile are added to it, not lost.
            adding = 1 + (tally.unsynced if tally is not None else 0)
            if tally is not None:
                tally.unsynced = 0
        # The counts live on the primary, as the cache does (config/replicas.py), whatever the
        # request reads from; raw SQL leaves the router's view of the request's writes alone.
        with connections[DEFAULT_DB_ALIAS].cursor() as cursor:
            cursor.execute(COUNT, {"client": client, "slot": slot, "adding": adding})
            current, previous = cursor.fetchone()
        with _tallies_lock:
            tally = _tallies.get(client)
            if tally is not None and tally.rate == rate and tally.slot == slot:
                tally.current, tally.previous = current, previous
            else:
                _tallies[client] = _Tally(rate, slot, current, previous)
            _tallies.move_to_end(client)
            while len(_tallies) > MAX_TALLIES:
                _tallies.popitem(last=False)
        return current, previous

    def wait(self) -> float | None:
        if isinstance(caches["default"], DatabaseCache):
            return max(1.0, math.ceil(self.seconds_to_wait))
        return super().wait()
