"""Retrains as jobs: the window's snapshot in, model + calibration out, installed at once.

A fit runs in a worker thread on an immutable snapshot (:class:`FitInputs`) while the
stream goes on scoring with the installed model; install, failure and a discarded job
each leave the detector consistent. Mixed into :class:`~.windowed.WindowedDetector`,
which owns the window, the schedule and the state these methods read.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from telecom_nb.detectors.base import RetrainJob
from telecom_nb.detectors.calibration import DEEP_SHOULDER, SHOULDER, TailCalibrator
from telecom_nb.detectors.fit_inputs import FitInputs, Fitted
from telecom_nb.detectors.kpi_births import pop_unread

#: rows of the window scored to build the calibration reference
CALIBRATION_ROWS = 20_000
#: fit parameter: how many series a few series' window pools (absent: one, or a fleet).
#: Such a window's score null takes no seen floor (:meth:`TailCalibrator.with_seen`): the
#: floor counts excursions of the pool, so a cell's nightly maintenance zeros (or last
#: week's outage of another cell) made a new outage of a cell that never showed one read
#: as a size "seen twice" (raw 10.9, score 2.9: few_series ``lte5``); the excursions are
#: not kept per series, and one series' floor is untouched. The model's fit reads it too
#: (the level-shift nulls' spacing: ``shift_part.shift_null``).
POOLED_SERIES = "pooled_series"
#: fit parameter (a detector that :attr:`~RetrainJobs.caches_rows`): ``FitInputs.rows``
ROW_KEYS = "row_keys"


def score_spacings(model: Any, heavy: bool, pooled: bool
                   ) -> tuple[tuple[float, float], ...] | None:
    """The score null's tail spacings (None: a fleet's body). A few series' max of parts has
    slow ones (persistence, shift) whose deep tail is heavier than the shoulder says: the
    larger of the 90-95 % and 95-99 % spacings. One series of several KPIs whose max of parts
    holds the joint distances (``joint_null``: 2+ KPIs, unpooled) takes the shoulder's: those
    parts' deep tails are lighter than an exponential (few_series cdn24, five seeds: the deep
    scale priced the max at 0.54-0.70x nominal at 2-3.5, the shoulder's 0.62-1.03x; 3 of 56
    held-out incidents peaked at 2.25-2.87). One KPI (NAB), pools and fleets: unchanged."""
    if not heavy:
        return None
    if not pooled and getattr(model, "joint_null", None) is not None:
        return SHOULDER
    return DEEP_SHOULDER


class RetrainJobs:
    """Making, running and installing a retrain (the detector's fitted state changes here
    only)."""

    #: the data time the full window spanned at the last retrain asked for (the schedule's
    #: turnover reads it; None: not full then, or a checkpoint older than the rule)
    _window_span: pd.Timedelta | None = None
    #: the fit reads :data:`ROW_KEYS` (the window rows' names: :mod:`.row_cache`)
    caches_rows: bool = False

    def _fit_params(self) -> dict[str, Any]:
        return {"random_state": self.random_state}

    def _make_job(self, now: pd.Timestamp) -> RetrainJob:
        seed = None if self.random_state is None else self.random_state + self.batches_seen_
        # the worker reads only this snapshot
        previous = self._previous.window_ if self.keeps_previous else None
        params = self._unread_params(self._fit_params(), now, self._span(now))
        inputs = FitInputs(self._window.snapshot(), params, self._heavy_tails(), seed,
                           None if previous is None else previous.snapshot(),
                           (self._window.row_key(), None if previous is None
                            else previous.row_key()) if self.caches_rows else None)
        self._pending = True
        self._pending_fit = inputs
        previous_attempt, self._last_attempt = self._last_attempt, now
        first_attempt = self.first_attempt_
        if first_attempt is None:  # the schedule's start reads it (RetrainTiming)
            self.first_attempt_ = now
        previous_span, self._window_span = self._window_span, self._span(now)

        def install(fitted: Fitted) -> None:
            self._fitted = fitted  # model + calibration: one reference
            self._pending = False
            self._pending_fit = None
            self.last_retrain_ = now
            self.model_version_ += 1

        def fail(exc: BaseException) -> None:
            self._pending = False
            self._pending_fit = None
            self._record_failure(exc)

        def discard() -> None:  # never installed: ask again at the next learn
            self._pending = False
            self._pending_fit = None
            self._last_attempt = previous_attempt
            self.first_attempt_ = first_attempt
            self._window_span = previous_span

        return RetrainJob(lambda: self.fit_inputs(inputs), install, fail, data_time=now,
                          meta={"rows": len(inputs.window), "detector": self.name},
                          discard=discard)

    def _span(self, now: pd.Timestamp) -> pd.Timedelta | None:
        """Data time a full window's rows arrived over: the history's age times the share
        of the rows learned that the window still keeps (None while it is not full: the
        young schedule is the age's)."""
        window = self._window
        if self.first_time_ is None or len(window) < window.capacity or window.appended <= 0:
            return None
        return (now - self.first_time_) * (len(window) / window.appended)

    def complete_pending_fit(self) -> bool:
        """Fit and install a retrain that was asked for and never installed (a checkpoint
        taken while it was fitting): the state the stream would have reached."""
        inputs, self._pending_fit, self._pending = self._pending_fit, None, False
        if inputs is None:
            return False
        self._fitted = self.fit_inputs(inputs)
        self.last_retrain_ = self._last_attempt
        self.model_version_ += 1
        return True

    def fit_inputs(self, inputs: FitInputs) -> Fitted:
        """Model and calibration from ``inputs`` (pure: safe in a worker thread); the
        window's cold rows left out (:meth:`FitInputs.warm`)."""
        kept, inputs = inputs, inputs.warm(min(self.min_fit_rows, self.window_size))
        snapshot = inputs.window
        # the predecessors go to the fit with its parameters (the unread columns do not)
        params = pop_unread(dict(inputs.params))
        pooled = params.get(POOLED_SERIES, 1) > 1  # the model's fit takes it out
        if inputs.previous is not None:
            params = {**params, "previous": inputs.previous}
        if self.caches_rows:  # the fit's transforms of rows it saw at its last call
            params = {**params, ROW_KEYS: inputs.rows}
        model = self._fit_model(snapshot, params)
        ref, previous = snapshot, inputs.previous
        if len(ref) > CALIBRATION_ROWS:
            pick = np.random.default_rng(inputs.seed).choice(len(ref), CALIBRATION_ROWS, False)
            ref = ref[pick]
            previous = None if previous is None else previous[pick]
        raw, continues = self._reference(model, ref, previous)
        null = TailCalibrator.fit(raw, heavy_tails=inputs.heavy_tails, continues=continues,
                                  spacings=score_spacings(model, inputs.heavy_tails, pooled))
        if inputs.heavy_tails and previous is not None and not pooled:
            # recurring bursts: a size the window's excursions reached again reads no rarer
            # than that; an excursion opens where its predecessor's raw score was in the body
            # (only rows beyond the null's anchor count: their predecessors alone are
            # scored, row by row the same numbers as the whole window's)
            tail = np.flatnonzero(raw > null.anchor)  # ~5 %: only they are asked whether
            tail = tail[~np.isnan(previous[tail]).all(axis=1)]  # a predecessor is in the window
            before = np.full(len(raw), -np.inf)
            if len(tail):
                before[tail] = self._raw_score(model, np.nan_to_num(previous[tail], nan=0.0))
            null = null.with_seen(raw, before)
        return Fitted(model, null, self._fit_extra(snapshot), kept)

    def _reference(self, model: Any, ref: np.ndarray,
                   previous: np.ndarray | None) -> tuple[np.ndarray, np.ndarray | None]:
        """The raw scores of the calibration rows ``ref``, and which of them continue a
        sector that was already far on its previous tick (None: unknown), left out where a
        calibration reads its shoulder."""
        return self._raw_score(model, ref), None

    def _fit_extra(self, window: np.ndarray) -> Any:
        return None
