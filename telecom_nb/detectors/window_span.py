"""A fleet's retraining window as a span of data time, whatever the cadence and fleet size.

``window_size`` rows of the last ticks were the last 20 ticks of a fleet over 1,000 cells,
~2 days of ~400 hourly cells and ~1.3 days at 15 minutes: what the deep tails and the nulls
saw depended on the fleet's size. Each tick instead adds ``window_size / ticks in
window_span`` of its rows (a sample), so the window holds the span at any cadence and size.
Three days, not a week: a week's nulls (every weekend in them) cost event recall on hourly
worlds as much as they gained precision (README, Measured: issue 11, window span).
"""

from __future__ import annotations

import pandas as pd
from traitlets import Any as AnyTrait
from traitlets import HasTraits, validate

from telecom_nb.params import NONE_TEXTS, param_trait, to_timedelta


class WindowSpanParams(HasTraits):
    """Mixin for a :class:`~telecom_nb.detectors.windowed.WindowedDetector`: ``window_span``."""

    window_span = param_trait(AnyTrait(pd.Timedelta("3D"), allow_none=True, help=(
        "data time a fleet's window spans (each tick adds window_size / ticks in the span "
        "of its rows); None = the last window_size rows")))

    @validate("window_span")
    def _v_window_span(self, proposal):
        value = proposal["value"]
        if value is None or (isinstance(value, str) and value.strip().lower() in NONE_TEXTS):
            return None  # ``--set window_span=none`` arrives as text
        return to_timedelta("window_span", value)

    def _window_ticks(self) -> int:
        """Ticks in ``window_span`` -- while younger than it, the ticks seen so far: the
        first days' rows (cold baselines) then leave the window as it thins, not a week later.
        A few series keep the base class's (their window is their history)."""
        base = super()._window_ticks()
        if self.window_span is None or self._few_series():
            return base
        span = int(self.window_span / self.features_.parts_[0].cadence_.step)
        return max(base, min(self.batches_seen_ + 1, span))
