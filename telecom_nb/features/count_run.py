"""A run of a rate's counts: the events of the last few periods against their trials.

A VoLTE drop rate of 0.4 % on a cell of 12 calls an hour reads 0 % nearly always. IMS
trouble lifts it to 10-20 % for hours: 1 drop of 7, of 11, of 10, 2 of 9. Each value alone
is one or two drops of a handful of calls, a binomial z of 1.4-2.8 (the fleet's everyday
rare event); together they are 5 drops in 37 calls where 0.15 were due, z ~5. An RF
engineer reads it so: the drops against the calls, not a z of each noisy ratio. (Second
generator, tuning worlds 910-913: VoLTE drop surges found 27 -> 33 of 106 with the
rates shrunk; a longer memory, 0.85, found no more.)

Per sector x ratio KPI (:class:`~telecom_nb.features.count_ratio.CountRatios`) the events
and trials of the values read in counts are summed with an exponential memory of ``DECAY``
per value (a run starts afresh where the one before sat at or below the rate: quiet hours
before a surge do not dilute it; the decay reads the four values above as ~3.6 drops in
~32 calls, z ~3), and the run's z is the
binomial tail of the sums at the sector's rate (the regularised incomplete beta: sums are
not integers). A value of exactly 0 or 100 % does not show its trials (0 of 1 or of 40):
it counts as the sector's typical trials (EW over its values of one event, which show them
unreduced: 2 of 40 reads 1 of 20) at this time of day (the fleet's profile of such trials
over the day), none or all of them events; but one at the rate's far end (100 % drops)
that :meth:`CountRatios.read` takes in counts (after a quiet value) is its fewest trials,
1 of 1: read as the typical 30 calls all dropped, every quiet cell's single drop was a
run z of 8-22 (capped to 4.75), 13 of the 17 normal rows over z 4 on hourly world 1052.
The run's z stands for the row where it says more than the row's own, on the same side
(a 0 or 100 %: either), and only while the value is likely at the run's own rate
(:func:`consistent`): a quiet quarter hour inside a surge (0 of 5 calls at 15 %) does not
end it, a busy hour's 3 drops of 300 after a run at 4 % does, and the memory never
outlives the values' support. The run's z stands only for a value that
holds the run up (its z with the value at least its z before it): the hours after a fault
(3 drops of 299 calls, the run still at 1.6 % against 0.5 %) lower the run, read their own
and are no false alarm, while the run keeps their counts (hourly tuning worlds 1080-1083:
false alarms 1-3 rows after a fault 21 / 32 / 55 / 22 -> 10 / 20 / 34 / 12, all 612 -> 553,
events 2,398 -> 2,399). Learned from the values, no KPI names.

Until 2026-12-01 (eleventh session) the run's z stood only on values of one event (the
tuple's ``one`` bound where ``shown`` was meant) and a 0 % always read its own; with every
shown value, tuning world 973 (hourly) found 38 instead of 28 of 66 VoLTE drop surges, but
without the consistency rule took 36 call-drop false alarms (runs read on after a fault).
A decay per hour of data time (0.7 an hour, ~0.915 a quarter hour) was tried with it: on
the lead's four 15-minute worlds (214, 216, 217, 219) P 0.906 / 0.888 / 0.854 / 0.858 against
0.913 / 0.890 / 0.854 / 0.868 per value (call-drop runs reading on after faults), events
387 / 175 / 243 / 182 against 386 / 175 / 245 / 182: kept per value.

Since 2026-12-02 (twentieth session) finer data keep the run per hour of data time
(``DECAY`` an hour: 0.915 a quarter hour) *with* the hold rule at every cadence: per value
a quarter-hourly run held ~45 minutes, a quiet cell's surge never added up (the missed
surges' VoLTE z 2.3-4.9 at 15 minutes, 2.9-3.5 at 30, normal rows' 1 in 10,000 at
2.9-3.1), and the hold rule is what keeps the longer memory from reading on after a fault
(without it call-drop false alarms 32 -> 127 on 15-minute tuning world v1310, 72 of them
1-6 hours after a cluster degradation).
"""

from __future__ import annotations

import numpy as np
from scipy.special import betainc, ndtri

from telecom_nb.features.count_ratio import MIN_SHOWN, CountRatios, Read
from telecom_nb.features.time_slots import HOUR_NS
from telecom_nb.sector_index import grow_unwritten, known_rows, unwritten, written

#: weight of the run so far at each new value of hourly (or slower) data: a memory of
#: about 3 hours; finer data keep it per hour of data time (:func:`decay_per_value`)
DECAY = 0.7
#: the data time over which finer data keep ``DECAY`` of the run (0: per value at any step)
DECAY_SPAN_NS = HOUR_NS
#: a value reads the run's z while it is this likely at the run's own rate (a 0 of 5 calls
#: in a surge of drops at 15 % is 44 % likely: no sign the surge ended)
CONSISTENT = 0.1
#: EW weight of a value of one event (its trials shown) in the sector's typical trials
TRIALS_ALPHA = 0.05
#: EW weight of a tick's mean share in the fleet's time-of-day profile of trials
PROFILE_ALPHA = 0.05


def decay_per_value(step_ns: int) -> float:
    """The run's weight kept at each new value of data ``step_ns`` apart."""
    if DECAY_SPAN_NS <= 0 or step_ns >= DECAY_SPAN_NS or step_ns <= 0:
        return DECAY
    return float(DECAY ** (step_ns / DECAY_SPAN_NS))


def run_z(k: np.ndarray, n: np.ndarray, p: np.ndarray) -> np.ndarray:
    """Signed z of ``k`` events in ``n`` trials at rate ``p`` (real ``k <= n``): ``Phi^-1``
    of the binomial tail on the side ``k`` lies, continuous in ``k`` and ``n``. Within one
    standard deviation of ``n p`` the normal approximation with continuity correction."""
    p = np.clip(p, 1e-6, 1.0 - 1e-6)
    dev = k - n * p
    sd = np.sqrt(np.maximum(n * p * (1.0 - p), 1e-12))
    z = np.sign(dev) * np.maximum(np.abs(dev) - 0.5, 0.0) / sd
    far = np.abs(dev) > sd
    if far.any():
        kf, nf, pf = k[far], n[far], p[far]
        high = dev[far] > 0
        # P(X >= k) = I_p(k, n - k + 1); P(X <= k) = I_{1-p}(n - k, k + 1)
        tail = np.where(high, betainc(np.maximum(kf, 1e-9), nf - kf + 1.0, pf),
                        betainc(np.maximum(nf - kf, 1e-9), kf + 1.0, 1.0 - pf))
        z[far] = np.where(high, 1.0, -1.0) * np.maximum(-ndtri(np.clip(tail, 1e-300, 1.0)), 0.0)
    return z


def consistent(k: np.ndarray, n: np.ndarray, run_k: np.ndarray, run_n: np.ndarray,
               rate: np.ndarray) -> np.ndarray:
    """Whether ``k`` events in ``n`` trials are at least :data:`CONSISTENT` likely at the
    run's rate ``run_k / run_n`` on the side of the sector's ``rate``: a value that says the
    run has ended (a busy hour's 3 drops of 300 after a run at 4 %) is read on its own."""
    at = np.clip(run_k / np.maximum(run_n, 1e-9), 1e-9, 1.0 - 1e-9)
    n = np.maximum(n, 1e-9)
    k = np.clip(k, 0.0, n)
    # P(X <= k) = I_{1-p}(n - k, k + 1), P(X >= k) = I_p(k, n - k + 1); 1 at the ends
    low = np.where(k >= n, 1.0, betainc(np.maximum(n - k, 1e-9), k + 1.0, 1.0 - at))
    high = np.where(k <= 0, 1.0, betainc(np.maximum(k, 1e-9), n - k + 1.0, at))
    return np.where(at > rate, low, high) >= CONSISTENT


class CountRuns:
    """Per sector x KPI: the decayed sums of a ratio KPI's events and trials, and its
    typical trials (with the fleet's time-of-day profile of trials)."""

    def __init__(self, n_kpis: int, slots_per_day: int = 1) -> None:
        # (unwritten, no memory, until a KPI is a ratio of counts: only its columns are used)
        self.events_ = unwritten((0, n_kpis), 0.0, np.float32)
        self.trials_ = unwritten((0, n_kpis), 0.0, np.float32)
        # EW trials of the values of one event (0: none seen yet)
        self.typical_ = unwritten((0, n_kpis), 0.0, np.float32)
        # the fleet's trials per time-of-day slot as a share of each sector's typical ones
        self.profile_ = np.ones((slots_per_day, n_kpis))
        self.profile_n_ = np.zeros((slots_per_day, n_kpis))

    def sums(self, counts: CountRatios, read: Read | None, rows: np.ndarray,
             slot: np.ndarray, raw: np.ndarray, step_ns: int = HOUR_NS
             ) -> tuple[np.ndarray, ...] | None:
        """``(cols, n, shown, one, filled, p, K, N, k, m, K0, N0)`` of this tick's rows
        (``n``: the trials a value shows, ``one``: a value of one event, ``filled``: a 0 or
        100 % read at the typical trials, ``K, N``: the run's sums with this value, ``k,
        m``: the value's own events and trials, ``K0, N0``: the run's sums before it), or
        None."""
        if read is None:
            return None
        cols, k, n, use, p = read
        known = known_rows(rows, min(len(self.events_), len(counts.shown_)))
        r = np.where(known, rows, 0)[:, None]
        v = raw[:, cols]
        blank = (v == 0.0) | (v == 100.0)
        trials = self.typical_[r, cols] * self.profile_[slot[:, None], cols]
        lumpy = counts.shown_[r, cols] >= MIN_SHOWN
        # a 0 or 100 % at the rate's far end read in counts (after a quiet value: 1 drop of
        # 1 call) is its fewest trials, not the typical ones all dropped
        far = blank & use & (np.abs(v / 100.0 - np.nan_to_num(p)) > 0.5)
        # a value read in counts by the evidence (``use``) is summed whether or not the cell
        # mostly shows its counts: a busy cell's quiet night hours are read in counts, and a
        # surge there went unsummed (t2620's 02:30-04:30 setup failures, cusum46)
        shown = known[:, None] & use & (~blank | far)  # shows its trials (a fraction)
        filled = known[:, None] & lumpy & blank & ~far & (trials > 0)
        counted = shown | filled
        one = shown & ~blank & (k == 1)
        row_n = np.where(shown, n, np.where(filled, trials, 0.0))
        row_k = np.where(shown, k, np.where(filled & (v == 100.0), trials, 0.0))
        row_n, row_k = np.where(counted, row_n, 0.0), np.where(counted, row_k, 0.0)
        prev_k, prev_n = self.events_[r, cols], self.trials_[r, cols]
        # a run starts where the one before sat at or below the rate (no quiet hours diluting it)
        carry = known[:, None] & (prev_k > prev_n * np.nan_to_num(p))
        decay = decay_per_value(step_ns)
        big_k = np.where(carry, decay * prev_k, 0.0) + row_k
        big_n = np.where(carry, decay * prev_n, 0.0) + row_n
        return cols, n, shown, one, filled, p, big_k, big_n, row_k, row_n, prev_k, prev_n

    def z(self, counts: CountRatios, read: Read | None, rows: np.ndarray, slot: np.ndarray,
          raw: np.ndarray, counted_z: np.ndarray, step_ns: int = HOUR_NS,
          sums: tuple[np.ndarray, ...] | None = None) -> np.ndarray:
        """``counted_z`` (rows x KPIs, the values' own binomial z, NaN: not read in counts)
        with the run's z where it says more on the same side (``read``: the tick's
        :meth:`CountRatios.read`; ``step_ns``: the data's step; ``sums``: the tick's
        :meth:`sums`, when the caller has them)."""
        if sums is None:
            sums = self.sums(counts, read, rows, slot, raw, step_ns)
        if sums is None:
            return counted_z
        cols, _, shown, _, filled, p, big_k, big_n, row_k, row_n, prev_k, prev_n = sums
        own = counted_z[:, cols]
        i, j = np.nonzero((shown | filled) & np.isfinite(own) & np.isfinite(p))
        if not len(i):
            return counted_z
        row = own[i, j]
        run = run_z(big_k[i, j], big_n[i, j], p[i, j])
        # the run's z stands while the value is likely at the run's rate: a 0 or 100 % (no
        # trials shown: a quiet quarter hour inside a surge) too, on either side of it
        likely = consistent(row_k[i, j], row_n[i, j], big_k[i, j], big_n[i, j], p[i, j])
        side = filled[i, j] | (np.sign(run) == np.sign(row))
        more = likely & side & (np.abs(run) > np.abs(row))
        # ... and while this value holds the run up: one that lowers the
        # run's z (the hours after a fault: 3 drops of 299 at a run of 1.6 %) reads its own;
        # the run keeps it (a surge's next drops read it again)
        at = np.flatnonzero(more)
        if len(at):
            ia, ja = i[at], j[at]
            before = run_z(prev_k[ia, ja].astype(np.float64), prev_n[ia, ja].astype(np.float64),
                           p[ia, ja])
            more[at] = (np.sign(before) != np.sign(run[at])) | (np.abs(run[at]) >= np.abs(before))
        out = counted_z.copy()
        out[i, cols[j]] = np.where(more, run, row)
        return out

    def update(self, counts: CountRatios, rows: np.ndarray, slot: np.ndarray, raw: np.ndarray,
               n_rows: int, step_ns: int = HOUR_NS, read: Read | None = None
               ) -> tuple[np.ndarray, ...] | None:
        """Add this tick's counts to the runs (before ``counts`` learns the tick;
        ``read``: the tick's read at expected 0, when the caller has it); the tick's
        :meth:`sums` (None: no ratio KPI)."""
        self.events_ = grow_unwritten(self.events_, n_rows)
        self.trials_ = grow_unwritten(self.trials_, n_rows)
        self.typical_ = grow_unwritten(self.typical_, n_rows)
        # the rate as the sector's (no seasonal expectation here: before 24 values, 0)
        if read is None:
            read = counts.read(rows, slot, raw, np.zeros(raw.shape))
        sums = self.sums(counts, read, rows, slot, raw, step_ns)
        if sums is None:
            return None
        cols, n, shown, one, filled, _, big_k, big_n, _, _, _, _ = sums
        self.events_, self.trials_ = written(self.events_), written(self.trials_)
        self.typical_ = written(self.typical_)
        counted = shown | filled
        at = (rows[:, None], cols[None, :])
        self.events_[at] = np.where(counted, big_k, self.events_[at])
        self.trials_[at] = np.where(counted, big_n, self.trials_[at])
        typical = self.typical_[at].astype(np.float64)
        # the fleet's profile: trials at this slot against the sector's typical ones
        i, j = np.nonzero(one & (typical > 0))
        if len(i):
            share = np.zeros(self.profile_.shape)
            seen = np.zeros(self.profile_.shape)
            np.add.at(share, (slot[i], cols[j]), n[i, j] / typical[i, j])
            np.add.at(seen, (slot[i], cols[j]), 1.0)
            hit = seen > 0
            a = np.maximum(1.0 / (self.profile_n_[hit] + 1.0), PROFILE_ALPHA)
            self.profile_[hit] += a * (share[hit] / seen[hit] - self.profile_[hit])
            self.profile_n_[hit] += 1.0
        self.typical_[at] = np.where(
            one, np.where(typical > 0, typical + TRIALS_ALPHA * (n - typical), n), typical)
        return sums
