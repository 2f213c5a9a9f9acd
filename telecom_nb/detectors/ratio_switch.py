"""The window's rows of a KPI from before it was taken for a ratio of counts, blanked.

A drop rate is learned to be a ratio of counts (:class:`~telecom_nb.features.count_ratio.
CountRatios`) only once its values have sat on few-count fractions often enough: on an
hourly vendor world (tuning t1720, 160 cells) the VoLTE drop rate after 3.5 days, the
handover success rate after 6. Before that its seasonal z is read on the seasonal spread
of a KPI whose median hour is 0 %, and each single drop is 20-230 spreads; after it the
same drop is its binomial evidence, 2-4. The window keeps its rows for ~5 days of data
time, so at day 7.4 2.3 % of its VoLTE rows still read |z| > 20 (up to 231): the column's
tail levels start at 75-231, and every feature tail fitted on them reads any z from 3 to a
20-nat CUSUM sum (:mod:`~telecom_nb.features.count_cusum`) as the same 2.5 units. The
rate part then never reads a surge in the judged days 7-9 (t1720: three VoLTE surges of
3 hours each, 10 drops in 84 calls, score 2.10 at the sum's cap), nor the max.

So at a switch the window's cells of every column read from that KPI (its own and its
relations', by name) are set to 0, no deviation: the fits read the KPI's tail from the
rows on the new scale. 0 rather than NaN: a column with a NaN has NaN quantiles
(``feature_tails``), and every part reads 0 as no evidence. Once per KPI per stream
(the ratio decision does not go back); nothing happens on data without such a KPI.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np


def kpi_columns(names: Sequence[str], kpis: Sequence[str]) -> np.ndarray:
    """The feature columns read from any of ``kpis``: ``KPI:part`` and relations
    ``A/B:part`` naming one of them."""
    wanted = set(kpis)
    return np.array([i for i, name in enumerate(names)
                     if wanted.intersection(name.rpartition(":")[0].split("/"))],
                    dtype=np.intp)


def ratio_flags(features) -> np.ndarray | None:
    """Per KPI whether the features read it as a ratio of counts (None: no such state)."""
    parts = getattr(features, "parts_", None)
    lumpy = getattr(parts[0], "lumpy_", None) if parts else None
    return None if lumpy is None else np.asarray(lumpy.counts_.ratios(), dtype=bool).copy()


class RatioSwitch:
    """Mixin of a windowed detector: blanks the window's (and its predecessors') columns
    of a KPI when the features start reading it as a ratio of counts."""

    def _learn_view(self, view, x: np.ndarray):
        before = ratio_flags(self.features_)
        job = super()._learn_view(view, x)
        after = ratio_flags(self.features_)
        if before is None or after is None or len(before) != len(after):
            return job
        switched = after & ~before
        if switched.any():
            lumpy = self.features_.parts_[0].lumpy_
            cols = kpi_columns(list(self.features_.feature_names),
                               [k for k, s in zip(lumpy.kpis, switched, strict=True) if s])
            for window in (self._window, getattr(self._previous, "window_", None)):
                if window is not None and len(cols):
                    window.blank(cols)
        return job
