"""The web workers' memory settings (config/gunicorn.conf.py): a worker reuses the large buffers of
one request for the next instead of faulting in fresh pages for each (a box of 1,000 Features is
2 MB, received in runs, joined and wrapped)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

CONFIG = Path(__file__).resolve().parents[2] / "config" / "gunicorn.conf.py"

# A request's large buffers, over and over, in a fresh process: the minor page faults it took.
REQUESTS = """
import importlib.util, resource, sys
spec = importlib.util.spec_from_file_location("gunicorn_conf", sys.argv[1])
conf = importlib.util.module_from_spec(spec)
spec.loader.exec_module(conf)
if sys.argv[2] == "worker":
    assert conf.keep_large_buffers()
def request():
    runs = [bytes(bytearray(200_000)) for _ in range(10)]
    return len(b"".join((b"{", b",".join(runs), b"}")))
request()
before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
for _ in range(50):
    request()
print(resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before)
"""


def page_faults(mode: str) -> int:
    done = subprocess.run([sys.executable, "-c", REQUESTS, str(CONFIG), mode], capture_output=True, text=True,
                          check=True, timeout=60)
    return int(done.stdout)


def test_a_worker_reuses_large_buffers_instead_of_faulting_in_fresh_pages():
    plain, worker = page_faults("plain"), page_faults("worker")
    # Without the setting each of the 50 requests faults in its 4 MB afresh (about 1,000 pages).
    assert plain > 50 * 500
    assert worker < plain / 20, (plain, worker)


# A worker as gunicorn starts one: the fork, the application loaded, then the worker's own start.
WORKER_START = """
import gc, importlib.util, sys
spec = importlib.util.spec_from_file_location("gunicorn_conf", sys.argv[1])
conf = importlib.util.module_from_spec(spec)
spec.loader.exec_module(conf)
class Worker: pass
worker = Worker()
conf.post_fork(None, worker)
from config.wsgi import application
conf.post_worker_init(worker)
print(gc.get_freeze_count(), len(gc.get_objects()), "api.views.initiatives" in sys.modules)
"""


def test_a_worker_freezes_the_loaded_application_so_collections_skip_it():
    done = subprocess.run([sys.executable, "-c", WORKER_START, str(CONFIG)], capture_output=True, text=True,
                          check=True, timeout=120, cwd=CONFIG.parents[1],
                          env={**os.environ, "DEBUG": "true", "DJANGO_SETTINGS_MODULE": "config.settings"})
    frozen, tracked, views_loaded = done.stdout.split()
    assert views_loaded == "True"  # imported before the freeze, not at the first request
    # What a full collection after a request still looks at: a handful, not the application.
    assert int(frozen) > 100_000 and int(tracked) < 1_000, done.stdout


def test_the_hooks_are_ones_gunicorn_calls():
    """gunicorn ignores a function of the configuration whose name is not one of its settings."""
    from gunicorn.config import KNOWN_SETTINGS

    hooks = {setting.name for setting in KNOWN_SETTINGS}
    assert {"post_fork", "post_worker_init", "post_request"} <= hooks
    text = CONFIG.read_text()
    assert all(f"def {hook}(" in text for hook in ("post_fork", "post_worker_init", "post_request"))


# What a web worker loads before its first request (post_worker_init: the settings and every view).
LOADED = """
import sys
import django
django.setup()
from django.urls import get_resolver
get_resolver().url_patterns
print(" ".join(sorted(name for name in ("scipy", "weasyprint", "openpyxl", "pandas") if name in sys.modules)))
"""


def test_a_web_worker_does_not_load_what_only_jobs_and_the_monitor_use():
    """scipy (the monitor's survival curves) came with the admin into every worker: 60 MB each."""
    environment = {**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings"}
    loaded = subprocess.run([sys.executable, "-c", LOADED], capture_output=True, text=True, check=True,
                            cwd=CONFIG.parents[1], env=environment).stdout.split()

    assert loaded == []
