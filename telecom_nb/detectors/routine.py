"""Routine excursions: a row whose every excursion the series reached in the week before.

A few series' false alerts are mostly excursions the series makes every few days (a
server's batch spikes, a service's evening peak that runs high): each is rare per row, so
the calibrated score flags it, but the series reached that size, with that sign and for
that long, at least :data:`K` times in the last :data:`WEEK` (issue 13; nab16's probe: 73
of NAB's 159 false alerts). Such a row is *routine*; the alarm stage lets it open no
episode (it never hides a row inside an episode already open: an incident is not cut).

Per KPI, its seasonal z (the value against the same time of day, in that slot's spread)
says *when* it is off: an *excursion* is a run of rows at or beyond :data:`GATE` of one
sign (gaps of up to :data:`GAP` rows bridged). Its *size* is in the KPI's own units: how
far the value jumped from its last value under the gate (z is not comparable across the
day: a slot with a tight spread makes a modest spike look huge; a first build sizing runs
in z read NAB's labelled spikes as routine, 56.8 standard). The ring keeps each finished
run's end time, signed peak size and length. A row's excursion on a KPI is the largest
size of its last :data:`LAST` rows at the gate; it is *reached* by a past run of the
same sign that ended in ``[now - WEEK, now - RECENT)`` with a peak at least as large
**and a length at least as long as the current run so far** (nab16's loss on LTE seed
3: a level shift whose size per row was seen often, what is new is that it lasts).
Joint evidence is a channel of its own: the number of KPIs at the gate together (at
least :data:`JOINT_MIN`), with its own runs (nab16's loss on cdn24 seed 3: 24 KPIs at
2-4 MAD each, every one seen before alone). A joint run keeps which KPIs were at the gate
in it, by sign, and reaches a row only if they include every KPI the row is judged on; a
row judged on at least :data:`JOINT_MIN` KPIs off within its last rows but not at once
is a joint excursion too, reached by any past joint run holding them all
(cdn61: on 24 KPIs the shared factors' drifts put 4-7 KPIs off together in ~40 runs a
week, so the count alone reached incidents that moved 6-12 KPIs at once, each KPI's size
seen alone at other times; KPI c is bit ``c % 64``: past 64 KPIs some share a bit, which
can only reach more). A row is routine when at least one channel
is at its gate and every such channel is reached by :data:`K` past runs; a row with no
excursion at all is not judged (its score comes from a part this rule cannot read), nor
one the level-shift part leads or a record (:func:`never_routine`, applied in
``WindowedDetector._score_features``: a level that lasts is news however often its size was
seen; it keeps a cell's outage from reading as its usual night zeros).

Only for a few series (the fleet path has peers and is untouched): the ring is
``sectors x (KPIs + 1) x RING`` runs. One compiled pass walks the rows in time order;
``update=False`` gives the same flags without writing (a tick scored, not yet learned).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from telecom_nb.detectors.calibration import SEEN_FLOOR
from telecom_nb.features.robust_kernel import numba
from telecom_nb.sector_index import grow_rows

#: ``-log10 p`` of a range or level record that no routine mutes: the default alarm gate
#: (contamination 0.001)
NEW_RECORD = 3.0


def never_routine(score: np.ndarray, records: np.ndarray | None,
                  shift: np.ndarray | None) -> np.ndarray:
    """Rows no routine mutes: those the level-shift part leads (a level that lasts is news
    however often its size was seen) and those that are themselves a record
    (:data:`NEW_RECORD`): a value or a level beyond everything the series showed in weeks
    was not reached before, however often a jump of its size was (nab24: NAB's 5f5533
    window, a range record of ``-log10 p`` 5.0 led by the z part at 7.55, was muted as
    routine)."""
    new = np.zeros(len(score), dtype=bool)
    if shift is not None:
        new |= shift >= score
    if records is not None:
        new |= records >= NEW_RECORD
    return new


#: past runs that must reach a row's excursion (``calibration.SEEN_FLOOR``: a size two
#: excursions reached is no news)
K = SEEN_FLOOR
#: |seasonal z| at which a KPI is off its usual (twice its spread)
GATE = 2.0
#: KPIs off together that make a joint excursion
JOINT_MIN = 2
#: rows below the gate bridged inside one run
GAP = 3
#: rows whose largest |z| is the current excursion
LAST = 4
#: how far back past runs count, and the recent stretch left out (the same incident)
WEEK = pd.Timedelta("7D")
RECENT = pd.Timedelta("1h")
#: runs kept per sector and channel (the oldest overwritten: fewer matches, never more)
RING = 512
_NONE = np.iinfo(np.int64).min // 2
#: a joint run's KPI set when unknown (every bit: a run stored before the sets were kept)
ALL_KPIS = -1


def _pass(
    pos,
    ns,
    z,
    raw,
    update,
    week,
    recent,
    gate,
    joint_min,
    gap,
    k,
    row_n,
    base_v,
    recent_v,
    cur_sign,
    cur_first,
    cur_last,
    cur_last_ns,
    cur_peak,
    ring_end,
    ring_peak,
    ring_len,
    ring_head,
    cur_jpos,
    cur_jneg,
    ring_jpos,
    ring_jneg,
):  # pragma: no cover - compiled
    """Rows in time order: each row's routine flag; the state advanced when ``update``."""
    n, n_kpi = z.shape
    n_ch = n_kpi + 1
    n_ring = ring_end.shape[2]
    last_n = recent_v.shape[2]
    out = np.zeros(n, dtype=np.bool_)
    sg = np.zeros(n_ch, dtype=np.int64)  # the row's sign per channel (0: under the gate)
    size = np.zeros(n_ch)  # its size (raw units; the joint channel: KPIs off)
    for i in range(n):
        p = pos[i]
        if p < 0:
            continue
        t = ns[i]
        r = row_n[p]
        m = 0
        gpos, gneg = 0, 0  # the KPIs at the gate now, by sign (bit c % 64)
        rpos, rneg = 0, 0  # the KPIs whose excursion the row is judged on, by sign
        n_off = 0  # how many
        for c in range(n_kpi):
            x = z[i, c]
            sg[c] = 0
            size[c] = 0.0
            if not np.isnan(x) and abs(x) >= gate:
                m += 1
                sg[c] = 1 if x > 0 else -1
                if x > 0:
                    gpos |= 1 << (c % 64)
                else:
                    gneg |= 1 << (c % 64)
                # how far the value jumped from where it last was usual
                jump = sg[c] * (raw[i, c] - base_v[p, c])
                size[c] = np.inf if np.isnan(jump) else max(jump, 0.0)
        sg[n_kpi] = 1 if m >= joint_min else 0
        size[n_kpi] = m
        judged = False
        routine = True
        for c in range(n_ch):
            s = sg[c]
            sign, first, last = cur_sign[p, c], cur_first[p, c], cur_last[p, c]
            last_ns, peak = cur_last_ns[p, c], cur_peak[p, c]
            joint = c == n_kpi
            jpos, jneg = (cur_jpos[p], cur_jneg[p]) if joint else (0, 0)
            pushed = False
            push_end, push_peak, push_len = 0, 0.0, 0
            push_jpos, push_jneg = jpos, jneg
            below = r - last - (1 if s != 0 else 0)  # rows under the gate since the run
            if sign != 0 and ((s != 0 and s != sign) or below > gap):
                pushed = True  # the run ends: into the ring
                push_end, push_peak, push_len = last_ns, sign * peak, last - first + 1
                sign = 0
            if s != 0:
                if sign == s:
                    last, last_ns, peak = r, t, max(peak, size[c])
                    jpos, jneg = jpos | gpos, jneg | gneg
                else:
                    sign, first, last, last_ns, peak = s, r, r, t, size[c]
                    jpos, jneg = gpos, gneg
            # the row's excursion: the largest of its last rows' at the gate (NaN: under)
            best = s * size[c] if s != 0 else np.nan
            for j in range(1, min(last_n, r + 1)):
                y = recent_v[p, c, (r - j) % last_n]
                if not np.isnan(y) and (np.isnan(best) or abs(y) > abs(best)):
                    best = y
            if joint and np.isnan(best) and n_off >= joint_min:
                # KPIs off within the last rows, not at once: a joint excursion all the
                # same, reached by any past joint run that held them all
                best = float(joint_min)
            if not joint and not np.isnan(best):
                n_off += 1
                if best >= 0:
                    rpos |= 1 << (c % 64)
                else:
                    rneg |= 1 << (c % 64)
            if routine and not np.isnan(best):
                judged = True
                want = 1 if best >= 0 else -1
                length = last - first + 1 if sign == want else 1
                count = 0
                if (
                    pushed
                    and push_end >= t - week
                    and push_end < t - recent
                    and push_peak * want >= abs(best)
                    and push_len >= length
                    and (not joint or ((rpos & ~push_jpos) == 0 and (rneg & ~push_jneg) == 0))
                ):
                    count += 1
                for e in range(n_ring):
                    if count >= k:
                        break
                    end = ring_end[p, c, e]
                    if (
                        end >= t - week
                        and end < t - recent
                        and ring_peak[p, c, e] * want >= abs(best)
                        and ring_len[p, c, e] >= length
                        and (
                            not joint
                            or ((rpos & ~ring_jpos[p, e]) == 0 and (rneg & ~ring_jneg[p, e]) == 0)
                        )
                    ):
                        count += 1
                if count < k:
                    routine = False
            if update:
                if pushed:
                    h = ring_head[p, c] % n_ring
                    ring_end[p, c, h] = push_end
                    ring_peak[p, c, h] = push_peak
                    ring_len[p, c, h] = push_len
                    ring_head[p, c] += 1
                    if joint:
                        ring_jpos[p, h], ring_jneg[p, h] = push_jpos, push_jneg
                if joint:
                    cur_jpos[p], cur_jneg[p] = jpos, jneg
                cur_sign[p, c], cur_first[p, c], cur_last[p, c] = sign, first, last
                cur_last_ns[p, c], cur_peak[p, c] = last_ns, peak
                recent_v[p, c, r % last_n] = s * size[c] if s != 0 else np.nan
                if c < n_kpi and s == 0 and not np.isnan(raw[i, c]):
                    base_v[p, c] = raw[i, c]
        out[i] = judged and routine
        if update:
            row_n[p] = r + 1
    return out


if numba is not None:
    _pass = numba.njit(cache=True, nogil=True)(_pass)


class RoutineMemory:
    """Per sector and channel (each KPI, then the joint count): the current run, the last
    rows' values and a ring of finished runs (see the module docstring)."""

    #: state newer than some checkpoints: derived by :meth:`derive_added_state`
    _state_added: tuple[str, ...] = ("cur_jpos", "cur_jneg", "ring_jpos", "ring_jneg")

    def __init__(self) -> None:
        self.n_kpi = 0
        self.row_n = np.zeros(0, dtype=np.int64)  # rows seen per sector
        self.base_v = np.zeros((0, 1))  # each KPI's last value under the gate
        self.recent_v = np.zeros((0, 1, LAST))
        self.cur_sign = np.zeros((0, 1), dtype=np.int64)
        self.cur_first = np.zeros((0, 1), dtype=np.int64)
        self.cur_last = np.zeros((0, 1), dtype=np.int64)
        self.cur_last_ns = np.zeros((0, 1), dtype=np.int64)
        self.cur_peak = np.zeros((0, 1))
        self.ring_end = np.full((0, 1, RING), _NONE, dtype=np.int64)
        self.ring_peak = np.zeros((0, 1, RING))
        self.ring_len = np.zeros((0, 1, RING), dtype=np.int64)
        self.ring_head = np.zeros((0, 1), dtype=np.int64)
        # the joint channel's KPIs by sign (bit c % 64): the current run's, each past run's
        self.cur_jpos = np.zeros(0, dtype=np.int64)
        self.cur_jneg = np.zeros(0, dtype=np.int64)
        self.ring_jpos = np.full((0, RING), ALL_KPIS, dtype=np.int64)
        self.ring_jneg = np.full((0, RING), ALL_KPIS, dtype=np.int64)

    def derive_added_state(self, names: Sequence[str]) -> None:
        """A checkpoint older than the joint runs' KPI sets: every stored run holds every
        KPI (it reaches a joint excursion as it did before; runs from now on are exact)."""
        n = len(self.row_n)
        self.cur_jpos = np.full(n, ALL_KPIS, dtype=np.int64)
        self.cur_jneg = np.full(n, ALL_KPIS, dtype=np.int64)
        self.ring_jpos = np.full((n, self.ring_end.shape[2]), ALL_KPIS, dtype=np.int64)
        self.ring_jneg = np.full((n, self.ring_end.shape[2]), ALL_KPIS, dtype=np.int64)

    def _state(self) -> tuple[np.ndarray, ...]:
        return (
            self.row_n,
            self.base_v,
            self.recent_v,
            self.cur_sign,
            self.cur_first,
            self.cur_last,
            self.cur_last_ns,
            self.cur_peak,
            self.ring_end,
            self.ring_peak,
            self.ring_len,
            self.ring_head,
            self.cur_jpos,
            self.cur_jneg,
            self.ring_jpos,
            self.ring_jneg,
        )

    def _fit(self, n_sectors: int, n_kpi: int) -> None:
        """Room for ``n_sectors``; a new KPI count starts the memory afresh."""
        if n_kpi != self.n_kpi:
            ch = n_kpi + 1
            self.__init__()
            self.n_kpi = n_kpi
            self.base_v = np.zeros((0, ch))
            self.recent_v = np.zeros((0, ch, LAST))
            for name in ("cur_sign", "cur_first", "cur_last", "cur_last_ns", "ring_head"):
                setattr(self, name, np.zeros((0, ch), dtype=np.int64))
            self.cur_peak = np.zeros((0, ch))
            self.ring_end = np.full((0, ch, RING), _NONE, dtype=np.int64)
            self.ring_peak = np.zeros((0, ch, RING))
            self.ring_len = np.zeros((0, ch, RING), dtype=np.int64)
        if len(self.row_n) >= n_sectors:
            return
        self.row_n = grow_rows(self.row_n, n_sectors, 0)
        self.base_v = grow_rows(self.base_v, n_sectors, np.nan)
        self.recent_v = grow_rows(self.recent_v, n_sectors, np.nan)
        for name in ("cur_sign", "cur_first", "cur_last", "cur_last_ns", "ring_head"):
            setattr(self, name, grow_rows(getattr(self, name), n_sectors, 0))
        self.cur_peak = grow_rows(self.cur_peak, n_sectors, 0.0)
        self.ring_end = grow_rows(self.ring_end, n_sectors, _NONE)
        self.ring_peak = grow_rows(self.ring_peak, n_sectors, 0.0)
        self.ring_len = grow_rows(self.ring_len, n_sectors, 0)
        self.cur_jpos = grow_rows(self.cur_jpos, n_sectors, 0)
        self.cur_jneg = grow_rows(self.cur_jneg, n_sectors, 0)
        self.ring_jpos = grow_rows(self.ring_jpos, n_sectors, ALL_KPIS)
        self.ring_jneg = grow_rows(self.ring_jneg, n_sectors, ALL_KPIS)

    def rows(
        self, pos: np.ndarray, ns: np.ndarray, z: np.ndarray, raw: np.ndarray, update: bool
    ) -> np.ndarray:
        """Each row's routine flag (rows in time order; ``pos`` the sector's position, -1
        for one never learned; ``z`` the KPIs' seasonal z, ``raw`` their values); the
        memory advanced when ``update``."""
        pos = np.asarray(pos, dtype=np.int64)
        self._fit(int(pos.max()) + 1 if len(pos) else 0, z.shape[1])
        # row-major both: a series' ``x[:, cols]`` is column-major, a tick's one row both,
        # and each layout was a signature of its own (a second cold compile, ~1-2 s CPU)
        return _pass(
            pos,
            np.asarray(ns, dtype=np.int64),
            np.ascontiguousarray(z, dtype=np.float64),
            np.ascontiguousarray(raw, dtype=np.float64),
            bool(update),
            WEEK.value,
            RECENT.value,
            GATE,
            JOINT_MIN,
            GAP,
            K,
            *self._state(),
        )


def season_columns(names: Sequence[str], kpis: Sequence[str]) -> np.ndarray:
    """The feature columns holding each KPI's seasonal z, in KPI order (empty when one
    is missing: the rule then stays off)."""
    where = {name: j for j, name in enumerate(names)}
    cols = [where.get(f"{k}:season_z", -1) for k in kpis]
    return np.asarray([] if -1 in cols else cols, dtype=np.intp)


class RoutineRows:
    """Mixin of :class:`~telecom_nb.detectors.windowed.WindowedDetector`: each row's
    routine flag from its KPIs' seasonal z (a few series only; None for a fleet)."""

    #: state newer than some checkpoints: derived by :meth:`derive_added_state`
    _state_added: tuple[str, ...] = ("_routine",)

    def derive_added_state(self, names: Sequence[str]) -> None:
        """A checkpoint older than the rule: the memory starts empty (nothing routine
        for a week at most: the alarm stage as before)."""
        if "_routine" in names:
            self._routine = RoutineMemory()

    def _routine_flags(
        self, pos: np.ndarray, ns: np.ndarray, x: np.ndarray, raw: np.ndarray, update: bool
    ) -> np.ndarray | None:
        """Rows ``x`` (features, time order; ``raw`` their KPI values) of sectors ``pos``
        at ``ns``: their flags."""
        if not self._few_series():
            return None
        cols = season_columns(self.features_.feature_names, self.kpis_)
        if not len(cols) or not len(x):
            return None
        return self._routine.rows(pos, ns, x[:, cols], raw, update)

    def _routine_view(self, view, x: np.ndarray, update: bool) -> np.ndarray | None:
        """:meth:`_routine_flags` of a batch view (one tick)."""
        if not self._few_series():
            return None
        return self._routine_flags(self.features_.rows(view), view.ns(), x, view.raw, update)
