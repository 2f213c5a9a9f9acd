"""Hand a large tick's freed temporaries back to the operating system.

A 100k-sector tick allocates hundreds of 1-6 MB numpy temporaries. glibc's malloc raises
its mmap threshold after the first of them is freed, so the later ones come from the
worker thread's heap, and freed heap pages stay in the process: ~220 MB of RSS held
between ticks at 100k sectors (measured). ``malloc_trim(0)`` returns them (~10 ms there).
Elsewhere (not Linux/glibc) this does nothing.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import sys
from collections.abc import Callable
from typing import Any, TypeVar

T = TypeVar("T")


def _malloc_trim() -> Callable[[int], int] | None:
    if not sys.platform.startswith("linux"):
        return None
    try:
        return ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6").malloc_trim
    except (OSError, AttributeError):  # no libc found, or one without malloc_trim (musl)
        return None


_TRIM = _malloc_trim()


def trim_heap() -> bool:
    """Return free heap pages to the OS; False where that is not available."""
    if _TRIM is None:
        return False
    _TRIM(0)
    return True


def trimmed(fn: Callable[..., T], *args: Any) -> T:
    """``fn(*args)``, then :func:`trim_heap` (also when it raises): a large tick's
    temporaries do not stay in the process until the next one."""
    try:
        return fn(*args)
    finally:
        trim_heap()
