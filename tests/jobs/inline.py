"""Deferred jobs run in the test's own process, for tests of the screens that defer them (the admin's
imports): the real task functions on the test's transaction, in the order they were deferred. The
worker itself is tested with a real process (tests/jobs/test_worker.py and the others)."""

from __future__ import annotations

from typing import Any

from django.db import connection
from procrastinate.contrib.django import app
from procrastinate.contrib.django.models import ProcrastinateJob


def run_deferred(*task_names: str) -> list[Any]:
    """Run the waiting jobs (of these tasks, or all) and mark them done; returns their results."""
    results = []
    waiting = ProcrastinateJob.objects.filter(status="todo").order_by("id")
    if task_names:
        waiting = waiting.filter(task_name__in=task_names)
    for job in waiting:
        results.append(app.tasks[job.task_name](**job.args))
        with connection.cursor() as cursor:
            cursor.execute("UPDATE procrastinate_jobs SET status = 'succeeded' WHERE id = %s", [job.id])
    return results
