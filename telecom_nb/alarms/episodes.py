"""Alert episodes: consecutive anomalous ticks of a sector become one alert, with hysteresis.

A sector that flaps (anomalous, normal, anomalous, ...) should raise one alert, not a
storm, so an episode opens after ``open_after`` anomalous ticks in a row and closes only
after ``close_after`` of normal behaviour: a duration (45 min by default, the same for
hourly and 5-minute data) or a number of normal ticks in a row. State lives in numpy
arrays indexed by sector position, so an update is a handful of vectorised operations
whatever the sector count.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Sequence

import numpy as np
import pandas as pd
from traitlets import observe

from telecom_nb import schema
from telecom_nb.alarms.episode_params import CLOSE_AFTER, EpisodeParams, escalation_bar
from telecom_nb.alarms.episode_views import EpisodeViews
from telecom_nb.params import Parametrized
from telecom_nb.sector_index import SectorIndex, grow_rows

NORMAL = "normal"
ANOMALOUS = "anomalous"
RECOVERING = "recovering"
#: the states in the order of their codes (``update_codes``, ``advance_codes``)
STATES: tuple[str, ...] = (NORMAL, ANOMALOUS, RECOVERING)
_STATE_OBJECTS = np.array(STATES, dtype=object)

_NAT = np.iinfo(np.int64).min
EPISODE_COLUMNS: tuple[str, ...] = (
    "episode_id",
    schema.SECTOR,
    "start",
    "end",
    "duration_ticks",
    "anomalous_ticks",
    "peak_time",
    "peak_score",
    schema.TOP_KPI,
    "is_open",
)


class EpisodeTracker(EpisodeViews, EpisodeParams, Parametrized):
    """Turns per-tick anomaly flags into alert episodes (open / closed), per sector."""

    #: state newer than some checkpoints: derived by :meth:`derive_added_state`
    _state_added: tuple[str, ...] = ("_alerted_n",)

    def __init__(
        self,
        open_after: int = 1,
        close_after: int | str | pd.Timedelta = CLOSE_AFTER,
        max_closed: int = 1000,
        *,
        escalate_by: float = 1.0,
        kpis: Sequence[str] = schema.KPIS,
        index: SectorIndex | None = None,
    ) -> None:
        super().__init__(open_after=open_after, close_after=close_after, max_closed=max_closed,
                         escalate_by=escalate_by)
        self.kpis = tuple(kpis)
        self.index = index if index is not None else SectorIndex()
        self.closed_: deque[dict[str, object]] = deque(maxlen=self.max_closed)
        self.n_opened_ = 0
        self.n_closed_ = 0
        # Bumped whenever what an episode list shows changes (an episode opens, closes,
        # or an open one gets another anomalous tick), so a view redraws only then.
        self.changes_ = 0
        self._tick = 0
        n = 0
        self._run_anom = np.zeros(n, dtype=np.int64)  # anomalous ticks in a row
        self._run_norm = np.zeros(n, dtype=np.int64)  # normal ticks in a row
        self._open = np.zeros(n, dtype=bool)
        self._episode_id = np.zeros(n, dtype=np.int64)
        self._start_time = np.full(n, _NAT, dtype=np.int64)  # first tick of the run
        self._start_tick = np.zeros(n, dtype=np.int64)
        self._last_anom_time = np.full(n, _NAT, dtype=np.int64)
        self._last_anom_tick = np.zeros(n, dtype=np.int64)
        self._n_anom = np.zeros(n, dtype=np.int64)
        self._peak_score = np.full(n, -np.inf)
        self._alerted = np.full(n, -np.inf)  # the open episode's last alert score
        self._alerted_n = np.zeros(n, dtype=np.int64)  # its anomalous ticks at that alert
        self._peak_time = np.full(n, _NAT, dtype=np.int64)
        self._peak_kpi = np.full(n, "", dtype=object)
        self._peak_values = np.full((n, len(self.kpis)), np.nan)
        self.last_alert_score_ = np.zeros(0)  # per row of the last update()

    @observe("max_closed")
    def _resize_closed(self, change) -> None:
        if hasattr(self, "closed_"):
            self.closed_ = deque(self.closed_, maxlen=change["new"])
            self.changes_ += 1

    def derive_added_state(self, names: Sequence[str]) -> None:
        """A checkpoint older than ``_alerted_n``: an open episode counts from its restore
        (its last alert taken at its current anomalous ticks, the old rule until it grows)."""
        if "_alerted_n" in names:
            self._alerted_n = np.where(self._open, self._n_anom, 0).astype(np.int64)

    @property
    def n_open(self) -> int:
        return int(self._open.sum())

    def _grow(self, n: int) -> None:
        if len(self._open) >= n:
            return
        self._run_anom = grow_rows(self._run_anom, n, 0)
        self._run_norm = grow_rows(self._run_norm, n, 0)
        self._open = grow_rows(self._open, n, False)
        self._episode_id = grow_rows(self._episode_id, n, 0)
        self._start_time = grow_rows(self._start_time, n, _NAT)
        self._start_tick = grow_rows(self._start_tick, n, 0)
        self._last_anom_time = grow_rows(self._last_anom_time, n, _NAT)
        self._last_anom_tick = grow_rows(self._last_anom_tick, n, 0)
        self._n_anom = grow_rows(self._n_anom, n, 0)
        self._peak_score = grow_rows(self._peak_score, n, -np.inf)
        self._alerted = grow_rows(self._alerted, n, -np.inf)
        self._alerted_n = grow_rows(self._alerted_n, n, 0)
        self._peak_time = grow_rows(self._peak_time, n, _NAT)
        self._peak_kpi = grow_rows(self._peak_kpi, n, "")
        self._peak_values = grow_rows(self._peak_values, n, np.nan)

    def update(self, frame: pd.DataFrame, timestamp: pd.Timestamp,
               routine: np.ndarray | None = None) -> np.ndarray:
        """Advance one tick from a scored frame; returns its ``state`` column (object array).

        Sectors absent from ``frame`` are left as they are (neither normal nor anomalous).
        The rows that raised an alert are in ``last_alert_score_`` afterwards.
        """
        top = (frame[schema.TOP_KPI].to_numpy(dtype=object)
               if schema.TOP_KPI in frame.columns else None)
        return self.update_rows(frame, frame[schema.IS_ANOMALY].to_numpy(dtype=bool),
                                frame[schema.SCORE].to_numpy(dtype=np.float64), top, timestamp,
                                routine)

    def update_rows(self, frame: pd.DataFrame, flags: np.ndarray, score: np.ndarray,
                    top: np.ndarray | None, timestamp: pd.Timestamp,
                    routine: np.ndarray | None = None) -> np.ndarray:
        """:meth:`update` with the verdict as arrays (the alarm stage has them at hand);
        ``frame`` gives the sectors and KPI values."""
        return _STATE_OBJECTS[self.update_codes(frame, flags, score, top, timestamp,
                                                routine=routine)]

    def update_codes(self, frame: pd.DataFrame, flags: np.ndarray, score: np.ndarray,
                     top: np.ndarray | None, timestamp: pd.Timestamp,
                     kpi_values: np.ndarray | None = None, *,
                     routine: np.ndarray | None = None) -> np.ndarray:
        """:meth:`update_rows` with each row's state as its code in ``STATES`` (int8):
        a column of 100k strings is then built from three, not from 100k objects.
        ``kpi_values``: :meth:`kpi_values` of ``frame`` when the caller has it already;
        ``routine``: rows that open no episode (:meth:`advance_codes`)."""
        raw_pos = self.index.column_positions(frame, schema.SECTOR)  # known without conversion
        self._grow(len(self.index))
        if len(raw_pos) == 0:
            self._tick += 1
            self.last_alert_score_ = np.zeros(0)
            return np.empty(0, dtype=np.int8)
        # A duplicated sector counts once (its first row); every row gets its sector's state.
        if len(raw_pos) > 1 and (raw_pos[1:] > raw_pos[:-1]).all():  # a live tick's order
            pos, first = raw_pos, slice(None)  # np.unique's answer, without the sort
            inverse = None
        else:
            pos, first, inverse = np.unique(raw_pos, return_index=True, return_inverse=True)
        top = (np.asarray(top, dtype=object)[first] if top is not None
               else np.full(len(pos), "", dtype=object))
        values = (kpi_values if kpi_values is not None else self.kpi_values(frame))[first]
        from telecom_nb.alarms import episode_table  # it imports this module's constants

        args = (pos, np.asarray(flags, dtype=bool)[first],
                np.asarray(score, dtype=np.float64)[first], pd.Timestamp(timestamp).value)
        rows = dict(top=top, values=values,
                    routine=None if routine is None else np.asarray(routine, dtype=bool)[first])
        if episode_table.numba is None:
            state, alert = self.advance_codes(*args, **rows)
        else:  # the same rule in one compiled pass (advance_codes stays its reference)
            state, alert = episode_table.advance_tick_codes(self, *args, **rows)
        if inverse is None:
            self.last_alert_score_ = np.asarray(alert, dtype=np.float64)
            return state
        inverse = inverse.ravel()
        # a duplicate row raised nothing: only the sector's first row speaks for it
        alerts = np.zeros(len(raw_pos))
        alerts[first] = alert
        self.last_alert_score_ = alerts
        return state[inverse]

    def kpi_values(self, frame: pd.DataFrame) -> np.ndarray:
        """Rows x the tracker's KPIs as float64 (NaN where the frame lacks a KPI or a
        value): what an episode records at its peak."""
        values = np.full((len(frame), len(self.kpis)), np.nan)
        for j, kpi in enumerate(self.kpis):
            if kpi in frame.columns:
                values[:, j] = frame[kpi].to_numpy(dtype=np.float64, na_value=np.nan)
        return values

    def advance(self, pos: np.ndarray, flag: np.ndarray, score: np.ndarray, now: int, *,
                top: np.ndarray | None = None, values: np.ndarray | None = None,
                routine: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
        """:meth:`advance_codes` with each state as its string (object array)."""
        codes, alert = self.advance_codes(pos, flag, score, now, top=top, values=values,
                                          routine=routine)
        return _STATE_OBJECTS[codes], alert

    def advance_codes(
        self,
        pos: np.ndarray,
        flag: np.ndarray,
        score: np.ndarray,
        now: int,
        *,
        top: np.ndarray | None = None,
        values: np.ndarray | None = None,
        routine: np.ndarray | None = None,
    ) -> tuple[np.ndarray, np.ndarray]:
        """One tick on arrays: sector positions (unique), flags, scores, epoch ns.

        Returns each sector's state (its code in ``STATES``) and its *alert score*:
        the episode's peak score on the tick an episode opens or, while open, raises
        its peak; 0 on every other tick. An alert stream thresholded at ``t`` then
        fires once per episode, when the episode's peak first reaches ``t``, not on
        every anomalous tick. A ``routine`` row (an excursion the series made often
        before: :mod:`~telecom_nb.detectors.routine`) opens no episode: it counts as
        normal unless its sector's episode is open (an incident is never cut by it).
        """
        self._tick += 1
        tick = self._tick
        flag = np.asarray(flag, dtype=bool)
        score = np.asarray(score, dtype=np.float64)
        self._grow(int(pos.max()) + 1 if len(pos) else 0)
        if routine is not None:
            flag = flag & ~(np.asarray(routine, dtype=bool) & ~self._open[pos])
        if top is None:
            top = np.full(len(pos), "", dtype=object)
        if values is None:
            values = np.full((len(pos), len(self.kpis)), np.nan)
        run_anom = np.where(flag, self._run_anom[pos] + 1, 0)
        run_norm = np.where(flag, 0, self._run_norm[pos] + 1)
        is_open = self._open[pos]
        run_starts = flag & (self._run_anom[pos] == 0) & ~is_open
        self._start_time[pos[run_starts]] = now
        self._start_tick[pos[run_starts]] = tick
        # A pending (not yet open) run restarts its peak; an open episode keeps its own.
        reset_peak = run_starts
        self._peak_score[pos[reset_peak]] = -np.inf
        self._n_anom[pos[reset_peak]] = 0

        better = flag & (score > self._peak_score[pos])
        bp = pos[better]
        self._peak_score[bp] = score[better]
        self._peak_time[bp] = now
        self._peak_kpi[bp] = top[better]
        self._peak_values[bp] = values[better]
        self._n_anom[pos[flag]] += 1
        self._last_anom_time[pos[flag]] = now
        self._last_anom_tick[pos[flag]] = tick

        opening = ~is_open & flag & (run_anom >= self.open_after)
        if opening.any():
            op = pos[opening]
            self._episode_id[op] = self.n_opened_ + 1 + np.arange(len(op))
            self.n_opened_ += len(op)
            self._open[op] = True
        # an open episode re-alerts only when its peak clears the last alert by escalate_by
        # beyond what more ticks of the same incident give (an operator was paged once; a
        # fault that keeps wobbling is the same incident): :func:`escalation_bar`
        # read on the open episodes that raised their peak only (a few of 100k rows)
        escalating = is_open & better
        if escalating.any():
            ep = pos[escalating]
            escalating[escalating] = self._peak_score[ep] >= escalation_bar(
                self._alerted[ep], self._alerted_n[ep], self._n_anom[ep], self.escalate_by)
        alerting = opening | escalating
        alert = np.where(alerting, self._peak_score[pos], 0.0)
        self._alerted[pos[alerting]] = self._peak_score[pos[alerting]]
        self._alerted_n[pos[alerting]] = self._n_anom[pos[alerting]]
        if isinstance(self.close_after, pd.Timedelta):  # time since its last anomalous tick
            due = now - self._last_anom_time[pos] >= self.close_after.value
        else:
            due = run_norm >= self.close_after
        closing = is_open & ~flag & due
        if closing.any():
            cp = pos[closing]
            self.closed_.extend(self._closed_records(cp))
            self.n_closed_ += len(cp)
            self._open[cp] = False
        self._run_anom[pos] = run_anom
        self._run_norm[pos] = run_norm
        if closing.any() or (flag & self._open[pos]).any():
            self.changes_ += 1

        state = np.where(flag, 1, np.where(self._open[pos], 2, 0)).astype(np.int8)
        return state, alert

    def episode_columns(self) -> list[str]:
        """The columns of an episode frame: :data:`EPISODE_COLUMNS`, ``peak_<kpi>``."""
        return [*EPISODE_COLUMNS, *(f"peak_{kpi}" for kpi in self.kpis)]

    def _records(self, positions: np.ndarray, *, open_: bool) -> pd.DataFrame:
        end = np.full(len(positions), _NAT) if open_ else self._last_anom_time[positions]
        return pd.DataFrame(
            {
                "episode_id": self._episode_id[positions],
                schema.SECTOR: self.index.ids[positions].to_numpy(dtype=object),
                "start": pd.to_datetime(self._start_time[positions], utc=True),
                "end": pd.to_datetime(end, utc=True),
                "duration_ticks": self._last_anom_tick[positions] - self._start_tick[positions] + 1,
                "anomalous_ticks": self._n_anom[positions],
                "peak_time": pd.to_datetime(self._peak_time[positions], utc=True),
                "peak_score": self._peak_score[positions],
                schema.TOP_KPI: self._peak_kpi[positions],
                "is_open": open_,
                # in the one constructor: a column set per KPI cost a frame copy each
                **{f"peak_{kpi}": self._peak_values[positions, j]
                   for j, kpi in enumerate(self.kpis)},
            }
        )

    def open_records(self, sector_ids: np.ndarray) -> pd.DataFrame:
        """The open episodes of these sectors (what a store upserts after a tick)."""
        pos = self.index.lookup(np.asarray(sector_ids, dtype=object))
        pos = pos[(pos >= 0) & (pos < len(self._open))]
        return self._records(pos[self._open[pos]], open_=True)

    def _closed_records(self, positions: np.ndarray) -> list[dict]:
        """``_records(positions, open_=False).to_dict("records")`` without a DataFrame."""
        return self.closed_records(
            episode_id=self._episode_id[positions],
            sectors=self.index.ids[positions].to_numpy(dtype=object),
            start=self._start_time[positions], end=self._last_anom_time[positions],
            peak_time=self._peak_time[positions],
            duration_ticks=self._last_anom_tick[positions] - self._start_tick[positions] + 1,
            anomalous_ticks=self._n_anom[positions], peak_score=self._peak_score[positions],
            top_kpi=self._peak_kpi[positions], peak_values=self._peak_values[positions])

    def closed_records(self, *, episode_id: np.ndarray, sectors: np.ndarray, start: np.ndarray,
                       end: np.ndarray, peak_time: np.ndarray, duration_ticks: np.ndarray,
                       anomalous_ticks: np.ndarray, peak_score: np.ndarray,
                       top_kpi: np.ndarray, peak_values: np.ndarray) -> list[dict]:
        """Closed-episode dicts from their fields (epoch ns times), as the closed list keeps.

        Episodes close on most ticks of a long replay: a frame per tick cost ~3 ms.
        """
        n = len(episode_id)
        times = pd.to_datetime(np.concatenate([start, end, peak_time]), utc=True)
        stamps = list(times)
        columns: dict[str, list] = {
            "episode_id": episode_id.tolist(),
            schema.SECTOR: sectors.tolist(),
            "start": stamps[:n],
            "end": stamps[n : 2 * n],
            "duration_ticks": duration_ticks.tolist(),
            "anomalous_ticks": anomalous_ticks.tolist(),
            "peak_time": stamps[2 * n :],
            "peak_score": peak_score.tolist(),
            schema.TOP_KPI: top_kpi.tolist(),
            "is_open": [False] * n,
        }
        for j, kpi in enumerate(self.kpis):
            columns[f"peak_{kpi}"] = peak_values[:, j].tolist()
        names = list(columns)
        return [dict(zip(names, row, strict=True)) for row in zip(*columns.values(), strict=True)]
