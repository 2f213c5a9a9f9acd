"""A part read from groups of feature columns: one statistic over the groups' tail units.

Each group (a KPI, a family of KPIs) counts as its strongest feature in units of that
feature's own tail; a statistic over the groups (the second largest, the two largest
summed) is then judged against its own robust null fitted on the window. The second
strongest KPI and the KPI families differ only in which columns form a group and in that
statistic; the fitting, the compiled pass and its numpy fallback are this one class.

A statistic over few groups is often exactly 0 (a KPI's units are 0 inside its body, three
quarters of its rows): the second largest of four KPIs is 0 on ~3/4 of a window, and the
body's 50-75 % spacing then read an exponential scale ~20x too small (short41: a clean
4-KPI fleet's ordinary second KPI, units ~0.5, at ``p`` 1e-7; 1-10 % of its rows flagged).
Its scale is then read on the rows above that floor, at the same levels of them
(:func:`body_above_floor`).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import ClassVar

import numpy as np

from telecom_nb.detectors.calibration import BODY, TailCalibrator
from telecom_nb.detectors.feature_tails import FeatureTails

#: rows above the floor :func:`body_above_floor` needs to read the body on them (a young
#: window's first fit: 12 hourly ticks of 12 cells hold ~37 such rows; with 50 they kept the
#: floor's scale, ~0.03, and 7-12 % of a clean 12-cell export's days 1-2 were flagged, young41)
MIN_ABOVE = 20
#: ``(units, group, n_groups) -> per row``: the statistic over the groups' maxima
Reduce = Callable[[np.ndarray, np.ndarray, int], np.ndarray]
#: its compiled twin on whole feature rows (``score_kernels.tail_second`` ...); None: not taken
Kernel = Callable[[np.ndarray, np.ndarray, np.ndarray, tuple], "np.ndarray | None"]


@dataclass(frozen=True)
class GroupedUnits:
    """Columns, their groups, their tails and the statistic's null; immutable. A subclass
    sets :attr:`reduce` and :attr:`kernel` (as staticmethods)."""

    columns: np.ndarray  # (C,) the feature columns read
    group: np.ndarray  # (C,) each column's group (0..G-1)
    tails: FeatureTails  # those columns' tails (a slice of the fit's)
    null: TailCalibrator

    reduce: ClassVar[Reduce]
    kernel: ClassVar[Kernel]

    @classmethod
    def from_groups(cls, tails: FeatureTails, ref: np.ndarray,
                    column_groups: Sequence[Sequence[int]], labels: np.ndarray,
                    continues: np.ndarray | None = None):
        """``column_groups``: the columns of each item, ``labels`` each item's group."""
        columns, group, sliced, stat = cls.reference(tails, ref, column_groups, labels)
        null = TailCalibrator.fit(stat, continues=continues, spacings=body_above_floor(stat))
        return cls(columns, group, sliced, null)

    @classmethod
    def reference(cls, tails: FeatureTails, ref: np.ndarray,
                  column_groups: Sequence[Sequence[int]], labels: np.ndarray
                  ) -> tuple[np.ndarray, np.ndarray, FeatureTails, np.ndarray]:
        """What a fit reads (see :meth:`from_groups`): the columns, their groups, their
        tails and the statistic on the window ``ref``, for a subclass whose null differs."""
        columns = np.concatenate([np.asarray(c, dtype=np.int64) for c in column_groups])
        group = np.repeat(labels, [len(c) for c in column_groups])
        sliced = tails.select(columns)
        stat = cls.reduce(sliced.units(ref[:, columns]), group, int(np.max(labels)) + 1)
        return columns, group, sliced, stat

    def statistic(self, features: np.ndarray) -> np.ndarray:
        """Per row: the statistic over the groups' strongest tail units."""
        t = self.tails
        compiled = self.kernel(features, self.columns, self.group,
                               (t.anchor, t.scale, t.reach, t.start, t.base, t.tail_scale))
        if compiled is not None:  # the same numbers in one pass over the columns read
            return compiled
        return self.reduce(t.units(features[:, self.columns]), self.group,
                           int(self.group.max()) + 1)


def body_above_floor(stat: np.ndarray) -> tuple[tuple[float, float], ...] | None:
    """The body's quantile levels read on the rows above the statistic's floor (its minimum)
    where that floor holds the body's lower level or more of the rows; None: the body's own
    (no floor that large, or too few rows above it)."""
    stat = np.asarray(stat, dtype=np.float64)
    stat = stat[np.isfinite(stat)]
    if not len(stat):
        return None
    floor = float(stat.min())
    share = float(np.mean(stat <= floor))
    (lo, hi), = BODY
    if share < lo or (1.0 - share) * len(stat) < MIN_ABOVE:
        return None
    return ((share + (1.0 - share) * lo, share + (1.0 - share) * hi),)
