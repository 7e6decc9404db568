"""Settings come from the environment through small helpers with clear errors."""

from __future__ import annotations

import pytest
from django.core.exceptions import ImproperlyConfigured

from config.env import envbool, envint, envlist, envsecret


def test_it_reads_booleans_and_refuses_anything_else(monkeypatch):
    monkeypatch.setenv("FLAG", "Yes")
    assert envbool("FLAG", False) is True
    monkeypatch.setenv("FLAG", "misschien")
    with pytest.raises(ImproperlyConfigured, match="FLAG must be one of true/false"):
        envbool("FLAG", False)
    monkeypatch.delenv("FLAG")
    assert envbool("FLAG", True) is True


def test_it_reads_numbers_and_lists(monkeypatch):
    monkeypatch.setenv("WORKERS", "x")
    with pytest.raises(ImproperlyConfigured, match="WORKERS must be a whole number, not 'x'"):
        envint("WORKERS", 2)
    monkeypatch.setenv("HOSTS", " a.nl, b.nl ,,")
    assert envlist("HOSTS", []) == ["a.nl", "b.nl"]


def test_it_reads_a_secret_from_a_file(monkeypatch, tmp_path):
    secret = tmp_path / "key"
    secret.write_text("s3cret\n")
    monkeypatch.delenv("SECRET_KEY", raising=False)
    monkeypatch.setenv("SECRET_KEY_FILE", str(secret))
    assert envsecret("SECRET_KEY") == "s3cret"


def test_production_settings_refuse_to_start_without_a_secret_key():
    import os
    import subprocess
    import sys

    env = {k: v for k, v in os.environ.items() if k not in {"SECRET_KEY", "SECRET_KEY_FILE"}}
    env["DEBUG"] = "false"
    result = subprocess.run([sys.executable, "manage.py", "check"], env=env, capture_output=True, text=True)
    assert result.returncode != 0
    assert "Set SECRET_KEY (or SECRET_KEY_FILE) in the environment, or DEBUG=true." in result.stderr
