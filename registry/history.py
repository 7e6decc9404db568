"""The register's history: entries written for set-based changes, and when anything last changed."""

from __future__ import annotations

import datetime
import functools
from typing import Any

from django.contrib.gis.db import models
from django.db import connections, router

from registry.models import Initiative, Partner, Partnership


def write_history(cursor: Any, ids: list[int], reason: str) -> None:
    """History entries for records changed by a set-based UPDATE, copied from the rows in SQL."""
    if not ids:
        return
    history = Initiative.history.model
    columns = [field.column for field in Initiative._meta.concrete_fields
               if field.name != "search_vector"]
    names = ", ".join(f'"{column}"' for column in columns)
    cursor.execute(
        f"""
        INSERT INTO {history._meta.db_table}
               ({names}, history_date, history_change_reason, history_type, history_user_id)
        SELECT {names}, statement_timestamp(), %s, '~', NULL
          FROM {Initiative._meta.db_table} WHERE id = ANY(%s)
        """,
        [reason, ids],
    )


@functools.cache
def _last_change_sql() -> tuple[str, type[models.Model]]:
    # Built once: each `Model.history` access makes a new manager class (half a millisecond), and
    # the version is read on every anonymous request that the response caches answer.
    histories = [model.history.model for model in (Initiative, Partner, Partnership)]  # type: ignore[attr-defined]
    latest = " , ".join(f"(SELECT max(history_date) FROM {history._meta.db_table})" for history in histories)
    return f"SELECT GREATEST({latest})", histories[0]  # GREATEST skips NULLs in PostgreSQL


def last_change() -> datetime.datetime | None:
    """When anything in the register last changed (created, updated or deleted), from the history."""
    statement, history = _last_change_sql()
    # Read where the request reads its data (a replica, see config/replicas.py): a version from the
    # primary with data from a replica that lags behind would file old answers under a new key.
    with connections[router.db_for_read(history)].cursor() as cursor:
        cursor.execute(statement)
        return cursor.fetchone()[0]
