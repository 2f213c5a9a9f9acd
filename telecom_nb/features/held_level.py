"""Held level: how far a level shift has held for hours, in data time.

A cell that loses a third of its users for seven hours shows an hour's shift z of -2 to
-4 (:mod:`~telecom_nb.features.level_shift`), no further than a normal hour's wander
reaches now and then, so the shift part, which reads one hour, never scores it (few-series
LTE stand-ins: 7 of 24 shifts peak below 3). What tells it is that it holds: the smallest
same-sign |z| of the hour now and the hours 1, 2 and 3 h before is rarely beyond 2 in
normal life, unless the hour now has fallen below half of what the hours before held:
that is a fault ending, not a level holding (the recent bin's small z after recovery was
the minimum, the three hours before the fault's). The lags are in data time (15-minute
bins: :data:`HOLD_BINS`), not rows, so a 2-minute and a 5-minute series hold over the
same hours; an hour with no row reads as not
held. Its null is the detector's, per pool (:mod:`~telecom_nb.detectors.held_part`): a pool
whose cells wander for hours reads its own heavier tail; one series has no such part.

State per sector: the shift z of the last row of each of the last :data:`RING` bins.
"""

from __future__ import annotations

import numpy as np

#: bins back (15 minutes each) whose last shift z must agree with now: 1, 2 and 3 hours
HOLD_BINS = (4, 8, 12)
#: the hour now must keep at least this share of how far the hours before held (the lags'
#: smallest |z|): after a fault ends the recent bin's small same-side z was the minimum
#: while the three hours before were the fault's, so the hour after a fault read "held"
NOW_SHARE = 0.5
#: bins of shift z kept per sector
RING = max(HOLD_BINS) + 1
_KEY = np.int64(1) << 34  # bin ids (ns // 15 min) stay far below 2**34 until year 2460


def _last_per_bin(r: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Sorted keys (sector, bin) of the batch and, per key, the index of its last row
    (rows in data order)."""
    order = np.lexsort((b, r))  # stable: a bin's rows stay in data order
    key = r[order].astype(np.int64) * _KEY + b[order]
    last = np.r_[key[1:] != key[:-1], True]
    return key[last], order[last]


def held_read(
    z: np.ndarray, r: np.ndarray, b: np.ndarray, ring_z: np.ndarray, ring_id: np.ndarray
) -> np.ndarray:
    """Signed held z of each row: the smallest |z| of now and :data:`HOLD_BINS` back when
    all are nonzero on one side and now keeps :data:`NOW_SHARE` of the lags' smallest,
    else 0. ``z`` (rows x KPIs) is the shift z of rows ``r``
    (state rows) in bins ``b``, in data order; the earlier rows of the batch count as
    history (one series' pass reads its rows in one batch)."""
    keys, idx = _last_per_bin(r, b)
    now = np.abs(z)
    lo = np.full_like(now, np.inf)  # the lags' smallest |z|
    side = np.sign(z)
    for lag in HOLD_BINS:
        want = b - lag
        k = r.astype(np.int64) * _KEY + want
        pos = np.minimum(np.searchsorted(keys, k), max(len(keys) - 1, 0))
        in_batch = (keys[pos] == k)[:, None] if len(keys) else np.zeros((len(z), 1), bool)
        slot = want % RING
        stored = (ring_id[r, slot] == want)[:, None]
        past = np.where(in_batch, z[idx[pos]], np.where(stored, ring_z[r, slot], 0.0))
        side = np.where(np.sign(past) == side, side, 0.0)
        lo = np.minimum(lo, np.abs(past))
    side = np.where(now >= NOW_SHARE * lo, side, 0.0)
    held = np.minimum(now, lo)
    return np.where(np.isfinite(held), side * held, 0.0)


def held_learn(
    z: np.ndarray, r: np.ndarray, b: np.ndarray, ring_z: np.ndarray, ring_id: np.ndarray
) -> None:
    """Keep each (sector, bin)'s last shift z in the ring: per sector and slot the newest
    bin of the batch that maps there, unless the slot holds a newer one. The state after
    one batch is the state after the same rows in many (the one-series pass's and the
    loop's rings are equal, their stale slots too)."""
    idx = _last_per_bin(r, b)[1]
    rr, bb = r[idx], b[idx]
    slot = bb % RING
    order = np.lexsort((bb, slot, rr))  # per (sector, slot) its bins, the newest last
    rr, bb, slot, idx = rr[order], bb[order], slot[order], idx[order]
    last = np.r_[(rr[1:] != rr[:-1]) | (slot[1:] != slot[:-1]), True] if len(rr) else rr > 0
    keep = last & (bb >= ring_id[rr, slot])
    ring_z[rr[keep], slot[keep]] = z[idx[keep]]
    ring_id[rr[keep], slot[keep]] = bb[keep]
