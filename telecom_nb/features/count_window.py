"""A ratio's rarer outcome summed over a few hours against what the calls made due.

A VoLTE drop surge at a cell of ~10-40 calls an hour is 1 drop, none, 2, none, 1: the
count run (:mod:`~telecom_nb.features.count_run`, 0.7 an hour, restarting after a quiet
value at the rate) and the CUSUM (:mod:`~telecom_nb.features.count_cusum`, testing 20x the
rate: a 0-drop hour of 40 calls costs it as much as a drop adds) both read such drops one
row at a time (binomial z 2.4-4.0 each). A person reads the sum: 4 drops in 6 hours where
0.2 were due. Per sector x ratio KPI this keeps, in :data:`BINS` bins of a UTC hour of
data time each (the same windows at every step), the rarer outcome's events (drops; a
success rate's failures) and the events due (trials x the sector's rate); a row that adds
more events than were due reads the Poisson tail of each window's sums (the last
:data:`WINDOWS` hours, the current one so far included), the smallest times their number
(Bonferroni). An exponential memory was tried first: it discounts the surge's earlier
drops (4 drops of 12 calls an hour, 2 hours apart, read 1 in 50 on an 8-hour memory, 1 in
1,600 in 8 hourly bins). It stands (as the CUSUM's sum) where it is :data:`P_READ` or rarer and says
more than the row's z so far on the same side; the rate part then reads the column on its
own null. Only the values :class:`~telecom_nb.features.count_ratio.CountRatios` reads in
counts are summed (a percentage that is not a ratio of counts is never read so), the same
values as the CUSUM's. Vectorised over the tick's rows; state: two floats per sector x
ratio KPI x bin and a stamp per sector x bin, allocated when a KPI is a ratio.
"""

from __future__ import annotations

import numpy as np
from scipy.special import gammainc, ndtri

from telecom_nb.features.count_run import consistent
from telecom_nb.sector_index import grow_unwritten, known_rows, unwritten, written

#: hourly bins kept per sector x ratio KPI
BINS = 8
#: the windows read: the last this many hours' bins
WINDOWS: tuple[int, ...] = (2, 4, 8)
#: a row reads the windows' evidence where its tail (Bonferroni) is this rare or rarer
P_READ = 1e-3
#: only values of fewer events due than this read the windows (a busy value shows its own)
MAX_DUE = 0.5
#: a bin's stamp before anything was written (no hour is that old)
NO_HOUR = -(2**40)


def rare_side(k: np.ndarray, n: np.ndarray, p: np.ndarray
              ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(the rarer outcome's events, the events due at rate ``p``, the side: +1 where the
    events are the rarer outcome, -1 where their complement is)."""
    side = np.where(p > 0.5, -1.0, 1.0)
    rare = np.clip(np.where(side > 0, p, 1.0 - p), 1e-6, 0.5)
    return np.where(side > 0, k, n - k), n * rare, side


def tail_log10(events: np.ndarray, due: np.ndarray) -> np.ndarray:
    """``log10`` of the Poisson chance of ``events`` or more (real) where ``due`` are due:
    the regularised lower incomplete gamma ``P(events, due)``, continuous in ``events``."""
    events, due = np.asarray(events, np.float64), np.asarray(due, np.float64)  # (float32 state)
    p = gammainc(np.maximum(events, 1e-9), np.maximum(due, 1e-12))
    return np.log10(np.clip(p, 1e-300, 1.0))


class CountWindows:
    """Per sector x ratio KPI the rarer outcome's events and the events due in each of the
    last :data:`BINS` hours of data, and per sector each bin's hour."""

    def __init__(self, n_kpis: int) -> None:
        self.events_ = unwritten((0, n_kpis * BINS), 0.0, np.float32)
        self.due_ = unwritten((0, n_kpis * BINS), 0.0, np.float32)
        self.stamp_ = unwritten((0, BINS), NO_HOUR, np.int64)

    def _next(self, rows: np.ndarray, hour: np.ndarray, cols: np.ndarray, k: np.ndarray,
              n: np.ndarray, p: np.ndarray, counted: np.ndarray
              ) -> tuple[np.ndarray, ...]:
        """(known rows, the bins' columns, the current bin, the bins with this tick's values
        (rows x cols x bins, events and due), each bin's age in hours, whether a value adds
        more events than were due, the sides)."""
        known = known_rows(rows, len(self.stamp_))
        r = np.where(known, rows, 0)[:, None]
        at = (cols[:, None] * BINS + np.arange(BINS)[None, :]).ravel()
        shape = (len(rows), len(cols), BINS)
        if len(self.stamp_):
            prev_e = np.where(known[:, None], self.events_[r, at], 0.0).reshape(shape)
            prev_d = np.where(known[:, None], self.due_[r, at], 0.0).reshape(shape)
            stamp = np.where(known[:, None], self.stamp_[r[:, 0]], NO_HOUR)
        else:
            prev_e = prev_d = np.zeros(shape)
            stamp = np.full((len(rows), BINS), NO_HOUR)
        ok = counted & known[:, None] & np.isfinite(p) & (n > 0)
        events, due, side = rare_side(k, n, np.nan_to_num(p))
        events, due = np.where(ok, events, 0.0), np.where(ok, due, 0.0)
        now = (hour % BINS).astype(np.intp)
        i = np.arange(len(rows))
        same = stamp[i, now] == hour  # the current hour's bin already holds values
        prev_e[i, :, now] = np.where(same[:, None], prev_e[i, :, now], 0.0) + events
        prev_d[i, :, now] = np.where(same[:, None], prev_d[i, :, now], 0.0) + due
        stamp = stamp.copy()
        stamp[i, now] = hour
        age = hour[:, None] - stamp
        # a value whose trials make less than MAX_DUE events due: alone it shows a few events
        # at most, and only the window can tell a surge (a busy rate reads its own z)
        raises = ok & (events > due) & (due < MAX_DUE)
        return known, at, prev_e, prev_d, stamp, age, raises, side

    def z(self, rows: np.ndarray, hour: np.ndarray, cols: np.ndarray, k: np.ndarray,
          n: np.ndarray, p: np.ndarray, counted: np.ndarray, out: np.ndarray) -> np.ndarray:
        """``out`` (rows x KPIs, the counted z so far, NaN: not read in counts) with the
        windows' z where a value adds more events than were due, the windows' tail is
        :data:`P_READ` or rarer and it says more on the same side (``hour``: the rows' UTC
        hours since the epoch; the rest as :meth:`~.count_cusum.CountCusum.z`)."""
        if not len(cols):
            return out
        _, _, e, d, _, age, raises, side = self._next(rows, hour, cols, k, n, p, counted)
        i, j = np.nonzero(raises)
        if not len(i):
            return out
        inside = (age[i, None, :] >= 0) & (age[i, None, :] < np.array(WINDOWS)[None, :, None])
        sums_e = np.einsum("rb,rwb->rw", e[i, j], inside)
        sums_d = np.einsum("rb,rwb->rw", d[i, j], inside)
        # a window is read only while this value is likely at the window's own rate: the
        # hours after a fault (its failures still in the window) read their own
        events, due, _ = rare_side(k[i, j], n[i, j], np.nan_to_num(p[i, j]))
        rare = np.maximum(due / np.maximum(n[i, j], 1e-9), 1e-6)[:, None]
        likely = consistent(events[:, None], n[i, j][:, None], sums_e, sums_d / rare, rare)
        # ... and only where this value holds the window up (its tail with the value is
        # rarer than without it): a row at the sector's rate after a fault lowers it
        after = tail_log10(sums_e, sums_d)
        before = tail_log10(sums_e - events[:, None], sums_d - due[:, None])
        read = likely & (after <= before)
        log_p = np.where(read, after, 0.0).min(axis=1) + np.log10(len(WINDOWS))
        rare = log_p <= np.log10(P_READ)
        i, j, log_p = i[rare], j[rare], log_p[rare]
        if not len(i):
            return out
        z = -ndtri(np.clip(10.0 ** log_p, 1e-300, 0.5))
        cur = out[i, cols[j]]
        more = np.isfinite(cur) & (z > np.abs(cur)) & ((np.sign(cur) == side[i, j]) | (cur == 0))
        if more.any():
            out = out.copy()
            out[i[more], cols[j[more]]] = side[i, j][more] * z[more]
        return out

    def update(self, rows: np.ndarray, hour: np.ndarray, cols: np.ndarray, k: np.ndarray,
               n: np.ndarray, p: np.ndarray, counted: np.ndarray, n_rows: int) -> None:
        """Add this tick's values to the bins (distinct sector rows)."""
        if not len(cols):
            return
        self.events_ = written(grow_unwritten(self.events_, n_rows))
        self.due_ = written(grow_unwritten(self.due_, n_rows))
        self.stamp_ = written(grow_unwritten(self.stamp_, n_rows, NO_HOUR))
        known, at, e, d, stamp, _, _, _ = self._next(rows, hour, cols, k, n, p, counted)
        flat = (int(known.sum()), -1)
        w = rows[known]
        self.events_[w[:, None], at[None, :]] = e[known].reshape(flat)
        self.due_[w[:, None], at[None, :]] = d[known].reshape(flat)
        self.stamp_[w] = stamp[known]
