"""The inline scripts and styles a page may run: the Content-Security-Policy's list of what our
own code made (config.middleware sends the policy).

Kept apart from the middleware and free of the project's apps, so that whatever renders a page
part (the site's maps, the API's documentation page) can declare what it made.
"""

from __future__ import annotations

import base64
import hashlib
import re
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar

# Inline scripts and style blocks are allowed only when our own code made them: whoever renders
# one (registry.site.maps.rendered: the folium-composed map script, folium's tooltip styles) declares
# its SHA-256 hash with `trust_inline`, and the policy allows exactly those. A script that reached
# a page any other way (an injection past the escaping) is refused. Hashes rather than nonces: a
# hash stays valid for a page answered from a cache (registry.caching keeps them with the page).
_trusted: ContextVar[dict[str, set[str]] | None] = ContextVar("trusted_inline", default=None)
INLINE_KINDS = ("script", "style")


def source_hash(content: str) -> str:
    return "'sha256-" + base64.b64encode(hashlib.sha256(content.encode()).digest()).decode() + "'"


def trust_inline(kind: str, content: str) -> None:
    """Allow an inline <script> or <style> element with exactly this content on the page being made."""
    trust_hashes({kind: {source_hash(content)}})


def trust_blocks(blocks: Iterable[tuple[str, str]]) -> None:
    """Allow each (kind, content) inline block, as trust_inline does one."""
    for kind, content in blocks:
        trust_inline(kind, content)


INLINE_BLOCK = re.compile(r"<(script|style)(?![^>]*\bsrc\s*=)[^>]*>(.*?)</\1\s*>", re.DOTALL | re.IGNORECASE)


def trust_inline_blocks(html: str) -> None:
    """Allow every inline block of a page rendered from a template that holds nobody's text but
    ours or a library's (never for pages that show records, names or anything typed)."""
    trust_blocks((kind.lower(), content) for kind, content in INLINE_BLOCK.findall(html))


def trust_hashes(hashes: dict[str, set[str]]) -> None:
    trusted = _trusted.get()
    if trusted is not None:  # outside a request (a command, a test without one) nothing is served
        for kind, found in hashes.items():
            trusted[kind].update(found)


def trusted_hashes() -> dict[str, set[str]]:
    trusted = _trusted.get() or {}
    return {kind: set(trusted.get(kind, ())) for kind in INLINE_KINDS}


@contextmanager
def collecting() -> Iterator[None]:
    """Collect what the code inside declares (the middleware wraps each request in this)."""
    token = _trusted.set({kind: set() for kind in INLINE_KINDS})
    try:
        yield
    finally:
        _trusted.reset(token)
