"""The data's cadence, learned from the stream, so that memories are durations, not ticks.

Constants tuned on 15-minute data (an EW weight of 0.3 "per tick", a warm-up of 8
ticks) mean four times as long on hourly data and a third as long on 5-minute data.
Each extractor therefore counts a sample as ``ratio = step / 15 min`` reference ticks
and turns a per-tick EW weight ``a`` into ``1 - (1 - a) ** ratio``: at 15 minutes
nothing changes, at other cadences the same constants mean the same hours.
"""

from __future__ import annotations

from collections import deque

import numpy as np
import pandas as pd

#: the cadence every tick-counted constant of the features was tuned on
REFERENCE_STEP = pd.Timedelta("15min")
_REF_NS = REFERENCE_STEP.value
#: distinct batch times remembered to estimate the step (a median shrugs off gaps)
_MEMORY = 17


def per_sample(alpha: float | np.ndarray, ratio: float) -> float | np.ndarray:
    """A per-reference-tick EW weight as the weight of one sample at ``ratio``."""
    return 1.0 - (1.0 - alpha) ** ratio


def _median_gap(times: deque[int]) -> int:
    """``int(np.median(np.diff(times)))`` in plain Python (a few ints: numpy's median
    cost ~11 us a tick). The times increase, so no gap wraps; an odd count's middle gap
    and an even count's ``(a + b) / 2`` go through float64 as numpy's median does."""
    it = iter(times)
    prev = next(it)
    gaps = []
    for t in it:
        gaps.append(t - prev)
        prev = t
    gaps.sort()
    mid = len(gaps) // 2
    if len(gaps) % 2:
        return int(float(gaps[mid]))
    return int((float(gaps[mid - 1]) + float(gaps[mid])) / 2.0)


class Cadence:
    """Median gap between a stream's distinct batch times (15 min until two are seen)."""

    def __init__(self) -> None:
        self._times: deque[int] = deque(maxlen=_MEMORY)
        self.step_ns = _REF_NS

    def observe(self, timestamps: pd.DatetimeIndex | np.ndarray) -> None:
        """Note a batch's (latest) time; the step is re-estimated from the last few.
        ``timestamps`` as a DatetimeIndex or as int64 ns (:meth:`BatchView.ns`)."""
        if len(timestamps) == 0:
            return
        ns = timestamps if isinstance(timestamps, np.ndarray) else timestamps.as_unit("ns").asi8
        now = int(ns.max())
        if self._times and now <= self._times[-1]:
            return
        self._times.append(now)
        if len(self._times) >= 2:
            self.step_ns = _median_gap(self._times)

    @property
    def step(self) -> pd.Timedelta:
        return pd.Timedelta(self.step_ns, unit="ns")

    @property
    def ratio(self) -> float:
        """One sample in reference ticks (4.0 for hourly data, 1/3 for 5-minute data)."""
        return self.step_ns / _REF_NS
