"""Background jobs: the parts of the queue that every audience's tasks share.

The queue is procrastinate on the register's own PostgreSQL database (no broker): jobs are rows of
`procrastinate_jobs`, a worker takes them with FOR UPDATE SKIP LOCKED and hears of new ones with
LISTEN/NOTIFY, and periodic tasks are deferred by the worker once per tick, whatever the number of
workers (a unique row per tick). Why procrastinate and not django-q2 or django-tasks: docs/jobs.md.

The tasks themselves live with the audience they serve, in each app's `tasks.py`, found when Django
starts: registry/operations/tasks.py (the verification loop, digests, the duplicate search, the
queue's own upkeep), registry/backoffice/tasks.py (imports from the admin), opendata/tasks.py (the
daily snapshot). They call the domain's functions; this module adds what procrastinate leaves out:

* every failed attempt keeps its error (JobError, shown in the admin beside the job);
* a job whose worker died (SIGKILL, a lost machine) is found by the worker's missing heartbeat and
  retried (`recover_stalled`, every minute), with its own error row saying so;
* a schedule's day: periodic tasks get their tick's time, and act for that day, not for "now"; a
  job that runs late, or again, does the same work.

Every job is idempotent: what it does is recorded in the same transaction as its effect (a round's
message, a digest, an import's commit), or is complete or absent (a snapshot), so a retry finds it
done. See docs/jobs.md.
"""

from __future__ import annotations

import datetime
import logging
import traceback
from collections.abc import Awaitable, Callable
from typing import Any

from asgiref.sync import sync_to_async
from django.conf import settings
from django.db import close_old_connections
from django.utils import timezone
from procrastinate import RetryStrategy

from registry.models import JobError

logger = logging.getLogger(__name__)

# Retry strategies: bounded, with growing waits. A job that still fails stays "failed" in the admin,
# where a maintainer can retry it.
# Waits of JOBS_RETRY_WAIT ** attempt seconds (4: 4 s, 16 s, 64 s, 256 s; tests set 0).
RETRIES = RetryStrategy(max_attempts=5, exponential_wait=settings.JOBS_RETRY_WAIT)
LONG_RETRIES = RetryStrategy(max_attempts=3, exponential_wait=settings.JOBS_RETRY_WAIT * 2)


def periodic(cron: str) -> Callable[[Any], Any]:
    """app.periodic, unless JOBS_SCHEDULES is off (a worker that runs what it is given and defers no
    schedule of its own: the simulated year in the tests drives the schedules' days itself)."""
    if not settings.JOBS_SCHEDULES:
        return lambda task: task
    from procrastinate.contrib.django import app

    return app.periodic(cron=cron)


def day_of(timestamp: int | float) -> datetime.date:
    """The day (in the site's time zone) of a periodic task's tick."""
    return timezone.localdate(datetime.datetime.fromtimestamp(timestamp, datetime.UTC))


def moment_of(timestamp: int | float) -> datetime.datetime:
    return datetime.datetime.fromtimestamp(timestamp, datetime.UTC)


def record_error(job_id: int, task_name: str, attempt: int, error: str, trace: str = "") -> JobError:
    return JobError.objects.create(job_id=job_id, task_name=task_name[:200], attempt=attempt, error=error,
                                   traceback=trace[-20000:])


def forget_errors_of_removed_jobs() -> int:
    """The errors of jobs that no longer exist (removed after JOBS_KEEP_DAYS) go too."""
    from procrastinate.contrib.django.models import ProcrastinateJob

    removed, _per_model = JobError.objects.exclude(job_id__in=ProcrastinateJob.objects.values("id")).delete()
    return removed


def keep_errors(call_next: Callable[[], Any], context: Any, worker: Any) -> Any:
    """Task middleware: a failed attempt's error is stored before procrastinate retries or fails it."""
    close_old_connections()
    try:
        return call_next()
    except Exception as error:
        job = context.job
        try:
            close_old_connections()
            record_error(job.id, job.task_name, job.attempts + 1, f"{type(error).__name__}: {error}",
                         traceback.format_exc())
        except Exception:  # the database itself may be what failed; the log still has it
            logger.exception("Could not store the error of job #%s", job.id)
        raise
    finally:
        close_old_connections()


async def keep_errors_async(call_next: Callable[[], Awaitable[Any]], context: Any, worker: Any) -> Any:
    """keep_errors for the tasks that are coroutines (procrastinate runs each kind of middleware
    around its own kind of task)."""
    try:
        return await call_next()
    except Exception as error:
        job = context.job
        try:
            await sync_to_async(record_error)(job.id, job.task_name, job.attempts + 1,
                                              f"{type(error).__name__}: {error}", traceback.format_exc())
        except Exception:
            logger.exception("Could not store the error of job #%s", job.id)
        raise


def on_app_ready(app: Any) -> None:
    """PROCRASTINATE_ON_APP_READY: every worker keeps the errors of its jobs."""
    app.worker_defaults = {**app.worker_defaults, "task_middleware": [keep_errors, keep_errors_async]}


def stalled_seconds() -> float:
    return float(settings.JOBS_STALLED_SECONDS)
