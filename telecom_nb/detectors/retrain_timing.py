"""When a retrain is due: warm-up over, enough window rows, and the schedule's gap on the
data clock passed.

The gap itself is :mod:`.retrain_schedule`'s (pure functions of the history's age and the
window's span); this mixin reads the detector's state for it. Mixed into
:class:`~.windowed.WindowedDetector`, which owns the window, the data clock
(``first_time_``, ``_last_attempt``) and the parameters; subclasses add their own reasons
to retrain by overriding :meth:`RetrainTiming._due` (e.g. :mod:`.ratio_switch`).
"""

from __future__ import annotations

import pandas as pd

from telecom_nb.detectors.retrain_schedule import (
    RETRAIN_GROWTH,
    RETRAIN_TURNOVER,
    retrain_gap,
    turnover_gap,
)


class RetrainTiming:
    """The retrain schedule read on the detector's state."""

    def _due(self, now: pd.Timestamp) -> bool:
        """First model after warm-up; then on the data clock, more often while young."""
        return self._may_fit() and self._scheduled(now)

    def _may_fit(self) -> bool:
        """Warm-up is over and the window holds enough rows for a fit."""
        if self._window is None or len(self._window) < min(self.min_fit_rows, self.window_size):
            return False
        return self.batches_seen_ >= self.warmup_batches

    def _scheduled(self, now: pd.Timestamp) -> bool:
        """The schedule's retrain is due at ``now`` (the first model: at once)."""
        if self._last_attempt is None:
            return True
        return now - self._last_attempt >= self._retrain_gap(self.first_time_)

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
