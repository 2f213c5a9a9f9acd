"""A moderate deviation that holds: each KPI's weakest tick over the last hour.

A carrier lost for hours halves a cell's throughput, a core fault lifts a VoLTE drop rate of
a few calls an hour: one KPI at 3-6 spreads, tick after tick. Per tick that is no rarer than
the fleet's everyday excursions of ~100 features (the max over features is a Bonferroni
over them; its 1-in-1,000 level is ~9 units where such a KPI reads 4-6). What normal life
rarely does is keep one KPI that far for several ticks in a row: its big excursions are
single ticks (a crowd's hour, a ratio of few counts). So per sector and KPI the feature is
the *smallest* of the KPI's deviation from its peers at the same tick (the peer z, as far
as the seasonal z agrees: what the max reads) over the last :func:`run_ticks` ticks: high
only when every one of them was. Peers, not the sector's own history: a fleet-wide bias
that lasts (a weekend day the calendar learned poorly, weather) moves every sector alike
for hours; with the seasonal or persistence z the first generator's hourly world g91 took
26 more false alarms (drop rate and traffic on its weekend day), with the peer z ~5
(offline). Its tail is fitted like every feature's, and the detector reads these columns
as a part of their own (:mod:`~telecom_nb.detectors.run_part`), never in the max over
features or the forest.

Fleets only (a few series read 0: their shoulder calibrations and level shifts read runs
already). State: the last ``MAX_RUN - 1`` ticks' deviations per sector x KPI, float16.
Compiled (numba): both passes per cell, the same numbers (a 100k tick's numpy version
gathered, widened and reduced (rows x 3 x KPIs) blocks: ~20 ms a tick).
"""

from __future__ import annotations

import numpy as np

from telecom_nb.features import row_split, tick_kernels
from telecom_nb.features.any_layout import AnyLayout
from telecom_nb.features.compact import bits, f16_decode, f16_encode
from telecom_nb.features.robust_kernel import _nan0, numba
from telecom_nb.features.tick_kernels import _nmin
from telecom_nb.sector_index import grow_rows, known_rows

#: ticks of a run at most (5-minute data: 20 minutes); the state keeps one fewer
MAX_RUN = 4
#: data time a run spans at least (hourly data: 2 ticks; 15-minute data: 4)
RUN_NS = 3_600 * 10**9
#: the deviations stored are bounded by this (float16; far beyond any tail)
Z_CAP = 60_000.0


def run_ticks(step_ns: int) -> int:
    """Ticks in a run: an hour of data time, at least 2 and at most :data:`MAX_RUN`."""
    if step_ns <= 0:
        return MAX_RUN
    return int(min(MAX_RUN, max(2, round(RUN_NS / step_ns))))


class RunMin:
    """Per sector x KPI: the last ticks' strongest deviations (NaN = no tick yet)."""

    def __init__(self, n_kpis: int) -> None:
        #: (sectors, MAX_RUN - 1, KPIs): the deviation 1, 2, 3 ticks back
        self.last_ = np.full((0, MAX_RUN - 1, n_kpis), np.nan, dtype=np.float16)

    def transform(self, rows: np.ndarray, deviation: np.ndarray, ticks: int) -> np.ndarray:
        """The smallest of ``deviation`` (rows x KPIs, >= 0) and each row's sector's last
        ``ticks - 1`` stored deviations; a sector with fewer stored ticks reads 0."""
        if _compiled(self.last_, rows, deviation) and ticks >= 2:  # the lines below, a pass
            out = np.empty(deviation.shape)
            last, back = bits(self.last_), min(ticks - 1, MAX_RUN - 1)
            row_split.over_rows(len(rows), lambda lo, hi: _transform(
                rows[lo:hi], deviation[lo:hi], last, back, out[lo:hi]))
            return out
        out = np.zeros(deviation.shape)
        known = known_rows(rows, len(self.last_))
        if not known.any():
            return out
        back = self.last_[rows[known], : ticks - 1].astype(np.float64)
        weakest = np.minimum(deviation[known], back.min(axis=1))  # NaN (too young) stays
        out[known] = np.nan_to_num(weakest, nan=0.0)
        return out

    def update(self, rows: np.ndarray, deviation: np.ndarray, n_sectors: int) -> None:
        """Push this tick's deviations (rows x KPIs) into the sectors' state."""
        self.last_ = grow_rows(self.last_, n_sectors, fill=np.nan)
        if _compiled(self.last_, rows, deviation) and tick_kernels.increasing(rows):
            last = bits(self.last_)  # distinct sectors: shifted in place, slices side by side
            row_split.over_rows(len(rows), lambda lo, hi: _push(
                rows[lo:hi], deviation[lo:hi], Z_CAP, last))
            return
        self.last_[rows, 1:] = self.last_[rows, :-1]
        self.last_[rows, 0] = np.minimum(np.nan_to_num(deviation, nan=0.0), Z_CAP)


def _compiled(last: np.ndarray, rows: np.ndarray, deviation: np.ndarray) -> bool:
    return (numba is not None and last.flags.c_contiguous and rows.dtype.kind in "iu"
            and deviation.dtype == np.float64 and deviation.ndim == 2
            and deviation.shape == (len(rows), last.shape[2]))


def _transform(rows, deviation, last, back, out):  # pragma: no cover - compiled
    """:meth:`RunMin.transform` per cell (float16 state as its bits, read exactly)."""
    n, k = deviation.shape
    for i in range(n):
        r = rows[i]
        known = r >= 0 and r < last.shape[0]
        for j in range(k):
            if not known:
                out[i, j] = 0.0
                continue
            b = f16_decode(last[r, 0, j])
            for t in range(1, back):  # numpy's min over the stored ticks: NaN wins
                b = _nmin(b, f16_decode(last[r, t, j]))
            out[i, j] = _nan0(_nmin(deviation[i, j], b))


def _push(rows, deviation, cap, last):  # pragma: no cover - compiled
    """:meth:`RunMin.update` of distinct sectors: shift back, store the new deviation as
    numpy's float16 cast rounds it."""
    n, k = deviation.shape
    for i in range(n):
        r = rows[i]
        for t in range(last.shape[1] - 1, 0, -1):
            for j in range(k):
                last[r, t, j] = last[r, t - 1, j]
        for j in range(k):
            last[r, 0, j] = f16_encode(_nmin(_nan0(deviation[i, j]), cap))


def _strength(x, big, out):  # pragma: no cover - compiled
    """:func:`strongest` per cell: numpy's ``nan_to_num`` (NaN 0, +-inf +-max) then ``abs``."""
    n, k = x.shape
    for i in range(n):
        for j in range(k):
            v = x[i, j]
            if v != v:
                out[i, j] = 0.0
            elif v == np.inf or v == -np.inf:
                out[i, j] = big
            else:
                out[i, j] = abs(v)


if numba is not None:
    _transform = numba.njit(cache=True, nogil=True)(_transform)
    _push = numba.njit(cache=True, nogil=True)(_push)
    _strength = AnyLayout(numba.njit(cache=True, nogil=True)(_strength))


def strongest(deviation: np.ndarray) -> np.ndarray:
    """Each KPI's deviation this tick as the run reads it: its size (|z|, NaN as 0).

    Compiled for a float64 matrix: one pass into the result, where numpy's ``nan_to_num``
    then ``abs`` made a copy, three masks and a second copy (~3.5 ms a 100k tick)."""
    if numba is None or deviation.dtype != np.float64 or deviation.ndim != 2:
        return np.abs(np.nan_to_num(deviation, nan=0.0))
    out = np.empty(deviation.shape)
    big = float(np.finfo(np.float64).max)
    row_split.over_rows(len(out), lambda lo, hi: _strength(deviation[lo:hi], big, out[lo:hi]))
    return out
