"""Load test of the production mode: `make loadtest`.

The register's production mode (config/setup/serve.sh, as `make serve` starts it: DEBUG off,
collected static files, gunicorn with config/gunicorn.conf.py) serves the benchmark database with
LOAD_COUNT (100,000) initiatives on a free loopback port. wrk, a real HTTP load tool, drives a
realistic mix with LOAD_CLIENTS (50) concurrent connections for LOAD_DURATION (60) seconds: one wrk
process per kind of request, each with its share of the connections, all at once. Each connection
sends its next request as soon as the last one is answered (no think time): harsher than 50
people, who read between clicks.

The requests arrive as through the TLS proxy in front of production (X-Forwarded-Proto: https;
X-Forwarded-For from 1,000 client addresses, NUM_PROXIES=1), so the per-address API throttle is
active as in production and meets a realistic spread of clients.

The mix (connections of 50):
  map data   8  the map page's tiles and view summaries (/kaart/tegels, /kaart/overzicht): the country,
                each province's capital and a town in it
  list       8  /initiatieven?page=N, pages 1..200
  filters    8  the list page and the API filtered by province, service and status
  detail    10  /initiatieven/<slug>, 500 published initiatives
  api       12  /api/v1/initiatives?page=N (50 items) and /api/v1/initiatives/<id>
  download   3  a municipality's initiatives.csv (live, filtered: 50 municipalities)
  snapshot   1  the day's complete files: initiatives.csv, partnerships.csv, initiatives.geojson

Before the mix, every address of the mix is fetched once into emptied caches (the cold service
times: what the first visitors after a change of the register meet), then each kind is loaded
alone over one connection for LOAD_ALONE seconds (5): its service time without competition, the
baseline for what the mix adds by queueing.

During the mix a maintainer edits a published initiative every LOAD_EDIT_SECONDS (5; 0: none),
through registry.actions as the admin does (history, derived data, the register's version, so
every kept answer of the site is out of date after each edit), and reads it back at once through
the API with their token: the report counts the edits, their time and whether each read-back
showed the edit.

Reports: stdout and .bench/load-report.md; gunicorn's log in .bench/load-gunicorn.log. The same
with a real hot standby taking the anonymous reads, stopped for 10 s mid-run: load_replica.py.
Settings (environment): LOAD_COUNT, LOAD_CLIENTS, LOAD_DURATION, LOAD_ALONE, LOAD_EDIT_SECONDS,
WEB_CONCURRENCY and
the other settings of config/gunicorn.conf.py (passed on to the server). Needs wrk (Debian `wrk`).
"""

from __future__ import annotations

import datetime
import json
import math
import os
import secrets
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.error import HTTPError, URLError
from urllib.request import ProxyHandler, Request, build_opener

from config.env import envint
from tests.benchmarks.api import (
    HOST,
    LoadResult,
    code_version,
    free_port,
    machine_facts,
    on_sigterm,
    stop_server,
    wrk_version,
)
from tests.benchmarks.common import (
    BENCH_DIR,
    DEFAULT_COUNT,
    PROJECT_DIR,
    BenchmarkError,
    check,
    ensure_register,
    prepare_schema_and_areas,
    publish_report,
    use_bench_database,
)

REPORT_FILE = BENCH_DIR / "load-report.md"
SERVER_LOG = BENCH_DIR / "load-gunicorn.log"
WRK_SCRIPT = Path(__file__).with_name("wrk.lua")
CLIENT_ADDRESSES = 1000
TARGET_P99_MS = 1000.0

# Each kind with its share of the connections (of 50; scaled for another LOAD_CLIENTS).
SHARES = {"map data": 8, "list": 8, "filters": 8, "detail": 10, "api": 12, "download": 3, "snapshot": 1}
PROXY_HEADERS = {"X-Forwarded-Proto": "https", "X-Forwarded-For": "10.0.0.1", "Accept-Encoding": "gzip"}
CRAWLERS = 3  # parallel fetches while the caches are filled, one per worker

OPENER = build_opener(ProxyHandler({}))  # straight to loopback, whatever http_proxy says


def get(url: str, timeout: float = 120.0, headers: dict[str, str] | None = None) -> tuple[int, dict[str, str], bytes]:
    request = Request(url, headers={**PROXY_HEADERS, **(headers or {})})
    try:
        with OPENER.open(request, timeout=timeout) as response:
            return response.status, dict(response.headers), response.read()
    except HTTPError as error:
        return error.code, dict(error.headers), error.read()


# -- the data and the requests ---------------------------------------------------------------------


def export_snapshot(root: Path) -> tuple[str, float]:
    """Today's open-data snapshot of the benchmark register into `root`; returns its day and seconds."""
    from opendata.snapshots import export_snapshot as write

    day = datetime.date.today()
    started = time.perf_counter()
    write(root, day)
    return day.isoformat(), time.perf_counter() - started


# Where visitors look: the country, then a province's capital, then a town in it (lon, lat).
CAPITALS = [(6.57, 53.22), (5.80, 53.20), (6.56, 52.99), (6.09, 52.52), (5.22, 52.51), (5.12, 52.09),
            (4.64, 52.38), (4.30, 52.07), (3.61, 51.50), (5.30, 51.69), (5.69, 50.85), (5.91, 51.98)]
NETHERLANDS = (3.3, 50.7, 7.3, 53.6)


def tile_of(lon: float, lat: float, z: int) -> tuple[int, int]:
    """The Web Mercator tile (x, y) at zoom z that holds a point."""
    n = 2 ** z
    y = (1 - math.log(math.tan(math.radians(lat)) + 1 / math.cos(math.radians(lat))) / math.pi) / 2 * n
    return int((lon + 180) / 360 * n), int(y)


def map_views() -> list[str]:
    """What the public map asks for as visitors look around (registry/site/static/registry/map.js):
    the tiles of a view, with the map's default filter (running initiatives), and the view's summary.
    The country at zooms 7 and 8, then 3 by 3 tiles around each province's capital at zooms 10 and 13."""
    query = "status=actief"
    west, south, east, north = NETHERLANDS
    views = []
    for z in (7, 8):
        (x0, y0), (x1, y1) = tile_of(west, north, z), tile_of(east, south, z)
        views.append(([(z, x, y) for x in range(x0, x1 + 1) for y in range(y0, y1 + 1)], NETHERLANDS))
    for lon, lat in CAPITALS:
        for z, reach in ((10, 0.5), (13, 0.06)):
            x, y = tile_of(lon, lat, z)
            views.append(([(z, x + dx, y + dy) for dx in (-1, 0, 1) for dy in (-1, 0, 1)],
                          (lon - reach, lat - reach / 2, lon + reach, lat + reach / 2)))
    paths = []
    for tiles, box in views:
        paths += [f"/kaart/tegels/{z}/{x}/{y}.geojson?{query}" for z, x, y in tiles]
        paths.append(f"/kaart/overzicht?{query}&bbox={','.join(f'{v:.4f}' for v in box)}")
    return paths


def build_mix(day: str) -> dict[str, list[str]]:
    from geo.models import Municipality, Province
    from registry.models import Initiative, Service

    published = Initiative.objects.published()
    total = published.count()
    check(total > 1000, f"the benchmark register holds only {total} published initiatives")
    provinces = list(Province.objects.order_by("code").values_list("code", flat=True))
    services = list(Service.objects.order_by("order").values_list("code", flat=True))
    municipalities = list(Municipality.objects.current().order_by("code").values_list("code", flat=True))
    step = max(1, total // 500)
    sample = list(published.order_by("pk").values_list("pk", "slug"))[::step][:500]
    pages = min(200, total // 20)

    mix = {
        "map data": map_views(),
        "list": [f"/initiatieven?page={page}" for page in range(1, pages + 1)],
        "filters": [f"/initiatieven?province={province}&service={service}"
                    for province in provinces for service in services[:6]]
        + [f"/api/v1/initiatives?province={province}&service={service}&status=actief"
           for province in provinces for service in services[6:12]],
        "detail": [f"/initiatieven/{slug}" for _pk, slug in sample],
        "api": [f"/api/v1/initiatives?pageSize=50&page={page}" for page in range(1, 101)]
        + [f"/api/v1/initiatives/{pk}" for pk, _slug in sample[:100]],
        "download": [f"/opendata/initiatives.csv?municipality={code}" for code in municipalities[::7]],
        "snapshot": [f"/opendata/snapshots/{day}/{name}"
                     for name in ("initiatives.csv", "partnerships.csv", "initiatives.geojson")],
    }
    return mix


# -- a maintainer's edits during the mix -------------------------------------------------------------

EDITOR = "load-editor"


def edit_sample() -> list[int]:
    """Published initiatives spread over the register, edited in turn."""
    from registry.models import Initiative

    ids = list(Initiative.objects.published().order_by("pk").values_list("pk", flat=True))
    return ids[:: max(1, len(ids) // 100)][:100]


def load_editor() -> tuple[Any, str]:
    """A national administrator for the edits, and their API token (made once in the benchmark database)."""
    from django.contrib.auth import get_user_model
    from rest_framework.authtoken.models import Token

    from registry.models import Maintainer, Role

    user, _created = get_user_model().objects.get_or_create(username=EDITOR)
    Maintainer.objects.get_or_create(user=user, defaults={"role": Role.ADMINISTRATOR})
    token, _created = Token.objects.get_or_create(user=user)
    return user, token.key


@dataclass
class Edit:
    at: float  # seconds since the editor started
    pk: int
    seconds: float  # the save, through registry.actions
    error: str = ""
    read_back_ms: float | None = None  # the maintainer's read of it through the API, with their token
    read_back_ok: bool = False  # that read showed the edit
    public_ms: float | None = None  # after the save, until an anonymous read showed it (load_replica.py)


class Editor(threading.Thread):
    """Every `every` seconds (on a fixed beat, whatever the answers take) a maintainer changes one
    published initiative (its number of volunteers) through registry.actions.save_edit, as the admin
    saves a form; a thread of its own then reads it back through the API with the maintainer's token
    and, with `public`, polls the anonymous API until that shows the edit too (what replication lag
    means to a visitor)."""

    PUBLIC_HEADERS = {"X-Forwarded-For": "10.255.0.1"}  # a visitor of its own, for the throttle

    def __init__(self, base_url: str, user: Any, token: str, pks: list[int], every: float, *,
                 public: bool = False) -> None:
        super().__init__(daemon=True)
        self.base_url, self.user, self.token, self.pks = base_url, user, token, pks
        self.every, self.public = every, public
        self.edits: list[Edit] = []
        self.readers: list[threading.Thread] = []
        self.halt = threading.Event()
        self.started_at = time.monotonic()

    def run(self) -> None:
        from django.db import connection

        self.started_at = time.monotonic()
        number = 0
        try:
            while not self.halt.wait(max(0.0, self.started_at + (number + 1) * self.every - time.monotonic())):
                edit, volunteers = self.edit(self.pks[number % len(self.pks)])
                self.edits.append(edit)
                if not edit.error:
                    reader = threading.Thread(target=self.read_back, args=(edit, volunteers), daemon=True)
                    reader.start()
                    self.readers.append(reader)
                number += 1
        finally:
            connection.close()

    def edit(self, pk: int) -> tuple[Edit, int]:
        from registry import actions
        from registry.models import Initiative

        at = time.monotonic() - self.started_at
        started = time.perf_counter()
        try:
            before = Initiative.objects.get(pk=pk)
            initiative = Initiative.objects.get(pk=pk)
            initiative.volunteers = ((initiative.volunteers or 0) + 1) % 1000
            initiative.full_clean()
            actions.save_edit(initiative, before, acting_user=self.user)
        except Exception as error:  # a failed edit is a finding of the load test, not its end
            return Edit(at, pk, time.perf_counter() - started, error=f"{type(error).__name__}: {error}"), 0
        return Edit(at, pk, time.perf_counter() - started), initiative.volunteers

    def read_back(self, edit: Edit, volunteers: int) -> None:
        saved = time.perf_counter()
        address = f"{self.base_url}/api/v1/initiatives/{edit.pk}"
        status, _headers, body = get(address, timeout=60, headers={"Authorization": f"Token {self.token}"})
        edit.read_back_ms = 1000 * (time.perf_counter() - saved)
        edit.read_back_ok = status == 200 and json.loads(body).get("volunteers") == volunteers
        while self.public and time.perf_counter() - saved < 30:
            status, _headers, body = get(address, timeout=60, headers=self.PUBLIC_HEADERS)
            if status == 200 and json.loads(body).get("volunteers") == volunteers:
                edit.public_ms = 1000 * (time.perf_counter() - saved)
                return
            time.sleep(0.02)

    def stop(self) -> list[Edit]:
        self.halt.set()
        self.join(timeout=60)
        for reader in self.readers:
            reader.join(timeout=90)
        return self.edits


def edit_lines(edits: list[Edit], every: float) -> list[str]:
    """The report's lines on the edits."""
    if not edits:
        return ["No edits during the mix (LOAD_EDIT_SECONDS=0)." if not every else "No edit was due during the mix."]
    failed = [edit for edit in edits if edit.error]
    saved = [edit for edit in edits if not edit.error]
    read_back = [edit.read_back_ms for edit in saved if edit.read_back_ms is not None]
    lines = [
        f"A maintainer's edit every {every:g} s through registry.actions (each one changes the register's "
        "version: every kept answer is out of date after it), then read back through the API with their token.",
        "",
        f"- Edits: {len(edits)}, failed: {len(failed)}"
        + (f" ({'; '.join(sorted({edit.error for edit in failed}))[:300]})" if failed else ""),
        f"- Save: median {fmt(1000 * statistics.median(e.seconds for e in saved))} ms, "
        f"max {fmt(1000 * max(e.seconds for e in saved))} ms" if saved else "- Save: –",
        f"- The maintainer's read-back (from the primary) showed the edit: {sum(e.read_back_ok for e in saved)} "
        f"of {len(saved)}" + (f", answered in median {fmt(statistics.median(read_back))} ms, max "
                              f"{fmt(max(read_back))} ms" if read_back else ""),
    ]
    public = [edit.public_ms for edit in saved if edit.public_ms is not None]
    if public:
        lines.append(f"- Seen by an anonymous reader after the save: median {fmt(statistics.median(public))} ms, "
                     f"max {fmt(max(public))} ms ({len(public)} of {len(saved)} within 30 s; the time includes the "
                     "answers' own time)")
    return lines


# -- the server in production mode ------------------------------------------------------------------


def production_environment(database_url: str, static_root: Path, opendata_root: Path) -> dict[str, str]:
    return {
        **os.environ,
        "DATABASE_URL": database_url, "SECRET_KEY": secrets.token_urlsafe(50), "ALLOWED_HOSTS": HOST,
        "STATIC_ROOT": str(static_root), "OPENDATA_ROOT": str(opendata_root),
        "NUM_PROXIES": "1",  # the TLS proxy that wrk stands in for
        "SITE_URL": "https://register.example.org",
    }


@contextmanager
def production_server(environment: dict[str, str], log: Path = SERVER_LOG
                      ) -> Iterator[tuple[str, subprocess.Popen[bytes]]]:
    """`make serve`'s script on a free loopback port; yields its base URL and the gunicorn master."""
    port = free_port()
    BENCH_DIR.mkdir(exist_ok=True)
    with log.open("wb") as handle:
        process = subprocess.Popen(["bash", "config/setup/serve.sh"], cwd=PROJECT_DIR,
                                   env={**environment, "BIND": f"{HOST}:{port}"}, stdout=handle,
                                   stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, start_new_session=True)
    base_url = f"http://{HOST}:{port}"
    try:
        wait_until_healthy(process, base_url, log)
        yield base_url, process
    finally:
        stop_server(process)


def wait_until_healthy(process: subprocess.Popen[bytes], base_url: str, log: Path, timeout: float = 180.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise BenchmarkError(f"the server exited with code {process.returncode}:\n{tail(log)}")
        try:
            if get(base_url + "/healthz", timeout=5)[0] == 200:
                return
        except (URLError, OSError):
            pass
        time.sleep(0.5)
    raise BenchmarkError(f"the server did not answer /healthz within {timeout:.0f} s:\n{tail(log)}")


def tail(log: Path, lines: int = 30) -> str:
    try:
        return "\n".join(log.read_text(encoding="utf-8", errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no log)"


def worker_pids(master: subprocess.Popen[bytes]) -> set[int]:
    children = Path(f"/proc/{master.pid}/task/{master.pid}/children")
    return {int(pid) for pid in children.read_text().split()} if children.exists() else set()


# -- wrk ------------------------------------------------------------------------------------------------


@dataclass
class Result(LoadResult):
    """One kind of request's run: wrk's counts and latencies."""

    kind: str = ""

    @property
    def failed(self) -> int:
        """Answers other than 2xx and 3xx, and requests that got no answer (socket errors)."""
        bad_status = sum(n for status, n in self.statuses.items() if not status.startswith(("2", "3")))
        return bad_status + sum(n for kind, n in self.socket_errors.items() if kind != "status")

    def failures(self) -> str:
        """The failed count, with what went wrong: statuses and socket errors by kind."""
        parts = [f"{status}: {n}" for status, n in self.statuses.items() if not status.startswith(("2", "3"))]
        parts += [f"{kind}: {n}" for kind, n in self.socket_errors.items() if kind != "status" and n]
        return f"{self.failed} ({', '.join(parts)})" if parts else "0"


def start_wrk(base_url: str, paths: list[str], connections: int, seconds: int) -> tuple[subprocess.Popen[str], str]:
    with tempfile.NamedTemporaryFile("w", suffix=".txt", prefix="load-paths-", delete=False) as handle:
        handle.write("\n".join(paths) + "\n")
    command = ["wrk", "-t1", f"-c{connections}", f"-d{seconds}s", "--timeout=30s", "-s", str(WRK_SCRIPT), base_url]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                               env={**os.environ, "BENCH_WRK_PATHS": handle.name,
                                    "BENCH_WRK_CLIENTS": str(CLIENT_ADDRESSES)})
    return process, handle.name


def finish_wrk(kind: str, connections: int, process: subprocess.Popen[str], paths_file: str) -> Result:
    stdout, stderr = process.communicate(timeout=600)
    os.unlink(paths_file)
    line = next((line for line in stdout.splitlines() if line.startswith("BENCH-RESULT ")), None)
    check(process.returncode == 0 and line is not None, f"wrk failed for {kind} (exit {process.returncode}):\n"
          f"{stdout}\n{stderr}")
    assert line is not None
    data = json.loads(line.removeprefix("BENCH-RESULT "))
    return Result(connections, data["requests"], data["duration_us"] / 1e6, data["bytes"],
                  {str(k): int(v) for k, v in data["statuses"].items()}, data["errors"], data["latency_us"], kind=kind)


def run_mix(base_url: str, mix: dict[str, list[str]], shares: dict[str, int], seconds: int) -> list[Result]:
    """Every kind at once, each over its share of the connections."""
    started = [(kind, shares[kind], *start_wrk(base_url, mix[kind], shares[kind], seconds)) for kind in mix]
    return [finish_wrk(kind, connections, process, paths) for kind, connections, process, paths in started]


def scaled_shares(clients: int) -> dict[str, int]:
    total = sum(SHARES.values())
    shares = {kind: max(1, round(share * clients / total)) for kind, share in SHARES.items()}
    shares["api"] += clients - sum(shares.values())
    check(shares["api"] >= 1, f"LOAD_CLIENTS={clients} is too few for the mix")
    return shares


def verify(base_url: str, mix: dict[str, list[str]]) -> None:
    """The first request of each kind answers 200 with content, as through the proxy."""
    for kind, paths in mix.items():
        status, _headers, body = get(base_url + paths[0])
        check(status == 200 and len(body) > 0, f"{kind}: {paths[0]} answered {status}: {body[:300]!r}")
    status, headers, _body = get(base_url + "/", timeout=30)
    check(status == 200 and "Strict-Transport-Security" in headers, "the home page lacks its security headers")


def crawl(base_url: str, mix: dict[str, list[str]]) -> dict[str, list[float]]:
    """Every address of the mix once, CRAWLERS at a time, into empty caches: the cold service
    times, by kind. Afterwards the caches hold what a busy site's caches hold."""
    from concurrent.futures import ThreadPoolExecutor

    def timed(path: str) -> float:
        started = time.perf_counter()
        status, _headers, _body = get(base_url + path)
        check(status == 200, f"{path} answered {status} while filling the caches")
        return time.perf_counter() - started

    with ThreadPoolExecutor(CRAWLERS) as pool:
        return {kind: list(pool.map(timed, dict.fromkeys(paths))) for kind, paths in mix.items()}


# -- the report -------------------------------------------------------------------------------------


def fmt(value: float) -> str:
    return f"{value:,.1f}"


def report(count: int, published: int, snapshot_seconds: float, workers: str, cold: dict[str, list[float]],
           alone: list[Result], mix: list[Result], clients: int, seconds: int, pids_before: set[int],
           pids_after: set[int], edits: list[Edit], edit_seconds: float) -> str:
    total_requests = sum(r.requests for r in mix)
    total_failed = sum(r.failed for r in mix)
    worst_p99 = max(r.ms("p99") for r in mix)
    alone_by_kind = {r.kind: r for r in alone}
    lines = [
        "# Load test: the production mode under a realistic mix",
        "",
        f"- When: {datetime.datetime.now(datetime.UTC).replace(microsecond=0).isoformat()}; code {code_version()}",
        *[f"- {fact}" for fact in machine_facts()],
        f"- Load tool: {wrk_version()}, one process per kind of request, on the same machine (loopback)",
        f"- Register: {count:,} initiatives, {published:,} published; full snapshot exported in "
        f"{snapshot_seconds:.1f} s before the test",
        f"- Server: `make serve`'s script (config/setup/serve.sh), gunicorn {workers}",
        f"- Clients: {clients} connections for {seconds} s, no think time, through a stand-in for the TLS proxy "
        f"(X-Forwarded-Proto/-For from {CLIENT_ADDRESSES:,} addresses; the API throttle active)",
        "",
        "## The mix, all at once",
        "",
        "| kind | conn. | requests | req/s | p50 ms | p95 ms | p99 ms | max ms | failed | alone p50 ms | "
        "p50 ÷ alone |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    cold_lines = [
        "## Before the mix: filling the caches, then each kind alone",
        "",
        f"Every address of the mix fetched once into empty caches, {CRAWLERS} at a time (what the first visitors "
        "after a change of the register meet), then each kind alone over one connection from the filled caches.",
        "",
        "| kind | addresses | cold p50 ms | cold p95 ms | cold max ms | warm alone p50 ms | warm alone p99 ms |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    for kind, times in cold.items():
        ordered = sorted(times)
        single = alone_by_kind.get(kind)
        cold_lines.append(
            f"| {kind} | {len(times):,} | {fmt(1000 * statistics.median(ordered))} | "
            f"{fmt(1000 * ordered[min(len(ordered) - 1, int(0.95 * len(ordered)))])} | {fmt(1000 * ordered[-1])} | "
            f"{fmt(single.ms('p50')) if single else '–'} | {fmt(single.ms('p99')) if single else '–'} |")
    for result in mix:
        single = alone_by_kind.get(result.kind)
        ratio = f"{result.ms('p50') / single.ms('p50'):.1f}×" if single and single.ms("p50") else "–"
        lines.append(
            f"| {result.kind} | {result.connections} | {result.requests:,} | {fmt(result.per_second)} | "
            f"{fmt(result.ms('p50'))} | {fmt(result.ms('p95'))} | {fmt(result.ms('p99'))} | {fmt(result.ms('max'))} | "
            f"{result.failures()} | {fmt(single.ms('p50')) if single else '–'} | {ratio} |")
    statuses: dict[str, int] = {}
    for result in mix:
        for status, n in result.statuses.items():
            statuses[status] = statuses.get(status, 0) + n
    seconds_run = max(r.seconds for r in mix)
    edits_clean = all(not edit.error and edit.read_back_ok for edit in edits)
    verdict = "met" if total_failed == 0 and worst_p99 < TARGET_P99_MS and edits_clean else "NOT met"
    lines += [
        "",
        f"Total: {total_requests:,} requests, {total_requests / seconds_run:,.1f} req/s; answers by status: "
        + ", ".join(f"{status}: {n:,}" for status, n in sorted(statuses.items())) + f"; failed: {total_failed}.",
        f"Target (no errors, p99 under {TARGET_P99_MS:.0f} ms for every kind, every edit saved and read back): "
        f"**{verdict}** (worst p99 {fmt(worst_p99)} ms; median p50 of the kinds "
        f"{fmt(statistics.median(r.ms('p50') for r in mix))} ms, median p99 "
        f"{fmt(statistics.median(r.ms('p99') for r in mix))} ms).",
        f"gunicorn workers before and after: {sorted(pids_before)} → {sorted(pids_after)} "
        f"({'the same processes' if pids_before == pids_after else 'CHANGED: a worker was restarted'}).",
        "",
        "'alone': the same requests over one connection, nothing else running, just before the mix "
        f"(the service time); 'p50 ÷ alone' is what sharing two cores with {clients - 1} other connections adds.",
        "",
        "## Edits during the mix",
        "",
        *edit_lines(edits, edit_seconds),
        "",
        *cold_lines,
        "",
    ]
    return "\n".join(lines)


def workers_from_log(log: Path) -> str:
    """What gunicorn says it started: its worker class and how many workers booted."""
    text = log.read_text(encoding="utf-8", errors="replace")
    kind = next((line.split("Using worker: ", 1)[1].strip() for line in text.splitlines()
                 if "Using worker: " in line), "?")
    return f"{text.count('Booting worker with pid')} {kind} workers"


def main() -> None:
    signal.signal(signal.SIGTERM, on_sigterm)
    count = envint("LOAD_COUNT", DEFAULT_COUNT)
    clients = envint("LOAD_CLIENTS", 50)
    seconds = envint("LOAD_DURATION", 60)
    alone_seconds = envint("LOAD_ALONE", 5)
    edit_seconds = envint("LOAD_EDIT_SECONDS", 5)
    check(count >= 1000, "LOAD_COUNT must be at least 1,000")
    check(len(SHARES) <= clients <= 500, f"LOAD_CLIENTS must lie in {len(SHARES)}…500")
    if shutil.which("wrk") is None:
        raise BenchmarkError("the HTTP load tool wrk is missing. Install it (Debian/Ubuntu): "
                             "apt-get install -y --no-install-recommends wrk")
    if not (PROJECT_DIR / "config" / "setup" / "serve.sh").exists():
        raise BenchmarkError("config/setup/serve.sh is missing")

    os.environ.pop("DEBUG", None)  # production mode; this process reads the settings as the server does
    os.environ.setdefault("SECRET_KEY", secrets.token_urlsafe(50))
    database_url = use_bench_database()
    prepare_schema_and_areas()
    from django.core.management import call_command

    call_command("createcachetable")
    ensure_register(count)
    from django.core.cache import cache

    from registry.models import Initiative

    cache.clear()  # throttles and cached answers of an earlier run
    published = Initiative.objects.published().count()
    editor_user, token = load_editor()
    edited = edit_sample()
    with tempfile.TemporaryDirectory(prefix="load-") as work:
        static_root, opendata_root = Path(work) / "static", Path(work) / "opendata"
        print("Exporting today's open-data snapshot of the benchmark register")
        day, snapshot_seconds = export_snapshot(opendata_root)
        mix = build_mix(day)
        environment = production_environment(database_url, static_root, opendata_root)
        with production_server(environment) as (base_url, server):
            workers = workers_from_log(SERVER_LOG)
            verify(base_url, mix)
            cache.clear()
            print(f"Filling the caches: {sum(len(set(paths)) for paths in mix.values()):,} addresses")
            cold = crawl(base_url, mix)
            alone = []
            for kind, paths in mix.items():
                result = finish_wrk(kind, 1, *start_wrk(base_url, paths, 1, alone_seconds))
                alone.append(result)
                print(f"alone {kind:>9}: p50 {fmt(result.ms('p50'))} ms, {fmt(result.per_second)} req/s")
            pids_before = worker_pids(server)
            print(f"The mix: {clients} connections for {seconds} s"
                  + (f", an edit every {edit_seconds} s" if edit_seconds else ""))
            editor = Editor(base_url, editor_user, token, edited, edit_seconds)
            if edit_seconds:
                editor.start()
            results = run_mix(base_url, mix, scaled_shares(clients), seconds)
            edits = editor.stop() if edit_seconds else []
            pids_after = worker_pids(server)
            for result in results:
                print(f"{result.kind:>9}: {fmt(result.per_second)} req/s, p50 {fmt(result.ms('p50'))} ms, "
                      f"p95 {fmt(result.ms('p95'))} ms, p99 {fmt(result.ms('p99'))} ms, failed {result.failed}")
    publish_report(REPORT_FILE, report(count, published, snapshot_seconds, workers, cold, alone, results, clients,
                                       seconds, pids_before, pids_after, edits, edit_seconds))


if __name__ == "__main__":
    try:
        main()
    except BenchmarkError as error:
        sys.exit(f"Load test stopped: {error}")
