"""``np.sort`` of a float64 array's finite values, the same array, by a radix sort of bits.

A one-series retrain fits ~7 calibrators (:class:`~telecom_nb.detectors.calibration.
TailCalibrator`), each sorting up to 20k raw scores for its reference: numpy's sort of a
20k float64 column runs ~580 us on this project's host (no SIMD sort reached), ~0.13 s of a
100k-row one-series replay. A float64's bits, its sign bit flipped (a negative one's bits
all flipped), order as unsigned integers exactly as the floats do, so eight counting passes
of a byte each (a byte all values share is skipped) sort them in ~190 us. Distinct bits
are distinct floats but for ``-0.0`` and ``0.0``, which numpy's sort takes as equal and
leaves in an order of its own: a block holding a ``-0.0`` goes to numpy (as do blocks
too small to gain, and any block without numba). NaN and infinities are left out, as
``s[np.isfinite(s)]`` of the sorted block leaves them (``tests/test_radix_sort.py``).

A fleet's feature-tail fit sorts ``|z|`` of its window column by column
(``column_quantiles.SortedColumns.of_abs``, ~25 columns of 20k rows a fit, ~0.35 s of a
1M-row fleet replay's retrains): :func:`sort_rows` sorts a block's rows in place by the
same passes, its infinities kept (their bits order as the floats do too).
"""

from __future__ import annotations

import numpy as np

from telecom_nb.features.robust_kernel import numba

#: fewer values than this go to numpy's sort (the 8 x 256 counts cost more than they save)
RADIX_ROWS = 256


def sorted_finite(values: np.ndarray) -> np.ndarray:
    """``s[np.isfinite(s)]`` of ``s = np.sort(values)`` (1-D), the same float64 array."""
    x = np.ascontiguousarray(values, dtype=np.float64)
    if _radix is not None and x.ndim == 1 and len(x) >= RADIX_ROWS:
        ok, out = _radix(x)
        if ok:
            return out
    s = np.sort(x)
    return s[np.isfinite(s)]


def sort_rows(block: np.ndarray, rows: np.ndarray) -> None:
    """In place: ``block[j].sort()`` for each ``j`` of ``rows`` (a 2-D float64 block), the
    same arrays. A row holding a NaN or a ``-0.0`` (numpy's order of signed zeros is its
    own), rows shorter than :data:`RADIX_ROWS`, any other block and no numba: numpy's."""
    rows = np.asarray(rows, dtype=np.int64)
    done = 0
    if (_radix_rows is not None and block.ndim == 2 and block.dtype == np.float64
            and block.flags.c_contiguous and block.flags.writeable
            and block.shape[1] >= RADIX_ROWS):
        done = _radix_rows(block, rows)
    for j in rows[done:].tolist():
        block[j].sort()


def compile_sort() -> None:
    """Compile the kernels (a warm-up's series may be too short to reach them)."""
    sorted_finite(np.arange(RADIX_ROWS, dtype=np.float64))
    sort_rows(np.zeros((1, RADIX_ROWS)), np.zeros(1, dtype=np.int64))


def _radix(x):  # pragma: no cover - compiled
    """(True, the finite values of ``x`` sorted), or (False, empty) at a ``-0.0``."""
    n = len(x)
    top = np.uint64(1) << np.uint64(63)
    byte = np.uint64(255)
    bits = x.view(np.uint64)
    keys = np.empty(n, np.uint64)
    counts = np.zeros((8, 256), np.int64)
    m = 0
    for i in range(n):
        v = x[i]
        if v - v != 0.0:  # NaN or an infinity: left out
            continue
        u = bits[i]
        if u == top:  # -0.0: numpy's order of signed zeros is its own
            return False, np.empty(0)
        u = ~u if u & top else u | top
        keys[m] = u
        m += 1
        for d in range(8):
            counts[d, (u >> np.uint64(8 * d)) & byte] += 1
    src = _passes(keys[:m], np.empty(m, np.uint64), counts, np.empty(256, np.int64))
    out = np.empty(m)
    ob = out.view(np.uint64)
    for i in range(m):
        u = src[i]
        ob[i] = u & ~top if u & top else ~u
    return True, out


def _passes(src, dst, counts, at):  # pragma: no cover - compiled
    """The keys ``src`` sorted by their bytes' counts (``counts[d, b]``: keys whose byte
    ``d`` is ``b``), least significant byte first, through ``dst``; returns the buffer
    holding them (``src`` or ``dst``)."""
    m = len(src)
    byte = np.uint64(255)
    for d in range(8):
        c = counts[d]
        shared = False  # every value has the same byte here: the pass moves nothing
        for b in range(256):
            if c[b] != 0:
                shared = c[b] == m
                break
        if shared:
            continue
        s = 0
        for b in range(256):
            at[b] = s
            s += c[b]
        shift = np.uint64(8 * d)
        for i in range(m):
            u = src[i]
            b = (u >> shift) & byte
            dst[at[b]] = u
            at[b] += 1
        src, dst = dst, src
    return src


def _radix_rows(block, rows):  # pragma: no cover - compiled
    """Each row ``rows[r]`` of ``block`` sorted in place, in order; returns how many were
    (all, or up to the first holding a NaN or a ``-0.0``: that one is left as it was)."""
    n = block.shape[1]
    top = np.uint64(1) << np.uint64(63)
    byte = np.uint64(255)
    keys = np.empty(n, np.uint64)
    spare = np.empty(n, np.uint64)
    counts = np.empty((8, 256), np.int64)
    at = np.empty(256, np.int64)
    for r in range(len(rows)):
        bits = block[rows[r]].view(np.uint64)
        counts[:] = 0
        for i in range(n):
            u = bits[i]
            if u == top or (u & ~top) > np.uint64(0x7FF0000000000000):  # -0.0 or a NaN
                return r
            u = ~u if u & top else u | top
            keys[i] = u
            for d in range(8):
                counts[d, (u >> np.uint64(8 * d)) & byte] += 1
        src = _passes(keys, spare, counts, at)
        for i in range(n):
            u = src[i]
            bits[i] = u & ~top if u & top else ~u
    return len(rows)


if numba is not None:
    _passes = numba.njit(cache=True, nogil=True)(_passes)
_radix = None if numba is None else numba.njit(cache=True, nogil=True)(_radix)
_radix_rows = None if numba is None else numba.njit(cache=True, nogil=True)(_radix_rows)
