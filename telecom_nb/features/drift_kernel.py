"""Compiled (numba) passes of the drift columns' tick: one read and one write a cell.

:class:`~telecom_nb.features.drift.Drift`'s numpy lines gather each sector's running mean,
level, variance and hours, standardise, mask and scatter back: a dozen temporaries over
rows x KPIs, 40-60 ms of thread CPU a tick at 100k sectors (the whole tick's budget is
400 ms). Here each cell is computed alone with the same float64 operations in the same
order, NaN going as numpy's ``maximum``/``clip``/``sign`` take it, so the numbers are
identical (``tests/test_drift.py`` compares). The update runs in place only for rows in
increasing order (a live tick's: no sector repeats, so in place equals numpy's gather,
compute, scatter). Without numba or for other inputs the callers run their numpy lines.
"""

from __future__ import annotations

import numpy as np

from telecom_nb.features import row_split
from telecom_nb.features.any_layout import AnyLayout
from telecom_nb.features.robust_kernel import numba
from telecom_nb.features.tick_kernels import _applies, _clip, _nmax, _nmin, increasing


def _drift_z(
    rows, z, mean, level, var, hours, keep, alpha, white, z_clip, hold_z, min_hours, hold, out
):  # pragma: no cover - compiled
    n, k = z.shape
    for i in range(n):
        r = rows[i]
        if r < 0 or r >= mean.shape[0] or not hours[r] >= min_hours:
            out[i, :] = 0.0
            continue
        for j in range(k):
            v = z[i, j]
            m, lv = np.float64(mean[r, j]), np.float64(level[r, j])
            u = (keep * m + alpha * _clip(v, z_clip) - lv) / _nmax(
                np.sqrt(np.float64(var[r, j])), white
            )
            holds = (v >= hold_z and u > 0.0) or (v <= -hold_z and u < 0.0)
            out[i, j] = u if holds or not hold else 0.0


def _drift_learn(
    rows, z, mean, level, var, hours, own, keep, alpha, slow, white, fresh_var, z_clip, huber,
    spread_huber, hold_z, read_u, min_hours, step_hours
):  # pragma: no cover - compiled
    n, k = z.shape
    every = own.shape[0] == 0  # no groups: every drift is the sector's own
    for i in range(n):
        r = rows[i]
        fresh = hours[r] == 0.0
        read = hours[r] >= min_hours
        for j in range(k):
            v = z[i, j]
            current = keep * np.float64(mean[r, j]) + alpha * _clip(v, z_clip)
            if fresh:
                var[r, j] = fresh_var
            sd = _nmax(np.sqrt(np.float64(var[r, j])), white)
            dev = _nmin(_nmax(current - np.float64(level[r, j]), -huber * sd), huber * sd)
            u = (current - np.float64(level[r, j])) / sd
            reads = read and (every or own[i, j]) and (
                (v >= hold_z and u >= read_u) or (v <= -hold_z and u <= -read_u))
            bound = spread_huber if reads else huber
            bounded = _nmin(_nmax(dev, -bound * sd), bound * sd)
            level[r, j] = np.float64(level[r, j]) + slow * dev
            var[r, j] = (1.0 - slow) * np.float64(var[r, j]) + slow * (bounded * bounded)
            mean[r, j] = current
        hours[r] += step_hours


if numba is not None:
    _compile = numba.njit(cache=True, nogil=True, error_model="numpy")
    # any layout: a tick's z is the seasonal block's first columns, read in place (a
    # contiguous copy of them was ~2.3 MB of fresh pages and a pass, every 100k tick)
    _drift_z = AnyLayout(_compile(_drift_z))
    _drift_learn = _compile(_drift_learn)


def _state(drift) -> tuple[np.ndarray, ...]:
    """The drift's per-sector arrays, in the kernels' argument order."""
    return drift.mean_, drift.level_, drift.var_, drift.hours_


def drift_z(
    drift, rows: np.ndarray, z: np.ndarray, alpha: float, white: float, hold: bool = True
) -> np.ndarray | None:
    """``Drift.transform``'s columns (``hold`` False: every read sector's drift, the row's
    own z not asked); None: not taken (the numpy lines run)."""
    if not _applies(z, rows, *_state(drift)):
        return None
    from telecom_nb.features.drift import HOLD_Z, MIN_HOURS, Z_CLIP

    out = np.empty((len(z), z.shape[1]))
    state = (*_state(drift), 1.0 - alpha, alpha, white, Z_CLIP, HOLD_Z, MIN_HOURS, hold)
    row_split.over_rows(len(z), lambda lo, hi: _drift_z(rows[lo:hi], z[lo:hi], *state, out[lo:hi]))
    return out


def drift_learn(
    drift,
    rows: np.ndarray,
    z: np.ndarray,
    alpha: float,
    slow: float,
    white: float,
    step_hours: float,
    own: np.ndarray | None = None,
) -> bool:
    """``Drift.update``'s state update in place (arrays already grown; ``own``: rows x
    KPIs where a drift is the sector's own, None every one); False: not taken."""
    if not _applies(z, rows, *_state(drift)) or (
        not increasing(rows) or rows[-1] >= len(drift.mean_)
    ):
        return False
    from telecom_nb.features.drift import (
        HOLD_Z,
        HUBER,
        MIN_HOURS,
        READ_U,
        SPREAD_HUBER,
        Z_CLIP,
    )

    z = np.ascontiguousarray(z)
    own = np.zeros((0, 0), dtype=np.bool_) if own is None else np.ascontiguousarray(own)
    state = (
        *_state(drift),
        own,
        1.0 - alpha,
        alpha,
        slow,
        white,
        4.0 * white**2,
        Z_CLIP,
        HUBER,
        SPREAD_HUBER,
        HOLD_Z,
        READ_U,
        MIN_HOURS,
        step_hours,
    )
    row_split.over_rows(len(z), lambda lo, hi: _drift_learn(
        rows[lo:hi], z[lo:hi], *state[:4], own[lo:hi] if len(own) else own, *state[5:]))
    return True
