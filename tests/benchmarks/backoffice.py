"""Benchmark of the back office on a large register: the admin's list of initiatives and the work overview.

    DEBUG=true python -m tests.benchmarks.backoffice                          # part of `make bench`
    REGISTRY_DB_NAME=backoffice DEBUG=true python -m tests.benchmarks.backoffice   # its own database
    BENCH_COUNT=2000 BENCH_REPEAT=3 ...                                       # a quick check

On N seeded demo initiatives (the same register as the other benchmarks, in ``<name>_bench``) with
work waiting (a suggestion per 500 records, the duplicate search of the whole register, imports
waiting and failed, 500 records assigned to an editor), each page is requested REPEAT times in this
process through Django's test client, logged in, with DEBUG off and no cache in front (admin pages
are never cached), as a national administrator and as the editor of Zuid-Holland:

a. the list of initiatives (first page of 100, the default order by name, with its counts);
b. the same list filtered on records to verify (a list filter that is not a column);
c. the work overview (every count of it is a list's count, plus the best pairs and recent changes);
d.–f. the list searched (registry.search): a name with a typo, a postcode area (PC4), a place by
   its common name ("Den Bosch").

Beside each page: its SQL alone, that is every statement the page sent (captured from one request,
run back to back on the same connection), which is the floor for that page; the rest is Python
(forms, filters, templates). Review state is removed again afterwards, as the other benchmarks expect
a register without it. Report: stdout and .bench/backoffice-report.md.
"""

from __future__ import annotations

import datetime
import os
import re
import sys
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
    own_database,
    prepare_schema_and_areas,
    publish_report,
    use_bench_database,
)

REPORT_FILE = BENCH_DIR / "backoffice-report.md"
DEFAULT_REPEAT = 7
PAGES = [
    ("a. list of initiatives", "/admin/registry/initiative/"),
    ("b. list, records to verify", "/admin/registry/initiative/?freshness=stale"),
    ("c. work overview", "/admin/"),
    # The admin's search (registry.search, issue 19): a name with a typo, a postcode area, a place.
    ("d. search, name with a typo", "/admin/registry/initiative/?q=Dorpswinkl+De+Falom"),
    ("e. search, postcode area", "/admin/registry/initiative/?q=5701"),
    ("f. search, place by its common name", "/admin/registry/initiative/?q=Den+Bosch"),
]
USERS = ("bench-beheerder", "bench-redacteur")


@dataclass
class Measured:
    label: str
    role: str
    rows: int | None
    queries: int
    page: Series
    sql: Series


def add_work(count: int) -> dict[str, Any]:
    """Users of both roles and the work the overview shows; returns what was made, to count and remove."""
    from django.contrib.auth import get_user_model

    from registry import actions, duplicates
    from registry.models import ImportRun, Initiative, Maintainer, Suggestion, SuggestionKind
    from tests.maintainers import administrator, editor

    get_user_model().objects.filter(username__in=USERS).delete()
    users = {"administrator": administrator(USERS[0]), "editor": editor(USERS[1], "PV28")}
    check(Maintainer.objects.filter(user__username__in=USERS).count() == 2, "the benchmark's users are missing")
    every = Initiative.objects.order_by("pk").values_list("pk", "municipality_id", "province_id")
    waiting = [Suggestion(kind=SuggestionKind.CORRECTION, initiative_id=pk, proposed={"phone": "071 111 1111"},
                          municipality_id=municipality, province_id=province)
               for pk, municipality, province in list(every)[::500]]
    Suggestion.objects.bulk_create(waiting)
    pairs = duplicates.find_all()
    for n in range(20):
        ImportRun.objects.create(file_name=f"lijst-{n}.csv", content=b"", source="Benchmark",
                                 created_by=users["editor" if n % 2 else "administrator"],
                                 report={"counts": {"created": 10, "updated": 0, "unchanged": 0, "error": n % 3},
                                         "file_errors": [], "rows": []})
    in_zh = Initiative.objects.filter(province__code="PV28").order_by("pk").values("pk")[:500]
    actions.assign_many(Initiative.objects.filter(pk__in=in_zh), users["editor"], acting_user=None)
    return {"users": users, "suggestions": len(waiting), "pairs": pairs}


def remove_work() -> None:
    from django.contrib.auth import get_user_model

    from registry.models import DuplicateCandidate, ImportRun, Initiative, Suggestion

    Suggestion.objects.all().delete()
    DuplicateCandidate.objects.all().delete()
    ImportRun.objects.filter(source="Benchmark").delete()
    Initiative.objects.filter(assigned_to__username__in=USERS).update(assigned_to=None)
    get_user_model().objects.filter(username__in=USERS).delete()


def listed_rows(html: str) -> int | None:
    """The number of rows an admin list says it holds (its paginator, after the page links)."""
    found = re.search(r'<p class="paginator">(.*?)</p>', html, re.DOTALL)
    if found is None:
        return None
    text = re.sub(r"<(a|span)\b[^>]*>.*?</\1>", "", found.group(1), flags=re.DOTALL)
    number = re.search(r"(\d+)", text)
    return int(number.group(1)) if number else None


def measure(client: Any, role: str, label: str, path: str, repeat: int) -> Measured:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as captured:
        response = client.get(path)
    check(response.status_code == 200, f"{path} as {role} answered {response.status_code}")
    statements = [query["sql"] for query in captured.captured_queries
                  if not query["sql"].startswith(("SAVEPOINT", "RELEASE SAVEPOINT"))]
    rows = listed_rows(response.content.decode())
    page, sql = Series(f"{label} ({role})"), Series("its SQL alone")
    for _ in range(repeat):
        page.time(lambda: client.get(path))
        sql.time(lambda: [execute(statement) for statement in statements])
    return Measured(label, role, rows, len(statements), page, sql)


def main() -> None:
    count = envint("BENCH_COUNT", DEFAULT_COUNT)
    repeat = envint("BENCH_REPEAT", DEFAULT_REPEAT)
    check(count >= 1 and repeat >= 1, "BENCH_COUNT and BENCH_REPEAT must be at least 1")
    own_database()
    use_bench_database()
    database = prepare_schema_and_areas()
    seeding = ensure_register(count)

    from django.test import Client
    from django.test.utils import override_settings

    from registry.models import Initiative

    try:
        work = add_work(count)
        execute("ANALYZE")
        results = []
        with override_settings(DEBUG=False, ALLOWED_HOSTS=["testserver"]):
            for role, user in work["users"].items():
                client = Client()
                client.force_login(user)
                client.get("/admin/")  # the first request of a process loads templates and translations
                for label, path in PAGES:
                    results.append(measure(client, role, label, path, repeat))
                    print(f"{results[-1].page.label}: {results[-1].page.median * 1000:.0f} ms "
                          f"(SQL {results[-1].sql.median * 1000:.0f} ms)")
        stale = Initiative.objects.stale().count()  # type: ignore[attr-defined]
    finally:
        remove_work()

    version = execute("SELECT version()")[0][0]
    lines = [
        "# Benchmark: the back office (admin list, search and work overview)",
        "",
        f"- Date: {datetime.datetime.now().astimezone().isoformat(timespec='seconds')}",
        f"- N = {count:,} initiatives (demo data, seed {SEED}); {repeat} timed requests per page, in process "
        "(Django's test client, logged in, DEBUG off, no cache)",
        f"- Database: `{database}` ("
        + (f"seeded in {seeding:.1f} s" if seeding is not None else "reused an earlier run's register") + ")",
        f"- Machine: {len(os.sched_getaffinity(0))} CPU cores; PostgreSQL: {version}",
        f"- Work waiting: {work['suggestions']} suggestions, {work['pairs']:,} possible duplicates, 20 imports, "
        f"500 records assigned to the editor; {stale:,} records to verify",
        "- Roles: a national administrator (the whole register) and the editor of Zuid-Holland",
        "",
        "## Median times (milliseconds)",
        "",
        "| page | as | rows in the list | statements | page median | min | max | its SQL alone | SQL share |",
        "|---|---|---:|---:|---:|---:|---:|---:|---:|",
        *[f"| {m.label} | {m.role} | {'' if m.rows is None else f'{m.rows:,}'} | {m.queries} "
          f"| {m.page.median * 1000:.0f} | {min(m.page.seconds) * 1000:.0f} | {max(m.page.seconds) * 1000:.0f} "
          f"| {m.sql.median * 1000:.0f} | {m.sql.median / m.page.median:.0%} |" for m in results],
        "",
        "The list's statements are its counts (all rows, and the rows of the filter), its first page of 100,",
        "and the choices of its filters; the overview's are the counts of the lists it links to (each the",
        "list's own count), the best pairs and the recent changes of the region.",
        "",
    ]
    publish_report(REPORT_FILE, "\n".join(lines))


if __name__ == "__main__":
    try:
        main()
    except BenchmarkError as error:
        sys.exit(f"Benchmark stopped: {error}")
