"""Known zero states: a KPI at exactly zero, as the series has shown before, is no news.

Some cells carry nothing for a while in their normal life (night maintenance, an idle
small cell): traffic, users, PRB, throughput and modulation read exactly 0 for 20 minutes
to 2 hours, a few nights a week. Against the seasonal expectation each such row is
dozens of spreads away, and every one of them was an alarm (few-series LTE cell 3 of
``benchmarks/few_series.py``: 320 of 580 false rows). Exact zero is not a level on the
series' continuum but a *state* of its own, and a state the series has entered and left
several times is part of its normal life. So, per sector and KPI, the runs of exact zeros
are counted; a zero row is *known* when the KPI has completed at least
:data:`MIN_RUNS` zero runs before and the current run is no longer than the longest of
them, and at least two earlier, completed zero runs of the KPI sat at the local hour of
the row or an hour next to it. A known zero's deviation features (seasonal, relations
with it, change, novelty, persistence) read 0. A zero run longer than any seen (an
outage outlasting every maintenance window), a zero at an hour the maintenance never took
(a daytime outage of a cell whose maintenance is at night), or a KPI that never sat at
zero (a cell with no such nights), is judged as before.

One run does not make an hour known: an outage to exact zeros, found, taught its own
hours and length, and the cell's next outage at those hours (no longer than the first)
read 0 on every column (``few_series.py`` lte5 seed 2026: the maintenance cell's 66-row
outage at 19:25, then 21 rows at 21:30, missed at score 1.12). Maintenance comes back at
its hours, give or take one (a window starting at 01:00 one night, 02:50 another); an
outage seldom does. Its hours are a band as wide as its runs have spread: an hour one run
held is known where it joins, through hours a run held, an hour two runs held (a night
at 03:42-05:22 after nights at 01-03 h and one to 04:44: its 82 rows from 04:00 were news,
read 10.4-11.1 by :mod:`~telecom_nb.detectors.zero_part`, ``few_series.py`` lte1 seed 2845),
while an afternoon outage's hours, held once and apart from the band, stay news.

A zero state is the KPIs at zero *together*: a KPI that read a finite non-zero value on rows
of at most one of the earlier zero runs (the drop rate of a locked cell, at 0 with its
traffic) is its companion, and a zero row where a companion reads non-zero is another state,
judged as before (``few_series.py`` lte5 seed 2770: the maintenance cell's 29-row outage at
00:20, traffic to 0 while its drop rate went on, within its maintenance hours and length:
missed at 1.29, a maintenance night's row). A KPI non-zero on rows of two or more earlier
runs is no companion (kept apart for good): a varied maintenance only loosens the rule. One
run does not, as it does not make an hour known: an earlier outage with the drop rate going
on (lte5 seed 2774, cell 3 on day 5 at 17:55) made the next one at a maintenance hour known.

Only for a few series (:data:`~telecom_nb.defaults.FEW_SERIES`): a fleet's outages are
told from its peers, and its features are left as they were.
"""

from __future__ import annotations

import numpy as np

from telecom_nb.sector_index import grow_rows, known_rows

#: completed zero runs a KPI must have shown before a zero of it is known
MIN_RUNS = 3


def kpi_columns(names: list[str], kpis: tuple[str, ...]) -> np.ndarray:
    """(kpis x features) mask: the feature columns that read each KPI (its own and the
    relations it takes part in)."""
    out = np.zeros((len(kpis), len(names)), dtype=bool)
    for j, kpi in enumerate(kpis):
        for i, name in enumerate(names):
            series = name.rpartition(":")[0]
            out[j, i] = kpi in series.split("/")
    return out


def _bits(hour: np.ndarray) -> np.ndarray:
    """One bit per local hour (0-23)."""
    return np.left_shift(np.int64(1), hour.astype(np.int64))


def _apart(y: np.ndarray) -> np.ndarray:
    """Each row's mask of the KPIs at a finite non-zero value (a bit per KPI; past 64 KPIs
    bits are shared, which only loosens the companion rule)."""
    bit = np.left_shift(np.int64(1), np.arange(y.shape[1], dtype=np.int64) % 64)
    return np.bitwise_or.reduce(np.where(np.isfinite(y) & (y != 0.0), bit, 0), axis=1)


def _near(bits: np.ndarray) -> np.ndarray:
    """Hour bits widened by an hour either side (23 and 0 are neighbours)."""
    full = np.int64((1 << 24) - 1)
    left = ((bits << 1) & full) | (bits >> 23)
    right = (bits >> 1) | ((bits & 1) << 23)
    return bits | left | right


def _band(hours: np.ndarray, repeat: np.ndarray) -> np.ndarray:
    """The hours of each stretch of ``hours`` (hour bits near a completed run, circular)
    that holds an hour of ``repeat`` (near two or more runs): the band a maintenance comes
    back to, as wide as its runs have spread."""
    band, held = repeat, hours | repeat  # (a checkpoint's repeat may lie outside hours)
    for _ in range(12):  # a stretch grows an hour either side a step: 24 hours in 12
        band = _near(band) & held
    return band


class ZeroStates:
    """Per sector x KPI: current zero run, completed runs and the longest one (in rows),
    and as hour bits the local hours at or next to a completed run (one, two or more) and
    those of the current run."""

    def __init__(self, n_kpis: int) -> None:
        self.run_ = np.zeros((0, n_kpis))  # rows in the current zero run (0: not at zero)
        self.done_ = np.zeros((0, n_kpis))  # completed zero runs
        self.longest_ = np.zeros((0, n_kpis))  # rows of the longest completed run
        self.hours_ = np.zeros((0, n_kpis), dtype=np.int64)  # near a completed run
        self.repeat_ = np.zeros((0, n_kpis), dtype=np.int64)  # near two or more
        self.pending_ = np.zeros((0, n_kpis), dtype=np.int64)  # hours of the current run
        self.seen_ = np.zeros((0, n_kpis), dtype=np.int64)  # KPIs non-zero in a past run
        self.apart_ = np.zeros((0, n_kpis), dtype=np.int64)  # in two or more
        self.open_ = np.zeros((0, n_kpis), dtype=np.int64)  # in the current run

    #: state newer than some checkpoints (derived by :meth:`derive_added_state`)
    _state_added: tuple[str, ...] = ("repeat_", "seen_", "apart_", "open_")

    def derive_added_state(self, names) -> None:
        """A checkpoint older than the two-run rule: the hours it knew stay known (its
        hours of one run, as it read them), and count as one run's from now. One older
        than the companions: no KPI is one (its zeros read as that checkpoint read them)."""
        if "repeat_" in names:  # not widened: a band (:func:`_band`) of its hours alone
            self.repeat_ = self.hours_.copy()
        if {"seen_", "apart_", "open_"} & set(names):
            self.seen_ = np.full(self.run_.shape, -1, dtype=np.int64)
            self.apart_ = np.full(self.run_.shape, -1, dtype=np.int64)
            self.open_ = np.zeros(self.run_.shape, dtype=np.int64)

    def known(self, rows: np.ndarray, y: np.ndarray, hour: np.ndarray) -> np.ndarray:
        """(rows x kpis) mask of known zeros in ``y`` (scaled KPIs; ``hour``: each row's
        local hour; learns nothing)."""
        return self._read(rows, y, hour)[0]

    def usual(self, rows: np.ndarray, y: np.ndarray, hour: np.ndarray) -> np.ndarray:
        """(rows x kpis) mask of zeros in the state the series has shown at that hour: in
        the band of its runs' hours, its companions at zero, however few or short its runs
        so far (:meth:`known` asks those too; learns nothing). A state outside it is news
        to :mod:`~telecom_nb.detectors.zero_part`."""
        return self._read(rows, y, hour)[1]

    def _read(self, rows: np.ndarray, y: np.ndarray,
              hour: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(:meth:`known`, :meth:`usual`)."""
        zero = y == 0.0
        known = known_rows(rows, len(self.run_))
        if not zero.any() or not known.any():
            return np.zeros(y.shape, dtype=bool), np.zeros(y.shape, dtype=bool)
        r = np.where(known, rows, 0)
        usual = (_band(self.hours_[r], self.repeat_[r]) & _bits(hour)[:, None]) != 0
        usual &= (_apart(y)[:, None] & ~self.apart_[r]) == 0  # no companion off zero
        usual &= zero & known[:, None]
        ok = (self.done_[r] >= MIN_RUNS) & (self.run_[r] + 1.0 <= self.longest_[r])
        return usual & ok, usual

    def update(self, rows: np.ndarray, y: np.ndarray, n_rows: int, hour: np.ndarray) -> None:
        self.run_ = grow_rows(self.run_, n_rows)
        self.done_ = grow_rows(self.done_, n_rows)
        self.longest_ = grow_rows(self.longest_, n_rows)
        self.hours_ = grow_rows(self.hours_, n_rows, 0)
        self.repeat_ = grow_rows(self.repeat_, n_rows, 0)
        self.pending_ = grow_rows(self.pending_, n_rows, 0)
        self.seen_ = grow_rows(self.seen_, n_rows, 0)
        self.apart_ = grow_rows(self.apart_, n_rows, 0)
        self.open_ = grow_rows(self.open_, n_rows, 0)
        zero = y == 0.0
        run = self.run_[rows]
        ended = ~zero & (run > 0)
        opened = self.open_[rows]
        done = np.where(ended, opened, 0)
        self.apart_[rows] |= self.seen_[rows] & done  # non-zero in a second run
        self.seen_[rows] |= done
        self.open_[rows] = np.where(zero, np.where(run > 0, opened, 0) | _apart(y)[:, None], 0)
        self.done_[rows] += ended
        self.longest_[rows] = np.where(
            ended, np.maximum(self.longest_[rows], run), self.longest_[rows]
        )
        pending = self.pending_[rows]
        add = _near(np.where(ended, pending, 0))
        self.repeat_[rows] |= self.hours_[rows] & add  # an hour a second run sat in
        self.hours_[rows] |= add
        self.pending_[rows] = np.where(zero, pending | _bits(hour)[:, None], 0)
        self.run_[rows] = np.where(zero, run + 1.0, 0.0)

    def scan(self, row: int, y: np.ndarray, hour: np.ndarray,
             usual: np.ndarray | None = None) -> np.ndarray:
        """``known`` then ``update`` for consecutive rows ``y`` of one sector (its state row
        ``row``, existing): the same masks and state, vectorised over the rows; ``usual``
        (rows x kpis, optional) is filled with :meth:`usual`'s mask of each row."""
        zero = y == 0.0
        n, k = y.shape
        out = np.zeros((n, k), dtype=bool)
        if n == 0:
            return out
        idx = np.arange(n)
        bit = apart_row = None
        for j in range(k):  # a few KPIs; each column is vectorised over the rows
            z = zero[:, j]
            run0, done0, long0 = self.run_[row, j], self.done_[row, j], self.longest_[row, j]
            if run0 == 0.0 and not z.any():  # no zero and none carried in (most blocks)
                self._rest(row, j)
                if usual is not None:
                    usual[:, j] = False
                continue
            if bit is None:
                bit, apart_row = _bits(hour), _apart(y)
            prev = np.r_[run0 > 0, z[:-1]]
            start = z & ~prev
            # index of the row where the current run began (continuing runs: before 0)
            begin = np.maximum.accumulate(np.where(start, idx, -1))
            cont = begin < 0  # still in the run carried in from before
            pos = np.where(cont, run0 + idx + 1.0, idx - begin + 1.0)  # run length incl. row
            pos = np.where(z, pos, 0.0)
            ended = ~z & np.r_[run0 > 0, z[:-1]]  # first non-zero row after a run
            length = np.where(ended, np.r_[run0, pos[:-1]], 0.0)
            done = done0 + np.cumsum(ended)  # runs completed up to and including this row
            longest = np.maximum(long0, np.maximum.accumulate(length))
            last, before, repeat, pending = self._scan_hours(
                z, bit, ended, self.hours_[row, j], self.repeat_[row, j], self.pending_[row, j]
            )
            seen, apart, opened = self._scan_apart(
                z, apart_row, ended, run0 > 0, self.seen_[row, j], self.apart_[row, j],
                self.open_[row, j],
            )
            same = z & ((_band(before, repeat[:-1]) & bit) != 0) & ((apart_row & ~apart) == 0)
            out[:, j] = same & (done >= MIN_RUNS) & (pos <= longest)
            if usual is not None:
                usual[:, j] = same
            self.run_[row, j] = pos[-1]
            self.done_[row, j] = done[-1]
            self.longest_[row, j] = longest[-1]
            self.hours_[row, j] = last
            self.repeat_[row, j] = repeat[-1]
            self.pending_[row, j] = pending
            self.seen_[row, j] = seen
            self.apart_[row, j] = apart[-1]
            self.open_[row, j] = opened
        return out

    def _rest(self, row: int, j: int) -> None:
        """:meth:`scan`'s state after rows without a zero of KPI ``j`` from outside a zero
        run: no run ends or begins, so only the current run's (already empty) state is
        set, as the scan sets it; its rows read neither known nor usual."""
        self.run_[row, j] = 0.0
        self.pending_[row, j] = 0
        self.open_[row, j] = 0

    @staticmethod
    def _scan_apart(
        z: np.ndarray,
        apart_row: np.ndarray,
        ended: np.ndarray,
        in_run: bool,
        seen0: np.int64,
        apart0: np.int64,
        open0: np.int64,
    ) -> tuple[np.int64, np.ndarray, np.int64]:
        """(the KPIs non-zero in a run completed after the last row, those in two or more
        up to each row, those of the current run after the last row): each run's rows'
        masks ORed over its segment join the completed ones at the row that ends it (as
        :meth:`_scan_hours`' hours)."""
        vals = np.where(z, apart_row, 0)
        seg = np.flatnonzero(z & ~np.r_[False, z[:-1]])
        seg_or = np.bitwise_or.reduceat(vals, seg) if seg.size else np.zeros(0, np.int64)
        if seg.size and seg[0] == 0 and in_run:  # the run carried in goes on
            seg_or[0] |= open0
        add = np.zeros(len(z), dtype=np.int64)
        at = np.flatnonzero(ended)
        if at.size:
            which = np.searchsorted(seg, at - 1, side="right") - 1
            padded = np.r_[seg_or, np.int64(0)]  # which = -1: the run carried in ended
            add[at] = np.where(which >= 0, padded[which], open0)
        seen = seen0 | np.bitwise_or.accumulate(add)
        before = np.r_[seen0, seen[:-1]]
        apart = apart0 | np.bitwise_or.accumulate(before & add)
        return np.int64(seen[-1]), apart, (np.int64(seg_or[-1]) if z[-1] else np.int64(0))

    @staticmethod
    def _scan_hours(
        z: np.ndarray,
        bit: np.ndarray,
        ended: np.ndarray,
        hours0: np.int64,
        repeat0: np.int64,
        pending0: np.int64,
    ) -> tuple[np.int64, np.ndarray, np.ndarray, np.int64]:
        """(hours near the runs completed after the last row, those before each row, hours
        near two or more of
        them before each row and after the last (n + 1 values), the current run's hours
        after the last row): each run's hours are ORed over its segment and join the
        completed ones, widened, at the row that ends it."""
        n = len(z)
        bits = np.where(z, bit, 0)
        seg = np.flatnonzero(z & ~np.r_[False, z[:-1]])  # zero segments in these rows
        seg_or = np.bitwise_or.reduceat(bits, seg) if seg.size else np.zeros(0, np.int64)
        carried = seg.size > 0 and seg[0] == 0 and pending0 != 0
        if carried:  # the run carried in goes on in the first segment
            seg_or[0] |= pending0
        add = np.zeros(n, dtype=np.int64)
        at = np.flatnonzero(ended)
        if at.size:
            which = np.searchsorted(seg, at - 1, side="right") - 1
            padded = np.r_[seg_or, np.int64(0)]  # which = -1: the run carried in ended
            add[at] = _near(np.where(which >= 0, padded[which], pending0))
        hours = hours0 | np.bitwise_or.accumulate(add)
        before = np.r_[hours0, hours[:-1]]
        repeat = repeat0 | np.bitwise_or.accumulate(before & add)  # a second run's hours
        pending = np.int64(seg_or[-1]) if z[-1] else np.int64(0)
        return np.int64(hours[-1]), before, np.r_[repeat0, repeat], pending
