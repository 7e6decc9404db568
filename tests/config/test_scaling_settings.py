"""The settings for scaling out (docs/scaling.md), read in a fresh process with a given environment:
read replicas from DATABASE_REPLICA_URLS, Redis from REDIS_URL, and neither without them."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
SCALING_VARIABLES = {"DATABASE_REPLICA_URLS", "REDIS_URL", "DATABASE_JIT", "DATABASE_CONN_MAX_AGE",
                     "DATABASE_PRIMARY_STICKY_SECONDS", "DATABASE_REPLICA_RETRY_SECONDS"}

SHOW = """
import json
from django.conf import settings
print(json.dumps({
    "databases": settings.DATABASES, "routers": settings.DATABASE_ROUTERS, "middleware": settings.MIDDLEWARE,
    "replicas": settings.DATABASE_REPLICAS, "caches": settings.CACHES, "session_engine": settings.SESSION_ENGINE,
    "retry_seconds": settings.DATABASE_REPLICA_RETRY_SECONDS,
}, default=str))
"""


def settings_with(**variables: str) -> dict[str, Any]:
    result = read_settings(**variables)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def read_settings(**variables: str) -> subprocess.CompletedProcess[str]:
    env = {name: value for name, value in os.environ.items() if name not in SCALING_VARIABLES}
    env.update({"DEBUG": "true", "DJANGO_SETTINGS_MODULE": "config.settings", **variables})
    return subprocess.run([sys.executable, "-c", "import django; django.setup()\n" + SHOW], env=env, cwd=ROOT,
                          capture_output=True, text=True, check=False)


def test_without_replica_urls_there_is_one_database_and_no_router():
    found = settings_with()
    assert list(found["databases"]) == ["default"]
    assert (found["routers"], found["replicas"]) == ([], [])
    assert "config.replicas.ReplicaReadsMiddleware" not in found["middleware"]


def test_each_replica_url_becomes_an_alias_configured_like_the_primary_and_the_router_is_installed():
    found = settings_with(DATABASE_REPLICA_URLS="postgis://reader:pw@replica-a.internal:5432/registry, "
                                                "postgres://reader:pw@replica-b.internal/registry?sslmode=require",
                          DATABASE_CONN_MAX_AGE="120")
    primary, first, second = (found["databases"][alias] for alias in ("default", "replica1", "replica2"))

    assert found["replicas"] == ["replica1", "replica2"]
    assert found["routers"] == ["config.replicas.ReplicaRouter"]
    assert found["middleware"][0] == "config.replicas.ReplicaReadsMiddleware"
    assert (first["HOST"], first["USER"], first["NAME"]) == ("replica-a.internal", "reader", "registry")
    assert second["HOST"] == "replica-b.internal"
    for replica in (first, second):
        assert replica["ENGINE"] == primary["ENGINE"] == "config.postgis"
        assert replica["CONN_MAX_AGE"] == primary["CONN_MAX_AGE"] == 120
        assert replica["CONN_HEALTH_CHECKS"] is True
        assert replica["OPTIONS"]["options"] == primary["OPTIONS"]["options"] == (
            "-c jit=off -c max_parallel_workers_per_gather=0")
        assert replica["TEST"]["MIRROR"] == "default"  # tests read the test database through it
    assert second["OPTIONS"]["sslmode"] == "require"
    # A replica that does not answer is given up after 2 s, unless its URL says otherwise.
    assert first["OPTIONS"]["connect_timeout"] == 2
    assert "connect_timeout" not in primary.get("OPTIONS", {})
    assert found["retry_seconds"] == 5


def test_a_replicas_url_may_set_its_own_connect_timeout_and_the_retry_time_is_a_setting():
    found = settings_with(DATABASE_REPLICA_URLS="postgis://replica-a.internal/registry?connect_timeout=10",
                          DATABASE_REPLICA_RETRY_SECONDS="30")
    assert str(found["databases"]["replica1"]["OPTIONS"]["connect_timeout"]) == "10"
    assert found["retry_seconds"] == 30


def test_a_retry_time_below_one_second_is_refused_by_name():
    for value in ("0", "-5", "soon"):
        result = read_settings(DATABASE_REPLICA_RETRY_SECONDS=value)
        assert result.returncode != 0
        assert "DATABASE_REPLICA_RETRY_SECONDS" in result.stderr.splitlines()[-1]


def test_jit_and_parallel_query_follow_the_primarys_settings_on_the_replicas():
    found = settings_with(DATABASE_REPLICA_URLS="postgis://replica-a.internal/registry", DATABASE_JIT="true",
                          DATABASE_PARALLEL_WORKERS="2")
    for alias in ("default", "replica1"):
        assert found["databases"][alias]["OPTIONS"]["options"] == "-c max_parallel_workers_per_gather=2"


def test_without_redis_url_the_cache_and_the_sessions_live_in_the_database():
    found = settings_with()
    assert found["caches"] == {"default": {"BACKEND": "django.core.cache.backends.db.DatabaseCache",
                                           "LOCATION": "registry_cache",
                                           "OPTIONS": {"MAX_ENTRIES": 200000}},
                               "responses": {"BACKEND": "django.core.cache.backends.db.DatabaseCache",
                                             "LOCATION": "registry_response_cache",
                                             "OPTIONS": {"MAX_ENTRIES": 50000}}}
    assert found["session_engine"] == "django.contrib.sessions.backends.db"


def test_redis_url_puts_the_cache_in_redis_and_reads_sessions_from_it():
    found = settings_with(REDIS_URL="redis://cache.internal:6379/2")
    cache = found["caches"]["default"]
    assert (cache["BACKEND"], cache["LOCATION"]) == ("django.core.cache.backends.redis.RedisCache",
                                                    "redis://cache.internal:6379/2")
    assert found["session_engine"] == "django.contrib.sessions.backends.cached_db"
