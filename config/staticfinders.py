"""Serve chosen files of npm packages (node_modules/, installed by `make`) as our own static files.

Unlike adding a whole package folder to STATICFILES_DIRS, only the listed files are served and
collected. NPM_STATIC_FILES maps a URL prefix to a package folder and glob patterns inside it:

    NPM_STATIC_FILES = {"vendor/ol": ("ol/dist", ["ol.js"]), ...}
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

from django.conf import settings
from django.contrib.staticfiles.finders import BaseFinder
from django.core.checks import CheckMessage, Error
from django.core.files.storage import FileSystemStorage


class NodeModulesFinder(BaseFinder):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        self.root = Path(settings.NODE_MODULES)
        self.entries: list[tuple[str, Path, list[str]]] = [
            (prefix, self.root / folder, patterns)
            for prefix, (folder, patterns) in settings.NPM_STATIC_FILES.items()
        ]

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
        return errors

    # Nothing found is [] (not None) whatever find_all, as Django's own finders answer: finders.find
    # would take a None for a match.
    def find(self, path: str, find_all: bool = False,  # type: ignore[override]  # [] as Django's finders
             **kwargs: Any) -> str | list[str]:
        matches = []
        for prefix, folder, file in self._files():
            if f"{prefix}/{file.relative_to(folder).as_posix()}" == path:
                if not find_all:
                    return str(file)
                matches.append(str(file))
        return matches

    def list(self, ignore_patterns: Any) -> Iterator[tuple[str, FileSystemStorage]]:
        for prefix, folder, file in self._files():
            storage = FileSystemStorage(location=folder)
            storage.prefix = prefix  # type: ignore[attr-defined]  # read by collectstatic, as on Django's own
            yield file.relative_to(folder).as_posix(), storage
