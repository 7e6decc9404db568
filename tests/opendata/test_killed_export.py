"""An export killed (SIGKILL) half-way publishes nothing partial: `export_opendata` runs as a real
process on the test database and is killed while it writes the files; the next export clears what
it left behind."""

from __future__ import annotations

import fcntl
import json
import os
import time
from collections.abc import Iterator
from io import StringIO
from pathlib import Path
from typing import Any

import pytest
from django.core.management import CommandError, call_command

from opendata.snapshots import only_export, remove_leftovers, snapshots
from registry.operations.demo import seed_demo
from tests.committed import fresh_copy, kill, prepared_database, start_command, stop

PREVIOUS = "2026-11-22"


@pytest.fixture(scope="module")
def prepared(saved_test_database: str, django_db_blocker: Any) -> Iterator[tuple[str, None]]:
    with django_db_blocker.unblock(), prepared_database(saved_test_database, lambda: seed_demo(400, seed=2)) as result:
        yield result


@pytest.fixture
def root(prepared: tuple[str, None], transactional_db: None, tmp_path: Path) -> Path:
    """The demo register, committed, and a complete snapshot of it."""
    fresh_copy(prepared[0])
    root = tmp_path / "opendata"
    export(root, PREVIOUS)
    return root


def export(root: Path, day: str) -> str:
    out = StringIO()
    call_command("export_opendata", "--root", str(root), "--date", day, stdout=out)
    return out.getvalue().strip()


def contents(folder: Path) -> dict[str, bytes]:
    return {path.name: path.read_bytes() for path in sorted(folder.iterdir())}


def wait_for_work_folder(root: Path, day: str, file: str, timeout: float = 120.0) -> Path:
    """The hidden folder of a running export of `day`, once `file` is in it (the export is writing)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for folder in root.glob(f".{day}-*"):
            if (folder / file).exists():
                return folder
        time.sleep(0.002)
    raise AssertionError(f"no export of {day} wrote {file} within {timeout:.0f} s: {os.listdir(root)}")


@pytest.mark.parametrize("day", [PREVIOUS, "2026-11-23"], ids=["replacing the same day", "a new day"])
def test_an_export_killed_half_way_leaves_only_complete_snapshots(root: Path, day: str):
    before = snapshots(root)
    previous = contents(root / PREVIOUS)
    assert [snapshot["date"] for snapshot in before] == [PREVIOUS] and before[0]["initiatives"] > 200

    process = start_command("export_opendata", "--root", str(root), "--date", day, application_name="killed-export")
    try:
        work = wait_for_work_folder(root, day, "partnerships.csv")
        stop(process)
        # Caught half-way: its folder is still hidden, and not every file is in it.
        assert work.is_dir() and not (work / "manifest.json").exists(), os.listdir(work)
    finally:
        kill(process)

    assert snapshots(root) == before
    assert contents(root / PREVIOUS) == previous
    assert sorted(os.listdir(root)) == sorted([PREVIOUS, work.name])  # what the killed export left, hidden

    assert export(root, day) == f"Snapshot written to {root / day}"
    assert sorted(os.listdir(root)) == sorted({PREVIOUS, day})  # the leftover is gone
    assert [snapshot["date"] for snapshot in snapshots(root)] == sorted({PREVIOUS, day}, reverse=True)


def test_a_second_export_into_the_same_folder_at_the_same_time_is_refused(tmp_path: Path):
    tmp_path.joinpath(".2026-11-23-a1b2c3d4").mkdir()  # the running export's folder

    with only_export(tmp_path), pytest.raises(CommandError) as refused:
        export(tmp_path, "2026-11-23")

    assert str(refused.value) == f"{tmp_path}: another export is writing into this folder."
    assert os.listdir(tmp_path) == [".2026-11-23-a1b2c3d4"]  # not cleared: it was not a leftover
    descriptor = os.open(tmp_path, os.O_RDONLY)
    try:
        fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)  # free again once the export has ended
    finally:
        os.close(descriptor)


def snapshot_folder(folder: Path, day: str) -> None:
    folder.mkdir()
    (folder / "manifest.json").write_text(json.dumps({"date": day}))


def test_a_snapshot_moved_aside_for_a_replacement_that_never_came_is_put_back(tmp_path: Path):
    # Killed between moving the old snapshot of the 22nd aside and renaming the new one into place;
    # and an earlier replacement of the 21st that was killed while the old one was being deleted.
    snapshot_folder(tmp_path / ".2026-11-22-replaced-1764550000000000000", "2026-11-22")
    snapshot_folder(tmp_path / ".2026-11-22-k3j4h5g6", "2026-11-22")
    snapshot_folder(tmp_path / "2026-11-21", "2026-11-21")
    (tmp_path / ".2026-11-21-replaced-1764460000000000000").mkdir()

    remove_leftovers(tmp_path)

    assert sorted(os.listdir(tmp_path)) == ["2026-11-21", "2026-11-22"]
    assert [snapshot["date"] for snapshot in snapshots(tmp_path)] == ["2026-11-22", "2026-11-21"]
