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

from telecom_nb.detectors.fit_inputs import warm_count
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
        """Warm-up is over and the window holds enough rows for a fit; the first model
        counts only warm rows (:meth:`.FitInputs.warm`: a window of the features' cold
        start alone has no spread, and its nulls read every later z at the cap)."""
        need = min(self.min_fit_rows, self.window_size)
        if self._window is None or len(self._window) < need:
            return False
        if self.batches_seen_ < self.warmup_batches:
            return False
        return self._fitted is not None or self._warm_rows() >= need

    def _warm_rows(self) -> int:
        """The window's warm rows (:func:`.warm_count`; asked only before the first model:
        one scan of the window per learn)."""
        return 0 if self._window is None else warm_count(self._window.snapshot())

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
