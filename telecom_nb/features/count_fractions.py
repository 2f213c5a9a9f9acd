"""Which fraction of few counts a percentage's value is: the arithmetic of ``100 k / n``.

A rate exported with 2 decimals carries its denominator when that is small: 33.33 is 1 of
3, 12.5 is 1 of 8. These functions read that lattice off the values (numpy here; the
same numbers compiled in :mod:`~telecom_nb.features.fraction_kernel`); what the counts
mean as evidence is :mod:`~telecom_nb.features.count_ratio`'s.
"""

from __future__ import annotations

import numpy as np

from telecom_nb.features import fraction_kernel

#: the largest count a value is matched against (1/MAX_COUNTS .. (MAX-1)/MAX)
MAX_COUNTS = 20
#: counts up to this decide whether a KPI is a ratio of counts (few fractions: rare by chance)
DETECT_COUNTS = 10
#: a value within this of ``100 k / n`` is that fraction (exports round to 2 decimals)
TOLERANCE = 0.0051
#: decimals of an export read: a value is within half a unit of its last decimal
MAX_DECIMALS = 6
#: continued-fraction steps (denominators grow at least as Fibonacci numbers: 1000 in 16)
_CF_STEPS = 20


def fewest_counts(values: np.ndarray, max_counts: int = MAX_COUNTS) -> np.ndarray:
    """The smallest ``n <= max_counts`` with ``values`` within rounding of ``100 k / n``
    (``max_counts + 1`` where none, or the value is not finite / outside [0, 100])."""
    out = np.full(values.shape, max_counts + 1, dtype=np.int64)
    inside = np.isfinite(values) & (values >= -TOLERANCE) & (values <= 100.0 + TOLERANCE)
    v = np.where(inside, values, -1.0)
    for n in range(max_counts, 0, -1):  # the smallest match wins (written last)
        k = np.round(v * n / 100.0)
        out = np.where(inside & (np.abs(v - 100.0 * k / n) <= TOLERANCE), n, out)
    return out


def smallest_fraction(
    values: np.ndarray, tolerance: float = TOLERANCE
) -> tuple[np.ndarray, np.ndarray]:
    """``(k, n)``: the fraction with the smallest ``n`` whose ``100 k / n`` is within
    rounding of ``values`` (in [0, 100]; NaN gives ``n = 0``), by continued fractions.

    The smallest count a value allows, whatever its size: 13.7056 % is at least 17 of
    124 (the few-count search stops at 20). Each step works on the values still open
    only (most close in a few steps).
    """
    compiled = fraction_kernel.smallest_fraction(values, tolerance, _CF_STEPS)
    if compiled is not None:  # the lines below, compiled (same numbers)
        return compiled
    v = np.asarray(values, dtype=np.float64)
    k_out = np.zeros(v.shape, dtype=np.int64)
    n_out = np.zeros(v.shape, dtype=np.int64)
    flat_k, flat_n = k_out.reshape(-1), n_out.reshape(-1)
    flat = v.reshape(-1)
    idx = np.flatnonzero(np.isfinite(flat) & (flat >= -tolerance) & (flat <= 100.0 + tolerance))
    x = np.clip(flat[idx] - tolerance, 0.0, 100.0) / 100.0
    y = np.clip(flat[idx] + tolerance, 0.0, 100.0) / 100.0
    # the convergents two steps and one step back (h/k): 0/1 and 1/0
    p0, q0 = np.zeros(len(idx)), np.ones(len(idx))
    p1, q1 = np.ones(len(idx)), np.zeros(len(idx))
    for _ in range(_CF_STEPS):
        if not len(idx):
            break
        a, c = np.floor(x), np.ceil(x)
        hit = c <= y  # an integer in [x, y]: the smallest is ceil(x)
        flat_k[idx[hit]] = c[hit] * p1[hit] + p0[hit]
        flat_n[idx[hit]] = c[hit] * q1[hit] + q0[hit]
        go = ~hit & (x - a > 0)
        idx, x, y, a = idx[go], x[go], y[go], a[go]
        p0, p1 = p1[go], a * p1[go] + p0[go]
        q0, q1 = q1[go], a * q1[go] + q0[go]
        x, y = 1.0 / (y - a), 1.0 / (x - a)
    return k_out, n_out


def fewest_decimals(values: np.ndarray) -> np.ndarray:
    """Per column: the fewest decimals (up to ``MAX_DECIMALS``) every finite value fits."""
    compiled = fraction_kernel.fewest_decimals(values, MAX_DECIMALS)
    if compiled is not None:  # the lines below, compiled (same numbers)
        return compiled
    v = np.abs(np.where(np.isfinite(values), values, 0.0))
    out = np.full(values.shape[1], float(MAX_DECIMALS))
    for d in range(MAX_DECIMALS, -1, -1):  # the fewest that fit win (written last)
        scaled = v * 10.0**d
        fits = (np.abs(scaled - np.round(scaled)) <= 1e-6 + 1e-9 * scaled).all(axis=0)
        out = np.where(fits, d, out)
    return out


def fraction_hits(values: np.ndarray) -> np.ndarray:
    """Per column: values on a non-integer fraction of at most ``DETECT_COUNTS`` counts
    (how a KPI shows it is a ratio of counts)."""
    compiled = fraction_kernel.fraction_hits(values, DETECT_COUNTS, TOLERANCE)
    if compiled is not None:  # the lines below, compiled (same numbers)
        return compiled
    on = fewest_counts(values, DETECT_COUNTS) <= DETECT_COUNTS
    fractional = np.abs(values - np.round(values)) > TOLERANCE
    return (on & fractional & (values > 0.0) & (values < 100.0)).sum(axis=0)
