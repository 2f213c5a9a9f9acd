"""Known zero states: a KPI at exactly zero, as the series has shown before, is no news.

Some cells carry nothing for a while in their normal life (night maintenance, an idle
small cell): traffic, users, PRB, throughput and modulation read exactly 0 for 20 minutes
to 2 hours, a few nights a week. Against the seasonal expectation each such row is
dozens of spreads away, and every one of them was an alarm (few-series LTE cell 3 of
``benchmarks/few_series.py``: 320 of 580 false rows). Exact zero is not a level on the
series' continuum but a *state* of its own, and a state the series has entered and left
several times is part of its normal life. So, per sector and KPI, the runs of exact zeros
are counted; a zero row is *known* when the KPI has completed at least
:data:`MIN_RUNS` zero runs before and the current run is no longer than the longest of
them. A known zero's deviation features (seasonal, relations with it, change, novelty,
persistence) read 0. A zero run longer than any seen (an outage outlasting every
maintenance window), or a KPI that never sat at zero (a cell with no such nights), is
judged as before.

Only for a few series (:data:`~telecom_nb.defaults.FEW_SERIES`): a fleet's outages are
told from its peers, and its features are left as they were.
"""

from __future__ import annotations

import numpy as np

from telecom_nb.sector_index import grow_rows

#: completed zero runs a KPI must have shown before a zero of it is known
MIN_RUNS = 3


def kpi_columns(names: list[str], kpis: tuple[str, ...]) -> np.ndarray:
    """(kpis x features) mask: the feature columns that read each KPI (its own and the
    relations it takes part in)."""
    out = np.zeros((len(kpis), len(names)), dtype=bool)
    for j, kpi in enumerate(kpis):
        for i, name in enumerate(names):
            series = name.rpartition(":")[0]
            out[j, i] = kpi in series.split("/")
    return out


class ZeroStates:
    """Per sector x KPI: current zero run, completed runs and the longest one (in rows)."""

    def __init__(self, n_kpis: int) -> None:
        self.run_ = np.zeros((0, n_kpis))  # rows in the current zero run (0: not at zero)
        self.done_ = np.zeros((0, n_kpis))  # completed zero runs
        self.longest_ = np.zeros((0, n_kpis))  # rows of the longest completed run

    def known(self, rows: np.ndarray, y: np.ndarray) -> np.ndarray:
        """(rows x kpis) mask of known zeros in ``y`` (scaled KPIs; learns nothing)."""
        zero = y == 0.0
        known = (rows >= 0) & (rows < len(self.run_))
        if not zero.any() or not known.any():
            return np.zeros(y.shape, dtype=bool)
        r = np.where(known, rows, 0)
        ok = (self.done_[r] >= MIN_RUNS) & (self.run_[r] + 1.0 <= self.longest_[r])
        return zero & ok & known[:, None]

    def update(self, rows: np.ndarray, y: np.ndarray, n_rows: int) -> None:
        self.run_ = grow_rows(self.run_, n_rows)
        self.done_ = grow_rows(self.done_, n_rows)
        self.longest_ = grow_rows(self.longest_, n_rows)
        zero = y == 0.0
        run = self.run_[rows]
        ended = ~zero & (run > 0)
        self.done_[rows] += ended
        self.longest_[rows] = np.where(ended, np.maximum(self.longest_[rows], run),
                                       self.longest_[rows])
        self.run_[rows] = np.where(zero, run + 1.0, 0.0)

    def scan(self, row: int, y: np.ndarray) -> np.ndarray:
        """``known`` then ``update`` for consecutive rows ``y`` of one sector (its state row
        ``row``, existing): the same masks and state, vectorised over the rows."""
        zero = y == 0.0
        n, k = y.shape
        out = np.zeros((n, k), dtype=bool)
        if n == 0:
            return out
        idx = np.arange(n)
        for j in range(k):  # a few KPIs; each column is vectorised over the rows
            z = zero[:, j]
            run0, done0, long0 = self.run_[row, j], self.done_[row, j], self.longest_[row, j]
            prev = np.r_[run0 > 0, z[:-1]]
            start = z & ~prev
            # index of the row where the current run began (continuing runs: before 0)
            begin = np.maximum.accumulate(np.where(start, idx, -1))
            cont = begin < 0  # still in the run carried in from before
            pos = np.where(cont, run0 + idx + 1.0, idx - begin + 1.0)  # run length incl. row
            pos = np.where(z, pos, 0.0)
            ended = ~z & np.r_[run0 > 0, z[:-1]]  # first non-zero row after a run
            length = np.where(ended, np.r_[run0, pos[:-1]], 0.0)
            done = done0 + np.cumsum(ended)  # runs completed up to and including this row
            longest = np.maximum(long0, np.maximum.accumulate(length))
            out[:, j] = z & (done >= MIN_RUNS) & (pos <= longest)
            self.run_[row, j] = pos[-1]
            self.done_[row, j] = done[-1]
            self.longest_[row, j] = longest[-1]
        return out
