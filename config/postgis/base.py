"""Django's PostGIS backend with a cheaper health check of a connection in steady use.

With CONN_HEALTH_CHECKS Django sends `SELECT 1` before the first query of every request, to find a
connection that died since the last one: a round trip of its own, a third of what an anonymous
API detail costs beyond its document. Like HikariCP's alive-bypass window, a connection that a
request used without error less than USED_WITHIN seconds ago is trusted without it, provided its
socket has nothing to read: a server that closed it (a restart, a terminated backend, a standby
that stopped) leaves its last message or the end of the stream there, while a working connection
between requests has nothing waiting. A connection idle for longer, in a transaction, after an
error, or with something to read is checked in full, as Django does. What the window lets
through is a peer that vanished without a word within it (a host that lost power, a moved
address): the request's first query then fails, as it would had the peer vanished a moment later.
"""

from __future__ import annotations

import select
import time

from django.contrib.gis.db.backends.postgis.base import DatabaseWrapper as PostGISDatabaseWrapper
from psycopg.pq import TransactionStatus

USED_WITHIN = 0.5


class DatabaseWrapper(PostGISDatabaseWrapper):
    health_check_done: bool  # Django's: reset at the start and the end of every request
    used_at: float | None = None  # when a request last ended that used the connection without error

    def close_if_unusable_or_obsolete(self) -> None:
        # Called at the start and the end of each request; the health check was done (so the
        # connection used) only during one, and so is seen only at its end.
        if self.connection is not None and self.health_check_done and not self.errors_occurred:
            self.used_at = time.monotonic()
        super().close_if_unusable_or_obsolete()

    def close_if_health_check_failed(self) -> None:
        if (self.connection is not None and self.settings_dict["CONN_HEALTH_CHECKS"] and not self.health_check_done
                and not self.settings_dict["OPTIONS"].get("pool") and self.in_steady_use()):  # a pool checks its own
            self.health_check_done = True
            return
        super().close_if_health_check_failed()

    def in_steady_use(self) -> bool:
        """Whether the kept connection was used lately, is open, outside a transaction, and has
        nothing to read."""
        connection = self.connection
        if self.used_at is None or time.monotonic() - self.used_at >= USED_WITHIN:
            return False
        if connection is None or connection.closed or connection.broken:
            return False
        if connection.info.transaction_status != TransactionStatus.IDLE:
            return False
        poll = select.poll()
        poll.register(connection.fileno(), select.POLLIN | select.POLLPRI)
        return not poll.poll(0)

    def connect(self) -> None:
        self.used_at = None
        super().connect()
