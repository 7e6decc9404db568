"""Lighthouse's mobile run against the production mode: part of `make bench`.

    make bench                                            # with the other benchmarks
    python -m tests.benchmarks.lighthouse                 # this one alone

The production mode as `make serve` starts it (config/setup/serve.sh: DEBUG off, collected and
hashed static files, gunicorn; the helpers of load.py) serves the benchmark database with
LIGHTHOUSE_COUNT (100,000) initiatives on a free loopback port, as behind the TLS proxy
(X-Forwarded-Proto: https, sent by Lighthouse with every request). Lighthouse (npm `lighthouse`
12.2.3, package.json; 13 needs Node 22) drives Debian's Chromium headless in its default mode: a
phone (Moto G Power emulation, 412 × 823) with simulated throttling (150 ms round trips, 1.6 Mbit/s,
4× slower CPU). Each page LIGHTHOUSE_RUNS (3) times, the medians reported:

  map         /                              performance ≥ 90, total blocking time < 200 ms,
                                             cumulative layout shift < 0.1, first view < 500 KB
  list        /initiatieven                  on every page: accessibility 100,
  detail      /initiatieven/<a published>    best practices ≥ 95, SEO ≥ 95
  statistics  /statistieken
  monitor     /monitor/<this year>           (the national annual monitor, issue 17)

Then the map page again on a register of LIGHTHOUSE_SMALL_COUNT (10,000) initiatives, in a second
benchmark database (LIGHTHOUSE_SMALL_DB, `map10k_bench`: the one `REGISTRY_DB_NAME=map10k
BENCH_COUNT=10000 python -m tests.benchmarks.map` uses, seeded once and reused), in a subprocess of
this module: the cost of a first view must not depend on the register's size (within 20%).

The machine may be shared: each run records the share of the CPU that processes other than the
server, its database connections, Lighthouse and its Chromium used ("others' CPU", as in api.py),
and Lighthouse's own benchmark index of the machine.

Lighthouse itself sometimes fails a run (NO_NAVSTART: "something went wrong with recording the
trace", or another protocol error, more often on a busy machine): a failed run is tried again, up
to LIGHTHOUSE_ATTEMPTS (3) times in all, each failed attempt's JSON kept beside the others. A run
that fails every attempt, a page that does not answer, or the second register's run failing is
written into the report as not measured, and the benchmark goes on: it never stops `make bench`.
Only what leaves nothing to measure (no Lighthouse, no Chromium, a server that does not start)
ends it with an error.

Reports: stdout and .bench/lighthouse-report.md; Lighthouse's JSON of every run in
.bench/lighthouse/; the figures of each register size in .bench/lighthouse-<count>.json.
Settings (environment): LIGHTHOUSE_COUNT, LIGHTHOUSE_RUNS, LIGHTHOUSE_ATTEMPTS, LIGHTHOUSE_PAGES
(comma-separated keys of the pages above), LIGHTHOUSE_SMALL_COUNT (0: no second run),
LIGHTHOUSE_SMALL_DB.
"""

from __future__ import annotations

import datetime
import json
import os
import secrets
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlsplit, urlunsplit

from config.env import envint
from tests.benchmarks.api import (
    HOST,
    CpuWindow,
    all_process_ticks,
    code_version,
    free_port,
    machine_facts,
    machine_ticks,
    on_sigterm,
    stop_server,
)
from tests.benchmarks.common import (
    BENCH_DIR,
    BENCH_SUFFIX,
    DEFAULT_COUNT,
    PROJECT_DIR,
    BenchmarkError,
    check,
    create_database_if_missing,
    ensure_register,
    prepare_schema_and_areas,
    publish_report,
    use_bench_database,
)
from tests.benchmarks.load import get, production_environment, wait_until_healthy

REPORT_FILE = BENCH_DIR / "lighthouse-report.md"
RUNS_DIR = BENCH_DIR / "lighthouse"
SERVER_LOG = BENCH_DIR / "lighthouse-gunicorn.log"
LIGHTHOUSE = PROJECT_DIR / "node_modules" / ".bin" / "lighthouse"
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
# As the browser tests start it (tests/browser/conftest.py), headless.
CHROMIUM_FLAGS = ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                  "--disable-component-update", "--no-first-run", "--disable-sync", "--disable-default-apps",
                  "--disable-extensions"]
# What the TLS proxy in front of production adds (NUM_PROXIES=1): without it the site redirects to https.
PROXY_HEADERS = {"X-Forwarded-Proto": "https", "X-Forwarded-For": "10.0.0.7"}
CATEGORIES = ("performance", "accessibility", "best-practices", "seo")
SMALL_DB = "map10k_bench"

# None: the path depends on the register or the date (page_path).
PAGES = {"map": "/", "list": "/initiatieven", "detail": None, "statistics": "/statistieken", "monitor": None}

# The targets of issue 14.
MAP_PERFORMANCE = 90
MAP_TBT_MS = 200.0
MAP_CLS = 0.1
MAP_BYTES = 500_000
ACCESSIBILITY = 100
BEST_PRACTICES = 95
SEO = 95
SIZE_TOLERANCE = 0.20

RUN_TIMEOUT = 600  # seconds for one Lighthouse run (a page takes 20-60 s on the shared machine)
RETRY_PAUSE = 5  # seconds between a failed attempt and the next


@dataclass
class Run:
    performance: float
    accessibility: float
    best_practices: float
    seo: float
    tbt_ms: float
    cls: float
    bytes: float
    lcp_ms: float
    fcp_ms: float
    benchmark_index: float
    others_cpu: float
    failing: list[str] = field(default_factory=list)  # audits of the last three categories that failed
    attempts: int = 1  # Lighthouse's tries to make this run (the failed ones: Page.retried)


@dataclass
class Page:
    key: str
    path: str
    runs: list[Run] = field(default_factory=list)
    retried: list[str] = field(default_factory=list)  # why each failed attempt failed (the run was tried again)
    failures: list[str] = field(default_factory=list)  # runs (or the page) not measured, and why

    def median(self, name: str) -> float:
        return float(statistics.median(getattr(run, name) for run in self.runs))

    def failing(self) -> list[str]:
        """Audits that failed in any run, with how many runs they failed in."""
        counts: dict[str, int] = {}
        for run in self.runs:
            for audit in run.failing:
                counts[audit] = counts.get(audit, 0) + 1
        return [f"{audit} ({n}/{len(self.runs)})" for audit, n in sorted(counts.items())]


class LighthouseFailed(Exception):
    """One attempt of Lighthouse that gave no figures: the reason, in a line or a few."""


# -- whose CPU time -------------------------------------------------------------------------------


def descendants(roots: set[int], processes: dict[int, tuple[int, int]]) -> set[int]:
    """The roots and every process below them (Lighthouse's Chromium is a grandchild of this one,
    gunicorn's workers grandchildren of serve.sh)."""
    found = set(roots)
    while True:
        more = {pid for pid, (parent, _) in processes.items() if parent in found} - found
        if not more:
            return found
        found |= more


class TreeCpuWindow(CpuWindow):
    """api.py's window, counting the whole process trees of this process and of the server as ours."""

    def measure(self) -> tuple[float, float]:
        from tests.benchmarks.api import server_pids

        machine, processes = machine_ticks(), all_process_ticks()
        roots = {os.getpid()} | server_pids(self.server, processes) | server_pids(self.server, self.processes)
        ours = descendants(roots, processes) | descendants(roots, self.processes)
        used = {pid: ticks - self.processes.get(pid, (0, 0))[1] for pid, (_, ticks) in processes.items()}
        others = sum(ticks for pid, ticks in used.items() if pid not in ours)
        elapsed = machine - self.machine
        return (max(0.0, others / elapsed) if elapsed else 0.0), 0.0


# -- the server ------------------------------------------------------------------------------------


@contextmanager
def production_server(environment: dict[str, str]) -> Iterator[tuple[str, subprocess.Popen[bytes]]]:
    """load.py's production server, with more time to start: collectstatic and `check --deploy`
    come first, and on a busy shared machine they alone can take minutes."""
    port = free_port()
    BENCH_DIR.mkdir(exist_ok=True)
    with SERVER_LOG.open("wb") as handle:
        process = subprocess.Popen(["bash", "config/setup/serve.sh"], cwd=PROJECT_DIR,
                                   env={**environment, "BIND": f"{HOST}:{port}"}, stdout=handle,
                                   stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, start_new_session=True)
    base_url = f"http://{HOST}:{port}"
    try:
        wait_until_healthy(process, base_url, SERVER_LOG, timeout=900)
        yield base_url, process
    finally:
        stop_server(process)


# -- Lighthouse -------------------------------------------------------------------------------------


def lighthouse_version() -> str:
    result = subprocess.run([str(LIGHTHOUSE), "--version"], capture_output=True, text=True, check=False)
    return result.stdout.strip() or "unknown"


def chromium_version() -> str:
    result = subprocess.run([CHROMIUM, "--version"], capture_output=True, text=True, check=False)
    return result.stdout.strip() or "unknown"


def failing_audits(report: dict[str, Any]) -> list[str]:
    """The scored audits of accessibility, best practices and SEO that did not pass."""
    failing = []
    for category in CATEGORIES[1:]:
        for ref in report["categories"][category]["auditRefs"]:
            audit = report["audits"][ref["id"]]
            if audit.get("scoreDisplayMode") in ("binary", "numeric") and (audit.get("score") or 0) < 1:
                failing.append(ref["id"])
    return failing


def lighthouse(url: str, output: Path, server: Any) -> Run:
    """One Lighthouse run; LighthouseFailed when it gave no complete figures."""
    command = [str(LIGHTHOUSE), url, "--output=json", f"--output-path={output}", "--quiet",
               f"--only-categories={','.join(CATEGORIES)}", f"--chrome-flags={' '.join(CHROMIUM_FLAGS)}",
               f"--extra-headers={json.dumps(PROXY_HEADERS)}"]
    output.unlink(missing_ok=True)  # an earlier run's file must not pass for this one's
    window = TreeCpuWindow(server)
    try:
        result = subprocess.run(command, capture_output=True, text=True, check=False, timeout=RUN_TIMEOUT,
                                env={**os.environ, "CHROME_PATH": CHROMIUM})
    except subprocess.TimeoutExpired:
        raise LighthouseFailed(f"no answer within {RUN_TIMEOUT} s") from None
    others, _ = window.measure()
    if not output.exists():
        raise LighthouseFailed(f"exit {result.returncode}, no report: {tail(result.stderr or result.stdout)}")
    try:
        report = json.loads(output.read_text(encoding="utf-8"))
    except ValueError as error:
        raise LighthouseFailed(f"exit {result.returncode}, the report is not JSON: {error}") from None
    if report.get("runtimeError"):
        # NO_NAVSTART and its kind: the trace went wrong, the page did not.
        error = report["runtimeError"]
        raise LighthouseFailed(f"{error.get('code')}: {error.get('message')}")
    final = report.get("finalDisplayedUrl") or report.get("finalUrl", "")
    if urlsplit(final).path != urlsplit(url).path:
        raise LighthouseFailed(f"ended on {final}")
    scores = {category: report["categories"][category]["score"] for category in CATEGORIES}
    if any(score is None for score in scores.values()):
        raise LighthouseFailed(f"a score left out: {scores}")
    audits = report["audits"]
    names = ("total-blocking-time", "cumulative-layout-shift", "total-byte-weight", "largest-contentful-paint",
             "first-contentful-paint")
    missing = [name for name in names if audits.get(name, {}).get("numericValue") is None]
    if missing:
        raise LighthouseFailed(f"no figure for {', '.join(missing)}: "
                               + "; ".join(sorted({str(audits.get(name, {}).get("errorMessage")) for name in missing})))
    return Run(
        performance=100 * scores["performance"], accessibility=100 * scores["accessibility"],
        best_practices=100 * scores["best-practices"], seo=100 * scores["seo"],
        tbt_ms=audits["total-blocking-time"]["numericValue"], cls=audits["cumulative-layout-shift"]["numericValue"],
        bytes=audits["total-byte-weight"]["numericValue"], lcp_ms=audits["largest-contentful-paint"]["numericValue"],
        fcp_ms=audits["first-contentful-paint"]["numericValue"],
        benchmark_index=report.get("environment", {}).get("benchmarkIndex", 0), others_cpu=others,
        failing=failing_audits(report))


def tail(text: str, lines: int = 3) -> str:
    return " / ".join(line.strip() for line in text.strip().splitlines()[-lines:]) or "nothing said"


def attempted_run(url: str, output: Path, server: Any, attempts: int, page: Page) -> Run | None:
    """Lighthouse on `url` until a run gives its figures, at most `attempts` times. Each failed
    attempt is noted on the page (and its JSON, if any, kept as <run>.failed-<n>.json); None when
    every attempt failed."""
    for attempt in range(1, attempts + 1):
        try:
            run = lighthouse(url, output, server)
        except LighthouseFailed as error:
            if output.exists():
                output.replace(output.with_suffix(f".failed-{attempt}.json"))
            reason = f"{output.stem}, attempt {attempt} of {attempts}: {error}"
            print(f"Lighthouse failed on {url} ({reason})", file=sys.stderr)
            if attempt < attempts:
                page.retried.append(reason)
                time.sleep(RETRY_PAUSE)
                continue
            page.failures.append(reason)
            return None
        run.attempts = attempt
        return run
    return None


def detail_path() -> str:
    """A running, published initiative from the middle of the register."""
    from registry.models import Initiative, Status

    running = Initiative.objects.published().filter(status=Status.ACTIVE).order_by("pk")
    total = running.count()
    check(total > 0, "the benchmark register has no running published initiative")
    return f"/initiatieven/{running.values_list('slug', flat=True)[total // 2]}"


def monitor_path() -> str:
    """The national annual monitor of this year (the one the footer's /monitor leads to)."""
    from django.utils import timezone

    return f"/monitor/{timezone.localdate().year}"


def page_path(key: str) -> str:
    return PAGES[key] or {"detail": detail_path, "monitor": monitor_path}[key]()


def measure(count: int, database_url: str, keys: list[str], runs: int, attempts: int) -> list[Page]:
    """Serve the register in production mode and run Lighthouse `runs` times on each page, each run
    tried up to `attempts` times. A page that cannot be measured is noted and the others measured."""
    from django.core.cache import cache
    from django.core.management import call_command

    call_command("createcachetable")
    ensure_register(count)
    cache.clear()  # kept pages and throttles of an earlier run
    pages = []
    for key in keys:
        try:
            pages.append(Page(key, page_path(key)))
        except BenchmarkError as error:
            pages.append(Page(key, "–", failures=[f"no address: {error}"]))
    RUNS_DIR.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="lighthouse-") as work:
        environment = production_environment(database_url, Path(work) / "static", Path(work) / "opendata")
        # Lighthouse fetches robots.txt outside the page, without the proxy's header: the redirect
        # to https that the proxy would have made unnecessary is left out, nothing else.
        environment["SECURE_SSL_REDIRECT"] = "false"
        with production_server(environment) as (base_url, server):
            for page in pages:
                if page.failures:
                    continue
                try:
                    status, _headers, _body = get(base_url + page.path)  # also fills the page's cache once
                except OSError as error:
                    status = f"no answer ({error})"  # type: ignore[assignment]
                if status != 200:
                    page.failures.append(f"{page.path} answered {status}")
                    print(f"{count:>7,} {page.key:>10}: not measured, {page.path} answered {status}", file=sys.stderr)
                    continue
                for number in range(1, runs + 1):
                    run = attempted_run(base_url + page.path, RUNS_DIR / f"{page.key}-{count}-{number}.json", server,
                                        attempts, page)
                    if run is None:
                        print(f"{count:>7,} {page.key:>10} #{number}: not measured ({attempts} attempts failed)")
                        continue
                    page.runs.append(run)
                    print(f"{count:>7,} {page.key:>10} #{number}: performance {run.performance:.0f}, TBT "
                          f"{run.tbt_ms:.0f} ms, CLS {run.cls:.3f}, {run.bytes / 1000:.0f} kB, accessibility "
                          f"{run.accessibility:.0f}, best practices {run.best_practices:.0f}, SEO {run.seo:.0f}, "
                          f"others' CPU {run.others_cpu:.0%}"
                          + (f", attempt {run.attempts}" if run.attempts > 1 else "")
                          + (f"; failing: {', '.join(run.failing)}" if run.failing else ""))
    return pages


def figures_file(count: int) -> Path:
    return BENCH_DIR / f"lighthouse-{count}.json"


def save(count: int, pages: list[Page]) -> None:
    figures_file(count).write_text(json.dumps({
        "count": count, "when": datetime.datetime.now(datetime.UTC).isoformat(),
        "pages": [{"key": page.key, "path": page.path, "runs": [asdict(run) for run in page.runs],
                   "retried": page.retried, "failures": page.failures} for page in pages],
    }, indent=1), encoding="utf-8")


def load(count: int) -> list[Page]:
    data = json.loads(figures_file(count).read_text(encoding="utf-8"))
    return [Page(page["key"], page["path"], [Run(**run) for run in page["runs"]], page.get("retried", []),
                 page.get("failures", [])) for page in data["pages"]]


# -- the report -------------------------------------------------------------------------------------


def mark(met: bool) -> str:
    return "met" if met else "**NOT met**"


def page_targets(page: Page) -> list[tuple[str, str, bool]]:
    """(target, median found, met) for one page; a page without a run meets none."""
    targets = [(f"performance ≥ {MAP_PERFORMANCE}", "performance", "{:.0f}", lambda v: v >= MAP_PERFORMANCE),
               (f"total blocking time < {MAP_TBT_MS:.0f} ms", "tbt_ms", "{:.0f} ms", lambda v: v < MAP_TBT_MS),
               (f"cumulative layout shift < {MAP_CLS}", "cls", "{:.3f}", lambda v: v < MAP_CLS),
               (f"first view < {MAP_BYTES // 1000} KB transferred", "bytes", "{:.0f} KB",
                lambda v: v < MAP_BYTES)] if page.key == "map" else []
    targets += [(f"accessibility {ACCESSIBILITY}", "accessibility", "{:.0f}", lambda v: v >= ACCESSIBILITY),
                (f"best practices ≥ {BEST_PRACTICES}", "best_practices", "{:.0f}", lambda v: v >= BEST_PRACTICES),
                (f"SEO ≥ {SEO}", "seo", "{:.0f}", lambda v: v >= SEO)]
    found = []
    for target, name, shape, test in targets:
        if not page.runs:
            found.append((target, "not measured", False))
            continue
        value = page.median(name)
        found.append((target, shape.format(value / 1000 if name == "bytes" else value), test(value)))
    return found


def runs_note(page: Page, runs: int) -> str:
    """How many of the page's runs the medians are of, when not all."""
    return "" if len(page.runs) == runs else f" ({len(page.runs)} of {runs} runs)"


def report(count: int, pages: list[Page], small_count: int, small: list[Page] | None, runs: int,
           attempts: int = 1, small_failure: str | None = None) -> str:
    lines = [
        "# Lighthouse: the public pages on a phone, against the production mode",
        "",
        f"- When: {datetime.datetime.now(datetime.UTC).replace(microsecond=0).isoformat()}; code {code_version()}",
        *[f"- {fact}" for fact in machine_facts()],
        f"- Lighthouse {lighthouse_version()} (npm, package.json), {chromium_version()} (Debian), headless",
        "- Lighthouse's default mode: mobile (Moto G Power emulation), simulated throttling (150 ms RTT, "
        "1.6 Mbit/s, 4× CPU slowdown); categories performance, accessibility, best practices, SEO",
        f"- Server: `make serve`'s script (config/setup/serve.sh), as behind the TLS proxy; register of "
        f"{count:,} initiatives",
        f"- Medians of {runs} runs per page, a run that Lighthouse failed tried again up to {attempts} times in all. "
        "'Others' CPU': the share of the machine's CPU time that processes "
        "other than this benchmark, Lighthouse's Chromium, the server and its database connections used "
        "during the runs (the machine's 2 cores are shared); 'benchmark index': Lighthouse's own measure of "
        "the machine's speed (higher is faster; simulated throttling scales by it)",
        "",
        "## Medians per page",
        "",
        "| page | address | performance | TBT ms | CLS | first view KB | LCP s | accessibility | best practices | "
        "SEO | others' CPU (max) | benchmark index |",
        "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for page in pages:
        if not page.runs:
            lines.append(f"| {page.key} | `{page.path}` | **not measured** |" + " – |" * 9)
            continue
        lines.append(
            f"| {page.key}{runs_note(page, runs)} | `{page.path}` | {page.median('performance'):.0f} | "
            f"{page.median('tbt_ms'):.0f} | "
            f"{page.median('cls'):.3f} | {page.median('bytes') / 1000:.0f} | {page.median('lcp_ms') / 1000:.1f} | "
            f"{page.median('accessibility'):.0f} | {page.median('best_practices'):.0f} | {page.median('seo'):.0f} | "
            f"{page.median('others_cpu'):.0%} ({max(run.others_cpu for run in page.runs):.0%}) | "
            f"{page.median('benchmark_index'):.0f} |")
    lines += ["", "## Targets (issues 14 and 17)", "", "| page | target | median | |", "|---|---|---:|---|"]
    all_met = True
    for page in pages:
        for target, found, met in page_targets(page):
            all_met &= met
            lines.append(f"| {page.key} | {target} | {found} | {mark(met)} |")
    failing = [(page.key, page.failing()) for page in pages if page.failing()]
    lines += ["", "Audits of accessibility, best practices and SEO that failed: "
              + ("; ".join(f"{key}: {', '.join(audits)}" for key, audits in failing) if failing else "none") + "."]
    troubles = [(page, reason, "tried again") for page in [*pages, *(small or [])] for reason in page.retried]
    troubles += [(page, reason, "**not measured**") for page in [*pages, *(small or [])] for reason in page.failures]
    if troubles or small_failure:
        lines += ["", "## Lighthouse's failures", "",
                  "Runs in which Lighthouse gave no figures (its own trouble, such as NO_NAVSTART, or the page's):",
                  ""]
        lines += [f"- {page.key}: {reason} ({outcome})" for page, reason, outcome in troubles]
        if small_failure:
            lines.append(f"- the map page at {small_count:,}: {small_failure} (**not measured**)")
    if small is not None or small_failure:
        big_map = next((page for page in pages if page.key == "map" and page.runs), None)
        small_map = next((page for page in small or [] if page.key == "map" and page.runs), None)
        if big_map and small_map:
            lines += ["", f"## The map page at {small_count:,} and at {count:,} initiatives", "",
                      f"| figure | {small_count:,} | {count:,} | ratio |", "|---|---:|---:|---:|"]
            for label, name, scale, unit in (("performance", "performance", 1, ""), ("TBT", "tbt_ms", 1, " ms"),
                                             ("CLS", "cls", 1, ""), ("first view", "bytes", 1000, " KB"),
                                             ("LCP", "lcp_ms", 1000, " s"), ("others' CPU", "others_cpu", 0.01, "%")):
                a, b = small_map.median(name), big_map.median(name)
                digits = 3 if name == "cls" else (1 if name == "lcp_ms" else 0)
                lines.append(f"| {label} | {a / scale:.{digits}f}{unit} | {b / scale:.{digits}f}{unit} | "
                             + (f"{b / a:.2f} |" if a else "– |"))
            bytes_ratio = big_map.median("bytes") / small_map.median("bytes")
            perf_ratio = big_map.median("performance") / max(1.0, small_map.median("performance"))
            same = abs(bytes_ratio - 1) <= SIZE_TOLERANCE and abs(perf_ratio - 1) <= SIZE_TOLERANCE
            all_met &= same
            lines += ["", f"Target: the first view's bytes and the performance score within "
                      f"{SIZE_TOLERANCE:.0%} of each other at both sizes: {mark(same)} (bytes ×{bytes_ratio:.2f}, "
                      f"performance ×{perf_ratio:.2f}). TBT near zero is shown, not compared as a ratio: a few "
                      "milliseconds either way make it meaningless."]
        else:
            all_met = False
            lines += ["", f"## The map page at {small_count:,} and at {count:,} initiatives", "",
                      "Not compared: the map page was not measured at both sizes (see Lighthouse's failures)."]
    lines += ["", f"All targets: {mark(all_met)}.", "",
              f"Lighthouse's JSON of every run: {RUNS_DIR.relative_to(PROJECT_DIR)}/<page>-<count>-<run>.json "
              "(open one in https://googlechrome.github.io/lighthouse/viewer/ or read `audits`); of a failed "
              "attempt, <page>-<count>-<run>.failed-<attempt>.json.", ""]
    return "\n".join(lines)


# -- main -----------------------------------------------------------------------------------------------


def small_database_url(database_url: str, name: str) -> str:
    parts = urlsplit(database_url)
    return urlunsplit(parts._replace(path="/" + quote(name)))


def main() -> None:
    signal.signal(signal.SIGTERM, on_sigterm)
    count = envint("LIGHTHOUSE_COUNT", DEFAULT_COUNT)
    runs = envint("LIGHTHOUSE_RUNS", 3)
    attempts = envint("LIGHTHOUSE_ATTEMPTS", 3)
    small_count = envint("LIGHTHOUSE_SMALL_COUNT", 10_000)
    small_db = os.environ.get("LIGHTHOUSE_SMALL_DB", SMALL_DB)
    keys = [key.strip() for key in os.environ.get("LIGHTHOUSE_PAGES", ",".join(PAGES)).split(",") if key.strip()]
    check(runs >= 1, "LIGHTHOUSE_RUNS must be at least 1")
    check(attempts >= 1, "LIGHTHOUSE_ATTEMPTS must be at least 1")
    check(set(keys) <= set(PAGES) and bool(keys), f"LIGHTHOUSE_PAGES must name some of {', '.join(PAGES)}")
    check(small_db.endswith(BENCH_SUFFIX), f"LIGHTHOUSE_SMALL_DB must end in {BENCH_SUFFIX}")
    if not LIGHTHOUSE.exists():
        raise BenchmarkError("Lighthouse is missing: `make setup` installs it (npm ci, package.json)")
    if not Path(CHROMIUM).exists():
        raise BenchmarkError("Chromium is missing: `make system` installs it (Debian package chromium)")

    os.environ.pop("DEBUG", None)  # production mode; this process reads the settings as the server does
    os.environ.setdefault("SECRET_KEY", secrets.token_urlsafe(50))
    database_url = use_bench_database()
    prepare_schema_and_areas()
    pages = measure(count, database_url, keys, runs, attempts)
    save(count, pages)
    small, small_failure = None, None
    if small_count and os.environ.get("LIGHTHOUSE_SUBPROCESS") != "1" and "map" in keys:
        # A second register in a database of its own: this module again in a subprocess, whose
        # settings point there (Django's are read once per process).
        url = small_database_url(database_url, small_db)
        create_database_if_missing(database_url, small_db)
        print(f"The map page again at {small_count:,} initiatives, in {small_db}")
        started = time.perf_counter()
        figures_file(small_count).unlink(missing_ok=True)  # an earlier run's figures must not pass for these
        result = subprocess.run([sys.executable, "-m", "tests.benchmarks.lighthouse"], cwd=PROJECT_DIR, check=False,
                                env={**os.environ, "DATABASE_URL": url, "LIGHTHOUSE_COUNT": str(small_count),
                                     "LIGHTHOUSE_PAGES": "map", "LIGHTHOUSE_SUBPROCESS": "1"})
        print(f"({time.perf_counter() - started:.0f} s)")
        if result.returncode == 0 and figures_file(small_count).exists():
            small = load(small_count)
        else:
            small_failure = f"the run in {small_db} stopped (exit {result.returncode}; its output is above)"
    if os.environ.get("LIGHTHOUSE_SUBPROCESS") != "1":
        publish_report(REPORT_FILE, report(count, pages, small_count, small, runs, attempts, small_failure))
    unmeasured = [page.key for page in pages if page.failures or page.retried]
    if unmeasured or small_failure:
        print(f"Lighthouse failed some runs ({', '.join(unmeasured) or 'the smaller register'}): "
              "the report says which and why; the benchmark goes on.", file=sys.stderr)


if __name__ == "__main__":
    try:
        main()
    except BenchmarkError as error:
        sys.exit(f"Lighthouse benchmark stopped: {error}")
