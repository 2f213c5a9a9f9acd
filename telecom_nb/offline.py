"""Whole-table scoring for the CLI: the same validation and detector as the live stream.

A recorded table is cut into one batch per timestamp, each batch goes through the
stream's :class:`~telecom_nb.sources.validation.BatchValidator` (same repair rules as a
live stream), then the detector scores the repaired table with ``score_stream`` (score
before learn, equivalent to the per-batch loop, but with the model calls batched).
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from telecom_nb import schema
from telecom_nb.batching import progress as progress_bar
from telecom_nb.batching import timestamp_bounds
from telecom_nb.errors import KpiInputError

_ROW = "__row__"  # carries each row's input position through validation


@dataclass
class ValidatedTable:
    frame: pd.DataFrame  # repaired rows, with the input position in ``rows``
    rows: np.ndarray  # input positions of ``frame``'s rows
    totals: dict[str, int] = field(default_factory=dict)
    messages: list[str] = field(default_factory=list)


def validate_table(
    frame: pd.DataFrame, kpis: list[str], *, progress: bool = False
) -> ValidatedTable:
    """Run every timestamp's batch through a fresh BatchValidator (rejections are reported)."""
    from telecom_nb.sources.validation import BatchValidator

    validator = BatchValidator(kpis)
    tagged = frame.assign(**{_ROW: np.arange(len(frame))})
    bounds = timestamp_bounds(tagged).tolist()
    groups = progress_bar(itertools.pairwise(bounds), desc="validate", total=len(bounds) - 1,
                          enabled=progress and len(bounds) > 2000)
    parts, rejected_rows, messages = [], 0, []
    for start, stop in groups:
        try:
            parts.append(validator.validate(tagged.iloc[start:stop]).frame)
        except KpiInputError as exc:
            rejected_rows += stop - start
            if len(messages) < 5:
                messages.append(f"rows {start + 1}-{stop}: batch rejected: {exc}")
    if not parts:
        raise KpiInputError("no batch of the table could be used: " + "; ".join(messages))
    repaired = pd.concat(parts, ignore_index=True)
    totals = dict(validator.totals)
    totals["rejected_rows"] = rejected_rows
    for key in ("imputed", "clipped", "coerced", "duplicates", "dropped_rows"):
        if totals.get(key):
            messages.append(f"{totals[key]:,} value(s)/row(s) {key.replace('_', ' ')} "
                            "by the stream's repair rules")
    if rejected_rows:
        messages.append(f"{rejected_rows:,} row(s) in rejected batches were not scored "
                        "(score 0, is_anomaly False)")
    rows = repaired.pop(_ROW).to_numpy()
    return ValidatedTable(repaired, rows, totals, messages)


def score_table(
    frame: pd.DataFrame, kpis: list[str], detector, *, progress: bool = False
) -> tuple[pd.DataFrame, ValidatedTable]:
    """Every input row plus ``score``, ``is_anomaly``, ``top_kpi`` and ``alert_score``."""
    validated = validate_table(frame, kpis, progress=progress)
    scores = detector.score_stream(validated.frame)
    out = frame.copy()
    score = np.zeros(len(frame))
    flags = np.zeros(len(frame), dtype=bool)
    top = np.full(len(frame), "", dtype=object)
    score[validated.rows] = scores.score
    flags[validated.rows] = scores.is_anomaly
    top[validated.rows] = scores.top_kpi
    out[schema.SCORE] = score
    out[schema.IS_ANOMALY] = flags
    out[schema.TOP_KPI] = top
    alert = np.zeros(len(frame))
    alert[validated.rows] = alert_scores(
        validated.frame[schema.TIMESTAMP], validated.frame[schema.SECTOR],
        scores.score, scores.is_anomaly)
    out[schema.ALERT_SCORE] = alert
    return out, validated


def alert_scores(
    timestamps: pd.Series | np.ndarray,
    sector_ids: pd.Series | np.ndarray,
    score: np.ndarray,
    flags: np.ndarray,
    *,
    close_after: int = 3,
    open_after: int = 1,
) -> np.ndarray:
    """Each row's alert score: what the live episode tracker would have raised on it.

    Rows go through an :class:`~telecom_nb.pipeline.episodes.EpisodeTracker` in time
    order, one tick per timestamp. A row carries its episode's peak score when it opens
    an episode or raises the open episode's peak, 0 otherwise: a consumer that
    thresholds alert scores is told once per episode, not once per anomalous row.
    """
    from telecom_nb.pipeline.episodes import EpisodeTracker

    n = len(score)
    ns = pd.DatetimeIndex(pd.Series(timestamps)).asi8
    order = np.argsort(ns, kind="stable")
    tracker = EpisodeTracker(open_after=open_after, close_after=close_after, kpis=())
    pos = tracker.index.positions(np.asarray(sector_ids, dtype=object)[order])
    flag = np.asarray(flags, dtype=bool)[order]
    value = np.asarray(score, dtype=np.float64)[order]
    ns = ns[order]
    out = np.zeros(n)
    bounds = np.flatnonzero(np.diff(ns)) + 1
    for a, b in itertools.pairwise([0, *bounds.tolist(), n]):
        # one row per sector per tick: a duplicated sector keeps its first row
        p, first = np.unique(pos[a:b], return_index=True)
        _, alert = tracker.advance(p, flag[a:b][first], value[a:b][first], int(ns[a]))
        out[order[a + first]] = alert
    return out
