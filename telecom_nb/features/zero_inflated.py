"""KPIs at exactly 0 nearly always (seconds of unavailability): judged on a linear scale.

Such a KPI's spread is the floor (its level is 0 and so are nearly all its residuals), so
every nonzero value is hundreds of spreads on the log scale the seasonal part uses, and
the log compresses what separates normal life from a fault: a 5-300 s blip and a full
hour's outage (3,600 s) are 570 and 820 floors apart, the blip setting the null the
outage is judged against. A KPI is taken for zero-inflated when the data show it: no
negative value and at least ``MIN_ZERO_SHARE`` of its values exactly 0. Its z is then
its distance from the expectation in units of the fleet's typical nonzero value (the
median of nonzero values over the batches, EW), times ``Z_PER_TYPICAL``: a typical blip
reads a few units, an outage twelve times a typical blip twelve times as many.
Learned from the data, no KPI names.
"""

from __future__ import annotations

import numpy as np

#: share of exact zeros that makes a KPI zero-inflated ...
MIN_ZERO_SHARE = 0.95
#: ... once it has this many values
MIN_VALUES = 1000
#: z of a deviation as large as the fleet's typical nonzero value
Z_PER_TYPICAL = 3.0
#: EW weight of a batch's median nonzero value (a batch with one counts as little)
TYPICAL_ALPHA = 0.05


class ZeroInflated:
    """Which KPIs are zero-inflated (learned), and their typical nonzero value."""

    def __init__(self, n_kpis: int) -> None:
        self.values_ = np.zeros(n_kpis)
        self.zeros_ = np.zeros(n_kpis)
        self.negative_ = np.zeros(n_kpis, dtype=bool)
        self.typical_ = np.full(n_kpis, np.nan)  # EW of the batches' median nonzero value

    def which(self) -> np.ndarray:
        """Per KPI: True where the data show a zero-inflated KPI with a typical value."""
        share = self.zeros_ / np.maximum(self.values_, 1.0)
        return (~self.negative_ & (self.values_ >= MIN_VALUES) & (share >= MIN_ZERO_SHARE)
                & np.isfinite(self.typical_) & (np.nan_to_num(self.typical_) > 0))

    def z(self, raw: np.ndarray, expected: np.ndarray, z: np.ndarray) -> np.ndarray:
        """``z`` (rows x KPIs) with the zero-inflated KPIs' columns on the linear scale."""
        cols = np.flatnonzero(self.which())
        if not len(cols):
            return z
        out = z.copy()
        lin = (raw[:, cols] - expected[:, cols]) / self.typical_[cols] * Z_PER_TYPICAL
        out[:, cols] = np.where(np.isfinite(lin), lin, z[:, cols])
        return out

    def update(self, raw: np.ndarray) -> None:
        ok = np.isfinite(raw)
        self.values_ += ok.sum(axis=0)
        self.zeros_ += (ok & (raw == 0.0)).sum(axis=0)
        self.negative_ |= (ok & (raw < 0.0)).any(axis=0)
        share = self.zeros_ / np.maximum(self.values_, 1.0)
        for j in np.flatnonzero(~self.negative_ & (share >= MIN_ZERO_SHARE)):  # a few KPIs
            col = raw[:, j]
            nonzero = col[ok[:, j] & (col > 0.0)]  # few: the KPI is nearly always 0
            if not nonzero.size:
                continue
            med = float(np.median(nonzero))
            cur = self.typical_[j]
            self.typical_[j] = med if not np.isfinite(cur) else cur + TYPICAL_ALPHA * (med - cur)
