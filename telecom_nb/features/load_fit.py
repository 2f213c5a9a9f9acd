"""A dependent KPI read against the load its own row carries, per sector (fleets).

A lost carrier halves a cell's throughput for 2-8 hours at its usual load. Against its
time slot that is only 1 in ~200 normal rows (vendor worlds 2981-2982: the partial
degradations' seasonal z median -2.5..-2.8): a cell's throughput at a given hour swings
with how busy that day's hour is, so the slot's spread is wide. Against the row's own load
(PRB, users, volume of the same row) it is 1 in 2,000-5,000: a throughput is what the radio
delivers at that load, and day-to-day load swings explain most of the slot's spread
(offline, causal daily refits; ``benchmarks/MEASURED.md``, part56).

Learned from data, no KPI names: the regressors are the fleet's load family (the KPIs
:mod:`~telecom_nb.features.load_explained` finds moving together) as scaled values, with
their squares (a saturating load bends the curve); the KPIs read are that module's
dependents. Per sector a ridge least squares of each dependent's scaled value on them
(running sums, decayed once :data:`CAP_N` samples are held; a warm fit does not learn a
row beyond :data:`GATE` residual spreads: a fault's), and the residual's spread. A row's
dependent z (the slot's, as the load model left it) is then read on the side it already
is, at least as far as the load residual says and at most :data:`MAX_GAIN` times its own:
the load residual only sharpens evidence the slot already shows, never makes it from
nothing or turns its side (a good-side 0 stays 0). Causal: a row is read under the fit
before it; a sector reads only after :data:`WARM` of data time at the cadence.
"""

from __future__ import annotations

import numpy as np

from telecom_nb.features import load_fit_kernel
from telecom_nb.features.time_slots import DAY_NS
from telecom_nb.sector_index import grow_rows, known_rows

#: data time of a sector's samples before its fit is read (two days: every hour seen twice)
WARM = 2 * DAY_NS
#: ... and at least this many samples
MIN_N = 48.0
#: a sector's sums decay once they hold this many samples (about 3-10 weeks of data)
CAP_N = 1000.0
#: a warm fit does not learn a row beyond this many residual spreads (a fault)
GATE = 5.0
#: the ridge on the normal equations' slopes (per sample weight of one; the intercept's
#: is only what keeps an empty sector's equations solvable)
RIDGE = 1.0
#: the residual spread's memory: its sums decay once they hold this many samples (the
#: young fit's wider residuals are forgotten)
SPREAD_N = 200.0
#: a row's z is sharpened at most this many times
MAX_GAIN = 3.0
#: the residual spread's floor (scaled units: a constant KPI)
MIN_SPREAD = 1e-3


def design(values: np.ndarray) -> np.ndarray:
    """(rows x p) regressors: 1, the family's scaled values, their squares; NaN stays NaN."""
    return np.concatenate([np.ones((len(values), 1)), values, values * values], axis=1)


def unique_rows(rows: np.ndarray, n_rows: int) -> bool:
    """Whether no sector row repeats in ``rows`` (a tick's batch: one row a sector)."""
    return len(rows) <= 1 or int(np.bincount(rows, minlength=n_rows).max()) <= 1


def learn(table: np.ndarray, rows: np.ndarray, keep: np.ndarray | None, add: np.ndarray,
          unique: bool) -> None:
    """``table[rows]`` times ``keep`` (a row's decay, once however often it repeats; None:
    no decay), then plus each of ``add``. Unique rows: one gather and one scatter, the same
    two roundings as the unbuffered ``np.add.at`` (about 3x slower), which repeats need."""
    scale = None if keep is None else keep.reshape(keep.shape + (1,) * (add.ndim - keep.ndim))
    if unique:
        table[rows] = (table[rows] if scale is None else table[rows] * scale) + add
        return
    if scale is not None:
        table[rows] *= scale
    np.add.at(table, rows, add)


class LoadFit:
    """Per sector: the normal equations of each dependent KPI on the load family."""

    def __init__(self, family: np.ndarray, dependent: np.ndarray) -> None:
        self.family_ = np.asarray(family, dtype=bool).copy()
        self.dependent_ = np.asarray(dependent, dtype=bool).copy()
        p, d = 1 + 2 * int(self.family_.sum()), int(self.dependent_.sum())
        self.xx_ = np.zeros((0, p, p))  # sum x x'
        self.xy_ = np.zeros((0, p, d))  # sum x y (a missing or gated y: the fit's own)
        self.n_ = np.zeros((0, d))  # values learned per dependent
        self.abs_ = np.zeros((0, d))  # sum |residual| of the values a warm fit learned
        self.m_ = np.zeros((0, d))  # ... and their count

    def matches(self, family: np.ndarray, dependent: np.ndarray) -> bool:
        return bool((family == self.family_).all() and (dependent == self.dependent_).all())

    def narrowed(self, family: np.ndarray, dependent: np.ndarray) -> LoadFit | None:
        """This fit reading only ``dependent`` (the same family, a subset of its own
        dependents): each dependent's sums are its own columns and the design's are shared,
        so the kept dependents lose nothing. None otherwise (a new dependent's sums would
        miss the rows the design already holds: it starts afresh). A dependent leaving
        restarted the whole fit, and a young fit needs ~4 days of hourly data to read again
        (``benchmarks/MEASURED.md`` part64: hourly world v3231 restarted on days 3 and 5)."""
        family, dependent = np.asarray(family, bool), np.asarray(dependent, bool)
        if (family != self.family_).any() or (dependent & ~self.dependent_).any():
            return None
        keep = dependent[self.dependent_]
        out = LoadFit(family, dependent)
        out.xx_ = self.xx_.copy()
        out.xy_ = self.xy_[:, :, keep].copy()
        out.n_, out.abs_, out.m_ = (t[:, keep].copy() for t in (self.n_, self.abs_, self.m_))
        return out

    def warm_share(self, step_ns: int) -> float:
        """The share of the fleet's sectors on which the fit reads some dependent (as
        :meth:`_warm`: :data:`MIN_N` residuals and :data:`WARM` of data time); 0 with none."""
        if not len(self.n_) or not self.n_.shape[1]:
            return 0.0
        warm = (self.m_ >= MIN_N) & (self.n_ * step_ns >= WARM)
        return float(warm.any(axis=1).mean())

    def _inputs(self, rows: np.ndarray, scaled: np.ndarray, valid: np.ndarray
                ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """(rows with the whole family, x, y, which (row, dependent) have a value)."""
        x = design(scaled[:, self.family_])
        y = scaled[:, self.dependent_]
        whole = np.isfinite(x).all(axis=1) & valid[:, self.family_].all(axis=1) & (rows >= 0)
        ok = whole[:, None] & np.isfinite(y) & valid[:, self.dependent_]
        return whole, np.nan_to_num(x), np.nan_to_num(y), ok

    def _fit(self, r: np.ndarray, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(each row's dependents as its sector's fit so far has them, the residual spread);
        a tick's scoring and learning read the same state and rows: solved once (``_cache``,
        never state)."""
        cached = getattr(self, "_cache", None)
        if (cached is not None and cached[0] is self.xy_ and np.array_equal(cached[1], r)
                and np.array_equal(cached[2], x)):
            return cached[3], cached[4]
        out = self._solve(r, x)
        self._cache = (self.xy_, r.copy(), x.copy(), *out)
        return out

    def _solve(self, r: np.ndarray, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        ridge = np.full(x.shape[1], RIDGE)
        ridge[0] = 1e-6
        spread = np.maximum(1.2533 * self.abs_[r] / np.maximum(self.m_[r], 1.0), MIN_SPREAD)
        compiled = load_fit_kernel.fitted_rows(self, r, x, ridge)
        if compiled is None:
            return self._stacked(r, x, ridge), spread
        fitted, failed = compiled
        if failed.any():  # not positive definite to the float: LU with pivoting
            fitted[failed] = self._stacked(r[failed], x[failed], ridge)
        return fitted, spread

    def _stacked(self, r: np.ndarray, x: np.ndarray, ridge: np.ndarray) -> np.ndarray:
        """Each row's dependents under its sector's fit, the systems stacked for LAPACK."""
        normal = self.xx_[r]  # a copy; the ridge on its diagonal alone (the same sums as
        diagonal = np.arange(x.shape[1])  # + np.diag(ridge): off it, x + 0.0 is x)
        normal[:, diagonal, diagonal] += ridge
        return np.einsum("rp,rpd->rd", x, np.linalg.solve(normal, self.xy_[r]))

    def _warm(self, rows: np.ndarray, ok: np.ndarray, step_ns: int
              ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(rows the fit knows, their sector rows (0 elsewhere), which (row, dependent) a
        warm fit reads: a value, :data:`MIN_N` residuals and :data:`WARM` of data time)."""
        known = known_rows(rows, len(self.n_))
        r = np.where(known, rows, 0)
        warm = ok & known[:, None] & (self.m_[r] >= MIN_N) & (self.n_[r] * step_ns >= WARM)
        return known, r, warm

    def _residuals(self, rows: np.ndarray, scaled: np.ndarray, valid: np.ndarray,
                   step_ns: int) -> tuple[np.ndarray, np.ndarray, np.ndarray] | None:
        """(the rows with the whole family the fit knows, which of their dependents a warm
        fit reads, their residuals in spreads) -- as the learning solves them, one solve a
        tick; None: no cell read. :meth:`residual` and :meth:`sharpen` read the same."""
        if not len(rows) or not self.dependent_.any() or not len(self.n_):
            return None
        whole, x, y, ok = self._inputs(rows, scaled, valid)
        known, r, warm = self._warm(rows, ok, step_ns)
        if not warm.any():
            return None
        at = np.flatnonzero(whole & known)
        fitted, spread = self._fit(r[at], x[at])
        return at, warm[at], (y[at] - fitted) / spread

    def residual(self, rows: np.ndarray, scaled: np.ndarray, valid: np.ndarray, step_ns: int
                 ) -> np.ndarray | None:
        """(rows x KPIs) each warm dependent's load residual in its spreads, NaN elsewhere
        (the same solve as :meth:`sharpen`'s); None: no cell read."""
        read = self._residuals(rows, scaled, valid, step_ns)
        if read is None:
            return None
        at, warm, resid = read
        out = np.full((len(rows), len(self.dependent_)), np.nan)
        out[np.ix_(at, np.flatnonzero(self.dependent_))] = np.where(warm, resid, np.nan)
        return out

    def sharpen(self, rows: np.ndarray, z: np.ndarray, scaled: np.ndarray, valid: np.ndarray,
                step_ns: int) -> np.ndarray:
        """``z`` (rows x series, KPIs first) with each warm dependent's column read at least
        as far as its load residual says, on its own side, at most :data:`MAX_GAIN` x."""
        read = self._residuals(rows, scaled, valid, step_ns) if len(z) else None
        if read is None:
            return z
        at, warm, resid = read
        dep = np.flatnonzero(self.dependent_)
        dz = z[at][:, dep]
        side = np.sign(dz)
        reach = side * np.minimum(np.maximum(side * resid, np.abs(dz)), MAX_GAIN * np.abs(dz))
        out = z.copy()
        out[np.ix_(at, dep)] = np.where(warm, reach, dz)
        return out

    def update(self, rows: np.ndarray, scaled: np.ndarray, valid: np.ndarray,
               n_rows: int) -> None:
        """Learn the batch's rows (``scaled``: the KPIs' scaled values): every row with the
        whole family teaches the design; a dependent's value where it has one and the warm
        fit does not put it beyond :data:`GATE` spreads, else the fit's own prediction."""
        if not len(rows) or not self.dependent_.any():
            return
        self._grow(n_rows)
        whole, x, y, ok = self._inputs(rows, scaled, valid)
        if not whole.any():
            return
        at = np.flatnonzero(whole)
        r, x, y, ok = rows[at], x[at], y[at], ok[at]
        fitted, spread = self._fit(r, x)
        resid = y - fitted
        warm = self.n_[r] >= MIN_N  # the fit's residuals teach the spread from here
        ok &= ~((self.m_[r] >= MIN_N) & (np.abs(resid) > GATE * spread))  # ... it gates
        self._cache = None  # the state moves on
        full = self.n_[r].max(axis=1) >= CAP_N
        keep = np.where(full, (CAP_N - 1.0) / CAP_N, 1.0) if full.any() else None
        forget = np.where(self.m_[r] >= SPREAD_N, (SPREAD_N - 1.0) / SPREAD_N, 1.0)
        if not (forget < 1.0).any():
            forget = None
        taught = np.where(ok, y, fitted)
        read = ok & warm
        once = unique_rows(r, len(self.n_))
        if once and load_fit_kernel.learn_rows(self, r, x, taught, ok, resid, read, keep,
                                               forget):
            return
        learn(self.xx_, r, keep, x[:, :, None] * x[:, None, :], once)
        learn(self.xy_, r, keep, x[:, :, None] * taught[:, None, :], once)
        learn(self.n_, r, keep, ok.astype(np.float64), once)
        learn(self.abs_, r, forget, np.where(read, np.abs(resid), 0.0), once)
        learn(self.m_, r, forget, read.astype(np.float64), once)

    def _grow(self, n_rows: int) -> None:
        if len(self.n_) >= n_rows:
            return
        self.xx_ = grow_rows(self.xx_, n_rows)
        self.xy_ = grow_rows(self.xy_, n_rows)
        self.n_ = grow_rows(self.n_, n_rows)
        self.abs_ = grow_rows(self.abs_, n_rows)
        self.m_ = grow_rows(self.m_, n_rows)
