"""Held level: how far a level shift has held for hours, in data time.

A cell that loses a third of its users for seven hours shows an hour's shift z of -2 to
-4 (:mod:`~telecom_nb.features.level_shift`), no further than a normal hour's wander
reaches now and then, so the shift part, which reads one hour, never scores it (few-series
LTE stand-ins: 7 of 24 shifts peak below 3). What tells it is that it holds: the smallest
same-sign |z| of the hour now and the hours 1 and 2 h before is rarely beyond 2 in
normal life. Two hours back, not three: an hourly pool's shift of 3 hours is 3 rows, and
with a third hour back it never held (few-series ``lte60``: 6 of main's 8 missed shifts on
seeds 0, 1, 3096, 3099, 3105, 3106, 3111, 3112 were 3-4 rows long, read by the one-hour shift
part alone; their 2-hour hold is beyond every normal row of their seed but weekends'). The
lags are in data time (15-minute bins: :data:`HOLD_BINS`), not rows, so a
2-minute and a 5-minute series hold over the same hours; an hour with no row reads as not
held. Its null is the detector's, per pool (:mod:`~telecom_nb.detectors.held_part`): a pool
whose cells wander for hours reads its own heavier tail; one series has no such part.

State per sector: the shift z of the last row of each of the last :data:`RING` bins.
"""

from __future__ import annotations

import numpy as np

#: bins back (15 minutes each) whose last shift z must agree with now: 1 and 2 hours
HOLD_BINS = (4, 8)
#: bins of shift z kept per sector: 3 hours' and now, as when the hold read 3 hours back (a
#: checkpoint's ring keeps its shape and slots)
RING = 13
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
    all are nonzero on one side, else 0. ``z`` (rows x KPIs) is the shift z of rows ``r``
    (state rows) in bins ``b``, in data order; the earlier rows of the batch count as
    history (one series' pass reads its rows in one batch)."""
    keys, idx = _last_per_bin(r, b)
    lo = np.abs(z)
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
    return np.where(np.isfinite(lo), side * lo, 0.0)


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
