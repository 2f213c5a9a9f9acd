"""A few series' joint level shift: the m-th strongest same-side KPI shift, on its own null.

A cell that loses a third of its load moves traffic, users and PRB by a shift z of 3-4.6
each: one KPI that far is an everyday hour's wander (the strongest KPI's |shift z| on the
few-series LTE stand-ins' normal rows: 5.36 at 99.9 %), so the shift part (strongest KPI,
:mod:`.shift_part`) misses it. Three KPIs that far *on one side at once* are rare (the third
strongest same-side shift z: 2.12 at 99.9 % of normal rows, max 2.88; the missed shifts
1.47-2.88). Per m = 2 .. :data:`MAX_M`, the m-th largest of the row's positive shift z, and
of its negative ones, the larger of the two, is read against its own null: the share of the
window's rows (those with a shift statistic) where it is above 0, times the tail of those
rows' values (declustered, the shift part's recipe: a shift lasts hours). The strongest m
counts, Bonferroni over the m's with a null and :data:`FACTOR`. Which KPIs move is not
fixed: no KPI is named.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from telecom_nb.detectors.calibration import TailCalibrator
from telecom_nb.detectors.shift_part import MIN_SHIFT_ROWS, bonferroni, declustered_null

#: the most KPIs counted together, m = 2 .. MAX_M (a cell's load moves traffic, users and
#: PRB together; a larger MAX_M was not tried)
MAX_M = 3
#: a further Bonferroni factor: one more evidence in the shift part's max raises every
#: normal row's score (few_series lte5 + lte, tuning seeds 2790-2792, events / false rows:
#: main 121 / 1,172; factor 1 124 / 1,264, 2 124 / 1,220, 4 123 / 1,193)
FACTOR = 4


def mth_same_side(z: np.ndarray, m: int) -> np.ndarray:
    """Per row of ``z`` (rows x KPIs, signed shift z), the larger of the m-th largest
    positive z and the m-th largest negative |z| (0: fewer than m on either side)."""
    up = np.sort(np.maximum(z, 0.0), axis=1)[:, -m]
    down = np.sort(np.maximum(-z, 0.0), axis=1)[:, -m]
    return np.maximum(up, down)


@dataclass(frozen=True)
class JointShift:
    """Per m: the share of rows where the m-th same-side shift is above 0, and its null."""

    columns: np.ndarray
    ms: tuple[int, ...]
    share: np.ndarray
    nulls: tuple[TailCalibrator, ...]

    @classmethod
    def fit(cls, ref: np.ndarray, previous: np.ndarray | None, columns: np.ndarray,
            spacings: tuple[tuple[float, float], ...]) -> JointShift | None:
        """From the window ``ref`` (its rows' sectors' previous rows ``previous``); None:
        fewer than two shift columns, or no m with :data:`MIN_SHIFT_ROWS` rows above 0."""
        if len(columns) < 2:
            return None
        z = np.nan_to_num(ref[:, columns], nan=0.0)
        has = (z != 0).any(axis=1)
        if has.sum() < MIN_SHIFT_ROWS:
            return None
        z = z[has]
        zp = None if previous is None else np.nan_to_num(previous[has][:, columns], nan=0.0)
        ms, share, nulls = [], [], []
        for m in range(2, min(MAX_M, len(columns)) + 1):  # two or three: a loop over m
            s = mth_same_side(z, m)
            above = s > 0
            if above.sum() < MIN_SHIFT_ROWS:
                continue
            before = None if zp is None else mth_same_side(zp, m)[above]
            ms.append(m)
            share.append(max(above.mean(), 1.0 / len(s)))
            nulls.append(declustered_null(s[above], before, spacings))
        if not ms:
            return None
        return cls(np.asarray(columns, dtype=np.intp), tuple(ms), np.array(share),
                   tuple(nulls))

    def score(self, features: np.ndarray) -> np.ndarray:
        """The part's score of each row (``-log10 p``, Bonferroni over the m's x FACTOR)."""
        z = np.nan_to_num(features[:, self.columns], nan=0.0)
        each = []
        for m, null, share in zip(self.ms, self.nulls, self.share, strict=True):
            s = mth_same_side(z, m)
            each.append(np.where(s > 0, null.log_p(s) - math.log10(share), 0.0))
        return bonferroni(np.max(each, axis=0), FACTOR * len(each))
