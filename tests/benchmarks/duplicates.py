"""Benchmark of the duplicate search (registry/duplicates.py) on a large register.

    DEBUG=true python -m tests.benchmarks.duplicates      # part of `make bench`
    BENCH_COUNT=2000 BENCH_REPEAT=3 ...                   # a quick check

On N seeded demo initiatives (the same register as the other benchmarks, in ``<name>_bench``; with
REGISTRY_DB_NAME, a work tree's own ``<REGISTRY_DB_NAME>_bench``):

a. baseline, whole register: the bare spatial self-join that counts the pairs within RADIUS_M
   (the floor: no search for close, alike pairs can skip finding the close ones);
b. find_all() from scratch (the pair table emptied first): the set-based search of
   `manage.py find_duplicates` and the nightly run: candidates in SQL, scored in Python, stored;
c. find_all() again right after b (nothing new: the cost of a routine re-run);
d. baseline, one record: the records within RADIUS_M of one record (`near`), for SAMPLE records;
e. find_all([record]) for the same records: what a save or an import row pays (search and store);
f. similar_to(record): the search for a record not saved (a suggestion under review).

Then the score's precision and recall on the labelled evaluation set (tests/registry/
duplicate_evaluation.py), on a register holding only that set (the register is emptied inside a
transaction that is rolled back, so the 100,000 records stay).

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
    clear_register,
    ensure_register,
    execute,
    own_database,
    prepare_schema_and_areas,
    publish_report,
    use_bench_database,
)
from tests.registry import duplicate_evaluation

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
    own_database()
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
        close_pairs = whole[0].time(lambda: execute(CLOSE_PAIRS_SQL, [duplicates.RADIUS_M])[0][0])
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
              Series("e. find_all([record]): the search on save, stored"),
              Series("f. similar_to(record): the search for a record not saved")]
    matches = 0
    for initiative in sample:
        single[0].time(lambda i=initiative: Initiative.objects.near(i.location, duplicates.RADIUS_M).count())
        single[1].time(lambda i=initiative: duplicates.find_all([i.pk]))
        matches += single[2].time(lambda i=initiative: len(duplicates.similar_to(i)))

    examples = list(DuplicateCandidate.objects.select_related("first", "second")
                    .order_by("score", "pk")[:: max(1, stored // 8)][:8]) if stored else []
    evaluation, evaluation_seconds = evaluate()
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
        f"- Rule: a score of at least {duplicates.MIN_SCORE} (registry/duplicates.py) over candidates within "
        f"{duplicates.RADIUS_M} m (+{duplicates.POSTCODE_SLACK_M} m for a postcode's centre) with names at all "
        f"alike, or sharing an identifier",
        f"- Pairs within the distance: {close_pairs:,}; of which proposed: {found:,}; "
        f"single-record searches found {matches} pairs for {len(sample)} records",
        "",
        "## The score on the labelled evaluation set",
        "",
        f"tests/registry/duplicate_evaluation.py, seed {duplicate_evaluation.SEED}: "
        f"{evaluation.true_pairs} true pairs among {evaluation.records} records; the search proposed "
        f"{evaluation.proposed} pairs in {evaluation_seconds:.2f} s (a register of only these records).",
        "",
        "| precision | recall | target |",
        "|---:|---:|---|",
        f"| **{evaluation.precision:.3f}** | **{evaluation.recall:.3f}** | recall ≥ 0.95 at precision ≥ 0.90 |",
        "",
        "Missed pairs:",
        "",
        *[f"- {first.name} ({first.role}) / {second.name} ({second.role})" for first, second in evaluation.missed],
        "",
        "Wrong proposals:",
        "",
        *[f"- {first.name} / {second.name}: {score:.2f}, {why}" for first, second, score, why in evaluation.wrong],
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
        f"- e/d: **{single[1].median / single[0].median:.2f}×**; f/d: **{single[2].median / single[0].median:.2f}×**",
        "",
        "## Examples of proposed pairs in the demo register (evenly spread over the score)",
        "",
        "| score | distance (m) | first | second | why |",
        "|---:|---:|---|---|---|",
        *[f"| {c.score:.2f} | {c.distance_m:.0f} | {c.first.name} | {c.second.name} | "
          f"{duplicates.explain(c.reasons)} |" for c in examples],
        "",
        "## The set-based search (find_all)",
        "",
        "```sql",
        "-- each record once: normalised name and place, identifiers, neighbour marks; its own GiST index",
        "CREATE TEMPORARY TABLE duplicate_search_keys ON COMMIT DROP AS SELECT id, location::geography ...,",
        "       registry_name_key(name), registry_name_key(place), <kvk, e-mail, website, phone keys>, marks",
        "  FROM registry_initiative;  CREATE INDEX ... USING gist (geog); ANALYZE ...;",
        "WITH pairs AS MATERIALIZED (",
        "  SELECT p.id, r.id FROM keys p JOIN keys r ON r.id > p.id AND ST_DWithin(r.geog, p.geog, <radius>)",
        "   WHERE p.marks = r.marks AND (p.name_key = r.name_key OR similarity(p.name_key, r.name_key) >= <key>)",
        "  UNION <the same from postcode-located records, radius + slack>",
        "  UNION <pairs sharing a KvK number / e-mail / website domain / phone, hash joins, umbrellas left out>)",
        "SELECT <both keys, similarity, distance, precisions, identifiers equal / different> FROM pairs JOIN keys ...",
        "```",
        "",
        "then the score in Python over those rows, and one INSERT ... SELECT FROM unnest(...) ON CONFLICT.",
        "",
    ]
    text = "\n".join(lines)
    publish_report(REPORT_FILE, text)
    DuplicateCandidate.objects.all().delete()  # the other benchmarks expect a register without review state


def evaluate() -> tuple[duplicate_evaluation.Result, float]:
    """Precision and recall on the labelled set, on a register of only its records; rolled back."""
    import time

    from django.db import transaction

    started = time.perf_counter()
    with transaction.atomic():
        clear_register()
        result = duplicate_evaluation.evaluate()
        transaction.set_rollback(True)
    return result, time.perf_counter() - started


if __name__ == "__main__":
    try:
        main()
    except BenchmarkError as error:
        sys.exit(f"Benchmark stopped: {error}")
