"""When the next retrain is due, on *data* time (the detector's schedule, as a rule).

While young, the history's age: each model sees twice the data of the last. Then
``retrain_interval``. A few series' retrains then wait until their history has grown by
``growth`` of its age (up to :data:`MAX_STRETCH` intervals): one more day barely moves a
model fitted on months of one series, and one series' retrain costs as much as scoring
thousands of its rows (a fleet's is spread over all of them).

Once the window is full the age no longer measures how much a retrain changes: the window
only slides. A few series then also wait until ``turnover`` of the window is new (the data
time the full window spanned at the last retrain, times ``turnover``; at most
:data:`MAX_TURNOVER_STRETCH` intervals, so a new regime enters the model within a bounded
data time). A window not yet full keeps the age's schedule as before.
"""

from __future__ import annotations

import pandas as pd

#: ``retrain_growth`` for a few series (None): retrain once the history grew by a quarter
RETRAIN_GROWTH = 0.25
#: a stretched retrain gap is at most this many ``retrain_interval`` (daily -> weekly)
MAX_STRETCH = 7
#: ``retrain_turnover`` for a few series (None): retrain once a quarter of the window is
#: new (one49: 0.1 refitted a 100k-row 15-minute series 40 times on its full window, a
#: third of its replay's CPU; a quarter measured no fewer events on one-series worlds)
RETRAIN_TURNOVER = 0.25
#: a turnover gap is at most this many ``retrain_interval`` (eight weeks when daily)
MAX_TURNOVER_STRETCH = 56


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


def turnover_gap(span: pd.Timedelta, retrain_interval: pd.Timedelta,
                 turnover: float) -> pd.Timedelta:
    """Data time until ``turnover`` of a window spanning ``span`` of data time is new (at
    most :data:`MAX_TURNOVER_STRETCH` intervals)."""
    return min(span * turnover, retrain_interval * MAX_TURNOVER_STRETCH)
