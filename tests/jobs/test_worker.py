"""A real worker process on the test database: it runs what is deferred, keeps the error of every
failed attempt, retries a bounded number of times, and a failed job is retried from the admin. And
the web server and the worker start and stop together (config/setup/with-worker.sh)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.test import Client
from django.utils import timezone
from procrastinate.contrib.django.models import ProcrastinateJob

from registry.backoffice.tasks import check_import
from registry.models import ImportRun, ImportWork, JobError
from registry.operations.tasks import find_duplicates
from tests.committed import PROJECT_DIR, database_url, kill
from tests.jobs.worker import start_worker, wait_for, wait_for_job
from tests.maintainers import administrator


@pytest.fixture
def worker(committed_db: None, tmp_path: Path) -> Iterator[subprocess.Popen[bytes]]:
    process = start_worker(tmp_path / "worker.log", tmp_path / "mail")
    yield process
    if process.poll() is None:
        kill(process)


def test_the_worker_runs_a_deferred_job(worker):
    job_id = find_duplicates.defer(timestamp=int(time.time()))
    wait_for_job(job_id)


def test_a_failing_job_keeps_its_errors_its_retries_are_bounded_and_the_admin_retries_it(worker, tmp_path):
    run = ImportRun.objects.create(file_name="lijst.csv", content=b"naam\r\nX\r\n", source="Lijst",
                                   created_by=None, working=ImportWork.CHECKING)  # its uploader is gone
    job_id = check_import.defer(run_id=run.pk)
    wait_for_job(job_id, "failed")
    errors = list(JobError.objects.filter(job_id=job_id).order_by("attempt"))
    # LONG_RETRIES: the first attempt and three retries, then it stays failed.
    assert [error.attempt for error in errors] == [1, 2, 3, 4]
    assert all("its uploader no longer exists" in error.error and "Traceback" in error.traceback
               for error in errors)
    time.sleep(1)
    assert ProcrastinateJob.objects.get(pk=job_id).attempts == 4  # no fifth attempt by itself

    admin = administrator()
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(admin)
    listing = client.get("/admin/procrastinate/procrastinatejob/?status=failed").content.decode()
    assert "its uploader no longer exists" in listing
    assert "background job failed" in client.get("/admin/").content.decode()
    response = client.post("/admin/procrastinate/procrastinatejob/", {"action": "retry", "_selected_action": [job_id]})
    assert response.status_code == 302
    wait_for(lambda: JobError.objects.filter(job_id=job_id).count() == 5, what="the retried attempt")
    wait_for_job(job_id, "failed")
    page = client.get(f"/admin/procrastinate/procrastinatejob/{job_id}/change/").content.decode()
    assert page.count("its uploader no longer exists") >= 5


def test_the_web_server_and_the_worker_stop_together(committed_db, tmp_path):
    environment = {**os.environ, "DATABASE_URL": database_url(), "DEBUG": "true", "PYTHONUNBUFFERED": "1",
                   "PY": sys.executable}
    # The "web server" ends by itself after a while: the worker goes with it.
    started = time.monotonic()
    ended = subprocess.run(["bash", "config/setup/with-worker.sh", sys.executable, "-c",
                            "import time; time.sleep(4)"], cwd=PROJECT_DIR, env=environment,
                           capture_output=True, timeout=90)
    assert ended.returncode == 0, ended.stderr.decode()[-2000:]
    assert b"stopping the background-job worker too" in ended.stderr
    assert time.monotonic() - started < 60
    # SIGTERM to the pair: both end.
    pair = subprocess.Popen(["bash", "config/setup/with-worker.sh", sys.executable, "-c",
                             "import time; time.sleep(600)"], cwd=PROJECT_DIR, env=environment,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    # Both started (the script, its worker and its web server) and the worker working: then stop them.
    wait_for(lambda: len(subprocess.run(["pgrep", "-g", str(pair.pid)], capture_output=True).stdout.split()) >= 3,
             timeout=60, what="the pair's processes")
    wait_for(lambda: ProcrastinateJob.objects.filter(task_name="recover_stalled_jobs").exists(), timeout=60,
             what="the worker's first periodic job")
    os.kill(pair.pid, signal.SIGTERM)
    assert pair.wait(timeout=60) == 143
    time.sleep(0.5)
    leftovers = subprocess.run(["pgrep", "-g", str(pair.pid)], capture_output=True)
    assert leftovers.stdout == b"", "a process of the pair is still running"
    assert timezone.now()
