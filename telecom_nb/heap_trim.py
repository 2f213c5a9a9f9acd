"""Handing the C heap's freed pages back to the OS (glibc ``malloc_trim``; elsewhere
nothing): freed temporaries of other threads' arenas otherwise stay mapped and count in
the process's RSS."""

from __future__ import annotations

import ctypes
import ctypes.util
import os
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


#: glibc's ``mallopt`` parameters and the size from which a block gets its own mapping
_M_TRIM_THRESHOLD, _M_MMAP_THRESHOLD, LARGE_BLOCK = -1, -3, 4 * 2**20
#: glibc's own ceiling for the threshold it raises as large blocks are freed (64-bit)
MAX_LARGE_BLOCK = 32 * 2**20


def return_large_blocks(threshold: int = LARGE_BLOCK) -> bool:
    """Give every block of ``threshold`` bytes or more its own mapping, handed back to the
    OS when freed; whether it could (glibc, and no ``MALLOC_MMAP_THRESHOLD_`` of the
    user's own). glibc's own threshold rises to 32 MiB as large blocks are freed, after
    which a replay's column-sized arrays (15 MiB at 2M rows) came from the heap and their
    freed space stayed resident: a 2M-row ``detect`` peaked ~40 MB higher (issue 12); the
    cost, ~1 s more system CPU there (the new mappings' page faults). The heap keeps up to
    twice the threshold free at its top, as glibc's own rule has it (fixing the threshold
    left glibc's 128 KiB: a block freed at the top was handed back and faulted in again)."""
    mallopt = getattr(_LIBC, "mallopt", None)
    if mallopt is None or "MALLOC_MMAP_THRESHOLD_" in os.environ:
        return False
    mallopt.argtypes = [ctypes.c_int, ctypes.c_int]
    if "MALLOC_TRIM_THRESHOLD_" not in os.environ:
        mallopt(_M_TRIM_THRESHOLD, 2 * threshold)
    return bool(mallopt(_M_MMAP_THRESHOLD, threshold))


def column_block(rows: int) -> int:
    """The threshold for a replay of a table of ``rows`` rows: one of its float64 columns
    (within [:data:`LARGE_BLOCK`, :data:`MAX_LARGE_BLOCK`]). Column-sized arrays and larger
    still get their own mappings; a tick's matrices under a column come from the heap and
    reuse its pages. At 4 MiB an operator fleet's tick matrices (3,118 cells x the
    feature columns) and its grouping's temporaries were new mappings each tick, every
    page faulted afresh: 2.4-2.7M page faults, a third of a 1M-row replay's CPU (issue 12)."""
    return int(min(MAX_LARGE_BLOCK, max(LARGE_BLOCK, 8 * rows)))


def release_arrow_pool() -> None:
    """Return the Arrow memory pool's unused pages too (a Parquet read's buffers, freed
    into its own allocator, which ``malloc_trim`` does not reach); nothing without Arrow."""
    arrow = sys.modules.get("pyarrow")
    if arrow is not None:
        arrow.default_memory_pool().release_unused()


#: the compiler library numba loads: ~80 MB of code and ~70 MB of read-only data, run only
#: while a kernel compiles or loads from the cache
COMPILER_LIBRARY = "libllvmlite.so"
_MADV_DONTNEED = 4


def release_compiler_code(library: str = COMPILER_LIBRARY) -> int:
    """Unmap ``library``'s clean pages (its code and read-only data: no byte of them is
    ever written, so a later use reads them again from the file, as after the kernel's
    own reclaim); returns the KiB unmapped (resident at the process's first release; the
    ranges' whole size at a later one). LLVM's pages, touched while the kernels load
    from numba's cache, stayed mapped to the end: 91 MiB of a replay's RSS, 66 of them
    not needed once the kernels are loaded (issue 12). Nothing on other systems.

    The clean ranges are read from ``/proc/self/smaps`` once a process
    (:data:`_CLEAN_RANGES`): the library's read-only mappings stay as the loader left
    them, clean or relocated, and the read cost ~16 ms CPU (27k lines, most of it the
    kernel's), three times in a ``detect`` (one61)."""
    _KERNEL_LOADS.watch()
    _KERNEL_LOADS.released_at = _KERNEL_LOADS.count
    madvise = getattr(_LIBC, "madvise", None)
    if madvise is None or not sys.platform.startswith("linux"):
        return 0
    madvise.argtypes = [ctypes.c_void_p, ctypes.c_size_t, ctypes.c_int]
    ranges = _CLEAN_RANGES.get(library)
    if ranges is None:
        ranges = _clean_mappings(library)
        if ranges:  # none: the library not loaded yet (or not Linux's smaps): read again
            _CLEAN_RANGES[library] = [(start, end, (end - start) // 1024)
                                      for start, end, _ in ranges]
    released = 0
    for start, end, kib in ranges:
        if madvise(start, end - start, _MADV_DONTNEED) == 0:
            released += kib
    return released


#: a library's clean read-only ranges (start, end, KiB), found by the process's first
#: :func:`release_compiler_code` that saw the library mapped. A read-only mapping is
#: written only by a debugger (a breakpoint) or after an ``mprotect`` nobody here calls.
_CLEAN_RANGES: dict[str, list[tuple[int, int, int]]] = {}


def release_new_compiler_code(library: str = COMPILER_LIBRARY) -> int:
    """:func:`release_compiler_code` when a kernel has loaded or compiled since its last
    run (numba took its compiler lock), else nothing: a replay piece whose kernels are
    all loaded maps no LLVM page, and reading ``/proc/self/smaps`` to find none cost
    ~9 ms a piece (~40 pieces a 2M-row replay)."""
    if _KERNEL_LOADS.watching and _KERNEL_LOADS.count == _KERNEL_LOADS.released_at:
        return 0
    return release_compiler_code(library)


class _KernelLoads:
    """How many times numba has taken its compiler lock (every kernel loaded from the
    cache or compiled takes it; a call to a loaded kernel does not), counted from the
    first :func:`release_compiler_code` in a process that has imported numba."""

    def __init__(self) -> None:
        self.count, self.released_at, self.watching = 0, -1, False

    def watch(self) -> None:
        if self.watching or "numba" not in sys.modules:
            return
        from numba.core import event

        class _Counter(event.Listener):
            def on_start(self, _event: event.Event) -> None:
                _KERNEL_LOADS.count += 1

            def on_end(self, _event: event.Event) -> None:
                pass

        event.register("numba:compiler_lock", _Counter())
        self.watching = True


_KERNEL_LOADS = _KernelLoads()


def _clean_mappings(library: str) -> list[tuple[int, int, int]]:
    """(start, end, resident KiB) of ``library``'s read-only mappings with no page of
    their own (none written: relocated data, a debugger's breakpoint, keeps its range)."""
    found, current, fields = [], None, {}
    try:
        with open("/proc/self/smaps") as smaps:
            lines = smaps.read().splitlines()
    except OSError:
        return []
    for line in [*lines, "0-0 ---- end"]:
        head = line.split(None, 5)
        if "-" in head[0] and len(head) >= 2 and not head[0].endswith(":"):
            if current is not None and _unwritten(fields):
                found.append((*current, fields.get("Rss", 0)))
            current, fields = None, {}
            if len(head) == 6 and head[5].endswith(library) and "w" not in head[1]:
                start, end = head[0].split("-")
                current = (int(start, 16), int(end, 16))
        elif current is not None and head[0].endswith(":") and len(head) >= 2:
            fields[head[0][:-1]] = int(head[1]) if head[1].isdigit() else 0
    return found


def _unwritten(fields: dict[str, int]) -> bool:
    return fields.get("Private_Dirty", 1) == 0 and fields.get("Anonymous", 1) == 0
