"""A real background-job worker (`manage.py procrastinate worker`) on the test database, for the tests
that need one; its e-mail goes to files (the file backend), read back as the outbox."""

from __future__ import annotations

import email
import email.policy
import os
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from django.db import connection
from procrastinate.contrib.django.models import ProcrastinateJob

from tests.committed import PROJECT_DIR, database_url

SEPARATOR = "-" * 79


def start_worker(log: Path, mail: Path, *, application_name: str = "jobs-worker", **settings: str
                 ) -> subprocess.Popen[bytes]:
    """A worker in its own process group (to kill it with its children), quick to notice a dead
    worker and to retry; its log in `log`, its e-mail in files under `mail`."""
    environment = {
        **os.environ, "DATABASE_URL": database_url(), "PGAPPNAME": application_name, "PYTHONUNBUFFERED": "1",
        "DEBUG": "true", "EMAIL_BACKEND": "file", "EMAIL_FILE_PATH": str(mail),
        "OPENDATA_ROOT": str(mail.parent / "opendata"),  # the periodic snapshot, if its hour comes
        "JOBS_HEARTBEAT_SECONDS": "0.5", "JOBS_STALLED_SECONDS": "2", "JOBS_RECOVERY_CRON": "* * * * * *",
        "JOBS_RETRY_WAIT": "0", **settings}
    with log.open("ab") as output:
        return subprocess.Popen([sys.executable, "manage.py", "procrastinate", "worker"], cwd=PROJECT_DIR,
                                env=environment, stdout=output, stderr=subprocess.STDOUT, start_new_session=True)


def wait_for(condition: Callable[[], object], timeout: float = 60.0, every: float = 0.05,
             what: str | Callable[[], str] = "") -> object:
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"not within {timeout:.0f} s: {what() if callable(what) else what or condition}")
        time.sleep(every)


def job_status(job_id: int) -> str:
    connection.close_if_unusable_or_obsolete()
    return str(ProcrastinateJob.objects.get(pk=job_id).status)


def wait_for_job(job_id: int, status: str = "succeeded", timeout: float = 120.0) -> None:
    seen: list[str] = []

    def reached() -> bool:
        seen.append(job_status(job_id))
        return seen[-1] == status

    def debug() -> str:
        with connection.cursor() as cursor:
            cursor.execute("SELECT status FROM procrastinate_jobs WHERE id = %s", [job_id])
            raw = cursor.fetchone()
            cursor.execute("SHOW transaction_isolation")
            isolation = cursor.fetchone()
        return (f"job #{job_id} {status} (seen: {sorted(set(seen))}; raw {raw}, {isolation}, "
                f"atomic {connection.in_atomic_block}, tx {connection.connection.info.transaction_status})")

    wait_for(reached, timeout, what=debug)


def finished(task_name: str) -> bool:
    """No job of the task waits or runs, and one succeeded (a killed one may have been retried, or
    ended because its schedule's next job does its work)."""
    connection.close_if_unusable_or_obsolete()
    jobs = ProcrastinateJob.objects.filter(task_name=task_name)
    return not jobs.filter(status__in=["todo", "doing"]).exists() and jobs.filter(status="succeeded").exists()


def idle() -> bool:
    """No job waiting or running (periodic upkeep aside)."""
    return not ProcrastinateJob.objects.filter(status__in=["todo", "doing"]).exclude(
        task_name__in=["recover_stalled_jobs", "remove_old_jobs", "daily_snapshot", "find_duplicates",
                       "deliver_webhooks", "subscription_digests"]).exists()


@dataclass(frozen=True)
class Sent:
    to: str
    subject: str
    message_id: str
    body: str


def outbox(mail: Path) -> list[Sent]:
    """Every message the file backend wrote, in order."""
    sent = []
    for path in sorted(mail.glob("*.log")):
        for chunk in path.read_text(encoding="utf-8").split(SEPARATOR):
            if not chunk.strip():
                continue
            message = email.message_from_string(chunk.strip("\n"), policy=email.policy.default)
            body = message.get_body(("plain",))
            sent.append(Sent(str(message["To"]), str(message["Subject"]), str(message["Message-ID"]),
                             body.get_content() if body is not None else ""))
    return sent
