"""A pool's level-shift spread read at the hour's own level, not the day's.

KPIs are compared on ``log1p`` (:mod:`~telecom_nb.features.scaling`), which is a log only
where a value is well above 1: a cell's night traffic (0.01-0.05 GB a 2-minute row) sits on
its linear part, so a night's relative step is a step ``1 - e^-level`` times smaller than
the same relative step at the day's level (~0.3 GB: 0.26). The level shift's spread is a
day-to-day MAD smoothed over the day's bins, so it holds the day's slope: at night the
traffic z's spread was 0.2-0.25 against ~1 by day (few-series ``lte``, normal rows), and a
cell losing half its night traffic for 7-9 hours read traffic z -0.4 to -0.7 (its users -1
to -2), found by the held part on users alone or not at all.

So each KPI's spread is rescaled by the slope at the hour's reference over the slope the
spread was smoothed at (``slope_``: the same smoothing, fed the references' slopes): a
KPI whose noise is relative to its level (a volume) reads one spread all day. A KPI well
above 1 (MCS, throughput) has slope ~1 at any hour, and a percentage compared in points
(availability) slope 1: nothing moves for them. Pools only: one series' twin
(:mod:`.level_shift_one`) and its compiled pass keep the day's spread.
"""

from __future__ import annotations

import numpy as np

#: the slope's smallest value, so a level at ~0 (a KPI at its floor) is not read against a
#: vanishing spread (the spread floors still apply after)
MIN_SLOPE = 0.01


def slope(ref: np.ndarray, linear: np.ndarray) -> np.ndarray:
    """``d log1p(x) / d log x`` at each reference ``ref`` (``log1p`` of the level, signed):
    ``1 - e^-|ref|``; 1 for KPIs compared in their own units (``linear``, per KPI)."""
    with np.errstate(invalid="ignore"):
        s = np.maximum(-np.expm1(-np.abs(ref)), MIN_SLOPE)
    return np.where(linear, 1.0, s)


def smoothed_slope(ref: np.ndarray, before: np.ndarray, n: np.ndarray, enough: np.ndarray,
                   linear: np.ndarray, weight: np.ndarray) -> np.ndarray:
    """The slope the spread is smoothed at: ``before`` moved towards the new reference's
    slope at the spread's own ``weight`` where the spread learned (``enough``); the first
    (``n`` 0, or no slope yet) takes it as is."""
    s = slope(ref, linear)
    fresh = (n == 0) | ~(before > 0)
    new = np.where(fresh, s, before + weight * (s - before))
    return np.where(enough, new, before)


def local_scale(spread: np.ndarray, ref: np.ndarray, smoothed: np.ndarray,
                linear: np.ndarray, floors: np.ndarray) -> np.ndarray:
    """The z's scale: ``spread`` read at the reference ``ref``'s slope over the
    ``smoothed`` one, at least ``floors`` (per KPI) at that slope -- a logged KPI's floor
    of 0.01 is 1 % of a level well above 1 but half of a 0.02 GB night, where it set the
    scale instead of the night's spread. As before (the day's spread, the flat floors)
    where no slope was smoothed or no reference."""
    with np.errstate(invalid="ignore", divide="ignore"):
        at = slope(ref, linear)
        ratio = at / smoothed
        read = (smoothed > 0) & np.isfinite(ratio)  # the other cells' products unread
        return np.where(read, np.maximum(spread * ratio, floors * at),
                        np.maximum(spread, floors))
