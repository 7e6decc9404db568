"""The production mode as `make serve` starts it: check --deploy clean, then the real server
(config/setup/serve.sh: collected static files, gunicorn) answering on loopback."""

from __future__ import annotations

import os
import re
import secrets
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.error import HTTPError, URLError
from urllib.parse import quote
from urllib.request import HTTPRedirectHandler, ProxyHandler, Request, build_opener

import pytest
from django.db import connection

PROJECT_DIR = Path(__file__).resolve().parents[2]
HOST = "register.example.org"


class NoRedirects(HTTPRedirectHandler):
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


opener = build_opener(ProxyHandler({}), NoRedirects)


def get(url: str, **headers: str) -> tuple[int, dict[str, str], bytes]:
    request = Request(url, headers={"Host": HOST, **headers})
    try:
        with opener.open(request, timeout=30) as response:
            return response.status, dict(response.headers), response.read()
    except HTTPError as error:
        return error.code, dict(error.headers), error.read()


def production_environment(tmp_path: Path) -> dict[str, str]:
    key_file = tmp_path / "secret_key"
    key_file.write_text(secrets.token_urlsafe(64) + "\n")
    environment = {name: value for name, value in os.environ.items()
                   if name not in ("DEBUG", "SECRET_KEY", "DJANGO_SETTINGS_MODULE")}
    return {**environment, "SECRET_KEY_FILE": str(key_file), "ALLOWED_HOSTS": HOST, "SITE_URL": f"https://{HOST}",
            "API_CONTACT_EMAIL": f"beheer@{HOST}"}


def test_check_deploy_finds_nothing_with_the_production_settings(tmp_path):
    result = subprocess.run([sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
                            cwd=PROJECT_DIR, env=production_environment(tmp_path), capture_output=True, text=True)

    assert (result.returncode, result.stderr, result.stdout) == (
        0, "", "System check identified no issues (1 silenced).\n")


def test_a_trial_without_tls_is_named_by_check_deploy(tmp_path):
    environment = {**production_environment(tmp_path), "SECURE_SSL_REDIRECT": "false"}

    result = subprocess.run([sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
                            cwd=PROJECT_DIR, env=environment, capture_output=True, text=True)

    assert result.returncode == 1
    assert "security.W008" in result.stderr


def test_a_site_that_does_not_know_its_public_address_is_named_by_check_deploy(tmp_path):
    environment = {name: value for name, value in production_environment(tmp_path).items()
                   if name not in ("SITE_URL", "API_CONTACT_EMAIL")}

    result = subprocess.run([sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
                            cwd=PROJECT_DIR, env=environment, capture_output=True, text=True)

    assert result.returncode == 1
    assert re.findall(r"\?: \((config\.W\d+)\) (.*)", result.stderr) == [
        ("config.W001", "SITE_URL is http://127.0.0.1:8000, an address on this machine: links in e-mails, in the "
                        "open-data snapshots and the API's contact point lead there."),
        ("config.W004", "API_CONTACT_EMAIL is the placeholder register@example.org: the API documents and the "
                        "open-data catalogue name it as whom to ask, and e-mails are sent from it."),
    ]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def served(tmp_path: Path, committed_db: None) -> Iterator[str]:
    """serve.sh on the test database, with its static files collected into a temporary folder."""
    settings = connection.settings_dict
    url = (f"postgres://{quote(settings['USER'] or '')}@/{quote(settings['NAME'])}"
           f"?host={quote(settings['HOST'] or '/var/run/postgresql')}&port={settings['PORT'] or 5432}")
    port = free_port()
    environment = {**production_environment(tmp_path), "DATABASE_URL": url, "BIND": f"127.0.0.1:{port}",
                   "STATIC_ROOT": str(tmp_path / "static"), "WEB_CONCURRENCY": "2"}
    log = (tmp_path / "serve.log").open("wb")
    process = subprocess.Popen(["bash", "config/setup/serve.sh"], cwd=PROJECT_DIR, env=environment, stdout=log,
                               stderr=subprocess.STDOUT, start_new_session=True)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 120
        while True:
            assert process.poll() is None, (tmp_path / "serve.log").read_text()
            try:
                if get(base + "/healthz")[0] == 200:
                    break
            except (URLError, OSError):
                pass
            assert time.monotonic() < deadline, (tmp_path / "serve.log").read_text()
            time.sleep(0.3)
        yield base
    finally:
        process.terminate()
        process.wait(timeout=30)
        log.close()


def test_the_served_site_sends_http_to_https_and_serves_hashed_static_files_for_a_year(served):
    plain = get(served + "/initiatieven")
    page = get(served + "/initiatieven", **{"X-Forwarded-Proto": "https"})
    style = re.search(r'href="(/static/registry/site\.[0-9a-f]{12}\.css)"', page[2].decode())

    assert (plain[0], plain[1]["Location"]) == (301, f"https://{HOST}/initiatieven")
    assert page[0] == 200
    assert page[1]["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains; preload"
    assert page[1]["Content-Security-Policy"].startswith("default-src 'self'")
    assert style is not None, "the page names the hashed file"
    static = get(served + style.group(1), **{"X-Forwarded-Proto": "https", "Accept-Encoding": "gzip"})
    assert static[0] == 200
    assert static[1]["Cache-Control"] == "max-age=315360000, public, immutable"
    assert static[1]["Content-Encoding"] == "gzip"
    # The design system's bundle (config/staticfinders.py) is collected and hashed like our own files.
    bundle = re.search(r'href="(/static/vendor/nlds/nlds\.[0-9a-f]{12}\.css)"', page[2].decode())
    assert bundle is not None, "the page names the hashed bundle"
    served_bundle = get(served + bundle.group(1), **{"X-Forwarded-Proto": "https"})
    assert served_bundle[0] == 200 and b".utrecht-button {" in served_bundle[2]
