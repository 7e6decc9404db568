"""Every failed attempt of a job keeps its error, for tasks that are functions and for coroutines
(registry.jobs' task middleware; the worker's tests see it end to end)."""

from __future__ import annotations

import asyncio
from types import SimpleNamespace

import pytest

from registry import jobs
from registry.models import JobError

JOB = SimpleNamespace(job=SimpleNamespace(id=41, task_name="verification_day", attempts=2))


def failing() -> None:
    raise ValueError("the mail server said no")


async def failing_async() -> None:
    raise ValueError("the database went away")


def test_a_failed_attempt_keeps_its_error_and_fails_all_the_same(committed_db):
    with pytest.raises(ValueError):
        jobs.keep_errors(failing, JOB, None)
    with pytest.raises(ValueError):
        asyncio.run(jobs.keep_errors_async(failing_async, JOB, None))
    assert [(error.job_id, error.attempt, error.error) for error in JobError.objects.order_by("pk")] == [
        (41, 3, "ValueError: the mail server said no"), (41, 3, "ValueError: the database went away")]
    assert all("Traceback" in error.traceback for error in JobError.objects.all())


def test_a_successful_attempt_leaves_no_error(committed_db):
    assert jobs.keep_errors(lambda: "done", JOB, None) == "done"
    assert not JobError.objects.exists()


def test_the_day_of_a_tick_is_the_sites_day():
    # 23:30 UTC on 31 March is already 1 April in Amsterdam (summer time).
    assert str(jobs.day_of(1806535800)) == "2027-04-01"


def test_the_errors_of_removed_jobs_go_with_them(committed_db):
    jobs.record_error(999_999, "find_duplicates", 1, "gone")
    assert jobs.forget_errors_of_removed_jobs() == 1
    assert not JobError.objects.exists()
