"""The drift's common mode: a day-long shift a large part of one kind of sector shares.

A multi-day holiday (Nowruz: 14 days off) moves every rural cell's users up and its
throughput down for days, each kind of sector its own way: each sector's day-long mean of
its seasonal z (:mod:`~telecom_nb.features.drift`) drifts with it, and on the hours where
the tick's common-mode gate stays shut (only rural and highway cells shifted at night, under
half the fleet) the drift part read the holiday as wrong parameter changes (gen16's 1120:
P 0.864 without the part, 0.808 with it). A wrong parameter moves one cell, or one site's
few, of a group of ~60 sectors that share a day shape; a holiday moves a large share of the
group the same way. So per tick, KPI and group, where at least :data:`SHARE` of the read
sectors hold a drift of :data:`DRIFT` or more on one side, no drift on that side is read in
that group (the other side still is). Only readings are dropped, none is made: taking the
group's median drift off instead made new ones on the members that did not move with it
(tuning world t1153: false-alarm rows 1,559 -> 2,200). The groups are the common mode's
(:class:`~telecom_nb.features.common_mode.CommonMode`), no calendar.
"""

from __future__ import annotations

import numpy as np

from telecom_nb.features.common_mode import FLEET_SAMPLE
from telecom_nb.features.robust_kernel import numba

#: a standardised drift this far out is one the drift part could read (its floor of 2
#: needs about 2.2 beyond the KPI families' penalty)
DRIFT = 2.0
#: a group holding this share of its read sectors on one side shares the drift (normal
#: life: ~2 % a side; a wrong parameter at one site: its ~7 cells of ~60)
SHARE = 0.25
#: fewest read sectors of a group at a tick to judge a share
MIN_READ = 10


def applies(group: np.ndarray) -> bool:
    """Whether any row has a group (the common mode is fitted)."""
    return bool((group >= 0).any())


def shared(u: np.ndarray, read: np.ndarray, group: np.ndarray, times: np.ndarray) -> np.ndarray:
    """(rows x KPIs) where a row's standardised drift ``u`` is on a side that a large share
    of its group holds at its tick; ``read``: rows whose drift counts."""
    out = np.zeros(u.shape, dtype=bool)
    if (numba is not None and u.ndim == 2 and len(times)
            and bool((times == times[0]).all())):  # one tick (a replay's, a live one)
        _one_tick(u, read, group, int(group.max()) + 1, out)
        return out
    has = np.flatnonzero(read & (group >= 0))
    if len(has) < MIN_READ:
        return out
    stamps = times[has]
    if (stamps == stamps[0]).all():
        tick = np.zeros(len(has), dtype=np.int64)
        n_ticks = 1
    else:
        ticks, tick = np.unique(stamps, return_inverse=True)
        n_ticks = len(ticks)
    n_codes = n_ticks * (int(group.max()) + 1)
    codes = tick * (int(group.max()) + 1) + group[has]
    # the shares from a strided sample: a large fleet's tick stays cheap
    pick = slice(None, None, max(1, len(has) // (FLEET_SAMPLE * n_ticks)))
    sample = np.nan_to_num(u[has[pick]])
    n_read = np.bincount(codes[pick], minlength=n_codes).astype(np.float64)
    enough = n_read >= MIN_READ
    for j in range(u.shape[1]):  # a few KPIs
        up = np.bincount(codes[pick], weights=sample[:, j] >= DRIFT, minlength=n_codes)
        down = np.bincount(codes[pick], weights=sample[:, j] <= -DRIFT, minlength=n_codes)
        up_shared = enough & (up >= SHARE * n_read)
        down_shared = enough & (down >= SHARE * n_read)
        col = u[has, j]
        out[has, j] = (up_shared[codes] & (col > 0)) | (down_shared[codes] & (col < 0))
    return out


def _one_tick(u, read, group, n_groups, out):  # pragma: no cover - compiled
    """:func:`shared` of one tick's rows in three passes, no temporaries: the read rows
    counted, the sides' counts per group and KPI from every ``len // FLEET_SAMPLE``-th read
    row (``bincount``'s float sums of ones: whole numbers, the same), each read row's
    verdict (~0.2 ms -> ~10 us at 1,000 rows). A NaN drift is on no side (``nan_to_num``'s
    0), an infinite one on its own (its largest float)."""
    n, k = u.shape
    total = 0
    for i in range(n):
        total += read[i] and group[i] >= 0
    if total < MIN_READ:
        return
    step = max(1, total // FLEET_SAMPLE)
    n_read = np.zeros(n_groups)
    up = np.zeros((n_groups, k))
    down = np.zeros((n_groups, k))
    t = 0
    for i in range(n):
        g = group[i]
        if not read[i] or g < 0:
            continue
        if t % step == 0:
            n_read[g] += 1.0
            for j in range(k):
                up[g, j] += u[i, j] >= DRIFT
                down[g, j] += u[i, j] <= -DRIFT
        t += 1
    for i in range(n):
        g = group[i]
        if not read[i] or g < 0 or n_read[g] < MIN_READ:
            continue
        cut = SHARE * n_read[g]
        for j in range(k):
            v = u[i, j]
            out[i, j] = (up[g, j] >= cut and v > 0.0) or (down[g, j] >= cut and v < 0.0)


if numba is not None:
    _one_tick = numba.njit(cache=True, nogil=True)(_one_tick)
