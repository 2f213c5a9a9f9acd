"""Calibrated scores: a raw score's tail probability under a *robust* null.

A raw model score means nothing on its own (an isolation depth, a distance) and
drifts from one retrain to the next; ``-log10(p)`` of its tail probability does
not. The null must not be the raw recent score distribution, though: faults in the
window would inflate it, and a threshold set at its 99th percentile would flag 1 %
of rows by construction, whatever the data. So the null is fitted to the *central*
part of the reference scores only:

* up to the 75 % quantile, ``p`` is empirical (faults are rare, they barely move it);
* beyond, the tail is exponential, anchored at the 75 % quantile with the scale that
  the 50-75 % quantile spacing implies (``P(X > q75) = 0.25``).

Rows in the window that are faults sit far out in the tail and do not enter the fit
(the null moves little whether 0 % or 5 % of the window is faulty), so
``contamination`` means the false-alarm rate expected among *normal* rows and the
real alarm rate follows the data. An exponential tail is at least as heavy as most
score tails (Gaussian-like z, bounded isolation depths), so on clean data the alarm
rate stays at or below the target: an error on the side of precision.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

#: scores are bounded by this (p ~ 1e-12), approached smoothly so that the order of
#: extreme rows is kept (a corpus-wide threshold sweep must be able to tell them apart)
MAX_SCORE = 12.0
#: below this, the score is exactly -log10(p); above, it is compressed toward MAX_SCORE
SOFT_CAP_FROM = 6.0
#: the empirical body ends (and the fitted exponential tail starts) at this quantile
TAIL_START = 0.75
#: the tail's scale is read from the spacing between this quantile and TAIL_START
SCALE_FROM = 0.5


@dataclass(frozen=True)
class TailCalibrator:
    """Maps raw scores to ``-log10`` tail probability under a robust null; immutable."""

    reference: np.ndarray  # sorted raw scores (the empirical body)
    anchor: float  # the TAIL_START quantile of the reference
    tail_scale: float  # exponential scale of the tail beyond the anchor

    @classmethod
    def fit(cls, raw_scores: np.ndarray) -> TailCalibrator:
        ref = np.sort(np.asarray(raw_scores, dtype=np.float64))
        ref = ref[np.isfinite(ref)]
        if len(ref) == 0:
            raise ValueError("cannot calibrate on an empty reference sample")
        lo, anchor = np.quantile(ref, [SCALE_FROM, TAIL_START])
        # P(X > lo) = 1 - SCALE_FROM, P(X > anchor) = 1 - TAIL_START, exponential between
        scale = (anchor - lo) / math.log((1 - SCALE_FROM) / (1 - TAIL_START))
        spread = float(ref[-1] - ref[0])
        floor = max(1e-6 * spread, 1e-12, 1e-9 * abs(anchor))
        return cls(ref, float(anchor), float(max(scale, floor)))

    def p_value(self, raw: np.ndarray) -> np.ndarray:
        """Tail probability of each raw score under the null (NaN -> 1)."""
        raw = np.nan_to_num(np.asarray(raw, dtype=np.float64), nan=-np.inf)
        n = len(self.reference)
        at_least = n - np.searchsorted(self.reference, raw, side="left")
        p = (1.0 + at_least) / (n + 1.0)
        tail = raw > self.anchor
        if tail.any():
            excess = (raw[tail] - self.anchor) / self.tail_scale
            p[tail] = (1.0 - TAIL_START) * np.exp(-np.minimum(excess, 1e3))
        return p

    def log_p(self, raw: np.ndarray) -> np.ndarray:
        """``-log10`` of the tail probability, computed without underflow (NaN -> 0)."""
        raw = np.nan_to_num(np.asarray(raw, dtype=np.float64), nan=-np.inf)
        n = len(self.reference)
        at_least = n - np.searchsorted(self.reference, raw, side="left")
        out = -np.log10((1.0 + at_least) / (n + 1.0))
        tail = raw > self.anchor
        if tail.any():
            excess = np.minimum((raw[tail] - self.anchor) / self.tail_scale, 1e300)
            out[tail] = -math.log10(1.0 - TAIL_START) + excess / math.log(10.0)
        return out

    def __call__(self, raw: np.ndarray) -> np.ndarray:
        s = self.log_p(raw)
        room = MAX_SCORE - SOFT_CAP_FROM
        over = np.maximum(s - SOFT_CAP_FROM, 0.0)
        # rational, not exponential, compression: distinct up to astronomically small p
        return np.where(s > SOFT_CAP_FROM, SOFT_CAP_FROM + room * over / (over + room), s)
