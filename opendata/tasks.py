"""The daily open-data snapshot as a background job (registry/jobs.py says how jobs work here).

Scheduled every hour, it writes the day's snapshot only when that day has none (so a worker that
was down at the first hour catches up at the next, and a retry or a second worker writes no second
snapshot), then removes snapshots older than OPENDATA_KEEP_DAYS. A snapshot is complete or absent:
opendata.snapshots writes it in a hidden folder and renames it into place, and a worker killed
half-way leaves only the hidden folder, which the next export clears.
"""

from __future__ import annotations

import datetime
from pathlib import Path

from django.conf import settings
from procrastinate.contrib.django import app

from opendata.snapshots import export_snapshot, prune_snapshots, snapshot_exists
from registry import jobs


def run_daily_snapshot(day: datetime.date, root: Path | None = None) -> str:
    root = root or Path(settings.OPENDATA_ROOT)
    if snapshot_exists(root, day):
        written = f"{day}: the snapshot exists already"
    else:
        written = f"snapshot written to {export_snapshot(root, day)}"
    removed = prune_snapshots(root, keep_days=settings.OPENDATA_KEEP_DAYS, today=day)
    return f"{written}; {len(removed)} older snapshots removed"


@jobs.periodic("0 * * * *")
@app.task(name="daily_snapshot", queueing_lock="daily_snapshot", lock="opendata-snapshot",
          retry=jobs.LONG_RETRIES)
def daily_snapshot(timestamp: int) -> str:
    return run_daily_snapshot(jobs.day_of(timestamp))
