"""Imports from the admin as background jobs (registry/jobs.py says how jobs work here): the web request
stores the file and returns at once, a worker checks or commits it, and the admin shows how far it got.
So a list of any size the upload limit lets in is imported, without the request's time limit.

Both jobs are idempotent. The check writes only the run's report. The commit saves the records and
marks the run committed in one transaction (registry.importing.commit, under the run's lock): a
worker killed half-way has saved nothing and the retry commits it; a retry after the commit finds
the run committed and does nothing.
"""

from __future__ import annotations

import json
import logging
from typing import Any

import psycopg
from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import connection, transaction
from django.utils import timezone
from procrastinate.contrib.django import app
from psycopg.conninfo import make_conninfo

from registry import importing, jobs
from registry.importing import ImportOptions
from registry.models import ImportRun, ImportWork

logger = logging.getLogger(__name__)
LOCK_SPACE = 16_001  # pg_advisory_xact_lock(LOCK_SPACE, run id): one job at work on a run


class ProgressWriter:
    """Writes a run's progress over a connection of its own, so that the admin sees it while the
    commit's transaction is still open (and would see nothing of it before the commit)."""

    def __init__(self, run_id: int) -> None:
        self.run_id = run_id
        self._connection: Any = None

    def _connect(self) -> Any:
        database = settings.DATABASES["default"]
        params = {"dbname": database["NAME"], "user": database.get("USER") or None,
                  "password": database.get("PASSWORD") or None, "host": database.get("HOST") or None,
                  "port": database.get("PORT") or None, "application_name": "import-progress"}
        return psycopg.connect(make_conninfo(**{key: str(value) for key, value in params.items() if value}),
                               autocommit=True)

    def __call__(self, phase: str, done: int, total: int) -> None:
        try:
            if self._connection is None:
                self._connection = self._connect()
            self._connection.execute(
                f"UPDATE {ImportRun._meta.db_table} SET progress = %s::jsonb WHERE id = %s",
                [json.dumps({"phase": phase, "done": done, "total": total}), self.run_id])
        except psycopg.Error:  # progress is a courtesy; the import goes on without it
            logger.warning("Import #%s: progress not written", self.run_id, exc_info=True)

    def close(self) -> None:
        if self._connection is not None:
            self._connection.close()


def _run(run_id: int, work: ImportWork) -> ImportRun | None:
    """The run, if this work is still to do, with this job as the only one at work on it: an advisory
    lock for the transaction, not the row's lock, which would hold up the progress written beside it."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(%s, %s)", [LOCK_SPACE, run_id])
    return ImportRun.objects.filter(pk=run_id, working=work).first()


@app.task(name="check_import", retry=jobs.LONG_RETRIES)
def check_import(run_id: int) -> str:
    progress = ProgressWriter(run_id)
    try:
        with transaction.atomic():
            run = _run(run_id, ImportWork.CHECKING)
            if run is None:
                return f"import #{run_id}: nothing to check"
            options = ImportOptions.from_stored(run.source, run.file_name, run.options)
            user = run.created_by
            if user is None:
                raise RuntimeError(f"import #{run_id}: its uploader no longer exists")
            report = importing.check(bytes(run.content), options, acting_user=user, progress=progress)
            run.report, run.working, run.progress = report.to_dict(), "", {}
            run.save(update_fields=["report", "working", "progress"])
            return f"import #{run_id} checked: {report.summary()}"
    finally:
        progress.close()


@app.task(name="commit_import", retry=jobs.LONG_RETRIES)
def commit_import(run_id: int, user_id: int) -> str:
    progress = ProgressWriter(run_id)
    try:
        with transaction.atomic():
            run = _run(run_id, ImportWork.COMMITTING)
            if run is None or run.committed_at is not None:
                return f"import #{run_id}: nothing to commit"
            options = ImportOptions.from_stored(run.source, run.file_name, run.options)
            user = get_user_model().objects.get(pk=user_id)
            report = importing.commit(bytes(run.content), options, acting_user=user, progress=progress)
            run.report, run.working, run.progress = report.to_dict(), "", {}
            if report.committed:
                run.committed_at = timezone.now()
            run.save(update_fields=["report", "working", "progress", "committed_at"])
            return f"import #{run_id}: {report.summary()}"
    finally:
        progress.close()
