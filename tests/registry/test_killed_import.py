"""An import killed (SIGKILL) half-way writes nothing: `import_initiatives --commit` runs as a real
process on the test database and is killed while it checks the rows, and while it saves them."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.contrib.auth import get_user_model

from registry.models import DuplicateCandidate, ImportRun, Initiative, Partner, Partnership, SlugAlias
from registry.operations.demo import seed_demo
from tests.benchmarks.imports import generate_rows, to_csv
from tests.committed import (
    fingerprint,
    fresh_copy,
    kill,
    prepared_database,
    sessions,
    start_command,
    stop,
    wait_for_output,
    wait_until_gone,
)
from tests.maintainers import administrator

ROWS = 3000
SESSION = "killed-import-test"


def counts() -> dict[str, int]:
    return {
        "initiatives": Initiative.objects.count(),
        "partners": Partner.objects.count(),
        "partnerships": Partnership.objects.count(),
        "history": (Initiative.history.count() + Partner.history.count() + Partnership.history.count()
                    + Initiative.history.model.services.model.objects.count()
                    + Initiative.history.model.funding_sources.model.objects.count()),
        "import runs": ImportRun.objects.count(),
        "slug aliases": SlugAlias.objects.count(),
        "duplicate candidates": DuplicateCandidate.objects.count(),
        "users": get_user_model().objects.count(),
    }


@pytest.fixture(scope="module")
def prepared(saved_test_database: str, django_db_blocker: Any, tmp_path_factory: pytest.TempPathFactory
             ) -> Iterator[tuple[str, Path]]:
    """A register with records and an import run, a maintainer, and a list of new initiatives: made
    once for the module (a saved copy of the database, and the file)."""
    path = tmp_path_factory.mktemp("import") / "lijst.csv"

    def prepare() -> Path:
        seed_demo(20, seed=3)
        admin = administrator("beheerder")
        ImportRun.objects.create(file_name="eerder.csv", content=b"naam;soort\r\n", source="Eerder", created_by=admin)
        path.write_bytes(to_csv(generate_rows(ROWS)))
        return path

    with django_db_blocker.unblock(), prepared_database(saved_test_database, prepare) as result:
        yield result


@pytest.fixture
def import_file(prepared: tuple[str, Path], transactional_db: None) -> Path:
    template, path = prepared
    fresh_copy(template)
    return path


@pytest.mark.parametrize(("phase", "written"), [
    ("checking", False),  # the rows are read and checked: nothing is written yet
    ("saving", True),  # the records and their links are written, the history and duplicates not yet
])
def test_an_import_killed_half_way_leaves_the_register_as_it_was(import_file: Path, phase: str, written: bool):
    before, counted = fingerprint(), counts()
    assert counted["initiatives"] == 20 and counted["import runs"] == 1

    process = start_command("import_initiatives", str(import_file), "--as", "beheerder", "--commit", "--progress",
                            application_name=SESSION)
    try:
        # The progress bar (on stderr) at half the rows of the phase.
        wait_for_output(process, rf"{phase} +\[[#.]+\] +\d+% {ROWS // 2:,}/{ROWS:,} rows".encode())
        stop(process)
        states: list[Any] = sessions(SESSION)
        # Its one session is in the import's transaction; when saving, it has written in it.
        assert len(states) == 1 and states[0][0] in ("active", "idle in transaction"), states
        assert states[0][1] is written, states
    finally:
        kill(process)

    wait_until_gone(SESSION)  # the server has rolled back its transaction
    assert counts() == counted
    assert fingerprint() == before


def test_the_same_import_left_alone_commits_every_row(import_file: Path):
    """The control: the file that is killed above is a valid list, which saves all its rows."""
    process = start_command("import_initiatives", str(import_file), "--as", "beheerder", "--commit",
                            application_name=SESSION)
    _stdout, stderr = process.communicate(timeout=600)
    assert process.returncode == 0, stderr.decode()
    assert Initiative.objects.count() == 20 + ROWS
