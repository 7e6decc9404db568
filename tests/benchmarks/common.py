"""What the benchmarks share: their own database, the seeded register, and timing.

Both benchmarks (run.py, api.py) work on ``<name>_bench`` (``registry_bench`` with the project's
own cluster), never on the development database, and seed it with the same demo register, so
whichever runs first seeds it and the other reuses it.
"""

from __future__ import annotations

import os
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote, unquote, urlsplit, urlunsplit

from config.setup import devdb

PROJECT_DIR = Path(__file__).resolve().parents[2]
BENCH_DIR = PROJECT_DIR / ".bench"
BENCH_SUFFIX = "_bench"
DEFAULT_COUNT = 100_000
SEED = 1


class BenchmarkError(Exception):
    """The database is not in the state the measurement relies on; the numbers would mean nothing."""


def check(condition: bool, message: str) -> None:
    # Not `assert`: python -O would drop it, and a benchmark of a wrong result is worthless.
    if not condition:
        raise BenchmarkError(message)


# -- the benchmark's own database ----------------------------------------------------------------


def bench_database_url(url: str) -> str:
    """DATABASE_URL with the database name suffixed, on the same server and with the same options
    (a name that already ends in the suffix is kept, rather than suffixed twice)."""
    parts = urlsplit(url)
    name = unquote(parts.path.lstrip("/"))
    if not name:
        raise BenchmarkError("DATABASE_URL names no database, so there is no name to derive the benchmark's from.")
    if not name.endswith(BENCH_SUFFIX):
        name += BENCH_SUFFIX
    return urlunsplit(parts._replace(path="/" + quote(name)))


def create_database_if_missing(server_url: str, name: str) -> None:
    """Create `name` on the server of `server_url`, connecting to the database that URL names
    (it exists, unlike the `postgres` maintenance database, which a hosted server may hide)."""
    import dj_database_url
    import psycopg
    from psycopg import sql

    config = dj_database_url.parse(server_url)
    params: dict[str, Any] = {
        "dbname": config["NAME"], "user": config.get("USER"), "password": config.get("PASSWORD"),
        "host": config.get("HOST"), "port": config.get("PORT"), **config.get("OPTIONS", {}),
    }
    with psycopg.connect(**{key: value for key, value in params.items() if value not in (None, "")},
                         autocommit=True) as conn:
        if conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone() is None:
            print(f"Creating database {name}")
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))


def own_database() -> None:
    """With the project's own cluster, `<REGISTRY_DB_NAME>_bench` rather than the shared `registry_bench`
    (parallel work trees each set their own REGISTRY_DB_NAME). Before use_bench_database."""
    if not os.environ.get("DATABASE_URL") and os.environ.get("REGISTRY_DB_NAME"):
        devdb.ensure()  # the database named, which the benchmark's is created beside
        os.environ["DATABASE_URL"] = devdb.default_url()


def use_bench_database() -> str:
    """Point the settings at the benchmark's database; must run before Django reads the settings.
    Returns the database's URL (for a server process started by the benchmark)."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    server_url = os.environ.get("DATABASE_URL")
    if server_url:
        url = bench_database_url(server_url)
        create_database_if_missing(server_url, unquote(urlsplit(url).path.lstrip("/")))
        os.environ["DATABASE_URL"] = url
        return url
    os.environ["REGISTRY_DB_NAME"] = "registry" + BENCH_SUFFIX
    devdb.ensure()
    return devdb.default_url()


def prepare_schema_and_areas() -> str:
    import django
    from django.conf import settings
    from django.core.management import call_command

    django.setup()
    name = str(settings.DATABASES["default"]["NAME"])
    # The benchmarks clear and rewrite the register: never on a database in use.
    check(name.endswith(BENCH_SUFFIX), f"refusing to run on database {name!r}: not a {BENCH_SUFFIX} database")
    call_command("migrate", interactive=False, verbosity=0)
    call_command("load_areas")
    return name


# -- the data ------------------------------------------------------------------------------------


def clear_register() -> None:
    """Remove every initiative with what hangs off it (links, partnerships, aliases, history).

    TRUNCATE, because deleting 100,000 initiatives through the ORM's collector takes minutes.
    The history tables refer to initiatives without a database constraint, so CASCADE does not
    reach them: they are found through the model relations instead.
    """
    from django.db import connection

    from registry.models import Initiative

    history = Initiative.history.model
    models = {Initiative, history}
    for model in (Initiative, history):
        models |= {relation.related_model for relation in model._meta.get_fields(include_hidden=True)
                   if relation.auto_created and not relation.concrete}
    tables = sorted({connection.ops.quote_name(model._meta.db_table) for model in models})
    with connection.cursor() as cursor:
        cursor.execute(f"TRUNCATE {', '.join(tables)} CASCADE")


def ensure_register(count: int) -> float | None:
    """Exactly `count` demo initiatives; returns the seconds spent seeding, None when reused."""
    from registry.models import Initiative
    from registry.operations.demo import seed_demo

    present = Initiative.objects.count()
    if present == count:
        print(f"Reusing the {count:,} initiatives already in the benchmark database.")
        return None
    print(f"The benchmark database holds {present:,} initiatives, not {count:,}: seeding afresh.")
    started = time.perf_counter()
    clear_register()
    result = seed_demo(count, seed=SEED)
    seconds = time.perf_counter() - started
    print(f"{result.summary()} ({seconds:.1f} s)")
    seeded = Initiative.objects.count()
    check(seeded == count, f"seeding left {seeded:,} initiatives, not {count:,}")
    return seconds


# -- measuring -----------------------------------------------------------------------------------


@dataclass
class Series:
    label: str
    seconds: list[float] = field(default_factory=list)

    @property
    def median(self) -> float:
        return statistics.median(self.seconds)

    def time(self, work: Callable[[], Any]) -> Any:
        started = time.perf_counter()
        result = work()
        self.seconds.append(time.perf_counter() - started)
        return result


def execute(statement: str, params: Any = None) -> list[tuple[Any, ...]]:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(statement, params)
        return cursor.fetchall() if cursor.description else []


def publish_report(path: Path, text: str) -> None:
    """Print the report and write it into .bench/."""
    print()
    print(text)
    path.parent.mkdir(exist_ok=True)
    path.write_text(text, encoding="utf-8")
    print(f"Report written to {path.relative_to(PROJECT_DIR)}")
