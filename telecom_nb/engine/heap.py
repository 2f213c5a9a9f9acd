"""Hand a large tick's freed temporaries back to the operating system.

A 100k-sector tick allocates hundreds of 1-6 MB numpy temporaries. glibc's malloc raises
its mmap threshold after the first of them is freed, so the later ones come from the
worker thread's heap, and freed heap pages stay in the process: ~220 MB of RSS held
between ticks at 100k sectors (measured). ``malloc_trim(0)`` returns them (~10 ms there):
the runner calls :func:`trim_heap` after a large tick's sinks (theirs go back too).

Large ticks run on the event loop's thread pool, and glibc gives threads that allocate
at once arenas of their own (up to 8 per core): each keeps the live small objects it
served, so which pool thread ran which tick moved a 100k-sector process's RSS by
~50 MB between runs (1.48-1.56 GB). :func:`limit_arenas` caps them at one per core
(state after 3 ticks, two runs each: 1.52, 1.53 -> 1.48, 1.48 GB). Elsewhere (not Linux/glibc)
both do nothing.

pandas' strings are Arrow arrays, and Arrow's default pool (mimalloc in the wheels) keeps
the pages its freed buffers used: a 100k-sector process held 39-59 MiB in mimalloc's 1 GiB
arena for 16 MiB of live strings. :func:`use_system_pool` makes malloc Arrow's pool, so the
tick's strings go back with the rest at :func:`trim_heap` (aged 100k RSS ~30 MiB less).
"""

from __future__ import annotations

import ctypes
import ctypes.util
import os
import sys
from collections.abc import Callable

import pyarrow as pa


def _malloc_trim() -> Callable[[int], int] | None:
    if not sys.platform.startswith("linux"):
        return None
    try:
        return ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6").malloc_trim
    except (OSError, AttributeError):  # no libc found, or one without malloc_trim (musl)
        return None


_TRIM = _malloc_trim()
#: glibc's mallopt parameter for the arena cap (malloc.h)
_M_ARENA_MAX = -8
_arenas_limited = False


def limit_arenas() -> bool:
    """Cap malloc's arenas at one per core (before threads allocate; once per process)."""
    global _arenas_limited
    if _TRIM is None:
        return False
    if not _arenas_limited:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        _arenas_limited = bool(libc.mallopt(_M_ARENA_MAX, max(2, os.cpu_count() or 2)))
    return _arenas_limited


def use_system_pool() -> bool:
    """Make malloc Arrow's default pool where :func:`trim_heap` can give its pages back
    (buffers allocated before stay where they are); False where it is left as it was."""
    if _TRIM is None:
        return False
    if pa.default_memory_pool().backend_name != "system":
        pa.set_memory_pool(pa.system_memory_pool())
    return True


def trim_heap() -> bool:
    """Return free heap pages to the OS; False where that is not available."""
    if _TRIM is None:
        return False
    _TRIM(0)
    return True


limit_arenas()  # on import (the runner's), before its thread pool runs a large tick
use_system_pool()
