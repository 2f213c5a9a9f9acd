"""The smallest fraction within rounding of each value, as one compiled pass (numba).

:func:`~telecom_nb.features.count_fractions.smallest_fraction` runs on every ratio KPI's value
of every row a tick (400k values on 100k sectors x 4 such KPIs: ~130 ms of numpy steps);
the same continued-fraction steps per value, compiled, give the same numbers in a few ms.
Without numba, :func:`smallest_fraction` returns None and the numpy code runs.

:func:`fraction_hits` and :func:`fewest_decimals` are the per-tick detection of ratio KPIs
(:meth:`~telecom_nb.features.count_ratio.CountRatios.update`) compiled: on a sample of at
most ``FLEET_SAMPLE`` rows their numpy twins were ~80 small calls a tick (~0.5 ms at any
fleet size); the same comparisons per value, in the same float operations.
"""

from __future__ import annotations

import math

import numpy as np

from telecom_nb.features.any_layout import AnyLayout
from telecom_nb.features.robust_kernel import numba


def _kernel(flat, tolerance, steps, k_out, n_out):  # pragma: no cover - compiled
    for i in range(flat.size):
        v = flat[i]
        if not (v >= -tolerance and v <= 100.0 + tolerance):  # NaN fails both
            continue
        x = min(max(v - tolerance, 0.0), 100.0) / 100.0
        y = min(max(v + tolerance, 0.0), 100.0) / 100.0
        p0, q0, p1, q1 = 0.0, 1.0, 1.0, 0.0
        for _ in range(steps):
            a, c = math.floor(x), math.ceil(x)
            if c <= y:
                k_out[i] = np.int64(c * p1 + p0)
                n_out[i] = np.int64(c * q1 + q0)
                break
            if not x - a > 0:
                break
            p0, p1 = p1, a * p1 + p0
            q0, q1 = q1, a * q1 + q0
            x, y = 1.0 / (y - a), 1.0 / (x - a)


def on_fraction(v, counts, tolerance):  # pragma: no cover - compiled
    """Whether ``v`` is a non-integer value on a fraction of at most ``counts`` counts."""
    # a non-integer value strictly inside (0, 100) (NaN fails every test) ...
    if not (v > 0.0 and v < 100.0 and abs(v - np.rint(v)) > tolerance):
        return False
    for n in range(1, counts + 1):  # ... on a fraction of at most `counts`
        # no division for the clear misses: ``t`` is ``v * n / 100`` within a few
        # ulps, so a value this far from every fraction fails the exact test too
        t = v * n * 0.01
        if abs(t - np.rint(t)) > n * tolerance * 0.0100001 + 1e-12:
            continue
        k = np.rint(v * n / 100.0)
        if abs(v - 100.0 * k / n) <= tolerance:
            return True
    return False


def _hits_kernel(values, counts, tolerance, out):  # pragma: no cover - compiled
    rows, cols = values.shape
    for j in range(cols):
        total = 0
        for i in range(rows):
            if on_fraction(values[i, j], counts, tolerance):
                total += 1
        out[j] = total


def _decimals_kernel(values, most, out):  # pragma: no cover - compiled
    rows, cols = values.shape
    for j in range(cols):
        out[j] = most
        for d in range(most + 1):  # the fewest that fit
            scale = 10.0**d
            fits = True
            for i in range(rows):
                v = values[i, j]
                v = abs(v) if np.isfinite(v) else 0.0
                scaled = v * scale
                if not abs(scaled - np.rint(scaled)) <= 1e-6 + 1e-9 * scaled:
                    fits = False
                    break
            if fits:
                out[j] = d
                break


if numba is not None:
    on_fraction = numba.njit(cache=True, nogil=True)(on_fraction)
    _kernel = numba.njit(cache=True, nogil=True)(_kernel)
    # any layout: a fleet of more than ``FLEET_SAMPLE`` rows passes a strided sample
    # (``'A'``), a smaller one the rows themselves (``'C'``); after ``telecom_nb.warm``
    # (64 sectors) a 5,000-sector replay compiled the decimals kernel anew (0.2-0.3 s CPU)
    _hits_kernel = AnyLayout(numba.njit(cache=True, nogil=True)(_hits_kernel))
    _decimals_kernel = AnyLayout(numba.njit(cache=True, nogil=True)(_decimals_kernel))


def fraction_hits(values: np.ndarray, counts: int, tolerance: float) -> np.ndarray | None:
    """Per column: the values on a non-integer fraction of at most ``counts`` counts
    (``count_fractions.fraction_hits``), or None without numba."""
    if numba is None or values.ndim != 2:
        return None
    out = np.zeros(values.shape[1], dtype=np.int64)
    _hits_kernel(np.asarray(values, dtype=np.float64), counts, tolerance, out)
    return out


def fewest_decimals(values: np.ndarray, most: int) -> np.ndarray | None:
    """Per column: the fewest decimals (up to ``most``) every finite value fits
    (``count_fractions.fewest_decimals``), or None without numba."""
    if numba is None or values.ndim != 2:
        return None
    out = np.zeros(values.shape[1])
    _decimals_kernel(np.asarray(values, dtype=np.float64), most, out)
    return out


def smallest_fraction(values: np.ndarray, tolerance: float, steps: int):
    """``(k, n)`` as the numpy steps give them, or None without numba."""
    if numba is None:
        return None
    flat = np.ascontiguousarray(values, dtype=np.float64).reshape(-1)
    k = np.zeros(flat.size, dtype=np.int64)
    n = np.zeros(flat.size, dtype=np.int64)
    _kernel(flat, tolerance, steps, k, n)
    return k.reshape(np.shape(values)), n.reshape(np.shape(values))
