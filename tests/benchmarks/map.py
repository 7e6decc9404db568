"""Benchmark of the public map with the whole register: page size, data endpoint, time to clusters.

    make bench                                    # all benchmarks
    DEBUG=true python -m tests.benchmarks.map     # this one alone
    BENCH_COUNT=2000 make bench                   # a quick check

On the benchmark's own database (``registry_bench``, seeded with BENCH_COUNT demo initiatives,
100,000 by default, shared with the other benchmarks), it serves the project with gunicorn in
production mode (DEBUG=false, static files by WhiteNoise) and measures, in one run:

1. the size of the map page's HTML, as sent and gzipped;
2. the server time of the map's data endpoint (/api/v1/initiatives/map) for the whole country and
   for the municipality with the most initiatives, with the response cache off (every answer
   computed) and on (repeated requests), as seen by a client on the loopback interface; next to
   it the bare SQL that builds the same GeoJSON in the database, run in this process;
3. the time until headless Chromium shows the clusters: from the start of navigation until the
   first cluster icon is in the page and until the count of results is written, each in a fresh
   browser context (nothing cached); and how long a jump to another zoom level takes to redraw.

Medians over BENCH_MAP_REPEAT runs (default 7; Chromium runs: BENCH_BROWSER_REPEAT, default 5).
The report goes to stdout and .bench/map-report.md.
"""

from __future__ import annotations

import datetime
import gzip
import json
import os
import secrets
import statistics
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.request import Request, build_opener

from config.env import envint
from tests.benchmarks.api import HOST, code_version, gunicorn, machine_facts
from tests.benchmarks.common import (
    BENCH_DIR,
    DEFAULT_COUNT,
    Series,
    check,
    ensure_register,
    prepare_schema_and_areas,
    publish_report,
    use_bench_database,
)

REPORT_FILE = BENCH_DIR / "map-report.md"
PAGE_TARGET_BYTES = 100 * 1024
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--no-first-run", "--disable-sync", "--disable-default-apps", "--disable-extensions"]
# Written into every page before its own scripts: when the first cluster icon appears.
FIRST_CLUSTER_PROBE = """
new MutationObserver((changes, observer) => {
  if (document.querySelector('.marker-cluster')) {
    window.__firstCluster = performance.now();
    observer.disconnect();
  }
}).observe(document, {childList: true, subtree: true});
"""


@dataclass
class Fetched:
    status: int
    body: bytes
    encoding: str
    seconds: float


def fetch(url: str, *, gzip_ok: bool = False) -> Fetched:
    opener = build_opener()
    request = Request(url, headers={"Accept-Encoding": "gzip"} if gzip_ok else {})
    started = time.perf_counter()
    with opener.open(request, timeout=120) as response:
        body = response.read()
        seconds = time.perf_counter() - started
        return Fetched(response.status, body, response.headers.get("Content-Encoding", ""), seconds)


@dataclass
class Endpoint:
    label: str
    path: str
    features: int = 0
    raw_bytes: int = 0
    gzip_bytes: int = 0
    computed: Series = field(default_factory=lambda: Series("computed"))
    cached: Series = field(default_factory=lambda: Series("cached"))
    sql: Series = field(default_factory=lambda: Series("sql"))


@dataclass
class BrowserRun:
    first_cluster_ms: float
    all_markers_ms: float
    data_ms: float
    data_transfer_bytes: int
    redraw_ms: list[float]


def measure_sql(endpoint: Endpoint, code: str | None, repeat: int) -> None:
    from registry import documents
    from registry.models import Initiative

    queryset = Initiative.objects.published()
    if code:
        queryset = queryset.filter(municipality__code=code)
    for _ in range(repeat):
        text = endpoint.sql.time(lambda: documents.map_features(queryset))
    check(len(json.loads(text)["features"]) == endpoint.features,
          f"the bare SQL found another number of features than {endpoint.path}")


def measure_endpoint(endpoint: Endpoint, base_url: str, repeat: int, series: Series) -> None:
    first = fetch(base_url + endpoint.path)
    check(first.status == 200, f"{endpoint.path} answered {first.status}")
    endpoint.features = len(json.loads(first.body)["features"])
    endpoint.raw_bytes = len(first.body)
    zipped = fetch(base_url + endpoint.path, gzip_ok=True)
    check(zipped.encoding == "gzip", f"{endpoint.path} was not compressed")
    check(gzip.decompress(zipped.body) == first.body, "the compressed answer differs from the plain one")
    endpoint.gzip_bytes = len(zipped.body)
    for _ in range(repeat):
        series.time(lambda: fetch(base_url + endpoint.path, gzip_ok=True))


def browser_runs(base_url: str, expected: int, repeat: int) -> list[BrowserRun]:
    from playwright.sync_api import sync_playwright

    runs = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        for _ in range(repeat):
            context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="nl-NL")
            page = context.new_page()
            page.add_init_script(FIRST_CLUSTER_PROBE)
            page.goto(base_url + "/")
            page.wait_for_function("n => document.getElementById('map-count').dataset.count === String(n)",
                                   arg=expected, timeout=180_000, polling=50)
            page.wait_for_function("() => window.__firstCluster !== undefined", timeout=60_000)
            timing = page.evaluate("""() => {
                const data = performance.getEntriesByType('resource').find(e => e.name.includes('/initiatives/map'));
                return {first: window.__firstCluster, all: performance.now(),
                        data: data.responseEnd - data.startTime, transfer: data.transferSize};
            }""")
            # A jump to each zoom level redraws the clusters in view synchronously (moveend): how
            # long panning and zooming keep the page busy.
            redraw = page.evaluate("""() => [7, 9, 11, 13, 15, 17].map(zoom => {
                const started = performance.now();
                map_initiatives.setView([52.1, 5.1], zoom, {animate: false});
                return performance.now() - started;
            })""")
            runs.append(BrowserRun(timing["first"], timing["all"], timing["data"], timing["transfer"], redraw))
            context.close()
        browser.close()
    return runs


def fmt_ms(seconds: float) -> str:
    return f"{seconds * 1000:,.0f} ms"


def fmt_kb(size: float) -> str:
    return f"{size / 1024:,.1f} KB"


def main() -> None:
    count = envint("BENCH_COUNT", DEFAULT_COUNT)
    repeat = envint("BENCH_MAP_REPEAT", 7)
    browser_repeat = envint("BENCH_BROWSER_REPEAT", 5)
    database_url = use_bench_database()
    database = prepare_schema_and_areas()
    ensure_register(count)

    from registry.models import Initiative

    published = Initiative.objects.published()
    total = published.count()
    busiest = published.counts_by("municipality__code", "municipality__name")
    busiest_row = max(busiest, key=lambda row: row["count"])
    code, name = busiest_row["municipality__code"], busiest_row["municipality__name"]
    endpoints = {
        None: Endpoint("whole country", "/api/v1/initiatives/map"),
        code: Endpoint(f"{name} ({code})", f"/api/v1/initiatives/map?municipality={code}"),
    }

    base_environment = {**os.environ, "DEBUG": "false", "SECRET_KEY": secrets.token_urlsafe(50),
                        "ALLOWED_HOSTS": HOST, "DATABASE_URL": database_url, "API_ANON_RATE": "1000000/second",
                        # Tiles from the server itself (404s, answered at once): the run needs no internet.
                        "MAP_TILE_URL": "/static/no-tiles/{z}/{x}/{y}.png", "SECURE_COOKIES": "false",
                        # Plain HTTP on loopback: no TLS proxy in front to send it to.
                        "SECURE_SSL_REDIRECT": "false"}
    page_bytes = page_gzip_bytes = 0
    runs: list[BrowserRun] = []
    for cache_on in (False, True):
        environment = {**base_environment, "API_RESPONSE_CACHE": "true" if cache_on else "false"}
        with gunicorn(environment, workers=3) as (base_url, _server):
            for endpoint_code, endpoint in endpoints.items():
                series = endpoint.cached if cache_on else endpoint.computed
                measure_endpoint(endpoint, base_url, repeat, series)
                if not cache_on:
                    measure_sql(endpoint, endpoint_code, repeat)
            if not cache_on:
                page = fetch(base_url + "/")
                check(page.status == 200, f"/ answered {page.status}")
                page_bytes = len(page.body)
                page_gzip_bytes = len(gzip.compress(page.body))
            else:
                runs = browser_runs(base_url, total, browser_repeat)
    write_report(database, count, total, endpoints.values(), page_bytes, page_gzip_bytes, runs, repeat)


def write_report(database: str, count: int, total: int, endpoints: Any, page_bytes: int, page_gzip_bytes: int,
                 runs: list[BrowserRun], repeat: int) -> None:
    median = statistics.median
    lines = [
        "# Map benchmark",
        "",
        f"{datetime.datetime.now(datetime.UTC):%Y-%m-%d %H:%M} UTC · code {code_version()} · database "
        f"`{database}` with {count:,} initiatives ({total:,} published) · {repeat} requests per median",
        "",
        *machine_facts(),
        "",
        "## The map page",
        "",
        f"- HTML of `/`: **{fmt_kb(page_bytes)}** as sent ({fmt_kb(page_gzip_bytes)} gzipped); target under "
        f"{fmt_kb(PAGE_TARGET_BYTES)}: {'met' if page_bytes < PAGE_TARGET_BYTES else 'NOT met'}. The initiatives "
        "are not in it: the map fetches them.",
        "",
        "## The data endpoint (server time seen by a loopback client, gzip)",
        "",
        "| Area | Features | Size (raw / gzip) | Bare SQL in process | API, cache off | ratio | API, cache on |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    for endpoint in endpoints:
        lines.append(
            f"| {endpoint.label} | {endpoint.features:,} | {fmt_kb(endpoint.raw_bytes)} / "
            f"{fmt_kb(endpoint.gzip_bytes)} | {fmt_ms(endpoint.sql.median)} | {fmt_ms(endpoint.computed.median)} | "
            f"{endpoint.computed.median / endpoint.sql.median:.2f}× | {fmt_ms(endpoint.cached.median)} |")
    lines += [
        "",
        "Bare SQL: `registry.documents.map_features(Initiative.objects.published()[.filter(municipality)])`, "
        "the query the endpoint runs (the prepared map features, joined by PostgreSQL), timed in this "
        "process. Cache off: every answer computed (filter validation, the query, "
        "gzip). Cache on: the same answer from the response cache (repeated requests while the register does "
        "not change).",
        "",
        f"## Headless Chromium, whole country ({len(runs)} cold runs, response cache on)",
        "",
    ]
    if runs:
        lines += [
            f"- first cluster visible: **{median(r.first_cluster_ms for r in runs):,.0f} ms** after navigation "
            f"start (runs: {', '.join(f'{r.first_cluster_ms:,.0f}' for r in runs)})",
            f"- all {total:,} initiatives indexed by Supercluster and the count shown: "
            f"**{median(r.all_markers_ms for r in runs):,.0f} ms**",
            f"- of which the data download: {median(r.data_ms for r in runs):,.0f} ms, "
            f"{fmt_kb(median(r.data_transfer_bytes for r in runs))} transferred",
            "- redrawing the clusters after a jump to zoom 7, 9, 11, 13, 15, 17 (around Utrecht): "
            + ", ".join(f"{median(r.redraw_ms[i] for r in runs):,.0f}" for i in range(6)) + " ms (medians)",
        ]
    text = "\n".join(lines) + "\n"
    publish_report(Path(REPORT_FILE), text)


if __name__ == "__main__":
    main()
