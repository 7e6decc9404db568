"""Redis as the shared cache (REDIS_URL), against a real redis-server that each module run starts
on a Unix socket of its own and stops afterwards: throttle counts, cached API answers and sessions
are shared by app processes that each have their own connection to it."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.core.cache import caches
from django.db import connection
from django.test import Client, override_settings
from django.test.utils import CaptureQueriesContext
from rest_framework.throttling import AnonRateThrottle

from config.release import release
from tests.config.test_scaling_settings import ROOT, SCALING_VARIABLES, settings_with
from tests.conftest import LEIDEN, make
from tests.maintainers import administrator

REDIS_SERVER = shutil.which("redis-server") or "/usr/bin/redis-server"


class RedisServer:
    """A private redis-server on a Unix socket in `folder`: no TCP port, no persistence."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.socket = folder / "redis.sock"
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"unix://{self.socket}?db=0"

    def start(self) -> None:
        if not Path(REDIS_SERVER).exists():
            pytest.fail("redis-server is missing: run `make system` (config/setup/system-packages.sh installs it)")
        self.process = subprocess.Popen(
            [REDIS_SERVER, "--port", "0", "--unixsocket", str(self.socket), "--unixsocketperm", "700", "--save", "",
             "--appendonly", "no", "--dir", str(self.folder)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 10
        while not self.socket.exists():
            if self.process.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"redis-server did not start (exit code {self.process.poll()})")
            time.sleep(0.05)

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            self.process.wait(timeout=10)
            self.process = None


@pytest.fixture(scope="module")
def redis_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A private redis-server, gone when the module's tests are done."""
    server = RedisServer(tmp_path_factory.mktemp("redis"))
    server.start()
    try:
        yield server.url
    finally:
        server.stop()


@pytest.fixture(scope="module")
def configured(redis_url: str) -> dict[str, Any]:
    """What the settings make of REDIS_URL (read once, in a process of its own)."""
    found = settings_with(REDIS_URL=redis_url)
    assert found["caches"]["default"]["BACKEND"] == "django.core.cache.backends.redis.RedisCache"
    return found


@pytest.fixture
def redis_cache(configured: dict[str, Any], monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """The cache exactly as the settings configure it with REDIS_URL, empty, three requests a
    minute for anonymous API clients."""
    monkeypatch.setattr(AnonRateThrottle, "THROTTLE_RATES", {"anon": "3/minute"})
    with override_settings(CACHES=configured["caches"], SESSION_ENGINE=configured["session_engine"]):
        caches["default"].clear()  # both aliases: one Redis database, the kept answers under their own prefix
        yield


def another_process() -> None:
    """From here on, the cache is reached as another app process would: a new client, its own pool."""
    for alias in ("default", "responses"):
        before = caches[alias]
        caches[alias] = caches.create_connection(alias)
        assert caches[alias] is not before


PROCESS = """
import json, sys
import django
django.setup()
from django.contrib.auth.models import AnonymousUser
from django.core.cache import cache, caches
from django.test import RequestFactory
from rest_framework.throttling import AnonRateThrottle

AnonRateThrottle.THROTTLE_RATES = {"anon": "3/minute"}
request = RequestFactory().get("/api/v1/kinds", REMOTE_ADDR="203.0.113.7")
request.user = AnonymousUser()
allowed = [AnonRateThrottle().allow_request(request, None) for _ in range(int(sys.argv[1]))]
seen = cache.get("left-by")
cache.set("left-by", sys.argv[2], 60)
print(json.dumps({"backend": type(caches["default"]).__name__, "allowed": allowed, "seen": seen}))
"""


def test_two_app_processes_count_one_clients_requests_together(redis_url: str):
    env = {name: value for name, value in os.environ.items() if name not in SCALING_VARIABLES}
    env.update({"DEBUG": "true", "DJANGO_SETTINGS_MODULE": "config.settings", "REDIS_URL": redis_url})

    def process(requests: int, name: str) -> dict[str, Any]:
        result = subprocess.run([sys.executable, "-c", PROCESS, str(requests), name], env=env, cwd=ROOT,
                                capture_output=True, text=True, check=True)
        return json.loads(result.stdout)

    first = process(2, "first")
    second = process(2, "second")

    assert first["backend"] == second["backend"] == "RedisCache"
    assert (first["allowed"], first["seen"]) == ([True, True], None)
    assert (second["allowed"], second["seen"]) == ([True, False], "first")  # the 4th request of the minute


@pytest.mark.django_db
def test_the_api_throttles_a_client_whichever_process_answers(client: Client, redis_cache: None):
    statuses = []
    for _ in range(4):
        another_process()
        statuses.append(client.get("/api/v1/kinds").status_code)
    assert statuses == [200, 200, 200, 429]


@pytest.mark.django_db
def test_an_answer_cached_by_one_process_is_served_by_another(client: Client, redis_cache: None):
    make("Buurtkamer De Linde", LEIDEN)
    first = client.get("/api/v1/initiatives/map")  # a kept answer (records are assembled, not kept)
    another_process()
    with CaptureQueriesContext(connection) as again:
        second = client.get("/api/v1/initiatives/map")

    assert second.status_code == 200 and second.content == first.content
    assert not [query for query in again.captured_queries  # only the register's version is read
                if "registry_initiativedocument" in query["sql"] and not query["sql"].startswith("SELECT GREATEST")]


@pytest.mark.django_db
def test_a_maintainer_stays_logged_in_on_another_process_and_after_the_cache_is_lost(redis_cache: None):
    maintainer = Client()
    maintainer.force_login(administrator())
    another_process()
    assert maintainer.get("/admin/").status_code == 200
    caches["default"].clear()  # Redis restarted empty: cached_db finds the session in the database
    assert maintainer.get("/admin/").status_code == 200


@pytest.mark.django_db
def test_while_redis_is_away_requests_answer_503_with_retry_after_and_recover_when_it_is_back(
        tmp_path: Path, settings: Any):
    """The cache stopped mid-run, as a restart or a lost network does: like a lost database, a 503 that
    says when to try again (a problem document on the API), not a 500; the health check names it."""
    server = RedisServer(tmp_path)
    server.start()
    try:
        found = settings_with(REDIS_URL=server.url)
        settings.CACHES, settings.SESSION_ENGINE = found["caches"], found["session_engine"]
        make("Buurtkamer De Linde", LEIDEN)
        visitor = Client(raise_request_exception=False)
        assert visitor.get("/api/v1/initiatives").status_code == 200  # the throttle counts in Redis
        assert visitor.get("/initiatieven").status_code == 200  # the page is kept in Redis

        server.stop()
        api = visitor.get("/api/v1/initiatives")
        page = visitor.get("/initiatieven")
        health = visitor.get("/healthz")

        assert (api.status_code, api["Content-Type"], api["Retry-After"]) == (503, "application/problem+json", "10")
        assert api.json() == {
            "type": "about:blank", "title": "Service Unavailable", "status": 503,
            "detail": "Het register is even niet bereikbaar; probeer het over een paar seconden opnieuw.",
            "instance": "/api/v1/initiatives"}
        assert (page.status_code, page["Content-Type"], page["Retry-After"]) == (503, "text/html; charset=utf-8", "10")
        assert "Het register is even niet bereikbaar" in page.content.decode()
        assert (health.status_code, health.json()) == (200, {
            "status": "degraded", "release": release(), "databases": {"default": {"answers": True}},
            "cache": {"answers": False}})

        server.start()  # back, empty, on the same socket: the same process answers again
        assert visitor.get("/api/v1/initiatives").status_code == 200
        assert visitor.get("/initiatieven").status_code == 200
        assert visitor.get("/healthz").json()["status"] == "ok"
    finally:
        server.stop()
