"""A whole time-sorted table through :meth:`EpisodeTracker.advance`, as one compiled pass.

A replay alarms every row at once. Advancing the tracker once per timestamp costs ~0.1 ms
of numpy calls whatever the rows, which is most of the alarm stage for one series (NAB:
150k timestamps, ~25 s). Here one loop walks the rows in (timestamp, sector) order and
applies ``advance``'s rule to each sector's scalars: the same comparisons on the same
float64 and int64 values in the same order, so states, alert scores, episode ids and the
closed list are identical (``tests/test_episode_table.py`` compares both ways on random
tables). Without numba the per-timestamp loop runs.
"""

from __future__ import annotations

import itertools
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from telecom_nb.alarms.episode_params import escalation_bar
from telecom_nb.alarms.episodes import ANOMALOUS, NORMAL, RECOVERING
from telecom_nb.features.robust_kernel import numba

if TYPE_CHECKING:
    from telecom_nb.alarms.episodes import EpisodeTracker

_STATES = np.array([NORMAL, ANOMALOUS, RECOVERING], dtype=object)


def _rows(pos, tick, now, flag, routine, score, run_anom, run_norm, is_open, episode_id, start_time,
          start_tick, last_anom_time, last_anom_tick, n_anom, peak_score, alerted, alerted_n,
          peak_time, peak_row, n_opened, open_after, close_ns, close_ticks,
          escalate_by):  # pragma: no cover - compiled
    """``advance`` row by row (rows sorted by tick, then sector; one row per pair).

    A ``routine`` row counts as normal unless its sector's episode is open (``advance``).
    Returns per row the state code (0 normal, 1 anomalous, 2 recovering) and the alert
    score; the closings in order (row and a snapshot of what the closed record reads);
    the episodes opened so far and the ticks on which something a list shows changed.
    """
    n = len(pos)
    state = np.zeros(n, dtype=np.int8)
    alert = np.zeros(n)
    closed_row = np.empty(n, dtype=np.int64)
    closed_int = np.empty((n, 6), dtype=np.int64)  # id, start, end, peak time, ticks, count
    closed_peak = np.empty(n)
    closed_peak_row = np.empty(n, dtype=np.int64)
    n_closed = 0
    changes = 0
    changed = False
    for i in range(n):
        p = pos[i]
        f = flag[i] and not (routine[i] and not is_open[p])  # a routine row opens nothing
        s = score[i]
        t_now = now[i]
        if i > 0 and tick[i] != tick[i - 1]:
            if changed:
                changes += 1
            changed = False
        was_open = is_open[p]
        old_anom = run_anom[p]
        new_anom = old_anom + 1 if f else 0
        new_norm = 0 if f else run_norm[p] + 1
        if f and old_anom == 0 and not was_open:  # a run starts: its peak restarts
            start_time[p] = t_now
            start_tick[p] = tick[i]
            peak_score[p] = -np.inf
            n_anom[p] = 0
        better = f and s > peak_score[p]
        if better:
            peak_score[p] = s
            peak_time[p] = t_now
            peak_row[p] = i
        if f:
            n_anom[p] += 1
            last_anom_time[p] = t_now
            last_anom_tick[p] = tick[i]
        opening = (not was_open) and f and new_anom >= open_after
        if opening:
            n_opened += 1
            episode_id[p] = n_opened
            is_open[p] = True
        escalating = was_open and better and peak_score[p] >= _bar(
            alerted[p], alerted_n[p], n_anom[p], escalate_by)
        if opening or escalating:
            alert[i] = peak_score[p]
            alerted[p] = peak_score[p]
            alerted_n[p] = n_anom[p]
        by_ticks = close_ticks > 0
        due = new_norm >= close_ticks if by_ticks else t_now - last_anom_time[p] >= close_ns
        if was_open and (not f) and due:
            closed_row[n_closed] = i
            closed_int[n_closed, 0] = episode_id[p]
            closed_int[n_closed, 1] = start_time[p]
            closed_int[n_closed, 2] = last_anom_time[p]
            closed_int[n_closed, 3] = peak_time[p]
            closed_int[n_closed, 4] = last_anom_tick[p] - start_tick[p] + 1
            closed_int[n_closed, 5] = n_anom[p]
            closed_peak[n_closed] = peak_score[p]
            closed_peak_row[n_closed] = peak_row[p]
            n_closed += 1
            is_open[p] = False
            changed = True
        run_anom[p] = new_anom
        run_norm[p] = new_norm
        if f and is_open[p]:
            changed = True
        state[i] = 1 if f else (2 if is_open[p] else 0)
    if changed:
        changes += 1
    return (state, alert, closed_row[:n_closed], closed_int[:n_closed],
            closed_peak[:n_closed], closed_peak_row[:n_closed], n_opened, changes)


_bar = escalation_bar
if numba is not None:
    _bar = numba.njit(cache=True)(escalation_bar)
    _rows = numba.njit(cache=True, nogil=True)(_rows)


def advance_table(tracker: EpisodeTracker, pos: np.ndarray, ns: np.ndarray, flag: np.ndarray,
                  score: np.ndarray, top: np.ndarray, values: np.ndarray,
                  routine: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Each row's state and alert score, the tracker advanced once per distinct ``ns``.

    Rows are sorted by ``ns``; a sector with several rows at one timestamp counts once (its
    first row) and every row gets its sector's state, as :meth:`EpisodeTracker.update`.
    """
    if numba is None:
        return _per_timestamp(tracker, pos, ns, flag, score, top, values, routine)
    codes, alert = advance_table_codes(tracker, pos, ns, flag, score, top, values, routine)
    return _STATES[codes], alert


def advance_table_codes(tracker: EpisodeTracker, pos: np.ndarray, ns: np.ndarray,
                        flag: np.ndarray, score: np.ndarray, top: np.ndarray,
                        values: np.ndarray,
                        routine: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """:func:`advance_table` with each row's state as its code in ``STATES`` (int8; numba
    only): a replay's state column is then taken in Arrow from three strings, not
    inferred from a million Python ones (~0.08 s CPU per million rows)."""
    n = len(pos)
    tick = np.zeros(n, dtype=np.int64)
    if n:
        tick[1:] = np.cumsum(ns[1:] != ns[:-1])
    tick += tracker._tick + 1
    order = np.lexsort((np.arange(n), pos, tick))
    key_tick, key_pos = tick[order], pos[order]
    first = np.ones(n, dtype=bool)
    first[1:] = (key_tick[1:] != key_tick[:-1]) | (key_pos[1:] != key_pos[:-1])
    rows = order[first]  # one row per (tick, sector), in the order advance takes them
    rep = np.empty(n, dtype=np.int64)
    rep[order] = np.cumsum(first) - 1
    tracker._grow(int(pos.max()) + 1 if n else 0)
    state, alert_u = _advance_rows(
        tracker, pos[rows].astype(np.int64), tick[rows], ns[rows].astype(np.int64),
        flag[rows].astype(np.bool_),
        np.zeros(len(rows), dtype=np.bool_) if routine is None else routine[rows].astype(np.bool_),
        score[rows].astype(np.float64), top[rows], values[rows])
    tracker._tick = int(tick[-1]) if n else tracker._tick
    alert = np.zeros(n)
    alert[rows] = alert_u
    return state[rep], alert


def advance_tick_codes(tracker: EpisodeTracker, pos: np.ndarray, flag: np.ndarray,
                       score: np.ndarray, now: int, top: np.ndarray, values: np.ndarray,
                       routine: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """:meth:`EpisodeTracker.advance_codes` of one tick (distinct sector positions ``pos``,
    at least one) as the table's compiled pass over its rows: a live 100k-sector tick's
    ~40 numpy passes over gathered state (~6-11 ms on one thread) become one loop. Same
    states, alert scores and tracker state (``tests/test_episode_table.py``)."""
    n = len(pos)
    tracker._grow(int(pos.max()) + 1)
    tick = tracker._tick + 1
    state, alert = _advance_rows(
        tracker, np.ascontiguousarray(pos, dtype=np.int64), np.full(n, tick, dtype=np.int64),
        np.full(n, now, dtype=np.int64), np.ascontiguousarray(flag, dtype=np.bool_),
        np.zeros(n, dtype=np.bool_) if routine is None
        else np.ascontiguousarray(routine, dtype=np.bool_),
        np.ascontiguousarray(score, dtype=np.float64), top, values)
    tracker._tick = tick
    return state, alert


def _advance_rows(tracker: EpisodeTracker, at: np.ndarray, tick: np.ndarray, ns: np.ndarray,
                  flag: np.ndarray, routine: np.ndarray, score: np.ndarray, top: np.ndarray,
                  values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The compiled pass over rows in ``advance``'s order (one per tick and sector) and the
    tracker's bookkeeping after it: closed records, peak KPIs and values, counters (all but
    the tick counter). Returns each row's state code and alert score."""
    peak_row = np.full(len(tracker._open), -1, dtype=np.int64)
    close = tracker.close_after
    by_time = isinstance(close, pd.Timedelta)
    state, alert, c_row, c_int, c_peak, c_peak_row, n_opened, changes = _rows(
        at, tick, ns, flag, routine, score,
        tracker._run_anom, tracker._run_norm, tracker._open, tracker._episode_id,
        tracker._start_time, tracker._start_tick, tracker._last_anom_time,
        tracker._last_anom_tick, tracker._n_anom, tracker._peak_score, tracker._alerted,
        tracker._alerted_n, tracker._peak_time, peak_row, tracker.n_opened_, tracker.open_after,
        close.value if by_time else 0, 0 if by_time else int(close),
        float(tracker.escalate_by))
    _closed(tracker, at, c_row, c_int, c_peak, c_peak_row, top, values)
    moved = np.flatnonzero(peak_row >= 0)
    tracker._peak_kpi[moved] = top[peak_row[moved]]
    tracker._peak_values[moved] = values[peak_row[moved]]
    tracker.n_opened_ = int(n_opened)
    tracker.n_closed_ += len(c_row)
    tracker.changes_ += int(changes)
    return state, alert


def _closed(tracker: EpisodeTracker, pos: np.ndarray, c_row: np.ndarray, c_int: np.ndarray,
            c_peak: np.ndarray, c_peak_row: np.ndarray, top: np.ndarray,
            values: np.ndarray) -> None:
    """Append the closings to the tracker's closed list (only the ones it keeps)."""
    keep = slice(max(0, len(c_row) - tracker.closed_.maxlen), None)
    c_row, c_int, c_peak, c_peak_row = c_row[keep], c_int[keep], c_peak[keep], c_peak_row[keep]
    if not len(c_row):
        return
    p = pos[c_row]
    # a peak set before this table is still the tracker's own record of it
    fresh = c_peak_row >= 0
    kpi = tracker._peak_kpi[p].copy()
    kpi[fresh] = top[c_peak_row[fresh]]
    peak_values = tracker._peak_values[p].copy()
    peak_values[fresh] = values[c_peak_row[fresh]]
    tracker.closed_.extend(tracker.closed_records(
        episode_id=c_int[:, 0], sectors=tracker.index.ids[p].to_numpy(dtype=object),
        start=c_int[:, 1], end=c_int[:, 2], peak_time=c_int[:, 3], duration_ticks=c_int[:, 4],
        anomalous_ticks=c_int[:, 5], peak_score=c_peak, top_kpi=kpi, peak_values=peak_values))


def _per_timestamp(tracker: EpisodeTracker, pos: np.ndarray, ns: np.ndarray, flag: np.ndarray,
                   score: np.ndarray, top: np.ndarray, values: np.ndarray,
                   routine: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """The same, one :meth:`EpisodeTracker.advance` per timestamp (the numpy path)."""
    n = len(pos)
    state = np.full(n, "", dtype=object)
    alert = np.zeros(n)
    bounds = np.flatnonzero(np.diff(ns)) + 1
    for a, b in itertools.pairwise([0, *bounds.tolist(), n]):
        # one row per sector per tick: a duplicated sector keeps its first row
        p, first, inverse = np.unique(pos[a:b], return_index=True, return_inverse=True)
        rows = a + first
        st, al = tracker.advance(p, flag[rows], score[rows], int(ns[a]), top=top[rows],
                                 values=values[rows],
                                 routine=None if routine is None else routine[rows])
        state[a:b] = st[inverse.ravel()]
        alert[rows] = al
    return state, alert
