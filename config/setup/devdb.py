"""The project's own PostGIS database for development and tests, used when DATABASE_URL is unset.

It is a dedicated PostgreSQL cluster that listens only on a Unix socket, so it never collides
with a server that already runs on the machine (on port 5432 or elsewhere):

* as root: a Debian cluster named ``registry`` (``pg_createcluster``/``pg_ctlcluster``; PostgreSQL
  refuses ``initdb`` as root, the Debian tools run it as the ``postgres`` user), socket in
  ``/var/run/postgresql``, with a superuser role ``root``;
* as an ordinary user: a cluster in ``.pgdata/`` inside the project (``initdb``/``pg_ctl``, no
  root needed), socket in ``.pgdata/run``, with a superuser role named after the user.

Both use port ``REGISTRY_DB_PORT`` (default 5439; for a socket it is only part of the file name)
and database ``REGISTRY_DB_NAME`` (default ``registry``). The role is a superuser because the
test runner creates a fresh database with the PostGIS extension in it.

Standard library only: it runs before the virtualenv exists.

    python3 -m config.setup.devdb ensure   # create and start if needed
    python3 -m config.setup.devdb url      # print the DATABASE_URL it provides
    python3 -m config.setup.devdb stop

A streaming replica (hot standby) of that cluster, on the same machine, for the tests and the load
test of read replicas (docs/scaling.md): `pg_basebackup -R` into a second data directory, started
on port ``REGISTRY_REPLICA_PORT`` (default 5440) in the same socket folder, as the same OS user as
the cluster (``postgres`` when root):

    python3 -m config.setup.devdb replica-ensure   # make (or re-make a stale one) and start it
    python3 -m config.setup.devdb replica-url      # print its URL (database REGISTRY_DB_NAME)
    python3 -m config.setup.devdb replica-status   # running? streaming? how far behind?
    python3 -m config.setup.devdb replica-stop
    python3 -m config.setup.devdb replica-remove   # stop it, delete its files and its slot
"""

from __future__ import annotations

import fcntl
import getpass
import glob
import hashlib
import json
import os
import pwd
import re
import shlex
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import quote

from config import malloc

PROJECT_DIR = Path(__file__).resolve().parents[2]
CLUSTER_NAME = "registry"
DEBIAN_SOCKET_DIR = "/var/run/postgresql"


def port() -> str:
    return os.environ.get("REGISTRY_DB_PORT", "5439")


def database_name() -> str:
    return os.environ.get("REGISTRY_DB_NAME", "registry")


def is_root() -> bool:
    return os.geteuid() == 0


def pg_version() -> str:
    """The newest installed PostgreSQL server version (15 or newer)."""
    versions = []
    for initdb in glob.glob("/usr/lib/postgresql/*/bin/initdb"):
        version = Path(initdb).parents[1].name
        if version.isdigit() and int(version) >= 15:
            versions.append(int(version))
    if not versions:
        sys.exit("No PostgreSQL 15+ server found; run config/setup/system-packages.sh first.")
    return str(max(versions))


def user_base_dir() -> Path:
    return PROJECT_DIR / ".pgdata"


def socket_dir() -> str:
    if is_root():
        return DEBIAN_SOCKET_DIR
    preferred = user_base_dir() / "run"
    # A Unix socket path is limited to about 107 bytes; deep checkouts fall back to /tmp.
    if len(str(preferred)) + len("/.s.PGSQL.") + len(port()) < 100:
        return str(preferred)
    digest = hashlib.sha256(str(PROJECT_DIR).encode()).hexdigest()[:10]
    return os.path.join(tempfile.gettempdir(), f"registry-pg-{os.getuid()}-{digest}")


def default_url() -> str:
    return f"postgres://{quote(socket_dir(), safe='')}:{port()}/{database_name()}"


def role_name() -> str:
    return "root" if is_root() else getpass.getuser()


def run(*args: str, user: str | None = None, check: bool = True,
        env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    command = list(args)
    if user:
        command = ["runuser", "-u", user, "--", *command]
    return subprocess.run(command, check=check, text=True, capture_output=True, env=env)


def wait_until_ready(timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if run("pg_isready", "-q", "-h", socket_dir(), "-p", port(), check=False).returncode == 0:
            return
        time.sleep(0.2)
    sys.exit(f"PostgreSQL did not accept connections on {socket_dir()} port {port()} within {timeout:.0f} s.")


# PostgreSQL's default of 128 MB of shared buffers holds less than the prepared documents of 100,000
# records (about 520 MB): reads then go through the kernel page by page. A server of its own would
# give a quarter of its memory; this one shares the machine with the site and its tests.
SERVER_SETTINGS = {"shared_buffers": os.environ.get("REGISTRY_PG_SHARED_BUFFERS", "1GB")}

# The server processes keep their large buffers (config/malloc.py: 786 page faults per query of a
# box of 1,000 Features, none kept; the backend's CPU for it 10-20% lower).
SERVER_ENVIRONMENT = malloc.ENVIRONMENT


def server_environment() -> dict[str, str]:
    """The environment a server process of the project's own clusters starts with."""
    return {**os.environ, **SERVER_ENVIRONMENT}


def started_without_environment(data_dir: Path) -> bool:
    """Whether the server running in `data_dir` was started before SERVER_ENVIRONMENT was added."""
    try:
        pid = int((data_dir / "postmaster.pid").read_text().split()[0])
        environment = Path(f"/proc/{pid}/environ").read_bytes().split(b"\0")
    except (OSError, ValueError, IndexError):  # not running, or not ours to read
        return False
    names = {item.split(b"=", 1)[0].decode(errors="replace") for item in environment}
    return not set(SERVER_ENVIRONMENT) <= names


def write_root_environment(config_dir: Path) -> None:
    """The Debian cluster's environment file (read by pg_ctlcluster at each start) names
    SERVER_ENVIRONMENT; a cluster made before it was added gets it at its next start."""
    path = config_dir / "environment"
    text = path.read_text() if path.exists() else ""
    # Its lines are `NAME = value` or `NAME value` (PostgreSQL's configuration syntax); an administrator's
    # own value for a name is left as it is.
    named = {re.split(r"[\s=]", line.strip(), maxsplit=1)[0] for line in text.splitlines()
             if line.strip() and not line.lstrip().startswith("#")}
    missing = [f"{name} = {value}\n" for name, value in SERVER_ENVIRONMENT.items() if name not in named]
    if missing:
        path.write_text(text + ("" if not text or text.endswith("\n") else "\n") + "".join(missing))


def ensure_root_cluster() -> None:
    version = pg_version()
    config_dir = Path(f"/etc/postgresql/{version}/{CLUSTER_NAME}")
    if not config_dir.exists():
        print(f"Creating PostgreSQL {version} cluster '{CLUSTER_NAME}' (socket only, port {port()})")
        run("pg_createcluster", version, CLUSTER_NAME, "--port", port(), "--", "--encoding=UTF8",
            "--locale=C.UTF-8")
        run("pg_conftool", version, CLUSTER_NAME, "set", "listen_addresses", "")
        for name, value in SERVER_SETTINGS.items():
            run("pg_conftool", version, CLUSTER_NAME, "set", name, value)
    write_root_environment(config_dir)
    if started_without_environment(Path(f"/var/lib/postgresql/{version}/{CLUSTER_NAME}")):
        print(f"Restarting PostgreSQL cluster '{CLUSTER_NAME}' once, with its new environment (docs/scaling.md)")
        run("pg_ctlcluster", version, CLUSTER_NAME, "restart", check=False)
    status = run("pg_ctlcluster", version, CLUSTER_NAME, "status", check=False)
    if status.returncode != 0:
        result = run("pg_ctlcluster", version, CLUSTER_NAME, "start", check=False)
        if result.returncode != 0:
            sys.exit(f"Could not start cluster {version}/{CLUSTER_NAME}:\n{result.stderr}{result.stdout}")
    wait_until_ready()
    psql_as_postgres = ["psql", "-h", socket_dir(), "-p", port(), "-d", "postgres", "-tAc"]
    exists = run(*psql_as_postgres, "SELECT 1 FROM pg_roles WHERE rolname = 'root'", user="postgres")
    if exists.stdout.strip() != "1":
        run(*psql_as_postgres, "CREATE ROLE root SUPERUSER LOGIN", user="postgres")


def ensure_user_cluster() -> None:
    bindir = Path(f"/usr/lib/postgresql/{pg_version()}/bin")
    data_dir = user_base_dir() / "data"
    log_file = user_base_dir() / "postgresql.log"
    os.makedirs(socket_dir(), mode=0o700, exist_ok=True)
    if not (data_dir / "PG_VERSION").exists():
        print(f"Creating PostgreSQL cluster in {data_dir} (socket only)")
        data_dir.mkdir(parents=True, exist_ok=True)
        run(str(bindir / "initdb"), "-D", str(data_dir), "-U", role_name(), "--auth=peer",
            "--encoding=UTF8", "--locale=C.UTF-8")
    if started_without_environment(data_dir):
        print(f"Restarting PostgreSQL in {data_dir} once, with its new environment (docs/scaling.md)")
        run(str(bindir / "pg_ctl"), "-D", str(data_dir), "-w", "stop", check=False)
    if run(str(bindir / "pg_ctl"), "-D", str(data_dir), "status", check=False).returncode != 0:
        # pg_ctl hands the options to a shell: quote the directory (the checkout may have spaces).
        options = f"-k {shlex.quote(socket_dir())} -p {port()} -c listen_addresses=''" + "".join(
            f" -c {name}={value}" for name, value in SERVER_SETTINGS.items())
        result = run(str(bindir / "pg_ctl"), "-D", str(data_dir), "-l", str(log_file), "-o", options,
                     "-w", "start", check=False, env=server_environment())
        if result.returncode != 0:
            sys.exit(f"Could not start PostgreSQL in {data_dir}; see {log_file}:\n{result.stdout}")
    wait_until_ready()


def ensure_database() -> None:
    psql = ["psql", "-h", socket_dir(), "-p", port(), "-d", "postgres", "-U", role_name(), "-tAc"]
    name = database_name()
    if run(*psql, f"SELECT 1 FROM pg_database WHERE datname = '{name}'").stdout.strip() != "1":
        print(f"Creating database {name}")
        run(*psql, f'CREATE DATABASE "{name}"')


def ensure() -> None:
    if not shutil.which("pg_isready"):
        sys.exit("PostgreSQL client tools are missing; run config/setup/system-packages.sh first.")
    if is_root():
        ensure_root_cluster()
    else:
        ensure_user_cluster()
    ensure_database()


def stop() -> None:
    if is_root():
        run("pg_ctlcluster", pg_version(), CLUSTER_NAME, "stop", check=False)
    else:
        bindir = Path(f"/usr/lib/postgresql/{pg_version()}/bin")
        run(str(bindir / "pg_ctl"), "-D", str(user_base_dir() / "data"), "stop", check=False)


# -- a streaming replica (hot standby) of the cluster ---------------------------------------------

# Settings of the primary that name the primary itself; the replica has its own (Replica.configure).
OWN_SETTINGS = {"data_directory", "config_file", "hba_file", "ident_file", "external_pid_file", "port",
                "unix_socket_directories", "listen_addresses", "cluster_name", "primary_conninfo",
                "primary_slot_name", "hot_standby", "hot_standby_feedback"}
# WAL the primary keeps at most for a replica that is stopped or behind (its replication slot): past
# that the slot is given up and the replica is re-made by the next replica-ensure, rather than
# the primary filling the disk for a copy someone forgot.
MAX_SLOT_WAL_KEEP = "1GB"


# Seconds a (re)started replica may take to open for reads (Replica.wait_until_open).
READY_TIMEOUT = 60.0


def replica_port() -> str:
    return os.environ.get("REGISTRY_REPLICA_PORT", "5440")


def quoted_setting(value: str) -> str:
    """A value for postgresql.conf: single-quoted, with quotes doubled and backslashes escaped."""
    return "'" + value.replace("\\", "\\\\").replace("'", "''") + "'"


class Replica:
    """A hot standby of the project's cluster on this machine: `pg_basebackup -R` (streaming the WAL
    during the copy, then a replication slot) into a data directory of its own, started by pg_ctl
    on its own port in the cluster's socket folder, as the cluster's OS user.

    It is a throwaway copy, made and run without fsync (seconds instead of half a minute for a
    cluster of gigabytes; after a crash of the machine, remove it), re-made whenever it cannot be
    used as it is (`problem`): not there or half made, promoted, a copy of an earlier primary (the
    cluster was made anew), made by another PostgreSQL version, or its slot gone or given up
    because it fell too far behind.
    """

    def __init__(self, port_number: str | None = None) -> None:
        self.port = port_number or replica_port()
        if not self.port.isdigit() or self.port == port():
            sys.exit(f"REGISTRY_REPLICA_PORT must be a port number other than the cluster's ({port()}), "
                     f"not {self.port!r}")

    # -- where it lives ------------------------------------------------------------------------

    @property
    def name(self) -> str:
        return f"{CLUSTER_NAME}-replica-{self.port}"

    @property
    def data_dir(self) -> Path:
        if is_root():  # beside the Debian cluster, owned by postgres
            return Path(f"/var/lib/postgresql/{pg_version()}/{self.name}")
        return user_base_dir() / f"replica-{self.port}"

    @property
    def log_file(self) -> Path:
        return self.data_dir.with_name(self.data_dir.name + ".log")

    @property
    def slot(self) -> str:
        return f"{CLUSTER_NAME}_replica_{self.port}"

    @property
    def os_user(self) -> str | None:
        """The cluster's files belong to postgres when root made it (PostgreSQL refuses to run as root)."""
        return "postgres" if is_root() else None

    def url(self, database: str | None = None) -> str:
        return f"postgres://{quote(socket_dir(), safe='')}:{self.port}/{database or database_name()}"

    def tool(self, name: str) -> str:
        return f"/usr/lib/postgresql/{pg_version()}/bin/{name}"

    # -- SQL -----------------------------------------------------------------------------------

    def primary_sql(self, statement: str) -> str:
        return run("psql", "-h", socket_dir(), "-p", port(), "-d", "postgres", "-U", role_name(), "-XtAc",
                   statement).stdout.strip()

    def replica_sql(self, statement: str, *, check: bool = True) -> str:
        result = run("psql", "-h", socket_dir(), "-p", self.port, "-d", "postgres", "-U", role_name(), "-XtAc",
                     statement, check=check)
        return result.stdout.strip() if result.returncode == 0 else ""

    # -- state ---------------------------------------------------------------------------------

    def is_running(self) -> bool:
        if not (self.data_dir / "PG_VERSION").exists():
            return False
        return run(self.tool("pg_ctl"), "-D", str(self.data_dir), "status", user=self.os_user,
                   check=False).returncode == 0

    def system_identifier(self) -> str:
        result = run(self.tool("pg_controldata"), "-D", str(self.data_dir), user=self.os_user, check=False,
                     env={**os.environ, "LC_ALL": "C"})
        for line in result.stdout.splitlines():
            if line.startswith("Database system identifier:"):
                return line.split(":", 1)[1].strip()
        return ""

    def slot_state(self) -> str:
        """'' when the primary has no such slot, else its wal_status (reserved, extended, unreserved, lost)."""
        return self.primary_sql(f"SELECT wal_status FROM pg_replication_slots WHERE slot_name = '{self.slot}'")

    def problem(self) -> str | None:
        """Why the copy in data_dir cannot be used as it is, or None when it can."""
        version_file = self.data_dir / "PG_VERSION"
        if not version_file.exists():
            return "there is none yet"
        if not (self.data_dir / "postgresql.conf").exists():
            return "it was not finished"
        if version_file.read_text().strip() != pg_version():
            return f"it was made by PostgreSQL {version_file.read_text().strip()}"
        if not (self.data_dir / "standby.signal").exists():
            return "it is no longer a standby (promoted?)"
        primary = self.primary_sql("SELECT system_identifier FROM pg_control_system()")
        if self.system_identifier() != primary:
            return "it is a copy of an earlier cluster (the primary was made anew)"
        state = self.slot_state()
        if not state:
            return f"its replication slot {self.slot} is gone"
        if state == "lost":
            return f"it fell more than {MAX_SLOT_WAL_KEEP} of WAL behind and its slot was given up"
        return None

    def streaming(self) -> bool:
        return self.primary_sql(f"SELECT active FROM pg_replication_slots WHERE slot_name = '{self.slot}'") == "t"

    def status(self) -> dict[str, object]:
        """What the primary sees of it: running, streaming, and how far behind (bytes and seconds)."""
        found: dict[str, object] = {"port": self.port, "data_directory": str(self.data_dir),
                                    "running": self.is_running(), "problem": self.problem()}
        row = self.primary_sql(
            "SELECT json_build_object('state', state, 'behind_bytes', pg_wal_lsn_diff(pg_current_wal_lsn(), "
            "replay_lsn), 'replay_lag_seconds', extract(epoch FROM replay_lag)) FROM pg_stat_replication "
            f"WHERE application_name = '{self.name}'")
        found["streaming"] = json.loads(row) if row else None
        return found

    # -- making, starting, stopping ------------------------------------------------------------

    @contextmanager
    def locked(self) -> Iterator[None]:
        """One replica-ensure or replica-remove of this replica at a time (two test runs, say)."""
        lock_file = self.data_dir.with_name(f".{self.data_dir.name}.lock")
        lock_file.parent.mkdir(parents=True, exist_ok=True)
        with lock_file.open("w") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX)
            yield

    def ensure(self) -> None:
        """Make the replica unless a usable one is there, start it, and wait until it streams and
        is open for reads."""
        if not shutil.which("pg_isready"):
            sys.exit("PostgreSQL client tools are missing; run config/setup/system-packages.sh first.")
        ensure()  # the primary
        with self.locked():
            for attempt in (1, 2):
                reason = self.problem()
                if reason:
                    print(f"Making a streaming replica of the cluster on port {self.port} ({reason})")
                    self.discard()
                    self.make()
                opened = self.wait_until_open() if self.is_running() or self.start() else False
                if opened is None:
                    sys.exit(self.not_open_message())
                if not opened:
                    if attempt == 1:
                        print(f"The replica did not start; making it afresh. Its log:\n{self.log_tail()}")
                        self.discard()
                        continue
                    sys.exit(f"The replica in {self.data_dir} did not start; see {self.log_file}:\n{self.log_tail()}")
                if self.wait_until_streaming():
                    return
                if attempt == 1:
                    print(f"The replica does not stream; making it afresh. Its log:\n{self.log_tail()}")
                    self.discard()
            sys.exit(f"The replica on port {self.port} does not stream from the primary; see {self.log_file}")

    def make(self) -> None:
        self.limit_slot_wal()
        self.data_dir.parent.mkdir(parents=True, exist_ok=True)
        # -R: standby.signal and primary_conninfo; -C -S: a replication slot, so the primary keeps the
        # WAL the replica still needs while it is stopped; --no-sync: a throwaway copy (problem()).
        result = run(self.tool("pg_basebackup"), "-h", socket_dir(), "-p", port(),
                     "-U", self.os_user or role_name(), "-D", str(self.data_dir), "-X", "stream", "-R",
                     "-C", "-S", self.slot, "--checkpoint=fast", "--no-sync", "--no-manifest",
                     user=self.os_user, check=False)
        if result.returncode != 0:
            sys.exit(f"pg_basebackup failed:\n{result.stderr}")
        self.configure()

    def limit_slot_wal(self) -> None:
        if self.primary_sql("SHOW max_slot_wal_keep_size") == "-1":
            self.primary_sql(f"ALTER SYSTEM SET max_slot_wal_keep_size = '{MAX_SLOT_WAL_KEEP}'")
            self.primary_sql("SELECT pg_reload_conf()")

    def configure(self) -> None:
        """postgresql.conf: the primary's settings from its configuration files (a hot standby needs
        max_connections and the like at least as high), with its own port, socket, name and the
        standby's settings; pg_hba.conf and pg_ident.conf as the primary's (the same roles log in).
        Written last: without it the copy counts as not finished."""
        settings = json.loads(self.primary_sql(
            "SELECT coalesce(json_object_agg(name, setting ORDER BY name), '{}') FROM pg_settings "
            "WHERE source = 'configuration file'"))
        lines = ["# Written by config/setup/devdb.py: a hot standby of the project's cluster.",
                 "# The primary's settings:"]
        lines += [f"{name} = {quoted_setting(value)}" for name, value in settings.items()
                  if name.lower() not in OWN_SETTINGS]
        lines += ["# Its own:", f"port = {self.port}", f"unix_socket_directories = {quoted_setting(socket_dir())}",
                  "listen_addresses = ''", f"cluster_name = {quoted_setting(self.name)}",
                  "hot_standby = on",
                  # A throwaway copy (see the class): without fsync it starts at once, where PostgreSQL
                  # would otherwise first flush every file of a copy made with --no-sync.
                  "fsync = off",
                  # Long reads (a download of the whole register) are not cancelled when the primary
                  # cleans up rows they still see.
                  "hot_standby_feedback = on", ""]
        for name in ("hba_file", "ident_file"):
            source = Path(self.primary_sql(f"SHOW {name}"))
            target = self.data_dir / ("pg_hba.conf" if name == "hba_file" else "pg_ident.conf")
            if source != target and source.exists():
                self.write(target, source.read_text())
        self.write(self.data_dir / "postgresql.conf", "\n".join(lines))

    def write(self, path: Path, text: str) -> None:
        path.write_text(text)
        if self.os_user:
            owner = pwd.getpwnam(self.os_user)
            os.chown(path, owner.pw_uid, owner.pw_gid)
        path.chmod(0o600)

    def start(self) -> bool:
        """Start the server (without waiting until it opens for reads: wait_until_open)."""
        if is_root():
            os.makedirs(DEBIAN_SOCKET_DIR, exist_ok=True)
        else:
            os.makedirs(socket_dir(), mode=0o700, exist_ok=True)
        result = run(self.tool("pg_ctl"), "-D", str(self.data_dir), "-l", str(self.log_file), "-W", "start",
                     user=self.os_user, check=False, env=server_environment())
        return result.returncode == 0

    def wait_until_open(self, timeout: float = READY_TIMEOUT) -> bool | None:
        """True once it accepts read-only connections; False when it is not running (or stops);
        None when it runs but has not opened within `timeout`.

        A hot standby opens for reads once it has replayed a snapshot of the primary's running
        transactions that it can use; one taken while a transaction of more than 64 subtransactions
        is open cannot be used, so a standby (re)started then waits until that transaction ends.
        The primary logs such a snapshot every 15 s when it is busy, and at every checkpoint: a
        checkpoint now and then shortens the wait when it is idle."""
        deadline = time.monotonic() + timeout
        nudge_at = time.monotonic() + 3
        while time.monotonic() < deadline:
            if run("pg_isready", "-q", "-h", socket_dir(), "-p", self.port, check=False).returncode == 0:
                return True
            if not self.is_running():
                return False
            if time.monotonic() >= nudge_at:
                self.primary_sql("CHECKPOINT")
                nudge_at = time.monotonic() + 10
            time.sleep(0.2)
        return None

    def not_open_message(self) -> str:
        waiting = self.primary_sql(
            "SELECT string_agg(format('pid %s (%s, %s, open %s s)', pid, datname, "
            "coalesce(nullif(application_name, ''), usename), round(extract(epoch FROM now() - xact_start))), '; ') "
            "FROM pg_stat_activity WHERE backend_xid IS NOT NULL AND pid <> pg_backend_pid()")
        return (f"The replica on port {self.port} runs but did not open for reads within {READY_TIMEOUT:.0f} s: a hot "
                "standby opens once the primary's transactions that were open when it started, with more than 64 "
                "subtransactions, have ended. Transactions open on the primary now: "
                f"{waiting or 'none'}. Try again later; see {self.log_file}.")

    def wait_until_streaming(self, timeout: float = 30.0) -> bool:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.streaming():
                return True
            time.sleep(0.2)
        return False

    def stop(self, mode: str = "fast") -> None:
        """Stop it (fast: its sessions are cut, as in a crash or a restart of the machine)."""
        if self.is_running():
            run(self.tool("pg_ctl"), "-D", str(self.data_dir), "-m", mode, "-w", "stop", user=self.os_user,
                check=False)

    def discard(self) -> None:
        """Stop it and delete its files and its slot on the primary."""
        self.stop("immediate")
        shutil.rmtree(self.data_dir, ignore_errors=True)
        self.log_file.unlink(missing_ok=True)
        deadline = time.monotonic() + 30
        # The primary notices a replica's end within moments; an active slot cannot be dropped.
        while self.slot_state() and time.monotonic() < deadline:
            self.primary_sql(f"SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots "
                             f"WHERE slot_name = '{self.slot}' AND NOT active")
            if self.slot_state():
                time.sleep(0.2)

    def remove(self) -> None:
        with self.locked():
            self.discard()
        self.data_dir.with_name(f".{self.data_dir.name}.lock").unlink(missing_ok=True)

    def log_tail(self, lines: int = 20) -> str:
        try:
            return "\n".join(self.log_file.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return "(no log)"


def main(argv: list[str]) -> None:
    commands = {
        "ensure": ensure, "stop": stop, "url": lambda: print(default_url()),
        "replica-ensure": lambda: Replica().ensure(),
        "replica-stop": lambda: Replica().stop(),
        "replica-url": lambda: print(Replica().url()),
        "replica-status": lambda: print(json.dumps(Replica().status(), indent=2)),
        "replica-remove": lambda: Replica().remove(),
    }
    if len(argv) != 1 or argv[0] not in commands:
        sys.exit(f"usage: python3 -m config.setup.devdb {{{'|'.join(commands)}}}")
    commands[argv[0]]()


if __name__ == "__main__":
    main(sys.argv[1:])
