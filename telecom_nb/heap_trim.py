"""Handing the C heap's freed pages back to the OS (glibc ``malloc_trim``; elsewhere
nothing): freed temporaries of other threads' arenas otherwise stay mapped and count in
the process's RSS."""

from __future__ import annotations

import ctypes
import ctypes.util
import sys


def _libc() -> ctypes.CDLL | None:
    try:
        return ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
    except OSError:
        return None


_LIBC = _libc()


def release_freed_memory() -> None:
    """Return every arena's free pages to the OS (a few ms at most; no value changes)."""
    trim = getattr(_LIBC, "malloc_trim", None)
    if trim is not None:
        trim(0)


def release_arrow_pool() -> None:
    """Return the Arrow memory pool's unused pages too (a Parquet read's buffers, freed
    into its own allocator, which ``malloc_trim`` does not reach); nothing without Arrow."""
    arrow = sys.modules.get("pyarrow")
    if arrow is not None:
        arrow.default_memory_pool().release_unused()
