"""When the next retrain is due, on *data* time (the detector's schedule, as a rule).

While young, the history's age: each model sees twice the data of the last. Then
``retrain_interval``. A few series' retrains then wait until their history has grown by
``growth`` of its age (up to :data:`MAX_STRETCH` intervals): one more day barely moves a
model fitted on months of one series, and one series' retrain costs as much as scoring
thousands of its rows (a fleet's is spread over all of them).
"""

from __future__ import annotations

import pandas as pd

#: ``retrain_growth`` for a few series (None): retrain once the history grew by a quarter
RETRAIN_GROWTH = 0.25
#: a stretched retrain gap is at most this many ``retrain_interval`` (daily -> weekly)
MAX_STRETCH = 7


def retrain_gap(age: pd.Timedelta, retrain_interval: pd.Timedelta,
                growth: float) -> pd.Timedelta:
    """Data time from a retrain at ``age`` (since the first data) to the next one;
    ``growth`` 0: every ``retrain_interval`` once the history is older than that."""
    interval = min(retrain_interval, max(age, pd.Timedelta(0)))
    if interval <= pd.Timedelta(0):
        interval = retrain_interval
    if growth > 0:
        interval = max(interval, min(age * growth, retrain_interval * MAX_STRETCH))
    return interval
