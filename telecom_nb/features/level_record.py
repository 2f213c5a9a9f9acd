"""Level record: the last hour's mean beyond every such mean of the last weeks.

A slow creep (a disk filling, a taxi demand that builds over an evening, a cell's
interference rising over hours) stays inside the range of a noisy series' single values,
so neither the z-scores nor range novelty (:mod:`~.range_novelty`) see it; its *level*,
though, can leave everything the series' level has shown in weeks, which is what a person
sees on the chart. The same rule as range novelty, on the level: per sector and scaled KPI
the mean of the last ``window`` of **data time** (so any cadence: sub-bins of
``window / 12``; fewer than 3 rows behind it is no level), stretched to the fewest whole
windows holding ``span_rows`` steps of the sector's cadence (learned from its rows: 2 hours at
30 minutes, 3 hourly; one window at 15 minutes and faster), and a ring of ``blocks`` day
blocks of that level's maxima and minima. A level is compared with the levels made at
least a span before it (those of the last span share its rows: a rise judged against
them is a record of itself by small steps, each row's mean a little above the last).
Above the highest of those ``hi`` (below the lowest: the mirror)::

    -log10 p = log10(N + 1) + (level - hi) / (beta * ln 10)

with ``N`` the *effective* count of levels behind the record: the windows of data time
the ring spans (overlapping means are not independent; on the twenty-fourth session's
generated creeps the raw row count called 42 onsets records where no creep was, this
count 10), and ``beta`` the Gumbel scale of the blocks' extreme levels, never below
``tolerance`` of the span shown (percent KPIs: of 0-100) nor the KPI's spread floor.
A level the series reaches every day or every week is inside that range by construction:
nothing is a record before the ring holds ``min_blocks`` blocks (a week; on the tuning
worlds, 3 days called the first weekly plateau a record). A row whose record is itself
an alarm (``-log10 p`` >= 3) is never *routine* (the detector's rule that a jump seen
twice in the week before opens no episode): a level beyond every level of weeks was not
reached, as range novelty's value.

The feature is the signed normal z of that ``p`` (as range novelty's); the detector reads
it directly with a Bonferroni correction over the KPIs
(:meth:`~telecom_nb.detectors.iforest.IsolationForestDetector._record_score`). Only for a
few series (:data:`~telecom_nb.defaults.FEW_SERIES`): a fleet's levels are told by its
peers (its columns read 0 and nothing is learned). The per-row cells are compiled
(:mod:`~.level_record_kernel`), the same for a batch and for one series' pass.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from traitlets import Any as AnyTrait
from traitlets import Float, Int, validate

from telecom_nb.errors import ParameterError
from telecom_nb.features import level_record_kernel as kernel
from telecom_nb.features.base import FeatureExtractor
from telecom_nb.features.range_novelty import z_of_log_p
from telecom_nb.features.scaling import is_percent, scaled_view, spread_floors
from telecom_nb.features.view import BatchView
from telecom_nb.params import check_range, param_trait, to_timedelta
from telecom_nb.sector_index import grow_rows, known_rows

#: sub-bins of the level window (at 5 minutes an hour's window is the last 12 rows)
BINS = 12
#: windows the ring of sub-bins holds: the longest span (12 hours for a 1-hour window: 3
#: rows at a 4-hour cadence)
SPANS = 12


class LevelRecord(FeatureExtractor):
    """Signed z of "the last ``window``'s mean beyond the levels of the last ``blocks``"."""

    window = param_trait(AnyTrait(pd.Timedelta("1h"), help=(
        "data time whose mean is the level (a record of it is the feature)")))
    blocks = param_trait(Int(21, help="blocks of levels kept (21 day blocks: 3 weeks)"))
    block = param_trait(AnyTrait(pd.Timedelta("1D"), help="data time of one block"))
    min_blocks = param_trait(Int(7, help=(
        "blocks of levels seen before a record counts (7 day blocks: a weekly routine's "
        "level is among them)")))
    tolerance = param_trait(Float(0.05, help=(
        "smallest excess scale, as a fraction of the levels' span (percent KPIs: of 0-100)")))
    span_rows = param_trait(Int(3, help=(
        "steps of the series' cadence a level spans at least (whole windows: 2 hours at "
        "30 minutes)")))

    #: state newer than some checkpoints: derived by :meth:`derive_added_state`
    _state_added: tuple[str, ...] = ("clock_",)

    def derive_added_state(self, names) -> None:
        """A checkpoint from before the cadence's span: its ring of sub-bins holds one
        window, so its levels stay one window long (as they were)."""
        if "clock_" in names:
            self.clock_ = np.zeros((len(self.ids_), kernel.TIMES + 2), dtype=np.int64)

    @validate("blocks", "min_blocks", "span_rows")
    def _v_blocks(self, proposal):
        check_range(proposal["trait"].name, proposal["value"], 1, 1000)
        return proposal["value"]

    @validate("tolerance")
    def _v_tolerance(self, proposal):
        check_range("tolerance", proposal["value"], 0, 10, low_inclusive=False)
        return proposal["value"]

    @validate("window", "block")
    def _v_duration(self, proposal):
        td = to_timedelta(proposal["trait"].name, proposal["value"])
        if td.value % BINS:
            raise ParameterError(f"{proposal['trait'].name} must be a whole number of "
                                 f"{BINS} nanoseconds; got {proposal['value']!r}")
        return td

    # -- state ---------------------------------------------------------------------
    def _reset(self) -> None:
        k, n = len(self.kpis_ or ()), self.blocks
        self.ids_ = np.full((0, 3), kernel.NONE, dtype=np.int64)  # block, sub-bin, window
        slots = BINS * SPANS
        self.bin_id_ = np.full((0, slots), kernel.NONE, dtype=np.int64)
        self.bin_sum_ = np.zeros((0, slots, k))
        self.bin_n_ = np.zeros((0, slots, k))
        self.bin_lmax_ = np.full((0, slots, k), -np.inf)  # levels made in each sub-bin
        self.bin_lmin_ = np.full((0, slots, k), np.inf)
        self.ring_id_ = np.full((0, n), kernel.NONE, dtype=np.int64)
        self.ring_max_ = np.full((0, n, k), -np.inf)
        self.ring_min_ = np.full((0, n, k), np.inf)
        self.ring_win_ = np.zeros((0, n), dtype=np.int64)  # windows of data time a block
        self.cur_max_ = np.full((0, k), -np.inf)
        self.cur_min_ = np.full((0, k), np.inf)
        self.cur_win_ = np.zeros(0, dtype=np.int64)
        self.clock_ = np.zeros((0, kernel.TIMES + 2), dtype=np.int64)  # the cadence's
        self.floors_ = spread_floors(self.kpis_ or ())
        self.percent_ = np.array([is_percent(kp) for kp in self.kpis_ or ()], dtype=np.bool_)
        #: set by the pipeline: at most a few series (otherwise nothing is computed)
        self.active = True

    @property
    def feature_names(self) -> list[str]:
        return [f"{k}:record_z" for k in self.kpis_ or ()]

    def feature_weights(self) -> np.ndarray:
        return np.eye(len(self.kpis_ or ()))

    def _cfg(self) -> np.ndarray:
        w = pd.Timedelta(self.window).value
        return np.array([BINS, self.blocks, self.min_blocks, self.tolerance, self.span_rows,
                         w // BINS], dtype=np.float64)

    def time_ids(self, ns: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Each time's sub-bin and block (data time)."""
        w = pd.Timedelta(self.window).value
        return ns // (w // BINS), ns // pd.Timedelta(self.block).value

    def _state(self) -> tuple[np.ndarray, ...]:
        return (self.ids_, self.bin_id_, self.bin_sum_, self.bin_n_, self.bin_lmax_,
                self.bin_lmin_, self.ring_id_,
                self.ring_max_, self.ring_min_, self.ring_win_, self.cur_max_, self.cur_min_,
                self.cur_win_, self.clock_)

    # -- scoring and learning ----------------------------------------------------------
    def transform_view(self, view: BatchView) -> np.ndarray:
        y = scaled_view(view, self.kpis_ or ())
        out = np.zeros_like(y)
        rows = self.rows(view)
        known = known_rows(rows, len(self.ids_))
        if not self.active or not known.any():
            return out
        bi, d = self.time_ids(view.ns()[known])
        log_p = np.zeros((int(known.sum()), y.shape[1]))
        kernel.score_rows(rows[known].astype(np.int64), bi, d, np.ascontiguousarray(y[known]),
                          log_p, *self._state(), self.floors_, self.percent_, self._cfg())
        out[known] = as_z(log_p)
        return out

    def update_view(self, view: BatchView) -> None:
        if not self.active:
            return
        y = scaled_view(view, self.kpis_ or ())
        rows = self.registry.register(view.sector_ids)
        self._grow(len(self.registry))
        ns = view.ns()
        bi, d = self.time_ids(ns)
        kernel.learn_rows(rows.astype(np.int64), bi, d, ns, np.ascontiguousarray(y),
                          *self._state(), self._cfg())

    def series(self, ns: np.ndarray, y: np.ndarray) -> np.ndarray:
        """One sector's rows (state row 0), each scored then learned as a batch of one
        row would be: their z (rows x k). ``SeriesPass``'s share of the one-series pass."""
        self.active = True
        self._grow(1)
        bi, d = self.time_ids(ns)
        log_p = np.zeros(y.shape)
        kernel.series_rows(bi, d, ns, np.ascontiguousarray(y), log_p, *self._state(),
                           self.floors_, self.percent_, self._cfg())
        return as_z(log_p)

    def _grow(self, n: int) -> None:
        if len(self.ids_) >= n:
            return
        self.ids_ = grow_rows(self.ids_, n, kernel.NONE)
        self.bin_id_ = grow_rows(self.bin_id_, n, kernel.NONE)
        self.bin_sum_ = grow_rows(self.bin_sum_, n, 0.0)
        self.bin_n_ = grow_rows(self.bin_n_, n, 0.0)
        self.bin_lmax_ = grow_rows(self.bin_lmax_, n, -np.inf)
        self.bin_lmin_ = grow_rows(self.bin_lmin_, n, np.inf)
        self.ring_id_ = grow_rows(self.ring_id_, n, kernel.NONE)
        self.ring_max_ = grow_rows(self.ring_max_, n, -np.inf)
        self.ring_min_ = grow_rows(self.ring_min_, n, np.inf)
        self.ring_win_ = grow_rows(self.ring_win_, n, 0)
        self.cur_max_ = grow_rows(self.cur_max_, n, -np.inf)
        self.cur_min_ = grow_rows(self.cur_min_, n, np.inf)
        self.cur_win_ = grow_rows(self.cur_win_, n, 0)
        self.clock_ = grow_rows(self.clock_, n, 0)


def as_z(log_p: np.ndarray) -> np.ndarray:
    """Signed ``-log10 p`` (0: no record) as the signed two-sided normal z of ``p``."""
    z = np.zeros_like(log_p)
    ok = log_p != 0.0
    if ok.any():
        z[ok] = z_of_log_p(np.abs(log_p[ok]), log_p[ok] > 0)
    return z
