"""Benchmark of the duplicate search (registry/duplicates.py) on a large register.

    DEBUG=true python -m tests.benchmarks.duplicates      # part of `make bench`
    BENCH_COUNT=2000 BENCH_REPEAT=3 ...                   # a quick check

On N seeded demo initiatives (the same register as the other benchmarks, in ``<name>_bench``):

a. baseline, whole register: the bare spatial self-join that counts the pairs within DISTANCE_M
   (the floor: no search for close, similar pairs can skip finding the close ones);
b. find_all() from scratch (the pair table emptied first): the set-based search of
   `manage.py find_duplicates`, which also compares the names and writes the pairs;
c. find_all() again right after b (nothing new: the cost of a routine re-run);
d. baseline, one record: the records within DISTANCE_M of one record (`near`), for SAMPLE records;
e. similar_to(record) for the same records: what a save or an import row pays.

Report: stdout and .bench/duplicates-report.md.
"""

from __future__ import annotations

import datetime
import os
import random
import sys

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

REPORT_FILE = BENCH_DIR / "duplicates-report.md"
DEFAULT_REPEAT = 3
SAMPLE = 200

CLOSE_PAIRS_SQL = """\
SELECT count(*)
  FROM registry_initiative a
  JOIN registry_initiative b
    ON b.id > a.id AND ST_DWithin(a.location::geography(Point,4326), b.location::geography(Point,4326), %s)"""


def main() -> None:
    count = envint("BENCH_COUNT", DEFAULT_COUNT)
    repeat = envint("BENCH_REPEAT", DEFAULT_REPEAT)
    check(count >= 1 and repeat >= 1, "BENCH_COUNT and BENCH_REPEAT must be at least 1")
    use_bench_database()
    database = prepare_schema_and_areas()
    seeding = ensure_register(count)

    from registry import duplicates
    from registry.models import DuplicateCandidate, Initiative

    execute("ANALYZE registry_initiative")
    whole = [Series("a. baseline: pairs within the distance (spatial self-join, SQL)"),
             Series("b. find_all() from scratch"), Series("c. find_all() re-run, nothing new")]
    close_pairs = found = 0
    for run in range(1, repeat + 1):
        close_pairs = whole[0].time(lambda: execute(CLOSE_PAIRS_SQL, [duplicates.DISTANCE_M])[0][0])
        DuplicateCandidate.objects.all().delete()
        found = whole[1].time(duplicates.find_all)
        again = whole[2].time(duplicates.find_all)
        check(again == 0, f"a re-run found {again} new pairs, expected none")
        print(f"run {run}/{repeat}: a {whole[0].seconds[-1]:.2f} s, b {whole[1].seconds[-1]:.2f} s, "
              f"c {whole[2].seconds[-1]:.2f} s")
    stored = DuplicateCandidate.objects.count()
    check(stored == found, f"find_all reported {found} pairs, the table holds {stored}")

    rng = random.Random(SEED)
    ids = list(Initiative.objects.values_list("pk", flat=True))
    sample = list(Initiative.objects.filter(pk__in=rng.sample(ids, min(SAMPLE, len(ids)))))
    single = [Series("d. baseline: records within the distance of one record (near)"),
              Series("e. similar_to(one record)")]
    matches = 0
    for initiative in sample:
        single[0].time(lambda i=initiative: Initiative.objects.near(i.location, duplicates.DISTANCE_M).count())
        matches += single[1].time(lambda i=initiative: len(list(duplicates.similar_to(i))))

    examples = list(DuplicateCandidate.objects.select_related("first", "second")
                    .order_by("name_similarity", "pk")[:: max(1, stored // 8)][:8]) if stored else []
    version = execute("SELECT version()")[0][0]
    lines = [
        "# Benchmark: duplicate search",
        "",
        f"- Date: {datetime.datetime.now().astimezone().isoformat(timespec='seconds')}",
        f"- N = {count:,} initiatives (demo data, seed {SEED}); {repeat} timed runs of a–c; d and e on {len(sample)} "
        "random records each",
        f"- Database: `{database}` ("
        + (f"seeded in {seeding:.1f} s" if seeding is not None else "reused an earlier run's register") + ")",
        f"- Machine: {len(os.sched_getaffinity(0))} CPU cores; PostgreSQL: {version}",
        f"- Rule: names at least {duplicates.NAME_SIMILARITY} alike (pg_trgm similarity) within "
        f"{duplicates.DISTANCE_M} m (geography)",
        f"- Pairs within the distance: {close_pairs:,}; of which similar enough (candidates): {found:,}; "
        f"single-record searches found {matches} candidates for {len(sample)} records",
        "",
        "## Whole register (seconds)",
        "",
        "| measurement | median | min | max |",
        "|---|---:|---:|---:|",
        *[f"| {s.label} | {s.median:.2f} | {min(s.seconds):.2f} | {max(s.seconds):.2f} |" for s in whole],
        "",
        f"- b/a: **{whole[1].median / whole[0].median:.2f}×**; c/a: **{whole[2].median / whole[0].median:.2f}×**",
        "",
        "## One record (milliseconds)",
        "",
        "| measurement | median | p95 | max |",
        "|---|---:|---:|---:|",
        *[f"| {s.label} | {s.median * 1000:.2f} | {sorted(s.seconds)[int(len(s.seconds) * 0.95) - 1] * 1000:.2f} "
          f"| {max(s.seconds) * 1000:.2f} |" for s in single],
        "",
        f"- e/d: **{single[1].median / single[0].median:.2f}×**",
        "",
        "## Examples of candidate pairs (evenly spread over the similarity)",
        "",
        "| similarity | distance (m) | first | second |",
        "|---:|---:|---|---|",
        *[f"| {c.name_similarity:.2f} | {c.distance_m:.0f} | {c.first.name} | {c.second.name} |" for c in examples],
        "",
        "## The set-based search (find_all)",
        "",
        "```sql",
        "INSERT INTO registry_duplicatecandidate (...)",
        "SELECT a.id, b.id, similarity(a.name, b.name), ST_Distance(<a, b as geography>), ...",
        "  FROM registry_initiative a JOIN registry_initiative b",
        "    ON b.id > a.id AND ST_DWithin(a.location::geography(Point,4326), b.location::geography(Point,4326), <m>)",
        " WHERE similarity(a.name, b.name) >= <similarity>",
        "ON CONFLICT (first_id, second_id) DO NOTHING",
        "```",
        "",
    ]
    text = "\n".join(lines)
    publish_report(REPORT_FILE, text)
    DuplicateCandidate.objects.all().delete()  # the other benchmarks expect a register without review state


if __name__ == "__main__":
    try:
        main()
    except BenchmarkError as error:
        sys.exit(f"Benchmark stopped: {error}")
