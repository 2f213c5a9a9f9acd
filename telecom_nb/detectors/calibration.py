"""Calibrated scores: the raw score's tail probability against a reference sample.

A raw model score means nothing on its own (an isolation depth, a distance) and
drifts from one retrain to the next. Its empirical tail probability ``p`` among
the scores of the data the model was trained on does not: ``-log10(p)`` is 2 for
"one row in a hundred scores this high", whatever the model, fleet size or
retrain. Beyond the largest reference score the tail is extrapolated
exponentially (scale = mean excess of the top scores) so that extreme rows keep
their order instead of all saturating.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

#: scores this far out get p ~ 1e-12: bounded, finite
MAX_SCORE = 12.0


@dataclass(frozen=True)
class TailCalibrator:
    """Maps raw scores to ``-log10`` tail probability; immutable once fitted."""

    reference: np.ndarray  # sorted raw scores
    tail_scale: float

    @classmethod
    def fit(cls, raw_scores: np.ndarray) -> TailCalibrator:
        ref = np.sort(np.asarray(raw_scores, dtype=np.float64))
        ref = ref[np.isfinite(ref)]
        if len(ref) == 0:
            raise ValueError("cannot calibrate on an empty reference sample")
        k = max(5, len(ref) // 100)
        top = ref[-k:]
        scale = float(np.mean(top - top[0])) if len(ref) > k else 0.0
        spread = float(ref[-1] - ref[0])
        return cls(ref, max(scale, 1e-3 * spread, 1e-12))

    def __call__(self, raw: np.ndarray) -> np.ndarray:
        raw = np.nan_to_num(np.asarray(raw, dtype=np.float64), nan=-np.inf)
        n = len(self.reference)
        at_least = n - np.searchsorted(self.reference, raw, side="left")
        p = (1.0 + at_least) / (n + 1.0)
        beyond = raw > self.reference[-1]
        if beyond.any():
            excess = (raw[beyond] - self.reference[-1]) / self.tail_scale
            p[beyond] = p[beyond] * np.exp(-np.minimum(excess, 1e3))
        return np.minimum(-np.log10(p), MAX_SCORE)
