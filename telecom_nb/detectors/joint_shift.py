"""A few series' joint level shift: the m-th strongest same-side KPI, held for hours.

A cell that loses a third of its load moves traffic, users and PRB by a shift z of 3-4.6
each: one KPI that far is an everyday hour's wander (the strongest KPI's |shift z| on the
few-series LTE stand-ins' normal rows: 5.36 at 99.9 %), so the shift part (strongest KPI,
:mod:`.shift_part`) misses it. Several KPIs that far *on one side at once* are rarer, and
rarer still when each has *held* there for hours: the held z
(:mod:`~telecom_nb.features.held_level`, the smallest same-sign |shift z| of the hour now and
the hours 1, 2 and 3 h before, lagged in data time) does not count rows, so a 2-minute and a
5-minute series hold over the same hours (few_series ``lte5`` seed 2800, normal rows: the
third strongest same-side held z 0.77 at 99.9 %, 1.12 at most; the level shifts 0.4-3.0, six
of eight beyond 1.6 -- the third strongest *shift* z reads 2.15 at 99.9 %, the shifts
2.5-4.6: half the margin).

Per m = 2 .. :data:`MAX_M`, the m-th largest of the row's positive held z, and of its
negative ones, the larger of the two, is read against its own null: the share of the
window's rows (those with a shift statistic) where it is above 0, times the tail of those
rows' values (declustered, the shift part's recipe). The strongest m counts, Bonferroni over
the m's with a null and :data:`FACTOR`. Which KPIs move is not fixed: no KPI is named.
Only for a pool of 2+ series, as the held part (:mod:`.held_part`: one series' window holds
too few long wanders for a tail).
Its known cost: the hour after a shift or a collapse ends, when the recent bin's small
same-side z is the held z's minimum and the three hours before were the fault's (14 of the
20 false rows it led on few_series ``lte5`` seed 2801); at 2 minutes that hour is 30 rows.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from telecom_nb.detectors.calibration import TailCalibrator
from telecom_nb.detectors.shift_part import MIN_SHIFT_ROWS, bonferroni, declustered_null

#: the most KPIs counted together, m = 2 .. MAX_M (a cell's load moves traffic, users and
#: PRB together)
MAX_M = 3
#: a further Bonferroni factor: one more evidence in the shift part's max raises every
#: normal row's score (few_series lte5 tuning seed 2800, false rows: main 186, factor 1
#: 237, 4 211; a shift's held hours read 4-6.5 with factor 1, so 4 costs ~0.6 of them)
FACTOR = 4
#: fewest window rows whose m-th same-side held z is above 0 before that m has a null: a
#: third KPI holds on ~4 % of a pool's rows (lte5: ~43 rows a day), so the shift part's
#: 1,000 would wait three weeks
MIN_HELD_ROWS = 200
#: the null leaves out window rows the shift part reads at this or more ...
TRIM_SCORE = 2.0
#: ... but never more than this share of them (the highest-read)
MAX_TRIM = 0.1


def left_out(read: np.ndarray) -> np.ndarray:
    """The window rows the null leaves out: those the shift part reads at :data:`TRIM_SCORE`
    or more, at most :data:`MAX_TRIM` of them (the highest). A window's own shifts hold
    for hours and a third KPI holds on ~3 % of normal rows: with them the third KPI's
    holding rows were ~45 % shifts (few_series ``lte5`` seed 2801, the third strongest
    same-side held z at 2.0 read ``-log10 p`` 2.5 with them, 4.0 without the rows scored 2+,
    6.6 on normal rows alone). The shift part never reads this part: no ratchet."""
    out = read >= TRIM_SCORE
    most = int(MAX_TRIM * len(read))
    if out.sum() > most:
        out = np.zeros(len(read), dtype=bool)
        out[np.argsort(-read, kind="stable")[:most]] = True
    return out


def mth_same_side(z: np.ndarray, m: int) -> np.ndarray:
    """Per row of ``z`` (rows x KPIs, signed), the larger of the m-th largest positive z
    and the m-th largest negative |z| (0: fewer than m on either side)."""
    up = np.sort(np.maximum(z, 0.0), axis=1)[:, -m]
    down = np.sort(np.maximum(-z, 0.0), axis=1)[:, -m]
    return np.maximum(up, down)


@dataclass(frozen=True)
class JointShift:
    """Per m: the share of rows where the m-th same-side held z is above 0, and its null."""

    columns: np.ndarray
    ms: tuple[int, ...]
    share: np.ndarray
    nulls: tuple[TailCalibrator, ...]

    @classmethod
    def fit(cls, ref: np.ndarray, previous: np.ndarray | None, columns: np.ndarray,
            shift: np.ndarray, spacings: tuple[tuple[float, float], ...],
            read: np.ndarray | None = None) -> JointShift | None:
        """From the window ``ref`` (its rows' sectors' previous rows ``previous``) and its
        held columns ``columns``; the shift columns ``shift`` tell which rows have a
        statistic; ``read``: the shift part's score of each row (:func:`left_out`). None:
        fewer than two KPIs, fewer than :data:`MIN_SHIFT_ROWS` rows with a statistic, or no
        m with :data:`MIN_HELD_ROWS` rows above 0."""
        if len(columns) < 2:
            return None
        has = (ref[:, shift] != 0).any(axis=1)
        if read is not None:
            has &= ~left_out(read)
        if has.sum() < MIN_SHIFT_ROWS:
            return None
        z = np.nan_to_num(ref[has][:, columns], nan=0.0)
        zp = None if previous is None else np.nan_to_num(previous[has][:, columns], nan=0.0)
        ms, share, nulls = [], [], []
        for m in range(2, min(MAX_M, len(columns)) + 1):  # two or three: a loop over m
            s = mth_same_side(z, m)
            above = s > 0
            if above.sum() < MIN_HELD_ROWS:
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
