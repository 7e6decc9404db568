"""Backups and restores (`backup_register`, `restore_register`) of a populated register, compared
table by table: every table of the public schema, listed from the catalogue."""

from __future__ import annotations

import datetime
import hashlib
import os
import re
import shutil
import signal
import subprocess
import time
from collections.abc import Iterator
from io import StringIO
from pathlib import Path
from typing import Any

import pytest
from django.contrib.admin.models import CHANGE, LogEntry
from django.contrib.auth.models import Group, Permission
from django.contrib.contenttypes.models import ContentType
from django.contrib.sessions.backends.db import SessionStore
from django.core.cache import cache, caches
from django.core.management import CommandError, call_command
from django.db import connection
from django.test import Client
from django.utils import timezone
from rest_framework.authtoken.models import Token

from api import throttling
from registry import actions, duplicates, importing
from registry.backoffice.models import SavedFilter
from registry.importing import ImportOptions
from registry.models import (
    DigestSent,
    DuplicateCandidate,
    EvidenceMethod,
    ImportRun,
    Initiative,
    JobError,
    Kind,
    Merge,
    Partner,
    Partnership,
    Role,
    Service,
    SlugAlias,
    SocialValueEvidence,
    Subscription,
    SubscriptionDigest,
    Suggestion,
    SuggestionKind,
    VerificationOptOut,
    VerificationRound,
    Webhook,
    WebhookAttempt,
    WebhookDelivery,
    YearlyFigures,
)
from registry.operations import backups, tasks
from registry.operations.demo import seed_demo
from tests.committed import (
    fingerprint,
    fresh_copy,
    prepared_database,
    sessions,
    start_command,
    wait_until_gone,
)
from tests.conftest import LEIDEN, make
from tests.maintainers import administrator, maintainer
from tests.registry.import_helpers import GOOD_ROWS, csv_bytes


def populate() -> None:
    """A register with something in (nearly) every table: demo records with their history, users
    with roles, regions, groups and permissions, an API token, an import, a merge, a pair in the
    duplicates queue, a suggestion, an admin log entry, a session, cached values and a throttle count."""
    seed_demo(30, seed=5)
    admin = administrator("beheerder")
    maintainer("redacteur", Role.EDITOR, "PV28", municipalities=("GM0546",))
    group = Group.objects.create(name="Redactie")
    group.permissions.add(Permission.objects.get(codename="change_initiative"))
    admin.groups.add(group)
    admin.user_permissions.add(Permission.objects.get(codename="view_initiative"))
    Token.objects.create(user=admin)
    report = importing.commit(csv_bytes(GOOD_ROWS), ImportOptions(source="Lijst LSA", file_name="lijst.csv"),
                              acting_user=admin)
    assert report.committed, report.summary()
    ImportRun.objects.create(file_name="lijst.csv", content=csv_bytes(GOOD_ROWS), source="Lijst LSA",
                             report={"summary": report.summary()}, created_by=admin)
    linde = Initiative.objects.get(external_id="L-1")
    actions.merge(linde, make("Buurtkamer de Linde", LEIDEN), acting_user=admin)
    # (Not "Buurtkamer De Lindeboom": another name to the scored search, just below its threshold.)
    make("Stichting Buurtkamer De Linde (vrijwilligers)", LEIDEN)
    duplicates.find_all()
    Suggestion.objects.create(kind=SuggestionKind.CORRECTION, initiative=linde, proposed={"phone": "071 765 4321"},
                              message="Nieuw telefoonnummer")
    LogEntry.objects.create(user=admin, content_type=ContentType.objects.get_for_model(Initiative),
                            object_id=str(linde.pk), object_repr=linde.name, action_flag=CHANGE, change_message="[]")
    SavedFilter.objects.create(user=admin, list_name="registry.initiative", name="Te controleren",
                               query="freshness=stale")
    session = SessionStore()
    session["user"] = admin.pk
    session.create()
    cache.set("backup-test", "kept", 3600)
    caches["responses"].set("backup-test", "kept", 3600)
    throttling._tallies.clear()  # so that this process counts the request in PostgreSQL at once
    assert Client().get("/api/v1/kinds").status_code == 200  # the anonymous rate's count
    # The verification loop's and the background work's tables (registry.campaigns, registry.jobs).
    today = datetime.date.today()
    VerificationRound.objects.create(initiative=linde, opened_on=today, requests_sent=1, first_sent_on=today,
                                     province=linde.province, municipality=linde.municipality)
    VerificationOptOut.objects.create(initiative=Initiative.objects.exclude(pk=linde.pk).order_by("pk").first())
    DigestSent.objects.create(user=admin, day=today, rounds=1)
    job_id = tasks.find_duplicates.defer(timestamp=0)  # a job and its "deferred" event
    JobError.objects.create(job_id=job_id, task_name="find_duplicates", attempt=1, error="Kapot")
    with connection.cursor() as cursor:
        cursor.execute("INSERT INTO procrastinate_periodic_defers (task_name, defer_timestamp, job_id) "
                       "VALUES ('find_duplicates', 0, %s)", [job_id])
        cursor.execute("INSERT INTO procrastinate_workers DEFAULT VALUES")
    # Subscriptions and webhooks (registry.subscriptions, registry.webhooks), yearly figures and evidence
    # of social value (registry.figures; seed_demo made the figures).
    assert YearlyFigures.objects.exists()
    subscription = Subscription.objects.create(email="volger@example.org", province=linde.province,
                                               confirmed_at=timezone.now())
    subscription.kinds.set(Kind.objects.all()[:1])
    subscription.services.set(Service.objects.all()[:1])
    SubscriptionDigest.objects.create(subscription=subscription, period_start=today, changes=2)
    webhook = Webhook.objects.create(owner=admin, url="https://ontvanger.example/haak", secret="geheim")
    delivery = WebhookDelivery.objects.create(webhook=webhook, history_id=1, body="{}")
    WebhookAttempt.objects.create(delivery=delivery, webhook=webhook, status_code=500, error="Kapot")
    actions.save_evidence(SocialValueEvidence(initiative=linde, method=EvidenceMethod.OWN, year=today.year - 1,
                                              result="Veertig buren vonden werk."), acting_user=None)


def damage() -> None:
    """Deletions, changes and additions in the register, the vocabularies and the reference data, and
    a table and an extension that the backup does not have."""
    Partnership.objects.filter(pk__in=Partnership.objects.order_by("pk").values("pk")[:10]).delete()
    Partner.objects.filter(partnerships__isnull=True).delete()
    Initiative.objects.filter(pk__in=Initiative.objects.order_by("pk").values("pk")[:3]).delete()
    Initiative.objects.filter(pk__in=Initiative.objects.order_by("-pk").values("pk")[:1]).update(name="Veranderd")
    Kind.objects.filter(code="bewonersbedrijf").update(label_nl="Iets anders")
    make("Nieuw Na De Backup", LEIDEN)
    SlugAlias.objects.all().delete()
    cache.clear()
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM geo_postcode WHERE pc4 LIKE '99%%'")
        cursor.execute("CREATE TABLE after_the_backup (id integer)")
        cursor.execute("CREATE EXTENSION IF NOT EXISTS unaccent")


def extensions() -> list[str]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT extname FROM pg_extension ORDER BY extname")
        return [row[0] for row in cursor.fetchall()]


def back_up(target: Path) -> str:
    out = StringIO()
    call_command("backup_register", "--output", str(target), stdout=out)
    return out.getvalue().strip()


def restore(path: Path, *options: str) -> str:
    out = StringIO()
    call_command("restore_register", str(path), *options, stdout=out)
    return out.getvalue().strip()


@pytest.fixture(scope="module")
def populated(saved_test_database: str, django_db_blocker: Any, tmp_path_factory: pytest.TempPathFactory
              ) -> Iterator[tuple[str, Path]]:
    """Populated and backed up once for the module: a saved copy of the database, and the backup."""
    path = tmp_path_factory.mktemp("backup") / "register.dump"

    def prepare() -> Path:
        populate()
        back_up(path)
        return path

    with django_db_blocker.unblock(), prepared_database(saved_test_database, prepare) as prepared:
        yield prepared


@pytest.fixture
def backup(populated: tuple[str, Path], transactional_db: None, tmp_path: Path) -> Path:
    """The populated register (committed, on a fresh copy) and its backup, in a folder of the test's own."""
    template, original = populated
    fresh_copy(template)
    for source in (original, original.with_name(original.name + ".sha256")):
        shutil.copy2(source, tmp_path / source.name)
    return tmp_path / original.name


def test_a_restored_backup_holds_exactly_what_the_register_held(backup: Path, tmp_path: Path):
    backup.unlink()
    backup.with_name(backup.name + ".sha256").unlink()
    before = fingerprint()
    installed = extensions()
    # Something in every table, so that a table the restore loses or leaves half is noticed (a new
    # table needs a row in populate()).
    assert [table for table, (count, _digest) in before.items() if count == 0] == []
    assert len(before) >= 40
    assert Merge.objects.exists() and DuplicateCandidate.objects.exists()

    message = back_up(tmp_path)  # a folder: the backup gets its dated name in it
    path, = tmp_path.glob("register-*.dump")
    assert re.fullmatch(r"register-\d{8}T\d{6}Z\.dump", path.name)
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    assert message == (f"Backup written to {path} ({path.stat().st_size:,} bytes, SHA-256 {digest}; "
                       f"checksum in {path.name}.sha256).")
    assert (tmp_path / f"{path.name}.sha256").read_text() == f"{digest}  {path.name}\n"  # sha256sum's format
    assert sorted(item.name for item in tmp_path.iterdir()) == [path.name, f"{path.name}.sha256"]  # no temporaries
    assert fingerprint() == before

    damage()
    assert fingerprint() != before and "unaccent" in extensions()

    assert restore(path, "--yes").startswith(f"Restored {path} (made ")
    assert fingerprint() == before
    assert extensions() == installed
    assert cache.get("backup-test") == "kept"
    # The register works on the restored tables: a spatial query and a write with history.
    linde = Initiative.objects.near(LEIDEN, 100).get(external_id="L-1")
    actions.save_edit(linde, Initiative.objects.get(pk=linde.pk), reason="na de restore", acting_user=None)


def test_restore_asks_first_and_a_no_changes_nothing(backup: Path, monkeypatch):
    make("Na De Backup", LEIDEN)
    before = fingerprint()
    asked: list[str] = []
    monkeypatch.setattr("builtins.input", lambda prompt: asked.append(prompt) or "nee")

    with pytest.raises(CommandError) as cancelled:
        restore(backup)

    assert asked == ["Type 'yes' to restore it: "]
    assert str(cancelled.value) == "Restore cancelled: the database is unchanged."
    assert fingerprint() == before

    monkeypatch.setattr("builtins.input", lambda prompt: "yes")
    restore(backup)
    assert not Initiative.objects.filter(name="Na De Backup").exists()


def corrupt(backup: Path) -> None:
    content = bytearray(backup.read_bytes())
    content[len(content) // 2] ^= 0xFF
    backup.write_bytes(bytes(content))


def truncate_with_a_matching_checksum(backup: Path) -> None:
    """Cut the data, not the table of contents (which pg_restore --list reads): only the restore
    itself finds out, half-way."""
    backup.write_bytes(backup.read_bytes()[: backup.stat().st_size * 2 // 3])
    digest = hashlib.sha256(backup.read_bytes()).hexdigest()
    backup.with_name(backup.name + ".sha256").write_text(f"{digest}  {backup.name}\n")


@pytest.mark.parametrize(("spoil", "message"), [
    (corrupt, "{file}: the file does not match its checksum in register.dump.sha256 (damaged or incomplete); "
              "nothing was restored."),
    (lambda backup: backup.with_name("register.dump.sha256").unlink(),
     "{file}: no checksum file register.dump.sha256 beside it, so it cannot be shown to be complete; "
     "nothing was restored."),
    (lambda backup: backup.with_name("register.dump.sha256").write_text("nonsense\n"),
     "{file}: register.dump.sha256 does not hold a SHA-256 checksum; nothing was restored."),
    (lambda backup: backup.unlink(), "{file}: no such file."),
    (truncate_with_a_matching_checksum,
     "{file}: the restore failed and was rolled back, the database is unchanged: pg_restore could not read it: "
     "could not read from input file: end of file"),
])
def test_a_damaged_incomplete_or_missing_backup_is_refused_and_changes_nothing(backup: Path, spoil, message):
    make("Na De Backup", LEIDEN)
    before = fingerprint()
    spoil(backup)

    with pytest.raises(CommandError) as refused:
        restore(backup, "--yes")

    assert str(refused.value) == message.format(file=backup)
    assert fingerprint() == before


def test_a_file_that_is_not_a_pg_dump_archive_is_refused(committed_db: None, tmp_path: Path):
    make("Buurtkamer De Linde", LEIDEN)
    before = fingerprint()
    for name, content in [("plain.sql", b"DROP TABLE registry_initiative;\n"), ("empty.dump", b"")]:
        path = tmp_path / name
        path.write_bytes(content)
        path.with_name(name + ".sha256").write_text(f"{hashlib.sha256(content).hexdigest()}  {name}\n")

        with pytest.raises(CommandError) as refused:
            restore(path, "--yes")

        assert str(refused.value).startswith(f"{path}: not a backup made by pg_dump --format=custom (")
        assert str(refused.value).endswith("); nothing was restored.")
    assert fingerprint() == before


def test_a_restore_killed_half_way_leaves_the_database_unchanged(backup: Path):
    """The restore command is killed while its psql loads the backup: pg_restore goes on to the end of
    the script, but the mark of completeness never comes, so psql rolls everything back."""
    make("Na De Backup", LEIDEN)
    before = fingerprint()
    process = start_command("restore_register", str(backup), "--yes", application_name="backup-test-restore")
    deadline = time.monotonic() + 60
    # psql's session has written (dropped the tables) in its open transaction: the restore is under way.
    while not any(wrote for _state, wrote in sessions("backup-test-restore")):
        assert process.poll() is None, process.communicate()
        assert time.monotonic() < deadline, "the restore did not start within 60 s"
        time.sleep(0.01)
    os.kill(process.pid, signal.SIGKILL)  # only the command: its psql and pg_restore go on alone
    assert process.wait(timeout=30) == -signal.SIGKILL

    wait_until_gone("backup-test-restore")
    assert fingerprint() == before


def test_a_failed_backup_is_a_clear_error_and_leaves_no_file(committed_db: None, tmp_path: Path):
    target = tmp_path / "register.dump"
    connection.ensure_connection()  # this process stays connected; pg_dump connects as a role that does not exist
    connection.settings_dict["USER"], user = "no_such_role_here", connection.settings_dict["USER"]
    try:
        with pytest.raises(CommandError) as failed:
            back_up(target)
    finally:
        connection.settings_dict["USER"] = user
    assert re.fullmatch(rf"{re.escape(str(target))}: pg_dump of database “{connection.settings_dict['NAME']}” "
                        rf"failed, no backup was written: .*no_such_role_here.*", str(failed.value)), str(failed.value)
    assert list(tmp_path.iterdir()) == []


def test_the_tools_get_the_connection_in_their_environment_and_the_password_never_on_the_command_line(
        db: None, monkeypatch, tmp_path: Path):
    calls: list[tuple[list[str], dict[str, str]]] = []

    def run(arguments: list[str], env: dict[str, str], **options: Any) -> subprocess.CompletedProcess[str]:
        calls.append((arguments, env))
        return subprocess.CompletedProcess(arguments, 1, "", "pg_dump: error: stopped by the test")

    connection.ensure_connection()  # with the real settings; the tools get the changed ones
    for key, value in [("HOST", "db.example.org"), ("PORT", "6543"), ("USER", "register"), ("PASSWORD", "ge heim"),
                       ("NAME", "registry_prod")]:
        monkeypatch.setitem(connection.settings_dict, key, value)
    monkeypatch.setitem(connection.settings_dict, "OPTIONS", {**connection.settings_dict["OPTIONS"],
                                                              "sslmode": "verify-full"})
    monkeypatch.setattr(backups.subprocess, "run", run)

    with pytest.raises(CommandError, match="pg_dump of database “registry_prod” failed, no backup was written: "
                                           "stopped by the test"):
        back_up(tmp_path / "register.dump")

    (arguments, environment), = calls
    assert not any("ge heim" in argument or argument == "register" for argument in arguments)
    assert {key: environment[key] for key in ["PGHOST", "PGPORT", "PGUSER", "PGPASSWORD", "PGDATABASE",
                                              "PGSSLMODE"]} == {
        "PGHOST": "db.example.org", "PGPORT": "6543", "PGUSER": "register", "PGPASSWORD": "ge heim",
        "PGDATABASE": "registry_prod", "PGSSLMODE": "verify-full"}
    with connection.cursor() as cursor:
        cursor.execute("SHOW server_version_num")
        major = int(cursor.fetchone()[0]) // 10000
    debian = Path(f"/usr/lib/postgresql/{major}/bin/pg_dump")
    assert arguments[0] == (str(debian) if debian.exists() else shutil.which("pg_dump"))
    assert arguments[1:] == ["--format=custom", "--no-password", arguments[-1]]
    assert list(tmp_path.iterdir()) == []
