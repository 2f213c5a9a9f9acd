"""A fleet's drift part: one KPI held moderately off for a day, on the drift's own null.

The drift columns (:mod:`~telecom_nb.features.drift`) are each KPI's seasonal z averaged
over about a day and standardised by the sector's own spread of that mean, read only on
rows that hold the shift up (their own z at least ``HOLD_Z`` on the same side). Their null
is set by that construction, not fitted on the window: a window's deep tail of such a
column is the faults' own (a wrong parameter holds for days; the third generator's tuning
world o1143 has 4 % of its rows in one), and a fitted null hid every one of them offline.
Under normal life the mean of a sector's own standardised deviations is about normal, and a
row holds its shift up about ``P(|z| >= HOLD_Z)`` of the time: the part is the strongest
KPI's ``-log10`` of the two-sided normal tail times that, less ``log10`` of the number of
KPI families (KPIs that move together count once, as in the persistence part); 0 below
:data:`FLOOR`. Not in the max over features or the forest.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from scipy.special import log_ndtr

from telecom_nb.detectors.area_part import pair_families
from telecom_nb.features.drift import HOLD_LOG_P

#: the feature kind read
DRIFT_KIND = "drift_z"
#: the part reads 0 below this score (see the area part's ``FLOOR``)
FLOOR = 2.0
#: a strongest drift at or below this scores under FLOOR before any penalty (its tail's
#: -log10 is ~0.50 at 1.0, so 0.50 + HOLD_LOG_P 1.34 < 2): its row reads 0 without the tail
QUIET_U = 1.0
assert -(math.log10(2.0) + float(log_ndtr(-QUIET_U)) / math.log(10.0)) + HOLD_LOG_P < FLOOR


def drift_columns(names: list[str]) -> tuple[int, ...]:
    """The columns of the :data:`DRIFT_KIND` kind."""
    return tuple(i for i, name in enumerate(names) if name.rpartition(":")[2] == DRIFT_KIND)


@dataclass(frozen=True)
class DriftPart:
    """The strongest drift column's normal tail, Bonferroni over the KPI families."""

    columns: np.ndarray  # (C,) the drift columns
    penalty: float  # log10 of the number of KPI families

    @classmethod
    def fit(cls, ref: np.ndarray, pairs: tuple[tuple[int, int], ...]) -> DriftPart | None:
        """``pairs``: per KPI its seasonal and drift columns; None below two KPIs or two
        families (the families are read on the window's seasonal columns)."""
        family = pair_families(ref, pairs)
        if family is None:
            return None
        cols = np.asarray([p[1] for p in pairs], dtype=np.int64)
        return cls(cols, math.log10(int(family.max()) + 1))

    def __call__(self, features: np.ndarray) -> np.ndarray:
        """Per row: the strongest drift's ``-log10 p``, less the penalty, 0 below FLOOR."""
        if not len(self.columns):
            return np.zeros(len(features))
        u = features[:, self.columns]  # a gathered copy: made finite and positive in place
        np.nan_to_num(u, copy=False)
        u = np.abs(u, out=u).max(axis=1)
        out = np.zeros(len(u), dtype=u.dtype if u.dtype.kind == "f" else np.float64)
        # only rows that can reach FLOOR: most of a fleet's rows hold no drift up
        hit = np.flatnonzero(u > QUIET_U)
        if len(hit):
            uh = u[hit]
            # two-sided normal tail, in log10 (log_ndtr is exact far out)
            log_p = -(math.log10(2.0) + log_ndtr(-uh) / math.log(10.0))
            score = (log_p + HOLD_LOG_P) - self.penalty
            out[hit] = np.where(score >= FLOOR, score, 0.0)
        return out
