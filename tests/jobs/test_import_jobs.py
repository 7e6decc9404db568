"""Imports from the admin run as background jobs on a real worker: the upload returns at once, the
page shows how far the check and the commit got, and the commit happens once."""

from __future__ import annotations

import time
from pathlib import Path

from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from registry.models import ImportRun, ImportWork, Initiative
from tests.benchmarks.imports import generate_rows, to_csv
from tests.committed import kill
from tests.jobs.worker import start_worker, wait_for
from tests.maintainers import administrator

ROWS = 2500


def test_an_admin_import_runs_on_the_worker_with_its_progress_shown(committed_db, tmp_path: Path):
    content = to_csv(generate_rows(ROWS))
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(administrator())
    started = time.monotonic()
    response = client.post("/admin/registry/importrun/add/", {
        "file": SimpleUploadedFile("lijst.csv", content, content_type="text/csv"), "source": "Lijst",
        "publication_state": "concept", "encoding": "auto", "mapping": ""})
    assert response.status_code == 302
    assert time.monotonic() - started < 5  # the rows are not read in the request
    run = ImportRun.objects.get()
    assert (run.working, run.report) == (ImportWork.CHECKING, {})
    page = client.get(response["Location"]).content.decode()
    assert "Being checked" in page and "data-progress-url" in page
    assert client.get(f"/admin/registry/importrun/{run.pk}/progress.json").json() == {
        "working": True, "text": "Being checked", "percent": 0}

    worker = start_worker(tmp_path / "worker.log", tmp_path / "mail")
    try:
        progress: list[dict] = []

        def done() -> bool:
            run.refresh_from_db()
            if run.progress:
                progress.append(run.progress)
            return not run.working

        wait_for(done, timeout=300, every=0.02, what="the check")
        assert run.report["counts"]["created"] == ROWS
        assert any(0 < step["done"] < step["total"] for step in progress), progress
        assert "Commit the import" in client.get(response["Location"]).content.decode()

        assert client.post(f"/admin/registry/importrun/{run.pk}/commit/").status_code == 302
        assert client.post(f"/admin/registry/importrun/{run.pk}/commit/").status_code == 302  # refused: under way
        progress.clear()
        wait_for(done, timeout=300, every=0.02, what="the commit")
    finally:
        kill(worker)
    assert run.committed_at is not None and run.report["committed"] is True
    assert Initiative.objects.filter(source="Lijst").count() == ROWS
    assert any(step["phase"] == "saving" for step in progress), progress
