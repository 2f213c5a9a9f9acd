"""Each load's offset in a relation, in its own units, fixed once per stream.

A relation is ``log((c_a + |a|) / (c_b + |b|))`` (:func:`~telecom_nb.features.relations.
relation_values`). With ``c`` = 1 (``log1p``) the offset is below a volume's resolution: a
quarter hour of 0 users drops DL and UL to their idle level together (130 / 16 MB to 1.5 /
0.16), their ratio stays, yet the ``log1p`` ratio falls by 1.3 (2-12 tail units on the
relation's seasonal and persistence columns): the largest cause of a 15-minute fleet's false
alarms. A load's offset in its own units (its noise floor, ``FLOOR_SHARE`` of its median:
:mod:`~telecom_nb.features.count_floor`) keeps the ratio of two loads that shrink together.

``c`` is one number per KPI for the whole stream once fixed: a relation's learned levels
are in its units, so a ``c`` that moved would move every relation's level (a replay that
learned it between two pieces read thousands of false alarms at the switch). It is read
from the fleet's first day (the loads' medians span the daily cycle: the first quarter
hour, at night, gave a third of the day's); until then the relations are on ``log1p``,
and the relations of a KPI whose ``c`` is not 1 then *restart* (:func:`restart_columns`:
their seasonal state as at a stream's start), the same live and in a replay cut anywhere
(the switch is learned state, after a given batch). A fleet with no such load (the
simulator's) is not touched. One series or a few (at most ``FEW_SERIES`` sectors at the
first batch learned) keep ``log1p``, as does a stream restored from a checkpoint older
than this.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from telecom_nb.defaults import FEW_SERIES
from telecom_nb.features.time_slots import DAY_NS

if TYPE_CHECKING:
    from telecom_nb.features.seasonal import SeasonalResiduals

#: ``start_ns_`` before the first batch learned
UNDECIDED = -1


class RelationOffsets:
    """Per KPI its relation offset ``c``: undecided, pending (a fleet's first day) or fixed;
    ``log1p`` (``c`` = 1) until fixed."""

    def __init__(self, n_kpis: int) -> None:
        #: the first learned batch's time (ns) of a fleet whose offsets are pending
        self.start_ns_ = UNDECIDED
        #: per KPI ``c`` once fixed; NaN before
        self.offsets_ = np.full(n_kpis, np.nan)

    @classmethod
    def ones(cls, n_kpis: int) -> RelationOffsets:
        """Fixed at 1 (``log1p``): what a checkpoint from before the offsets learned with."""
        out = cls(n_kpis)
        out.offsets_ = np.ones(n_kpis)
        return out

    def pending(self) -> bool:
        return self.start_ns_ != UNDECIDED and not np.isfinite(self.offsets_).all()

    def key(self) -> str:
        """Names the relation values' units (a view's cache key): '' for ``log1p``."""
        c = self.offsets_
        if not np.isfinite(c).all() or (c == 1.0).all():
            return ""
        return c.tobytes().hex()

    def offsets(self) -> np.ndarray | None:
        """Per KPI ``c``; None: ``log1p`` (not fixed yet, or all 1)."""
        return None if self.key() == "" else self.offsets_

    def begin(self, n_sectors: int, first_ns: int) -> None:
        """At the first batch learned: a fleet's offsets become pending, a few series'
        are fixed at 1."""
        if self.start_ns_ != UNDECIDED or np.isfinite(self.offsets_).all():
            return
        if n_sectors <= FEW_SERIES:
            self.offsets_ = np.ones_like(self.offsets_)
        else:
            self.start_ns_ = int(first_ns)

    def decide(self, last_ns: int, noise: np.ndarray) -> bool:
        """After a batch is learned: once a day of data is seen, fix ``c`` = the loads'
        noise floors ``noise`` (own units; 0: not a load) where above 1, else 1 (a
        smaller offset would magnify a count's quantum: 0 or 1 user). True if fixed now."""
        if not self.pending() or last_ns - self.start_ns_ < DAY_NS:
            return False
        self.offsets_ = np.maximum(np.nan_to_num(noise), 1.0)
        return True


def moved_pairs(offsets: np.ndarray, pair_cols: np.ndarray) -> np.ndarray:
    """The relations (indices into ``pair_cols``) with a member whose ``c`` is not 1."""
    if not len(pair_cols):
        return np.zeros(0, dtype=np.intp)
    return np.flatnonzero((offsets[pair_cols] != 1.0).any(axis=1))


def restart_columns(season: SeasonalResiduals, cols: np.ndarray) -> None:
    """The seasonal state of series ``cols`` (of :class:`~telecom_nb.features.seasonal.
    SeasonalResiduals`) as at a stream's start: nothing learned in other units is kept
    (levels, spreads, runs, the fleet's profile and weekday shape). Only the registered
    sectors' cells, and only the week slots the fleet has visited, are written: the tables'
    untouched pages stay the OS's zero pages (:mod:`~telecom_nb.features.layout`)."""
    n = len(season.registry)
    for table in (season.slot_table_, season.sector_table_):
        for a in (table.level, table.dev, table.count):
            a[:n, ..., cols] = 0
    for a in (season.resid_dev_, season.prior_dev_, season.far_run_, season.resid_count_,
              season.run_z_, season.run_h_):
        a[:n, cols] = 0.0
    season.slot_far_since_[:n, :, cols] = 0.0
    season.fleet_offset_[:, cols] = 0.0
    season.fleet_spread_[cols] = np.nan
    week = season.week_
    if week is not None:
        for s in np.flatnonzero(week.fleet_count_ > 0):
            week.level_[:n, s, cols] = 0.0
            week.count_[:n, s, cols] = 0
        week.fleet_[:, cols] = 0.0
        week.tau2_[:, cols] = 0.0
        week.habits_[:, cols] = 0.0
