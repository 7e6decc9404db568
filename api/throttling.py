"""The anonymous rate (API_ANON_RATE), counted by PostgreSQL in one statement per request.

DRF's AnonRateThrottle keeps each client's recent request times as a list in the shared cache,
read, changed and written back on every request: with the database cache that is six statements
and a commit, most of the time an anonymous read of a prepared document takes. Here each client
has a count per window of the rate's duration, raised by one upsert that also returns the count
of the window before; the limit applies to the sliding estimate (the previous window's count
weighted by how much of it still lies within the duration, plus this window's), which behaves as
DRF's sliding list does without keeping it. With Redis as the cache (REDIS_URL), DRF's own
throttle runs there, where it costs two round trips.
"""

from __future__ import annotations

import math
import time
from typing import Any

from django.core.cache import caches
from django.core.cache.backends.db import DatabaseCache
from django.db import DEFAULT_DB_ALIAS, connections
from rest_framework.request import Request
from rest_framework.throttling import AnonRateThrottle

# One statement: clear a few counts of windows long past (so the table stays small without a job),
# raise this client's count of this window, and read its count of the window before.
COUNT = """
WITH gone AS (
    DELETE FROM api_throttle
     WHERE (client, slot) IN (SELECT client, slot FROM api_throttle WHERE slot < %(slot)s - 1 LIMIT 10)
), counted AS (
    INSERT INTO api_throttle (client, slot, hits) VALUES (%(client)s, %(slot)s, 1)
    ON CONFLICT (client, slot) DO UPDATE SET hits = api_throttle.hits + 1
    RETURNING hits
)
SELECT (SELECT hits FROM counted),
       coalesce((SELECT hits FROM api_throttle WHERE client = %(client)s AND slot = %(slot)s - 1), 0)
"""


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
        slot, into = divmod(now, self.duration)
        # The counts live on the primary, as the cache does (config/replicas.py), whatever the
        # request reads from; raw SQL leaves the router's view of the request's writes alone.
        with connections[DEFAULT_DB_ALIAS].cursor() as cursor:
            cursor.execute(COUNT, {"client": self.key, "slot": int(slot)})
            current, previous = cursor.fetchone()
        weight = 1 - into / self.duration
        if previous * weight + current <= self.num_requests:
            return True
        # Until the estimate falls to the limit: at once for the previous window's share, at the
        # end of this window at the latest.
        excess = previous * weight + current - self.num_requests
        decay = previous / self.duration if previous else 0.0
        self.seconds_to_wait = min(self.duration - into, excess / decay if decay else self.duration - into)
        return False

    def wait(self) -> float | None:
        if isinstance(caches["default"], DatabaseCache):
            return max(1.0, math.ceil(self.seconds_to_wait))
        return super().wait()
