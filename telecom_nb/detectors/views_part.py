"""A fleet's views part: one KPI far on every one of its views at once.

Each KPI is read three ways: against the sector's own typical day (``season_z``), against
its peers at the same tick (``peer_z``) and against its own last tick (``change_z``). The
max over features reads each view on its own, so a single view's everyday extremes (a
peer group all low at once, a sector's jumpy tick) set its null: a one-hour latency x4-10
on a hot cell read 6-8 units on its own day and 8-10 on peers and change, where ~40-240 of
54,000 normal rows of an hourly world read as much in the max (its Bonferroni over ~120
columns), and 8 of 29 such spikes were missed (tuning t2717). A fault's onset moves all
three at once; normal life rarely does: the *weakest* of a KPI's three views is the
statistic (the strongest KPI's), in units of each column's own tail (capped, as the run
part's), and on that reading the same spikes had 0-13 normal rows of latency above them.

Its null is the window's shoulder (as the run part's: the weakest view is 0 on most rows,
the body's spacing would make every rare normal agreement extreme), its p doubled for
being one more evidence in the max of parts. Fleets only; never in the max or the forest
(its columns are theirs already).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from telecom_nb.detectors.calibration import TailCalibrator
from telecom_nb.detectors.feature_tails import FeatureTails

#: the views of a KPI read together, by feature kind
VIEWS: tuple[str, ...] = ("season_z", "peer_z", "change_z")
#: ``-log10`` of a Bonferroni factor 2 (one more evidence in the max of parts)
PENALTY = math.log10(2.0)


def view_columns(names: list[str], kpis: list[str]) -> tuple[tuple[int, ...], ...]:
    """Per KPI with every view, its :data:`VIEWS` columns (in that order)."""
    at = {name: i for i, name in enumerate(names)}
    cols = ([at.get(f"{kpi}:{view}") for view in VIEWS] for kpi in dict.fromkeys(kpis))
    return tuple(tuple(c) for c in cols if None not in c)


@dataclass(frozen=True)
class ViewsPart:
    """The strongest KPI's weakest view, in tail units, calibrated on the window's shoulder."""

    columns: np.ndarray  # (K, len(VIEWS)) each KPI's view columns
    tails: FeatureTails  # their tails (a slice of the fit's), flattened row-major
    null: TailCalibrator

    @classmethod
    def fit(cls, tails: FeatureTails, ref: np.ndarray,
            columns: tuple[tuple[int, ...], ...]) -> ViewsPart | None:
        """None without a KPI that has every view."""
        if not columns:
            return None
        cols = np.asarray(columns, dtype=np.int64)
        part = cls(cols, tails.select(cols.ravel()), TailCalibrator.fit(np.zeros(1)))
        return cls(cols, part.tails, TailCalibrator.fit(part.statistic(ref), heavy_tails=True))

    def statistic(self, features: np.ndarray) -> np.ndarray:
        """Per row: over KPIs, the largest of the smallest (capped) units of its views (free units: the min already cuts one view's heavy blips)."""
        units = self.tails.units(features[:, self.columns.ravel()], capped=False)
        return units.reshape(len(features), *self.columns.shape).min(axis=2).max(axis=1)

    def __call__(self, features: np.ndarray, stat: np.ndarray | None = None) -> np.ndarray:
        """``-log10(2 p)`` of each row's statistic under the window's shoulder."""
        return self.null(self.statistic(features) if stat is None else stat) - PENALTY
