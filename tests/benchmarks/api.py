"""Load benchmark of the REST API: gunicorn in production mode, wrk on the loopback interface.

    make bench                                    # after the area benchmark (run.py)
    DEBUG=true python -m tests.benchmarks.api     # this one alone
    BENCH_COUNT=2000 BENCH_DURATION=3 make bench  # a quick check

On the benchmark's own database (``registry_bench``, seeded by the first benchmark with N demo
initiatives and reused), it serves the project with gunicorn on 127.0.0.1 (a free port) with
DEBUG=false, and loads these requests with wrk, each for BENCH_DURATION seconds, once over one
connection (the service time of a lone client) and once over BENCH_CONNECTIONS connections:

1. a 50-item JSON page, the first one and page 200;
2. a filtered 50-item page (province, service and status);
3. a bounding box as GeoJSON, with a box chosen to hold about 1,000 published initiatives;
4. one initiative, rotating over 100 published ones.

Next to each it times, in the same run, the bare SQL that produces the same data (median of
BENCH_SQL_REPEAT runs) and checks that it finds the same records as the API, and it counts the
queries of one request. The report goes to stdout and to .bench/api-report.md; gunicorn's own
log to .bench/gunicorn.log.

Settings (environment): BENCH_COUNT (100000; shared with run.py, a change reseeds), BENCH_DURATION
(10 s per run), BENCH_CONNECTIONS (8), BENCH_WORKERS (2), BENCH_SQL_REPEAT (20), BENCH_ANON_RATE
(1000000/second), BENCH_QUIET_WAIT (120 s: how long, in all, to wait for other processes to leave
the CPU before a scenario), BENCH_RESPONSE_CACHE (off; `on` measures anonymous reads answered from
the response cache, into .bench/api-report-cached.md). gunicorn runs with config/gunicorn.conf.py.
Needs wrk (Debian package `wrk`).
"""

from __future__ import annotations

import datetime
import importlib.metadata
import json
import os
import platform
import re
import secrets
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path
from types import FrameType
from typing import Any
from urllib.error import HTTPError, URLError
from urllib.request import ProxyHandler, build_opener

from config.env import envint, envstr
from tests.benchmarks.common import (
    BENCH_DIR,
    DEFAULT_COUNT,
    PROJECT_DIR,
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

# Two passes (make bench runs both): the API computing every answer (the response cache off), and
# anonymous reads answered from the response cache, which is what repeated requests meet.
RESPONSE_CACHE = envstr("BENCH_RESPONSE_CACHE", "off")
REPORT_FILE = BENCH_DIR / ("api-report-cached.md" if RESPONSE_CACHE == "on" else "api-report.md")
CACHE_TITLES = {False: "response cache off (every answer computed)",
                True: "response cache ON (warm, repeated requests)"}
SERVER_LOG = BENCH_DIR / "gunicorn.log"
WRK_SCRIPT = Path(__file__).with_name("wrk.lua")
HOST = "127.0.0.1"  # loopback only: nothing leaves the machine
HEALTH_PATH = "/api/v1/kinds"
FLOOR_PATH = "/robots.txt"  # through gunicorn and every middleware, to a view that reads nothing
DOCUMENT_BASE = f"http://{HOST}:8000/api/v1/initiatives/"  # a list URL of the same length as the server's

# Two sync workers, as the read-model issue measures (and a peer server would be given): on two
# cores shared with PostgreSQL and wrk, a worker per core.
DEFAULT_WORKERS = 2
DEFAULT_CONNECTIONS = 8  # more than the workers, so none waits for work; the rest queue in the backlog
DEFAULT_DURATION = 10
WARMUP_SECONDS = 2
DEFAULT_SQL_REPEAT = 20
# Per second rather than per minute: DRF's throttle keeps one timestamp per request of the window
# in the cache entry of the client address, and all of wrk's requests come from 127.0.0.1. Over a
# minute that list grows to tens of thousands of entries, read and written on every request,
# which would measure the throttle's bookkeeping instead of the API. Over a second it stays as
# short as a busy real client's list under the production rate (600/minute).
DEFAULT_ANON_RATE = "1000000/second"
PAGE_SIZE = 50
LATER_PAGE = 801  # offset 40,000: deep in the list, where a harvester paging by number goes
BBOX_TARGET = 1000
BBOX_CENTRE = (5.1214, 52.0907)  # Utrecht
DETAIL_IDS = 100
WRK_THREADS = 1  # one event loop drives thousands of requests a second; the server is the bottleneck
WRK_TIMEOUT = "30s"
TARGET_P95_MS = 100.0
# Before each scenario, wait (at most BENCH_QUIET_WAIT seconds over the whole run) while processes
# outside the benchmark keep more than QUIET_SHARE of the CPU busy.
DEFAULT_QUIET_WAIT = 120
QUIET_SHARE = 0.15
QUIET_SAMPLE = 3.0


def on_sigterm(signum: int, frame: FrameType | None) -> None:
    # Turn a polite kill into SystemExit, so the finally blocks stop the server.
    sys.exit(128 + signum)


@dataclass
class Settings:
    duration: int  # seconds per wrk run
    connections: int  # of the loaded run (the other has one)
    workers: int  # gunicorn sync workers
    sql_repeat: int  # timed runs of the bare SQL
    rate: str  # API_ANON_RATE
    quiet_wait: int  # seconds, at most, of waiting for other processes to leave the CPU
    quiet_waited: float = 0.0
    floor: LoadResult | None = None  # a lone client of FLOOR_PATH: the stack without SQL


# -- the bare SQL --------------------------------------------------------------------------------


def select_list(model: Any, alias: str, exclude: Sequence[str] = ()) -> str:
    from django.db import connection

    return ", ".join(f"{alias}.{connection.ops.quote_name(f.column)}"
                     for f in model._meta.concrete_fields if f.name not in exclude)


@dataclass
class BareResult:
    count: int | None
    ids: list[int]
    rows: int


@dataclass
class BareQuery:
    """The statements that produce a response's data, as a lean implementation would send them:

    the number of matches (count(*)), the page of initiatives joined to their kind, municipality
    and province (the same columns as the API: all but the search vector and the area outlines),
    and for those ids their services, funding sources and partnerships (with partner, kind of
    partner and role) — the three queries the API's prefetch_related sends too. Rows are fetched
    into Python tuples; building objects and JSON is what the API adds on top.
    """

    where: str
    param_sets: list[list[Any]]
    limit: int | None
    offset: int = 0
    with_count: bool = True

    @staticmethod
    def tables() -> dict[str, str]:
        from geo.models import Municipality, Province
        from registry.models import FundingSource, Initiative, Kind, Partner, PartnerKind, Partnership, PartnershipRole
        from registry.models import Service as ServiceModel

        return {
            "initiative": Initiative._meta.db_table, "kind": Kind._meta.db_table,
            "municipality": Municipality._meta.db_table, "province": Province._meta.db_table,
            "services": Initiative.services.through._meta.db_table, "service": ServiceModel._meta.db_table,
            "funding": Initiative.funding_sources.through._meta.db_table,
            "fundingsource": FundingSource._meta.db_table, "partnership": Partnership._meta.db_table,
            "partner": Partner._meta.db_table, "partnerkind": PartnerKind._meta.db_table,
            "role": PartnershipRole._meta.db_table,
        }

    def count_sql(self) -> str:
        return f"SELECT count(*) FROM {self.tables()['initiative']} i WHERE {self.where}"

    def page_sql(self) -> str:
        from geo.models import Municipality, Province
        from registry.models import Initiative, Kind

        t = self.tables()
        columns = ", ".join([select_list(Initiative, "i"), select_list(Kind, "k"),
                             select_list(Municipality, "m", ["geometry"]), select_list(Province, "p", ["geometry"])])
        limit = f"\n LIMIT {self.limit} OFFSET {self.offset}" if self.limit is not None else ""
        return (f"SELECT {columns}\n  FROM {t['initiative']} i\n  JOIN {t['kind']} k ON k.id = i.kind_id\n"
                f"  LEFT JOIN {t['municipality']} m ON m.id = i.municipality_id\n"
                f"  LEFT JOIN {t['province']} p ON p.id = i.province_id\n"
                f" WHERE {self.where}\n ORDER BY i.name, i.id{limit}")

    @classmethod
    def prefetch_sql(cls) -> list[str]:
        from registry.models import FundingSource, Partner, PartnerKind, Partnership, PartnershipRole
        from registry.models import Service as ServiceModel

        t = cls.tables()
        return [
            f"SELECT s.initiative_id, {select_list(ServiceModel, 'v')}\n  FROM {t['services']} s\n"
            f"  JOIN {t['service']} v ON v.id = s.service_id\n WHERE s.initiative_id = ANY(%s)\n"
            ' ORDER BY v."order", v.code',
            f"SELECT f.initiative_id, {select_list(FundingSource, 'v')}\n  FROM {t['funding']} f\n"
            f"  JOIN {t['fundingsource']} v ON v.id = f.fundingsource_id\n WHERE f.initiative_id = ANY(%s)\n"
            ' ORDER BY v."order", v.code',
            f"SELECT {select_list(Partnership, 'ps')}, {select_list(Partner, 'pa')}, "
            f"{select_list(PartnerKind, 'pk')}, {select_list(PartnershipRole, 'r')}\n"
            f"  FROM {t['partnership']} ps\n  JOIN {t['partner']} pa ON pa.id = ps.partner_id\n"
            f"  JOIN {t['partnerkind']} pk ON pk.id = pa.kind_id\n  JOIN {t['role']} r ON r.id = ps.role_id\n"
            ' WHERE ps.initiative_id = ANY(%s)\n ORDER BY pa.name, r."order", ps.start',
        ]

    def statement_count(self) -> int:
        return (1 if self.with_count else 0) + 1 + len(self.prefetch_sql())

    def run(self, cursor: Any, number: int) -> BareResult:
        params = self.param_sets[number % len(self.param_sets)]
        count = None
        if self.with_count:
            cursor.execute(self.count_sql(), params)
            count = cursor.fetchone()[0]
        cursor.execute(self.page_sql(), params)
        page = cursor.fetchall()
        ids = [row[0] for row in page]
        rows = len(page)
        for statement in self.prefetch_sql():
            cursor.execute(statement, [ids])
            rows += len(cursor.fetchall())
        return BareResult(count, ids, rows)


@dataclass
class DocumentQuery:
    """The statements that produce a response's bytes from the read model (registry.documents), sent
    over a plain psycopg connection: the number of matches (count(*)) and the page's documents
    assembled and joined by PostgreSQL. What the API adds on top is Django: routing, the filter set,
    the throttle, Last-Modified, the envelope."""

    where: str
    param_sets: list[list[Any]]
    limit: int | None
    kind: str  # "record", "detail" or "feature" (registry.documents._assembled)
    offset: int = 0
    with_count: bool = True
    order: str = "i.name, i.id"
    count_where: str = ""  # when the count's condition differs (a walk by cursor counts the whole list)
    count_params: int = 0  # how many of the parameters the count takes (0: all)

    def count_sql(self) -> str:
        return f"SELECT count(*) FROM registry_initiative i WHERE {self.count_where or self.where}"

    def documents_sql(self) -> str:
        from registry.documents import INITIATIVES, RUN, _assembled, assembled_joins, one_document_sql

        if self.kind == "detail":  # as registry.documents.assemble_one: the document and its version
            return one_document_sql(self.kind, f"SELECT i.id FROM {INITIATIVES} i WHERE {self.where}")
        limit = f" LIMIT {self.limit} OFFSET {self.offset}" if self.limit is not None else ""
        # As registry.documents.joined_in_order: joined by PostgreSQL in runs, the runs by the client.
        return (f"SELECT string_agg(piece, ',' ORDER BY ord)\n"
                f"  FROM (SELECT {_assembled(self.kind)} AS piece, t.ord\n"
                f"          FROM unnest(ARRAY(SELECT i.id FROM {INITIATIVES} i WHERE {self.where} ORDER BY {self.order}"
                f"{limit})) WITH ORDINALITY AS t(id, ord)\n"
                f"          JOIN {INITIATIVES} i ON i.id = t.id {assembled_joins(self.kind)}) pieces\n"
                f" GROUP BY (ord - 1) / {RUN} ORDER BY (ord - 1) / {RUN}")

    def statement_count(self) -> int:
        return 2 if self.with_count else 1

    def run(self, cursor: Any, number: int, base: str) -> tuple[int | None, bytes]:
        from registry.documents import _Utf8, assembled_params, one_document_params

        params = self.param_sets[number % len(self.param_sets)]
        count = None
        if self.with_count:
            cursor.execute(self.count_sql(), params[:self.count_params] if self.count_params else params)
            count = cursor.fetchone()[0]
        # As the app reads them: the runs as PostgreSQL sent them, UTF-8 bytes (registry.documents._Utf8).
        with cursor.connection.cursor() as documents_cursor:
            documents_cursor.adapters.register_loader("text", _Utf8)
            start = one_document_params(base) if self.kind == "detail" else assembled_params(base)
            documents_cursor.execute(self.documents_sql(), [*start, *params])
            return count, b",".join(row[0] for row in documents_cursor.fetchall())


# -- the scenarios -------------------------------------------------------------------------------


@dataclass
class Profile:
    """One request through Django's test client in this process: its queries and where time goes."""

    queries: dict[str, int]
    db_ms: float
    wall_ms: float  # median of several requests


@dataclass
class LoadResult:
    connections: int
    requests: int
    seconds: float
    bytes: int
    statuses: dict[str, int]  # by code, where wrk's script counts them (not in run_wrk here: BENCH_WRK_CODES)
    socket_errors: dict[str, int]
    latency_us: dict[str, float]
    others_cpu: float = 0.0  # share of the machine's CPU time used by processes outside the benchmark
    server_cpu: float = 0.0  # CPU seconds of gunicorn and its database connections

    @property
    def cpu_ms_per_request(self) -> float:
        return self.server_cpu * 1000 / self.requests if self.requests else 0.0

    @property
    def per_second(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0

    @property
    def non_2xx(self) -> int:
        """Responses with a status of 400 or more, as wrk counts them (run_wrk counts no codes; each
        scenario's first address was checked for a 200 before its runs)."""
        return int(self.socket_errors.get("status", 0))

    @property
    def errors(self) -> int:
        return sum(count for kind, count in self.socket_errors.items() if kind != "status")

    def ms(self, key: str) -> float:
        return self.latency_us[key] / 1000


@dataclass
class Scenario:
    key: str
    title: str
    paths: list[str]  # wrk rotates over them
    bare: BareQuery
    documents: DocumentQuery
    page_target: bool = False  # a 50-item page: the p95 target applies
    note: str = ""
    # Filled in while measuring:
    sql: Series = field(default_factory=lambda: Series("bare SQL"))
    document_sql: Series = field(default_factory=lambda: Series("document SQL"))
    # The same statements, each after the connection idled as a lone client's does between its
    # requests (measure_idle_sql): what the statement costs inside a lone request on this machine.
    idle_document_sql: Series = field(default_factory=lambda: Series("document SQL after idling"))
    document_text: bytes = b""
    sql_others_cpu: float = 0.0
    bare_result: BareResult | None = None
    api_count: int | None = None
    api_items: int = 0
    response_bytes: int = 0
    profile: Profile | None = None
    loads: list[LoadResult] = field(default_factory=list)


# The read model's targets (issue 13), every answer computed: throughput at BENCH_CONNECTIONS for a box
# of about 1,000 features and a 50-item page, and a lone client's p50 against the document SQL.
THROUGHPUT_TARGETS = {"bbox": 90.0, "page-1": 190.0}
LONE_CLIENT_RATIO = 2.0


def read_model_targets(scenarios: Sequence[Scenario], connections: int, floor: LoadResult | None) -> list[str]:
    lines = ["## Targets of the read model (every answer computed)", ""]
    for scenario in scenarios:
        loads = {load.connections: load for load in scenario.loads}
        target = THROUGHPUT_TARGETS.get(scenario.key)
        if target is not None and connections in loads:
            rate = loads[connections].per_second
            lines.append(f"- {scenario.title}: {rate:,.1f} req/s at {connections} connections, target ≥ {target:.0f}: "
                         f"**{'met' if rate >= target else 'NOT met'}**")
        if 1 in loads and scenario.document_sql.seconds:
            ratio = loads[1].ms("p50") / (scenario.document_sql.median * 1000)
            lines.append(f"- {scenario.title}: a lone client's p50 {fmt_ms(loads[1].ms('p50'))} ms is {ratio:.1f}× "
                         f"the document SQL, target ≤ {LONE_CLIENT_RATIO:.0f}×: "
                         f"**{'met' if ratio <= LONE_CLIENT_RATIO else 'NOT met'}**")
            if ratio > LONE_CLIENT_RATIO and floor is not None and scenario.idle_document_sql.seconds:
                idle_ms, floor_ms = scenario.idle_document_sql.median * 1000, floor.ms("p50")
                document_ms = scenario.document_sql.median * 1000
                lines.append(
                    f"  - The floor beneath it, in this run: the same statement after idling as a lone client's "
                    f"does takes {idle_ms:,.2f} ms (against {document_ms:,.2f} in a tight "
                    f"loop), and the stack without SQL (`{FLOOR_PATH}` at one connection) {floor_ms:,.2f} ms. "
                    f"Together {idle_ms + floor_ms:,.2f} ms, {(idle_ms + floor_ms) / document_ms:.1f}× "
                    f"the document SQL before the view does anything; the view adds "
                    f"{max(0.0, loads[1].ms('p50') - idle_ms - floor_ms):,.2f} ms.")
    return lines


def published_state() -> str:
    from registry.models import PublicationState

    return str(PublicationState.PUBLISHED)


def choose_bbox(target: int) -> tuple[tuple[float, float, float, float], int]:
    """The largest box around BBOX_CENTRE (about square on the ground) that holds at most
    `target` published initiatives, by bisection on its half-height in degrees."""
    from registry.models import Initiative

    lon, lat = BBOX_CENTRE

    def box(half: float) -> tuple[float, float, float, float]:
        # At 52° N a degree of longitude is 0.62 of a degree of latitude on the ground.
        return (round(lon - half * 1.62, 4), round(lat - half, 4), round(lon + half * 1.62, 4), round(lat + half, 4))

    def count(half: float) -> int:
        return int(Initiative.objects.published().in_bbox(*box(half)).count())

    low, high = 0.0, 1.5
    if count(high) <= target:
        return box(high), count(high)
    for _ in range(24):
        middle = (low + high) / 2
        if count(middle) <= target:
            low = middle
        else:
            high = middle
    return box(low), count(low)


def build_scenarios() -> list[Scenario]:
    from registry.models import Initiative

    published = published_state()
    total = Initiative.objects.published().count()
    check(total > 0, "the benchmark database holds no published initiatives")
    page_where = "i.publication_state = %s"
    later_page = min(LATER_PAGE, max(1, -(-total // PAGE_SIZE)))

    province, service, status = "PV28", "winkel", "actief"
    filter_where = ("i.publication_state = %s\n   AND i.province_id = (SELECT id FROM geo_province WHERE code = %s)\n"
                    "   AND i.status = %s\n   AND EXISTS (SELECT 1 FROM registry_initiative_services s\n"
                    "                JOIN registry_service v ON v.id = s.service_id\n"
                    "               WHERE s.initiative_id = i.id AND v.code = %s)")

    bbox, in_box = choose_bbox(BBOX_TARGET)
    # As InitiativeQuerySet.in_bbox: the boxes overlap, so a point on the edge belongs to the box.
    bbox_where = "i.publication_state = %s\n   AND i.location && ST_MakeEnvelope(%s, %s, %s, %s, 4326)"
    bbox_text = ",".join(f"{value:g}" for value in bbox)
    bbox_size = min(BBOX_TARGET, max(in_box, 1))

    ids = list(Initiative.objects.published().order_by("pk").values_list("pk", flat=True))
    step = max(1, len(ids) // DETAIL_IDS)
    detail_ids = ids[::step][:DETAIL_IDS]

    # The record at position 40,000 of the public list, and the cursor a walk gives after it.
    from api.pagination import Keyset

    walked = min(LATER_PAGE * PAGE_SIZE - PAGE_SIZE, total - 1)
    after = Initiative.objects.published().order_by("name", "pk").values_list("name", "pk")[walked]
    cursor = Keyset(("name", "pk")).encode(after)
    keyset_where = page_where + " AND (i.name > %s OR (i.name = %s AND i.id > %s))"

    def documents(where: str, param_sets: list[list[Any]], limit: int | None, kind: str = "record", **kwargs: Any
                  ) -> DocumentQuery:
        return DocumentQuery(where, param_sets, limit, kind, **kwargs)

    return [
        Scenario("page-1", "JSON page, first", [f"/api/v1/initiatives?pageSize={PAGE_SIZE}"],
                 BareQuery(page_where, [[published]], PAGE_SIZE), documents(page_where, [[published]], PAGE_SIZE),
                 page_target=True),
        Scenario(f"page-{later_page}", f"JSON page {later_page}",
                 [f"/api/v1/initiatives?pageSize={PAGE_SIZE}&page={later_page}"],
                 BareQuery(page_where, [[published]], PAGE_SIZE, offset=(later_page - 1) * PAGE_SIZE),
                 documents(page_where, [[published]], PAGE_SIZE, offset=(later_page - 1) * PAGE_SIZE),
                 page_target=True),
        Scenario("cursor", f"JSON page by cursor after record {walked:,}",
                 [f"/api/v1/initiatives?pageSize={PAGE_SIZE}&cursor={cursor}"],
                 BareQuery(keyset_where, [[published, after[0], after[0], after[1]]], PAGE_SIZE, with_count=False),
                 documents(keyset_where, [[published, after[0], after[0], after[1]]], PAGE_SIZE,
                           count_where=page_where, count_params=1),
                 page_target=True, note="the same place in the list as the numbered page above, reached by keyset"),
        Scenario("filtered", "JSON page, filtered",
                 [f"/api/v1/initiatives?province={province}&service={service}&status={status}&pageSize={PAGE_SIZE}"],
                 BareQuery(filter_where, [[published, province, status, service]], PAGE_SIZE),
                 documents(filter_where, [[published, province, status, service]], PAGE_SIZE), page_target=True),
        Scenario("bbox", "GeoJSON bounding box",
                 [f"/api/v1/initiatives?format=geojson&bbox={bbox_text}&pageSize={bbox_size}"],
                 BareQuery(bbox_where, [[published, *bbox]], bbox_size),
                 documents(bbox_where, [[published, *bbox]], bbox_size, "feature"),
                 note=f"box {bbox_text} around Utrecht, chosen as the largest holding at most {BBOX_TARGET:,} "
                      f"published initiatives: it holds {in_box:,}"),
        Scenario("detail", "one initiative", [f"/api/v1/initiatives/{pk}" for pk in detail_ids],
                 BareQuery("i.publication_state = %s AND i.id = %s", [[published, pk] for pk in detail_ids], None,
                           with_count=False),
                 documents("i.publication_state = %s AND i.id = %s", [[published, pk] for pk in detail_ids], None,
                           "detail", with_count=False),
                 note=f"rotating over {len(detail_ids)} published initiatives spread over the id range"),
    ]


# -- measuring the SQL and one request in this process --------------------------------------------


def compact_and_analyze() -> str:
    """VACUUM FULL of the initiatives, VACUUM ANALYZE of what hangs off them; returns what it did.

    The area benchmark (run.py) rewrites every initiative ten times a run. Plain VACUUM makes that
    space reusable but keeps it, so the table grows to about twice its data and every sequential
    scan takes twice as long: a state of the benchmark, not of a register. VACUUM FULL rewrites
    the table compactly (seconds, on the benchmark's own database). It also empties the table's
    visibility map, which only a plain VACUUM sets again (as autovacuum keeps it on a register):
    without it no index-only scan is planned (the search's published ids, counts).
    """
    def size() -> str:
        return str(execute("SELECT pg_size_pretty(pg_relation_size('registry_initiative'))")[0][0])

    before = size()
    execute("VACUUM (FULL, ANALYZE) registry_initiative")
    execute("VACUUM registry_initiative")
    execute("VACUUM ANALYZE registry_initiative_services, registry_initiative_funding_sources, registry_partnership, "
            "registry_partner")
    return (f"VACUUM FULL ANALYZE of registry_initiative (from {before} to {size()}), then VACUUM of it (the "
            "visibility map), and VACUUM ANALYZE of its link and partnership tables before measuring")


def measure_sql(scenarios: list[Scenario], repeat: int) -> None:
    """Median of `repeat` runs of each scenario's statements, over Django's own psycopg connection
    (no Django cursor wrapper), after one untimed run."""
    from django.db import connection

    connection.ensure_connection()
    raw = connection.connection
    with raw.cursor() as cursor:
        for scenario in scenarios:
            scenario.bare_result = scenario.bare.run(cursor, 0)
            scenario.documents.run(cursor, 0, DOCUMENT_BASE)
            window = CpuWindow(None)
            for number in range(repeat):  # interleaved, so that both meet the same moments of the machine
                started = time.perf_counter()
                scenario.bare.run(cursor, number)
                scenario.sql.seconds.append(time.perf_counter() - started)
                started = time.perf_counter()
                scenario.documents.run(cursor, number, DOCUMENT_BASE)
                scenario.document_sql.seconds.append(time.perf_counter() - started)
            scenario.sql_others_cpu = window.measure()[0]
            print(f"bare SQL {scenario.key}: rows and prefetches median {scenario.sql.median * 1000:.1f} ms; "
                  f"documents median {scenario.document_sql.median * 1000:.2f} ms")


def measure_idle_sql(scenarios: list[Scenario], repeat: int) -> None:
    """The document SQL again, each run after the connection idled for as long as a lone client's
    server process leaves PostgreSQL idle between two requests (its p50 less the statement's median).

    On this machine a statement that follows an idle moment costs more than in a tight loop (the
    processes sleep and their cores' caches cool): the floor a lone request meets, which the tight
    loop of measure_sql does not show. Reported beside it, not instead of it."""
    from django.db import connection

    connection.ensure_connection()
    raw = connection.connection
    with raw.cursor() as cursor:
        for scenario in scenarios:
            lone = next((load for load in scenario.loads if load.connections == 1), None)
            if lone is None or not scenario.document_sql.seconds:
                continue
            idle = max(0.0, lone.ms("p50") / 1000 - scenario.document_sql.median)
            for number in range(repeat):
                time.sleep(idle)
                started = time.perf_counter()
                scenario.documents.run(cursor, number, DOCUMENT_BASE)
                scenario.idle_document_sql.seconds.append(time.perf_counter() - started)
            print(f"document SQL {scenario.key} after {idle * 1000:.1f} ms idle: median "
                  f"{scenario.idle_document_sql.median * 1000:.2f} ms")


def query_category(sql: str) -> str:
    statement = sql.strip().upper()
    if "REGISTRY_CACHE" in statement or statement in ("BEGIN", "COMMIT"):
        return "throttle"  # DRF's AnonRateThrottle on the database cache (its set runs in a transaction)
    if "HISTORY_DATE" in statement:
        return "lastModified"
    if statement == "SELECT 1":
        return "connCheck"
    return "data"


def profile_in_process(scenarios: list[Scenario]) -> None:
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    # A documentation address of its own, so its throttle entry is not the one wrk's requests use.
    client = Client(HTTP_HOST=HOST, REMOTE_ADDR="192.0.2.10")
    for scenario in scenarios:
        path = scenario.paths[0]
        for _ in range(2):
            client.get(path)
        walls = []
        for _ in range(5):
            started = time.perf_counter()
            response = client.get(path)
            walls.append(time.perf_counter() - started)
            check(response.status_code == 200, f"{path} answered {response.status_code} in process")
        with CaptureQueriesContext(connection) as captured:
            client.get(path)
        queries: dict[str, int] = {}
        for query in captured.captured_queries:
            category = query_category(query["sql"])
            queries[category] = queries.get(category, 0) + 1
        db_ms = sum(float(query["time"]) for query in captured.captured_queries) * 1000
        scenario.profile = Profile(queries, db_ms, statistics.median(walls) * 1000)


# -- the server ----------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((HOST, 0))
        return int(sock.getsockname()[1])


OPENER = build_opener(ProxyHandler({}))  # straight to the loopback address, whatever http_proxy says


def fetch(url: str, timeout: float = 60.0) -> tuple[int, bytes]:
    try:
        with OPENER.open(url, timeout=timeout) as response:
            return response.status, response.read()
    except HTTPError as error:
        return error.code, error.read()


def log_tail(lines: int = 30) -> str:
    try:
        return "\n".join(SERVER_LOG.read_text(encoding="utf-8", errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no log)"


def stop_server(process: subprocess.Popen[bytes]) -> None:
    """SIGTERM to the gunicorn master (it stops its workers), then SIGKILL to its process group."""
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)  # its own session, started below: only its processes
            process.wait(timeout=10)
    # The workers normally leave with the master; any straggler is in the same process group.
    with suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGKILL)


@contextmanager
def gunicorn(environment: dict[str, str], workers: int) -> Iterator[tuple[str, subprocess.Popen[bytes]]]:
    """Serve config.wsgi with gunicorn on a free loopback port; yields its base URL and process, and
    always stops it."""
    port = free_port()
    command = [sys.executable, "-m", "gunicorn", "config.wsgi:application", "--config", "config/gunicorn.conf.py",
               "--bind", f"{HOST}:{port}",
               "--workers", str(workers), "--worker-class", "sync", "--timeout", "60", "--graceful-timeout", "5",
               "--log-level", "info"]
    BENCH_DIR.mkdir(exist_ok=True)
    with SERVER_LOG.open("wb") as log:
        process = subprocess.Popen(command, cwd=PROJECT_DIR, env=environment, stdout=log, stderr=subprocess.STDOUT,
                                   stdin=subprocess.DEVNULL, start_new_session=True)
    print(f"Started gunicorn (pid {process.pid}) on {HOST}:{port} with {workers} sync workers")
    try:
        base_url = f"http://{HOST}:{port}"
        wait_until_healthy(process, base_url)
        yield base_url, process
    finally:
        stop_server(process)
        print(f"Stopped gunicorn (pid {process.pid})")


def wait_until_healthy(process: subprocess.Popen[bytes], base_url: str, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    last_error = "no answer yet"
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise BenchmarkError(f"gunicorn exited with code {process.returncode} before serving:\n{log_tail()}")
        try:
            status, body = fetch(base_url + HEALTH_PATH, timeout=5)
        except (URLError, OSError) as error:
            last_error = str(error)
        else:
            if status == 200:
                return
            raise BenchmarkError(f"{HEALTH_PATH} answered {status}: {body[:500]!r}\n{log_tail()}")
        time.sleep(0.25)
    raise BenchmarkError(f"gunicorn did not answer within {timeout:.0f} s ({last_error}):\n{log_tail()}")


def verify_response(scenario: Scenario, base_url: str) -> None:
    """One request per scenario before the load: a 200 with the records the bare SQL found."""
    path = scenario.paths[0]
    status, body = fetch(base_url + path)
    check(status == 200, f"{path} answered {status}: {body[:500]!r}")
    data = json.loads(body)
    scenario.response_bytes = len(body)
    if "results" in data:
        scenario.api_count, ids = data["count"], [item["id"] for item in data["results"]]
    elif data.get("type") == "FeatureCollection":
        scenario.api_count, ids = data["numberMatched"], [feature["id"] for feature in data["features"]]
    else:
        ids = [data["id"]]
    scenario.api_items = len(ids)
    bare = scenario.bare_result
    check(bare is not None, "the bare SQL has not run")
    assert bare is not None
    check(ids == bare.ids, f"{path}: the API returned other records than the bare SQL ({ids[:5]}… vs {bare.ids[:5]}…)")
    check(bare.count is None or scenario.api_count == bare.count,
          f"{path}: the API counts {scenario.api_count}, the SQL {bare.count}")
    from django.db import connection

    with connection.connection.cursor() as cursor:
        _count, text = scenario.documents.run(cursor, 0, base_url + "/api/v1/initiatives/")
    scenario.document_text = text
    if "results" in data or data.get("type") == "FeatureCollection":
        check(text in body, f"{path}: the body does not hold the bytes the document SQL made")
    else:
        check(body == text, f"{path}: the body is not the bytes the document SQL made")


# -- whose CPU time -------------------------------------------------------------------------------
# The machine is shared (another session may run a test suite meanwhile). Every run records how
# much of the CPU went to processes outside the benchmark: the CPU time of every process except
# gunicorn's, the benchmark database's server processes, wrk and this one, as a share of all
# CPUs' time. A process that starts and ends between two readings escapes the count (which also
# keeps PostgreSQL's short-lived parallel workers for the benchmark's queries out of it).


def machine_ticks() -> int:
    """Clock ticks of all CPUs, busy or idle, since boot."""
    return sum(int(value) for value in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:9])


def process_stat(pid: int) -> list[str] | None:
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    return text.rsplit(")", 1)[1].split()  # the fields from the state on; the name may hold spaces


def all_process_ticks() -> dict[int, tuple[int, int]]:
    """pid: (parent pid, user + system ticks) of every process."""
    found = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            fields = process_stat(int(entry.name))
            if fields:
                found[int(entry.name)] = (int(fields[1]), int(fields[11]) + int(fields[12]))
    return found


def server_pids(server: subprocess.Popen[bytes] | None, processes: dict[int, tuple[int, int]]) -> set[int]:
    """gunicorn's processes and the benchmark database's server processes."""
    pids = {int(row[0]) for row in execute("SELECT pid FROM pg_stat_activity WHERE datname = current_database()")}
    if server is not None:
        pids |= {server.pid} | {pid for pid, (parent, _) in processes.items() if parent == server.pid}
    return pids


class CpuWindow:
    """CPU time between creation and measure(): the share of all CPUs' time that other processes
    used, and the seconds the server (gunicorn and its database connections) used."""

    def __init__(self, server: subprocess.Popen[bytes] | None) -> None:
        self.server = server
        self.machine = machine_ticks()
        self.processes = all_process_ticks()

    def measure(self) -> tuple[float, float]:
        machine, processes = machine_ticks(), all_process_ticks()
        serving = server_pids(self.server, processes) | server_pids(self.server, self.processes)
        ours = serving | {os.getpid()} | {pid for pid, (parent, _) in processes.items() if parent == os.getpid()}
        used = {pid: ticks - self.processes.get(pid, (0, 0))[1] for pid, (_, ticks) in processes.items()}
        others = sum(ticks for pid, ticks in used.items() if pid not in ours)
        server = sum(ticks for pid, ticks in used.items() if pid in serving)
        elapsed = machine - self.machine
        return (max(0.0, others / elapsed) if elapsed else 0.0), server / os.sysconf("SC_CLK_TCK")


def wait_for_quiet(server: subprocess.Popen[bytes] | None, budget: float) -> float:
    """Wait while others keep more than QUIET_SHARE of the CPU busy, for at most `budget` seconds
    in all; returns the seconds waited."""
    waited = 0.0
    while budget > 0:
        window = CpuWindow(server)
        time.sleep(QUIET_SAMPLE)
        waited += QUIET_SAMPLE
        if window.measure()[0] <= QUIET_SHARE or waited >= budget:
            break
    return waited


# -- the load ------------------------------------------------------------------------------------


def wrk_version() -> str:
    result = subprocess.run(["wrk", "--version"], capture_output=True, text=True, check=False)
    first = (result.stdout or result.stderr).splitlines()
    return first[0].split(" Copyright")[0] if first else "wrk (version unknown)"


def run_wrk(base_url: str, paths: list[str], connections: int, seconds: int,
            server: subprocess.Popen[bytes]) -> LoadResult:
    with tempfile.NamedTemporaryFile("w", suffix=".txt", prefix="wrk-paths-", delete=False) as handle:
        handle.write("\n".join(paths) + "\n")
        paths_file = handle.name
    try:
        command = ["wrk", f"-t{min(WRK_THREADS, connections)}", f"-c{connections}", f"-d{seconds}s",
                   f"--timeout={WRK_TIMEOUT}", "-s", str(WRK_SCRIPT), base_url]
        window = CpuWindow(server)
        result = subprocess.run(command, capture_output=True, text=True, check=False, timeout=seconds + 60,
                                env={**os.environ, "BENCH_WRK_PATHS": paths_file, "BENCH_WRK_CODES": "0"})
        others, server_seconds = window.measure()
    finally:
        os.unlink(paths_file)
    line = next((line for line in result.stdout.splitlines() if line.startswith("BENCH-RESULT ")), None)
    check(result.returncode == 0 and line is not None,
          f"wrk failed (exit {result.returncode}):\n{result.stdout}\n{result.stderr}")
    assert line is not None
    data = json.loads(line.removeprefix("BENCH-RESULT "))
    return LoadResult(connections, data["requests"], data["duration_us"] / 1e6, data["bytes"],
                      {str(k): int(v) for k, v in data["statuses"].items()}, data["errors"], data["latency_us"],
                      others, server_seconds)


def drain(base_url: str, service_seconds: float) -> None:
    """Let the server finish what wrk left behind: requests still queued or running when it stopped
    would otherwise slow down the next run. A request for a small resource waits behind the queue;
    then every worker is at most one service time away from idle."""
    fetch(base_url + HEALTH_PATH, timeout=120)
    time.sleep(min(5.0, max(0.2, 2 * service_seconds)))


def load(scenarios: list[Scenario], base_url: str, server: subprocess.Popen[bytes], connection_levels: list[int],
         seconds: int, quiet_budget: float) -> float:
    """Each scenario: wait for a quiet machine (bounded), warm up, then one run per connection level.
    Returns the seconds spent waiting for quiet."""
    waited = 0.0
    for scenario in scenarios:
        assert scenario.profile is not None
        service = scenario.profile.wall_ms / 1000
        waited += wait_for_quiet(server, quiet_budget - waited)
        run_wrk(base_url, scenario.paths, max(connection_levels), WARMUP_SECONDS, server)  # untimed warm-up
        drain(base_url, service)
        for connections in connection_levels:
            result = run_wrk(base_url, scenario.paths, connections, seconds, server)
            drain(base_url, service)
            scenario.loads.append(result)
            print(f"{scenario.key:>9} c={connections:<2} {result.per_second:7.1f} req/s  p50 {result.ms('p50'):7.1f} ms"
                  f"  p95 {result.ms('p95'):7.1f} ms  p99 {result.ms('p99'):7.1f} ms  4xx/5xx {result.non_2xx}  "
                  f"socket errors {result.errors}  others' CPU {result.others_cpu:.0%}")
    return waited


# -- the report ----------------------------------------------------------------------------------


def machine_facts() -> list[str]:
    model = "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    memory = ""
    try:
        kib = int(re.search(r"MemTotal:\s+(\d+)", Path("/proc/meminfo").read_text()).group(1))  # type: ignore[union-attr]
        memory = f", {kib / 1024 / 1024:.1f} GiB RAM"
    except (OSError, AttributeError):
        pass
    cores = len(os.sched_getaffinity(0))
    return [f"{cores} CPU cores ({model}){memory}; {platform.system()} {platform.release()}",
            f"Python {platform.python_version()}, Django {importlib.metadata.version('django')}, "
            f"DRF {importlib.metadata.version('djangorestframework')}, "
            f"gunicorn {importlib.metadata.version('gunicorn')}, psycopg {importlib.metadata.version('psycopg')}"]


def code_version() -> str:
    def git(*args: str) -> str:
        result = subprocess.run(["git", *args], cwd=PROJECT_DIR, capture_output=True, text=True, check=False)
        return result.stdout.rstrip("\n")  # not strip(): porcelain lines begin with a space

    commit = git("rev-parse", "--short", "HEAD").strip() or "unknown"
    changed = [line[3:] for line in git("status", "--porcelain", "--", "api", "registry", "geo", "config").splitlines()]
    return f"commit {commit}" + (f" with uncommitted changes in {', '.join(changed)}" if changed else "")


def fmt_ms(value: float) -> str:
    return f"{value:,.1f}"


def report(database: str, count: int, published: int, seeding: float | None, maintenance: str, settings: Settings,
           scenarios: list[Scenario], loads_before: tuple[float, ...], loads_after: tuple[float, ...]) -> str:
    from django.db import connection

    postgres = execute("SHOW server_version")[0][0]
    postgis = execute("SELECT postgis_lib_version()")[0][0]
    connections, seconds = settings.connections, settings.duration
    seeded = (f"seeded {count:,} initiatives in {seeding:.1f} s" if seeding is not None
              else "reused the initiatives seeded by an earlier run")
    page_results = [(s, load) for s in scenarios if s.page_target for load in s.loads]
    loaded = [(s, load) for s, load in page_results if load.connections == connections]
    met = all(load.ms("p95") < TARGET_P95_MS for _, load in loaded)
    worst = max(loaded, key=lambda pair: pair[1].ms("p95"))
    cores = len(os.sched_getaffinity(0))

    lines = [
        "# Benchmark: REST API under load — " + CACHE_TITLES[RESPONSE_CACHE == "on"],
        "",
        f"- Date: {datetime.datetime.now().astimezone().isoformat(timespec='seconds')}",
        f"- Code: {code_version()}",
        *[f"- Machine: {fact}" for fact in machine_facts()],
        f"- Load average before / after: {' '.join(f'{x:.2f}' for x in loads_before)} / "
        f"{' '.join(f'{x:.2f}' for x in loads_after)} (wrk, gunicorn and PostgreSQL share these cores; so does "
        "anything else running meanwhile)",
        f"- PostgreSQL {postgres}, PostGIS {postgis}; database `{database}` ({seeded}); {maintenance}",
        f"- N = {count:,} demo initiatives (seed {SEED}), {published:,} of them published (the API shows only those)",
        f"- Server: gunicorn, {settings.workers} sync workers (`--worker-class sync`; about cores + 1: a sync "
        f"worker waits while PostgreSQL works on the same cores), on {HOST} (free port), DEBUG=false, random "
        f"SECRET_KEY, ALLOWED_HOSTS={HOST}, API_ANON_RATE={settings.rate} (throttle on, never limiting), "
        f"DATABASE_CONN_MAX_AGE default (persistent connections). Sync workers close the connection after "
        "each response, so every request opens a new TCP connection, as behind a proxy.",
        f"- Load: {wrk_version()}, {WRK_THREADS} thread, closed loop, {seconds} s per run with --timeout "
        f"{WRK_TIMEOUT}: each scenario once over 1 connection (a lone client: the service time) and once over "
        f"{connections} connections (the load; requests beyond the workers wait in gunicorn's backlog, so this "
        f"latency includes queueing), after an untimed {WARMUP_SECONDS} s warm-up at {connections} connections. "
        "Latency is wrk's, from sending a request to reading its whole response. wrk hands no body to its "
        "script (a script that counts status codes gets each whole body, which took 7-10% of the box's "
        "throughput off the shared cores); *4xx/5xx* is wrk's own count. After every run the "
        "benchmark waits until the server has finished the requests wrk left behind. Before the bare SQL and "
        "before each scenario's load it "
        f"waits while other processes keep more than {QUIET_SHARE:.0%} of the CPU busy, at most "
        f"{settings.quiet_wait} s in all (waited {settings.quiet_waited:.0f} s).",
        f"- Bare SQL: median of {settings.sql_repeat} runs (after one untimed run) of the statements that "
        "produce the same data, sent over one psycopg connection from the benchmark process, rows fetched into "
        "Python tuples; they return the same records as the API (checked). See the end for what they are. "
        "Where a lone client's ratio misses its target, the report also gives the floor beneath it, measured "
        f"in the same run: the document SQL run {settings.sql_repeat} times more, each after idling for as "
        f"long as the lone client's server leaves PostgreSQL idle between requests, and a lone client of "
        f"`{FLOOR_PATH}` (the server without SQL).",
        "",
        f"## Target: p95 under {TARGET_P95_MS:.0f} ms for a 50-item page — **{'met' if met else 'NOT met'}**",
        "",
        f"At {connections} connections the worst 50-item page is {worst[0].title} with p95 "
        f"{fmt_ms(worst[1].ms('p95'))} ms. Each 50-item page at 1 / {connections} connections: "
        + "; ".join(f"{s.title} {fmt_ms(load.ms('p95'))} ms ({'met' if load.ms('p95') < TARGET_P95_MS else 'not met'})"
                    for s, load in page_results) + ".",
        "",
        *read_model_targets(scenarios, connections, settings.floor),
        "",
        f"Reading the numbers: wrk runs a closed loop, so latency ≈ connections ÷ throughput (Little's law). "
        f"A p95 under {TARGET_P95_MS:.0f} ms at {connections} connections needs well over "
        f"{connections / (TARGET_P95_MS / 1000):.0f} requests a second, which on {cores} cores leaves at most "
        f"about {cores * TARGET_P95_MS / connections:.0f} ms of CPU per request for gunicorn, PostgreSQL and wrk "
        "together. *Server CPU ms/request* below is what gunicorn and its database connections used per request "
        "(PostgreSQL's parallel query workers escape the count, so it is low for plans that use them).",
        "",
        "## Summary",
        "",
        f"| scenario | items | req/s @{connections} | p50 @{connections} | p95 @{connections} "
        f"| p99 @{connections} | p50 @1 | p95 @1 | document SQL (same bytes) | p50@1 / document SQL "
        "| rows + prefetches SQL | p50@1 / rows SQL | 4xx/5xx | socket errors | others' CPU |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for scenario in scenarios:
        by_connections = {load.connections: load for load in scenario.loads}
        single, busy = by_connections[1], by_connections[connections]
        sql_ms, document_ms = scenario.sql.median * 1000, scenario.document_sql.median * 1000
        lines.append(
            f"| {scenario.title} | {scenario.api_items:,} | {busy.per_second:,.1f} | {fmt_ms(busy.ms('p50'))} "
            f"| {fmt_ms(busy.ms('p95'))} | {fmt_ms(busy.ms('p99'))} | {fmt_ms(single.ms('p50'))} "
            f"| {fmt_ms(single.ms('p95'))} | {document_ms:,.2f} | {single.ms('p50') / document_ms:.1f}× "
            f"| {fmt_ms(sql_ms)} | {single.ms('p50') / sql_ms:.1f}× "
            f"| {single.non_2xx + busy.non_2xx} | {single.errors + busy.errors} "
            f"| {max(single.others_cpu, busy.others_cpu, scenario.sql_others_cpu):.0%} |")
    lines += ["", "*Document SQL*: the statements that make the response's bytes from the read model (the count and "
              "the documents, assembled by PostgreSQL; registry.documents), over a plain psycopg connection: the "
              "floor for this answer. *Rows + prefetches SQL*: the rows a serializer-based implementation fetches "
              "(the page with its kind and areas, then services, funding sources and partnerships), as tuples.",
              "", "Latencies in milliseconds. `@n`: over n connections. *Others' CPU*: the largest share of the "
              "machine's CPU time that processes outside the benchmark (not gunicorn, wrk, this process or the "
              "benchmark database's server processes) used during the scenario's runs and its bare SQL; above a "
              "few per cent the figures are pessimistic.", ""]

    for number, scenario in enumerate(scenarios, 1):
        bare = scenario.bare_result
        assert bare is not None and scenario.profile is not None
        profile = scenario.profile
        counted = f", {scenario.api_count:,} matching" if scenario.api_count is not None else ""
        paths = (f"`GET {scenario.paths[0]}`" if len(scenario.paths) == 1
                 else f"`GET {scenario.paths[0]}` … `{scenario.paths[-1]}` ({len(scenario.paths)} paths)")
        lines += [
            f"## {number}. {scenario.title}",
            "",
            f"- Request: {paths}",
            f"- Response: {scenario.api_items:,} item(s){counted}; {scenario.response_bytes / 1024:,.1f} KiB"
            + (f"; {scenario.note}" if scenario.note else ""),
            "",
            "| connections | requests | req/s | p50 | p90 | p95 | p99 | max | MiB/s | 4xx/5xx | socket errors "
            "| server CPU ms/request | others' CPU |",
            "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
        ]
        for load in scenario.loads:
            lines.append(
                f"| {load.connections} | {load.requests:,} | {load.per_second:,.1f} | {fmt_ms(load.ms('p50'))} "
                f"| {fmt_ms(load.ms('p90'))} | {fmt_ms(load.ms('p95'))} | {fmt_ms(load.ms('p99'))} "
                f"| {fmt_ms(load.ms('max'))} | {load.bytes / load.seconds / 2**20:,.1f} | {load.non_2xx} "
                f"| {load.errors} | {fmt_ms(load.cpu_ms_per_request)} | {load.others_cpu:.0%} |")
        sql_ms = scenario.sql.median * 1000
        queries = ", ".join(f"{n} {name}" for name, n in sorted(profile.queries.items()))
        document_ms = scenario.document_sql.median * 1000
        lines += [
            "",
            f"- Document SQL: {scenario.documents.statement_count()} statement(s), "
            f"{len(scenario.document_text) / 1024:,.1f} KiB of documents; median {document_ms:,.2f} ms "
            f"(min {min(scenario.document_sql.seconds) * 1000:,.2f}, max "
            f"{max(scenario.document_sql.seconds) * 1000:,.2f}). API p50 / document SQL: "
            + ", ".join(f"{load.ms('p50') / document_ms:.1f}× at {load.connections} connection(s)"
                        for load in scenario.loads),
            f"- Rows + prefetches SQL: {scenario.bare.statement_count()} statements, {bare.rows:,} rows; median "
            f"{fmt_ms(sql_ms)} ms (min {fmt_ms(min(scenario.sql.seconds) * 1000)}, max "
            f"{fmt_ms(max(scenario.sql.seconds) * 1000)}; others' CPU {scenario.sql_others_cpu:.0%}). "
            "API p50 / SQL median: "
            + ", ".join(f"{load.ms('p50') / sql_ms:.1f}× at {load.connections} connection(s)"
                        for load in scenario.loads),
            f"- One request in process (Django test client, no HTTP): {sum(profile.queries.values())} queries "
            f"({queries}), {fmt_ms(profile.db_ms)} ms in the database; {fmt_ms(profile.wall_ms)} ms in all "
            f"(median of 5), so about {fmt_ms(max(profile.wall_ms - profile.db_ms, 0))} ms in Python "
            "(ORM objects, serializers, JSON, middleware).",
            "",
        ]

    lines += [
        "Query kinds: *data* — the records (count, page, prefetches; with filters also the lookups that "
        "check the codes); *throttle* — DRF's AnonRateThrottle on the database cache (read, count, "
        "select, update, in a transaction); *lastModified* — the three MAX(history_date) queries of the "
        "Last-Modified header; *connCheck* — Django's health check of a persistent connection.",
        "",
        "## The bare SQL",
        "",
        "Count (not for the detail):",
        "",
        "```sql",
        "SELECT count(*) FROM registry_initiative i WHERE <the scenario's condition>",
        "```",
        "",
        "The page, with the same columns as the API's query (all but the search vector and the area outlines):",
        "",
        "```sql",
        BareQuery("<the scenario's condition>", [[]], None).page_sql()
        + "\n LIMIT <page size> OFFSET <(page - 1) × page size>   -- not for the detail",
        "```",
        "",
        "For the ids of the page, the three queries the API's prefetch_related sends too:",
        "",
        "```sql",
        ";\n\n".join(BareQuery.prefetch_sql()) + ";",
        "```",
        "",
        "Conditions and parameters:",
        "",
    ]
    for scenario in scenarios:
        query = scenario.bare
        composed = connection.ops.compose_sql(query.where, query.param_sets[0])
        extra = f", LIMIT {query.limit} OFFSET {query.offset}" if query.limit is not None else ""
        rotation = f" (the id rotates over {len(query.param_sets)} values)" if len(query.param_sets) > 1 else ""
        indented = composed.replace("\n", "\n  ")
        lines += [f"- {scenario.title}{extra}{rotation}:", "", "  ```sql", f"  {indented}", "  ```", ""]
    return "\n".join(lines)


# -- main ----------------------------------------------------------------------------------------


def main() -> None:
    signal.signal(signal.SIGTERM, on_sigterm)
    count = envint("BENCH_COUNT", DEFAULT_COUNT)
    settings = Settings(
        duration=envint("BENCH_DURATION", DEFAULT_DURATION),
        connections=envint("BENCH_CONNECTIONS", DEFAULT_CONNECTIONS),
        workers=envint("BENCH_WORKERS", DEFAULT_WORKERS),
        sql_repeat=envint("BENCH_SQL_REPEAT", DEFAULT_SQL_REPEAT),
        rate=envstr("BENCH_ANON_RATE", DEFAULT_ANON_RATE),
        quiet_wait=envint("BENCH_QUIET_WAIT", DEFAULT_QUIET_WAIT),
    )
    check(count >= 1, "BENCH_COUNT must be at least 1")
    check(1 <= settings.duration <= 60, "BENCH_DURATION must lie in 1…60 seconds")
    check(2 <= settings.connections <= 64, "BENCH_CONNECTIONS must lie in 2…64")
    check(1 <= settings.workers <= 16, "BENCH_WORKERS must lie in 1…16")
    check(settings.sql_repeat >= 1, "BENCH_SQL_REPEAT must be at least 1")
    if shutil.which("wrk") is None:
        raise BenchmarkError("the HTTP load tool wrk is missing. Install it (Debian/Ubuntu): "
                             "apt-get update && apt-get install -y --no-install-recommends wrk")

    database_url = use_bench_database()
    # The server's settings, production-like; this process uses them too, for the in-process profile.
    # Plain HTTP on loopback (SECURE_SSL_REDIRECT off): no TLS proxy in front to send it to.
    environment = {"DEBUG": "false", "SECRET_KEY": secrets.token_urlsafe(50), "ALLOWED_HOSTS": HOST,
                   "SECURE_SSL_REDIRECT": "false", "DATABASE_URL": database_url, "API_ANON_RATE": settings.rate,
                   "API_RESPONSE_CACHE": "true" if RESPONSE_CACHE == "on" else "false",
                   "DJANGO_SETTINGS_MODULE": "config.settings"}
    os.environ.update(environment)
    database = prepare_schema_and_areas()
    from django.core.management import call_command

    call_command("createcachetable")  # the throttle's cache table (`make migrate` makes it for the dev database)
    seeding = ensure_register(count)
    from registry.models import Initiative

    published = Initiative.objects.published().count()
    print("VACUUM FULL ANALYZE of the register's tables")
    maintenance = compact_and_analyze()
    scenarios = build_scenarios()
    waited = wait_for_quiet(None, settings.quiet_wait)
    measure_sql(scenarios, settings.sql_repeat)
    profile_in_process(scenarios)

    loads_before = os.getloadavg()
    with gunicorn({**os.environ, **environment}, settings.workers) as (base_url, server):
        for scenario in scenarios:
            verify_response(scenario, base_url)
        waited += load(scenarios, base_url, server, [1, settings.connections], settings.duration,
                       settings.quiet_wait - waited)
        # The stack without SQL (gunicorn, a new TCP connection, Django's middleware): a lone request's floor.
        waited += wait_for_quiet(server, settings.quiet_wait - waited)
        settings.floor = run_wrk(base_url, [FLOOR_PATH], 1, settings.duration, server)
        check(settings.floor.non_2xx == 0 and settings.floor.errors == 0,
              f"{FLOOR_PATH} did not answer every request with a 200")
    waited += wait_for_quiet(None, settings.quiet_wait - waited)
    measure_idle_sql(scenarios, settings.sql_repeat)
    settings.quiet_waited = waited
    loads_after = os.getloadavg()

    text = report(database, count, published, seeding, maintenance, settings, scenarios, loads_before, loads_after)
    publish_report(REPORT_FILE, text)


if __name__ == "__main__":
    try:
        main()
    except BenchmarkError as error:
        sys.exit(f"Benchmark stopped: {error}")
