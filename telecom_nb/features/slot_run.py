"""A run of moderately off samples: the seasonal baseline learns it slowly.

The slot level, the slot spread and the sector's pooled residual spread learn every sample
within ``GATE_Z`` spreads at full weight. A wrong parameter (a cell's traffic x0.6, its drop
rate x2-4) reads 1.5-3 spreads for one to four days: each of those references learned it,
and its seasonal z faded from about -2 to -0.5 in 1-2 days (tuning world t2705, hourly: with
the references frozen at the fault's start an RSSI shift kept z 5 where it read 1.4 after
three days; the slot and pooled spreads took most, the slot level less). So per sector x
series an EW mean of the clipped seasonal z over about :data:`RUN_HOURS` of data: while it
holds a sample's side beyond :data:`RUN_FROM`, a slot that has seen a week learns that sample
with less weight, down to ``GATED_WEIGHT`` at :data:`RUN_TO` (white noise's mean spreads
~0.4 hourly: a run, not one noisy sample), released linearly over :data:`RELEASE_HOURS` of
the run: a lasting genuine change still becomes the cell's normal (eight cells re-tuned to
0.6x traffic for good, c2705: flagged about two days as on main, 129 -> 161 rows). Fleets
only (a few series read their level-shift part).

Never slowed: the series of the fleet's load family (:func:`load_series`: users, setup
counts, traffic, PRB, volumes, learned from the data by
:mod:`~telecom_nb.features.load_explained`, and relations reading one). Demand moves them
for days without any fault (the lead's eleven worlds: ~75 % of the new false rows of the
run slowing every series were led by load KPIs, ~30 an event gained); the events it gained
were read on the quality KPIs (RSSI, CQI, drop rate: 85 % of its new wrong-parameter rows
on tuning worlds t2705 and c2705).
"""

from __future__ import annotations

import numpy as np

from telecom_nb.features.robust_kernel import numba
from telecom_nb.features.robust_stats import GATED_WEIGHT

#: hours of data the run's EW mean remembers
RUN_HOURS = 6.0
#: a run's mean |z| from which a sample on its side teaches less ...
RUN_FROM = 0.6
#: ... and from which it teaches ``GATED_WEIGHT`` of the usual weight
RUN_TO = 1.5
#: a sample's z counts at most this far (one outage hour is not a run)
RUN_CLIP = 3.0
#: hours of a held run after which its samples teach at full weight again (linearly from
#: its start): a lasting genuine change becomes the cell's normal (without this a 0.8x
#: traffic change read z -1.6..-2.0 for two weeks; main's faded to -0.5 in 5 days)
RELEASE_HOURS = 72.0
#: a slot slows a run's samples once it has seen this many days of visits: before, a run
#: may be the cell's own weekday shape (an office cell first seen on a weekend)
RUN_WEEK_DAYS = 7.0


def load_series(weights: np.ndarray, family: np.ndarray | None) -> np.ndarray:
    """Series (``weights``: series x KPIs, a relation half each of its two) that read a KPI
    of the fleet's load ``family`` (:mod:`~telecom_nb.features.load_explained`; None or
    another KPI count: none)."""
    if family is None or len(family) != weights.shape[1]:
        return np.zeros(len(weights), dtype=bool)
    return (weights[:, np.asarray(family, dtype=bool)] > 0).any(axis=1)


def run_alpha(step_h: float) -> float:
    """The run's EW weight of one sample of ``step_h`` hours."""
    return 1.0 - (1.0 - 1.0 / RUN_HOURS) ** step_h


def run_cell(prev, age, resid, sp, counted, a_run, step_h):  # pragma: no cover - compiled
    """One cell: (the run's new mean, its age in hours, this sample's share of the usual
    learning weight if it may be slowed: on the run's side)."""
    if not counted:
        return prev, age, 1.0
    zc = min(max(resid / sp, -RUN_CLIP), RUN_CLIP)
    rm = prev + a_run * (zc - prev)
    age = age + step_h if abs(rm) >= RUN_FROM else 0.0
    if (rm > 0.0) != (zc > 0.0) or (rm < 0.0) != (zc < 0.0):
        return rm, age, 1.0
    m = 1.0 - (1.0 - GATED_WEIGHT) * (abs(rm) - RUN_FROM) / (RUN_TO - RUN_FROM)
    return rm, age, max(min(max(m, GATED_WEIGHT), 1.0), min(age / RELEASE_HOURS, 1.0))


def run_shares(state: tuple[np.ndarray, np.ndarray], rows: np.ndarray, resid: np.ndarray,
               spread: np.ndarray, counted: np.ndarray, a_run: float,
               step_h: float) -> np.ndarray:
    """:func:`run_cell` for a batch of distinct rows: learns the run (``state``: its mean
    and age, rows x series, in place) and returns each sample's share (1 where not
    ``counted``)."""
    mean, age = state
    zc = np.clip(np.nan_to_num(resid / spread), -RUN_CLIP, RUN_CLIP)
    prev = mean[rows].astype(np.float64)
    rm = np.where(counted, prev + a_run * (zc - prev), prev)
    old = age[rows].astype(np.float64)
    new_age = np.where(counted, np.where(np.abs(rm) >= RUN_FROM, old + step_h, 0.0), old)
    mean[rows] = rm
    age[rows] = new_age
    m = np.clip(1.0 - (1.0 - GATED_WEIGHT) * (np.abs(rm) - RUN_FROM) / (RUN_TO - RUN_FROM),
                GATED_WEIGHT, 1.0)
    m = np.maximum(m, np.minimum(new_age / RELEASE_HOURS, 1.0))
    return np.where(counted & (np.sign(rm) == np.sign(zc)), m, 1.0)


if numba is not None:
    run_cell = numba.njit(cache=True)(run_cell)
