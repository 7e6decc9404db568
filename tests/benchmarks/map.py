"""Benchmark of the public map per view: what a view of the map costs the server and the browser.

    make bench                                                      # all benchmarks, 100,000 records
    DEBUG=true python -m tests.benchmarks.map                       # this one alone
    REGISTRY_DB_NAME=map10k BENCH_COUNT=10000 DEBUG=true python -m tests.benchmarks.map   # at 10,000

On the benchmark's own database (seeded with BENCH_COUNT demo initiatives, 100,000 by default), it
serves the project with gunicorn in production mode (DEBUG=false, static files by WhiteNoise) with
the response cache off (every answer computed) and measures, for a few typical views of the map
(the tiles a browser of that size asks for at that zoom, registry/site/static/registry/map.js):

1. the server time of the view's tiles (/kaart/tegels/z/x/y.geojson, one after the other, as seen by
   a loopback client) and of its summary (/kaart/overzicht: the count, and with a box the list beside
   the map), and the bytes they take gzipped;
2. next to it the bare SQL of the tiles (registry.tiles.geojson_tile) and of the same cells as
   Mapbox Vector Tiles (registry.tiles.mvt_tile), in this process: the choice between the two;
3. headless Chromium, a phone's screen (390 × 844) and a desktop's: time until the first cluster
   and the count, and everything the first view transferred.

Medians over BENCH_MAP_REPEAT runs (default 5). The figures also go to .bench/map-<count>.json;
when the run at the other register size is there too, the report sets them side by side (the cost
of a view must not grow with the register).
"""

from __future__ import annotations

import datetime
import gzip
import json
import math
import os
import secrets
import statistics
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any
from urllib.request import Request, build_opener

from config.env import envint
from tests.benchmarks.api import HOST, code_version, gunicorn, machine_facts
from tests.benchmarks.common import (
    BENCH_DIR,
    DEFAULT_COUNT,
    check,
    ensure_register,
    own_database,
    prepare_schema_and_areas,
    publish_report,
    use_bench_database,
)

REPORT_FILE = BENCH_DIR / "map-report.md"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--no-first-run", "--disable-sync", "--disable-default-apps", "--disable-extensions"]
FIRST_CLUSTER_PROBE = """
new MutationObserver((changes, observer) => {
  if (document.querySelector('#map_initiatives .leaflet-marker-icon')) {
    window.__firstMarker = performance.now();
    observer.disconnect();
  }
}).observe(document, {childList: true, subtree: true});
"""
RUNNING = "status=actief"  # what the map asks for by default


@dataclass(frozen=True)
class View:
    label: str
    lon: float
    lat: float
    zoom: int
    width: int  # the map's size in pixels on that screen
    height: int

    def tiles(self) -> list[str]:
        """The z/x/y the page script asks for (map.js neededTiles)."""
        world = 256 * 2 ** self.zoom
        x = (self.lon + 180) / 360 * world
        y = (0.5 - math.log(math.tan(math.pi / 4 + math.radians(self.lat) / 2)) / (2 * math.pi)) * world
        columns = range(int((x - self.width / 2) // 256), int((x + self.width / 2) // 256) + 1)
        rows = range(int((y - self.height / 2) // 256), int((y + self.height / 2) // 256) + 1)
        return [f"{self.zoom}/{column}/{row}" for row in rows for column in columns]

    def bbox(self) -> str:
        world = 256 * 2 ** self.zoom
        x = (self.lon + 180) / 360 * world
        y = (0.5 - math.log(math.tan(math.pi / 4 + math.radians(self.lat) / 2)) / (2 * math.pi)) * world

        def lon(px: float) -> float:
            return px / world * 360 - 180

        def lat(py: float) -> float:
            return math.degrees(math.atan(math.sinh(math.pi * (1 - 2 * py / world))))

        return ",".join(f"{v:.5f}" for v in (lon(x - self.width / 2), lat(y + self.height / 2),
                                             lon(x + self.width / 2), lat(y - self.height / 2)))


VIEWS = [
    View("Netherlands, phone", 5.295, 52.18, 7, 358, 549),
    View("Netherlands, desktop", 5.295, 52.18, 7, 670, 704),
    View("Utrecht province, desktop", 5.2, 52.08, 9, 670, 704),
    View("Amsterdam, phone", 4.90, 52.37, 12, 358, 549),
    View("A village (Leiden), desktop", 4.497, 52.16, 14, 670, 704),
]


@dataclass
class ViewFigures:
    label: str
    tiles: int
    markers: int = 0
    tile_gzip_bytes: int = 0
    tiles_ms: float = 0.0  # all tiles of the view, one after the other
    slowest_tile_ms: float = 0.0
    summary_ms: float = 0.0  # the count (cached in production; computed here)
    list_ms: float = 0.0  # the list beside the map (desktop)
    geojson_sql_ms: float = 0.0
    mvt_sql_ms: float = 0.0
    geojson_gzip_bytes: int = 0
    mvt_gzip_bytes: int = 0


@dataclass
class BrowserFigures:
    screen: str
    first_marker_ms: list[float] = field(default_factory=list)
    count_ms: list[float] = field(default_factory=list)
    transferred_bytes: list[int] = field(default_factory=list)


def fetch(url: str) -> tuple[int, bytes, float]:
    """Status, body as sent (gzipped when the server chose to: not below 200 bytes), seconds."""
    request = Request(url, headers={"Accept-Encoding": "gzip"})
    started = time.perf_counter()
    with build_opener().open(request, timeout=120) as response:
        body = response.read()
        if response.headers.get("Content-Encoding") != "gzip":
            body = gzip.compress(body)  # as small as it would be; the figures count sent bytes
        return response.status, body, time.perf_counter() - started


def median_ms(samples: list[float]) -> float:
    return statistics.median(samples) * 1000


def measure_view(view: View, base_url: str, repeat: int) -> ViewFigures:
    from geo.tiles import Tile
    from registry.filters import InitiativeFilterSet
    from registry.models import Initiative
    from registry.tiles import geojson_tile, mvt_tile

    figures = ViewFigures(view.label, len(view.tiles()))
    totals, slowest, summaries, lists = [], [], [], []
    for _ in range(repeat):
        times = []
        size = markers = 0
        for key in view.tiles():
            status, body, seconds = fetch(f"{base_url}/kaart/tegels/{key}.geojson?{RUNNING}")
            check(status == 200, f"tile {key} answered {status}")
            times.append(seconds)
            size += len(body)
            markers += len(json.loads(gzip.decompress(body))["features"])
        totals.append(sum(times))
        slowest.append(max(times))
        figures.tile_gzip_bytes, figures.markers = size, markers
        summaries.append(fetch(f"{base_url}/kaart/overzicht?{RUNNING}")[2])
        lists.append(fetch(f"{base_url}/kaart/overzicht?{RUNNING}&bbox={view.bbox()}")[2])
    figures.tiles_ms, figures.slowest_tile_ms = median_ms(totals), median_ms(slowest)
    figures.summary_ms, figures.list_ms = median_ms(summaries), median_ms(lists)

    running = InitiativeFilterSet({"status": ["actief"]}, queryset=Initiative.objects.published()).qs
    tiles = [Tile(*map(int, key.split("/"))) for key in view.tiles()]
    for encode, name in ((geojson_tile, "geojson"), (mvt_tile, "mvt")):
        samples = []
        for _ in range(repeat):
            started = time.perf_counter()
            bodies = [encode(running, tile) for tile in tiles]
            samples.append(time.perf_counter() - started)
        size = sum(len(gzip.compress(body.encode() if isinstance(body, str) else body)) for body in bodies)
        setattr(figures, f"{name}_sql_ms", median_ms(samples))
        setattr(figures, f"{name}_gzip_bytes", size)
    return figures


def browser_runs(base_url: str, expected: int, repeat: int) -> list[BrowserFigures]:
    from playwright.sync_api import sync_playwright

    screens = {"phone": {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True},
               "desktop": {"viewport": {"width": 1280, "height": 800}}}
    results = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        for screen, options in screens.items():
            figures = BrowserFigures(screen)
            for _ in range(repeat):
                context = browser.new_context(locale="nl-NL", **options)
                page = context.new_page()
                page.add_init_script(FIRST_CLUSTER_PROBE)
                page.add_init_script("""new MutationObserver((changes, observer) => {
                    const count = document.getElementById('map-count');
                    if (count && count.dataset.count && !window.__count) window.__count = performance.now();
                  }).observe(document, {childList: true, subtree: true, attributes: true});""")
                page.goto(base_url + "/")
                page.wait_for_function("n => document.getElementById('map-count').dataset.count === String(n) && "
                                       "!document.getElementById('map_initiatives').hasAttribute('aria-busy')",
                                       arg=expected, timeout=120_000)
                timing = page.evaluate("""() => ({
                    first: window.__firstMarker, count: window.__count || 0,
                    bytes: performance.getEntriesByType('navigation').concat(performance.getEntriesByType('resource'))
                           .reduce((total, entry) => total + (entry.transferSize || 0), 0)})""")
                figures.first_marker_ms.append(timing["first"])
                figures.count_ms.append(timing["count"])
                figures.transferred_bytes.append(timing["bytes"])
                context.close()
            results.append(figures)
        browser.close()
    return results


def main() -> None:
    count = envint("BENCH_COUNT", DEFAULT_COUNT)
    repeat = envint("BENCH_MAP_REPEAT", 5)
    own_database()
    database_url = use_bench_database()
    database = prepare_schema_and_areas()
    ensure_register(count)

    from registry.models import Initiative, Status

    running = Initiative.objects.published().filter(status=Status.ACTIVE).count()
    environment = {**os.environ, "DEBUG": "false", "SECRET_KEY": secrets.token_urlsafe(50),
                   "ALLOWED_HOSTS": HOST, "DATABASE_URL": database_url, "PAGE_CACHE": "false",
                   "API_RESPONSE_CACHE": "false",
                   # Base map tiles from the server itself (404s, answered at once): no internet needed.
                   "MAP_TILE_URL": "/static/no-tiles/{z}/{x}/{y}.png", "SECURE_COOKIES": "false",
                   "SECURE_SSL_REDIRECT": "false"}
    with gunicorn(environment, workers=3) as (base_url, _server):
        views = [measure_view(view, base_url, repeat) for view in VIEWS]
        status, page, _seconds = fetch(base_url + "/")
        check(status == 200, f"/ answered {status}")
        browsers = browser_runs(base_url, running, repeat)
    figures = {"count": count, "running": running, "page_gzip_bytes": len(page),
               "views": [asdict(view) for view in views], "browsers": [asdict(b) for b in browsers]}
    BENCH_DIR.mkdir(exist_ok=True)
    (BENCH_DIR / f"map-{count}.json").write_text(json.dumps(figures, indent=1))
    write_report(database, figures, repeat)


def kb(size: float) -> str:
    return f"{size / 1024:,.1f} KB"


def write_report(database: str, figures: dict[str, Any], repeat: int) -> None:
    count = figures["count"]
    lines = [
        "# Map benchmark: the cost of a view",
        "",
        f"{datetime.datetime.now(datetime.UTC):%Y-%m-%d %H:%M} UTC · code {code_version()} · database "
        f"`{database}` with {count:,} initiatives ({figures['running']:,} published and running, what the map "
        f"shows by default) · response cache off · medians of {repeat}",
        "",
        *machine_facts(),
        "",
        f"The map page's HTML: {kb(figures['page_gzip_bytes'])} gzipped.",
        "",
        "## Per view: tiles and summary over HTTP (gunicorn, loopback), and the bare SQL",
        "",
        "| View | Tiles | Markers | Tiles gzip | All tiles | Slowest tile | Count | List in view "
        "| SQL GeoJSON | SQL MVT | GeoJSON / MVT gzip |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for v in figures["views"]:
        lines.append(f"| {v['label']} | {v['tiles']} | {v['markers']} | {kb(v['tile_gzip_bytes'])} | "
                     f"{v['tiles_ms']:,.0f} ms | {v['slowest_tile_ms']:,.0f} ms | {v['summary_ms']:,.0f} ms | "
                     f"{v['list_ms']:,.0f} ms | {v['geojson_sql_ms']:,.0f} ms | {v['mvt_sql_ms']:,.0f} ms | "
                     f"{kb(v['geojson_gzip_bytes'])} / {kb(v['mvt_gzip_bytes'])} |")
    lines += ["", "## Headless Chromium, first view (cold context)", "",
              "| Screen | First marker | Count shown | Transferred |", "|---|---:|---:|---:|"]
    for b in figures["browsers"]:
        lines.append(f"| {b['screen']} | {statistics.median(b['first_marker_ms']):,.0f} ms | "
                     f"{statistics.median(b['count_ms']):,.0f} ms | {kb(statistics.median(b['transferred_bytes']))} |")
    others = sorted(path for path in BENCH_DIR.glob("map-*.json") if path.name != f"map-{count}.json")
    for path in others:
        other = json.loads(path.read_text())
        lines += ["", f"## Against {other['count']:,} initiatives (.bench/{path.name})", "",
                  f"| View | All tiles at {other['count']:,} | at {count:,} | ratio | "
                  f"Tiles gzip at {other['count']:,} | at {count:,} |", "|---|---:|---:|---:|---:|---:|"]
        for mine, theirs in zip(figures["views"], other["views"], strict=False):
            lines.append(f"| {mine['label']} | {theirs['tiles_ms']:,.0f} ms | {mine['tiles_ms']:,.0f} ms | "
                         f"{mine['tiles_ms'] / max(theirs['tiles_ms'], 0.001):.2f}× | "
                         f"{kb(theirs['tile_gzip_bytes'])} | {kb(mine['tile_gzip_bytes'])} |")
    publish_report(Path(REPORT_FILE), "\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
