"""Giving freed memory back to the system between the steps of an import.

An import holds one big thing at a time (a file's batches, the mapped tables, one table being
written), but the allocators keep what was freed: Arrow's pool (mimalloc) keeps its pages, and
glibc's ``malloc`` keeps the heap that millions of short-lived Python strings (ids being hashed)
used. Without handing it back, the next step's peak is added to the previous step's leftovers
(measured on a 10-million-event GA4 export: 1,166 MB held between writing the parts and sorting
the sessions, 719 MB after :func:`release`; see benchmarks/README.md).
"""

from __future__ import annotations

import ctypes
import ctypes.util
import functools

import pyarrow as pa

__all__ = ["release"]


@functools.cache
def _malloc_trim():
    """glibc's ``malloc_trim`` (None on other C libraries: macOS, musl, Windows)."""
    name = ctypes.util.find_library("c")
    try:
        return ctypes.CDLL(name).malloc_trim if name else None
    except (OSError, AttributeError):
        return None


def release() -> None:
    """Return the memory freed so far to the system: Arrow's pool, then the C heap's free pages."""
    pa.default_memory_pool().release_unused()
    trim = _malloc_trim()
    if trim is not None:
        trim(0)
