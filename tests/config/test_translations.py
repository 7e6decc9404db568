"""Every text the project shows has its Dutch translation. Django's makemessages, run over a copy of
the project's own files, finds each string marked for translation; none may be left without a
Dutch text, and none may be one it only guessed (fuzzy), which Django does not use: an English
column header on the Dutch monitor ("Source") went unnoticed until a visitor saw it."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

from config.release import PROJECT_DIR, SHAPING_DIRECTORIES


def _entries(po_file: Path, selection: str) -> str:
    """The entries msgattrib selects (--untranslated, --only-fuzzy) from the catalogue, as text."""
    return subprocess.run(["msgattrib", selection, "--no-obsolete", "--no-wrap", str(po_file)],
                          capture_output=True, text=True, check=True).stdout


def test_every_marked_text_has_a_dutch_translation(tmp_path: Path) -> None:
    for directory in SHAPING_DIRECTORIES:
        shutil.copytree(PROJECT_DIR / directory, tmp_path / directory,
                        ignore=shutil.ignore_patterns("__pycache__", "*.mo", "static"))
    shutil.copy(PROJECT_DIR / "manage.py", tmp_path)
    made = subprocess.run([sys.executable, "manage.py", "makemessages", "--locale", "nl", "--no-obsolete"],
                          cwd=tmp_path, env=os.environ.copy(), capture_output=True, text=True)
    assert made.returncode == 0, made.stderr
    catalogue = tmp_path / "locale" / "nl" / "LC_MESSAGES" / "django.po"

    # msgfmt counts an entry with any empty plural form as untranslated; msgattrib shows which.
    counted = subprocess.run(["msgfmt", "--statistics", "--output-file=/dev/null", str(catalogue)],
                             capture_output=True, text=True, check=True).stderr
    assert "untranslated" not in counted and "fuzzy" not in counted, (
        counted + _entries(catalogue, "--untranslated") + _entries(catalogue, "--only-fuzzy"))
