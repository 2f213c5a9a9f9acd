"""Common mode: a shift that many sectors of one kind show at the same tick is no sector fault.

A long holiday's first day (Nowruz: the city empties, rural and highway cells fill; gen16's
1120: 1,166 of its 1,381 false-alarm rows) or Ramadan's first evenings move every sector's
load at once, and quality with it (rural throughput -2 to -4 spreads at 20 h, latency +2).
The seasonal baseline has never seen that day, so each sector reads 2-4 spreads off, and
its neighbours with it: the area part (own and neighbours' median z, made for backhaul
faults) read it as an area outage (869 of the 1,166). What separates the two is breadth: an
outage moves a few neighbouring sites, a holiday moves most of the fleet, each *kind* of
sector its own way (CBD down, rural up).

So sectors are grouped by the shape of their normal day (the seasonal part's slot levels
less their mean, k-means, refitted once a day of data): a group is one kind of sector
wherever it stands, large enough that one site's or one cluster's fault hardly moves its
median. Per tick and seasonal series, each group's median z (sectors with a value) is its
common mode. When, in some series, groups holding at least :data:`FLEET_SHARE` of the
sectors reporting it are shifted by :data:`SHIFT` or more, the tick is fleet-shifted (where
the fleet's load family is known, only its series open the gate: a calendar moves the load,
a cluster fault only quality, :func:`opening_series`) and every sector's seasonal z has
its group's median taken off (all series: what remains is the sector's own part), and that
part is read on the group's own spread at the tick where it is
wider than a normal z's (1): a day its kind has never seen moves each sector by its own
amount too (a city cell by -2, its neighbour by -5), so what is left is judged against how
far the group scattered, not against an ordinary day's noise (third generator's Nowruz
day 1: 1,470 of 1,641 false-alarm rows on v247 before, 20-27 % of all rows flagged an
hour). A sector twenty spreads off still reads five or more. On ordinary ticks nothing
changes: a minority area's weekend (CBD on a Saturday, ~20 % of a fleet) does not open the
gate. A small fleet makes one or two groups, and on such a day a group may move two ways at
once (towns empty, villages fill, on one daily shape): where, at a gated tick, a group's
values of a series fall apart into two large tight sides, each sector has its side's median
taken off instead (:mod:`~telecom_nb.features.response_split`). No calendar and no
labels: the gate is read from the tick's own data. A fleet-wide real outage (a core
failure) is taken off too: it is no *sector* fault, and it is as visible in the fleet's
totals.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from threadpoolctl import threadpool_limits

from telecom_nb.features.group_median import group_medians
from telecom_nb.features.response_split import side_offsets
from telecom_nb.features.time_slots import DAY_NS
from telecom_nb.sector_index import known_rows

#: sectors per group (about), and at most this many groups
GROUP_SIZE = 60
MAX_GROUPS = 8
#: fewest sectors of a group with a value of a series at a tick for its median
MIN_REPORTING = 10
#: a group whose median z is this far from 0 is shifted (a median of 10+ unit z has a
#: spread of ~0.4 at most) ...
SHIFT = 1.0
#: ... and on a day the fleet was read as another weekday's (an undeclared holiday,
#: :mod:`~telecom_nb.features.day_type`): the day fits that weekday only better than its own
#: (a long holiday's first day is a Friday, lower): what the fleet shares is taken off
DAY_TYPE_SHIFT = 0.0
#: ... and a tick is fleet-shifted when, in some series, shifted groups hold this share of
#: the sectors reporting it (a minority area's weekend, CBD at ~20 %, does not). Not 0.5:
#: on a holiday's first day a series whose one shifted group held 49 % of its sectors shut
#: the gate for 11 of 24 hours (lead world h1160: ~150 false-alarm rows each such hour)
FLEET_SHARE = 0.4
#: a normal z's MAD (a group's spread at a shifted tick is its residuals' MAD / this)
NORMAL_MAD = 0.6745
#: data time before the first grouping (two visits of every slot) and between regroupings
FIT_AFTER_NS = 2 * DAY_NS
REFIT_NS = DAY_NS
#: sectors the centres are fitted on (a stride keeps a large fleet cheap), Lloyd iterations
SAMPLE = 4000
ITERATIONS = 20
#: sectors a tick's group medians are read on at most (a stride over the rest)
FLEET_SAMPLE = 4000
#: time-of-day blocks of the profile (slots are averaged into them)
BLOCKS = 12
#: sectors assigned per learned tick: a larger fleet's regrouping is spread over ticks (the
#: old groups stand until the new ones are complete; 100k sectors: 20 ticks) and the
#: profile block held at once is bounded. All at once, 100k sectors x 96 slots x 4 KPIs
#: took 1.2-1.8 s of one tick's CPU (20,000 a tick: 0.15-0.4 s each)
CHUNK = 5_000


def profiles(level: np.ndarray, count: np.ndarray, rows: slice | np.ndarray) -> np.ndarray:
    """(rows x blocks*series) each sector's daily shape: its slot levels (``level``,
    ``count``: rows x slots x series) less their mean over the visited slots, averaged into
    :data:`BLOCKS` blocks; a series never seen reads a flat 0."""
    lvl = np.asarray(level[rows], dtype=np.float64)
    seen = np.asarray(count[rows]) > 0
    n_seen = seen.sum(axis=1, keepdims=True)
    mean = np.where(seen, lvl, 0.0).sum(axis=1, keepdims=True) / np.maximum(n_seen, 1)
    shape = np.where(seen, lvl - mean, 0.0)
    slots = shape.shape[1]
    blocks = min(BLOCKS, slots)
    block = np.arange(slots) * blocks // slots
    width = np.bincount(block, minlength=blocks).astype(np.float64)
    mean_of = np.zeros((slots, blocks))  # slot -> its block's mean
    mean_of[np.arange(slots), block] = 1.0 / width[block]
    out = np.tensordot(shape, mean_of, axes=([1], [0]))  # rows x series x blocks
    return out.reshape(len(out), -1)


def kmeans(x: np.ndarray, k: int) -> np.ndarray:
    """(k x dims) centres of ``x``: deterministic start (the rows cut into ``k`` equal
    runs along their first principal axis), Lloyd's iterations, empty centres dropped."""
    centred = x - x.mean(axis=0)
    _, _, vt = np.linalg.svd(centred, full_matrices=False)
    order = np.argsort(centred @ vt[0], kind="stable")
    label = np.empty(len(x), dtype=np.int64)
    label[order] = np.arange(len(x)) * k // len(x)
    centres = np.zeros((k, x.shape[1]))
    for _ in range(ITERATIONS):
        sizes = np.bincount(label, minlength=k)
        keep = sizes > 0
        centres = row_sums(x, label, k)[keep] / sizes[keep, None]
        new = nearest_centre(x, centres)
        if np.array_equal(new, label):
            break
        label, k = new, len(centres)
    return centres


def row_sums(x: np.ndarray, label: np.ndarray, k: int) -> np.ndarray:
    """(k x dims) sums of ``x``'s rows by ``label``, bit for bit ``np.add.at``'s (which adds
    row by row in order from 0.0, unbuffered: 1.0 s of a 3,118-cell export's replay; this is
    6-8x cheaper). A sum down the slow axis of a C-ordered block adds whole rows in order
    (numpy sums pairwise along the fast axis only: one column takes ``cumsum``, in order by
    definition); ``+ 0.0`` turns an all -0.0 column's -0.0 into add.at's 0.0."""
    out = np.zeros((k, x.shape[1]))
    for c in range(k):  # k <= MAX_GROUPS
        mine = np.ascontiguousarray(x[label == c])
        if len(mine):
            total = mine.sum(axis=0) if mine.shape[1] > 1 else np.cumsum(mine, axis=0)[-1]
            out[c] = total + 0.0
    return out


def nearest_centre(x: np.ndarray, centres: np.ndarray) -> np.ndarray:
    """Each row's nearest centre (squared Euclidean distance)."""
    d = (x**2).sum(axis=1)[:, None] - 2.0 * x @ centres.T + (centres**2).sum(axis=1)[None, :]
    return np.argmin(d, axis=1)


def opening_series(load: np.ndarray | None, n_series: int) -> np.ndarray:
    """The series whose shift opens the gate: the load family's where it is known (a
    calendar day moves the load, and quality with it; a neighbourhood's backhaul fault moves
    quality alone, and the cells of two such clusters, half of a small fleet's group, moved
    its throughput, latency and drop medians past :data:`SHIFT` while its load stayed: the
    gate took their own evidence off, 33 cells at 2.1-2.2 for three hours on tuning world
    t2871), else every series."""
    family = np.zeros(n_series, dtype=bool)
    if load is not None:
        family[: min(len(load), n_series)] = load[:n_series]
    return family if family.any() else np.ones(n_series, dtype=bool)


class CommonMode:
    """Sectors grouped by their normal day; per tick each group's median seasonal z,
    taken off when the fleet as a whole is shifted."""

    #: state newer than some checkpoints (a regrouping under way): they start with none
    _state_added: tuple[str, ...] = ("centres_", "pending_", "next_group_")

    def __init__(self) -> None:
        #: per registry row its group (-1: none yet)
        self.group_ = np.zeros(0, dtype=np.int64)
        self.n_groups_ = 0
        self.first_ns_ = -1
        self.fitted_ns_ = -1
        #: a regrouping under way: its centres, the sectors still to assign, and the
        #: groups assigned so far (installed as ``group_`` once none is pending)
        self.centres_ = np.zeros((0, 0))
        self.pending_ = np.zeros(0, dtype=np.int64)
        self.next_group_ = np.zeros(0, dtype=np.int64)

    def derive_added_state(self, names: Sequence[str]) -> None:
        """A checkpoint older than the spread regrouping: none under way (as built)."""

    def due(self, times: np.ndarray) -> bool:
        """Whether the data clock (``times`` of a learned batch) calls for a regrouping."""
        if len(times) == 0:
            return False
        lo, hi = int(times.min()), int(times.max())
        if self.first_ns_ < 0 or lo < self.first_ns_:
            self.first_ns_ = lo
        if hi - self.first_ns_ < FIT_AFTER_NS:
            return False
        return self.fitted_ns_ < 0 or hi - self.fitted_ns_ >= REFIT_NS

    def fit(self, level: np.ndarray, count: np.ndarray, known: np.ndarray, now_ns: int) -> None:
        """Group the ``known`` sectors (rows of the seasonal slot table ``level``,
        ``count``) by their daily shape; ``now_ns``: the data time of the fit. The
        centres are fitted now and the first :data:`CHUNK` sectors assigned; the others
        by :meth:`advance` on the next ticks (a fleet of up to ``CHUNK`` sectors is
        regrouped in this call).

        BLAS on one thread: the fit runs in the tick's learn step, and OpenBLAS's threads
        spinning for a core on a loaded machine made the sample's SVD (4,000 x 480 at 40
        KPIs) 3.6-9.5 s of CPU where one thread takes 0.27 s (a live tick stalled for
        seconds once a day of data)."""
        with threadpool_limits(1, user_api="blas"):
            self._start(level, count, known, now_ns)
            self._assign(level, count)

    def advance(self, level: np.ndarray, count: np.ndarray) -> None:
        """Assign the next :data:`CHUNK` sectors of a regrouping under way (the slot table
        as it is now); none under way: nothing."""
        if len(self.pending_):
            with threadpool_limits(1, user_api="blas"):
                self._assign(level, count)

    def _start(self, level: np.ndarray, count: np.ndarray, known: np.ndarray, now_ns: int) -> None:
        self.fitted_ns_ = now_ns
        rows = np.flatnonzero(known)
        k = min(MAX_GROUPS, len(rows) // GROUP_SIZE)
        self.pending_ = np.zeros(0, dtype=np.int64)
        if k < 1:  # too few sectors: no groups at once
            self.group_ = np.full(len(known), -1, dtype=np.int64)
            self.n_groups_ = 0
            self.centres_, self.next_group_ = np.zeros((0, 0)), self.pending_
            return
        sample = rows[:: max(1, len(rows) // SAMPLE)]
        self.centres_ = kmeans(profiles(level, count, sample), k)
        self.next_group_ = np.full(len(known), -1, dtype=np.int64)
        self.pending_ = rows

    def _assign(self, level: np.ndarray, count: np.ndarray) -> None:
        part, self.pending_ = self.pending_[:CHUNK], self.pending_[CHUNK:].copy()
        if len(part):
            self.next_group_[part] = nearest_centre(profiles(level, count, part), self.centres_)
        if not len(self.pending_) and len(self.centres_):  # complete: the new groups stand
            self.group_, self.n_groups_ = self.next_group_, len(self.centres_)
            self.centres_, self.next_group_ = np.zeros((0, 0)), np.zeros(0, dtype=np.int64)

    def groups(self, rows: np.ndarray) -> np.ndarray:
        """Each registry row's group (-1: none, or not grouped yet)."""
        group = np.full(len(rows), -1, dtype=np.int64)
        ok = known_rows(rows, len(self.group_))
        group[ok] = self.group_[rows[ok]]
        return group

    def adjust(
        self,
        rows: np.ndarray,
        times: np.ndarray,
        z: np.ndarray,
        valid: np.ndarray | None = None,
        shift: float = SHIFT,
        load: np.ndarray | None = None,
    ) -> np.ndarray:
        """``z`` (rows x seasonal series) with each row's group median taken off at the
        ticks (``times``) where the fleet is shifted; else ``z`` itself. ``valid``: where
        the series has a value (default: ``z`` not 0); a KPI pinned at its usual value
        (availability at 100 %) reads z = 0 and counts. ``shift``: a group's median that
        counts as shifted (lower on a day the fleet was read as another weekday's).
        ``load``: the load family's series (a split off them needs a load split too)."""
        g = self.n_groups_
        if g == 0 or len(rows) == 0:
            return z
        group = self.groups(rows)
        has = np.flatnonzero(group >= 0)
        if len(has) < MIN_REPORTING:
            return z
        stamps = times[has]
        if (stamps == stamps[0]).all():  # one tick (live, replay): no sort
            n_ticks, tick = 1, np.zeros(len(has), dtype=np.int64)
        else:
            ticks, tick = np.unique(stamps, return_inverse=True)
            n_ticks = len(ticks)
        codes = tick * g + group[has]
        # the medians from a strided sample: a large fleet's tick stays cheap
        pick = slice(None, None, max(1, len(has) // (FLEET_SAMPLE * n_ticks)))
        valid = z != 0.0 if valid is None else valid
        values = np.where(valid[has[pick]], z[has[pick]], np.nan)
        n_codes = n_ticks * g
        med = group_medians(codes[pick], values, n_codes, MIN_REPORTING)
        reporting = np.stack(
            [
                np.bincount(codes[pick], weights=np.isfinite(values[:, j]), minlength=n_codes)
                for j in range(values.shape[1])
            ],
            axis=1,
        )
        # per tick and series: the share of the fleet's sectors in shifted groups
        med = np.nan_to_num(med)
        shifted = np.where(np.abs(med) >= shift, reporting, 0.0)
        per_tick = (n_ticks, g, values.shape[1])
        share = shifted.reshape(per_tick).sum(axis=1) / np.maximum(
            reporting.reshape(per_tick).sum(axis=1), 1.0
        )
        gate = (share >= FLEET_SHARE)[:, opening_series(load, share.shape[1])].any(axis=1)
        if not gate.any():
            return z
        gated = np.repeat(gate, g)[:, None]  # per tick x group code
        out = z.copy()
        whole = len(has) == len(rows)  # every row grouped: in place, no gathered copy
        block = out if whole else out[has]
        mask = valid if whole else valid[has]
        off = side_offsets(codes, block, np.where(gated, med, 0.0), gate, g, values, pick, load)
        np.subtract(block, off, out=block, where=mask)
        # ... and on the group's spread at that tick, where wider than a normal z's: the
        # day its kind of sector has never seen moves each sector by its own amount too
        dev = np.abs(values - off[pick])
        spread = group_medians(codes[pick], dev, n_codes, MIN_REPORTING) / NORMAL_MAD
        scale = np.where(gated & np.isfinite(spread), np.maximum(spread, 1.0), 1.0)
        np.divide(block, scale[codes], out=block, where=mask)
        if not whole:
            out[has] = block
        return out
