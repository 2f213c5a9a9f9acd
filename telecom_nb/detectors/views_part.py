"""A fleet's views part: one KPI off on two of its own views at once.

A KPI is read three ways against three references: its own history at this hour
(``season_z``), its peers at this tick (``peer_z``) and its own previous tick (``change_z``).
A one-hour latency spike at an hourly cadence is one row, x3-8 its cell's median: every view
of the KPI reads it 6-10 tail units, yet in the max over ~150 features it needs ~10 units,
which the heavy normal tails of *other* columns reach (a load KPI's persistence, a handover
ratio's change, an unavailability blip's novelty: each one view of one KPI). A normal
excursion that far is mostly one view's; that *two* views of one KPI agree is rarer: on an
hourly 155-cell world (t3017) the missed spikes' second strongest view had 21-94 normal rows
at or above it where their max over features had 35-363.

So per KPI the second strongest of its view columns' (free) tail units is the statistic's
cell, the strongest KPI's the statistic; its null is the window's body (as the max over
features'), its p doubled for being one more evidence in the max of parts (as the second
KPI's), and a reading under :data:`MIN_LOG_P` is 0, as the persistence part's: the part's
body would otherwise lift the raw score's quartiles, which the final calibration reads.
The part is read beside the records, not in the max of parts (its final calibration read
the part's rows as its body's and discounted them: hourly world t3017's events and false rows
were then exactly main's). Hourly or slower fleets with free tails only
(:data:`~telecom_nb.detectors.part_schedule.VIEWS_STEP`).

A row whose load is under :data:`QUIET_LOAD` of its sector's usual
(:mod:`~telecom_nb.features.load_level`) reads 0: there a ratio is a few attempts, and where
its hour, its peers and its previous tick usually read the same value each view reads the
same ``x / floor`` -- agreement that is one evidence, not two. On four hourly tuning worlds
(OSS o3050, o3051, o3070, vendor t3017) it took 17 of the 395 false rows and no event (two
night-time interference rows, whose events other rows kept).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from telecom_nb.detectors.calibration import TailCalibrator
from telecom_nb.detectors.feature_tails import FeatureTails

#: the feature kinds read: a KPI against its hour, its peers and its previous tick
VIEWS = ("season_z", "peer_z", "change_z")
#: the rank of the view read per KPI: the second strongest (two views agree)
AGREE = 2
#: ``-log10`` of a Bonferroni factor 2 (one more evidence in the max of parts)
PENALTY = math.log10(2.0)
#: readings under this ``-log10 p`` are 0 (the part's body stays out of the final null's)
MIN_LOG_P = 2.0
#: rows whose load family is under this ``ln`` of its sector's usual level read 0 (0.3 of it)
QUIET_LOAD = math.log(0.3)


def view_groups(names: list[str], kpis: list[str]) -> tuple[tuple[int, ...], ...]:
    """Per KPI with every view, its view columns (in :data:`VIEWS` order)."""
    index = {name: i for i, name in enumerate(names)}
    rows = (tuple(index.get(f"{kpi}:{view}") for view in VIEWS) for kpi in dict.fromkeys(kpis))
    return tuple(r for r in rows if None not in r)


@dataclass(frozen=True)
class ViewsPart:
    """The strongest KPI's second strongest view, in tail units, on the window's body."""

    groups: np.ndarray  # (K, V) each KPI's view columns
    tails: FeatureTails  # their tails, in ``groups.ravel()`` order (a slice of the fit's)
    null: TailCalibrator

    @classmethod
    def fit(cls, tails: FeatureTails, ref: np.ndarray, groups: tuple[tuple[int, ...], ...],
            continues: np.ndarray | None = None) -> ViewsPart | None:
        """None without a KPI that has every view."""
        if not groups:
            return None
        groups = np.asarray(groups, dtype=np.int64)
        own = tails.select(groups.ravel())
        null = TailCalibrator.fit(agreed_views(groups, own, ref), continues=continues)
        return cls(groups, own, null)

    def statistic(self, features: np.ndarray) -> np.ndarray:
        """Per row: over KPIs, the largest of each one's :data:`AGREE`-th strongest view."""
        return agreed_views(self.groups, self.tails, features)

    def __call__(self, features: np.ndarray, loads: np.ndarray | None = None) -> np.ndarray:
        """``-log10(2 p)`` of each row's statistic, 0 under :data:`MIN_LOG_P` and at rows
        whose ``loads`` (~ln of the row's load over its sector's usual; NaN: unknown) are
        under :data:`QUIET_LOAD`."""
        log_p = self.null(self.statistic(features)) - PENALTY
        keep = log_p >= MIN_LOG_P
        if loads is not None:
            keep &= ~(loads < QUIET_LOAD)  # NaN: kept
        return np.where(keep, log_p, 0.0)


def agreed_views(groups: np.ndarray, tails: FeatureTails, features: np.ndarray) -> np.ndarray:
    """Per row: over KPIs (``groups``: each one's view columns, ``tails`` theirs in
    ``groups.ravel()`` order), the largest of each one's :data:`AGREE`-th strongest view in
    tail units -- the part's statistic, read by its fit before a null exists."""
    k, v = groups.shape
    units = tails.units(features[:, groups.ravel()], capped=False)
    units = np.nan_to_num(units, nan=0.0).reshape(len(features), k, v)
    return np.sort(units, axis=2)[:, :, v - AGREE].max(axis=1)
