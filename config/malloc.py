"""glibc's malloc, told to keep large buffers: for the web workers (config/gunicorn.conf.py, by
mallopt after the fork) and the project's PostgreSQL servers (config/setup/devdb.py, by their
environment), one setting for both (docs/scaling.md).

By default glibc maps a buffer above its mmap threshold afresh and gives it back as soon as it is
freed, so each request for a box of 1,000 Features (2 MB, assembled, sorted, joined) faulted in and
zeroed the same pages again: 1,561 minor page faults per request in a worker, 786 per query in a
PostgreSQL backend. Kept in the heap: 56 and 0; the worker's request about a fifth faster, the
backend's CPU for the query 10-20% lower. The price: a process keeps up to KEEP_FREE_BYTES it no
longer uses until it ends.
"""

from __future__ import annotations

import ctypes

# Buffers up to this size come from the heap, not from mmap: glibc's largest (malloc.h: 32 MiB on 64 bits).
KEEP_FROM_HEAP_BYTES = 32 * 2**20
# Free memory at the heap's top is given back to the system above this.
KEEP_FREE_BYTES = 256 * 2**20

# The same, as the environment a process starts with.
ENVIRONMENT = {"MALLOC_MMAP_THRESHOLD_": str(KEEP_FROM_HEAP_BYTES), "MALLOC_TRIM_THRESHOLD_": str(KEEP_FREE_BYTES)}

# mallopt's parameters (malloc.h).
M_TRIM_THRESHOLD, M_MMAP_THRESHOLD = -1, -3


def keep_large_buffers() -> bool:
    """Set them in this running process; False where the C library is not glibc (or refuses)."""
    try:
        mallopt = ctypes.CDLL("libc.so.6").mallopt
    except (OSError, AttributeError):
        return False
    kept = [mallopt(M_TRIM_THRESHOLD, KEEP_FREE_BYTES), mallopt(M_MMAP_THRESHOLD, KEEP_FROM_HEAP_BYTES)]
    return all(kept)
