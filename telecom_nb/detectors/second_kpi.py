"""The second strongest KPI: two KPIs of one sector far from its peers at once.

A row's per-feature evidence is its strongest feature's tail units (the max over all
features). A traffic collapse moves DL and UL traffic and the connected users by 4-5
sigma each: alone, each is no rarer than the heavy-tailed KPIs' everyday excursions
(drop rate, availability), and the joint Mahalanobis distance discounts it as well, since
the three KPIs move together in normal life too (the collapse is along their correlated
direction). That *two* KPIs are beyond their own tails at once is rare, though: so the
second largest of the per-KPI units (each KPI's strongest feature) is one more evidence,
with a robust null of its own (:class:`~telecom_nb.detectors.calibration.TailCalibrator`),
its p doubled (:data:`PENALTY`).

Only the features that compare a sector with its peers at the same time (``peer_z``,
``province_z``) are read: a fleet-wide timing shift (a morning ramp an hour late) moves
every sector's traffic KPIs against their own season, not against their peers'.
"""

from __future__ import annotations

import math

import numpy as np

from telecom_nb.detectors import score_kernels
from telecom_nb.detectors.feature_tails import FeatureTails
from telecom_nb.detectors.grouped_units import GroupedUnits

#: the feature kinds read (a sector against its peers at the same tick)
RELATIVE = ("peer_z", "province_z")
#: ``-log10`` of a Bonferroni factor 2: one more evidence in the max raises every normal
#: row's raw score, and the final calibration would then discount every other evidence
#: (the simulator's single-KPI degradations: 277 -> 273/289 events without it, 277 with)
PENALTY = math.log10(2.0)


def kpi_groups(names: list[str], kpis: list[str]) -> tuple[tuple[int, ...], ...]:
    """Per KPI, its own peer-relative feature columns (KPIs with none are left out)."""
    groups = []
    for kpi in kpis:
        cols = tuple(i for i, name in enumerate(names)
                     if name.rpartition(":")[0] == kpi and name.rpartition(":")[2] in RELATIVE)
        if cols:
            groups.append(cols)
    return tuple(groups)


def second_largest(units: np.ndarray, group: np.ndarray, n_groups: int) -> np.ndarray:
    """Per row, the second largest of the per-group maxima of ``units`` (rows x columns)."""
    per = np.full((len(units), n_groups), -np.inf)
    for g in range(n_groups):  # a handful of KPIs: vectorised over rows
        per[:, g] = units[:, group == g].max(axis=1)
    return np.partition(per, n_groups - 2, axis=1)[:, n_groups - 2]


class SecondKpi(GroupedUnits):
    """The second strongest KPI's tail units, calibrated against the window's; immutable."""

    reduce = staticmethod(second_largest)
    kernel = staticmethod(score_kernels.tail_second)

    @classmethod
    def fit(cls, tails: FeatureTails, ref: np.ndarray, groups: tuple[tuple[int, ...], ...],
            continues: np.ndarray | None = None) -> SecondKpi | None:
        """None for fewer than two KPIs (there is no second one)."""
        if len(groups) < 2:
            return None
        return cls.from_groups(tails, ref, groups, np.arange(len(groups)), continues)

    def __call__(self, features: np.ndarray, stat: np.ndarray | None = None) -> np.ndarray:
        """``-log10(2 p)`` of each row's second strongest KPI under the window's null
        (``stat``: the statistic, already computed)."""
        return self.null(self.statistic(features) if stat is None else stat) - PENALTY
