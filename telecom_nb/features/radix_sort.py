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


def compile_sort() -> None:
    """Compile the kernel (a warm-up's series may be too short to reach it)."""
    sorted_finite(np.arange(RADIX_ROWS, dtype=np.float64))


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
    src = keys[:m]
    dst = np.empty(m, np.uint64)
    at = np.empty(256, np.int64)
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
    out = np.empty(m)
    ob = out.view(np.uint64)
    for i in range(m):
        u = src[i]
        ob[i] = u & ~top if u & top else ~u
    return True, out


_radix = None if numba is None else numba.njit(cache=True, nogil=True)(_radix)
