"""Scoring a whole recorded table through the same :class:`Tick` as a live stream.

A table is cut into one batch per timestamp (time order; input order within a time) and
every batch goes through the stream's validator, detector and alarm chain: the scores a
replay gives are the scores the live monitor would have given. Two paths, one contract:

* ``per_batch``: ``Tick.run`` batch after batch, retrains in line: the reference;
* the fast path (default, for detectors with ``score_stream``): the batches are validated
  as live, the detector scores every row between two retrains in one call, and the alarm
  chain thresholds the whole table at once and advances its episodes per timestamp.
  ``tests/test_engine_replay.py`` proves both give the same columns.

Every input row comes back (input order) with the scored columns; a row that was not
scored (a rejected batch, a duplicate, no sector id) has score 0 and is counted by reason.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from telecom_nb import schema
from telecom_nb.alarms.chain import AlarmChain, str_column
from telecom_nb.batching import progress as progress_bar
from telecom_nb.batching import timestamp_bounds
from telecom_nb.detectors.base import Detector
from telecom_nb.engine.retrain import run_retrain_now
from telecom_nb.engine.scored import Counters
from telecom_nb.engine.tick import Tick
from telecom_nb.errors import KpiInputError
from telecom_nb.sources.validation import BatchValidator

_ROW = "__row__"  # carries each row's input position through validation
#: the fast path takes a long table in time pieces of about this many rows: the stream
#: carries over (the same scores), and the per-row arrays of validation and features
#: exist for one piece at a time (a 1M-row replay peaked ~300 MB higher in one piece)
PIECE_ROWS = 250_000
#: what an unscored row carries in each scored column
UNSCORED = {schema.SCORE: 0.0, schema.IS_ANOMALY: False, schema.TOP_KPI: "",
            schema.ALERT_SCORE: 0.0, schema.STATE: ""}


@dataclass
class ReplayResult:
    frame: pd.DataFrame  # every input row, input order, plus the scored columns
    counters: Counters
    messages: list[str] = field(default_factory=list)
    engine: Tick | None = None  # the tick after the replay (its detector, alarms, index)


def replay(table: pd.DataFrame, detector: Detector, kpis: Sequence[str], *,
           alarms: AlarmChain | None = None, per_batch: bool = False,
           progress: bool = False, validator: BatchValidator | None = None) -> ReplayResult:
    """Score every row of ``table`` (KPI schema) as a live stream would, no look-ahead.

    Passing the ``detector``, ``alarms`` and ``validator`` of a previous call continues that
    stream: a table replayed in time-ordered pieces scores as if replayed whole.
    """
    if schema.TIMESTAMP not in table.columns:
        raise KpiInputError(f"column '{schema.TIMESTAMP}' missing")
    kpis = list(kpis)
    if "kpis" in detector.param_names() and not getattr(detector, "kpis", None):
        detector.set_params(kpis=kpis)  # a tag column must never be taken for a KPI
    engine = Tick(detector, kpis, alarms=alarms, validator=validator)
    tagged = table.assign(**{_ROW: np.arange(len(table))})
    order = np.argsort(pd.DatetimeIndex(tagged[schema.TIMESTAMP]).asi8, kind="stable")
    tagged = tagged.iloc[order]
    bounds = timestamp_bounds(tagged)
    fast = not per_batch and hasattr(detector, "score_stream")
    if fast:
        scored = _in_pieces(engine, tagged, bounds, progress)
    else:
        batches = (tagged.iloc[a:b] for a, b in itertools.pairwise(bounds.tolist()))
        batches = progress_bar(batches, desc="replay", total=len(bounds) - 1,
                               enabled=progress, unit="tick")
        scored = _per_batch(engine, batches)
    out = table.copy(deep=False)  # copy-on-write: the caller's table stays as it was
    rows = None if scored is None else scored[_ROW].to_numpy()
    for column, empty in UNSCORED.items():
        strings = (_scattered_str(None if rows is None else scored[column], rows, len(table),
                                  empty) if isinstance(empty, str) else None)
        if strings is not None:
            out[column] = strings
            continue
        values = np.full(len(table), empty, dtype=object if isinstance(empty, str) else None)
        if rows is not None:
            values[rows] = _few_objects(scored[column])
        out[column] = values
    out[schema.IS_ANOMALY] = out[schema.IS_ANOMALY].astype(bool)
    return ReplayResult(out, engine.counters, _messages(engine.counters), engine)


def _scattered_str(column: pd.Series | None, rows: np.ndarray | None, n: int, empty: str):
    """A string column of ``n`` rows: ``column``'s strings at ``rows``, ``empty``
    elsewhere, taken in Arrow from its few distinct strings (the ``str`` column pandas
    would infer from the objects, without a million Python strings: ~0.15 s CPU per
    column per million rows). None where it does not apply (no rows; not strings)."""
    codes, uniques = (np.zeros(0, dtype=np.intp), []) if column is None else pd.factorize(column)
    labels = [*uniques, empty]
    if not n or not all(isinstance(label, str) for label in labels):
        return None
    full = np.full(n, len(labels) - 1, dtype=np.int64)
    if rows is not None:
        full[rows] = codes
    missing = full < 0  # a missing string stays missing (NaN), as the objects had it
    return str_column(labels, np.where(missing, 0, full), missing if missing.any() else None)


def _few_objects(column: pd.Series) -> np.ndarray:
    """The column as numpy; a string column (a few KPI names, states) as references to its
    few distinct strings, not a new Python string per row (~60 MB per million rows)."""
    if column.dtype == object or pd.api.types.is_string_dtype(column.dtype):
        codes, uniques = pd.factorize(column, use_na_sentinel=False)
        return np.asarray(uniques, dtype=object)[codes]
    return column.to_numpy()


def _per_batch(engine: Tick, batches) -> pd.DataFrame | None:
    """The reference path: every batch through ``Tick.run``, retrains in line."""
    frames = []
    for batch in batches:
        try:
            scored, job = engine.run(batch)
        except KpiInputError:
            continue  # counted by the tick under its reason
        frames.append(scored.frame)
        run_retrain_now(job, engine.counters)
    return pd.concat(frames, ignore_index=True) if frames else None


def _in_pieces(engine: Tick, tagged: pd.DataFrame, bounds: np.ndarray,
               progress: bool) -> pd.DataFrame | None:
    """:func:`_fast` on time pieces of about :data:`PIECE_ROWS` rows (whole timestamps);
    only each row's position and scored columns are kept between pieces."""
    cuts = np.searchsorted(bounds, np.arange(0, bounds[-1], PIECE_ROWS))
    edges = np.unique(np.append(bounds[cuts], bounds[-1])).tolist()  # whole timestamps
    if len(edges) <= 2:
        return _fast(engine, tagged, bounds, progress)
    bar = progress_bar(None, desc=f"{engine.detector.name} replay", total=int(bounds[-1]),
                       enabled=progress, unit="row")
    parts = []
    for a, b in itertools.pairwise(edges):
        piece = bounds[(bounds >= a) & (bounds <= b)] - a
        scored = _fast(engine, tagged.iloc[a:b], piece, progress=False)
        if scored is not None:
            parts.append(scored[[_ROW, *UNSCORED]])
        if hasattr(bar, "update"):
            bar.update(b - a)
    if hasattr(bar, "close"):
        bar.close()
    return pd.concat(parts, ignore_index=True) if parts else None


def _fast(engine: Tick, tagged: pd.DataFrame, bounds: np.ndarray,
          progress: bool) -> pd.DataFrame | None:
    """Validate the table at once (as batch by batch), score between retrains in one
    call, alarm the whole table."""
    checked = engine.validator.validate_table(tagged, bounds)
    engine.counters.batches_rejected.update(checked.rejected)
    engine.counters.rows_rejected += checked.rows_rejected
    if checked.frame is None:
        return None
    engine.counters.add(Counters.of_report(checked.report, checked.batches))
    frame = checked.frame
    detector = engine.detector
    version, failures = detector.model_version_, detector.retrain_failures_
    scores = detector.score_stream(frame.drop(columns=[_ROW]), progress=progress)
    engine.counters.retrains_done += detector.model_version_ - version
    engine.counters.retrains_failed += detector.retrain_failures_ - failures
    engine.tick += checked.batches
    engine.timestamp = pd.Timestamp(frame[schema.TIMESTAMP].iloc[-1])
    return engine.alarms.apply_table(frame, scores)


def _messages(counters: Counters) -> list[str]:
    """What a person should know about the rows (one line each)."""
    out = []
    for name, what in (("values_blank", "missing/infinite KPI value(s) kept blank (no "
                                        "evidence for the detector)"),
                       ("values_clipped", "out-of-range KPI value(s) clipped"),
                       ("values_coerced", "non-numeric KPI value(s) read as missing")):
        if getattr(counters, name):
            out.append(f"{getattr(counters, name):,} {what} by the stream's rules")
    for reason, n in sorted(counters.rows_dropped.items()):
        out.append(f"{n:,} row(s) not scored: {reason}")
    if counters.rows_rejected:
        reasons = ", ".join(f"{r} x{n}" for r, n in sorted(counters.batches_rejected.items()))
        out.append(f"{counters.rows_rejected:,} row(s) in rejected batches were not scored "
                   f"(score 0, is_anomaly False): {reasons}")
    return out
