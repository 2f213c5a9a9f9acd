"""Which KPIs follow their cell's own load, cell by cell (fleets).

The load part (:mod:`~telecom_nb.features.load_explained`) chooses its dependents on one
fleet-wide correlation, and a KPI that follows the load on some cells only reads weak
there: a vendor world's latency rises with PRB on its hot cells (r 0.35-0.67 with their
load) and not on the others (0.15), so its fleet r is ~0.13 after the first week, under
any bar that keeps CQI (0.08-0.10) or a drop rate out, yet on the hot cells the load widens
the busy hour's spread and hides x4-7 latency spikes (``benchmarks/MEASURED.md`` lat64,
lat65). Here, per cell and KPI with a known bad side, the running sums of the KPI's seasonal
z against the row's load (the family's median z) over the rows after the first week (a
young seasonal part's z share the whole day's swing); :meth:`LoadCells.shares` is the
share of the cells with :data:`CELL_N` such rows whose r points to the KPI's bad side by
:data:`CELL_R`: a KPI that follows the load on :data:`CELL_SHARE` of the cells is read
against it (the per-sector load fit then learns each cell's own slope, ~0 on a cold one).
"""

from __future__ import annotations

import numpy as np

from telecom_nb.features.load_fit import learn, unique_rows
from telecom_nb.sector_index import grow_rows

#: a cell's KPI follows its load when its r with it points to the bad side by this much
CELL_R = 0.3
#: ... and the KPI is read against the load when this share of the cells does
CELL_SHARE = 0.1
#: rows a cell needs before its r counts (four days of hourly data: a day's z move
#: together, so fewer rows read r 0.3 by chance on too many cells)
CELL_N = 96.0
#: cells with CELL_N rows before a share counts, and at least half of those with any:
#: the first cells to reach CELL_N are not the fleet (v3310 chose three KPIs at r ~0 on
#: such a day)
MIN_CELLS = 10


class LoadCells:
    """Per cell x KPI with a bad side: sums of z x load, z, z^2, load, load^2, rows."""

    def __init__(self, signs: np.ndarray) -> None:
        self.signs_ = np.asarray(signs, dtype=np.float64).copy()
        self.cols_ = np.flatnonzero(self.signs_ != 0.0)
        self.sums_ = np.zeros((0, 6, len(self.cols_)))

    def reset(self) -> None:
        """A new load family: the sums were of another load."""
        self.sums_ = np.zeros((0, 6, len(self.cols_)))

    def update(self, rows: np.ndarray, z: np.ndarray, load: np.ndarray, ok: np.ndarray,
               n_rows: int) -> None:
        """Learn the rows ``ok`` (rows x KPIs: a value and a load, after the first week);
        ``z``: the KPIs' seasonal z (clipped), ``load``: each row's family median z."""
        if not len(self.cols_) or not ok.any():
            return
        if len(self.sums_) < n_rows:
            self.sums_ = grow_rows(self.sums_, n_rows)
        on = ok[:, self.cols_]
        x = np.where(on, z[:, self.cols_], 0.0)
        y = np.where(on, load[:, None], 0.0)
        add = np.stack([x * y, x, x * x, y, y * y, on.astype(np.float64)], axis=1)
        learn(self.sums_, rows, None, add, unique_rows(rows, len(self.sums_)))

    def shares(self, n_kpis: int) -> np.ndarray:
        """(KPIs,) the share of the cells with :data:`CELL_N` rows whose r with their load
        points to the KPI's bad side by :data:`CELL_R`; 0 for no bad side; NaN (not known
        yet) with fewer than :data:`MIN_CELLS` such cells or under half of those with rows
        (a KPI missing on idle rows, a latency, warms later than the others)."""
        out = np.zeros(n_kpis)
        out[self.cols_] = np.nan
        if not len(self.sums_) or not len(self.cols_):
            return out
        xy, x, xx, y, yy, n = (self.sums_[:, i] for i in range(6))
        m = np.maximum(n, 1.0)
        cov = xy / m - (x / m) * (y / m)
        var = np.clip(xx / m - (x / m) ** 2, 0.0, None) * np.clip(yy / m - (y / m) ** 2, 0.0, None)
        with np.errstate(divide="ignore", invalid="ignore"):
            r = np.where(var > 0.0, cov / np.sqrt(var), 0.0)
        warm = n >= CELL_N
        follows = warm & (r * self.signs_[self.cols_] >= CELL_R)
        cells = warm.sum(axis=0)
        share = follows.sum(axis=0) / np.maximum(cells, 1)
        enough = (cells >= MIN_CELLS) & (2 * cells >= (n > 0).sum(axis=0))
        out[self.cols_] = np.where(enough, share, np.nan)
        return out
