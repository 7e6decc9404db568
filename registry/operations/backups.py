"""Backups of the whole database and restoring one, all or nothing (`manage.py backup_register`,
`manage.py restore_register`).

A backup is pg_dump's custom format (compressed, read by pg_restore) with a checksum file beside it
in `sha256sum` format, so `sha256sum -c register-….dump.sha256` checks it by hand too:

    var/backups/register-20261122T031500Z.dump
    var/backups/register-20261122T031500Z.dump.sha256

The dump is written under a hidden temporary name in the same folder and renamed into place only
when pg_dump succeeded; the checksum file comes last, so a dump without one is incomplete or not
ours, and restore refuses it.

A restore replaces everything in the database with the backup's content in one transaction (see
`restore`): when anything fails, or the process is killed, the database is exactly as it was.

The client programs come from the server's own major version (`/usr/lib/postgresql/<major>/bin` on
Debian, else PATH): pg_restore cannot read archives of a newer pg_dump, and pg_dump refuses a
newer server. The connection is the default database's (`DATABASE_URL` or the project's own
cluster), passed in libpq's environment variables so that the password is never on a command line.
"""

from __future__ import annotations

import contextlib
import datetime
import hashlib
import os
import re
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.db import DatabaseError, connections

CHECKSUM_SUFFIX = ".sha256"
# The register's own table: an archive without it is a backup of some other database.
REGISTER_TABLE = "registry_initiative"
# libpq's environment variables for the connection options Django passes on to psycopg.
LIBPQ_OPTIONS = {
    "sslmode": "PGSSLMODE", "sslrootcert": "PGSSLROOTCERT", "sslcert": "PGSSLCERT", "sslkey": "PGSSLKEY",
    "sslcrl": "PGSSLCRL", "passfile": "PGPASSFILE", "service": "PGSERVICE", "options": "PGOPTIONS",
    "connect_timeout": "PGCONNECT_TIMEOUT", "target_session_attrs": "PGTARGETSESSIONATTRS",
    "application_name": "PGAPPNAME",
}


class BackupError(Exception):
    """A backup or restore that could not be made; the message names the file and what is wrong."""


@dataclass(frozen=True)
class Backup:
    path: Path
    size: int
    sha256: str

    @property
    def checksum_path(self) -> Path:
        return checksum_path(self.path)


@dataclass(frozen=True)
class Archive:
    """A verified backup file and what its table of contents says."""

    path: Path
    created: str  # "2026-11-22 03:15:00 UTC", as pg_dump wrote it
    database: str
    extensions: list[str]


def checksum_path(path: Path) -> Path:
    return path.with_name(path.name + CHECKSUM_SUFFIX)


def default_backup_path(now: datetime.datetime | None = None) -> Path:
    now = now or datetime.datetime.now(datetime.UTC)
    return Path(settings.BACKUP_ROOT) / f"register-{now:%Y%m%dT%H%M%SZ}.dump"


def database_name() -> str:
    return str(connections["default"].settings_dict["NAME"])


def client_environment() -> dict[str, str]:
    """The environment for pg_dump, pg_restore and psql: the default database's connection."""
    settings_dict = connections["default"].settings_dict
    environment = dict(os.environ)
    for key, variable in [("HOST", "PGHOST"), ("PORT", "PGPORT"), ("USER", "PGUSER"), ("NAME", "PGDATABASE"),
                          ("PASSWORD", "PGPASSWORD")]:
        if settings_dict.get(key):
            environment[variable] = str(settings_dict[key])
    for option, variable in LIBPQ_OPTIONS.items():
        if settings_dict.get("OPTIONS", {}).get(option) not in (None, ""):
            environment[variable] = str(settings_dict["OPTIONS"][option])
    return environment


def client_program(name: str) -> str:
    """pg_dump, pg_restore or psql of the server's major version, where Debian installs it, else from PATH."""
    try:
        with connections["default"].cursor() as cursor:
            cursor.execute("SHOW server_version_num")
            major = int(cursor.fetchone()[0]) // 10000
    except DatabaseError as error:
        message = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
        raise BackupError(f"Database “{database_name()}” cannot be reached: {message}") from None
    versioned = Path(f"/usr/lib/postgresql/{major}/bin/{name}")
    if versioned.is_file() and os.access(versioned, os.X_OK):
        return str(versioned)
    found = shutil.which(name)
    if found is None:
        raise BackupError(f"{name} is not installed: it comes with the PostgreSQL {major} client tools.")
    return found


def first_error(stderr: str) -> str:
    """The line of a client program's output that says what went wrong."""
    lines = [line.strip() for line in stderr.splitlines() if line.strip()]
    chosen = next((line for line in lines if re.search(r"error:|ERROR:|FATAL:", line)), lines[-1] if lines else "")
    # Without the program's name and the script's line number ("psql:<stdin>:5960: ERROR:  ...").
    return re.sub(r"^(pg_dump|pg_restore|psql)(:[^:]*:\d+)?: (error: )?", "", chosen) or "no message"


def file_sha256(path: Path) -> str:
    with path.open("rb") as stream:
        return hashlib.file_digest(stream, "sha256").hexdigest()


def fsync_folder(folder: Path) -> None:
    descriptor = os.open(folder, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


# -- backup ----------------------------------------------------------------------------------------


def backup(path: Path | None = None) -> Backup:
    """Dump the default database into `path` (default: `BACKUP_ROOT/register-<UTC time>.dump`) and
    write its checksum file beside it."""
    path = path or default_backup_path()
    if path.is_dir():
        path = path / default_backup_path().name
    pg_dump = client_program("pg_dump")
    # The folder holds the register's personal data (maintainers' accounts): only for its owner.
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    # Temporary names in the target folder (so the rename is atomic), hidden, and unreadable for others
    # (mkstemp makes them 0600).
    descriptor, dump_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".partial", dir=path.parent)
    os.close(descriptor)
    descriptor, sum_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".sha256.partial", dir=path.parent)
    os.close(descriptor)
    temporary, temporary_sum = Path(dump_name), Path(sum_name)
    try:
        result = subprocess.run([pg_dump, "--format=custom", "--no-password", f"--file={temporary}"],
                                env=client_environment(), capture_output=True, text=True)
        if result.returncode != 0:
            raise BackupError(f"{path}: pg_dump of database “{database_name()}” failed, no backup was written: "
                              f"{first_error(result.stderr)}")
        with temporary.open("rb") as stream:
            os.fsync(stream.fileno())
        digest = file_sha256(temporary)
        with temporary_sum.open("w", encoding="ascii") as stream:
            stream.write(f"{digest}  {path.name}\n")
            stream.flush()
            os.fsync(stream.fileno())
        os.replace(temporary, path)
        os.replace(temporary_sum, checksum_path(path))
        fsync_folder(path.parent)
    finally:
        temporary.unlink(missing_ok=True)
        temporary_sum.unlink(missing_ok=True)
    return Backup(path=path, size=path.stat().st_size, sha256=digest)


# -- restore ---------------------------------------------------------------------------------------


def verify(path: Path) -> Archive:
    """The archive at `path` when it is complete and a backup of the register; BackupError otherwise.
    Changes nothing in the database."""
    if not path.exists():
        raise BackupError(f"{path}: no such file.")
    if not path.is_file():
        raise BackupError(f"{path}: a directory, not a backup file.")
    sums = checksum_path(path)
    if not sums.is_file():
        raise BackupError(f"{path}: no checksum file {sums.name} beside it, so it cannot be shown to be complete; "
                          f"nothing was restored.")
    expected = re.match(r"\s*([0-9a-fA-F]{64})\s", sums.read_text(encoding="ascii", errors="replace") + "\n")
    if expected is None:
        raise BackupError(f"{path}: {sums.name} does not hold a SHA-256 checksum; nothing was restored.")
    if file_sha256(path) != expected.group(1).lower():
        raise BackupError(f"{path}: the file does not match its checksum in {sums.name} (damaged or incomplete); "
                          f"nothing was restored.")

    result = subprocess.run([client_program("pg_restore"), "--list", str(path)], capture_output=True, text=True)
    if result.returncode != 0:
        raise BackupError(f"{path}: not a backup made by pg_dump --format=custom "
                          f"({first_error(result.stderr)}); nothing was restored.")
    contents = result.stdout
    if not re.search(rf"^\d+; \d+ \d+ TABLE public {REGISTER_TABLE} ", contents, re.MULTILINE):
        raise BackupError(f"{path}: a PostgreSQL backup, but not of the register (it has no table {REGISTER_TABLE}); "
                          f"nothing was restored.")
    created = re.search(r"^; Archive created at (.+)$", contents, re.MULTILINE)
    database = re.search(r"^;\s+dbname: (.+)$", contents, re.MULTILINE)
    return Archive(path=path, created=created.group(1).strip() if created else "?",
                   database=database.group(1).strip() if database else "?",
                   extensions=re.findall(r"^\d+; \d+ \d+ EXTENSION - (\S+)", contents, re.MULTILINE))


def quote_literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def clearing_sql(keep_extensions: list[str]) -> str:
    """SQL that removes what the backup will create again, run in the restore's transaction.

    What is not an extension's goes (schemas, tables, views, sequences, functions, types, text search
    configurations, large objects), and so do extensions that the backup does not have. The extensions
    it does have stay, with their objects and the OIDs of their types: Django caches the OID of PostGIS's geometry type
    per process, and a recreated extension would break every running server process. The rows that
    pg_dump saves of an extension's configuration tables (e.g. spatial_ref_sys) are deleted, since
    the backup brings its own. Other kinds of objects (operators, casts, ...) are not created by the
    project's migrations; should a backup hold one that exists already, the restore fails and is
    rolled back."""
    keep = ", ".join(quote_literal(name) for name in keep_extensions)
    return f"""
DO $clear$
DECLARE
    item record;
BEGIN
    FOR item IN
        SELECT n.nspname FROM pg_catalog.pg_namespace n
        WHERE n.nspname NOT IN ('public', 'information_schema') AND n.nspname NOT LIKE 'pg\\_%'
          AND NOT EXISTS (SELECT FROM pg_catalog.pg_depend d WHERE d.classid = 'pg_catalog.pg_namespace'::regclass
                          AND d.objid = n.oid AND d.deptype = 'e')
          AND NOT EXISTS (SELECT FROM pg_catalog.pg_extension e WHERE e.extnamespace = n.oid)
    LOOP
        EXECUTE pg_catalog.format('DROP SCHEMA %I CASCADE', item.nspname);
    END LOOP;
    -- Names first, then the drops: a drop cascades to other items of the list (a table's sequences).
    FOR item IN
        SELECT pg_catalog.format('%I.%I', n.nspname, c.relname) AS name,
               CASE c.relkind WHEN 'v' THEN 'VIEW' WHEN 'm' THEN 'MATERIALIZED VIEW' WHEN 'S' THEN 'SEQUENCE'
                              WHEN 'f' THEN 'FOREIGN TABLE' ELSE 'TABLE' END AS kind
        FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
        WHERE c.relkind IN ('r', 'p', 'v', 'm', 'S', 'f')
          AND n.nspname <> 'information_schema' AND n.nspname NOT LIKE 'pg\\_%'
          -- An extension's, or part of another object (an identity column's sequence): not dropped alone.
          AND NOT EXISTS (SELECT FROM pg_catalog.pg_depend d WHERE d.classid = 'pg_catalog.pg_class'::regclass
                          AND d.objid = c.oid AND d.deptype IN ('e', 'i'))
    LOOP
        EXECUTE pg_catalog.format('DROP %s IF EXISTS %s CASCADE', item.kind, item.name);
    END LOOP;
    FOR item IN
        SELECT p.oid::pg_catalog.regprocedure::text AS name
        FROM pg_catalog.pg_proc p JOIN pg_catalog.pg_namespace n ON n.oid = p.pronamespace
        WHERE n.nspname <> 'information_schema' AND n.nspname NOT LIKE 'pg\\_%'
          AND NOT EXISTS (SELECT FROM pg_catalog.pg_depend d WHERE d.classid = 'pg_catalog.pg_proc'::regclass
                          AND d.objid = p.oid AND d.deptype = 'e')
    LOOP
        EXECUTE pg_catalog.format('DROP ROUTINE IF EXISTS %s CASCADE', item.name);
    END LOOP;
    FOR item IN
        SELECT pg_catalog.format('%I.%I', n.nspname, t.typname) AS name
        FROM pg_catalog.pg_type t JOIN pg_catalog.pg_namespace n ON n.oid = t.typnamespace
        WHERE t.typtype IN ('d', 'e', 'r', 'c')
          AND (t.typrelid = 0 OR (SELECT c.relkind FROM pg_catalog.pg_class c WHERE c.oid = t.typrelid) = 'c')
          AND n.nspname <> 'information_schema' AND n.nspname NOT LIKE 'pg\\_%'
          AND NOT EXISTS (SELECT FROM pg_catalog.pg_depend d WHERE d.classid = 'pg_catalog.pg_type'::regclass
                          AND d.objid = t.oid AND d.deptype = 'e')
    LOOP
        EXECUTE pg_catalog.format('DROP TYPE IF EXISTS %s CASCADE', item.name);
    END LOOP;
    -- The search's text configuration (migration registry 0014); an extension's (unaccent's dictionary) stays.
    FOR item IN
        SELECT pg_catalog.format('%I.%I', n.nspname, c.cfgname) AS name
        FROM pg_catalog.pg_ts_config c JOIN pg_catalog.pg_namespace n ON n.oid = c.cfgnamespace
        WHERE n.nspname <> 'information_schema' AND n.nspname NOT LIKE 'pg\\_%'
          AND NOT EXISTS (SELECT FROM pg_catalog.pg_depend d WHERE d.classid = 'pg_catalog.pg_ts_config'::regclass
                          AND d.objid = c.oid AND d.deptype = 'e')
    LOOP
        EXECUTE pg_catalog.format('DROP TEXT SEARCH CONFIGURATION IF EXISTS %s CASCADE', item.name);
    END LOOP;
    PERFORM pg_catalog.lo_unlink(l.oid) FROM pg_catalog.pg_largeobject_metadata l;
    FOR item IN
        SELECT e.extname FROM pg_catalog.pg_extension e
        WHERE e.extname <> 'plpgsql' AND e.extname <> ALL (ARRAY[{keep}]::text[])
    LOOP
        EXECUTE pg_catalog.format('DROP EXTENSION IF EXISTS %I CASCADE', item.extname);
    END LOOP;
    FOR item IN
        SELECT config.relation::pg_catalog.regclass::text AS name, config.condition
        FROM pg_catalog.pg_extension e,
             unnest(e.extconfig, e.extcondition) AS config(relation, condition)
        WHERE (SELECT c.relkind FROM pg_catalog.pg_class c WHERE c.oid = config.relation) IN ('r', 'p')
    LOOP
        EXECUTE pg_catalog.format('DELETE FROM %s %s', item.name, coalesce(item.condition, ''));
    END LOOP;
END
$clear$;
"""


# Written after pg_restore's script only when pg_restore succeeded, and checked before the commit:
# without it (pg_restore failed half-way, or this process was killed) psql rolls everything back.
COMPLETE_MARK = "SELECT pg_catalog.set_config('registry.restore_complete', 'yes', true);\n"
COMPLETE_CHECK = """
DO $check$
BEGIN
    IF pg_catalog.current_setting('registry.restore_complete', true) IS DISTINCT FROM 'yes' THEN
        RAISE EXCEPTION 'the backup was not read to its end';
    END IF;
END
$check$;
"""


def restore(archive: Archive) -> None:
    """Replace everything in the default database with the content of `archive` (from `verify`).

    Why not `pg_restore --clean --single-transaction` into the database? --clean drops only the
    objects in the archive: tables that a later migration added would stay (and the next `migrate`
    would trip over them). It also drops and recreates the PostGIS extension, which gives its types
    new OIDs under every running server process (see `clearing_sql`). And why not restore into a
    fresh database and swap names? That needs the right to create databases and to end everyone
    else's sessions, and loses the database's own settings and grants.

    So: one psql session, one transaction (`--single-transaction`, `ON_ERROR_STOP`): `clearing_sql`,
    then pg_restore's SQL script streamed in, then a check that the script arrived complete. In
    PostgreSQL every one of these statements is transactional, so until the COMMIT other sessions
    see the old register (they wait for its tables), and any failure, or a kill of this process or
    of pg_restore, rolls the whole of it back."""
    environment = client_environment()
    pg_restore, psql = client_program("pg_restore"), client_program("psql")
    # Comments on extensions need the extension's owner; they are the extension's own, and it stays.
    contents = subprocess.run([pg_restore, "--list", str(archive.path)], capture_output=True, text=True,
                              check=True).stdout
    selection = "".join(line + "\n" for line in contents.splitlines()
                        if not re.match(r"^\d+; \d+ \d+ COMMENT - EXTENSION ", line))
    # This process needs no connection of its own while psql works (and must not hold locks).
    connections["default"].close()
    with tempfile.TemporaryDirectory(prefix="restore-") as folder:
        listing = Path(folder) / "contents.list"
        listing.write_text(selection, encoding="utf-8")
        restore_errors, psql_errors = Path(folder) / "pg_restore.err", Path(folder) / "psql.err"
        read_end, write_end = os.pipe()
        with restore_errors.open("w") as restore_stderr, psql_errors.open("w") as psql_stderr:
            # psql reads the script from a pipe whose writing end this process keeps until pg_restore
            # has finished, to add the mark of completeness after it.
            loader = subprocess.Popen(
                [psql, "--no-psqlrc", "--quiet", "--no-password", "--set=ON_ERROR_STOP=1", "--single-transaction",
                 "--command", clearing_sql(archive.extensions), "--file=-", "--command", COMPLETE_CHECK],
                stdin=read_end, stdout=subprocess.DEVNULL, stderr=psql_stderr, env=environment)
            os.close(read_end)
            try:
                reader = subprocess.Popen(
                    [pg_restore, "--no-owner", "--exit-on-error", f"--use-list={listing}", "--file=-",
                     str(archive.path)], stdout=write_end, stderr=restore_stderr, env=environment)
                read_failed = reader.wait() != 0
                if not read_failed:
                    # A broken pipe: psql has stopped at an error already, and its message says which.
                    with contextlib.suppress(BrokenPipeError):
                        os.write(write_end, COMPLETE_MARK.encode())
            finally:
                os.close(write_end)
                loaded = loader.wait() == 0
        if read_failed or not loaded:
            # When psql stops at an error, pg_restore fails too, at writing into the closed pipe: then
            # psql's message is the cause; otherwise pg_restore's (psql then has half a script).
            restore_message = restore_errors.read_text()
            if read_failed and "could not write" not in restore_message:
                problem = f"pg_restore could not read it: {first_error(restore_message)}"
            else:
                problem = first_error(psql_errors.read_text())
            raise BackupError(f"{archive.path}: the restore failed and was rolled back, the database is unchanged: "
                              f"{problem}")
