"""Two independent KPI families off at once: the sum of their tail units (a Fisher sum).

A backhaul fault slows a few neighbouring sites together: their throughput falls by 4-5
sigma and their latency rises by as much, for hours. Peers see little (the neighbours move
together), each KPI alone is no rarer than the fleet's everyday excursions of some other
KPI (a crowd moves traffic, users and PRB by 5-6 units), and the second strongest KPI is
no evidence either where KPIs move together in normal life: a crowd puts *five* load KPIs
beyond their tails at once. What is rare is two KPIs that do *not* move together in normal
life both off their own history.

So KPIs are first grouped into families by the correlation of their seasonal deviations in
the window (single linkage at :data:`FAMILY_CORRELATION`: traffic, users and PRB form one
family, a throughput or a latency its own); each family's evidence is its strongest tail
units over its KPIs' own columns (no relation columns: a ratio of two KPIs would count one
move twice); the statistic is the sum of the two strongest families' units, Fisher's sum of
``-ln p`` for two p-values. Its null is the window's (a robust
:class:`~telecom_nb.detectors.calibration.TailCalibrator`). Unlike the second KPI's, its p is
not doubled for being one more evidence in the max: the body's exponential already reads the
sum's tail conservatively, and a factor 2 lost on both sides (second generator's world 1
without its four ratio KPIs, P / event recall: 0.897 / 0.631 with it, 0.907 / 0.640 without).
"""

from __future__ import annotations

import dataclasses

import numpy as np

from telecom_nb.detectors import score_kernels
from telecom_nb.detectors.feature_tails import FeatureTails
from telecom_nb.detectors.grouped_units import GroupedUnits

#: the feature kinds read: the sector against its own history, its peers and its area
#: (:mod:`~telecom_nb.features.area`: second generator's w1, P / event recall 0.914 / 0.811
#: -> 0.918 / 0.822 with it, cluster degradations 154 -> 159 of 179)
KINDS = ("season_z", "persist_z", "peer_z", "province_z", "area_z")
#: kinds read here (and by :mod:`~telecom_nb.detectors.area_part`), never by the max over
#: features: a crowd at two neighbouring sites
#: puts one family (traffic, users, PRB) beyond its area's tail, a cluster fault two
#: (second generator's w4 in the max: 54 more false alarms, crowds in the evening)
FAMILY_ONLY = ("area_z",)
#: the feature kind whose correlation groups KPIs into families
FAMILY_KIND = "season_z"
#: KPIs whose seasonal deviations correlate at least this much (|r|) share a family
FAMILY_CORRELATION = 0.5


def kpi_columns(names: list[str], kpis: list[str]) -> tuple[tuple[int, ...], ...]:
    """Per KPI, its own columns of :data:`KINDS`, the :data:`FAMILY_KIND` one first (a KPI
    without one is left out)."""
    out = []
    for kpi in kpis:
        own = {
            name.rpartition(":")[2]: i
            for i, name in enumerate(names)
            if name.rpartition(":")[0] == kpi
        }
        if FAMILY_KIND in own:
            out.append(tuple(own[k] for k in KINDS if k in own))
    return tuple(out)


def family_only(names: list[str]) -> tuple[int, ...]:
    """The columns of the :data:`FAMILY_ONLY` kinds."""
    return tuple(i for i, name in enumerate(names) if name.rpartition(":")[2] in FAMILY_ONLY)


def others(n: int, columns: tuple[int, ...]) -> np.ndarray:
    """The columns of ``n`` not in ``columns``."""
    return np.setdiff1d(np.arange(n), np.asarray(columns, dtype=np.intp))


def without(tails: FeatureTails, columns: tuple[int, ...]) -> FeatureTails:
    """``tails`` whose ``columns`` read 0 units (the max over features skips them)."""
    if not columns:
        return tails
    cols = np.asarray(columns, dtype=np.intp)
    scale, reach, free = tails.scale.copy(), tails.reach.copy(), tails.free.copy()
    scale[cols], reach[cols], free[cols] = np.inf, np.inf, False
    anchor = tails.anchor.copy()
    anchor[cols] = 0.0
    return dataclasses.replace(tails, anchor=anchor, scale=scale, reach=reach, free=free)


def families(z: np.ndarray, threshold: float = FAMILY_CORRELATION) -> np.ndarray:
    """Family of each column of ``z`` (rows x KPIs): single linkage on ``|corr| >=
    threshold`` of the bounded values (NaN as 0); labels 0..G-1 in column order."""
    x = np.nan_to_num(np.asarray(z, dtype=np.float64), nan=0.0, posinf=0.0, neginf=0.0)
    x = np.sign(x) * np.log1p(np.abs(x))
    x = x - x.mean(axis=0)
    norm = np.sqrt((x * x).sum(axis=0))
    ok = norm > 0
    corr = np.zeros((x.shape[1], x.shape[1]))
    if ok.any():
        y = x[:, ok] / norm[ok]
        corr[np.ix_(ok, ok)] = y.T @ y
    return components(np.abs(corr) >= threshold)


def components(linked: np.ndarray) -> np.ndarray:
    """Connected components of the undirected graph ``linked`` (square, boolean; either
    direction links), numbered 0..G-1 in the order of their first column, int32: scipy's
    ``connected_components(linked, directed=False)[1]``, without importing
    ``scipy.sparse`` (its linear algebra came with it: ~9 MB resident in every run)."""
    n = len(linked)
    reach = linked | linked.T | np.eye(n, dtype=bool)
    while True:  # paths of up to twice the length each step: log2(n) products of n x n
        longer = reach @ reach
        if (longer == reach).all():
            break
        reach = longer
    first = reach.argmax(axis=1)  # each column's component's first column
    return np.unique(first, return_inverse=True)[1].astype(np.int32)


def top_two_sum(units: np.ndarray, group: np.ndarray, n_groups: int) -> np.ndarray:
    """Per row, the sum of the two largest per-group maxima of ``units`` (each at least 0;
    NaN counts as 0)."""
    per = np.zeros((len(units), n_groups))
    u = np.nan_to_num(units, nan=0.0)
    for g in range(n_groups):  # a handful of families: vectorised over rows
        per[:, g] = np.maximum(u[:, group == g].max(axis=1), 0.0)
    top = np.partition(per, n_groups - 2, axis=1)[:, n_groups - 2 :]
    return top.sum(axis=1)


class KpiFamilies(GroupedUnits):
    """The two strongest KPI families' tail units summed, calibrated; immutable."""

    reduce = staticmethod(top_two_sum)
    kernel = staticmethod(score_kernels.tail_top2)

    @classmethod
    def fit(
        cls,
        tails: FeatureTails,
        ref: np.ndarray,
        kpis: tuple[tuple[int, ...], ...],
        continues: np.ndarray | None = None,
    ) -> KpiFamilies | None:
        """``kpis``: per KPI its columns, the family one first (:func:`kpi_columns`); None
        when the KPIs form fewer than two families."""
        if len(kpis) < 2:
            return None
        family = families(ref[:, [cols[0] for cols in kpis]])
        if int(family.max()) + 1 < 2:
            return None
        return cls.from_groups(tails, ref, kpis, family, continues)

    def __call__(self, features: np.ndarray, stat: np.ndarray | None = None) -> np.ndarray:
        """``-log10 p`` of each row's statistic under the window's null."""
        return self.null(self.statistic(features) if stat is None else stat)
