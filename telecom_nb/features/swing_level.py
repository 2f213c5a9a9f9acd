"""Swing: how far a series' level shift z has already reached in the past week.

A person reading a bursty series does not call a level shift what the series has done
before: a 5-minute CPU series bursting every ~45 minutes (NAB asg_misconfiguration) moves
the trimmed hour and the last bins alike, and its shift z reached 12-22 some 20 times a
month before the real fault. The swing of a row is the largest same-side shift z of the
previous week reached on two days a day apart or more (day blocks of the hours after the
last :data:`RECENT_H`, which are left out: a shift that holds is not its own precedent
for a day; a fault seen once is no habit). The shift part (:mod:`~telecom_nb.detectors.
shift_part`) reads a shift no larger than its swing as none; its null stays of the shift z
itself (a gate on the z it is fitted on moves the null against the statistic, nab46).

State per sector and KPI: the largest and smallest shift z of each of the last
:data:`RING` hours (data time, hour ids).
"""

from __future__ import annotations

import numpy as np

#: hours in a day's block; the last hours left out; the days looked back on after them
DAY_H = 24
RECENT_H = 24
DAYS_H = RECENT_H + 7 * DAY_H
#: hours kept per sector
RING = DAYS_H + 1
_NONE = np.iinfo(np.int64).min // 2


def _dense(z: np.ndarray, r: np.ndarray, h: np.ndarray, ring_hi: np.ndarray, ring_lo: np.ndarray,
           ring_id: np.ndarray) -> tuple[np.ndarray, int, np.ndarray, np.ndarray]:
    """Per batch sector (``inv`` indexes them) each hour's largest and smallest z from
    the ring and the batch, hours ``h0`` .. ``h.max()``."""
    sectors, inv = np.unique(r, return_inverse=True)
    h0 = int(h.min()) - DAYS_H
    span = int(h.max()) - h0 + 1
    k = z.shape[1]
    hi = np.full((len(sectors), span, k), -np.inf)
    lo = np.full((len(sectors), span, k), np.inf)
    ids = ring_id[sectors]  # sectors x RING
    u, s = np.nonzero((ids >= h0) & (ids - h0 < span))
    at = ids[u, s] - h0
    hi[u, at] = ring_hi[sectors[u], s]
    lo[u, at] = ring_lo[sectors[u], s]
    np.maximum.at(hi, (inv, h - h0), z)
    np.minimum.at(lo, (inv, h - h0), z)
    return inv, h0, hi, lo


def swing_read(z: np.ndarray, r: np.ndarray, h: np.ndarray, ring_hi: np.ndarray,
               ring_lo: np.ndarray, ring_id: np.ndarray) -> np.ndarray:
    """Signed swing of each row: the largest same-side |z| of the hours ``RECENT_H`` to
    ``DAYS_H`` before its own (``h``: hour ids), 0 if none. ``z`` (rows x KPIs, rows
    ``r``) in data order; the earlier rows of the batch count as history."""
    if not len(z):
        return np.zeros_like(z)
    inv, h0, hi, lo = _dense(z, r, h, ring_hi, ring_lo, ring_id)
    at = h - h0
    tops, bottoms = [], []
    for start in range(RECENT_H, DAYS_H, DAY_H):  # each day's block of hours
        top, bottom = np.zeros_like(z), np.zeros_like(z)
        for lag in range(start, start + DAY_H):
            top = np.maximum(top, hi[inv, at - lag])
            bottom = np.minimum(bottom, lo[inv, at - lag])
        tops.append(top)
        bottoms.append(bottom)
    top = _twice(np.stack(tops))
    bottom = -_twice(-np.stack(bottoms))
    return np.where(z > 0, top, np.where(z < 0, bottom, 0.0))


def _twice(days: np.ndarray) -> np.ndarray:
    """The largest value reached in two of the day blocks ``days`` (days x rows x KPIs)
    with a block between them: a fault of under a day that straddles two blocks is seen
    once."""
    later = np.maximum.accumulate(days[::-1], axis=0)[::-1]  # from each block on
    out = np.zeros(days.shape[1:])
    for d in range(len(days) - 2):
        out = np.maximum(out, np.minimum(days[d], later[d + 2]))
    return out


def swing_learn(z: np.ndarray, r: np.ndarray, h: np.ndarray, ring_hi: np.ndarray,
                ring_lo: np.ndarray, ring_id: np.ndarray) -> None:
    """Keep each (sector, hour)'s largest and smallest z of the batch in the ring (older
    hours in a slot are replaced, the same hour merged)."""
    if not len(z):
        return
    _, h0, hi, lo = _dense(z, r, h, ring_hi, ring_lo, ring_id)
    sectors = np.unique(r)
    u, at = np.nonzero(np.isfinite(hi).any(axis=2) | np.isfinite(lo).any(axis=2))
    hour = at + h0
    keep = hour > int(h.max()) - RING
    u, hour, at = u[keep], hour[keep], at[keep]
    slot = hour % RING
    ring_hi[sectors[u], slot] = hi[u, at]
    ring_lo[sectors[u], slot] = lo[u, at]
    ring_id[sectors[u], slot] = hour
