"""Compiled (numba) passes of the per-tick feature work outside the seasonal model.

The change, peer and persistence z's, range novelty's excess and the stacking of the
blocks (peer and change limited to what the seasonal z confirms) were each a chain of
numpy temporaries over rows x KPIs (gather the sector's state, standardise, cap, clip,
scatter back): ~5-15 ms apiece on 100k sectors.
Here each cell is read once and written once, with the same float64 operations in the
same order, NaN and signed zeros going as numpy's ``maximum``/``minimum``/``clip``
take them, so the numbers are identical (``tests/test_tick_kernels.py`` compares). A state
update is compiled only for rows in increasing order (a live tick's): no sector repeats,
so updating in place equals numpy's gather-compute-scatter. A large tick's persistence z,
stacking and novelty run in slices of rows side by side (:mod:`~.row_split`). Without
numba, or for other inputs, the functions return None/False and the callers run their
numpy lines.
"""

from __future__ import annotations

import math

import numpy as np

from telecom_nb.features import row_split
from telecom_nb.features.robust_kernel import numba
from telecom_nb.features.robust_stats import HUBER_K, MAD_TO_SIGMA, MIN_COUNT_TO_CLIP


def _nmax(a, b):  # pragma: no cover - compiled
    """numpy's ``maximum`` exactly: NaN if either is NaN; of two equal values (0.0 and
    -0.0) the second, as numpy's vector loops do."""
    if a != a or b != b:
        return a + b
    return a if a > b else b


def _nmin(a, b):  # pragma: no cover - compiled
    """numpy's ``minimum`` exactly (see :func:`_nmax`)."""
    if a != a or b != b:
        return a + b
    return a if a < b else b


def _sign(v):  # pragma: no cover - compiled
    """numpy's ``sign``: -1, 0 or 1 (0 for -0.0), NaN for NaN."""
    if v > 0:
        return 1.0
    if v < 0:
        return -1.0
    return v * 0.0 + 0.0


def _clip(v, bound):  # pragma: no cover - compiled
    """``np.clip(v, -bound, bound)`` (NaN stays NaN)."""
    return _nmin(_nmax(v, -bound), bound)


def _change_z(y, rows, level, dev, count, floors, mad, min_history, z_clip,
              out):  # pragma: no cover - compiled
    n, k = y.shape
    for i in range(n):
        r = rows[i]
        if r < 0 or r >= level.shape[0]:  # never learned: no evidence
            out[i, :] = 0.0
            continue
        for j in range(k):
            spread = _nmax(np.float64(dev[r, j]) * mad, floors[j])
            z = (y[i, j] - np.float64(level[r, j])) / spread
            ok = np.float64(count[r, j]) >= min_history and np.isfinite(z)
            out[i, j] = _clip(z, z_clip) if ok else 0.0


def _change_learn(y, rows, level, dev, count, floors, mad, min_clip, huber, spread_alpha,
                  fast_alpha):  # pragma: no cover - compiled
    n, k = y.shape
    for i in range(n):
        r = rows[i]
        for j in range(k):
            lv, dv, c = np.float64(level[r, j]), np.float64(dev[r, j]), np.float64(count[r, j])
            ok = np.isfinite(y[i, j])
            ys = y[i, j] if ok else lv
            innov = ys - lv if c > 0 else 0.0
            spread = _nmax(dv * mad, floors[j])
            bound = np.inf if c < min_clip else huber * spread
            a = _nmax(1.0 / _nmax(c, 1.0), spread_alpha)
            new_dev = dv + a * (_nmin(abs(innov), bound) - dv) if c > 0 else 0.0
            new_level = lv + fast_alpha * innov if c > 0 else ys
            if ok:
                level[r, j] = new_level
                dev[r, j] = new_dev
            count[r, j] = c + (1.0 if ok else 0.0)


def _persist_current(rows, z, mean, keep, alpha, out):  # pragma: no cover - compiled
    n, k = z.shape
    for i in range(n):
        r = rows[i]
        known = r >= 0 and r < mean.shape[0]
        rr = r if known else 0
        for j in range(k):
            out[i, j] = keep * np.float64(mean[rr, j]) + alpha * z[i, j] if known else z[i, j]


def _persist_z(rows, z, mean, keep, alpha, level, dev, count, fleet_sd, mad, prior, white,
               min_history, z_clip, out):  # pragma: no cover - compiled
    n, k = z.shape
    for i in range(n):
        r = rows[i]
        if r < 0 or r >= level.shape[0]:  # no spread learned yet: no evidence
            out[i, :] = 0.0
            continue
        in_mean = r < mean.shape[0]
        for j in range(k):
            c = np.float64(count[r, j])
            spread = (c * (np.float64(dev[r, j]) * mad) + prior * fleet_sd[j]) / (c + prior)
            cur = keep * np.float64(mean[r, j]) + alpha * z[i, j] if in_mean else z[i, j]
            p = (cur - np.float64(level[r, j])) / _nmax(spread, white)
            cap = abs(z[i, j]) / white
            sp = _sign(p)
            p = sp * _nmin(abs(p), cap) * (1.0 if sp == _sign(z[i, j]) else 0.0)
            out[i, j] = _clip(p, z_clip) if c >= min_history else 0.0


if numba is not None:
    _nmax = numba.njit(cache=True)(_nmax)
    _nmin = numba.njit(cache=True)(_nmin)
    _sign = numba.njit(cache=True)(_sign)
    _clip = numba.njit(cache=True)(_clip)
    _compile = numba.njit(cache=True, nogil=True, error_model="numpy")
    _change_z = _compile(_change_z)
    _change_learn = _compile(_change_learn)
    _persist_current = _compile(_persist_current)
    _persist_z = _compile(_persist_z)


#: per-sector state the kernels take: float64, or float32 (:data:`~.compact.STATE_FLOAT`,
#: every read widened with ``np.float64()``: numba's ``float()`` keeps a float32)
_STATE_DTYPES = (np.dtype(np.float64), np.dtype(np.float32))


def _applies(y: np.ndarray, rows: np.ndarray, *state: np.ndarray) -> bool:
    return (numba is not None and y.ndim == 2 and y.dtype == np.float64
            and len(rows) == len(y) and rows.dtype.kind in "iu"
            and all(s.dtype in _STATE_DTYPES and s.flags.c_contiguous for s in state))


def increasing(rows: np.ndarray) -> bool:
    """Rows strictly increasing and not negative: no sector repeats, none is new."""
    return len(rows) > 0 and rows[0] >= 0 and bool((rows[1:] > rows[:-1]).all())


def robust_z(level: np.ndarray, dev: np.ndarray, count: np.ndarray, rows: np.ndarray,
             y: np.ndarray, floors: np.ndarray, min_history: float,
             out: np.ndarray | None = None) -> np.ndarray | None:
    """Clipped z of ``y`` against each row's level and spread (``dev`` as a mean absolute
    deviation, floored), 0 where the row is unknown, young or the z not finite: what the
    change and peer features compute. Into ``out`` if given; None: not taken."""
    if not _applies(y, rows, level, dev, count) or level.ndim != 2:
        return None
    from telecom_nb.features.seasonal import Z_CLIP

    if out is None:
        out = np.empty((len(y), y.shape[1]))
    _change_z(np.ascontiguousarray(y), rows, level, dev, count,
              np.asarray(floors, dtype=np.float64), MAD_TO_SIGMA, float(min_history),
              float(Z_CLIP), out)
    return out


def change_z(change, y: np.ndarray, rows: np.ndarray) -> np.ndarray | None:
    """``ShortTermChange.transform_view``'s z (rows never learned: 0); None: not taken."""
    from telecom_nb.features.change import MIN_HISTORY

    return robust_z(change.level_, change.dev_, change.count_, rows, y, change.floors_,
                    MIN_HISTORY)


def change_learn(change, y: np.ndarray, rows: np.ndarray) -> bool:
    """``ShortTermChange.update_view``'s state update in place; False: not taken."""
    if not _applies(y, rows, change.level_, change.dev_, change.count_) or not increasing(
            rows) or rows[-1] >= len(change.level_):
        return False
    _change_learn(np.ascontiguousarray(y), rows, change.level_, change.dev_, change.count_,
                  change.floors_, MAD_TO_SIGMA, float(MIN_COUNT_TO_CLIP), HUBER_K,
                  float(change.spread_alpha), float(change.fast_alpha))
    return True


def persistence_current(persist, rows: np.ndarray, z: np.ndarray) -> np.ndarray | None:
    """``Persistence._current``: this tick's running mean; None: not taken."""
    if not _applies(z, rows, persist.mean_):
        return None
    alpha = persist.alpha
    out = np.empty((len(z), z.shape[1]))
    _persist_current(rows, np.ascontiguousarray(z), persist.mean_, 1.0 - alpha, alpha, out)
    return out


def persistence_z(persist, rows: np.ndarray, z: np.ndarray) -> np.ndarray | None:
    """``Persistence.transform``: the standardised running mean; None: not taken."""
    table = persist.usual_
    if not _applies(z, rows, persist.mean_, table.level, table.dev, table.count):
        return None
    from telecom_nb.features.persistence import MIN_HISTORY, PRIOR_TICKS, Z_CLIP

    alpha, white = persist.alpha, persist.white_sd
    out = np.empty((len(z), z.shape[1]))
    z = np.ascontiguousarray(z)
    state = (persist.mean_, 1.0 - alpha, alpha, table.level, table.dev, table.count,
             np.asarray(persist.fleet_sd_, dtype=np.float64), MAD_TO_SIGMA,
             float(PRIOR_TICKS), white, float(MIN_HISTORY), Z_CLIP)
    row_split.over_rows(len(z), lambda lo, hi: _persist_z(
        rows[lo:hi], z[lo:hi], *state, out[lo:hi]))
    return out


def _agree_into(z, season, out, col):  # pragma: no cover - compiled
    """``out[:, col:col+m] = agreeing(z, tile(season))`` (see :func:`agreeing_numpy`)."""
    n, m = z.shape
    k = season.shape[1]
    for i in range(n):
        for j in range(m):
            s = _sign(z[i, j])
            confirmed = _nmax(s * season[i, j % k], 0.0)
            out[i, col + j] = s * _nmin(abs(z[i, j]), confirmed)


def _copy_into(z, out, col):  # pragma: no cover - compiled
    """``out[:, col:col+m] = z``: numpy's strided copy of a few columns per row is ~40 %
    slower (100k rows, 8 blocks of 42 columns in all: 12 -> 8 ms)."""
    n, m = z.shape
    for i in range(n):
        for j in range(m):
            out[i, col + j] = z[i, j]


if numba is not None:
    _agree_into = _compile(_agree_into)
    _copy_into = _compile(_copy_into)


def agreeing_numpy(z: np.ndarray, evidence: np.ndarray) -> np.ndarray:
    """``z`` limited to the part that ``evidence`` confirms (same sign, at most as far): the
    reference the compiled kernels equal, and their fallback."""
    confirmed = np.maximum(np.sign(z) * evidence, 0.0)
    return np.sign(z) * np.minimum(np.abs(z), confirmed)


def stack_agreeing(blocks: list[np.ndarray], agree: list[bool], season: np.ndarray,
                   agreeing, spare: np.ndarray | None = None) -> np.ndarray:
    """``np.hstack`` of ``blocks``, those flagged in ``agree`` limited by ``agreeing`` to
    what the seasonal z (``season``, rows x KPIs, tiled over the block) confirms.

    Compiled: each block is written once into the result, no tiles or temporaries; the
    result is ``spare`` (every cell overwritten) when that is a float64 matrix of its
    shape owning its rows.
    """
    k = season.shape[1]
    fits = (numba is not None and k > 0 and season.dtype == np.float64 and all(
        b.dtype == np.float64 and b.ndim == 2 and (not a or b.shape[1] % k == 0)
        for b, a in zip(blocks, agree, strict=True)))
    if not fits:
        blocks = [agreeing(b, np.tile(season, b.shape[1] // max(k, 1))) if a else b
                  for b, a in zip(blocks, agree, strict=True)]
        return np.hstack(blocks)
    shape = (len(season), sum(b.shape[1] for b in blocks))
    out = (spare if spare is not None and spare.shape == shape and spare.dtype == np.float64
           and spare.flags.c_contiguous and spare.flags.owndata and spare.flags.writeable
           else np.empty(shape))
    if season.strides[1] != season.itemsize:
        season = np.ascontiguousarray(season)
    col = 0
    for b, a in zip(blocks, agree, strict=True):  # a handful of parts, not rows
        if b.strides[1] != b.itemsize:
            b = np.ascontiguousarray(b)
        # the seasonal z's first columns are read in place (rows contiguous)
        _stack_rows(a, b, season, out, col)
        col += b.shape[1]
    return out


def agreeing(z: np.ndarray, season: np.ndarray) -> np.ndarray | None:
    """``agreeing_numpy(z, season)`` of two float64 blocks of one shape, compiled (no
    numpy temporaries); None: not taken."""
    if (numba is None or z.ndim != 2 or z.shape != season.shape
            or z.dtype != np.float64 or season.dtype != np.float64):
        return None
    if z.strides[1] != z.itemsize:
        z = np.ascontiguousarray(z)
    if season.strides[1] != season.itemsize:
        season = np.ascontiguousarray(season)
    out = np.empty(z.shape)
    _stack_rows(True, z, season, out, 0)
    return out


def _stack_rows(agree: bool, block: np.ndarray, season: np.ndarray, out: np.ndarray,
                col: int) -> None:
    """One block's columns into ``out`` (agreeing or copied), a large tick's rows in
    slices side by side."""
    def rows(lo: int, hi: int) -> None:
        if agree:
            _agree_into(block[lo:hi], season[lo:hi], out[lo:hi], col)
        else:
            _copy_into(block[lo:hi], out[lo:hi], col)

    row_split.over_rows(len(out), rows)


def _fmax(a, b):  # pragma: no cover - compiled
    """numpy's ``fmax``: the other value where one is NaN."""
    if a != a:
        return b
    if b != b:
        return a
    return a if a > b else b


def _fmin(a, b):  # pragma: no cover - compiled
    if a != a:
        return b
    if b != b:
        return a
    return a if a < b else b


def _novelty_excess(y, st, cur_max, cur_min, spacing, base, enough, percent, span_pct,
                    tolerance, floors, ln10, max_log_p, margin, log_p, up_side):  # pragma: no cover
    """Per cell: ``-log10 p`` of the excess beyond the range (NaN: not beyond it)."""
    n, k = y.shape
    big = np.finfo(np.float64).max
    for i in range(n):
        for j in range(k):
            hi = _fmax(st[i, 0, j], cur_max[i, j])
            lo = _fmin(st[i, 1, j], cur_min[i, j])
            span = span_pct if percent[j] else hi - lo
            if span != span:  # np.nan_to_num
                span = 0.0
            elif span == np.inf:
                span = big
            elif span == -np.inf:
                span = -big
            floor = _nmax(tolerance * span, floors[j])
            beta_hi = _fmax((hi - st[i, 2, j]) / spacing[i], floor)
            beta_lo = _fmax((st[i, 3, j] - lo) / spacing[i], floor)
            up = (y[i, j] - hi) / beta_hi
            down = (lo - y[i, j]) / beta_lo
            excess = _fmax(up, down)
            y32 = float(np.float32(y[i, j]))  # beyond in the ring's precision (float32)
            if enough[i] and excess > margin and (y32 > hi or y32 < lo):
                log_p[i, j] = _nmin(base[i] + excess / ln10, max_log_p)
                up_side[i, j] = up > 0
            else:
                log_p[i, j] = np.nan
                up_side[i, j] = False


if numba is not None:
    _fmax = numba.njit(cache=True)(_fmax)
    _fmin = numba.njit(cache=True)(_fmin)
    _novelty_excess = _compile(_novelty_excess)


def novelty_excess(novelty, y: np.ndarray, st: np.ndarray, n_rows: np.ndarray,
                   n_blocks: np.ndarray, cur_max: np.ndarray, cur_min: np.ndarray):
    """``RangeNovelty._z`` up to the normal quantile: (-log10 p, NaN where the value is
    within the range or the range too young; whether above it). None: not taken."""
    arrays = (y, st, cur_max, cur_min)
    if numba is None or any(a.dtype != np.float64 for a in arrays) or y.ndim != 2:
        return None
    from telecom_nb.features.range_novelty import GUMBEL_SHIFT, MAX_LOG_P, PERCENT_SPAN

    spacing = np.log(np.maximum(n_blocks, 1)) + GUMBEL_SHIFT  # per row: numpy's log
    base = np.log10(n_rows + 1.0)
    log_p = np.empty(y.shape)
    up_side = np.empty(y.shape, dtype=np.bool_)
    per_row = (*(np.ascontiguousarray(a) for a in arrays),
               np.ascontiguousarray(spacing, dtype=np.float64),
               np.ascontiguousarray(base, dtype=np.float64),
               np.ascontiguousarray(n_blocks >= novelty.min_blocks))
    options = (np.ascontiguousarray(novelty.percent_), PERCENT_SPAN, float(novelty.tolerance),
               novelty.floors_, math.log(10.0), MAX_LOG_P, float(novelty.margin))
    row_split.over_rows(len(y), lambda lo, hi: _novelty_excess(
        *(a[lo:hi] for a in per_row), *options, log_p[lo:hi], up_side[lo:hi]))
    return log_p, up_side
