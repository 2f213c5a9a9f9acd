"""When a retrain is due: warm-up over, enough window rows, and the schedule's gap on the
data clock passed.

The gap itself is :mod:`.retrain_schedule`'s (pure functions of the history's age and the
window's span); this mixin reads the detector's state for it. Mixed into
:class:`~.windowed.WindowedDetector`, which owns the window, the data clock
(``first_time_``, ``_last_attempt``) and the parameters; subclasses add their own reasons
to retrain by overriding :meth:`RetrainTiming._due` (e.g. :mod:`.ratio_switch`).
"""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd

from telecom_nb.detectors.fit_inputs import warm_count
from telecom_nb.detectors.retrain_schedule import (
    RETRAIN_GROWTH,
    RETRAIN_TURNOVER,
    retrain_gap,
    turnover_gap,
)


class RetrainTiming:
    """The retrain schedule read on the detector's state."""

    #: when the window first held enough rows for a fit (before the first model: its wait
    #: for rows past the cold start starts here; None: not yet, or an older checkpoint)
    ready_time_: pd.Timestamp | None = None
    #: when the first model was asked for (None: not yet, or an older checkpoint)
    first_attempt_: pd.Timestamp | None = None
    _state_added: tuple[str, ...] = ("ready_time_", "first_attempt_")

    def derive_added_state(self, names: Sequence[str]) -> None:
        """A checkpoint older than the rule: its schedule counts from its first row, as
        it did."""
        for name in ("ready_time_", "first_attempt_"):
            if name in names:
                setattr(self, name, None)
        super().derive_added_state(names)

    def _due(self, now: pd.Timestamp) -> bool:
        """First model after warm-up; then on the data clock, more often while young."""
        if self.ready_time_ is None and self._fitted is None and self._size_ready():
            self.ready_time_ = now
        return self._may_fit() and self._scheduled(now)

    def _size_ready(self) -> bool:
        """Warm-up is over and the window holds enough rows, warm or not."""
        if self._window is None or len(self._window) < min(self.min_fit_rows, self.window_size):
            return False
        return self.batches_seen_ >= self.warmup_batches

    def _schedule_start(self) -> pd.Timestamp:
        """Where the schedule's age starts: the first row, later by the first model's wait
        for rows past the cold start. The young schedule doubles the age at each retrain:
        counted from the first row, a wait of 7 ticks (lte stand-in 2097, 14 min) moved
        the fifth retrain 16x that (03:12, not 23:28) and its first weekend was read by a
        model of Saturday 04:00 (60 -> 241 false rows that Sunday); NAB 69.94 -> 67.30."""
        if self.ready_time_ is None or self.first_attempt_ is None:
            return self.first_time_
        return self.first_time_ + max(self.first_attempt_ - self.ready_time_, pd.Timedelta(0))

    def _may_fit(self) -> bool:
        """Warm-up is over and the window holds enough rows for a fit; the first model
        counts only warm rows (:meth:`.FitInputs.warm`: a window of the features' cold
        start alone has no spread, and its nulls read every later z at the cap)."""
        if not self._size_ready():
            return False
        return (self._fitted is not None
                or self._warm_rows() >= min(self.min_fit_rows, self.window_size))

    def _warm_rows(self) -> int:
        """The window's warm rows (:func:`.warm_count`; asked only before the first model:
        one scan of the window per learn)."""
        return 0 if self._window is None else warm_count(self._window.snapshot())

    def _scheduled(self, now: pd.Timestamp) -> bool:
        """The schedule's retrain is due at ``now`` (the first model: at once)."""
        if self._last_attempt is None:
            return True
        return now - self._last_attempt >= self._retrain_gap(self._schedule_start())

    def _retrain_gap(self, first: pd.Timestamp) -> pd.Timedelta:
        """Data time from the last retrain to the next (:mod:`.retrain_schedule`)."""
        growth, turnover = self.retrain_growth, self.retrain_turnover
        if growth is None:
            growth = RETRAIN_GROWTH if self._few_series() else 0.0
        if turnover is None:
            turnover = RETRAIN_TURNOVER if self._few_series() else 0.0
        gap = retrain_gap(self._last_attempt - first, self.retrain_interval, growth)
        if turnover > 0 and self._window_span is not None:
            gap = max(gap, turnover_gap(self._window_span, self.retrain_interval, turnover))
        return gap
