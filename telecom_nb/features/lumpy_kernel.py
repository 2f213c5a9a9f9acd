"""The per-KPI counts the lumpy KPIs' models learn from a tick's values, in one compiled pass.

:meth:`LumpyKpis.update <telecom_nb.features.lumpy.LumpyKpis.update>` feeds one tick's
values (rows x KPIs) to four models that each reduce them per column: the zero-inflated
KPIs count finite values, zeros and negatives; the ratios of counts look for values
outside [0, 100] and count the values on (and beside) fractions of few counts; the loads'
floor counts the finite and negative values of its sample; the denominators look for
non-integer values. As numpy each is a handful of small calls with their own masks and
argument checks (~40 calls, ~0.3 ms a tick at any fleet size, most of a 500-sector
tick's lumpy update); here one pass over the values reads each once and gives the same
integers (the same comparisons, the same float operations on each value: the control
points' ``v -+ CONTROL_SHIFT`` are numpy's subtraction and addition). The models take the
result through their ``update(..., stats=)``; without numba (or an odd input) they reduce
the values themselves. ``tests/test_lumpy_kernel.py`` compares.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from telecom_nb.features.any_layout import AnyLayout
from telecom_nb.features.count_fractions import DETECT_COUNTS, TOLERANCE
from telecom_nb.features.fraction_kernel import on_fraction
from telecom_nb.features.robust_kernel import numba


class ColumnStats(NamedTuple):
    """Per KPI, of one tick's values: what each model's update reduces them to."""

    finite: np.ndarray  # int64: finite values (all rows)
    zeros: np.ndarray  # int64: values exactly 0
    negative: np.ndarray  # bool: a finite value below 0
    outside: np.ndarray  # bool: a finite value outside [-TOLERANCE, 100 + TOLERANCE]
    floor_finite: np.ndarray  # int64: finite values of the floor's sample (every ``floor_step``)
    floor_negative: np.ndarray  # bool: ... a negative one there
    fractional: np.ndarray  # bool: a finite value of the fleet sample below 0 or not integer
    hits: np.ndarray  # int64: fleet-sample values on a fraction of few counts
    control: np.ndarray  # int64: ... those values shifted down plus those shifted up


def _stats(raw, floor_step, sample_step, shift, counts, tolerance, out_tol, finite, zeros,
           negative, outside, floor_finite, floor_negative, fractional, hits, lo_hits,
           hi_hits):  # pragma: no cover - compiled
    rows, cols = raw.shape
    for i in range(rows):
        in_floor = i % floor_step == 0
        in_sample = i % sample_step == 0
        for j in range(cols):
            v = raw[i, j]
            if in_sample:  # NaN and inf are on no fraction (every test fails)
                if on_fraction(v, counts, tolerance):
                    hits[j] += 1
                if on_fraction(v - shift, counts, tolerance):
                    lo_hits[j] += 1
                if on_fraction(v + shift, counts, tolerance):
                    hi_hits[j] += 1
            if not np.isfinite(v):
                continue
            finite[j] += 1
            if v == 0.0:
                zeros[j] += 1
            if v < 0.0:
                negative[j] = True
            if v < -out_tol or v > 100.0 + out_tol:
                outside[j] = True
            if in_floor:
                floor_finite[j] += 1
                if v < 0.0:
                    floor_negative[j] = True
            if in_sample and (v < 0.0 or v != np.rint(v)):
                fractional[j] = True


if numba is not None:
    _stats = AnyLayout(numba.njit(cache=True, nogil=True)(_stats))


def column_stats(raw: np.ndarray, floor_step: int, sample_step: int,
                 shift: float) -> ColumnStats | None:
    """:class:`ColumnStats` of ``raw`` (rows x KPIs, own units), the floor's sample every
    ``floor_step`` rows, the fleet sample every ``sample_step``, the control points
    ``shift`` away; None without numba or for anything but a float64 matrix."""
    if numba is None or raw.ndim != 2 or raw.dtype != np.float64:
        return None
    k = raw.shape[1]
    counts = [np.zeros(k, dtype=np.int64) for _ in range(6)]
    flags = [np.zeros(k, dtype=np.bool_) for _ in range(4)]
    finite, zeros, floor_finite, hits, lo_hits, hi_hits = counts
    negative, outside, floor_negative, fractional = flags
    _stats(raw, int(floor_step), int(sample_step), float(shift), DETECT_COUNTS, TOLERANCE,
           TOLERANCE, finite, zeros, negative, outside, floor_finite, floor_negative,
           fractional, hits, lo_hits, hi_hits)
    return ColumnStats(finite, zeros, negative, outside, floor_finite, floor_negative,
                       fractional, hits, lo_hits + hi_hits)
