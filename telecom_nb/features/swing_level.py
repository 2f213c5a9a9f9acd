"""Swing: how far a series' level shift z already went in its recent brief episodes.

A person reading a bursty series does not call a level shift what the series has done
before: a 5-minute CPU series bursting every ~45 minutes (NAB asg_misconfiguration) moves
the trimmed hour and the last bins alike, and its shift z reached 10-22 some 20 times a
month before the real fault. The series' past is counted in *episodes*: a run of rows whose
shift z stays beyond :data:`LEVEL` on one side, ended by a row back within it (or on the
other side). Only a brief episode (:data:`BRIEF_BINS`) counts: a burst is brief, while a
collapse or an outage holds, so a cell's faults of the week are no habit and a fault
cannot precede itself. The swing of a row is the :data:`EPISODES`-th largest same-side
peak of the brief episodes that ended in the last :data:`DAYS` days (and today, before the
row): a height reached once is no habit. The shift part (:mod:`~telecom_nb.detectors.
shift_part`) reads a shift no larger than a swing that is rare itself as none, its null
still of the shift z (a gate on the z it is fitted on moves the null against the
statistic, nab46).

State per sector and KPI: the open episode's signed peak (0: none) and first bin, per day
of the last ``DAYS + 1`` (data time, day ids) the largest :data:`EPISODES` peaks of the
brief episodes that ended on it, per side: ``DAYS + 1`` slots read per row.
"""

from __future__ import annotations

import numpy as np

from telecom_nb.features.robust_kernel import numba

#: |shift z| beyond which a run of rows is an episode (below it the reading has returned)
LEVEL = 1.0
#: the swing is the EPISODES-th largest peak: a height reached once is no habit
EPISODES = 2
#: 15-minute bins from an episode's first row to the row back within LEVEL for it to count:
#: a burst is brief, while a fault (a collapse, an outage) holds, and a cell's faults of
#: the week are no habit (few-series lte: a collapse after two outages was lost without it)
BRIEF_BINS = 4
BINS_PER_DAY = 96
#: whole days looked back on, besides today
DAYS = 7
#: day slots kept per sector
RING = DAYS + 1
_NONE = np.iinfo(np.int64).min // 2


def new_state(n: int, k: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Empty state of ``n`` sectors and ``k`` KPIs: open peaks and their first bins, each
    day's largest :data:`EPISODES` peaks per side (n x RING x 2 x EPISODES x k, largest
    first) and day ids."""
    return (np.zeros((n, k)), np.zeros((n, k), dtype=np.int64),
            np.zeros((n, RING, 2, EPISODES, k)), np.full((n, RING), _NONE, dtype=np.int64))


def _swing_rows(z, r, bins, peak, start, day_max, day_id, out):  # pragma: no cover - compiled
    """Each row in data order: its signed swing into ``out`` (read first), then its z
    learned (the open episode grown, or closed: into its day's slot if it was brief)."""
    top = np.zeros(EPISODES)
    for i in range(z.shape[0]):
        s, d = r[i], bins[i] // BINS_PER_DAY
        for j in range(z.shape[1]):
            v = z[i, j]
            side = 0 if v > 0 else 1
            top[:] = 0.0  # the largest EPISODES peaks of the week's episodes, largest first
            for slot in range(RING):
                age = d - day_id[s, slot]
                if 0 <= age <= DAYS:
                    for e in range(EPISODES):
                        _insert(top, day_max[s, slot, side, e, j])
            out[i, j] = top[-1] if v > 0 else (-top[-1] if v < 0 else 0.0)
            p = peak[s, j]
            now = 1.0 if v > LEVEL else (-1.0 if v < -LEVEL else 0.0)
            if p != 0.0 and p * now <= 0.0:  # back within LEVEL, or over to the other side
                if bins[i] - start[s, j] <= BRIEF_BINS:  # a burst: its peak joins its day's
                    slot = d % RING
                    if day_id[s, slot] != d:
                        day_max[s, slot] = 0.0
                        day_id[s, slot] = d
                    _insert(day_max[s, slot, 0 if p > 0 else 1, :, j], abs(p))
                p = 0.0
            if now != 0.0:
                if p == 0.0:
                    start[s, j] = bins[i]
                p = now * max(abs(p), abs(v))
            peak[s, j] = p


def _insert(top, v):  # pragma: no cover - compiled
    """``v`` into the descending ``top`` (its smallest dropped) if larger than that."""
    n = top.shape[0]
    if v <= top[n - 1]:
        return
    e = n - 1
    while e > 0 and top[e - 1] < v:
        top[e] = top[e - 1]
        e -= 1
    top[e] = v


if numba is not None:
    _insert = numba.njit(cache=True, inline="always")(_insert)
    _swing_rows = numba.njit(cache=True, nogil=True)(_swing_rows)


def swing_run(z: np.ndarray, r: np.ndarray, bins: np.ndarray, peak: np.ndarray,
              start: np.ndarray, day_max: np.ndarray, day_id: np.ndarray) -> np.ndarray:
    """Signed swing of each row (``z``: rows x KPIs of state rows ``r`` in 15-minute bin
    ids ``bins``, in data order; the earlier rows count as history), learning them."""
    out = np.zeros_like(z, dtype=np.float64)
    if len(z):
        _swing_rows(np.ascontiguousarray(z, dtype=np.float64), np.asarray(r, np.int64),
                    np.asarray(bins, np.int64), peak, start, day_max, day_id, out)
    return out


def swing_read(z: np.ndarray, r: np.ndarray, bins: np.ndarray, peak: np.ndarray,
               start: np.ndarray, day_max: np.ndarray, day_id: np.ndarray) -> np.ndarray:
    """:func:`swing_run` on a copy of the batch's sectors' state (the state unchanged)."""
    sectors, local = np.unique(r, return_inverse=True)
    return swing_run(z, local, bins, peak[sectors], start[sectors], day_max[sectors],
                     day_id[sectors])
