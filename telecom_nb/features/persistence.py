"""Persistence: evidence that builds up while a sector stays off its expectation.

A throughput drop of half is five spreads on a noisy sector: below what one tick
must show to be flagged among thousands of sectors, yet it lasts for hours. The
short exponentially weighted mean of the seasonal z-scores averages the noise away
while the shift stays, as a CUSUM does for a level shift. It is standardised by its
own robust spread per sector (autocorrelated KPIs have a wider mean than white
noise, never a narrower one) and counts only as far as the current tick supports it,
so the memory never outlives the fault (no alarm on the first normal tick after it).

In a fleet a loud tick (some series :data:`LOUD_Z` or more off: an outage's availability
at -460 beside its counts at -12) is its own alarm, and the mean starts afresh after it: the cap
above bounds a row by its own z *if it persisted*, and the outage's -12s behind a row
back at -3 read as that -3 persisting (tuning world t2736, hourly OSS: 15 false rows in the
3 hours after two site outages, persistence z -7 to -12 on rows whose counts matched the
same hours of the days before).
"""

from __future__ import annotations

import math

import numpy as np

from telecom_nb.features import tick_kernels
from telecom_nb.features.compact import STATE_FLOAT, wide
from telecom_nb.features.robust_stats import RobustTable, fleet_spread, shrunk_rows
from telecom_nb.sector_index import grow_rows, known_rows

#: EW weight of the current tick in the running mean (a memory of about 3 ticks; for a few
#: series at least 45 minutes of data, :func:`weight_and_white`)
ALPHA = 0.3
#: standard deviation of that mean for independent unit z-scores: the spread's floor
WHITE_SD = math.sqrt(ALPHA / (2.0 - ALPHA))


def weight_and_white(ratio: float) -> tuple[float, float]:
    """The running mean's EW weight per sample at ``ratio`` (step / 15 min, or 1 for a
    memory of ticks), and the spread of that mean for independent unit z-scores.

    The memory is at least 3 ticks and at least 45 minutes of data. For one series or a few
    (the pipeline passes the cadence's ratio only then) a memory of 3 ticks would be 15
    minutes at 5-minute data and 6 at 2-minute data: a shift of hours judged on a few noisy
    samples (few-series LTE cells at 2 minutes: throughput collapse row recall 0.35-0.58 ->
    0.63-0.81; NAB 47.7 -> 52.7). A fleet keeps 3 ticks: its peers carry the context, and
    a 5-minute operator world lost precision with the longer memory (seed 5: 0.976 -> 0.952).
    """
    alpha = 1.0 - (1.0 - ALPHA) ** min(ratio, 1.0)
    return alpha, math.sqrt(alpha / (2.0 - alpha))
#: EW weight of the spread of the mean (a memory of about two days of 15-min ticks)
SPREAD_ALPHA = 0.005
#: a sector's own spread of the mean is shrunk toward the fleet's typical one with the
#: weight of this many ticks (slow drifts of a sector's day -- weather, events -- show
#: only across days); before the fleet has one, toward this: the mean of unit z-scores
#: never spreads wider than one
PRIOR_SD = 1.0
PRIOR_TICKS = 100.0
MIN_HISTORY = 8
Z_CLIP = 1000.0
#: a fleet row with a series' seasonal z this far out is a loud tick (a KPI gone, not
#: degraded: an outage's availability at 0 reads ~460 on t2736, the loudest degradation 53):
#: its means restart. At 8 (the drift tail's ``BIG_Z``) it restarted inside degradations too:
#: the simulator's throughput degradations lost 0.91 -> 0.86 of their rows
LOUD_Z = 100.0


class Persistence:
    """Per sector x series: EW mean of z, judged against its own usual spread."""

    #: a loud tick restarts its row's means (the pipeline sets it: fleets only; one series'
    #: own excursions are what its persistence reads, NAB's and the few-series worlds')
    restart = False

    def __init__(self, n_series: int) -> None:
        self.mean_ = np.zeros((0, n_series), dtype=STATE_FLOAT)
        # ungated: the spread must see the slow drifts it is there to excuse (Huber
        # clipping bounds what the rare faults add)
        self.usual_ = RobustTable((n_series,), SPREAD_ALPHA, gate=False, dtype=STATE_FLOAT,
                                  count_dtype=STATE_FLOAT)
        # A fixed prior of one would halve the evidence of a sector whose noise is white
        # (its mean spreads by WHITE_SD) for days: the fleet's median says what is usual.
        self.fleet_sd_ = np.full(n_series, PRIOR_SD)
        #: one sample in 15-minute ticks (the pipeline sets it from the learned cadence)
        self.ratio = 1.0

    @property
    def alpha(self) -> float:
        return weight_and_white(self.ratio)[0]

    @property
    def white_sd(self) -> float:
        return weight_and_white(self.ratio)[1]

    def _current(self, rows: np.ndarray, z: np.ndarray) -> np.ndarray:
        compiled = tick_kernels.persistence_current(self, rows, z)
        if compiled is not None:  # the lines below in one pass (same numbers)
            return compiled
        known = known_rows(rows, len(self.mean_))
        if not known.any():
            return z.copy()
        prev = wide(self.mean_[np.where(known, rows, 0)])
        alpha = self.alpha
        return np.where(known[:, None], (1.0 - alpha) * prev + alpha * z, z)

    def transform(self, rows: np.ndarray, z: np.ndarray) -> np.ndarray:
        """Standardised running mean including this tick's ``z`` (learns nothing)."""
        compiled = tick_kernels.persistence_z(self, rows, z)
        if compiled is not None:  # the lines below in one pass (same numbers)
            return compiled
        out = np.zeros_like(z)
        usual = shrunk_rows(self.usual_, rows, self.fleet_sd_, PRIOR_TICKS)
        if usual is None:
            return out
        known, level, spread, count = usual
        white = self.white_sd
        p = (self._current(rows, z) - level) / np.maximum(spread, white)
        # no stronger than this tick alone would be if it persisted
        cap = np.abs(z) / white
        p = np.sign(p) * np.minimum(np.abs(p), cap) * (np.sign(p) == np.sign(z))
        ok = known[:, None] & (count >= MIN_HISTORY)
        out[ok] = np.clip(p[ok], -Z_CLIP, Z_CLIP)
        return out

    def update(self, rows: np.ndarray, z: np.ndarray, n_rows: int) -> None:
        current = self._current(rows, z)
        if self.restart:  # a loud row's evidence is its own alarm, not the next rows'
            loud = (np.abs(z) >= LOUD_Z).any(axis=1)  # NaN: not loud
            current[loud] = 0.0
        self.mean_ = grow_rows(self.mean_, n_rows)
        self.usual_.grow(n_rows)
        self.mean_[rows] = current
        self.usual_.update((rows,), current)
        self._learn_fleet_sd()

    def _learn_fleet_sd(self) -> None:
        """The fleet's median spread of the mean per series, over sectors with history."""
        self.fleet_sd_ = fleet_spread(self.usual_, MIN_HISTORY, self.white_sd, PRIOR_SD,
                                      self.fleet_sd_)
