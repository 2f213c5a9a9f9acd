"""A KPI's deviation read against what the same row's load explains (fleets).

A cell near capacity on a busier-than-usual quarter hour (users 1.3-1.6x its usual at that
hour, PRB 95-100 %) loses throughput to 0.34-0.46x: normal physics, yet its seasonal z
alone reads -6 to -10 and was the top KPI of 35-55 % of the third generator's false-alarm
rows. Its evidence should be what the load does *not* explain: a throughput falling at
usual load (transport congestion, interference) or far beyond what the sector's busiest
rows ever showed (PRB saturation) stays out.

Learned from data, no KPI names: over the fleet's rows, the "load family" is the largest
group of KPIs whose seasonal z move together (users, setups, PRB, volume: r >= 0.5, at
least 3), and a row's load is its family members' median z (interference lifts PRB alone
and barely moves it; a crowd lifts them all). Every other KPI whose mean |r| with the
members is at least ``MIN_R`` (either sign: a traffic count with no bad side) is read
against it (the choice: :mod:`~telecom_nb.features.load_choice`) -- or, for a KPI with a
known bad side, whose r points to that side (a throughput
falls, a latency rises as load rises) by ``bad_r`` (0.15; never against it: an
unavailability's r is its outages'), or which follows the load that way on ``CELL_SHARE``
of the cells (:mod:`~telecom_nb.features.load_cells`: a vendor world's latency follows
load on its hot cells only, fleet r ~0.13, yet there the load hides x4-7 spikes). The r
are the rows' after the first week (``LATE_NS``: before it they are inflated, and a choice
on them took dependents that left one by one, lat65); once chosen a dependent is kept while
its r stays on its bad side by ``HOLD`` x ``bad_r``; the family's own KPIs never are (a
crowd, a saturation keep their evidence). Only a load above usual (family median z >=
``BUSY``) explains: a wrong parameter that drops a cell's users does not excuse its volume
dropping with them.
Per sector, dependent KPI and bin of the load, a running mean of the dependent's z and of
its absolute residual (a warm bin does not learn rows beyond ``GATE`` residual spreads: a
fault's), shrunk toward 0 and 1 while young: nothing is borrowed from other sectors, so a
load the sector never carried (a saturation) explains nothing. A row's dependent z becomes
its residual, kept on the side the z already is (never amplified by the mean, 0 when the
load explains more than all of it), in units of the bin's residual spread (bounded). Causal: a
row is read under the state before it; the family is chosen after a day of data and
re-read daily (a new dependent, or a new family, starts its bins afresh).

Beside the bins, ``fit_`` (:mod:`~telecom_nb.features.load_fit`) reads each dependent
against its own row's load values at every load, per sector: a throughput halved at usual
load is 1 in ~200 of its slot's normal rows but 1 in 2,000-5,000 of its load's.
"""

from __future__ import annotations

import numpy as np

from telecom_nb.features.load_cells import LoadCells
from telecom_nb.features.load_choice import BAD_R, MIN_PAIRS, choose, correlations, load_family
from telecom_nb.features.load_fit import LoadFit
from telecom_nb.features.time_slots import DAY_NS
from telecom_nb.sector_index import grow_rows, known_rows

#: bin edges on the load family's median seasonal z (a crowd reads +1.5 to +5)
EDGES = np.array([-2.0, -1.0, -0.5, 0.5, 1.0, 1.5, 2.0, 3.0, 4.5])
N_BINS = len(EDGES) + 1
#: only a load at least this far above usual explains (a crowd; a cell's users falling
#: by a wrong parameter does not excuse its volume falling with them)
BUSY = 0.5
#: the finest cadence whose held run reads a dependent's bad side only
#: (:meth:`LoadExplained.held_residual`; the detector's normal-scale held run, part64's, uses
#: the same bar): the hour holds the residual's minimum, and one side of it held over 4+
#: rows is 0 on ~95 % of the rows, a tail the exponential fit read as nothing (the lead's
#: 15- and 5-minute vendor worlds: v289 159 -> 11,492 false rows, v300, v302 alike)
SIDED_STEP_NS = 30 * 60 * 10**9
#: the choice reads the correlations of the rows this long after the first (where they hold
#: ``MIN_PAIRS``): a young seasonal part's z share the whole day's load swing, so the first
#: week's r are inflated (lat65: CQI 0.23 on day 1, 0.10 by week 5; drop rate 0.19 -> 0.08),
#: and a choice on them took five dependents that left one by one for weeks
LATE_NS = 7 * DAY_NS
#: ... once they hold this much data time (a day or two of them read r 0.14-0.19 for
#: KPIs at 0.09-0.11 a week on, and chose them for a day or two), as the cells' do
#: (:data:`~telecom_nb.features.load_cells.CELL_N` hourly rows)
LATE_READ_NS = 4 * DAY_NS
#: z clipped at this in the correlations (a fault's rows do not make a family)
Z_CORR = 4.0
#: z clipped at this when learned (a fault's -1000 moves no mean)
Z_LEARN = 10.0
#: samples after which a bin's mean and spread are its own (before: shrunk to the fleet's)
PRIOR_N = 8.0
#: a bin's memory: its sums decay once it holds this many samples
CAP_N = 200.0
#: a warm bin does not learn a row beyond this many residual spreads (a fault)
GATE = 5.0
WARM_N = 5.0
#: the residual's spread is read within these bounds (sharpen at most 1/S_MIN)
S_MIN, S_MAX = 0.7, 3.0
_NONE = np.iinfo(np.int64).min // 2


def load_bins(z: np.ndarray) -> np.ndarray:
    """The bin (0..N_BINS-1) of each load z."""
    return np.searchsorted(EDGES, z, side="right")


class LoadExplained:
    """Per sector x KPI x load bin: the KPI's usual z and residual spread at that load."""

    #: KPIs' bad sides (:func:`bad_signs`) and the bad-side r that makes a dependent;
    #: None (a checkpoint from before them): every KPI by ``|r|`` at ``MIN_R``
    signs_: np.ndarray | None = None
    bad_r_: float = BAD_R

    def __init__(self, n_kpis: int, signs: np.ndarray | None = None, bad_r: float = BAD_R
                 ) -> None:
        k = n_kpis
        self.signs_ = None if signs is None else np.asarray(signs, dtype=np.float64)
        self.bad_r_ = float(bad_r)
        #: the fleet's z products, sums, squares and rows, over rows where both have a value
        self.cross_ = np.zeros((4, k, k))
        #: ... the same over the rows from ``LATE_NS`` after the first (the choice's)
        self.late_ = np.zeros((4, k, k))
        self.first_ns_ = _NONE
        self.chosen_ns_ = _NONE
        #: the load family's KPIs, and the KPIs read against its median z
        self.family_ = np.zeros(k, dtype=bool)
        self.dependent_ = np.zeros(k, dtype=bool)
        #: the dependents only learned, not read against the load yet: chosen on the first
        #: days' r by their bad side alone (not ``|r| >= MIN_R``), until the late rows' r
        #: is read (a drop rate chosen on the first week's inflated r led 12-19 false held
        #: runs on days 8-12: v3310, v3312); a latency confirmed then finds its fit warm
        self.young_ = np.zeros(k, dtype=bool)
        #: per sector x (dependent KPI, bin) flattened: sum of z, sum of |residual|,
        #: samples (dependents only: 100k sectors x 20 KPIs x 10 bins would be 480 MB)
        self.sum_ = np.zeros((0, 0))
        self.abs_ = np.zeros((0, 0))
        self.cnt_ = np.zeros((0, 0))
        #: per sector, each dependent against its own row's load (started with a family)
        self.fit_ = LoadFit(self.family_, self.dependent_)
        #: per cell, which KPIs with a bad side follow its own load (none: no sides known)
        self.cells_ = None if self.signs_ is None else LoadCells(self.signs_)

    #: state newer than some checkpoints: derived by :meth:`derive_added_state`
    _state_added: tuple[str, ...] = ("fit_", "late_", "cells_", "young_")

    def derive_added_state(self, names: tuple[str, ...] | list[str]) -> None:
        """A checkpoint from before the per-sector load fit: it starts afresh."""
        if "fit_" in names:
            self.fit_ = LoadFit(np.zeros_like(self.family_), np.zeros_like(self.dependent_))
        if "late_" in names:  # ... and from before the late rows' sums: they start now
            self.late_ = np.zeros_like(self.cross_)
        if "young_" in names:
            self.young_ = np.zeros_like(self.dependent_)
        if "cells_" in names:
            self.cells_ = None if self.signs_ is None else LoadCells(self.signs_)

    @property
    def ready(self) -> bool:
        return bool(self.dependent_.any())

    def _fit_reads(self) -> bool:
        """Whether the per-sector fit reads this family and these dependents (a fit of
        another set waits for :meth:`learn_fit` to start it anew)."""
        return self.ready and self.fit_.matches(self.family_, self.dependent_)

    def warm_share(self, step_ns: int) -> float:
        """The share of the fleet's sectors whose per-sector fit reads a dependent (0 when
        it reads another family or dependents: it starts anew)."""
        return self.fit_.warm_share(step_ns) if self._fit_reads() else 0.0

    def sharpen(self, rows: np.ndarray, z: np.ndarray, scaled: np.ndarray, valid: np.ndarray,
                step_ns: int) -> np.ndarray:
        """``z`` after :meth:`adjust`, each dependent read against its own row's load
        (:mod:`~telecom_nb.features.load_fit`); ``scaled``: the KPIs' scaled values."""
        if not self._fit_reads():
            return z
        return self._unread(z, self.fit_.sharpen(rows, z, scaled, valid, step_ns))

    def _unread(self, z: np.ndarray, out: np.ndarray) -> np.ndarray:
        """``out`` with the columns of the dependents not read yet (``young_``) as in ``z``."""
        unread = np.flatnonzero(self.dependent_ & self.young_)
        if len(unread):
            out[:, unread] = z[:, unread]
        return out

    def residual(self, rows: np.ndarray, scaled: np.ndarray, valid: np.ndarray, step_ns: int
                 ) -> np.ndarray | None:
        """(rows x KPIs) each dependent's residual against its own row's load, in its
        spreads, where the fit reads it (NaN elsewhere); None: nowhere."""
        if not self._fit_reads():
            return None
        return self.fit_.residual(rows, scaled, valid, step_ns)

    def held_residual(self, rows: np.ndarray, scaled: np.ndarray, valid: np.ndarray,
                      step_ns: int) -> np.ndarray | None:
        """:meth:`residual` on each dependent's bad side only, ``max(side * residual, 0)``
        (side: the sign of its mean correlation with the family's members: a throughput
        falls as the load rises, a latency climbs; none known: both sides), NaN kept. What
        the held run reads: a throughput *above* its load's expectation held for an hour
        is no fault, yet on the normal's scale the held run read it as one
        (``benchmarks/MEASURED.md`` part64: most of the gaussian held run's new false rows
        read residuals of median +1.3)."""
        out = self.residual(rows, scaled, valid, step_ns)
        if out is not None and self.young_.any():
            out[:, self.young_] = np.nan  # a young choice's: not yet (``young_``)
        if out is None or step_ns < SIDED_STEP_NS:  # finer: both sides (:data:`SIDED_STEP_NS`)
            return out
        side = np.sign(correlations(*self.cross_)[:, self.family_].mean(axis=1))
        bad = np.where(side == 0.0, np.abs(out), np.maximum(out * side, 0.0))  # 0: no side
        return np.where(np.isnan(out), out, bad)

    def learn_fit(self, rows: np.ndarray, scaled: np.ndarray, valid: np.ndarray,
                  n_rows: int) -> None:
        """Teach the batch's rows to the per-sector load fit (a new family or a new
        dependent start it afresh; a dependent leaving keeps the others' sums)."""
        if not self.ready:
            return
        if not self.fit_.matches(self.family_, self.dependent_):  # a dependent that left
            self.fit_ = (self.fit_.narrowed(self.family_, self.dependent_)  # keeps the rest
                         or LoadFit(self.family_, self.dependent_))
        self.fit_.update(rows, scaled, valid, n_rows)

    def _load(self, z: np.ndarray, valid: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(each row's load: the family's median z, 0 without a member's value; which rows
        have one)."""
        fam = np.where(valid[:, self.family_], z[:, self.family_], np.nan)
        some = np.isfinite(fam).any(axis=1)
        with np.errstate(all="ignore"):
            load = np.where(some, np.nanmedian(np.where(some[:, None], fam, 0.0), axis=1), 0.0)
        return load, some

    def _cells(self, z: np.ndarray, valid: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(rows x dependents) flat (dependent, bin) cell of each row's dependent KPIs on
        the family's median z, and which are read (a value, the row with a member's)."""
        load, some = self._load(z, valid)
        dep = self.dependent_
        cells = np.arange(int(dep.sum()))[None, :] * N_BINS + load_bins(load)[:, None]
        return cells, valid[:, dep] & (some & (load >= BUSY))[:, None]

    def _expected(self, rows: np.ndarray, cells: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """The usual z and residual spread in each row's cells, shrunk to 0 and 1 while the
        sector's own cell is young: no explanation borrowed from other sectors (a load the
        sector never carried, a saturation, explains nothing)."""
        known = known_rows(rows, len(self.cnt_))
        r = np.where(known, rows, 0)[:, None]
        own = known[:, None]
        n = np.where(own, self.cnt_[r, cells], 0.0)
        s = np.where(own, self.sum_[r, cells], 0.0)
        a = np.where(own, self.abs_[r, cells], 0.0)
        mean = s / (n + PRIOR_N)
        sd = (1.2533 * a + PRIOR_N) / (n + PRIOR_N)
        return mean, sd

    def adjust(self, rows: np.ndarray, z: np.ndarray, valid: np.ndarray) -> np.ndarray:
        """``z`` (rows x series, KPIs first) with each dependent KPI's column read as what
        its load does not explain; ``valid``: rows x KPIs with a value."""
        if not self.ready or not len(z):
            return z
        cells, ok = self._cells(z[:, : len(self.family_)], valid)
        mean, sd = self._expected(rows, cells)
        dep = np.flatnonzero(self.dependent_)
        dz = z[:, dep]
        side = np.sign(dz)
        kept = side * np.clip(side * (dz - mean), 0.0, np.abs(dz))  # never past 0 or amplified
        out = z.copy()
        out[:, dep] = np.where(ok, kept / np.clip(sd, S_MIN, S_MAX), dz)
        return self._unread(z, out)

    def update(
        self, rows: np.ndarray, z: np.ndarray, valid: np.ndarray, now_ns: np.ndarray, n_rows: int
    ) -> None:
        """Learn the batch's rows (``z``: the seasonal z before this part's adjustment)."""
        k = len(self.family_)
        if not len(z):
            return
        kz = np.clip(z[:, :k], -Z_LEARN, Z_LEARN)
        m = valid.astype(np.float64)
        zv = np.where(valid, np.clip(kz, -Z_CORR, Z_CORR), 0.0)
        sums = np.stack([zv.T @ zv, zv.T @ m, (zv * zv).T @ m, m.T @ m])
        self.cross_ += sums
        now = int(now_ns.max())
        if self.first_ns_ == _NONE:
            self.first_ns_ = int(now_ns.min())
        late = now_ns - self.first_ns_ >= LATE_NS
        if late.all():
            self.late_ += sums
        elif late.any():  # a batch across the line: its late rows only
            zl, ml = zv[late], m[late]
            self.late_ += np.stack([zl.T @ zl, zl.T @ ml, (zl * zl).T @ ml, ml.T @ ml])
        if now - self.first_ns_ >= DAY_NS and (
            self.chosen_ns_ == _NONE or now - self.chosen_ns_ >= DAY_NS
        ):
            self._choose(now)
        if self.cells_ is not None and self.family_.any() and late.any():
            zc = np.clip(kz, -Z_CORR, Z_CORR)
            load, some = self._load(zc, valid)
            self.cells_.update(rows, zc, load, valid[:, :k] & (some & late)[:, None], n_rows)
        if not self.ready:
            return
        self._grow(n_rows)
        cells, ok = self._cells(kz, valid)
        _, sd = self._expected(rows, cells)
        r = np.broadcast_to(rows[:, None], cells.shape)
        n = self.cnt_[r, cells]
        dz = kz[:, self.dependent_]
        resid = dz - self.sum_[r, cells] / np.maximum(n, 1.0)  # the cell's own mean so far
        warm = n >= WARM_N
        ok &= ~warm | (np.abs(resid) <= GATE * np.maximum(sd, 1.0))
        rr, cc, zv, av = r[ok], cells[ok], dz[ok], np.abs(resid[ok])
        self._add(self.sum_, self.abs_, self.cnt_, (rr, cc), zv, av, CAP_N)

    @staticmethod
    def _add(
        s: np.ndarray, a: np.ndarray, n: np.ndarray, at, zv: np.ndarray, av: np.ndarray, cap: float
    ) -> None:
        """Add samples at ``at``, the cells' sums decayed once they hold ``cap`` samples."""
        keep = np.where(n[at] >= cap, (cap - 1.0) / cap, 1.0)
        s[at] *= keep
        a[at] *= keep
        n[at] *= keep
        np.add.at(s, at, zv)
        np.add.at(a, at, av)
        np.add.at(n, at, 1.0)

    def choice_r(self, now: int) -> np.ndarray:
        """The correlations the choice reads: the late rows' (:data:`LATE_NS`) from
        :data:`LATE_READ_NS` of them on, where a pair has ``MIN_PAIRS``; else all rows'."""
        r = correlations(*self.cross_)
        if now - self.first_ns_ < LATE_NS + LATE_READ_NS:
            return r
        late = self.late_[3] >= MIN_PAIRS
        return np.where(late, correlations(*self.late_), r) if late.any() else r

    def _choose(self, now: int) -> None:
        """Re-read the family and its dependents; on a new family every bin starts afresh,
        else a KPI that becomes a dependent does."""
        family = load_family(correlations(*self.cross_))  # all rows': a family is strong
        held = self.dependent_ if (family == self.family_).all() else None
        if self.cells_ is not None and held is None:  # a new family: another load
            self.cells_.reset()
        shares = None if self.cells_ is None else self.cells_.shares(len(family))
        family, dependent = choose(self.choice_r(now), self.signs_, self.bad_r_, held, family,
                                   shares)
        kept = dependent & self.dependent_ if (family == self.family_).all() else family & False
        old = np.cumsum(self.dependent_) - 1  # each old dependent's block
        new = np.cumsum(dependent) - 1
        n = len(self.cnt_)
        tables = []
        for table in (self.sum_, self.abs_, self.cnt_):
            fresh = np.zeros((n, int(dependent.sum()) * N_BINS))
            for j in np.flatnonzero(kept):  # a few KPIs, once a day
                fresh[:, new[j] * N_BINS : (new[j] + 1) * N_BINS] = table[
                    :, old[j] * N_BINS : (old[j] + 1) * N_BINS
                ]
            tables.append(fresh)
        self.sum_, self.abs_, self.cnt_ = tables
        self.family_, self.dependent_ = family, dependent
        plain = choose(correlations(*self.cross_), family=family)[1]  # |r| on all rows
        self.young_ = dependent & ~(plain | (now - self.first_ns_ >= LATE_NS + LATE_READ_NS))
        self.chosen_ns_ = now

    def _grow(self, n_rows: int) -> None:
        if len(self.cnt_) >= n_rows:
            return
        self.sum_ = grow_rows(self.sum_, n_rows)
        self.abs_ = grow_rows(self.abs_, n_rows)
        self.cnt_ = grow_rows(self.cnt_, n_rows)
