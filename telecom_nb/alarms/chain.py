"""The alarm stage: threshold -> episodes, one chain, identical live and in a replay.

Merlion's post-rule idea: a detector scores (calibrated, higher = more anomalous); the
chain decides which rows are anomalous (contamination / threshold), turns consecutive
anomalous ticks into alert episodes with hysteresis, and gives each row its
``alert_score`` (the episode's peak on the row that opened or escalated it). A person
tunes alarms here (``monitor.alarms.contamination = 0.01``) without touching the model.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
from traitlets import link

from telecom_nb import schema
from telecom_nb.alarms import episode_table
from telecom_nb.alarms.episode_params import EPISODE_PARAMS, EpisodeParams
from telecom_nb.alarms.episodes import ANOMALOUS, STATES, EpisodeTracker
from telecom_nb.alarms.threshold import decide_coded, effective_threshold
from telecom_nb.detectors.base import Scores
from telecom_nb.detectors.threshold_params import ThresholdParams
from telecom_nb.params import Parametrized
from telecom_nb.sector_index import SectorIndex

THRESHOLD_PARAMS: tuple[str, ...] = ("contamination", "threshold")


class AlarmChain(ThresholdParams, EpisodeParams, Parametrized):
    """Threshold and episode hysteresis for one stream (per-sector state inside)."""

    def __init__(
        self, *, kpis: Sequence[str] = (), index: SectorIndex | None = None, **params: Any
    ) -> None:
        super().__init__(**params)
        self.episodes = EpisodeTracker(
            self.open_after,
            self.close_after,
            self.max_closed,
            escalate_by=self.escalate_by,
            kpis=kpis,
            index=index,
        )
        self._own_links = [link((self, name), (self.episodes, name)) for name in EPISODE_PARAMS]
        self._detector_links: list[link] = []

    @property
    def index(self) -> SectorIndex:
        return self.episodes.index

    @property
    def threshold_value(self) -> float:
        """The score at and above which a row is anomalous."""
        return effective_threshold(self.contamination, self.threshold)

    def bind(self, detector: Any) -> None:
        """Link ``contamination``/``threshold`` with the detector's aliases, if it has them.

        The detector's values win at binding (the seed's 0.01 stays the seed's), then a
        change on either side is seen on both.
        """
        for old in self._detector_links:
            old.unlink()
        names = set(getattr(detector, "param_names", lambda: [])())
        self._detector_links = [
            link((detector, name), (self, name)) for name in THRESHOLD_PARAMS if name in names
        ]

    # -- one tick -------------------------------------------------------------------
    def apply(self, frame: pd.DataFrame, scores: Scores, timestamp: pd.Timestamp) -> pd.DataFrame:
        """``frame`` plus every scored column, advancing the episodes by one tick."""
        return with_scored(frame, self.apply_columns(frame, scores, timestamp))

    def apply_columns(
        self,
        frame: pd.DataFrame,
        scores: Scores,
        timestamp: pd.Timestamp,
        kpi_values: np.ndarray | None = None,
    ) -> dict[str, Any]:
        """:meth:`apply`'s scored columns as arrays, not joined to ``frame`` (the tick's
        sinks read them as they are; joining them costs more than deciding them).
        ``kpi_values``: the frame's columns of the chain's KPIs as a float64 matrix, when
        the caller has it (the validator's)."""
        flags, top, coded = decide_coded(scores, self.threshold_value)
        # a copy: the batch's column must not follow a detector's reused buffer
        score = np.array(scores.score, dtype=np.float64)
        # the tracker reads the verdict as it would from the frame's columns; a missing
        # top KPI (None, NaN) reads as the frame's string column gives it back
        routine = scores.routine
        if coded is None and pd.isna(top).any():
            state = self.episodes.update(
                frame.assign(
                    **{schema.SCORE: score, schema.IS_ANOMALY: flags, schema.TOP_KPI: top}
                ),
                timestamp,
                routine,
            )
            flags = opened_only(flags, routine, state == ANOMALOUS)
        else:
            codes = self.episodes.update_codes(
                frame, flags, score, top, timestamp, kpi_values, routine=routine
            )
            flags = opened_only(flags, routine, codes == 1)
            state = str_column(STATES, codes)
        return {
            schema.SCORE: score,
            schema.IS_ANOMALY: flags,
            schema.TOP_KPI: top if coded is None else str_column(*coded),
            schema.STATE: state,
            schema.ALERT_SCORE: self.episodes.last_alert_score_,
        }

    # -- a whole table --------------------------------------------------------------
    def apply_table(self, frame: pd.DataFrame, scores: Scores) -> pd.DataFrame:
        """What :meth:`apply` gives tick by tick, for a table sorted by timestamp.

        Thresholding is one vectorised call; the episodes advance once per timestamp by
        the tracker's own rule (``advance``, as live), in one compiled pass over the rows.
        """
        flags, top, coded = decide_coded(scores, self.threshold_value)
        score = np.asarray(scores.score, dtype=np.float64)
        tracker = self.episodes
        # nanoseconds whatever the column's unit (a parsed CSV is microseconds in pandas 3)
        ns = pd.DatetimeIndex(frame[schema.TIMESTAMP]).as_unit("ns").asi8
        pos = tracker.index.column_positions(frame, schema.SECTOR)  # no string per row
        routine = scores.routine
        args = (
            tracker,
            pos,
            ns,
            flags,
            score,
            np.asarray(top, dtype=object),
            tracker.kpi_values(frame),
            routine,
        )
        if episode_table.numba is not None:  # string columns from codes, as apply() does
            codes, alert = episode_table.advance_table_codes(*args)
            flags = opened_only(flags, routine, codes == 1)
            state = str_column(STATES, codes)
        else:
            state, alert = episode_table.advance_table(*args)
            flags = opened_only(flags, routine, state == ANOMALOUS)
        return frame.assign(
            **{
                schema.SCORE: score,
                schema.IS_ANOMALY: flags,
                schema.TOP_KPI: top if coded is None else str_column(*coded),
                schema.STATE: state,
                schema.ALERT_SCORE: alert,
            }
        )


def opened_only(flags: np.ndarray, routine: np.ndarray | None, anomalous: np.ndarray) -> np.ndarray:
    """``flags`` less the routine rows the episodes read as normal (a routine row outside
    an open episode: :mod:`~telecom_nb.detectors.routine`)."""
    if routine is None:
        return flags
    return flags & ~(np.asarray(routine, dtype=bool) & ~np.asarray(anomalous, dtype=bool))


def with_scored(frame: pd.DataFrame, scored: dict[str, Any]) -> pd.DataFrame:
    """``frame`` plus the scored columns (replacing them in a scored file replayed again)."""
    if not scored:
        return frame
    if any(name in frame.columns for name in scored):  # a scored file replayed again
        return frame.assign(**scored)
    # one block of new columns beside the batch's: half the cost of assign() per tick
    return pd.concat([frame, pd.DataFrame(scored, index=frame.index)], axis=1)


#: pandas' default string dtype (Arrow-backed where pyarrow is installed, as here)
_STR = pd.api.types.pandas_dtype("str")


def str_column(
    labels: object, codes: np.ndarray, missing: np.ndarray | None = None
) -> pd.api.extensions.ExtensionArray:
    """``labels[codes]`` as a pandas ``str`` array (what the frame would infer from the
    strings; NaN where ``missing``), taken in Arrow from the few labels: no Python string
    per row. The Arrow array is wrapped as it is (~2 us); ``pd.array`` re-checks it
    (~50 us, twice a tick)."""
    taken = pa.array(list(labels), type=pa.large_string()).take(pa.array(codes, mask=missing))
    if isinstance(_STR, pd.StringDtype) and _STR.storage == "pyarrow":
        return pd.arrays.ArrowStringArray(taken, dtype=_STR)
    return pd.array(taken, dtype=_STR)
