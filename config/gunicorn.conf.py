"""gunicorn settings for serving the register (`make serve`, the benchmarks and the load test).

Garbage collection: a request builds thousands of short-lived objects in reference cycles
(model instances and their prefetch caches), which only a full collection frees. Left to its
thresholds, Python ran that full collection in the middle of a request, every few requests,
for 150-200 ms: the long tail of the API's latency. Here the objects that live as long as the
worker are frozen once it has loaded the application, automatic full collections are off, and the
worker runs one after every GC_EVERY_REQUESTS responses, once the response has been sent. (Frozen
at the fork, before the application was loaded, every such collection still went through all of
Django, 40 ms: at one client the slowest 1 in 100 requests for a record took 44 ms instead of 8,
and a box of 1,000 Features at 8 connections was answered 80 times a second instead of 97.)

Memory: each worker keeps its large buffers for the next request (config/malloc.py).
"""

from __future__ import annotations

import gc
import os
from typing import Any

from config.env import envint
from config.malloc import keep_large_buffers

bind = os.environ.get("BIND", "127.0.0.1:8000")
# Four sync workers per core (8 on the 2-core reference machine). Measured with `make loadtest`
# (docs/scaling.md): with cores + 1 workers a few slow requests (a download being built, a page
# not yet cached) held every worker and the fast ones queued behind them, p99 near 9 s; with 8
# every kind stayed under 1 s. Threads (gthread) did worse: Python's lock let one kind starve.
# The cores this process may use (a container's limit, not the host's count), and at most 16
# workers by default: each holds a database connection (PostgreSQL allows 100 by default).
workers = envint("WEB_CONCURRENCY", min(16, 4 * len(os.sched_getaffinity(0))))
worker_class = os.environ.get("GUNICORN_WORKER_CLASS", "sync")
threads = envint("GUNICORN_THREADS", 1)  # more than 1 makes the workers gthread workers
timeout = envint("GUNICORN_TIMEOUT", 30)
accesslog = os.environ.get("ACCESS_LOG") or None
GC_EVERY_REQUESTS = envint("GC_EVERY_REQUESTS", 20)


def post_fork(server: Any, worker: Any) -> None:
    keep_large_buffers()
    young, middle, _old = gc.get_threshold()
    gc.set_threshold(young, middle, 1_000_000_000)  # no automatic full collection (0 would mean: always)
    worker._requests_since_collection = 0


def post_worker_init(worker: Any) -> None:
    """Once the worker has loaded the application, with the views the URLs import (which Django
    would otherwise import at the first request): what exists now lives as long as the worker, and
    no full collection need look at it again."""
    from django.urls import get_resolver

    from config.release import release, released_at

    get_resolver().url_patterns  # noqa: B018  # imports every view
    release()  # read once here, not in the first request
    released_at()
    gc.collect()
    gc.freeze()


def post_request(worker: Any, request: Any, environ: Any, response: Any) -> None:
    worker._requests_since_collection += 1
    if worker._requests_since_collection >= GC_EVERY_REQUESTS:
        worker._requests_since_collection = 0
        gc.collect()
