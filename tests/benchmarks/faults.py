"""Fault test: PostgreSQL restarted under load (`make faulttest`).

The production mode (config/setup/serve.sh, as for the load test) serves the benchmark register
while wrk drives the load test's mix (without the snapshot file) with FAULT_CLIENTS (50)
connections for FAULT_DURATION (60) seconds. After FAULT_AT (15) seconds the project's own
PostgreSQL cluster is stopped (fast shutdown: every connection is cut, as in a restart or a
fail-over), kept down for FAULT_DOWN (5) seconds, and started again. Nothing is done to the
application: it must answer 503 while the database is away (a problem document on the API) and
answer normally again by itself once the database is back, with the same worker processes.

Beside wrk, probes ask for an API page, a public page and /healthz every PROBE_INTERVAL seconds
and record each answer's time, status and type: the timeline of the report.

Only with the project's own cluster (DATABASE_URL unset): the test stops that server. Report on
stdout and in .bench/fault-report.md; gunicorn's log in .bench/fault-gunicorn.log.
"""

from __future__ import annotations

import datetime
import os
import secrets
import signal
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from urllib.error import URLError

from config.env import envint
from config.setup import devdb
from tests.benchmarks.api import code_version, machine_facts, on_sigterm
from tests.benchmarks.common import (
    BENCH_DIR,
    DEFAULT_COUNT,
    BenchmarkError,
    check,
    ensure_register,
    prepare_schema_and_areas,
    publish_report,
    use_bench_database,
)
from tests.benchmarks.load import (
    Result,
    build_mix,
    get,
    production_environment,
    production_server,
    run_mix,
    scaled_shares,
    worker_pids,
    workers_from_log,
)

REPORT_FILE = BENCH_DIR / "fault-report.md"
SERVER_LOG = BENCH_DIR / "fault-gunicorn.log"
PROBE_INTERVAL = 0.1


@dataclass(frozen=True)
class Probe:
    at: float  # seconds since the load started
    target: str
    status: int  # 0: no answer at all
    content_type: str
    retry_after: str


class Prober(threading.Thread):
    def __init__(self, base_url: str, target: str, path: str, started: float) -> None:
        super().__init__(daemon=True)
        self.base_url, self.target, self.path, self.started = base_url, target, path, started
        self.probes: list[Probe] = []
        self.stop = threading.Event()

    def run(self) -> None:
        while not self.stop.is_set():
            moment = time.monotonic() - self.started
            try:
                status, headers, _body = get(self.base_url + self.path, timeout=30)
            except (URLError, OSError):
                status, headers = 0, {}
            self.probes.append(Probe(moment, self.target, status, headers.get("Content-Type", ""),
                                     headers.get("Retry-After", "")))
            self.stop.wait(PROBE_INTERVAL)


@dataclass
class Outage:
    stopped_at: float = 0.0
    down_at: float = 0.0  # the server's stop command returned
    started_at: float = 0.0  # the start command was given
    ready_at: float = 0.0  # the start command returned (it waits until the server accepts connections)


def restart_database(outage: Outage, started: float, at: int, down: int) -> None:
    time.sleep(at)
    outage.stopped_at = time.monotonic() - started
    devdb.stop()
    outage.down_at = time.monotonic() - started
    time.sleep(down)
    outage.started_at = time.monotonic() - started
    devdb.ensure()
    outage.ready_at = time.monotonic() - started


def timeline(probes: list[Probe], outage: Outage) -> list[str]:
    """Runs of the same answer per target, in time order."""
    lines = []
    for target in sorted({probe.target for probe in probes}):
        runs: list[tuple[float, float, str, int]] = []
        for probe in (p for p in probes if p.target == target):
            answer = f"{probe.status or 'no answer'} {probe.content_type.split(';')[0]}".strip()
            if runs and runs[-1][2] == answer:
                runs[-1] = (runs[-1][0], probe.at, answer, runs[-1][3] + 1)
            else:
                runs.append((probe.at, probe.at, answer, 1))
        lines.append(f"- {target}: " + "; ".join(f"{first:.1f}–{last:.1f} s: {answer} ×{count}"
                                                    for first, last, answer, count in runs))
    return lines


def main() -> None:
    signal.signal(signal.SIGTERM, on_sigterm)
    if os.environ.get("DATABASE_URL"):
        raise BenchmarkError("the fault test stops PostgreSQL: it runs only with the project's own cluster "
                             "(DATABASE_URL unset)")
    count = envint("FAULT_COUNT", DEFAULT_COUNT)
    clients = envint("FAULT_CLIENTS", 50)
    seconds = envint("FAULT_DURATION", 60)
    at = envint("FAULT_AT", 15)
    down = envint("FAULT_DOWN", 5)
    check(at + down + 20 <= seconds, "FAULT_DURATION must leave at least 20 s after the database is back")

    os.environ.pop("DEBUG", None)
    os.environ.setdefault("SECRET_KEY", secrets.token_urlsafe(50))
    database_url = use_bench_database()
    prepare_schema_and_areas()
    from django.core.management import call_command

    call_command("createcachetable")
    ensure_register(count)
    from django.db import connections

    mix = {kind: paths for kind, paths in build_mix("none").items() if kind != "snapshot"}
    connections.close_all()  # this process holds no connection through the restart
    targets = {"API page": "/api/v1/initiatives?pageSize=50&page=3", "public page": "/initiatieven?page=3",
               "health check": "/healthz"}
    with tempfile.TemporaryDirectory(prefix="faults-") as work:
        environment = production_environment(database_url, Path(work) / "static", Path(work) / "opendata")
        with production_server(environment, SERVER_LOG) as (base_url, server):
            workers = workers_from_log(SERVER_LOG)
            for path in targets.values():
                status, _headers, body = get(base_url + path)
                check(status == 200, f"{path} answered {status} before the fault: {body[:300]!r}")
            pids_before = worker_pids(server)
            started = time.monotonic()
            outage = Outage()
            probers = [Prober(base_url, target, path, started) for target, path in targets.items()]
            fault = threading.Thread(target=restart_database, args=(outage, started, at, down), daemon=True)
            for thread in [*probers, fault]:
                thread.start()
            print(f"The mix: {clients} connections for {seconds} s; PostgreSQL stopped at {at} s for {down} s")
            shares = scaled_shares(clients)
            shares["download"] += shares.pop("snapshot")
            results = run_mix(base_url, mix, shares, seconds)
            fault.join()
            for prober in probers:
                prober.stop.set()
                prober.join()
            pids_after = worker_pids(server)
            final = {target: get(base_url + path)[0] for target, path in targets.items()}
    probes = sorted((probe for prober in probers for probe in prober.probes), key=lambda p: p.at)
    publish_report(REPORT_FILE, report(workers, clients, seconds, outage, results, probes, final, pids_before,
                                       pids_after))


def report(workers: str, clients: int, seconds: int, outage: Outage, results: list[Result], probes: list[Probe],
           final: dict[str, int], pids_before: set[int], pids_after: set[int]) -> str:
    statuses: dict[str, int] = {}
    socket_errors: dict[str, int] = {}
    for result in results:
        for status, n in result.statuses.items():
            statuses[status] = statuses.get(status, 0) + n
        for kind, n in result.socket_errors.items():
            if kind != "status" and n:
                socket_errors[kind] = socket_errors.get(kind, 0) + n
    unexpected = {status: n for status, n in statuses.items() if status not in ("200", "503")}
    failing = [p for p in probes if p.status != 200]
    api_503 = [p for p in failing if p.target == "API page" and p.status == 503]
    first_bad = min((p.at for p in failing), default=None)
    back = [p.at for p in probes if p.at > outage.started_at and p.status == 200]
    recovered_at = min(back, default=None)
    last_bad = max((p.at for p in failing), default=None)
    clean = (not unexpected and not socket_errors and all(p.status in (200, 503) for p in probes)
             and all(p.content_type.startswith("application/problem+json") and p.retry_after for p in api_503)
             and set(final.values()) == {200} and pids_before == pids_after)
    lines = [
        "# Fault test: PostgreSQL restarted under load",
        "",
        f"- When: {datetime.datetime.now(datetime.UTC).replace(microsecond=0).isoformat()}; code {code_version()}",
        *[f"- {fact}" for fact in machine_facts()],
        f"- Server: `make serve`'s script, gunicorn {workers}; database cache (the default)",
        f"- Load: the load test's mix without the snapshot file, {clients} connections for {seconds} s",
        f"- PostgreSQL (the project's own cluster): stop given at {outage.stopped_at:.1f} s (fast shutdown, "
        f"every connection cut), down at {outage.down_at:.1f} s, start given at {outage.started_at:.1f} s, "
        f"start command returned (server ready, database checked) at {outage.ready_at:.1f} s",
        "",
        "## What the clients got",
        "",
        "wrk, all requests of the mix: " + ", ".join(f"{status}: {n:,}" for status, n in sorted(statuses.items()))
        + (f"; socket errors: {socket_errors}" if socket_errors else "; no socket errors (every request answered)"),
        f"Answers other than 200 and 503: {unexpected or 'none'}.",
        "",
        f"Probes every {PROBE_INTERVAL:.1f} s (timeline, seconds since the load started):",
        *timeline(probes, outage),
        "",
        f"- First failed probe at {first_bad:.1f} s" if first_bad is not None else "- No probe failed",
        f"- Last failed probe at {last_bad:.1f} s; first success after the start was given at "
        f"{recovered_at:.1f} s ({recovered_at - outage.started_at:.2f} s after it)"
        if last_bad is not None and recovered_at is not None else "- (no recovery to measure)",
        f"- API answers during the outage: {len(api_503)} × 503, all application/problem+json with Retry-After: "
        f"{all(p.content_type.startswith('application/problem+json') and p.retry_after for p in api_503)}",
        f"- After the load: {final}",
        f"- gunicorn workers before and after: {sorted(pids_before)} → {sorted(pids_after)} "
        f"({'the same processes: recovered without a restart' if pids_before == pids_after else 'CHANGED'})",
        "",
        f"Verdict: **{'clean' if clean else 'NOT clean'}** (only 200 and 503, no connection errors, 503s of the API "
        "as problem documents, everything 200 again afterwards, no worker restarted).",
        "",
    ]
    return "\n".join(lines)


if __name__ == "__main__":
    try:
        main()
    except BenchmarkError as error:
        sys.exit(f"Fault test stopped: {error}")
