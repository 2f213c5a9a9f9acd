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
#: views whose ``|z|`` agree to this relative tolerance read one evidence (the same ratio)
TIE = 1e-6
#: ``-log10`` of a Bonferroni factor 2 (one more evidence in the max of parts)
PENALTY = math.log10(2.0)
#: readings under this ``-log10 p`` are 0 (the part's body stays out of the final null's)
MIN_LOG_P = 2.0


def view_groups(names: list[str], kpis: list[str]) -> tuple[tuple[int, ...], ...]:
    """Per KPI with every view, its view columns (in :data:`VIEWS` order)."""
    index = {name: i for i, name in enumerate(names)}
    rows = (tuple(index.get(f"{kpi}:{view}") for view in VIEWS) for kpi in dict.fromkeys(kpis))
    return tuple(r for r in rows if None not in r)


def distinct_units(units: np.ndarray, z: np.ndarray) -> np.ndarray:
    """``units`` (rows x KPIs x views) with each view that reads the same ``|z|`` as a
    stronger view of its KPI set to 0: one number, one evidence. The peer and change z
    count only as far as the season z confirms them (``features/pipeline.py``: same sign,
    at most as far), so where they are capped they read the season's own number again, in
    another column's tail units; and where a ratio's usual level is 0 at its hour, among
    its peers and at its previous tick, with each spread at the same floor, all three read
    ``x / floor``. Either way one number off would read as two views agreeing: on OSS
    hourly worlds most of the part's false rows were such ties, at night, few attempts."""
    order = np.argsort(-units, axis=2, kind="stable")
    ranked = np.take_along_axis(z, order, axis=2)
    tied = np.zeros(ranked.shape, dtype=bool)
    for j in range(1, ranked.shape[2]):  # a few views: each against the stronger ones
        tied[:, :, j] = (np.isclose(ranked[:, :, j : j + 1], ranked[:, :, :j], rtol=TIE,
                                    atol=0.0) & (ranked[:, :, :j] > 0)).any(axis=2)
    out = np.take_along_axis(units, order, axis=2)
    out[tied] = 0.0
    return out


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
        part = cls(groups, tails.select(groups.ravel()), TailCalibrator.fit(np.zeros(1)))
        return cls(groups, part.tails, TailCalibrator.fit(part.statistic(ref),
                                                          continues=continues))

    def statistic(self, features: np.ndarray) -> np.ndarray:
        """Per row: over KPIs, the largest of each one's :data:`AGREE`-th strongest distinct
        view (:func:`distinct_units`)."""
        k, v = self.groups.shape
        z = features[:, self.groups.ravel()]
        units = self.tails.units(z, capped=False)
        units = np.nan_to_num(units, nan=0.0).reshape(len(features), k, v)
        units = distinct_units(units, np.abs(z).reshape(len(features), k, v))
        return np.sort(units, axis=2)[:, :, v - AGREE].max(axis=1)

    def __call__(self, features: np.ndarray) -> np.ndarray:
        """``-log10(2 p)`` of each row's statistic, 0 under :data:`MIN_LOG_P`."""
        log_p = self.null(self.statistic(features)) - PENALTY
        return np.where(log_p >= MIN_LOG_P, log_p, 0.0)
