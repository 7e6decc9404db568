"""Load test with a real hot standby: `make loadtest-replica`.

As `make loadtest` (load.py: the production mode, 100,000 initiatives, the same mix through the
stand-in TLS proxy, a maintainer's edit every LOAD_EDIT_SECONDS), with a streaming replica of the
project's own cluster on this machine (config/setup/devdb.py, `Replica`: port number
REGISTRY_REPLICA_PORT, 5440) as the app's read replica (DATABASE_REPLICA_URLS): anonymous reads go
to the standby, the maintainer's reads and every write to the primary. The mix runs in three parts,
one wrk run per kind in each:

  1. standby in use    LOAD_REPLICA_STOP_AT seconds (20)
  2. standby stopped   2 s in, the standby is stopped (fast shutdown: its sessions are cut, the
                       app's queries on it fail mid-request), kept down LOAD_REPLICA_DOWN seconds
                       (10), then started again (`replica-ensure`: it catches up from its slot);
                       the part lasts LOAD_REPLICA_DOWN + 4 s
  3. standby back      the rest of LOAD_DURATION (60)

LOAD_REPLICA_STOP=false runs the same parts with the standby left running: the control, since the
machine's other work changes over a minute too.

Every answer must still be a success (0 errors): the app repeats on the primary what failed on the
standby and leaves the standby out for DATABASE_REPLICA_RETRY_SECONDS (5) at a time until it
answers again. The maintainer's edits are read back at once through the API with their token (from
the primary), and an anonymous reader polls until it sees each edit (through the standby: the lag
a visitor meets). Every 0.5 s a watcher reads pg_stat_replication on the primary (bytes and time
behind), the transactions of the benchmark database on the standby and on the primary (where the
reads went) and the app's sessions on the standby; a probe asks /healthz (its status and the
standby's lag as the app measures it) 0.5 s after each answer.

Only with the project's own cluster (DATABASE_URL unset, or naming a database in that cluster; the
benchmark database is <name>_bench): the test stops and starts the standby. A standby this test
made is removed at the end; one that was there is left as it was found.
Report: stdout and .bench/load-replica-report.md; gunicorn's log in .bench/load-replica-gunicorn.log.
"""

from __future__ import annotations

import datetime
import json
import os
import secrets
import shutil
import signal
import statistics
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from itertools import pairwise
from pathlib import Path
from typing import Any

from config.env import envbool, envint
from config.setup import devdb
from tests.benchmarks.api import code_version, machine_facts, on_sigterm, wrk_version
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
    CLIENT_ADDRESSES,
    TARGET_P99_MS,
    Edit,
    Editor,
    Result,
    build_mix,
    crawl,
    edit_lines,
    edit_sample,
    export_snapshot,
    finish_wrk,
    fmt,
    get,
    load_editor,
    production_environment,
    production_server,
    scaled_shares,
    start_wrk,
    verify,
    worker_pids,
    workers_from_log,
)

REPORT_FILE = BENCH_DIR / "load-replica-report.md"
SERVER_LOG = BENCH_DIR / "load-replica-gunicorn.log"
APPLICATION_NAME = "registry-load"  # the app's sessions on the standby, counted by the watcher
MARGIN = 2  # seconds of the outage part before the stop and after the standby is back
WATCH_INTERVAL = 0.5


@dataclass
class Part:
    name: str
    started: float  # seconds since the mix started
    ended: float = 0.0
    results: list[Result] = field(default_factory=list)

    @property
    def failed(self) -> int:
        return sum(result.failed for result in self.results)

    @property
    def requests(self) -> int:
        return sum(result.requests for result in self.results)


@dataclass
class Sample:
    """What the servers said at one moment: pg_stat_replication and pg_stat_database."""

    at: float  # seconds since the mix started
    behind_bytes: int | None = None  # pg_stat_replication on the primary: WAL written minus replayed
    replay_lag: float | None = None  # pg_stat_replication on the primary, seconds
    primary_xacts: int | None = None  # the benchmark database's committed and rolled back transactions
    standby_xacts: int | None = None
    standby_sessions: int | None = None  # the app's sessions on the standby


@dataclass
class Health:
    """What /healthz said (answered by the app's workers, so behind the load's queue)."""

    at: float  # seconds since the mix started, when it was asked
    status: int = 0
    health: str = ""  # "ok", "degraded", …
    standby_answers: bool | None = None
    standby_in_use: bool | None = None
    lag_bytes: int | None = None  # the primary's WAL position minus the standby's replay
    lag_seconds: float | None = None


class Watcher(threading.Thread):
    """Every WATCH_INTERVAL, the servers' own statistics (a connection to each)."""

    def __init__(self, replica: devdb.Replica, database: str, started: float) -> None:
        super().__init__(daemon=True)
        self.replica, self.database, self.started = replica, database, started
        self.samples: list[Sample] = []
        self.halt = threading.Event()

    def connect(self, port: str) -> Any:
        import psycopg

        return psycopg.connect(host=devdb.socket_dir(), port=port, dbname="postgres", user=devdb.role_name(),
                               autocommit=True, connect_timeout=2)

    def run(self) -> None:
        import psycopg

        primary = self.connect(devdb.port())
        standby = None
        try:
            while not self.halt.wait(WATCH_INTERVAL):
                sample = Sample(time.monotonic() - self.started)
                row = primary.execute(
                    "SELECT pg_wal_lsn_diff(pg_current_wal_lsn(), replay_lsn)::bigint, "
                    "extract(epoch FROM replay_lag)::float FROM pg_stat_replication WHERE application_name = %s",
                    [self.replica.name]).fetchone()
                if row:
                    sample.behind_bytes, sample.replay_lag = row[0], row[1]
                sample.primary_xacts = self.transactions(primary)
                try:
                    standby = standby or self.connect(self.replica.port)
                    sample.standby_xacts = self.transactions(standby)
                    found = standby.execute("SELECT count(*) FROM pg_stat_activity WHERE application_name = %s",
                                            [APPLICATION_NAME]).fetchone()
                    sample.standby_sessions = found[0] if found else None
                except psycopg.Error:
                    if standby is not None:
                        standby.close()
                    standby = None
                self.samples.append(sample)
        finally:
            primary.close()
            if standby is not None:
                standby.close()

    def transactions(self, connection: Any) -> int | None:
        # Statistics are flushed by the server at most once a second: good enough per part.
        connection.execute("SELECT pg_stat_clear_snapshot()")
        row = connection.execute("SELECT xact_commit + xact_rollback FROM pg_stat_database WHERE datname = %s",
                                 [self.database]).fetchone()
        return int(row[0]) if row else None

    def stop(self) -> list[Sample]:
        self.halt.set()
        self.join(timeout=30)
        return self.samples


class HealthProbe(threading.Thread):
    """/healthz every WATCH_INTERVAL after the last answer."""

    def __init__(self, base_url: str, started: float) -> None:
        super().__init__(daemon=True)
        self.base_url, self.started = base_url, started
        self.answers: list[Health] = []
        self.halt = threading.Event()

    def run(self) -> None:
        while not self.halt.wait(WATCH_INTERVAL):
            health = Health(time.monotonic() - self.started)
            try:
                health.status, _headers, body = get(self.base_url + "/healthz", timeout=30)
                document = json.loads(body)
                replica = document["databases"].get("replica1", {})
                health.health = document.get("status", "")
                health.standby_answers, health.standby_in_use = replica.get("answers"), replica.get("inUse")
                health.lag_bytes, health.lag_seconds = replica.get("lagBytes"), replica.get("lagSeconds")
            except (OSError, ValueError) as error:
                health.health = f"no answer: {error}"
            self.answers.append(health)

    def stop(self) -> list[Health]:
        self.halt.set()
        self.join(timeout=60)
        return self.answers


@dataclass
class Outage:
    stop_given: float = 0.0
    stopped: float = 0.0  # the stop command returned
    start_given: float = 0.0
    streaming: float = 0.0  # replica-ensure returned: started, and streaming from the primary
    error: str = ""


def stop_and_start(replica: devdb.Replica, outage: Outage, started: float, down: int) -> None:
    try:
        time.sleep(MARGIN)
        outage.stop_given = time.monotonic() - started
        replica.stop()
        outage.stopped = time.monotonic() - started
        time.sleep(max(0.0, outage.stop_given + down - (time.monotonic() - started)))
        outage.start_given = time.monotonic() - started
        replica.ensure()
        outage.streaming = time.monotonic() - started
    except (Exception, SystemExit) as error:  # reported; the load goes on
        outage.error = f"{type(error).__name__}: {error}"


def run_part(part: Part, base_url: str, mix: dict[str, list[str]], shares: dict[str, int], seconds: int,
             started: float) -> None:
    part.started = time.monotonic() - started
    running = [(kind, shares[kind], *start_wrk(base_url, mix[kind], shares[kind], seconds)) for kind in mix]
    part.results = [finish_wrk(kind, connections, process, paths) for kind, connections, process, paths in running]
    part.ended = time.monotonic() - started


# -- the report ---------------------------------------------------------------------------------------


def within(samples: list[Any], part: Part) -> list[Any]:
    return [sample for sample in samples if part.started <= sample.at <= part.ended]


def rate(samples: list[Sample], attribute: str, part: Part) -> str:
    """Transactions per second over the part: what the counter grew between consecutive samples that
    both have it, over the part's whole time (a server that is down adds nothing)."""
    counted = [getattr(sample, attribute) for sample in samples]
    grown = sum(max(0, later - earlier) for earlier, later in pairwise(counted)
                if earlier is not None and later is not None)
    return fmt(grown / (part.ended - part.started)) if part.ended > part.started else "–"


def middle(values: list[float | int | None]) -> str:
    present = [value for value in values if value is not None]
    return fmt(statistics.median(present)) if present else "–"


def top(values: list[float | int | None]) -> str:
    present = [value for value in values if value is not None]
    return fmt(max(present)) if present else "–"


def report(count: int, published: int, workers: str, clients: int, replica: devdb.Replica, parts: list[Part],
           outage: Outage, samples: list[Sample], answers: list[Health], edits: list[Edit], edit_seconds: float,
           pids_before: set[int], pids_after: set[int], retry_seconds: int) -> str:
    failed = sum(part.failed for part in parts)
    worst_p99 = max(result.ms("p99") for part in parts for result in part.results)
    health_statuses = sorted({health.status for health in answers})
    edits_clean = all(not edit.error and edit.read_back_ok for edit in edits)
    verdict = ("met" if failed == 0 and worst_p99 < TARGET_P99_MS and edits_clean and not outage.error
               and health_statuses == [200] else "NOT met")
    back = [sample.at for sample in samples if sample.at > outage.streaming and (sample.standby_sessions or 0) > 0]
    lines = [
        "# Load test with a real hot standby, stopped for a while under load",
        "",
        f"- When: {datetime.datetime.now(datetime.UTC).replace(microsecond=0).isoformat()}; code {code_version()}",
        *[f"- {fact}" for fact in machine_facts()],
        f"- Load tool: {wrk_version()}, one process per kind of request and part, on the same machine (loopback)",
        f"- Register: {count:,} initiatives, {published:,} published",
        f"- Server: `make serve`'s script, gunicorn {workers}; database cache (the default); "
        f"DATABASE_REPLICA_URLS: the benchmark database on the standby; DATABASE_REPLICA_RETRY_SECONDS {retry_seconds}",
        f"- Standby: a streaming replica of the project's cluster on this machine (`{replica.data_dir}`, port number "
        f"{replica.port}; `python3 -m config.setup.devdb replica-ensure`), hot_standby_feedback on, without fsync",
        f"- Clients: {clients} connections, no think time, through a stand-in for the TLS proxy "
        f"({CLIENT_ADDRESSES:,} client addresses)",
        (f"- The standby: stop given at {outage.stop_given:.1f} s (fast shutdown), stopped at {outage.stopped:.1f} s; "
         f"start given at {outage.start_given:.1f} s, streaming again at {outage.streaming:.1f} s"
         + (f"; the app's sessions on it again at {min(back):.1f} s" if back else "; the app did not use it again")
         + (f". ERROR: {outage.error}" if outage.error else "") if outage.stop_given else
         "- The standby: left running throughout (LOAD_REPLICA_STOP=false), the control for the run that stops it"),
        "",
        f"Target (0 errors in every part, p99 under {TARGET_P99_MS:.0f} ms for every kind, every edit saved and read "
        f"back at once, /healthz 200 throughout): **{verdict}** (failed: {failed}; worst p99 {fmt(worst_p99)} ms; "
        f"/healthz statuses {health_statuses}).",
        "",
        "## The parts",
        "",
        "| part | seconds | requests | req/s | failed | median p50 of the kinds ms | median p99 ms | worst p99 ms | "
        "standby transactions/s | primary transactions/s | behind, median / max bytes | replay lag, median / max ms "
        "| /healthz lagBytes, median / max |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for part in parts:
        seen, said = within(samples, part), within(answers, part)
        seconds = max(result.seconds for result in part.results)
        p50s, p99s = [r.ms("p50") for r in part.results], [r.ms("p99") for r in part.results]
        behind = [s.behind_bytes for s in seen]
        replay_ms = [None if s.replay_lag is None else 1000 * s.replay_lag for s in seen]
        lag_bytes = [health.lag_bytes for health in said]
        lines.append(
            f"| {part.name} ({part.started:.0f}–{part.ended:.0f} s) | {seconds:.0f} | {part.requests:,} | "
            f"{fmt(part.requests / seconds)} | {part.failed} | {fmt(statistics.median(p50s))} | "
            f"{fmt(statistics.median(p99s))} | {fmt(max(p99s))} | {rate(seen, 'standby_xacts', part)} | "
            f"{rate(seen, 'primary_xacts', part)} | {middle(behind)} / {top(behind)} | {middle(replay_ms)} / "
            f"{top(replay_ms)} | {middle(lag_bytes)} / {top(lag_bytes)} |")
    lines += [
        "",
        f"Every {WATCH_INTERVAL} s: the transactions per second of the benchmark database from each server's "
        "statistics (the primary's include the cache table's reads and writes: throttle counts and kept answers live "
        "there), and pg_stat_replication on the primary: how many bytes of WAL the standby had not replayed and its "
        "`replay_lag` (– while it is down). /healthz's `lagBytes`: the same as the app measures it (the primary's WAL "
        "position, then the standby's replay position).",
        "",
        "## Each kind in each part",
        "",
        "| part | kind | conn. | requests | req/s | p50 ms | p95 ms | p99 ms | max ms | failed |",
        "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for part in parts:
        for result in part.results:
            lines.append(f"| {part.name} | {result.kind} | {result.connections} | {result.requests:,} | "
                         f"{fmt(result.per_second)} | {fmt(result.ms('p50'))} | {fmt(result.ms('p95'))} | "
                         f"{fmt(result.ms('p99'))} | {fmt(result.ms('max'))} | {result.failures()} |")
    lines += [
        "",
        "## Edits during the mix",
        "",
        *edit_lines(edits, edit_seconds),
        "",
        "## What the app and the servers said, every 0.5 s",
        "",
        "Runs of the same /healthz answer about the standby (status, whether it answers, whether the worker that "
        "answered reads from it), asked again 0.5 s after each answer:",
        "",
        *timeline(answers),
        "",
        "The app's sessions on the standby (pg_stat_activity, application_name " + APPLICATION_NAME + "):",
        "",
        *session_timeline(samples),
        "",
        f"gunicorn workers before and after: {sorted(pids_before)} → {sorted(pids_after)} "
        f"({'the same processes' if pids_before == pids_after else 'CHANGED: a worker was restarted'}).",
        "",
    ]
    return "\n".join(lines)


def timeline(answers: list[Health]) -> list[str]:
    runs: list[tuple[float, float, str, int]] = []
    for health in answers:
        answer = (f"{health.status or 'no answer'} {health.health}, standby "
                  f"{'answers' if health.standby_answers else 'does not answer'}"
                  f"{', in use' if health.standby_in_use else ', left out' if health.standby_answers else ''}")
        if runs and runs[-1][2] == answer:
            runs[-1] = (runs[-1][0], health.at, answer, runs[-1][3] + 1)
        else:
            runs.append((health.at, health.at, answer, 1))
    return [f"- {first:.1f}–{last:.1f} s: {answer} ×{count}" for first, last, answer, count in runs]


def session_timeline(samples: list[Sample]) -> list[str]:
    runs: list[tuple[float, float, str, int]] = []
    for sample in samples:
        answer = "standby down" if sample.standby_sessions is None else f"{sample.standby_sessions} sessions"
        if runs and runs[-1][2] == answer:
            runs[-1] = (runs[-1][0], sample.at, answer, runs[-1][3] + 1)
        else:
            runs.append((sample.at, sample.at, answer, 1))
    return [f"- {first:.1f}–{last:.1f} s: {answer}" for first, last, answer, _count in runs]


def on_project_cluster(url: str) -> bool:
    import dj_database_url

    database = dj_database_url.parse(url)
    return (database.get("HOST") or "") == devdb.socket_dir() and str(database.get("PORT") or "") == devdb.port()


def main() -> None:
    signal.signal(signal.SIGTERM, on_sigterm)
    if os.environ.get("DATABASE_URL") and not on_project_cluster(os.environ["DATABASE_URL"]):
        raise BenchmarkError("the load test with a standby stops and starts a replica of the project's own cluster: "
                             "it runs only with that cluster (DATABASE_URL unset, or naming a database in it)")
    count = envint("LOAD_COUNT", DEFAULT_COUNT)
    clients = envint("LOAD_CLIENTS", 50)
    seconds = envint("LOAD_DURATION", 60)
    alone_seconds = envint("LOAD_ALONE", 5)
    edit_seconds = envint("LOAD_EDIT_SECONDS", 5)
    stop_at = envint("LOAD_REPLICA_STOP_AT", 20)
    down = envint("LOAD_REPLICA_DOWN", 10)
    # LOAD_REPLICA_STOP=false: the same parts with the standby left running, to tell what the stop
    # does from what the machine's other work does over the minute.
    stopping = envbool("LOAD_REPLICA_STOP", True)
    retry_seconds = envint("DATABASE_REPLICA_RETRY_SECONDS", 5)
    check(stop_at >= 10 and down >= 1 and seconds - stop_at - down - 2 * MARGIN >= 10,
          "LOAD_DURATION must leave at least 10 s after the standby is back (LOAD_REPLICA_STOP_AT ≥ 10)")
    if shutil.which("wrk") is None:
        raise BenchmarkError("the HTTP load tool wrk is missing: apt-get install -y --no-install-recommends wrk")

    os.environ.pop("DEBUG", None)
    os.environ.setdefault("SECRET_KEY", secrets.token_urlsafe(50))
    database_url = use_bench_database()
    name = prepare_schema_and_areas()
    from django.core.cache import cache
    from django.core.management import call_command
    from django.db import connections

    from registry.models import Initiative

    call_command("createcachetable")
    ensure_register(count)
    cache.clear()
    published = Initiative.objects.published().count()
    editor_user, token = load_editor()
    edited = edit_sample()

    replica = devdb.Replica()
    made_here, was_running = replica.problem() is not None, replica.is_running()
    print(f"The standby: {'making' if made_here else 'using'} a streaming replica on port {replica.port}")
    replica.ensure()
    try:
        with tempfile.TemporaryDirectory(prefix="load-replica-") as work:
            day, _seconds = export_snapshot(Path(work) / "opendata")
            mix = build_mix(day)
            connections.close_all()
            environment = production_environment(database_url, Path(work) / "static", Path(work) / "opendata")
            environment["DATABASE_REPLICA_URLS"] = f"{replica.url(name)}?application_name={APPLICATION_NAME}"
            environment["DATABASE_REPLICA_RETRY_SECONDS"] = str(retry_seconds)
            with production_server(environment, SERVER_LOG) as (base_url, server):
                workers = workers_from_log(SERVER_LOG)
                verify(base_url, mix)
                cache.clear()
                print(f"Filling the caches: {sum(len(set(paths)) for paths in mix.values()):,} addresses")
                crawl(base_url, mix)
                for kind, paths in mix.items():
                    finish_wrk(kind, 1, *start_wrk(base_url, paths, 1, alone_seconds))
                pids_before = worker_pids(server)
                shares = scaled_shares(clients)
                started = time.monotonic()
                watcher, probe = Watcher(replica, name, started), HealthProbe(base_url, started)
                editor = Editor(base_url, editor_user, token, edited, edit_seconds, public=True)
                watcher.start()
                probe.start()
                if edit_seconds:
                    editor.start()
                names = (["standby in use", "standby stopped", "standby back"] if stopping else
                         ["standby in use", "standby in use (2)", "standby in use (3)"])
                parts = [Part(name, 0) for name in names]
                print(f"The mix: {clients} connections; " + (f"the standby stopped at {stop_at + MARGIN} s for {down} s"
                                                              if stopping else "the standby left running"))
                run_part(parts[0], base_url, mix, shares, stop_at, started)
                outage = Outage()
                fault = threading.Thread(target=stop_and_start, args=(replica, outage, started, down), daemon=True)
                if stopping:
                    fault.start()
                run_part(parts[1], base_url, mix, shares, down + 2 * MARGIN, started)
                if stopping:
                    fault.join()
                run_part(parts[2], base_url, mix, shares, max(10, seconds - round(parts[1].ended)), started)
                edits = editor.stop() if edit_seconds else []
                samples, answers = watcher.stop(), probe.stop()
                pids_after = worker_pids(server)
                for part in parts:
                    print(f"{part.name}: {part.requests:,} requests, failed {part.failed}, worst p99 "
                          f"{fmt(max(r.ms('p99') for r in part.results))} ms")
    finally:
        if made_here:
            replica.remove()
        elif not was_running:
            replica.stop()
    publish_report(REPORT_FILE, report(count, published, workers, clients, replica, parts, outage, samples, answers,
                                       edits, edit_seconds, pids_before, pids_after, retry_seconds))


if __name__ == "__main__":
    try:
        main()
    except BenchmarkError as error:
        sys.exit(f"Load test with a standby stopped: {error}")
