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
                     "DATABASE_PRIMARY_STICKY_SECONDS"}

SHOW = """
import json
from django.conf import settings
print(json.dumps({
    "databases": settings.DATABASES, "routers": settings.DATABASE_ROUTERS, "middleware": settings.MIDDLEWARE,
    "replicas": settings.DATABASE_REPLICAS, "caches": settings.CACHES, "session_engine": settings.SESSION_ENGINE,
}, default=str))
"""


def settings_with(**variables: str) -> dict[str, Any]:
    env = {name: value for name, value in os.environ.items() if name not in SCALING_VARIABLES}
    env.update({"DEBUG": "true", "DJANGO_SETTINGS_MODULE": "config.settings", **variables})
    result = subprocess.run([sys.executable, "-c", "import django; django.setup()\n" + SHOW], env=env, cwd=ROOT,
                            capture_output=True, text=True, check=True)
    return json.loads(result.stdout)


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
        assert replica["ENGINE"] == primary["ENGINE"] == "django.contrib.gis.db.backends.postgis"
        assert replica["CONN_MAX_AGE"] == primary["CONN_MAX_AGE"] == 120
        assert replica["CONN_HEALTH_CHECKS"] is True
        assert replica["OPTIONS"]["options"] == "-c jit=off"
        assert replica["TEST"]["MIRROR"] == "default"  # tests read the test database through it
    assert second["OPTIONS"]["sslmode"] == "require"


def test_jit_follows_the_primarys_setting_on_the_replicas():
    found = settings_with(DATABASE_REPLICA_URLS="postgis://replica-a.internal/registry", DATABASE_JIT="true")
    assert "options" not in found["databases"]["replica1"].get("OPTIONS", {})


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
