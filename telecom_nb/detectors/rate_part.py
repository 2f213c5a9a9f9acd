"""A fleet's rate part: each ratio-of-counts KPI's seasonal column on its own deep tail.

A VoLTE drop surge at a quiet cell is a few dropped calls of a few: the count runs add them
up and the drop rate's seasonal column reads 6-10 tail units, but the max over ~140 features
flags a row only at ~9.5-10 units, where other columns' heavy deep tails put the normal max
(8.9 units at 1 in 1,000, 13.9 at 1 in 10,000). The drop rate's own tail is light: on an
hourly world (1052) its judged normal rows reach 2.6 units at 1 in 100, 3.7 at 1 in 1,000
and 4.8 at 1 in 10,000 -- a clean exponential from the 99 % level on -- so 6 units is
already ~1 in 100,000 for that column alone.

So each ratio KPI's seasonal column (the KPIs :class:`~telecom_nb.features.count_ratio.
CountRatios` learned from the values, no names) gets a null of its own on the window's
declustered rows: an exponential beyond its 99 % quantile with the scale of the larger of
its 99-99.5 and 99.5-99.9 % spacings. Not from the 90 % level on: such a column is 0 on
most rows (92 % on 1052), and the 90-99 % spacings are the jump off that zero mass (a
prototype took the largest of them, the persistence part's rule, and found no surge more).
The strongest column's ``-log10 p`` less ``log10`` of the number of columns read
(Bonferroni) is the part, 0 below :data:`FLOOR`. The window holds the faults too: faults
starting among the declustered rows move its 99.9 % quantile by a log-sized step (a share
``f`` of far rows puts it at the noise's ``0.1 % - f``), a small widening, never a shift of
the anchor. Fleets at 30 minutes or slower (the detector's gate, ``RATE_STEP``): at 15
minutes the same fit found one surge more for 34 more false-alarm rows (offline, tuning
world 1050); once the count runs kept their memory in data time (twentieth session) a
30-minute world's surges reach it too. Finer, down to where the ratio CUSUM keeps its sums
(:mod:`~telecom_nb.features.count_cusum`, 15 minutes), a column is read only at or beyond
the |z| where that CUSUM reads a sum (:attr:`RatePart.least`; the null is still fitted on
every value): read one by one, a quiet cell's quarter hours (1 failure of 1-2 attempts) made
54 false-alarm rows for 2 surges (thirty-eighth session, w2178); read only as sums, 3 for 2.
Such a sum scores at least what the CUSUM's own null says (:func:`sum_log_p`): the column's
tail is fitted on single quarter hours' z, and on it a sum of 12.1 nats, 2.9 beyond the
level where that null reads 1 in 100,000, scored 2.82, under the flag (volte61, v3179).

What the window cannot show is a tail that grows heavier beyond its 99.9 % (a few dozen
rows): a t-distributed column (2 degrees of freedom) at its 1 in 10,000 reads ~1 in
70,000. The hourly worlds' ratio columns are not that (1052's CSSR and handover columns,
heavier deep than the drop rates, made 0-1 false-alarm rows offline).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from telecom_nb.detectors.calibration import MIN_DECLUSTERED, exp_tail_log_p
from telecom_nb.detectors.feature_tails import FeatureTails
from telecom_nb.features.count_cusum import P_READ, SCALE

#: the quantile where each column's exponential tail starts
START = 0.99
#: quantile pairs whose spacing each implies the tail's scale: the largest is taken (a tail
#: that grows heavier deeper, a handover success rate's, widens it, never the reverse)
SPACINGS: tuple[tuple[float, float], ...] = ((0.99, 0.995), (0.995, 0.999))
#: the part reads 0 below this score (see the area part's ``FLOOR``)
FLOOR = 2.0


def sum_log_p(s: np.ndarray, least: np.ndarray) -> np.ndarray:
    """``-log10 p`` of CUSUM sums ``s`` (nats) on the sums' own null, 0 below ``least``
    (where that null reads :data:`~telecom_nb.features.count_cusum.P_READ`): beyond it the
    null falls by ``exp(-1 / SCALE)`` a nat, learned or the chance bound alike
    (:meth:`~telecom_nb.features.count_cusum.CountCusum.log_p`). NaN: not read."""
    s = np.nan_to_num(s, nan=-np.inf)
    read = -math.log10(P_READ) + (s - least) / (SCALE * math.log(10.0))
    return np.where(s >= least, read, 0.0)


def rate_columns(names: list[str], kpis: list[str], ratios: np.ndarray) -> tuple[int, ...]:
    """The seasonal columns of the KPIs ``ratios`` marks (per KPI of ``kpis``)."""
    at = {name: i for i, name in enumerate(names)}
    return tuple(
        at[f"{k}:season_z"]
        for k, is_ratio in zip(kpis, ratios, strict=True)
        if is_ratio and f"{k}:season_z" in at
    )


@dataclass(frozen=True)
class RatePart:
    """Per ratio column an exponential beyond its own 99 %; the strongest, Bonferroni."""

    columns: np.ndarray  # (C,) the seasonal columns read
    tails: FeatureTails  # their tails (a slice of the fit's): |z| -> tail units
    anchor: np.ndarray  # (C,) each column's 99 % quantile of units
    scale: np.ndarray  # (C,) its 99-99.9 % spacing's exponential scale
    penalty: float  # log10 of the number of columns
    #: (C,) |z| a value needs to be read (None: every value; below 30 minutes the level
    #: where the ratio's CUSUM reads a sum)
    least: np.ndarray | None = None

    @classmethod
    def fit(
        cls,
        tails: FeatureTails,
        ref: np.ndarray,
        columns: tuple[int, ...],
        continues: np.ndarray | None = None,
        least: np.ndarray | None = None,
    ) -> RatePart | None:
        """None without a column whose window spreads beyond its 99 % quantile (a column
        still 0 at 99.9 % has no tail in the window to read its rarity from); ``least``:
        :attr:`least` (the null is still every value's: a heavier tail, never a lighter)."""
        if not len(columns):
            return None
        cols = np.asarray(columns, dtype=np.int64)
        sliced = tails.select(cols)
        units = np.nan_to_num(sliced.units(ref[:, cols]))
        if continues is not None and (~continues).sum() >= MIN_DECLUSTERED:
            units = units[~continues]
        levels = np.array(SPACINGS)
        q = np.quantile(units, levels.ravel(), axis=0).reshape(*levels.shape, -1)
        scale = np.max(
            (q[:, 1] - q[:, 0]) / np.log((1 - levels[:, :1]) / (1 - levels[:, 1:])), axis=0
        )
        keep = scale > 0
        if not keep.any():
            return None
        anchor = np.quantile(units[:, keep], START, axis=0)
        return cls(
            cols[keep],
            tails.select(cols[keep]),
            anchor,
            scale[keep],
            math.log10(int(keep.sum())),
            None if least is None else np.asarray(least, dtype=np.float64)[keep],
        )

    def __call__(self, features: np.ndarray) -> np.ndarray:
        """Per row the strongest column's ``-log10 p`` less the Bonferroni, 0 below
        :data:`FLOOR` (its body would lift the raw score's quartiles)."""
        z = features[:, self.columns]
        units = np.nan_to_num(self.tails.units(z))
        if self.least is not None:  # only a sum's evidence (NaN compares False: not read)
            units = np.where(np.abs(z) >= self.least, units, 0.0)
        top = -math.log10(1 - START)
        log_p = np.where(
            units > self.anchor, exp_tail_log_p(units, self.anchor, self.scale, top), 0.0
        )
        if self.least is not None:  # a read sum: at least as rare as its own null says
            log_p = np.maximum(log_p, sum_log_p(np.abs(z), self.least))
        score = log_p.max(axis=1) - self.penalty
        return np.where(score >= FLOOR, score, 0.0)
