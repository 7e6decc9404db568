"""Which release of the register this process runs: a digest of what shapes its answers.

An answer's ETag and the key it is kept under follow the register's version, so an unchanged
register keeps them across a deploy. A release that changes what the answers hold (a document's
format assembled at read time, a template, a translation) would then leave clients revalidating
their old copy with a 304 and the shared cache serving answers of the release before. With the
release in the key both move at a deploy and stay put otherwise. A digest of the files rather than
a version number: nobody has to remember to raise it, and every machine of one release agrees.
"""

from __future__ import annotations

import functools
import hashlib
import time
from pathlib import Path

PROJECT_DIR = Path(__file__).resolve().parent.parent
# What the answers are made of: the code of the project's own packages, its templates (pages and
# e-mails), its static files (a kept page names their hashed files), its translations (the .po
# files: the compiled .mo files are built from them on each machine), and the versions of the
# libraries it installs. Only kinds of file the repository holds: nothing one machine generates.
SHAPING_DIRECTORIES = ("api", "config", "geo", "ogc", "opendata", "registry", "templates", "locale")
SHAPING_SUFFIXES = frozenset({".py", ".html", ".txt", ".po", ".css", ".js", ".svg"})
SHAPING_FILES = ("constraints.txt", "package-lock.json")


def _shaping_files() -> list[Path]:
    return sorted([*(path for directory in SHAPING_DIRECTORIES for path in (PROJECT_DIR / directory).rglob("*")
                     if path.suffix in SHAPING_SUFFIXES and "__pycache__" not in path.parts and path.is_file()),
                   *(PROJECT_DIR / name for name in SHAPING_FILES if (PROJECT_DIR / name).is_file())])


@functools.cache
def release() -> str:
    """16 hex digits, the same for the same files. Per process (gunicorn.conf.py reads it in each
    worker), never kept by the master: a worker started after a reload describes its own code."""
    digest = hashlib.sha256()
    for path in _shaping_files():
        digest.update(path.relative_to(PROJECT_DIR).as_posix().encode() + b"\0")
        digest.update(hashlib.sha256(path.read_bytes()).digest())
    return digest.hexdigest()[:16]


@functools.cache
def released_at() -> float:
    """When this machine's copy of the release last changed (a POSIX time): the newest modification
    of its files, never later than now. An answer's Last-Modified is never earlier (registry.caching.
    last_modified), so a client that asks If-Modified-Since with a copy of the release before gets
    the new answer, not a 304; the ETag moves with release() already. Any moment after the deploy is
    as right (only a few more whole answers), so machines that differ a little disagree harmlessly;
    a moment in the future (a skewed clock, an archive's dates) would date every answer there and
    hide later edits from such clients, hence the bound."""
    return min(max(path.stat().st_mtime for path in _shaping_files()), time.time())
