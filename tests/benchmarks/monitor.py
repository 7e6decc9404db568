"""Benchmark of the annual monitor on a large register: the national monitor's figures, its page and its PDF.

    DEBUG=true python -m tests.benchmarks.monitor                          # part of `make bench`
    REGISTRY_DB_NAME=monitor DEBUG=true python -m tests.benchmarks.monitor   # its own database
    BENCH_COUNT=2000 BENCH_REPEAT=3 ...                                    # a quick check

On N seeded demo initiatives (the same register as the other benchmarks, in ``<name>_bench``), in this
process through Django's test client, anonymous, DEBUG off, with the response cache as in production:

a. computing the national monitor of this year (registry.monitor.compute: its SQL and the
   Kaplan–Meier curves), REPEAT times, nothing kept; and the same for one province;
b. the page /monitor/<year>: the first request after a change of the register (the monitor is
   computed, kept, the page rendered and kept), then REPEAT requests answered from the cache;
c. the PDF /monitor/<year>.pdf: the first request (the kept monitor, the page rendered by WeasyPrint,
   kept), then REPEAT requests answered from the cache.

"After a change" is simulated by emptying the response cache, which is what a new version of the
register amounts to for these keys. Report: stdout and .bench/monitor-report.md.
"""

from __future__ import annotations

import datetime
import os
import pickle
import sys
import time

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
    own_database,
    prepare_schema_and_areas,
    publish_report,
    use_bench_database,
)

REPORT_FILE = BENCH_DIR / "monitor-report.md"
DEFAULT_REPEAT = 5
PROVINCE = "PV28"


def main() -> None:
    count = envint("BENCH_COUNT", DEFAULT_COUNT)
    repeat = envint("BENCH_REPEAT", DEFAULT_REPEAT)
    check(count >= 1 and repeat >= 1, "BENCH_COUNT and BENCH_REPEAT must be at least 1")
    own_database()
    use_bench_database()
    database = prepare_schema_and_areas()
    seeding = ensure_register(count)

    from django.core.cache import caches
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext, override_settings
    from django.utils import timezone

    from registry.models import Initiative, YearlyFigures
    from registry.monitor import compute, find_area
    from registry.operations.demo import demo_figures

    year = timezone.localdate().year
    # The monitor's income section sums yearly figures: a register seeded before they existed gets the
    # demo's share of them now (about 45% of the records, each year from 2021 that it ran).
    figures_made = None
    if not YearlyFigures.objects.exists():
        started = time.perf_counter()
        demo_figures(list(Initiative.objects.only("pk", "slug", "founded_year", "stopped_on", "kind_id")), SEED)
        figures_made = time.perf_counter() - started
    figure_rows = YearlyFigures.objects.count()
    figure_years = YearlyFigures.objects.values("year").distinct().count()
    execute("ANALYZE")
    published = Initiative.objects.published().count()

    compute_national, compute_province = Series("a. compute, the Netherlands"), Series(f"a. compute, {PROVINCE}")
    with CaptureQueriesContext(connection) as captured:
        monitor = compute(year, find_area(None), "bench")
    statements = len(captured.captured_queries)
    check(monitor.figure("running").value > 0, "the national monitor counts no running initiatives")
    kept_bytes = len(pickle.dumps(monitor))
    for _ in range(repeat):
        compute_national.time(lambda: compute(year, find_area(None), "bench"))
        compute_province.time(lambda: compute(year, find_area(PROVINCE), "bench"))

    page_first, page_kept = Series("b. page, first request"), Series("b. page, kept")
    pdf_first, pdf_kept = Series("c. PDF, first request"), Series("c. PDF, kept")
    with override_settings(DEBUG=False, ALLOWED_HOSTS=["testserver"], PAGE_CACHE=True):
        client = Client()
        client.get("/over")  # the first request of a process loads templates and translations
        pdf_bytes = 0
        for _ in range(repeat):
            caches["responses"].clear()
            response = page_first.time(lambda: client.get(f"/monitor/{year}"))
            check(response.status_code == 200, f"/monitor/{year} answered {response.status_code}")
            response = pdf_first.time(lambda: client.get(f"/monitor/{year}.pdf"))
            check(response.status_code == 200 and response.content.startswith(b"%PDF"),
                  f"/monitor/{year}.pdf answered {response.status_code}")
            pdf_bytes = len(response.content)
            for _ in range(repeat):
                page_kept.time(lambda: client.get(f"/monitor/{year}"))
                pdf_kept.time(lambda: client.get(f"/monitor/{year}.pdf"))
        page_bytes = len(client.get(f"/monitor/{year}").content)

    version = execute("SELECT version()")[0][0]

    def row(series: Series) -> str:
        return (f"| {series.label} | {series.median * 1000:.0f} | {min(series.seconds) * 1000:.0f} "
                f"| {max(series.seconds) * 1000:.0f} | {len(series.seconds)} |")

    lines = [
        "# Benchmark: the annual monitor",
        "",
        f"- Date: {datetime.datetime.now().astimezone().isoformat(timespec='seconds')}",
        f"- N = {count:,} initiatives (demo data, seed {SEED}), {published:,} published; monitor year {year}",
        f"- Database: `{database}` ("
        + (f"seeded in {seeding:.1f} s" if seeding is not None else "reused an earlier run's register") + ")",
        f"- Machine: {len(os.sched_getaffinity(0))} CPU cores; PostgreSQL: {version}",
        f"- Yearly figures: {figure_rows:,} records over {figure_years} years ("
        + (f"made now, in {figures_made:.1f} s" if figures_made is not None else "made by an earlier run") + ")",
        "- In process (Django's test client, anonymous, DEBUG off), the response cache in the database as in "
        "production",
        f"- The national monitor: {statements} SQL statements to compute, {kept_bytes / 1024:.0f} KiB kept; "
        f"page {page_bytes / 1024:.0f} KiB, PDF {pdf_bytes / 1024:.0f} KiB",
        "",
        "## Times (milliseconds)",
        "",
        "| what | median | min | max | runs |",
        "|---|---:|---:|---:|---:|",
        row(compute_national), row(compute_province), row(page_first), row(page_kept), row(pdf_first),
        row(pdf_kept),
        "",
        "A first request after a change of the register pays for the monitor once (a) and renders what",
        "it asked for; every later request for the same year, area and language, of the page or the PDF, is",
        "a read of the kept answer, until the register changes again.",
        "",
    ]
    publish_report(REPORT_FILE, "\n".join(lines))


if __name__ == "__main__":
    try:
        main()
    except BenchmarkError as error:
        sys.exit(f"Benchmark stopped: {error}")
