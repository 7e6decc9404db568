from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.utils.translation import gettext as _
from rest_framework import parsers
from rest_framework.exceptions import ParseError


def nul_path(value: Any, path: str = "") -> str | None:
    """Where in a parsed JSON document a string holds a NUL character (PostgreSQL refuses it)."""
    if isinstance(value, str):
        return path if "\x00" in value else None
    items: Iterable[tuple[Any, Any]]
    if isinstance(value, dict):
        items = value.items()
    elif isinstance(value, list):
        items = ((f"[{index}]", item) for index, item in enumerate(value))
    else:
        return None
    for key, item in items:
        if "\x00" in str(key):
            return f"{path}.{key!r}" if path else repr(key)
        found = nul_path(item, f"{path}.{key}".lstrip(".") if not str(key).startswith("[") else f"{path}{key}")
        if found is not None:
            return found
    return None


class JSONParser(parsers.JSONParser):
    def parse(self, stream: Any, media_type: str | None = None, parser_context: Any = None) -> Any:
        data = super().parse(stream, media_type, parser_context)
        where = nul_path(data)
        if where is not None:
            raise ParseError(_("Text may not contain NUL characters (at %(where)s).") % {"where": where or "body"})
        return data
