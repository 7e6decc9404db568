"""Serve chosen files of npm packages (node_modules/, installed by `make`) as our own static files.

Unlike adding a whole package folder to STATICFILES_DIRS, only the listed files are served and
collected. NPM_STATIC_FILES maps a URL prefix to a package folder and glob patterns inside it:

    NPM_STATIC_FILES = {"vendor/ol": ("ol/dist", ["ol.js"]), ...}

NPM_STATIC_BUNDLES makes one style sheet of several npm files, so that a page asks for one file and
not twenty (each render-blocking):

    NPM_STATIC_BUNDLES = {"vendor/nlds/nlds.css": {
        "files": ["@utrecht/button-css/dist/index.css", ...],  # copied whole, in this order
        "tokens": ["@nl-design-system-unstable/voorbeeld-design-tokens/dist/theme.css"],
        "keep": ["--basis-"],  # token names kept whatever the files use
    }}

A tokens file is a theme of CSS custom properties (one declaration a line, as Style Dictionary writes
them): only the properties that the files read, the ones named in "keep", and those these refer to
in turn are kept, so a theme made for a hundred components costs the page only what its own use.
The bundle is written under NPM_BUNDLE_ROOT when the finder first needs it, and again whenever its
sources change (node_modules is never written to).
"""

from __future__ import annotations

import os
import re
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from django.conf import settings
from django.contrib.staticfiles.finders import BaseFinder
from django.core.checks import CheckMessage, Error
from django.core.files.storage import FileSystemStorage

DECLARATION = re.compile(r"^\s*(--[\w-]+)\s*:(.*)$")
REFERENCE = re.compile(r"var\(\s*(--[\w-]+)")


def filter_tokens(theme: str, used: set[str], keep: tuple[str, ...] = ()) -> str:
    """The lines of `theme` without the custom properties that nothing needs: a property is needed
    when it is in `used`, starts with one of `keep`, or a needed property's value refers to it."""
    values: dict[str, str] = {}
    for line in theme.splitlines():
        if match := DECLARATION.match(line):
            values[match[1]] = match[2]
    needed = {name for name in values if name in used or name.startswith(keep)}
    todo = list(needed)
    while todo:
        for name in REFERENCE.findall(values.get(todo.pop(), "")):
            if name in values and name not in needed:
                needed.add(name)
                todo.append(name)
    return "\n".join(line for line in theme.splitlines()
                     if not (match := DECLARATION.match(line)) or match[1] in needed) + "\n"


def build_bundle(root: Path, spec: dict[str, Any]) -> str:
    """One style sheet of the bundle's files (whole) and its tokens (filtered), tokens first."""
    files = [(name, (root / name).read_text(encoding="utf-8")) for name in spec.get("files", [])]
    used = {name for _, text in files for name in REFERENCE.findall(text)}
    parts = [f"/* {name} (filtered to the properties used below) */\n"
             + filter_tokens((root / name).read_text(encoding="utf-8"), used, tuple(spec.get("keep", ())))
             for name in spec.get("tokens", [])]
    parts += [f"/* {name} */\n{text.rstrip()}\n" for name, text in files]
    return "/* Built from node_modules by config/staticfinders.py: do not edit. */\n" + "\n".join(parts)


def write_if_changed(path: Path, text: str) -> None:
    """Write atomically, and only when the content differs (several processes may build at once)."""
    if path.is_file() and path.read_text(encoding="utf-8") == text:
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    with os.fdopen(handle, "w", encoding="utf-8") as file:
        file.write(text)
    os.chmod(temporary, 0o644)
    os.replace(temporary, path)


class NodeModulesFinder(BaseFinder):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        self.root = Path(settings.NODE_MODULES)
        self.entries: list[tuple[str, Path, list[str]]] = [
            (prefix, self.root / folder, patterns)
            for prefix, (folder, patterns) in settings.NPM_STATIC_FILES.items()
        ]
        self.bundles: dict[str, dict[str, Any]] = getattr(settings, "NPM_STATIC_BUNDLES", {})
        self.bundle_root = Path(getattr(settings, "NPM_BUNDLE_ROOT", settings.BASE_DIR / "var" / "npm-bundles"))
        self.built = False

    def _bundles(self) -> Iterator[tuple[str, Path]]:
        """(URL path, built file) of every bundle, built once per process when its sources exist."""
        if not self.built:
            for url_path, spec in self.bundles.items():
                if all((self.root / name).is_file() for name in self._sources(spec)):
                    write_if_changed(self.bundle_root / url_path, build_bundle(self.root, spec))
            self.built = True
        for url_path in self.bundles:
            if (self.bundle_root / url_path).is_file():
                yield url_path, self.bundle_root / url_path

    @staticmethod
    def _sources(spec: dict[str, Any]) -> list[str]:
        return [*spec.get("tokens", []), *spec.get("files", [])]

    def _files(self) -> Iterator[tuple[str, Path, Path]]:
        """(URL prefix, package folder, file) for every listed file that exists."""
        for prefix, folder, patterns in self.entries:
            for pattern in patterns:
                for path in sorted(folder.glob(pattern)):
                    if path.is_file():
                        yield prefix, folder, path

    def check(self, **kwargs: Any) -> list[CheckMessage]:
        errors: list[CheckMessage] = []
        for prefix, folder, patterns in self.entries:
            for pattern in patterns:
                if not any(folder.glob(pattern)):
                    errors.append(Error(
                        f"NPM_STATIC_FILES: nothing matches {folder / pattern} (for {prefix}/).",
                        hint="Run `make node_modules` (npm ci) to install the front-end packages.",
                        id="registry.E001"))
        for url_path, spec in self.bundles.items():
            for name in self._sources(spec):
                if not (self.root / name).is_file():
                    errors.append(Error(
                        f"NPM_STATIC_BUNDLES: {self.root / name} is missing (for {url_path}).",
                        hint="Run `make node_modules` (npm ci) to install the front-end packages.",
                        id="registry.E001"))
        return errors

    # Nothing found is [] (not None) whatever find_all, as Django's own finders answer: finders.find
    # would take a None for a match.
    def find(self, path: str, find_all: bool = False,  # type: ignore[override]  # [] as Django's finders
             **kwargs: Any) -> str | list[str]:
        matches = []
        for url_path, built in self._bundles():
            if url_path == path:
                if not find_all:
                    return str(built)
                matches.append(str(built))
        for prefix, folder, file in self._files():
            if f"{prefix}/{file.relative_to(folder).as_posix()}" == path:
                if not find_all:
                    return str(file)
                matches.append(str(file))
        return matches

    def list(self, ignore_patterns: Any) -> Iterator[tuple[str, FileSystemStorage]]:
        bundles = FileSystemStorage(location=self.bundle_root)
        for url_path, _built in self._bundles():
            yield url_path, bundles
        for prefix, folder, file in self._files():
            storage = FileSystemStorage(location=folder)
            storage.prefix = prefix  # type: ignore[attr-defined]  # read by collectstatic, as on Django's own
            yield file.relative_to(folder).as_posix(), storage
