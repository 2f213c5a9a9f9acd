"""The step-size record: a series starts moving in steps larger than any stretch of it ever
has, its values inside their usual range (issue 13).

A series that settles into a new rhythm (a flat CPU that starts oscillating between two
levels, a travel time that turns jumpy) stays inside the range its spikes already showed,
so no z, range or level record reads it; what a person sees is the *texture*: row after row
moving by more than it ever moved for that long. Per sector and KPI, causal, in rows: the
median absolute step ``|x_t - x_{t-1}|`` of the last :data:`WINDOW` rows (a median: a lone
spike moves two steps, not the median), against the largest such median of every earlier
window that ends at least :data:`WINDOW` rows back (a record over non-overlapping windows,
so a slow rise is compared with what it was, not with its own last row). Once
:data:`WARM` windows are seen and the earlier largest is above zero, a median at least
:data:`MARGIN` x it reads :data:`READING` (an alarm, as the zero-run record's onset), once:
a next reading needs :data:`WINDOW` rows without a record first. Like the records it is
never routine. Only for a few series (a fleet's ticks are untouched). ``WINDOW`` and
``MARGIN`` are the defaults of the detector's ``step_window`` and ``step_margin`` (0: off;
silence_part.py declares them). The constants were chosen on generated series (a variance
or an oscillation injected inside the range, plain and bursty series beside them: ``WINDOW``
24 and ``MARGIN`` 2 found +2 of 24 changes for +1 false onset over 48 series), not NAB's
best; but six settings had been scored on NAB before that choice, every one above the
detector without it, so NAB is not a clean judge of the record's form (nab50's paragraph in
benchmarks/MEASURED.md).
"""

from __future__ import annotations

import numpy as np

from telecom_nb.features.level_record_kernel import _median  # in place: no copy a row
from telecom_nb.features.robust_kernel import numba
from telecom_nb.sector_index import grow_rows

#: rows in a window of steps (the default of the detector's ``step_window``)
WINDOW = 24
#: a window's median step reads once it is this many times every earlier window's (the
#: default of the detector's ``step_margin``)
MARGIN = 2.0
#: windows a series must have shown before a record can read
WARM = 8
#: the reading of a record's onset (above the alarm level, as a new record's)
READING = 4.0


def _pass(pos, raw, update, margin, last, steps, lagged, seen, best, since):  # pragma: no cover
    """Each row's reading (0: none); the state advanced when ``update``; the window is the
    rings' length."""
    n, k = raw.shape
    m = steps.shape[2]
    out = np.zeros(n)
    buf = np.empty(m)  # one scratch window per call, not a copy per row
    for i in range(n):
        s = pos[i]
        if s < 0:
            continue
        for j in range(k):
            v = raw[i, j]
            if v != v:
                continue
            prev = last[s, j]
            if prev != prev:
                if update:
                    last[s, j] = v
                continue
            c = seen[s, j]
            slot = c % m
            step = abs(v - prev)
            if c + 1 < m:
                if update:
                    steps[s, j, slot] = step
                    seen[s, j] = c + 1
                    last[s, j] = v
                continue
            for a in range(m):
                buf[a] = steps[s, j, a]
            buf[slot] = step
            med = _median(buf, m)
            # the largest median of the windows that ended >= m rows back
            top = max(best[s, j], lagged[s, j, slot])
            hit = c + 1 >= WARM * m and top > 0.0 and med >= margin * top
            gap = since[s, j]
            if hit and gap > m:
                out[i] = max(out[i], READING)
            if update:
                best[s, j] = top
                lagged[s, j, slot] = med
                steps[s, j, slot] = step
                seen[s, j] = c + 1
                last[s, j] = v
                since[s, j] = 1 if hit else min(gap + 1, 1 << 30)
    return out


if numba is not None:
    _pass = numba.njit(cache=True, nogil=True)(_pass)


class StepRecord:
    """Per sector and KPI: the last value, the ring of the last :data:`WINDOW` steps and of
    their windows' medians, the rows seen, the largest median of the windows that ended at
    least a window back, and the rows since the last record (see the module docstring)."""

    def __init__(self, n_kpi: int = 0, window: int = WINDOW) -> None:
        self.last = np.zeros((0, n_kpi))
        self.steps = np.zeros((0, n_kpi, window))
        self.lagged = np.zeros((0, n_kpi, window))
        self.seen = np.zeros((0, n_kpi), dtype=np.int64)
        self.best = np.zeros((0, n_kpi))
        self.since = np.zeros((0, n_kpi), dtype=np.int64)

    def _fit(self, n_sectors: int, n_kpi: int, window: int) -> None:
        """Room for ``n_sectors``; a new KPI count or window starts the record afresh."""
        if n_kpi != self.last.shape[1] or window != self.steps.shape[2]:
            self.__init__(n_kpi, window)
        if len(self.last) >= n_sectors:
            return
        self.last = grow_rows(self.last, n_sectors, np.nan)
        self.steps = grow_rows(self.steps, n_sectors, 0.0)
        self.lagged = grow_rows(self.lagged, n_sectors, 0.0)
        self.seen = grow_rows(self.seen, n_sectors, 0)
        self.best = grow_rows(self.best, n_sectors, 0.0)
        self.since = grow_rows(self.since, n_sectors, 1 << 30)

    def rows(
        self,
        pos: np.ndarray,
        raw: np.ndarray,
        update: bool,
        margin: float = MARGIN,
        window: int = WINDOW,
    ) -> np.ndarray:
        """Each row's reading (rows in time order; ``pos`` the sector's position, -1 for
        one never learned; ``raw`` the KPIs' values; ``margin`` and ``window`` the
        detector's ``step_margin`` and ``step_window``: a new window starts afresh)."""
        pos = np.asarray(pos, dtype=np.int64)
        raw = np.ascontiguousarray(raw, dtype=np.float64)
        self._fit(int(pos.max()) + 1 if len(pos) else 0, raw.shape[1], int(window))
        return _pass(pos, raw, bool(update), float(margin), self.last, self.steps, self.lagged,
                     self.seen, self.best, self.since)
