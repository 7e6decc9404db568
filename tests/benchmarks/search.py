"""Benchmark of the register's search (registry/search.py) on a large register.

    DEBUG=true python -m tests.benchmarks.search       # part of `make bench`
    BENCH_COUNT=2000 BENCH_REPEAT=5 ...                # a quick check

On N seeded demo initiatives (the same register as the other benchmarks, in ``<name>_bench``):

1. quality on the labelled queries of tests/search_queries.py (truth from structured fields): mean
   recall, precision (of everything found and of the first 20) and nDCG@10, by kind of query;
2. latency for a single client, by kind of query (one word, several words, with a typo), each query
   BENCH_REPEAT times after one warm-up:
   a. bare full text: the stored vector alone (`@@ plainto_tsquery`, ts_rank), the first 20 and the
      count: the floor any search over these records pays;
   b. the search's first page: the first 20 ids, ranked (InitiativeQuerySet.search);
   c. the search's first page and its count, as the API's list and the site's list ask;
   d. suggestions as you type (registry.search.suggest: places, services, 5 initiatives) for the
      query's beginnings.

Report: stdout and .bench/search-report.md.
"""

from __future__ import annotations

import datetime
import os
import statistics
from collections import defaultdict
from collections.abc import Sequence
from typing import Any

from config.env import envint
from tests.benchmarks.common import (
    BENCH_DIR,
    DEFAULT_COUNT,
    SEED,
    Series,
    check,
    ensure_register,
    execute,
    prepare_schema_and_areas,
    publish_report,
    use_bench_database,
)

REPORT_FILE = BENCH_DIR / "search-report.md"
DEFAULT_REPEAT = 20
TARGET_P95_MS = 50

LATENCY_QUERIES = {
    "one word": ["winkel", "dagbesteding", "ontmoetingsplek", "amsterdam", "zorgcoöperatie", "moestuin",
                 "repair", "dorpshuizen"],
    "several words": ["zorgcoöperatie amsterdam", "village shop", "dagbesteding utrecht", "den haag",
                      "zorg cooperatie", "buurthuis rotterdam"],
    "typo": ["amsterdm", "dagbestedding", "zorgcoperatie", "roterdam", "wijkrestaurent", "ontmoetingplek"],
}
PREFIXES = ["am", "amst", "dorpsh", "zorg co", "den b", "winke", "dagbest"]

BARE_SQL = """
SELECT s.initiative_id FROM registry_initiativesearch s JOIN registry_initiative i ON i.id = s.initiative_id
 WHERE i.publication_state = 'gepubliceerd' AND s.vector @@ plainto_tsquery('registry_search', %s)
 ORDER BY ts_rank(s.vector, plainto_tsquery('registry_search', %s)) DESC, i.name, i.id LIMIT 20"""
BARE_COUNT_SQL = """
SELECT count(*) FROM registry_initiativesearch s JOIN registry_initiative i ON i.id = s.initiative_id
 WHERE i.publication_state = 'gepubliceerd' AND s.vector @@ plainto_tsquery('registry_search', %s)"""


def percentile(values: Sequence[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[max(0, min(len(ordered) - 1, round(share * len(ordered)) - 1))]


def ms(series: Series, share: float) -> str:
    return f"{percentile(series.seconds, share) * 1000:.1f}"


def ensure_search_rows() -> None:
    """The register of an earlier run may predate the search's table: prepare what it reads."""
    from registry import documents
    from registry.models import Initiative, InitiativeSearch

    missing = Initiative.objects.count() - InitiativeSearch.objects.count()
    if missing:
        print(f"Preparing what the search reads for {missing:,} initiatives")
        documents.prepare()
    execute("VACUUM ANALYZE registry_initiativesearch")
    execute("VACUUM ANALYZE registry_searchword")
    # VACUUM as well: the API benchmark's VACUUM FULL leaves the visibility map empty, and without it
    # the published ids are read from the table (a hash of 90,000 rows) instead of their index only:
    # dagbesteding 85 ms against 38.
    execute("VACUUM ANALYZE registry_initiative")


def main() -> None:
    count = envint("BENCH_COUNT", DEFAULT_COUNT)
    repeat = envint("BENCH_REPEAT", DEFAULT_REPEAT)
    check(count >= 1 and repeat >= 1, "BENCH_COUNT and BENCH_REPEAT must be at least 1")
    use_bench_database()
    database = prepare_schema_and_areas()
    seeding = ensure_register(count)
    ensure_search_rows()

    from registry import search
    from registry.models import Initiative
    from tests.search_queries import QUERIES, means, measure_all

    published = Initiative.objects.published()

    # 1. quality
    outcomes = [o for o in measure_all(published) if o.relevant]
    check(len(outcomes) >= 60, f"only {len(outcomes)} labelled queries have records to find")
    overall = means(outcomes)
    by_category: dict[str, list[Any]] = defaultdict(list)
    for outcome in outcomes:
        by_category[outcome.query.category].append(outcome)
    weakest = sorted(outcomes, key=lambda o: (o.recall + o.precision_at_20, o.query.text))[:8]

    # 2. latency
    def page(text: str) -> list[int]:
        return list(published.search(text).best_first().values_list("pk", flat=True)[:20])

    def page_and_count(text: str) -> tuple[list[int], int]:
        found = published.search(text)
        return (list(found.best_first().values_list("pk", flat=True)[:20]),
                found.count())

    def bare(text: str) -> tuple[list[tuple[Any, ...]], int]:
        return execute(BARE_SQL, [text, text]), execute(BARE_COUNT_SQL, [text])[0][0]

    rows = []
    totals = {"bare": Series("bare"), "page": Series("page"), "both": Series("both")}
    per_kind: dict[str, dict[str, Series]] = {}
    for kind, texts in LATENCY_QUERIES.items():
        series = {"bare": Series(f"{kind}: a"), "page": Series(f"{kind}: b"), "both": Series(f"{kind}: c")}
        for text in texts:
            page(text), bare(text)  # warm-up
            for _ in range(repeat):
                for name, work in (("bare", bare), ("page", page), ("both", page_and_count)):
                    series[name].time(lambda w=work, t=text: w(t))
            found = published.search(text).count()
            rows.append((kind, text, found, bare(text)[1]))
        per_kind[kind] = series
        for name in totals:
            totals[name].seconds += series[name].seconds
        print(f"{kind}: bare p95 {ms(series['bare'], .95)} ms, page p95 {ms(series['page'], .95)} ms, "
              f"page+count p95 {ms(series['both'], .95)} ms")
    suggest = Series("suggestions")
    for text in PREFIXES:
        search.suggest(text, published)
        for _ in range(repeat):
            suggest.time(lambda t=text: search.suggest(t, published))

    version = execute("SELECT version()")[0][0]
    lines = [
        "# Benchmark: search",
        "",
        f"- Date: {datetime.datetime.now().astimezone().isoformat(timespec='seconds')}",
        f"- N = {count:,} initiatives (demo data, seed {SEED}), {published.count():,} published; "
        f"each latency query {repeat} times after a warm-up, one client, in process (ORM and database)",
        f"- Database: `{database}` ("
        + (f"seeded in {seeding:.1f} s" if seeding is not None else "reused an earlier run's register") + ")",
        f"- Machine: {len(os.sched_getaffinity(0))} CPU cores (shared); PostgreSQL: {version}",
        "",
        f"## Quality on {len(outcomes)} labelled queries (tests/search_queries.py, {len(QUERIES)} in all)",
        "",
        f"- Mean recall **{overall['recall']:.3f}**, precision@20 **{overall['precision_at_20']:.3f}**, "
        f"nDCG@10 **{overall['ndcg_at_10']:.3f}**, precision of everything found {overall['precision']:.3f}",
        "",
        "| kind of query | queries | recall | precision@20 | nDCG@10 | precision |",
        "|---|---:|---:|---:|---:|---:|",
        *[f"| {category} | {len(items)} | {statistics.fmean(o.recall for o in items):.3f} | "
          f"{statistics.fmean(o.precision_at_20 for o in items):.3f} | "
          f"{statistics.fmean(o.ndcg_at_10 for o in items):.3f} | "
          f"{statistics.fmean(o.precision for o in items):.3f} |" for category, items in sorted(by_category.items())],
        "",
        "Weakest queries:",
        "",
        "| query | relevant | found | recall | precision@20 | nDCG@10 |",
        "|---|---:|---:|---:|---:|---:|",
        *[f"| {o.query.text} | {o.relevant:,} | {o.found:,} | {o.recall:.2f} | {o.precision_at_20:.2f} | "
          f"{o.ndcg_at_10:.2f} |" for o in weakest],
        "",
        f"## Latency, single client (milliseconds; target p95 < {TARGET_P95_MS} ms)",
        "",
        "| kind of query | a. bare full text p50 | a. p95 | b. search, first 20 p50 | b. p95 | "
        "c. first 20 + count p50 | c. p95 |",
        "|---|---:|---:|---:|---:|---:|---:|",
        *[f"| {kind} | {ms(s['bare'], .5)} | {ms(s['bare'], .95)} | {ms(s['page'], .5)} | **{ms(s['page'], .95)}** | "
          f"{ms(s['both'], .5)} | {ms(s['both'], .95)} |" for kind, s in per_kind.items()],
        f"| all | {ms(totals['bare'], .5)} | {ms(totals['bare'], .95)} | {ms(totals['page'], .5)} | "
        f"**{ms(totals['page'], .95)}** | {ms(totals['both'], .5)} | {ms(totals['both'], .95)} |",
        "",
        f"- Suggestions as you type ({', '.join(repr(p) for p in PREFIXES)}): p50 {ms(suggest, .5)} ms, "
        f"p95 {ms(suggest, .95)} ms",
        "",
        "| kind | query | found by the search | found by bare full text |",
        "|---|---|---:|---:|",
        *[f"| {kind} | {text} | {found:,} | {bare_found:,} |" for kind, text, found, bare_found in rows],
    ]
    publish_report(REPORT_FILE, "\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
