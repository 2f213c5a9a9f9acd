"""A pool's held-level part: how far a shift held for hours, against the pool's own null.

The held z (:mod:`~telecom_nb.features.held_level`) is nonzero on a fifth of a pool's rows
or fewer; each KPI's p is the chance that a row holds that far: the share of the window's
rows (those with a shift statistic) that hold, times the tail of the holding rows' |z| (fitted
as the shift part's null, :mod:`.shift_part`: declustered, a held z lasts hours; the
shoulder's scale, as a pool's shift null; at least ``MIN_SHIFT_ROWS`` rows). The strongest
KPI's ``-log10 p`` counts, Bonferroni over the KPIs with a null. A pool's window holds its
cells' wander for weeks, so a cell that wanders often widens the null its shifts are read
against.
A young window's null waits for :data:`MIN_EPISODES` separate holds per KPI: its first
1,000 holding rows can be a few long wanders, whose tail is too thin to read 10^-7. Where
the rows' previous rows are known those holds are the null's sample (its tail is fitted on
them, declustered), so no count of holding rows is asked besides: a row count is data
time that depends on the cadence (a 3-cell hourly pool, few-series ``lte60``, holds on about
one row in two, ~35 holding rows and ~9 holds a day: its 1,000th holding row came ~5 days
after its 200th hold). Without the previous rows holds cannot be told apart and
``MIN_SHIFT_ROWS`` holding rows are asked, as before.

Only for a pool of 2+ series: one series' window holds too few long wanders for a tail, and
its first day-long drift read 10^-5 (few-series ``cdn24`` seed 2025, one service of 24
KPIs: one day's latent drift, 28 -> 64 false rows; two NAB files, the ambient temperature's
and the taxi demand's, one false alarm each); no floor or cap tried fixed it without
losing the pools' shifts (``benchmarks/MEASURED.md``, level36).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from telecom_nb.detectors.calibration import TailCalibrator
from telecom_nb.detectors.shift_part import MIN_SHIFT_ROWS, bonferroni, declustered_null

#: fewest separate holds (holding rows whose sector's previous row did not hold) before a
#: KPI has a null: a young window's few long holds read a thin tail (few-series ``lte``
#: seed 2027, day 6: traffic's 174 holds in 1,145 holding rows, scale 0.09 against 0.2-0.3
#: later, so a cell's held z of 2.5 read 10^-7). Counted in holds, not rows: a hold lasts
#: more rows at a shorter cadence, and 3,000 rows lost every pool's held shifts (level36)
MIN_EPISODES = 200


@dataclass(frozen=True)
class HeldNull:
    """Per held column: its share of holding rows and its holding rows' null."""

    columns: np.ndarray
    share: np.ndarray
    nulls: tuple[TailCalibrator | None, ...]

    @classmethod
    def fit(
        cls,
        ref: np.ndarray,
        previous: np.ndarray | None,
        columns: np.ndarray,
        shift: np.ndarray,
        spacings: tuple[tuple[float, float], ...],
    ) -> HeldNull | None:
        """From the window ``ref`` (its rows' sectors' previous rows ``previous``); the
        shift columns ``shift`` tell which rows have a statistic. None: too few rows with
        one (as few as the shift part's null needs); a column's null also waits for
        :data:`MIN_EPISODES` separate holds (without ``previous``: as many holding rows as
        the shift part's rows)."""
        has = (ref[:, shift] != 0).any(axis=1)
        if has.sum() < MIN_SHIFT_ROWS:
            return None
        nulls, share = [], []
        for c in columns:
            s = np.abs(ref[has, c])
            hold = s > 0
            share.append(max(hold.mean(), 1.0 / len(s)))
            before = None
            if previous is not None:  # the separate holds are the sample: in data time
                before = np.abs(np.nan_to_num(previous[has, c], nan=0.0))[hold]
                enough = (before == 0).sum() >= MIN_EPISODES
            else:  # rows only: holds cannot be told apart
                enough = hold.sum() >= MIN_SHIFT_ROWS
            if not enough:
                nulls.append(None)
                continue
            nulls.append(declustered_null(s[hold], before, spacings))
        if all(n is None for n in nulls):
            return None
        return cls(np.asarray(columns, dtype=np.intp), np.array(share), tuple(nulls))

    def score(self, features: np.ndarray) -> np.ndarray:
        """The part's score of each row (``-log10 p``, Bonferroni over the KPIs)."""
        each = []
        for c, null, share in zip(self.columns, self.nulls, self.share, strict=True):
            if null is None:
                continue
            s = np.abs(features[:, c])
            each.append(np.where(s > 0, null.log_p(s) - math.log10(share), 0.0))
        return bonferroni(np.max(each, axis=0), len(each))
