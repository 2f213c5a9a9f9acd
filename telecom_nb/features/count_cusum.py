"""A ratio's rarer outcome summed over a surge's hours (a CUSUM), read on a null of its own.

A VoLTE surge at a quiet cell is 1 drop of 7 calls, none of 11, 1 of 9, 2 of 12: each
hour a binomial z of 1.4-3.6, and the count run (:mod:`~telecom_nb.features.count_run`)
forgets 0.3 of its sums an hour. Read sequentially the hours add up: per sector x ratio
KPI the log-likelihood ratio of the value's ``k`` events of ``n`` trials at ``RATIO`` x the
sector's rate ``p`` against ``p`` (the rarer outcome: drops of a drop rate, failures of a
success rate) is summed, reset at 0 (Page's CUSUM), kept ``DECAY`` an hour of data time and
capped at :data:`CAP`. A drop adds ``log(RATIO)`` ~3.0, an hour of 12 calls without one
costs ~0.9 at 0.4 %: a quiet hour inside a surge dents the sum without ending it.

The sum is in nats, not a z, and how rare a sum is depends on the fleet's calls and rates:
read as the row's seasonal z wherever it said more (twenty-third session), two drops in two
hours at a quiet cell read 5-6 and were most of its new false alarms. So the CUSUM learns
its own null per KPI from the rows that read it (a value raising a sum already above 0):
the share of the KPI's counted rows that read it (0.4 %), and those rows' median sum (a
median: faults are ~20 % of them; 2.7 nats on the normal ones, 3.0 on all, hourly tuning
worlds t1690 / t1691), with an exponential tail of one nat beyond it, the log-likelihood
ratio's own scale (their normal reading rows fall 13-17x from 3 to 6 nats). At
:data:`P_READ` 1e-5 a sum is read from ~8.5 nats (about six drops of a quiet cell's calls):
on those worlds 24 and 23 surge rows and 2 normal ones after the first week (an offline
replay of the ratio KPIs); 3e-5 found 1 and 2 surges more for 1 and 0 false-alarm rows
more. A row reads the sum (for its seasonal z, where it says more on the same side) only
where that null puts it at :data:`P_READ` or rarer; the rate part
(:mod:`~telecom_nb.detectors.rate_part`) then reads the column as before. Before
:data:`MIN_READ` reading rows the null is the sum's chance bound ``exp(-S)`` (under the
sector's rate ``E[exp(step)] = 1``), which holds but is 25-40x conservative at 6 nats.
A value that starts a sum from 0 is read the same way where its own sum is that rare (4 drops
of 11 calls in one half hour at a 0.3 % cell: 11.6 nats, its binomial z 5.5), but it does
not feed the null, which stays the sums' that grew over two values or more (fortieth
session, hourly w2254: VoLTE drop surges 19 -> 20 of 28, false rows equal).

Hours without a value of the KPI decay the sum too (a blank day would otherwise keep one
drop's sum for the next call). Data finer than :data:`MIN_STEP_NS` (15 minutes) keep no
sums: at 15 minutes a surge's quarter hours are a drop of 8-30 calls each, read one by one at
binomial z 4-6 (tail units ~3.5, the max over ~140 features 1-2); summed, the same rows read
10-18 nats (thirty-eighth session, w2178: VoLTE rows flagged 43 -> 59 of 189, handover surges
20 -> 22 of 23). 5-minute data are not measured. A value that shows only its smallest
fraction beside a traffic column is weighed over the multiples that traffic makes likely
(:func:`marginal_steps`; volte47: the hourly 25 % of 6 drops in 24 calls had been kept as 3
of 12). Vectorised over the tick's rows; state: two floats per sector x KPI (the sum, the
rate it started from), allocated when a KPI is a ratio, and per KPI a histogram of the
reading rows' sums.
"""

from __future__ import annotations

import numpy as np
from scipy.special import gammaln, logsumexp

from telecom_nb.features.time_slots import HOUR_NS
from telecom_nb.sector_index import grow_unwritten, known_rows, unwritten, written

#: the elevated rate the CUSUM tests, as a multiple of the sector's rate
RATIO = 20.0
#: the elevated rate is at most this (a rate of 8 % is tested against 20 %, not 160 %). A
#: handover success rate fails ~2 % of attempts; tested against 40 %, a surge's 1 failure of
#: 10 (5x) *lowered* the sum (-1.5 nats a value) and a six-hour surge at 90 % stayed unread
#: (miss44: 15-minute tuning world t2500q, handover surges 4 -> 6 of 6, false rows 135 -> 136)
MOST_RATE = 0.2
#: the sum's weight kept per hour of data time
DECAY = 0.9
#: the sum's ceiling (a call-drop fault's hundreds of drops would hold it up for days)
CAP = 20.0
#: data steps finer than this keep no sums
MIN_STEP_NS = HOUR_NS // 4
#: a row reads the sum where its null puts it this rare (per counted row) or rarer
P_READ = 1e-5
#: the null's exponential scale beyond the reading rows' median (nats)
SCALE = 1.0
#: reading rows the learned null needs (before: the chance bound)
MIN_READ = 50
#: the histogram's bin width (nats) for the reading rows' median
BIN = 0.1
#: the most multiples of a value's smallest fraction :func:`marginal_steps` weighs
MULTIPLES = 64


def _rates(p: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(the side: +1 where the events are the rarer outcome, -1 where their complement is;
    the rarer outcome's rate under ``p``; its elevated rate the sums test against)."""
    side = np.where(p > 0.5, -1.0, 1.0)
    rare = np.clip(np.where(side > 0, p, 1.0 - p), 1e-6, 0.5)
    return side, rare, np.minimum(RATIO * rare, MOST_RATE)


def steps(k: np.ndarray, n: np.ndarray, p: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(log-likelihood ratio of ``k`` events of ``n`` at the elevated rate against ``p``,
    the side: +1 where the events are the rarer outcome, -1 where their complement is)."""
    side, rare, q = _rates(p)
    events = np.where(side > 0, k, n - k)
    step = events * np.log(q / rare) + (n - events) * (np.log1p(-q) - np.log1p(-rare))
    return step, side


def marginal_steps(k: np.ndarray, n: np.ndarray, implied: np.ndarray, spread: np.ndarray,
                   p: np.ndarray) -> np.ndarray:
    """Per value (1-d): the log-likelihood ratio of :func:`steps` of a value shown only as
    its smallest fraction ``k / n``, its trials some multiple ``m n`` weighed by the traffic
    (log-normal about the ``implied`` trials, ``spread`` in logs) under each rate. 25 % at a
    cell whose Erlangs imply ~20 calls is 5 of 20, 4 of 16 or 3 of 12 (1e-8 to 1e-5 likely
    at 0.35 %) rather than 1 of 4: read as one multiple the value said too little (the
    proxy's low end, 3 of 12, 8.4 nats) or too much where the traffic is off (the nearest)."""
    side, rare, q = _rates(p)
    rare, q = rare[:, None], q[:, None]
    m = np.arange(1.0, MULTIPLES + 1.0)[None, :]
    trials = n[:, None] * m
    events = np.where(side > 0, k, n - k)[:, None] * m
    prior = -0.5 * (np.log(trials / implied[:, None]) / spread[:, None]) ** 2 - np.log(trials)
    prior += gammaln(trials + 1.0) - gammaln(events + 1.0) - gammaln(trials - events + 1.0)
    high = prior + events * np.log(q) + (trials - events) * np.log1p(-q)
    low = prior + events * np.log(rare) + (trials - events) * np.log1p(-rare)
    return logsumexp(high, axis=1) - logsumexp(low, axis=1)


def _rarer(p: np.ndarray) -> np.ndarray:
    """The rarer outcome's rate under ``p`` (NaN stays NaN: compares False)."""
    return np.minimum(p, 1.0 - p)


def decay_per_value(step_ns: int) -> float:
    """The sum's weight kept at each new value of data ``step_ns`` apart."""
    return float(DECAY ** (max(step_ns, 1) / HOUR_NS))


class CountCusum:
    """Per sector x ratio KPI the decayed, capped CUSUM of the rarer outcome's counts, and
    per KPI the null of the sums the rows that read it show.

    A sum tests its values against the sector's rate where it last started from 0, or the
    current one where its rarer outcome is rarer (a success rate's: higher): the sector's
    rate learns from the surge's own values (one quarter hour's 1 of 5 lifted a 0.4 % cell
    to 1.2 %, and its next 1 of 5 added 1.8 nats, not 3.9: volte61, v3179's MAD7000_L08_1
    summed 7.4 where 13.9 at the pooled rate)."""

    #: state newer than some checkpoints: derived by :meth:`derive_added_state`
    _state_added: tuple[str, ...] = ("base_",)

    def __init__(self, n_kpis: int) -> None:
        self.sum_ = unwritten((0, n_kpis), 0.0, np.float32)
        #: per sector x KPI the rate the running sum started from (NaN: none kept)
        self.base_ = unwritten((0, n_kpis), np.nan, np.float32)
        #: per KPI: counted rows, and the reading rows' sums by :data:`BIN`
        self.counted_ = np.zeros(n_kpis)
        self.hist_ = np.zeros((n_kpis, round(CAP / BIN) + 1))

    def derive_added_state(self, names: tuple[str, ...] | list[str]) -> None:
        """A checkpoint older than :attr:`base_`: every running sum reads the sector's
        current rate until it next starts from 0."""
        self.base_ = unwritten(self.sum_.shape, np.nan, np.float32)

    def _next(
        self,
        rows: np.ndarray,
        cols: np.ndarray,
        k: np.ndarray,
        n: np.ndarray,
        p: np.ndarray,
        counted: np.ndarray,
        step_ns: int,
        llr: np.ndarray | None = None,
    ) -> tuple[np.ndarray, ...]:
        """(known rows, the values read, the sums with them, whether each row reads its
        sum, the sides, whether a value starts a sum from 0, the rate each running sum
        keeps: NaN where none) of this tick's rows x
        ``cols``; ``llr``: a value's step where finite (:func:`marginal_steps`)."""
        known = known_rows(rows, len(self.sum_))
        r = np.where(known, rows, 0)[:, None]
        prev = (
            np.where(known[:, None], self.sum_[r, cols], 0.0)
            if len(self.sum_)
            else np.zeros(k.shape)
        )
        # the kept start rates (NaN: none); ``base_`` is grown with ``sum_`` (:meth:`update`)
        base = (
            np.where(known[:, None], self.base_[r, cols], np.nan)
            if len(self.sum_)
            else np.full(k.shape, np.nan)
        )
        # a rate of 0 is none learned yet (the tick a KPI is first read as a ratio: no
        # fleet rate, the seasonal expectation 0): a sum started from it tests 2e-5 against
        # 1e-6, every event adds 3 nats and no trial takes any back, and a running sum keeps
        # its start rate (the decay never reaches 0) -- rate66: a busy 0.65 % cell of o3252
        # sat at the cap for three weeks, 646 false rows. Neither started nor kept
        running = (prev > 0.0) & (_rarer(base) > 0.0)
        p = np.where(running & ~(_rarer(p) < _rarer(base)), base, p)
        ok = counted & known[:, None] & (_rarer(p) > 0.0) & (n > 0)
        step, side = steps(k, np.where(ok, n, 1.0), np.nan_to_num(p))
        if llr is not None:
            step = np.where(np.isfinite(llr), llr, step)
        decay = decay_per_value(step_ns)
        new = np.where(ok, np.clip(decay * prev + step, 0.0, CAP), decay * prev)
        # a sum of more than this value: one value's evidence is its own binomial z
        reads = ok & (step > 0.0) & (prev > 0.0)
        start = np.where(new > 0.0, np.where(running, base, p), np.nan)
        return known, ok, new, reads, side, ok & (step > 0.0) & (prev <= 0.0), start

    def _null(self, cols: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Per KPI of ``cols``: the reading rows' count, their sums' median and their
        share of the counted rows (what :meth:`log_p` and :meth:`read_level` read)."""
        hist = self.hist_[cols]
        n_read = hist.sum(axis=1)
        below = np.cumsum(hist, axis=1) < 0.5 * n_read[:, None]
        share = n_read / np.maximum(self.counted_[cols], 1.0)
        return n_read, below.sum(axis=1) * BIN, share

    def log_p(self, cols: np.ndarray, s: np.ndarray) -> np.ndarray:
        """``log`` of the chance a counted row of KPI ``cols`` reads a sum of ``s`` or more
        (the reading rows' share, half of them beyond their median, exponential beyond)."""
        n_read, median, share = self._null(cols)
        own = np.log(np.maximum(0.5 * share, 1e-300)) - (s - median) / SCALE
        return np.where(n_read >= MIN_READ, np.minimum(own, np.log(np.maximum(share, 1e-300))), -s)

    def read_level(self, cols: np.ndarray) -> np.ndarray:
        """Per KPI of ``cols`` the least sum a row reads (nats): where :meth:`log_p` falls
        to :data:`P_READ` (the chance bound's ``-log P_READ`` before the null is learned)."""
        n_read, median, share = self._null(cols)
        own = median + SCALE * (np.log(np.maximum(0.5 * share, 1e-300)) - np.log(P_READ))
        return np.where(n_read >= MIN_READ, np.maximum(own, 0.0), -np.log(P_READ))

    def z(
        self,
        rows: np.ndarray,
        cols: np.ndarray,
        k: np.ndarray,
        n: np.ndarray,
        p: np.ndarray,
        counted: np.ndarray,
        out: np.ndarray,
        step_ns: int,
        llr: np.ndarray | None = None,
    ) -> np.ndarray:
        """``out`` (rows x KPIs, the counted z so far, NaN: not read in counts) with the
        sum where this value raises it, its null puts it at :data:`P_READ` or rarer and it
        says more on the same side; ``k, n``: the values' events and trials (0 % hours at
        the trials their traffic implies, else the typical ones), ``counted``: where they
        are read so, ``p``: the sectors' rates (rows x ``cols``), ``llr``: a value's step where
        finite (else :func:`steps` of ``k, n``)."""
        if step_ns < MIN_STEP_NS or not len(cols) or not len(self.sum_):
            return out
        _, _, new, reads, side, first, _ = self._next(rows, cols, k, n, p, counted, step_ns, llr)
        i, j = np.nonzero(reads | first)
        if not len(i):
            return out
        s = new[i, j]
        rare = self.log_p(cols[j], s) <= np.log(P_READ)
        i, j, s = i[rare], j[rare], s[rare]
        cusum = side[i, j] * s
        cur = out[i, cols[j]]
        more = np.isfinite(cur) & (s > np.abs(cur)) & ((np.sign(cur) == side[i, j]) | (cur == 0))
        if more.any():
            out = out.copy()
            out[i[more], cols[j[more]]] = cusum[more]
        return out

    def update(
        self,
        rows: np.ndarray,
        cols: np.ndarray,
        k: np.ndarray,
        n: np.ndarray,
        p: np.ndarray,
        counted: np.ndarray,
        n_rows: int,
        step_ns: int,
        llr: np.ndarray | None = None,
    ) -> None:
        """Add this tick's values to the sums and their null (distinct sector rows)."""
        if step_ns < MIN_STEP_NS or not len(cols):
            return
        self.sum_ = written(grow_unwritten(self.sum_, n_rows))
        self.base_ = written(grow_unwritten(self.base_, len(self.sum_), np.nan))
        known, ok, new, reads, _, _, start = self._next(rows, cols, k, n, p, counted, step_ns, llr)
        self.sum_[rows[known][:, None], cols[None, :]] = new[known]
        self.base_[rows[known][:, None], cols[None, :]] = start[known]
        np.add.at(self.counted_, cols, ok.sum(axis=0))
        i, j = np.nonzero(reads)
        if len(i):
            at = np.minimum(np.round(new[i, j] / BIN).astype(np.intp), self.hist_.shape[1] - 1)
            np.add.at(self.hist_, (cols[j], at), 1.0)
