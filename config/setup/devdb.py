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
"""

from __future__ import annotations

import getpass
import glob
import hashlib
import os
import shlex
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import quote

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


def run(*args: str, user: str | None = None, check: bool = True) -> subprocess.CompletedProcess[str]:
    command = list(args)
    if user:
        command = ["runuser", "-u", user, "--", *command]
    return subprocess.run(command, check=check, text=True, capture_output=True)


def wait_until_ready(timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if run("pg_isready", "-q", "-h", socket_dir(), "-p", port(), check=False).returncode == 0:
            return
        time.sleep(0.2)
    sys.exit(f"PostgreSQL did not accept connections on {socket_dir()} port {port()} within {timeout:.0f} s.")


def ensure_root_cluster() -> None:
    version = pg_version()
    config_dir = Path(f"/etc/postgresql/{version}/{CLUSTER_NAME}")
    if not config_dir.exists():
        print(f"Creating PostgreSQL {version} cluster '{CLUSTER_NAME}' (socket only, port {port()})")
        run("pg_createcluster", version, CLUSTER_NAME, "--port", port(), "--", "--encoding=UTF8",
            "--locale=C.UTF-8")
        run("pg_conftool", version, CLUSTER_NAME, "set", "listen_addresses", "")
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
    if run(str(bindir / "pg_ctl"), "-D", str(data_dir), "status", check=False).returncode != 0:
        # pg_ctl hands the options to a shell: quote the directory (the checkout may have spaces).
        options = f"-k {shlex.quote(socket_dir())} -p {port()} -c listen_addresses=''"
        result = run(str(bindir / "pg_ctl"), "-D", str(data_dir), "-l", str(log_file), "-o", options,
                     "-w", "start", check=False)
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


def main(argv: list[str]) -> None:
    commands = {"ensure": ensure, "stop": stop, "url": lambda: print(default_url())}
    if len(argv) != 1 or argv[0] not in commands:
        sys.exit(f"usage: python3 -m config.setup.devdb {{{'|'.join(commands)}}}")
    commands[argv[0]]()


if __name__ == "__main__":
    main(sys.argv[1:])
