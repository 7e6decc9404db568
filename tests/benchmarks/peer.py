"""The register's two APIs beside a generic OGC API server, pygeoapi, reading the same table.

The read-model issue measures the register against what a developer or GIS user would otherwise
run: a generic OGC API Features server on the initiatives table. This benchmark installs pygeoapi
(PEER_PACKAGES, from PyPI, into a virtualenv of its own under .bench: a yardstick, not a dependency
of the project), points its PostgreSQL provider (SQLAlchemy and GeoAlchemy over psycopg2) at the
benchmark database's `registry_initiative`, and serves it as the register is served: gunicorn, the
same number of sync workers, loopback. Then wrk, one connection and BENCH_CONNECTIONS, on three
answers, each from the REST API, the register's OGC API and pygeoapi, one after the other:

- a box of about 1,000 published initiatives as GeoJSON;
- the first 50 published initiatives;
- one initiative (rotating over the same 100 for all three).

What differs, and is said in the report: pygeoapi shows the table's columns as they are (the kind,
the municipality as ids; no services, partners or labels, every column including internal ones);
the register's answers hold their published contracts. pygeoapi filters the published ones by a
property in the query (`publication_state=…`) and does not count without being asked.

Run: .venv/bin/python -m tests.benchmarks.peer (part of `make bench`); .bench/peer-report.md.
"""

from __future__ import annotations

import datetime
import getpass
import json
import os
import secrets
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from urllib.error import URLError

from config.env import envint, envstr
from tests.benchmarks.api import (
    BBOX_TARGET,
    DEFAULT_ANON_RATE,
    DEFAULT_CONNECTIONS,
    DEFAULT_DURATION,
    DEFAULT_QUIET_WAIT,
    DEFAULT_WORKERS,
    DETAIL_IDS,
    HOST,
    PAGE_SIZE,
    WARMUP_SECONDS,
    LoadResult,
    choose_bbox,
    code_version,
    drain,
    fetch,
    free_port,
    gunicorn,
    machine_facts,
    on_sigterm,
    published_state,
    run_wrk,
    stop_server,
    wait_for_quiet,
    wrk_version,
)
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

REPORT_FILE = BENCH_DIR / "peer-report.md"
PEER_DIR = BENCH_DIR / "pygeoapi"
PEER_VENV = BENCH_DIR / "pygeoapi-venv"
# Pinned, so that runs compare: the release measured, its PostgreSQL driver, and the same gunicorn.
PEER_PACKAGES = ["pygeoapi==0.21.0", "GeoAlchemy2==0.21.0", "SQLAlchemy==2.1.9", "psycopg2-binary==2.9.13",
                 "gunicorn==23.0.0"]
PEER_COLLECTION = "/collections/initiatives/items"


@dataclass
class Answer:
    server: str  # "REST API", "OGC API", "pygeoapi"
    paths: list[str]
    features: int = 0
    bytes: int = 0
    loads: dict[int, LoadResult] = field(default_factory=dict)


@dataclass
class Comparison:
    title: str
    answers: list[Answer]


def peer_python() -> Path:
    return PEER_VENV / "bin" / "python"


def install_peer() -> str:
    """pygeoapi in its own virtualenv (made once, again when the pins change); returns its version."""
    pins = PEER_VENV / "pins.txt"
    wanted = "\n".join(PEER_PACKAGES)
    if not peer_python().exists() or not pins.exists() or pins.read_text() != wanted:
        shutil.rmtree(PEER_VENV, ignore_errors=True)
        print(f"Installing {', '.join(PEER_PACKAGES)} into {PEER_VENV}")
        subprocess.run([sys.executable, "-m", "venv", str(PEER_VENV)], check=True)
        result = subprocess.run([str(peer_python()), "-m", "pip", "install", "--quiet", *PEER_PACKAGES],
                                capture_output=True, text=True, check=False)
        check(result.returncode == 0, f"pip could not install pygeoapi:\n{result.stderr[-3000:]}")
        pins.write_text(wanted)
    result = subprocess.run([str(peer_python()), "-c", "import pygeoapi; print(pygeoapi.__version__)"],
                            capture_output=True, text=True, check=True)
    return result.stdout.strip()


def peer_config() -> Path:
    """pygeoapi's configuration: one collection, the benchmark database's initiatives table."""
    from django.conf import settings

    database = settings.DATABASES["default"]
    connection = {"host": database["HOST"] or "/var/run/postgresql", "port": int(database["PORT"] or 5432),
                  "dbname": database["NAME"], "user": database["USER"] or getpass.getuser(),
                  "search_path": ["public"]}
    if database["PASSWORD"]:
        connection["password"] = database["PASSWORD"]
    contact = {name: "benchmark" for name in ("name", "position", "address", "city", "stateorprovince",
                                                "postalcode", "country", "phone", "fax", "hours", "instructions")}
    config = {
        "server": {"bind": {"host": HOST, "port": 0}, "url": f"http://{HOST}", "mimetype": "application/json",
                   "encoding": "utf-8", "language": "en-US", "limits": {"default_items": 10, "max_items": 10_000},
                   "map": {"url": "http://127.0.0.1/{z}/{x}/{y}.png", "attribution": "none"}},
        "logging": {"level": "ERROR"},
        "metadata": {
            "identification": {"title": "benchmark", "description": "benchmark", "keywords": ["benchmark"],
                               "keywords_type": "theme", "terms_of_service": "none", "url": "http://127.0.0.1"},
            "license": {"name": "CC0", "url": "http://127.0.0.1"},
            "provider": {"name": "benchmark", "url": "http://127.0.0.1"},
            "contact": {**contact, "email": "benchmark@example.org", "url": "http://127.0.0.1",
                        "role": "pointOfContact"}},
        "resources": {"initiatives": {
            "type": "collection", "title": "initiatives", "description": "initiatives", "keywords": ["initiatives"],
            "extents": {"spatial": {"bbox": [3.2, 50.7, 7.3, 53.6],
                                    "crs": "http://www.opengis.net/def/crs/OGC/1.3/CRS84"}},
            "providers": [{"type": "feature", "name": "PostgreSQL", "data": connection, "id_field": "id",
                           "table": "registry_initiative", "geom_field": "location"}]}},
    }
    PEER_DIR.mkdir(parents=True, exist_ok=True)
    path = PEER_DIR / "config.yml"
    path.write_text(json.dumps(config, indent=2))  # JSON is YAML
    return path


@contextmanager
def peer_server(config: Path, workers: int) -> Iterator[tuple[str, subprocess.Popen[bytes]]]:
    openapi = PEER_DIR / "openapi.yml"
    environment = {**os.environ, "PYGEOAPI_CONFIG": str(config), "PYGEOAPI_OPENAPI": str(openapi)}
    generated = subprocess.run([str(PEER_VENV / "bin" / "pygeoapi"), "openapi", "generate", str(config),
                    "--output-file", str(openapi)], env=environment, check=False, capture_output=True, text=True)
    check(generated.returncode == 0, f"pygeoapi could not write its OpenAPI document:\n{generated.stderr[-3000:]}")
    port = free_port()
    log = (PEER_DIR / "gunicorn.log").open("wb")
    process = subprocess.Popen([str(peer_python()), "-m", "gunicorn", "pygeoapi.flask_app:APP",
                                "--bind", f"{HOST}:{port}", "--workers", str(workers), "--worker-class", "sync",
                                "--log-level", "warning"], cwd=PEER_DIR, env=environment, stdout=log,
                               stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, start_new_session=True)
    base_url = f"http://{HOST}:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            check(process.poll() is None, "pygeoapi's gunicorn exited before serving: see .bench/pygeoapi/gunicorn.log")
            try:
                if fetch(base_url + PEER_COLLECTION + "?f=json&limit=1", timeout=5)[0] == 200:
                    break
            except (URLError, OSError):
                pass
            check(time.monotonic() < deadline, "pygeoapi did not answer within 60 s")
            time.sleep(0.5)
        print(f"Started pygeoapi (pid {process.pid}) on {base_url}")
        yield base_url, process
    finally:
        stop_server(process)
        log.close()


def comparisons(bbox: tuple[float, float, float, float], in_box: int, detail_ids: list[int]) -> list[Comparison]:
    box = ",".join(f"{value:g}" for value in bbox)
    size = min(BBOX_TARGET, max(in_box, 1))
    published = f"publication_state={published_state()}"
    return [
        Comparison(f"a box of {size:,} published initiatives, GeoJSON", [
            Answer("REST API", [f"/api/v1/initiatives?format=geojson&bbox={box}&pageSize={size}"]),
            Answer("OGC API", [f"/ogc/v1/collections/initiatives/items?f=json&bbox={box}&limit={size}"]),
            Answer("pygeoapi", [f"{PEER_COLLECTION}?f=json&bbox={box}&limit={size}&{published}"])]),
        Comparison(f"the first {PAGE_SIZE} published initiatives", [
            Answer("REST API", [f"/api/v1/initiatives?pageSize={PAGE_SIZE}"]),
            Answer("OGC API", [f"/ogc/v1/collections/initiatives/items?f=json&limit={PAGE_SIZE}"]),
            Answer("pygeoapi", [f"{PEER_COLLECTION}?f=json&limit={PAGE_SIZE}&{published}"])]),
        Comparison(f"one initiative (rotating over {len(detail_ids)})", [
            Answer("REST API", [f"/api/v1/initiatives/{pk}" for pk in detail_ids]),
            Answer("OGC API", [f"/ogc/v1/collections/initiatives/items/{pk}?f=json" for pk in detail_ids]),
            Answer("pygeoapi", [f"{PEER_COLLECTION}/{pk}?f=json" for pk in detail_ids])]),
    ]


def inspect(answer: Answer, base_url: str) -> None:
    """One request before the load: a 200, and what it holds."""
    status, body = fetch(base_url + answer.paths[0])
    check(status == 200, f"{answer.server} {answer.paths[0]} answered {status}")
    document = json.loads(body)
    listed = next((key for key in ("features", "results") if key in document), None)  # GeoJSON, or a REST page
    answer.features = len(document[listed]) if listed else 1
    answer.bytes = len(body)


def measure(answer: Answer, base_url: str, server: subprocess.Popen[bytes], connections: int, seconds: int) -> None:
    run_wrk(base_url, answer.paths, connections, WARMUP_SECONDS, server)  # untimed warm-up
    drain(base_url, 0.1)
    for level in (1, connections):
        answer.loads[level] = run_wrk(base_url, answer.paths, level, seconds, server)
        drain(base_url, 0.1)
        load = answer.loads[level]
        check(load.non_2xx == 0 and load.errors == 0, f"{answer.server} {answer.paths[0]}: failed requests")
        print(f"{answer.server:>8} c={level:<2} {load.per_second:7.1f} req/s  p50 {load.ms('p50'):7.1f} ms")


def report(database: str, peer_version: str, workers: int, connections: int, seconds: int,
           found: list[Comparison]) -> str:
    lines = [
        "# The register beside a generic OGC API server (pygeoapi) on the same table", "",
        f"- Date: {datetime.datetime.now().astimezone().isoformat(timespec='seconds')}; {code_version()}",
        *[f"- Machine: {fact}" for fact in machine_facts()],
        f"- Database `{database}`; pygeoapi {peer_version} (PostgreSQL provider) on its `registry_initiative`",
        f"- Both served by gunicorn, {workers} sync workers, loopback; the register with DEBUG=false, "
        "the response cache off (every answer computed) and the anonymous throttle on, never limiting",
        f"- {wrk_version()}, closed loop, {seconds} s per run after a {WARMUP_SECONDS} s warm-up, at 1 and "
        f"{connections} connections; latency from sending a request to reading its whole response", "",
        "What each answer holds differs: the REST API's GeoJSON and records carry the published contract "
        "(labels, services, partners, links, both languages' vocabularies), the OGC API the open-data "
        "Features; pygeoapi every column of the table as stored (ids for the kind and the areas, internal "
        "columns too), no services, no partners. The last two columns divide each server's figure by pygeoapi's.",
        "",
        f"| answer | server | features | KiB | req/s @{connections} | p50 @{connections} | p50 @1 "
        f"| req/s @{connections} ÷ pygeoapi's | p50 @1 ÷ pygeoapi's |",
        "|---|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for comparison in found:
        peer = comparison.answers[-1]
        for answer in comparison.answers:
            busy, lone = answer.loads[connections], answer.loads[1]
            lines.append(
                f"| {comparison.title} | {answer.server} | {answer.features:,} | {answer.bytes / 1024:,.1f} "
                f"| {busy.per_second:,.1f} | {busy.ms('p50'):,.1f} | {lone.ms('p50'):,.2f} "
                f"| {busy.per_second / peer.loads[connections].per_second:.2f}× "
                f"| {lone.ms('p50') / peer.loads[1].ms('p50'):.2f}× |")
    lines += ["", "Latencies in milliseconds. Each answer's requests:", ""]
    for comparison in found:
        for answer in comparison.answers:
            more = f" … ({len(answer.paths)} paths)" if len(answer.paths) > 1 else ""
            lines.append(f"- {answer.server}: `GET {answer.paths[0]}`{more}")
    return "\n".join(lines) + "\n"


def main() -> None:
    signal.signal(signal.SIGTERM, on_sigterm)
    count = envint("BENCH_COUNT", DEFAULT_COUNT)
    workers = envint("BENCH_WORKERS", DEFAULT_WORKERS)
    connections = envint("BENCH_CONNECTIONS", DEFAULT_CONNECTIONS)
    seconds = envint("BENCH_DURATION", DEFAULT_DURATION)
    quiet_wait = envint("BENCH_QUIET_WAIT", DEFAULT_QUIET_WAIT)
    if shutil.which("wrk") is None:
        raise BenchmarkError("the HTTP load tool wrk is missing. Install it (Debian/Ubuntu): "
                             "apt-get update && apt-get install -y --no-install-recommends wrk")
    database_url = use_bench_database()
    environment = {"DEBUG": "false", "SECRET_KEY": secrets.token_urlsafe(50), "ALLOWED_HOSTS": HOST,
                   "SECURE_SSL_REDIRECT": "false", "DATABASE_URL": database_url,
                   "API_ANON_RATE": envstr("BENCH_ANON_RATE", DEFAULT_ANON_RATE), "API_RESPONSE_CACHE": "false",
                   "DJANGO_SETTINGS_MODULE": "config.settings"}
    os.environ.update(environment)
    database = prepare_schema_and_areas()
    from django.core.management import call_command

    call_command("createcachetable")
    ensure_register(count)
    from registry.models import Initiative

    peer_version = install_peer()
    bbox, in_box = choose_bbox(BBOX_TARGET)
    ids = list(Initiative.objects.published().order_by("pk").values_list("pk", flat=True))
    detail_ids = ids[::max(1, len(ids) // DETAIL_IDS)][:DETAIL_IDS]
    found = comparisons(bbox, in_box, detail_ids)
    waited = 0.0
    with gunicorn({**os.environ, **environment}, workers) as (own_url, own), \
            peer_server(peer_config(), workers) as (peer_url, peer):
        for comparison in found:
            for answer in comparison.answers:
                base_url, server = (peer_url, peer) if answer.server == "pygeoapi" else (own_url, own)
                inspect(answer, base_url)
                waited += wait_for_quiet(server, quiet_wait - waited)
                measure(answer, base_url, server, connections, seconds)
    publish_report(REPORT_FILE, report(database, peer_version, workers, connections, seconds, found))


if __name__ == "__main__":
    try:
        main()
    except BenchmarkError as error:
        sys.exit(f"Benchmark stopped: {error}")
