"""Django's PostGIS backend with a cheaper health check of a kept connection.

With CONN_HEALTH_CHECKS Django sends `SELECT 1` before the first query of every request, to find a
connection the server closed since the last one: a round trip of its own, a third of what an
anonymous API detail costs beyond its document. A connection the server closed (a restart, a
terminated backend, a standby that stopped) has something to read on its socket, the server's
last message or the end of the stream, while a working connection between requests has nothing
to read. So the check looks at the socket first, without waiting, and sends `SELECT 1` only when
there is something to read or psycopg already knows the connection is broken; a connection after
an error is checked in full, as before. A lost network (no word from the server at all) is found
by neither check until TCP gives up.
"""

from __future__ import annotations

import select

from django.contrib.gis.db.backends.postgis.base import DatabaseWrapper as PostGISDatabaseWrapper
from psycopg.pq import TransactionStatus


class DatabaseWrapper(PostGISDatabaseWrapper):
    health_check_done: bool  # Django's: reset at the start and the end of every request

    def close_if_health_check_failed(self) -> None:
        if (self.connection is not None and self.settings_dict["CONN_HEALTH_CHECKS"] and not self.health_check_done
                and self.quietly_idle()):
            self.health_check_done = True
            return
        super().close_if_health_check_failed()

    def quietly_idle(self) -> bool:
        """Whether the kept connection is open, outside a transaction, and has nothing to read."""
        connection = self.connection
        if connection is None or connection.closed or connection.broken:
            return False
        if connection.info.transaction_status != TransactionStatus.IDLE:
            return False
        poll = select.poll()
        poll.register(connection.fileno(), select.POLLIN | select.POLLPRI)
        return not poll.poll(0)
