"""What a NOC needs from a monitor beyond its stream: incidents, acknowledgements, the
history of a subset of sectors, and exports. A mixin of :class:`Monitor` (kept apart so
the monitor module stays about running the stream).

Acknowledgements live in ``monitor.incidents`` (an
:class:`~telecom_nb.alarms.incidents.IncidentBook`, in memory); a store persists them by
appending to ``monitor.incidents.listeners`` and loads them back with
``monitor.incidents.restore(rows)``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd

from telecom_nb.alarms.incidents import Acknowledgement, IncidentBook
from telecom_nb.engine.exports import KINDS, write_table


class TriageViews:
    """Incidents (grouped episodes), acknowledgements, subset history, exports."""

    _incident_book: IncidentBook | None = None
    _incident_cache: tuple[tuple, pd.DataFrame] | None = None

    @property
    def incidents(self) -> IncidentBook:
        """The monitor's incident book (grouping rules and acknowledgements)."""
        if self._incident_book is None:
            self._incident_book = IncidentBook()
        return self._incident_book

    def _now(self) -> pd.Timestamp | None:
        sim_time = getattr(self, "sim_time", "")
        return pd.Timestamp(sim_time) if sim_time else None

    def _cadence(self) -> pd.Timedelta | None:
        """The stream's tick spacing, from the last two ticks of the network history."""
        times = self.history_frame(last=2)["timestamp"]
        return (times.iloc[-1] - times.iloc[0]) if len(times) == 2 else None

    def incidents_frame(self) -> pd.DataFrame:
        """One row per incident, worst first (see ``alarms/incidents.py``); rebuilt only
        when an episode or an acknowledgement changed."""
        book = self.incidents
        key = (self.episodes_version, book.version, len(self.sectors), self._now())
        if self._incident_cache is not None and self._incident_cache[0] == key:
            return self._incident_cache[1].copy()
        if book.cadence is None:
            book.cadence = self._cadence()
        frame = book.frame(self.episodes_frame(), self.sectors, self._now())
        self._incident_cache = (key, frame)
        return frame.copy()

    def incident_episodes(self, incident_id: int) -> pd.DataFrame:
        """The episodes of one incident (as last grouped), worst first."""
        self.incidents_frame()
        return self.incidents.members(incident_id)

    def acknowledge(self, incident_id: int, comment: str = "", who: str = "") -> Acknowledgement:
        """Acknowledge an incident with a note (see ``IncidentBook.acknowledge``)."""
        self.incidents_frame()
        return self.incidents.acknowledge(incident_id, comment, who)

    def subset_history(self, sector_ids: Any) -> pd.DataFrame:
        """Per-tick aggregates of these sectors over the ticks each sector keeps
        (``sector_ticks``, a day at 15 min): timestamp, ``<kpi>_mean``, n_anomalies."""
        return self.sector_buffer.aggregate(sector_ids)

    def export(self, what: str = "episodes", fmt: str = "csv",
               directory: str | Path | None = None) -> Path:
        """Write episodes or incidents to CSV/Parquet; returns the file's path."""
        if what not in KINDS:
            raise ValueError(f"export what must be one of {', '.join(KINDS)}; got {what!r}")
        if what == "incidents":
            frame = self.incidents_frame()
        else:
            frame = self.episodes_frame()
            self.incidents_frame()
            frame["incident_id"] = frame["episode_id"].map(
                self.incidents.assignments()).astype("Int64")
            frame["acknowledged"] = frame["episode_id"].isin(
                self.incidents.acknowledgements_frame()["episode_id"])
        zone = getattr(self, "timezone", None)
        return write_table(frame, what, fmt, directory, zone)

