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
from pathlib import Path

PROJECT_DIR = Path(__file__).resolve().parent.parent
# What the answers are made of: the code of the project's own packages, its templates and its
# translations (the .po files: the compiled .mo files are built from them on each machine).
SHAPING_DIRECTORIES = ("api", "config", "geo", "ogc", "opendata", "registry", "templates", "locale")
SHAPING_SUFFIXES = frozenset({".py", ".html", ".txt", ".xml", ".json", ".po", ".sql"})


@functools.cache
def release() -> str:
    """16 hex digits, the same for the same files; read once per process (2.5 MB, a few ms)."""
    digest = hashlib.sha256()
    files = sorted(path for directory in SHAPING_DIRECTORIES for path in (PROJECT_DIR / directory).rglob("*")
                   if path.suffix in SHAPING_SUFFIXES and "__pycache__" not in path.parts and path.is_file())
    for path in files:
        digest.update(path.relative_to(PROJECT_DIR).as_posix().encode() + b"\0")
        digest.update(hashlib.sha256(path.read_bytes()).digest())
    return digest.hexdigest()[:16]
