"""A calibrator's ``-log10 p`` in one compiled pass (numba).

:meth:`~telecom_nb.detectors.calibration.TailCalibrator.log_p` runs five times a tick
over every row (the score's null and the feature nulls): in numpy a copy for the blanks,
a binary search of every row (~15 steps across the reference, tail rows too), a
``log10`` of every row, then the tail's rows again: ~40 ms a tick at 100k sectors. Here
each row is read once; a tail row skips the search; a body row's search runs within its
bucket of the body's range (``BUCKETS`` equal steps from the reference's minimum to the
anchor, each with the reference position it starts at: a few steps within cached lines);
its ``-log10`` is read from a table of the ``n + 1`` possible values, computed by numpy's
``log10``. A large tick's rows run in slices side by side (:mod:`~telecom_nb.features.row_split`).
The same numbers as the numpy code, bit for bit (``tests/test_calibration.py``).
Without numba, :func:`log_p` returns None and the numpy code runs.
"""

from __future__ import annotations

import math
from functools import lru_cache

import numpy as np

from telecom_nb.features import row_split
from telecom_nb.features.robust_kernel import numba

#: equal steps of the body's range, each with where its values start in the reference
BUCKETS = 4096

@lru_cache(maxsize=16)
def _log_table(n: int) -> np.ndarray:
    """``-log10((1 + k) / (n + 1))`` for ``k = 0..n``: the numpy path's numbers."""
    return -np.log10((1.0 + np.arange(n + 1)) / (n + 1.0))


def _log_p(raw, ref, edges, inv_width, starts, anchor, scale, tail_log, ln10, logs,
           out):  # pragma: no cover - compiled
    n = np.uint64(len(ref))
    one = np.uint64(1)
    big = np.finfo(np.float64).max
    last = len(edges) - 2  # the last bucket
    top = np.uint64(last)
    for i in range(len(raw)):
        x = raw[i]
        if x != x:  # as np.nan_to_num(raw, nan=-inf): blanks -inf, infinities the extremes
            x = -np.inf
        elif x == np.inf:
            x = big
        elif x == -np.inf:
            x = -big
        if x > anchor:
            out[i] = tail_log + min((x - anchor) / scale, 1e300) / ln10
            continue
        f = (x - edges[0]) * inv_width
        # unsigned positions: loads without the negative-index fix-up (~6 % of this pass)
        b = np.uint64(min(int(f), last) if f > 0.0 else 0)
        while b > np.uint64(0) and x < edges[b]:  # rounding put x one bucket off: the edges decide
            b -= one
        while b < top and x >= edges[b + one]:
            b += one
        lo, hi = np.uint64(starts[b]), np.uint64(starts[b + one])  # searchsorted(left) in [lo, hi]
        while lo < hi:
            mid = (lo + hi) >> one
            if ref[mid] < x:
                lo = mid + one
            else:
                hi = mid
        out[i] = logs[n - lo]


def _starts(ref, edges, out):  # pragma: no cover - compiled
    """``out = np.searchsorted(ref, edges, side="left")`` for a sorted ``ref`` and
    increasing finite ``edges``: one merge of the two (each edge's count of values below
    it), not a binary search of ``ref`` per edge."""
    i, n = 0, len(ref)
    for b in range(len(edges)):
        e = edges[b]
        while i < n and ref[i] < e:
            i += 1
        out[b] = i


if numba is not None:
    _log_p = numba.njit(cache=True, nogil=True)(_log_p)
    _starts = numba.njit(cache=True, nogil=True)(_starts)


def buckets(reference: np.ndarray, anchor: float) -> tuple[np.ndarray, np.ndarray, float]:
    """The body's bucket edges, where each starts in ``reference`` and ``1 / width``.

    Searching the 4,097 edges was ~0.1 ms of each of the ~5 calls a tick (a 500-sector
    tick's ~5 %): a calibrator, immutable, computes them once
    (:attr:`~telecom_nb.detectors.calibration.TailCalibrator.buckets`); compiled, the
    edges' starts are one merge with the reference (a one-series retrain fits ~4 new
    calibrators on 20k rows and its scoring ~4 more: ~0.09 -> ~0.03 ms each)."""
    ref = np.ascontiguousarray(reference, dtype=np.float64)
    n = len(ref)
    if n == 0:
        return np.empty(0), np.empty(0, dtype=np.intp), 0.0
    width = (anchor - ref[0]) / BUCKETS if anchor > ref[0] else 0.0
    edges = ref[0] + width * np.arange(BUCKETS + 1) if width > 0 else np.full(2, ref[0])
    if numba is not None and np.isfinite(edges[0]) and np.isfinite(edges[-1]):
        starts = np.empty(len(edges), dtype=np.intp)
        _starts(ref, edges, starts)
    else:  # NaN or infinite edges: numpy's order rules
        starts = np.searchsorted(ref, edges, side="left")
    starts[0], starts[-1] = 0, n  # below the first edge: 0; above the last: up to n
    return edges, starts, 1.0 / width if width > 0 else 0.0


def log_p(raw: np.ndarray, reference: np.ndarray, anchor: float, tail_scale: float,
          tail_mass: float, found: tuple[np.ndarray, np.ndarray, float]) -> np.ndarray | None:
    """``TailCalibrator.log_p``'s numbers for float64 ``raw`` (None without numba);
    ``found``: the reference's :func:`buckets` at ``anchor``."""
    ref = np.ascontiguousarray(reference, dtype=np.float64)
    n = len(ref)
    if numba is None or n == 0:
        return None
    edges, starts, inv_width = found
    out = np.empty(len(raw))
    raw = np.ascontiguousarray(raw, dtype=np.float64)
    options = (ref, edges, inv_width, starts, anchor, tail_scale, -math.log10(tail_mass),
               math.log(10.0), _log_table(n))
    row_split.over_rows(len(raw), lambda lo, hi: _log_p(raw[lo:hi], *options, out[lo:hi]))
    return out
