"""A spread floor for loads at small volumes: a value made of a few users is no more precise
than its count.

The seasonal part compares loads (volumes, users, PRB, Erlangs) on ``log1p``, whose fixed
offset of 1 is below the resolution of some KPIs and above others': below 1 unit it is
linear, so an idle slot's level (0.02 MB a quarter hour at a quiet cell at night) has a
spread of a few hundredths, and one user's quarter hour (3 MB) reads 7-12 spreads while
the same cell's other 1-user quarters read 0. Such a load's noise at a small expected
value is that of its count: one user more or less, whatever the slot's history of idle
quarters. So each load's spread is floored at ``FLOOR_SHARE`` of its median in
its own units (what a quiet cell carries: a user or two), put on the log axis at the
expected value and faded past one quantum (``s0 / (1 + x) * s0 / (s0 + x)``): 0.013 on the
log axis at a cell at the median, below any cell's spread, whose faults read as before.

Which KPIs are loads is learned from their values, no names: never negative and
reaching near 0 (a batch's 1 % quantile at most ``RANGE_SHARE`` of its median); latency,
throughput or quality indicators never come near their own 0. Ratios of counts and
zero-inflated KPIs have their own treatment (:mod:`~telecom_nb.features.lumpy`) and are
left out. A relation (a log ratio) of two KPIs takes its members' floors in quadrature:
UL volume per user at one user is as uncertain as that user's volume.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from telecom_nb.features.masked_mean import column_any, column_counts

if TYPE_CHECKING:
    from telecom_nb.features.lumpy_kernel import ColumnStats

#: the quantiles of a batch's values kept (EW over batches): near 0, median
QUANTILES = np.array([0.01, 0.5])
#: a KPI whose 1 % quantile is at most this share of its median reaches near 0: a load
#: (volumes, users, PRB, Erlangs 0.012-0.016 on an operator export; throughput 0.19,
#: latency 0.46, CQI 0.79: batch quantiles averaged over batches)
RANGE_SHARE = 0.05
#: a load's noise floor in its own units: this share of its median (a quiet cell's user
#: or two; the median, not a lower quantile: a fleet's idle rows may be a quarter of all)
FLOOR_SHARE = 0.12
#: EW weight of a batch's quantiles (after the first 1 / ALPHA batches: a running mean):
#: a memory of 2 days of 15-minute batches, 8 of hourly ones (the daily cycle averages out)
ALPHA = 0.005
#: rows a batch's quantiles are read from (strided: a 100k-sector tick costs as a small one)
SAMPLE_ROWS = 2048


class CountFloor:
    """Per KPI: the quantiles of its values (learned) and the spread floor they imply."""

    def __init__(self, n_kpis: int) -> None:
        self.quantiles_ = np.full((len(QUANTILES), n_kpis), np.nan)
        self.batches_ = np.zeros(n_kpis)  # batches with a finite value, per KPI
        self.negative_ = np.zeros(n_kpis, dtype=bool)  # a negative value was seen

    @staticmethod
    def sample_step(n_rows: int) -> int:
        """The stride of the rows a batch of ``n_rows`` is learned from."""
        return max(1, -(-n_rows // SAMPLE_ROWS))

    def update(self, raw: np.ndarray, stats: ColumnStats | None = None) -> None:
        """Learn a batch's values (rows x KPIs, own units); ``stats``: their counts
        (:func:`~telecom_nb.features.lumpy_kernel.column_stats`), else counted here."""
        if not len(raw):
            return
        v = raw[:: self.sample_step(len(raw))]
        ok = np.isfinite(v)
        if stats is None:
            n = column_counts(ok)
            self.negative_ |= column_any(ok & (v < 0.0))
        else:
            n = stats.floor_finite
            self.negative_ |= stats.floor_negative
        have = n > 0
        if not have.any():
            return
        ordered = np.sort(np.where(ok, v, np.inf), axis=0)  # the finite values first
        at = np.floor(QUANTILES[:, None] * (np.maximum(n, 1) - 1)[None, :]).astype(np.intp)
        q = np.take_along_axis(ordered, at, axis=0)
        self.batches_ += have
        alpha = np.maximum(1.0 / np.maximum(self.batches_, 1.0), ALPHA)
        cur = self.quantiles_
        new = np.where(np.isfinite(cur), cur + alpha * (q - cur), q)
        self.quantiles_ = np.where(have[None, :], new, cur)

    def noise(self, skip: np.ndarray) -> np.ndarray:
        """Per KPI: the load's noise floor in its own units (0: not a load, or ``skip``)."""
        low, median = self.quantiles_
        # where the median is finite, ``~(low > share * median)`` is ``nan_to_num(low) <=
        # share * median`` (NaN low: 0, +inf: the largest float) without nan_to_num's ~10 us
        # per call, as ``share * median`` is its ``share * nan_to_num(median)`` (comparing
        # NaN and scaling inf raise no warning)
        load = (
            ~self.negative_
            & ~skip
            & np.isfinite(median)
            & (median > 0.0)
            & ~(low > RANGE_SHARE * median)
        )
        return np.where(load, FLOOR_SHARE * median, 0.0)

    def floors(
        self,
        expected: np.ndarray,
        pair_cols: np.ndarray,
        s0: np.ndarray,
        offsets: np.ndarray | None = None,
    ) -> np.ndarray:
        """rows x (KPIs, then relations): the spread floor on the log axis at ``expected``
        (the KPIs' expected values in their own units) for the noise floors ``s0``
        (:meth:`noise`; 0: no floor); ``offsets`` the KPIs' ``c`` in the relations
        (None: 1, ``log1p``)."""
        x = np.abs(np.nan_to_num(expected))
        # fades as the count grows past one quantum (x = s0: half, 3x: a quarter): a cell at
        # half the median (a quiet hour of a normal cell: a 6x surge read 13.8 spreads, 6.2
        # without the fade) keeps its own spread
        fade = np.divide(s0, s0 + x, out=np.zeros_like(x), where=s0 + x > 0)
        f = s0[None, :] / (1.0 + x) * fade
        if len(pair_cols):
            # a relation member on log(c + x): s0 is s0 / (c + x) there
            g = f if offsets is None else s0[None, :] / (offsets[None, :] + x) * fade
            pairs = np.hypot(g[:, pair_cols[:, 0]], g[:, pair_cols[:, 1]])
            f = np.hstack([f, pairs])
        return f
