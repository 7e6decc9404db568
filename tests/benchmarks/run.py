"""Benchmark of the set-based area assignment (InitiativeQuerySet.assign_areas) on a large register.

    make bench                                   # or: DEBUG=true python -m tests.benchmarks.run
    BENCH_COUNT=2000 BENCH_REPEAT=3 make bench   # a quick check

It measures, REPEAT times each, on N seeded demo initiatives:

a. the bare point-in-polygon join (the floor: no set-based assignment can be faster than finding
   each point's municipality);
b. assign_areas() on a register whose areas were cleared (every row changes);
c. assign_areas() again right after b (nothing changes: the cost of a routine re-run).

It uses its own database (``<name>_bench``), never the development database, and leaves its
seeded data in place so that a second run starts in seconds. The report goes to stdout and to
.bench/report.md.
"""

from __future__ import annotations

import datetime
import os
import re
import sys
import textwrap
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from config.env import envint
from tests.benchmarks.common import (
    BENCH_DIR,
    DEFAULT_COUNT,
    SEED,
    BenchmarkError,
    Series,
    check,
    ensure_register,
    execute,
    prepare_schema_and_areas,
    publish_report,
    use_bench_database,
)

REPORT_FILE = BENCH_DIR / "report.md"
DEFAULT_REPEAT = 5

# Written out in full rather than built by the ORM so that the report states exactly what was
# measured. DISTINCT ON keeps one municipality per point (the lowest code, as assign_areas does
# on a shared border), so its row count is comparable to the assignment's.
BASELINE_SQL = """\
SELECT count(*) FROM (
    SELECT DISTINCT ON (i.id) i.id, m.id
      FROM registry_initiative i
      JOIN geo_municipality m ON m.valid_to IS NULL AND ST_Intersects(m.geometry, i.location)
     ORDER BY i.id, m.code
) s"""


def baseline() -> int:
    return execute(BASELINE_SQL)[0][0]


def assign_areas() -> int:
    from registry.models import Initiative

    return Initiative.objects.all().assign_areas()


def vacuum(analyze: bool = False) -> None:
    # VACUUM refuses to run inside a transaction; Django's default autocommit keeps us outside one.
    execute(f"VACUUM {'ANALYZE ' if analyze else ''}registry_initiative")


@contextmanager
def capturing_update(captured: list[tuple[str, Any]]) -> Iterator[None]:
    """Record the UPDATE statements run inside, so the report shows the plan of the statement
    assign_areas really issues instead of a copy that could drift from it."""
    from django.db import connection

    def wrapper(execute: Callable[..., Any], sql: str, params: Any, many: bool, context: Any) -> Any:
        if re.match(r"\s*(WITH\b.*?\)\s*)?UPDATE\b", sql, re.IGNORECASE | re.DOTALL):
            captured.append((sql, params))
        return execute(sql, params, many, context)

    with connection.execute_wrapper(wrapper):
        yield


@dataclass
class Measurements:
    baseline: Series
    from_scratch: Series
    no_change: Series
    update_sql: str
    update_params: Any
    inside_count: int


def measure(count: int, repeat: int) -> Measurements:
    from django.db.models import Q

    from registry.models import Initiative

    # Statistics for the planner from the data as it stands; both tables may have just been written.
    vacuum(analyze=True)
    execute("ANALYZE geo_municipality")
    # Untimed warm-up: the first pass reads the tables and the index from disk.
    inside_count = baseline()
    captured: list[tuple[str, Any]] = []
    with capturing_update(captured):
        assign_areas()
    check(len(captured) == 1, f"assign_areas issued {len(captured)} UPDATE statements, expected one")

    measurements = Measurements(
        baseline=Series("a. baseline: point-in-polygon join (SQL)"),
        from_scratch=Series("b. assign_areas() from scratch"),
        no_change=Series("c. assign_areas() re-run, no change"),
        update_sql=captured[0][0], update_params=captured[0][1], inside_count=inside_count,
    )
    for run in range(1, repeat + 1):
        # Each timed statement starts on a table without the previous run's dead row versions.
        vacuum()
        found = measurements.baseline.time(baseline)
        check(found == inside_count, f"the baseline found {found:,} points this time, {inside_count:,} before")

        execute("UPDATE registry_initiative SET municipality_id = NULL, province_id = NULL")
        vacuum()
        changed = measurements.from_scratch.time(assign_areas)
        check(changed == count, f"assign_areas changed {changed:,} initiatives from scratch, expected {count:,}")
        unplaced = Initiative.objects.filter(Q(municipality__isnull=True) | Q(province__isnull=True)).count()
        check(unplaced == 0, f"{unplaced:,} initiatives have no municipality or province after assign_areas")

        changed = measurements.no_change.time(assign_areas)
        check(changed == 0, f"assign_areas changed {changed:,} initiatives on a re-run, expected none")
        print(f"run {run}/{repeat}: a {measurements.baseline.seconds[-1]:.3f} s, "
              f"b {measurements.from_scratch.seconds[-1]:.3f} s, c {measurements.no_change.seconds[-1]:.3f} s")
    # Each from-scratch run wrote a history entry per record; without this the bench database
    # grows by N x (REPEAT + 1) rows a run.
    Initiative.history.filter(history_change_reason="areas derived again from the point").delete()
    vacuum()
    return measurements


# -- the report ----------------------------------------------------------------------------------


def explain(statement: str, params: Any = None) -> str:
    return "\n".join(row[0] for row in execute(f"EXPLAIN {statement}", params))


def interpolated(statement: str, params: Any) -> str:
    """The statement as the server received it (Django's psycopg 3 binds parameters client-side)."""
    from django.db import connection

    return connection.ops.compose_sql(statement, params) if params else statement


def report(database: str, count: int, repeat: int, seeding: float | None, m: Measurements) -> str:
    version = execute("SELECT version()")[0][0]
    postgis = execute("SELECT postgis_full_version()")[0][0]
    base = m.baseline.median

    def row(series: Series) -> str:
        return (f"| {series.label} | {series.median:.3f} | {min(series.seconds):.3f} | {max(series.seconds):.3f} "
                f"| {count / series.median:,.0f} |")

    seeded = (f"seeded {count:,} initiatives in {seeding:.1f} s" if seeding is not None
              else "reused the initiatives seeded by an earlier run")
    update_sql = interpolated(textwrap.dedent(m.update_sql).strip(), m.update_params)
    lines = [
        "# Benchmark: set-based area assignment",
        "",
        f"- Date: {datetime.datetime.now().astimezone().isoformat(timespec='seconds')}",
        f"- N = {count:,} initiatives (demo data, seed {SEED}); REPEAT = {repeat} timed runs of each measurement",
        f"- Database: `{database}` ({seeded})",
        f"- Machine: {len(os.sched_getaffinity(0))} CPU cores (nproc)",
        f"- PostgreSQL: {version}",
        f"- PostGIS: {postgis}",
        f"- Points inside a current municipality (baseline count): {m.inside_count:,} of {count:,}",
        "",
        "## Results (seconds, wall clock, time.perf_counter)",
        "",
        "| measurement | median | min | max | rows/s (median) |",
        "|---|---:|---:|---:|---:|",
        row(m.baseline),
        row(m.from_scratch),
        row(m.no_change),
        "",
        f"- b/a (assignment from scratch / baseline): **{m.from_scratch.median / base:.2f}×**",
        f"- c/a (no-change re-run / baseline): **{m.no_change.median / base:.2f}×**",
        "",
        "Before b, every initiative's areas were cleared (`UPDATE registry_initiative SET municipality_id = NULL, "
        "province_id = NULL`, not timed); c ran right after b. A plain VACUUM of registry_initiative (not timed) "
        "precedes a and b; VACUUM ANALYZE of registry_initiative and ANALYZE of geo_municipality ran once before "
        "an untimed warm-up of a and c.",
        "",
        "## a. Baseline query",
        "",
        "```sql",
        BASELINE_SQL,
        "```",
        "",
        "Plan (EXPLAIN):",
        "",
        "```",
        explain(BASELINE_SQL),
        "```",
        "",
        "## b, c. The UPDATE that assign_areas issues",
        "",
        "```sql",
        update_sql,
        "```",
        "",
        "Plan (EXPLAIN):",
        "",
        "```",
        explain(m.update_sql, m.update_params),
        "```",
        "",
    ]
    return "\n".join(lines)


def main() -> None:
    count = envint("BENCH_COUNT", DEFAULT_COUNT)
    repeat = envint("BENCH_REPEAT", DEFAULT_REPEAT)
    check(count >= 1 and repeat >= 1, "BENCH_COUNT and BENCH_REPEAT must be at least 1")
    use_bench_database()
    database = prepare_schema_and_areas()
    seeding = ensure_register(count)
    measurements = measure(count, repeat)
    text = report(database, count, repeat, seeding, measurements)
    publish_report(REPORT_FILE, text)


if __name__ == "__main__":
    try:
        main()
    except BenchmarkError as error:
        sys.exit(f"Benchmark stopped: {error}")
