"""Ratios of few counts: how much evidence a percentage from a handful of attempts carries.

A success or drop rate is ``100 k / n`` of some counters. At a busy hour ``n`` runs to
hundreds and the rate moves smoothly; in a quiet hour it is a handful, and the rate
jumps between the few values ``k / n`` allows: 100 %, 50 %, 0 % (one handover of one
failed). On the KPI's usual spread such a jump is hundreds of spreads; as evidence it
is one failed attempt, a few percent likely when a cell fails 2 % of its attempts.
Those jumps were most of the false alarms on the second vendor's exports.

The value itself says how few counts stand behind it: the smallest ``n`` (up to
``MAX_COUNTS``) with ``k / n`` within rounding of it. A KPI is taken for a ratio of
counts when the data show it: every value seen lies within [0, 100], and its values sit
on the non-integer fractions of at most ``DETECT_COUNTS`` counts (33.33, 12.5, ...) far
more often than on the same points shifted by ``CONTROL_SHIFT`` (a continuous
percentage meets both equally often, an integer KPI neither). On such a KPI, a row whose
value is a fraction of at most ``MAX_COUNTS`` counts has its |z| capped at the binomial
evidence of ``k`` of ``n`` against the expected rate: ``Phi^-1``
of the tail probability. A value of one count (0 %, 100 %) is taken so only right after a
value of few counts or where the same hour of the previous day had few: a busy cell's 0 %
is a real total failure (its previous hour and yesterday's had many counts), while a busy
cell lands on 50 %, 66.67 % or 87.5 % exactly only by chance (50 % read on the seasonal
scale after a busy hour: 11 of 21 handover false alarms on tuning world 911; read in
counts, its false alarms 117 -> 106). Learned
per KPI from the data, no KPI names; a few series keep their z (their one-series pass has
no such state).

Where the value shows its counts (:meth:`CountRatios.resolution`: as many as the export's
decimals can show), the z *is* that binomial evidence, against the sector's mean rate
(:meth:`CountRatios.evidence`): a drop rate of 0.4 % has a median of 0 %, so on the
seasonal scale every single drop was hundreds of spreads and a surge to 14 % no more. The
mean rate is shrunk toward the fleet's (:meth:`CountRatios.shrunk_rate`): a hundred values
of a few calls show no drop at all on most sectors.

A quiet phase reads further: where the sector's last value and its last at this time of
day both showed at most ``QUIET_SHARE`` times the counts a value shows alone (50 at 2
decimals), a value of as few is read in counts too (19 of 21 handovers at a quiet
quarter hour is two failures, not the ten spreads a busy hour's 90.48 % is), and a 0 or
100 % after such a value is one attempt (a cell's last 40 setups at 2 users, then a
quarter hour with none connected). At a busy cell three values in a row land on
fractions of so few counts only by chance (15-minute operator worlds: the night's false
alarms on rate KPIs, ~1 in 4 of all, had these values).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np
from scipy.special import bdtr, bdtrc, ndtri

from telecom_nb.features.count_fractions import (
    MAX_COUNTS,
    MAX_DECIMALS,
    TOLERANCE,
    fewest_counts,
    fewest_decimals,
    fraction_hits,
    smallest_fraction,
)
from telecom_nb.features.group_median import FLEET_SAMPLE
from telecom_nb.features.masked_mean import column_any, mean_where
from telecom_nb.sector_index import grow_unwritten, known_rows, unwritten, written

if TYPE_CHECKING:
    from telecom_nb.features.lumpy_kernel import ColumnStats

#: the control points: the fractions shifted by this (no fraction of <= 10 counts is near)
CONTROL_SHIFT = 0.37
#: values on the fractions a KPI needs before it can be taken for a ratio of counts ...
#: (a continuous percentage lands on the control points as often as on the fractions:
#: 20 hits beside at most one control is ~1e-5 by chance, 22 / 2**21; 50 kept a busy
#: cell's setup and drop rates, whose few-count values come only at night, out of the
#: counts for two weeks of 15-minute data: 2 of 3 setups at 0 users, or one drop in
#: 250 calls, read 13-68 spreads on the night slots' MAD; t2540's CSSR / Call Drop
#: false rows 77 -> 16)
MIN_HITS = 20
#: ... and how many times more often than on the control points
MIN_HIT_RATIO = 10.0
#: the largest count a value's binomial evidence is read at
FLOOR_COUNTS = 1000
#: EW weight of a value in a sector's mean rate (a ratio KPI), and the values it needs
RATE_ALPHA = 0.01
MIN_RATE_VALUES = 24
#: a value whose binomial evidence against the sector's rate is beyond this |z| moves the
#: rate ``SURPRISE_WEIGHT`` as much as a usual value (:meth:`CountRatios.update`)
SURPRISE_Z = 3.5
SURPRISE_WEIGHT = 0.1
#: the fleet's rate weighs like this many of a sector's values in its rate, and the EW
#: weight of a tick's mean value in the fleet's rate
PRIOR_VALUES = 100.0
FLEET_RATE_ALPHA = 0.05
#: a sector whose values show their counts this often is read in counts throughout
MIN_SHOWN = 0.5
#: in a quiet phase (the sector's last value and its last at this time of day both of so
#: few counts) a value of up to this many times the counts a value shows alone is read in
#: counts: three values in a row on fractions of that few counts by chance are rare
QUIET_SHARE = 2.5
#: the most counts kept per sector (``last_n_``, ``slot_n_`` are int8); ``MAX_COUNTS + 1``
#: there is "many, or not known" (a new sector; a checkpoint older than the quiet phase)
KEPT_COUNTS = 127
#: a read of the ratio KPIs' values (:meth:`CountRatios.read`)
Read = tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]
def binomial_z(share: np.ndarray, n: np.ndarray, p: np.ndarray) -> np.ndarray:
    """|z| of ``share * n`` events in ``n`` trials at rate ``p``: ``Phi^-1`` of the tail
    probability on the side the share lies (0 on the expected side of the mode)."""
    n = np.asarray(n).astype(np.int64)
    k = np.round(np.where(np.isfinite(share), share, 0.0) * n).astype(np.int64)
    p = np.clip(p, 1e-6, 1.0 - 1e-6)
    low = k < n * p
    # P(X <= k) below the expectation, P(X >= k) = P(X > k - 1) above it
    tail = np.where(low, bdtr(k, n, p), bdtrc(np.maximum(k - 1, 0), n, p))
    tail = np.where(~low & (k == 0), 1.0, tail)
    return np.maximum(-ndtri(np.clip(tail, 1e-300, 1.0)), 0.0)


class CountRatios:
    """Which KPIs are ratios of few counts (learned), and each sector's last count level."""

    #: state newer than some checkpoints: derived by :meth:`derive_added_state`
    _state_added: tuple[str, ...] = ("fleet_rate_", "denominated_")

    def __init__(self, n_kpis: int, slots_per_day: int = 1) -> None:
        self.lattice_ = np.zeros(n_kpis)  # values on non-integer fractions of few counts
        self.control_ = np.zeros(n_kpis)  # ... on those points shifted (both ways, halved)
        self.outside_ = np.zeros(n_kpis, dtype=bool)  # a value outside [0, 100] was seen
        # a counter in the row is its trials (:mod:`count_denominator`): a ratio whatever its
        # counts (at 30 minutes or an hour a drop rate's values rarely show few)
        self.denominated_ = np.zeros(n_kpis, dtype=bool)
        # per sector x KPI: the fewest counts of the last finite value (MAX_COUNTS + 1: many)
        # (the per-sector tables stay unwritten, no memory, until a KPI is a ratio: only
        # its columns are read or written)
        self.last_n_ = unwritten((0, n_kpis), MAX_COUNTS + 1, np.int8)  # <= KEPT_COUNTS
        # ... and of the last finite value at each time-of-day slot
        self.slot_n_ = unwritten((0, slots_per_day, n_kpis), MAX_COUNTS + 1, np.int8)
        self.decimals_ = np.zeros(n_kpis)  # the most decimals a value was written with
        # per sector x KPI: EW mean of the values (the rate; a median of lumpy values is 0)
        self.rate_ = unwritten((0, n_kpis), 0.0, np.float64)
        self.rate_n_ = unwritten((0, n_kpis), 0.0, np.float64)
        # per KPI: EW over ticks of the fleet's mean value (the rate a sector is shrunk to)
        self.fleet_rate_ = np.full(n_kpis, np.nan)
        # ... and EW share of its values that show their counts (:meth:`resolution`)
        self.shown_ = unwritten((0, n_kpis), 0.0, np.float64)

    def derive_added_state(self, names: Sequence[str]) -> None:
        """A checkpoint older than ``fleet_rate_``: the mean of the restored sectors' rates
        (those with ``MIN_RATE_VALUES`` values), NaN where none has."""
        if "fleet_rate_" in names:
            ok = self.rate_n_ >= MIN_RATE_VALUES
            total, count = np.where(ok, self.rate_, 0.0).sum(axis=0), ok.sum(axis=0)
            self.fleet_rate_ = np.where(count > 0, total / np.maximum(count, 1), np.nan)

    def ratios(self) -> np.ndarray:
        """Per KPI: True where the data show a ratio of counts."""
        return (~self.outside_) & (self.denominated_ | (self.lattice_ >= MIN_HITS) & (
            self.lattice_ >= MIN_HIT_RATIO * (self.control_ + 1.0)))

    def caps(self, rows: np.ndarray, slot: np.ndarray, raw: np.ndarray,
             expected: np.ndarray) -> np.ndarray:
        """rows x KPIs: the largest |z| each row's value can carry (inf: no cap).

        ``raw`` are the values in their own units, ``expected`` the expected values in the
        same units; ``rows`` the sectors' registry rows (-1: unknown, no cap), ``slot``
        the rows' time-of-day slots."""
        cap = np.full(raw.shape, np.inf)
        which = self.ratios()
        if not which.any():
            return cap
        cols = np.flatnonzero(which)
        v = raw[:, cols]
        n = fewest_counts(v)
        known = known_rows(rows, len(self.last_n_))
        r = np.where(known, rows, 0)
        prev = np.minimum(self.last_n_[r][:, cols], self.slot_n_[r, slot][:, cols])
        # 0 and 100 % need the context; other small fractions speak for themselves
        few = known[:, None] & (n <= MAX_COUNTS) & ((prev <= MAX_COUNTS) | (n > 1))
        few &= np.isfinite(expected[:, cols])
        if few.any():  # the binomial tails of the few rows only (scipy's are slow)
            i, j = np.nonzero(few)
            sub = np.full(v.shape, np.inf)
            sub[i, j] = binomial_z(v[i, j] / 100.0, n[i, j], expected[i, cols[j]] / 100.0)
            cap[:, cols] = sub
        return cap

    def resolution(self) -> tuple[np.ndarray, np.ndarray]:
        """Per KPI: (rounding of a value, the most counts a value can show).

        Half a unit of the last decimal the export writes; a fraction of ``n`` counts
        lands within that of a value by chance about ``n**2`` times the rounding's share
        of [0, 100], so a value shows its counts up to ~20 at 2 decimals (2.5 % by chance,
        as ``MAX_COUNTS``), ~200 at 4."""
        d = np.minimum(self.decimals_, MAX_DECIMALS)
        tolerance = 0.51 * 10.0**-d
        most = np.clip(np.round(MAX_COUNTS * 10.0 ** ((d - 2.0) / 2.0)), 1, FLOOR_COUNTS)
        return tolerance, most.astype(np.int64)

    def evidence(self, rows: np.ndarray, slot: np.ndarray, raw: np.ndarray,
                 expected: np.ndarray, read: Read | None = None) -> np.ndarray:
        """rows x KPIs: the signed binomial z of each ratio KPI's value (NaN: not read so).

        A rate whose value shows ``k`` events of ``n`` (the smallest fraction within the
        export's rounding, :meth:`resolution`) is judged as that many trials against the
        sector's mean rate: a drop rate of 0.4 % reads 0 % nearly always and 5 % (1 of
        20) now and then, so its median (the seasonal level) is 0 and every drop is
        hundreds of spreads, while a surge to 13.7056 % (27 of 197) is far more than one
        drop. 0 and 100 % need the few-count context (as the caps). A value of more
        counts than its decimals can show is read so (its smallest fraction: a lower
        bound of the evidence) only on a sector whose values mostly show their counts (a
        rare event's rate: 0 % or a few events); elsewhere (a busy cell's success rate of
        hundreds of attempts at 2 decimals) it keeps its seasonal z."""
        out = np.full(raw.shape, np.nan)
        read = read or self.read(rows, slot, raw, expected)
        if read is None:
            return out
        cols, k, n, use, p = read
        i, j = np.nonzero(use & np.isfinite(p))
        if len(i):
            out[i, cols[j]] = _signed_evidence(k[i, j], n[i, j], p[i, j])
        return out

    def read(self, rows: np.ndarray, slot: np.ndarray, raw: np.ndarray, expected: np.ndarray
             ) -> Read | None:
        """``(cols, k, n, use, p)``: the ratio KPIs' columns and, rows x those, each value's
        events ``k`` of ``n`` trials, where it is read in counts (:meth:`evidence`), and the
        rate ``p`` (0-1) it is judged against; None without a ratio KPI."""
        cols = np.flatnonzero(self.ratios())
        if not len(cols):
            return None
        known = known_rows(rows, len(self.rate_))
        r = np.where(known, rows, 0)[:, None]
        tolerance, most = self.resolution()
        k = np.zeros((len(raw), len(cols)), dtype=np.int64)
        n = np.zeros_like(k)
        for j, col in enumerate(cols):  # a few KPIs
            k[:, j], n[:, j] = smallest_fraction(raw[:, col], float(tolerance[col]))
        lumpy = self.shown_[r, cols] >= MIN_SHOWN
        limit = np.where(lumpy, FLOOR_COUNTS, most[cols])
        use = known[:, None] & (n > 0) & (n <= limit)
        quiet = quiet_counts(most[cols])
        few = n <= 1  # 0 or 100 %: read so after few counts only
        wide = known[:, None] & (n > limit) & (n <= quiet)
        if few.any() or wide.any():
            last, at_slot = (
                np.where(c == MAX_COUNTS + 1, KEPT_COUNTS, c)
                for c in (self.last_n_[r, cols], self.slot_n_[r, slot[:, None], cols])
            )
            # 0 or 100 % after a quiet phase's value (40 attempts a quarter hour at 2 users,
            # then none) is one attempt, not a total failure of hundreds
            use &= ~few | (np.minimum(last, at_slot) <= quiet)
            # a quiet hour's 19 of 21 handovers (90.48 %) is two failures, not the ten
            # spreads of a busy hour's 90.48 %: read in counts where the sector's last value
            # and its last at this time of day were of as few counts
            use |= wide & (np.maximum(last, at_slot) <= quiet)
        # the shrunk rate as soon as the fleet has one: before a sector's own values, the
        # seasonal expectation of a rare event's rate is 0 and every drop read z 4.75
        rated = (self.rate_n_[r, cols] >= MIN_RATE_VALUES) | np.isfinite(self.fleet_rate_[cols])
        p = np.where(rated, self.shrunk_rate(r, cols), expected[:, cols]) / 100.0
        return cols, k, n, use, p

    def shrunk_rate(self, r: np.ndarray, cols: np.ndarray) -> np.ndarray:
        """The sectors' (``r``: rows x 1) mean rates of ``cols`` shrunk toward the fleet's
        with the weight of ``PRIOR_VALUES`` values: a rare event's rate from a hundred
        values of a few trials is 0 on most sectors (0.4 % of 5 calls an hour is two drops
        in a hundred hours), and one drop of two calls judged at a rate of 0 read z 4.6."""
        w = np.minimum(self.rate_n_[r, cols], 1.0 / RATE_ALPHA)
        fleet = np.nan_to_num(self.fleet_rate_[cols])
        return (w * self.rate_[r, cols] + PRIOR_VALUES * fleet) / (w + PRIOR_VALUES)

    def update(self, rows: np.ndarray, slot: np.ndarray, raw: np.ndarray,
               n_rows: int, read: Read | None = None, stats: ColumnStats | None = None) -> None:
        """Learn which KPIs are ratios of counts and each sector's last count level;
        ``read``: this tick's :meth:`read` before the update (expected 0), which tells the
        values too surprising to move the rate much (:func:`rate_weights`); ``stats``:
        the values' counts (:func:`~telecom_nb.features.lumpy_kernel.column_stats`, the
        fleet sample every :func:`sample_step` rows), else counted here."""
        # which KPIs are ratios is a share: a sample of a big fleet's rows tells it as well
        sample = raw[:: sample_step(len(raw))]
        if stats is None:
            ok = np.isfinite(raw)
            self.outside_ |= column_any(ok & ((raw < -TOLERANCE) | (raw > 100.0 + TOLERANCE)))
            self.lattice_ += fraction_hits(sample)
            control = fraction_hits(sample - CONTROL_SHIFT) + fraction_hits(
                sample + CONTROL_SHIFT)
        else:
            self.outside_ |= stats.outside
            self.lattice_ += stats.hits
            control = stats.control
        self.decimals_ = np.maximum(self.decimals_, fewest_decimals(sample))
        self.control_ += 0.5 * control
        self.last_n_ = grow_unwritten(self.last_n_, n_rows, MAX_COUNTS + 1)
        self.slot_n_ = grow_unwritten(self.slot_n_, n_rows, MAX_COUNTS + 1)
        self.rate_ = grow_unwritten(self.rate_, n_rows)
        self.rate_n_ = grow_unwritten(self.rate_n_, n_rows)
        self.shown_ = grow_unwritten(self.shown_, n_rows)
        cols = np.flatnonzero(self.ratios())  # only they are read
        if not len(cols):
            return
        self.last_n_, self.slot_n_ = written(self.last_n_), written(self.slot_n_)
        self.rate_, self.rate_n_, self.shown_ = (written(self.rate_), written(self.rate_n_),
                                                 written(self.shown_))
        at = (rows[:, None], cols[None, :])
        v = raw[:, cols]
        seen = np.isfinite(v)
        count = self.rate_n_[at]
        weight = rate_weights(read, cols, count >= MIN_RATE_VALUES)
        a = np.maximum(1.0 / (count + 1.0), RATE_ALPHA) * weight
        self.rate_[at] = np.where(seen, self.rate_[at] + a * (np.nan_to_num(v) - self.rate_[at]),
                                  self.rate_[at])
        self.rate_n_[at] = count + seen
        usual = seen & (weight == 1.0)
        if usual.any():
            tick = mean_where(v, usual)  # np.nanmean's bits (masked_mean)
            cur = self.fleet_rate_[cols]
            fine = np.isfinite(tick)
            self.fleet_rate_[cols] = np.where(
                fine & np.isfinite(cur), cur + FLEET_RATE_ALPHA * (tick - cur),
                np.where(fine & ~np.isfinite(cur), tick, cur))
        tolerance, most = self.resolution()
        counts = np.zeros(v.shape, dtype=np.int64)
        for j, col in enumerate(cols):  # a few KPIs
            counts[:, j] = smallest_fraction(v[:, j], float(tolerance[col]))[1]
        shown = (counts <= most[cols]).astype(np.float64)
        self.shown_[at] = np.where(seen, self.shown_[at] + a * (shown - self.shown_[at]),
                                   self.shown_[at])
        n = fewest_counts(raw[:, cols])
        # beyond the few: the value's own smallest fraction (a quiet phase's counts, read
        # by :meth:`read`), never a few (the caps' 0 and 100 % rule) nor "many" itself
        n = np.where(n <= MAX_COUNTS, n, np.clip(counts, MAX_COUNTS + 2, KEPT_COUNTS))
        keep = np.isfinite(raw[:, cols])
        at = (rows[:, None], cols[None, :])
        self.last_n_[at] = np.where(keep, n, self.last_n_[at])
        at = (rows[:, None], slot[:, None], cols[None, :])
        self.slot_n_[at] = np.where(keep, n, self.slot_n_[at])


def sample_step(n_rows: int) -> int:
    """The stride of the fleet sample a batch of ``n_rows`` shows its ratio KPIs (and
    denominators, :mod:`count_denominator`) in."""
    return max(1, n_rows // FLEET_SAMPLE)


def rate_weights(read: Read | None, cols: np.ndarray, rated: np.ndarray) -> np.ndarray | float:
    """rows x ``cols``: the weight of each value in its sector's rate, ``SURPRISE_WEIGHT``
    where the value read in counts lies beyond ``SURPRISE_Z`` of the sector's own rate
    (``rated``: it has one), else 1. A surge's drops must not raise the rate they are
    judged against: at 0.4 % one hour of 9 drops in 40 calls lifts an EW rate (weight
    0.01) to 0.62 % and its next hour's 2 drops of 8 read z 3.08 instead of 3.33; the run
    of counts is judged at that rate too, and the sector's next surge for days. A lasting
    change of rate is still learned, ten times slower (under the null such a value is 1
    in ~4,000: the rate stays unbiased)."""
    if read is None or not len(cols):
        return 1.0
    rcols, k, n, use, p = read
    if not np.array_equal(rcols, cols):
        return 1.0
    ok = use & rated & np.isfinite(p) & (n > 0)
    # only values off their rate by more than one sd can be that far (scipy's tails are slow)
    far = ok & (np.abs(k - n * np.nan_to_num(p)) > np.sqrt(n * np.clip(np.nan_to_num(p), 1e-6, 1)))
    weight = np.ones(k.shape)
    i, j = np.nonzero(far)
    if len(i):
        z = binomial_z(k[i, j] / n[i, j], n[i, j], p[i, j])
        weight[i, j] = np.where(z > SURPRISE_Z, SURPRISE_WEIGHT, 1.0)
    return weight


def quiet_counts(most: np.ndarray) -> np.ndarray:
    """The most counts a value is read in at a sector in a quiet phase, for KPIs whose
    values show ``most`` counts alone (:meth:`CountRatios.resolution`)."""
    return np.minimum(np.round(QUIET_SHARE * most), KEPT_COUNTS - 1).astype(np.int64)


def _signed_evidence(k: np.ndarray, n: np.ndarray, p: np.ndarray) -> np.ndarray:
    """Signed binomial z of ``k`` events in ``n`` trials at rate ``p``. Within one standard
    deviation of ``n p`` (most rows: scipy's exact tails cost ~1 us each) the normal
    approximation with continuity correction, which stays below ~1 there, stands in."""
    p = np.clip(p, 1e-6, 1.0 - 1e-6)
    dev = k - n * p
    sd = np.sqrt(n * p * (1.0 - p))
    z = np.sign(dev) * np.maximum(np.abs(dev) - 0.5, 0.0) / sd
    far = np.abs(dev) > sd
    if far.any():
        z[far] = np.sign(dev[far]) * binomial_z(k[far] / n[far], n[far], p[far])
    return z
