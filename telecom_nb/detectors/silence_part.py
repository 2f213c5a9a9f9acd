"""The zero-run record: a series that sits at exact zero between bursts goes silent longer
than it ever has (issue 13).

A bursty series (a key's requests, a cell's night traffic, a server's jobs) lives at exact
zero between its bursts; its zeros are its most usual value, so no z and no range record
reads a silence, however long. What a person sees on the chart is the gap: longer than
every gap before it (nab37: NAB's c0d644 W2 and rogue_agent_key_hold's windows; issue 13's
"a 2.5-hour outage of a series that has shown zeros before"). Per sector and KPI, causal,
in **data time** (any cadence): the count of completed zero runs, the longest and their
total duration, and the open run's start. A zero run starts at a row at exact zero and ends
at the next non-zero row (missing values neither extend nor end it); its duration is that
row's time minus its start.

Once at least ``silence_runs`` runs are complete, an open run of duration ``d`` at least
``silence_margin`` x the longest ``L`` reads, as the level record's Gumbel form with the
runs' mean ``mu`` as the exponential scale of a run (the scale of its record)::

    -log10 p = log10(N + 1) + (d - L) / (mu ln 10) - log10(k)

(Bonferroni over the ``k`` KPIs). It enters the max of parts **once per run**, at the first
row where it reaches :data:`~.routine.NEW_RECORD` (an alarm; a reading below it changes
no alert, and a run's later rows would only repeat its onset), and like the records it is
never routine: a silence longer than any before was not reached. Only for a few series
(a fleet's outages are told by its peers; its ticks are untouched). One compiled pass
walks rows in time order (the per-tick loop and the one-series pass call the same cells);
``update=False`` reads without writing (a tick scored, not yet learned).
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
from traitlets import Float, HasTraits, Int, validate

from telecom_nb.detectors.calibration import soft_cap
from telecom_nb.detectors.step_record import MARGIN, WINDOW, StepRecord
from telecom_nb.detectors.zero_part import zero_state_rows
from telecom_nb.features.robust_kernel import numba
from telecom_nb.params import check_range, param_trait
from telecom_nb.sector_index import grow_rows

#: ``start`` of a KPI not in a zero run
NONE = np.iinfo(np.int64).min // 2
_LN10 = math.log(10.0)


def _pass(
    pos, ns, raw, update, margin, min_runs, gate, penalty, count, longest, total, start, fired
):  # pragma: no cover - compiled
    """Each row's reading (0: none); the state advanced when ``update``."""
    n, k = raw.shape
    out = np.zeros(n)
    for i in range(n):
        s = pos[i]
        if s < 0:
            continue
        t = ns[i]
        best = 0.0
        for j in range(k):
            v = raw[i, j]
            if v != v:
                continue
            st = start[s, j]
            if v == 0.0:
                if st == NONE:
                    if update:
                        start[s, j] = t
                        fired[s, j] = False
                    continue
                c = count[s, j]
                top = longest[s, j]
                if c < min_runs or top <= 0 or fired[s, j]:
                    continue
                d = t - st
                if d < margin * top:
                    continue
                mu = total[s, j] / c
                lp = math.log10(c + 1.0) + (d - top) / (mu * _LN10) - penalty
                if lp >= gate:
                    best = max(best, lp)
                    if update:
                        fired[s, j] = True
            elif st != NONE and update:
                d = t - st
                count[s, j] += 1
                total[s, j] += d
                if d > longest[s, j]:
                    longest[s, j] = d
                start[s, j] = NONE
        out[i] = best
    return out


if numba is not None:
    _pass = numba.njit(cache=True, nogil=True)(_pass)


class ZeroRuns:
    """Per sector and KPI: completed zero runs' count, longest and total duration (ns), the
    open run's start and whether it has read already (see the module docstring)."""

    def __init__(self, n_kpi: int = 0) -> None:
        self.count = np.zeros((0, n_kpi), dtype=np.int64)
        self.longest = np.zeros((0, n_kpi), dtype=np.int64)
        self.total = np.zeros((0, n_kpi), dtype=np.float64)
        self.start = np.zeros((0, n_kpi), dtype=np.int64)
        self.fired = np.zeros((0, n_kpi), dtype=np.bool_)

    def _fit(self, n_sectors: int, n_kpi: int) -> None:
        """Room for ``n_sectors``; a new KPI count starts the record afresh."""
        if n_kpi != self.count.shape[1]:
            self.__init__(n_kpi)
        if len(self.count) >= n_sectors:
            return
        self.count = grow_rows(self.count, n_sectors, 0)
        self.longest = grow_rows(self.longest, n_sectors, 0)
        self.total = grow_rows(self.total, n_sectors, 0.0)
        self.start = grow_rows(self.start, n_sectors, NONE)
        self.fired = grow_rows(self.fired, n_sectors, False)

    def rows(
        self,
        pos: np.ndarray,
        ns: np.ndarray,
        raw: np.ndarray,
        update: bool,
        margin: float,
        min_runs: int,
        gate: float,
    ) -> np.ndarray:
        """Each row's score (rows in time order; ``pos`` the sector's position, -1 for one
        never learned; ``raw`` the KPIs' values)."""
        pos = np.asarray(pos, dtype=np.int64)
        raw = np.ascontiguousarray(raw, dtype=np.float64)
        self._fit(int(pos.max()) + 1 if len(pos) else 0, raw.shape[1])
        penalty = math.log10(max(raw.shape[1], 1))
        log_p = _pass(
            pos,
            np.asarray(ns, dtype=np.int64),
            raw,
            bool(update),
            float(margin),
            int(min_runs),
            float(gate),
            penalty,
            self.count,
            self.longest,
            self.total,
            self.start,
            self.fired,
        )
        return soft_cap(log_p)


class SilenceRows(HasTraits):
    """Mixin of :class:`~telecom_nb.detectors.windowed.WindowedDetector`: the zero-run
    record's parameters and its per-row reading (a few series only; None for a fleet)."""

    silence_margin = param_trait(
        Float(
            1.25,
            help=(
                "a few series' zero run reads once it lasts this many times its longest earlier "
                "zero run (0 = off)"
            ),
        )
    )
    silence_runs = param_trait(
        Int(30, help=("completed zero runs a series needs before a silence can read"))
    )
    step_margin = param_trait(
        Float(
            MARGIN,
            help=(
                "a few series' step-size record reads once the median step of the last "
                "step_window rows is this many times every earlier window's (0 = off: the "
                "record is forgotten, and on again starts afresh)"
            ),
        )
    )
    step_window = param_trait(
        Int(
            WINDOW,
            help=(
                "rows in a window of the step-size record (24 rows: a day of hourly data, "
                "2 hours of 5-minute data); a new value starts the record afresh"
            ),
        )
    )

    #: state newer than some checkpoints: derived by :meth:`derive_added_state`
    _state_added: tuple[str, ...] = ("_silence", "_steps")
    #: the reading a run's onset must reach (the detector's ``NEW_RECORD``: an alarm)
    _silence_gate: float = 3.0

    @validate("silence_margin")
    def _v_silence_margin(self, proposal):
        value = proposal["value"]
        if value != 0:
            check_range("silence_margin", value, 1.0, 100.0)
        return value

    @validate("step_margin")
    def _v_step_margin(self, proposal):
        value = proposal["value"]
        if value != 0:
            check_range("step_margin", value, 1.0, 100.0, low_inclusive=False)
        return value

    @validate("step_window")
    def _v_step_window(self, proposal):
        check_range("step_window", proposal["value"], 2, 10_000)
        return proposal["value"]

    @validate("silence_runs")
    def _v_silence_runs(self, proposal):
        check_range("silence_runs", proposal["value"], 1, 1_000_000)
        return proposal["value"]

    def derive_added_state(self, names: Sequence[str]) -> None:
        """A checkpoint older than the part: its record starts empty (no silence reads
        before ``silence_runs`` runs are seen again)."""
        if "_silence" in names:
            self._silence = ZeroRuns()
        if "_steps" in names:
            self._steps = StepRecord()
        super().derive_added_state(names)

    def _silence_flags(
        self, pos: np.ndarray, ns: np.ndarray, raw: np.ndarray, update: bool
    ) -> np.ndarray | None:
        """Rows' zero-run readings (time order), or None (a fleet); a few series' step-size
        record (step_record.py) reads through the same way, a record of its own texture."""
        if not self._few_series() or not len(pos):
            return None
        steps = None
        if self.step_margin:
            steps = self._steps.rows(pos, raw, update, self.step_margin, self.step_window)
        elif len(self._steps.last):  # off forgets: on again, no record from before the pause
            self._steps = StepRecord()
        if not self.silence_margin:
            return steps
        quiet = self._silence.rows(
            pos, ns, raw, update, self.silence_margin, self.silence_runs, self._silence_gate
        )
        return quiet if steps is None else np.maximum(quiet, steps)

    def _zero_flags(self, raw: np.ndarray, usual: np.ndarray | None = None
                    ) -> np.ndarray | None:
        """Rows in an exact-zero state the series has not shown at that hour
        (:mod:`.zero_part`; ``usual``: ``ZeroStates.usual``), or None (a fleet, or none)."""
        if not self._few_series() or not len(raw):
            return None
        rows = zero_state_rows(raw, usual)
        return rows if rows.any() else None

    def _zero_view(self, view) -> np.ndarray | None:
        """:meth:`_zero_flags` of a batch view under the features' zero states so far."""
        if not self._few_series():
            return None
        usual = getattr(self.features_, "zero_usual", None)
        return self._zero_flags(view.raw, None if usual is None else usual(view))

    def _silence_view(self, view, update: bool) -> np.ndarray | None:
        """:meth:`_silence_flags` of a batch view (one tick)."""
        if not self._few_series():
            return None
        return self._silence_flags(self.features_.rows(view), view.ns(), view.raw, update)
