"""A fleet's area part: two KPI families off in the sector *and* its neighbourhood at once.

A backhaul fault slows a few neighbouring sites together: every cell's throughput falls,
its latency and drop rate rise, for hours. The area columns
(:mod:`~telecom_nb.features.area`) see it as the geometric mean of the cell's own seasonal z
and its nearest sectors' median, where both go the same way: 5-14 spreads on the cells of
such a cluster, for two or three KPIs that do not move together in normal life. Until now
only the KPI families' part read them, mixed with every KPI's own-history columns: there a
cluster cell's family sum (3.2-3.8 raw) sits among the everyday sums of two families'
own excursions, and hourly cluster cells stayed at scores 1.7-2.99 (tuning world 1020: 12
of 210 such cells missed, each with area columns of 4-14 on two or three families).

Here the same statistic as the families' -- the two strongest families' tail units summed
(Fisher's sum for two p-values) -- is read on the area columns alone, each in units of its
own declustered tail. A crowd at two neighbouring sites moves one family (traffic, users,
PRB) and counts once; a lone faulty cell among healthy ones has no area evidence. The
statistic is 0 on most rows (the area reads 0 where the cell and its area disagree), so its
null is the window's *shoulder* (90-95 %, declustered), as the run part's, with its p doubled
for being one more evidence in the max of parts. A window whose shoulder is still 0 (the
area's first day, sparse coordinates) gets no part: an exponential of scale ~0 would call any
area evidence extreme.
"""

from __future__ import annotations

import math

import numpy as np

from telecom_nb.detectors import score_kernels
from telecom_nb.detectors.calibration import SHOULDER, TailCalibrator
from telecom_nb.detectors.feature_tails import FeatureTails
from telecom_nb.detectors.grouped_units import GroupedUnits
from telecom_nb.detectors.kpi_families import families, top_two_sum

#: the feature kind read
AREA_KIND = "area_z"
#: ``-log10`` of a Bonferroni factor 2 (one more evidence in the max of parts)
PENALTY = math.log10(2.0)
#: the part reads 0 below this score: its body would lift the raw score's quartiles, which
#: the final calibration's body reads, and every other part would then read lower (as
#: view11's KPI-views part found; tuning world 1023 without it: partial degradations 17 ->
#: 12, VoLTE surges 19 -> 16 of 48, false alarms 151 -> 121)
FLOOR = 2.0


def area_columns(
    names: list[str], kpis: list[str], family_kind: str = "season_z", kind: str = AREA_KIND
) -> tuple[tuple[int, int], ...]:
    """Per KPI with both, its (``family_kind`` column, ``kind`` column)."""
    at = {name: i for i, name in enumerate(names)}
    return tuple(
        (at[f"{k}:{family_kind}"], at[f"{k}:{kind}"])
        for k in kpis
        if f"{k}:{family_kind}" in at and f"{k}:{kind}" in at
    )


def pair_families(ref: np.ndarray, pairs: tuple[tuple[int, int], ...]) -> np.ndarray | None:
    """The KPI families (:func:`~.kpi_families.families`) of ``pairs``' first columns in
    the window ``ref``; None below two KPIs or two families (a fleet part then has no
    second evidence to read)."""
    if len(pairs) < 2:
        return None
    family = families(ref[:, [p[0] for p in pairs]])
    return family if int(family.max()) + 1 >= 2 else None


class AreaPart(GroupedUnits):
    """The two strongest families' area tail units summed, on the window's shoulder."""

    reduce = staticmethod(top_two_sum)
    kernel = staticmethod(score_kernels.tail_top2)

    @classmethod
    def fit(
        cls,
        tails: FeatureTails,
        ref: np.ndarray,
        pairs: tuple[tuple[int, int], ...],
        continues: np.ndarray | None = None,
    ) -> AreaPart | None:
        """``pairs``: per KPI its family and area columns (:func:`area_columns`); None when
        the KPIs form fewer than two families or the statistic's shoulder is 0."""
        family = pair_families(ref, pairs)
        if family is None:
            return None
        cols, group, sliced, stat = cls.reference(tails, ref, [[p[1]] for p in pairs], family)
        if np.quantile(stat, SHOULDER[0][0]) <= 0.0:
            return None
        null = TailCalibrator.fit(stat, heavy_tails=True, continues=continues)
        return cls(cols, group, sliced, null)

    def __call__(self, features: np.ndarray, stat: np.ndarray | None = None) -> np.ndarray:
        """``-log10(2 p)`` of each row's statistic under the window's shoulder, 0 below
        :data:`FLOOR`."""
        score = self.null(self.statistic(features) if stat is None else stat) - PENALTY
        return np.where(score >= FLOOR, score, 0.0)
