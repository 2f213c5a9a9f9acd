"""A part read from groups of feature columns: one statistic over the groups' tail units.

Each group (a KPI, a family of KPIs) counts as its strongest feature in units of that
feature's own tail; a statistic over the groups (the second largest, the two largest
summed) is then judged against its own robust null fitted on the window. The second
strongest KPI and the KPI families differ only in which columns form a group and in that
statistic; the fitting, the compiled pass and its numpy fallback are this one class.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import ClassVar

import numpy as np

from telecom_nb.detectors.calibration import TailCalibrator
from telecom_nb.detectors.feature_tails import FeatureTails

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
        return cls(columns, group, sliced, TailCalibrator.fit(stat, continues=continues))

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
