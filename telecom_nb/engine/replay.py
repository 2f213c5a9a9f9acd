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

import inspect
import itertools
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from telecom_nb import schema
from telecom_nb.alarms.chain import AlarmChain, str_column
from telecom_nb.batching import progress as progress_bar
from telecom_nb.batching import run_bounds
from telecom_nb.detectors.base import Detector
from telecom_nb.engine.compact_columns import expand
from telecom_nb.engine.retrain import run_retrain_now
from telecom_nb.engine.scored import Counters
from telecom_nb.engine.tick import Tick
from telecom_nb.errors import KpiInputError
from telecom_nb.heap_trim import release_freed_memory, release_new_compiler_code
from telecom_nb.sources.validation import BatchValidator

_ROW = "__row__"  # carries each row's input position through validation
#: the fast path takes a long table in time pieces of at most this many rows: the stream
#: carries over (the same scores), and the per-row arrays of validation and features
#: exist for one piece at a time (a 1M-row replay peaked ~300 MB higher in one piece)
PIECE_ROWS = 250_000
#: ... and of about a fortieth of the table, but no fewer rows than this: a piece's
#: working set (~1 kB a row, and the heap's free space it leaves) sized to the table, so
#: a 2M-row replay's peak is ~100 MB lower than in 250k pieces at the same CPU (25k
#: pieces: ~5 MB less again for ~1 s more CPU)
PIECE_SHARE, MIN_PIECE_ROWS = 40, 50_000
#: what an unscored row carries in each scored column
UNSCORED = {
    schema.SCORE: 0.0,
    schema.IS_ANOMALY: False,
    schema.TOP_KPI: "",
    schema.ALERT_SCORE: 0.0,
    schema.STATE: "",
}


def with_local_time(frame: pd.DataFrame, timezone: str) -> pd.DataFrame:
    """``frame`` with :data:`~telecom_nb.schema.LOCAL_TIME` (``timezone``'s wall clock, its
    offset kept) right after ``timestamp``: the scored table every whole-table run writes
    (``detect``, a backtest's partition, bench's replay child)."""
    out = frame.drop(columns=[schema.LOCAL_TIME], errors="ignore")
    out.insert(out.columns.get_loc(schema.TIMESTAMP) + 1, schema.LOCAL_TIME,
               out[schema.TIMESTAMP].dt.tz_convert(timezone))
    return out


@dataclass
class ReplayResult:
    frame: pd.DataFrame  # every input row, input order, plus the scored columns
    counters: Counters
    messages: list[str] = field(default_factory=list)
    engine: Tick | None = None  # the tick after the replay (its detector, alarms, index)


def replay(
    table: pd.DataFrame,
    detector: Detector,
    kpis: Sequence[str],
    *,
    alarms: AlarmChain | None = None,
    per_batch: bool = False,
    progress: bool = False,
    validator: BatchValidator | None = None,
) -> ReplayResult:
    """Score every row of ``table`` (KPI schema) as a live stream would, no look-ahead.

    Passing the ``detector``, ``alarms`` and ``validator`` of a previous call continues that
    stream: a table replayed in time-ordered pieces scores as if replayed whole. A string
    column held as codes (:func:`~telecom_nb.engine.compact_columns.compact`) is scored as
    its strings, a piece at a time; the result keeps it as given.
    """
    if schema.TIMESTAMP not in table.columns:
        raise KpiInputError(f"column '{schema.TIMESTAMP}' missing")
    kpis = list(kpis)
    if "kpis" in detector.param_names() and not getattr(detector, "kpis", None):
        detector.set_params(kpis=kpis)  # a tag column must never be taken for a KPI
    engine = Tick(detector, kpis, alarms=alarms, validator=validator)
    instants = pd.DatetimeIndex(table[schema.TIMESTAMP]).asi8
    order = None  # in time order (load_source sorts a table): no whole-table copy
    if not _sorted(instants):
        order = np.argsort(instants, kind="stable")
    bounds = (
        run_bounds(instants if order is None else instants[order])
        if len(table)
        else np.zeros(1, dtype=np.int64)
    )
    del instants
    out = table.copy(deep=False)  # copy-on-write: the caller's table stays as it was
    if not per_batch and hasattr(detector, "score_stream"):
        scored = _Scattered(len(table))
        _in_pieces(engine, table, order, bounds, progress, scored)
        release_freed_memory()  # the last piece's freed temporaries, before the columns
        scored.into(out)
        return ReplayResult(out, engine.counters, _messages(engine.counters), engine)
    tagged = expand(table).assign(**{_ROW: np.arange(len(table))})
    if order is not None:
        tagged = tagged.iloc[order]
    batches = (tagged.iloc[a:b] for a, b in itertools.pairwise(bounds.tolist()))
    batches = progress_bar(
        batches, desc="replay", total=len(bounds) - 1, enabled=progress, unit="tick"
    )
    frame = _per_batch(engine, batches)
    rows = None if frame is None else frame[_ROW].to_numpy()
    for column, empty in UNSCORED.items():
        strings = (
            _scattered_str(None if rows is None else frame[column], rows, len(table), empty)
            if isinstance(empty, str)
            else None
        )
        if strings is not None:
            out[column] = strings
            continue
        values = np.full(len(table), empty, dtype=object if isinstance(empty, str) else None)
        if rows is not None:
            values[rows] = _few_objects(frame[column])
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


def _in_pieces(
    engine: Tick,
    table: pd.DataFrame,
    order: np.ndarray | None,
    bounds: np.ndarray,
    progress: bool,
    scored: _Scattered,
) -> None:
    """:func:`_fast` on time pieces of about :func:`piece_rows` rows (whole timestamps),
    each taken from ``table`` on its own (rows ``order[a:b]``; ``None``: already in time
    order, a slice) and scattered into ``scored`` at once: no whole-table copy, no list
    of scored pieces (a 1M-row replay held ~2x the table in them)."""
    n = int(bounds[-1])
    cuts = np.searchsorted(bounds, np.arange(0, n, piece_rows(n)))
    edges = np.unique(np.append(bounds[cuts], n)).tolist()  # whole timestamps
    spans = [(0, n)] if len(edges) <= 2 else list(itertools.pairwise(edges))
    bar = (
        None
        if len(spans) == 1
        else progress_bar(
            None, desc=f"{engine.detector.name} replay", total=n, enabled=progress, unit="row"
        )
    )
    for a, b in spans:
        rows = np.arange(a, b) if order is None else order[a:b]
        piece = expand(table.iloc[a:b] if order is None else table.iloc[rows])
        frame = _fast(
            engine,
            piece.assign(**{_ROW: rows}),
            bounds[(bounds >= a) & (bounds <= b)] - a,
            progress=bar is None and progress,
        )
        if frame is not None:
            scored.add(frame)
        frame = None
        release_new_compiler_code()  # LLVM's pages, mapped while this piece's kernels
        # loaded (after the first piece, only when a retrain loaded another kernel)
        if hasattr(bar, "update"):
            bar.update(b - a)
    if hasattr(bar, "close"):
        bar.close()


def piece_rows(n: int) -> int:
    """Rows of a replay piece for a table of ``n`` rows: a fortieth of it, within
    [:data:`MIN_PIECE_ROWS`, :data:`PIECE_ROWS`] (:data:`PIECE_ROWS` when that is less)."""
    return min(PIECE_ROWS, max(MIN_PIECE_ROWS, n // PIECE_SHARE))


class _Scattered:
    """Every input row's scored columns, filled piece by piece at the rows' input
    positions: numbers in place, strings as codes into the few distinct strings (top KPI,
    state), made a ``str`` column once at the end as :func:`_scattered_str` does."""

    _EMPTY, _NA = -1, -2  # not scored (the column's empty string); a missing string

    def __init__(self, n: int) -> None:
        self.n = n
        self.numbers = {c: np.full(n, e) for c, e in UNSCORED.items() if not isinstance(e, str)}
        # int8 until a column has more distinct strings (a few KPI names, states): 3 B a
        # row less per column than int32, held from the first piece to the write
        self.codes = {
            c: np.full(n, self._EMPTY, dtype=np.int8)
            for c, e in UNSCORED.items()
            if isinstance(e, str)
        }
        self.labels: dict[str, dict] = {c: {} for c in self.codes}
        self.na: dict[str, object] = {}  # a column's first missing value (object path)

    def add(self, frame: pd.DataFrame) -> None:
        """One scored piece (``_ROW``: each row's input position)."""
        rows = frame[_ROW].to_numpy()
        for column, values in self.numbers.items():
            values[rows] = frame[column].to_numpy()
        for column, codes in self.codes.items():
            piece, uniques = pd.factorize(frame[column])  # missing: -1
            labels = self.labels[column]
            known = [labels.setdefault(u, len(labels)) for u in uniques]  # a few strings
            if len(labels) > np.iinfo(codes.dtype).max:  # more strings than int8 holds
                codes = self.codes[column] = codes.astype(np.int32)
            codes[rows] = np.array([*known, self._NA], dtype=codes.dtype)[piece]
            if column not in self.na and (piece < 0).any():
                self.na[column] = frame[column].to_numpy()[np.argmax(piece < 0)]

    def into(self, out: pd.DataFrame) -> None:
        """The columns onto ``out`` (its own index), numbers without a copy."""
        for column, empty in UNSCORED.items():
            if column in self.numbers:
                values = self.numbers.pop(column)
                out[column] = pd.Series(values, index=out.index, copy=False)
                continue
            codes = self.codes.pop(column)
            labels = [*self.labels[column], empty]
            codes[codes == self._EMPTY] = len(labels) - 1
            missing = codes == self._NA
            if self.n and all(isinstance(label, str) for label in labels):
                codes[missing] = 0
                out[column] = str_column(labels, codes, missing if missing.any() else None)
            else:  # not strings (or no rows): the objects, as pandas infers their column
                objects = np.asarray([*labels, self.na.get(column)], dtype=object)
                out[column] = objects[np.where(missing, len(labels), codes)]


def _fast(
    engine: Tick, tagged: pd.DataFrame, bounds: np.ndarray, progress: bool
) -> pd.DataFrame | None:
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
    scores = detector.score_stream(
        frame.drop(columns=[_ROW]), progress=progress, **_explain_from(detector, engine.alarms)
    )
    engine.counters.retrains_done += detector.model_version_ - version
    engine.counters.retrains_failed += detector.retrain_failures_ - failures
    engine.tick += checked.batches
    engine.timestamp = pd.Timestamp(frame[schema.TIMESTAMP].iloc[-1])
    return engine.alarms.apply_table(frame, scores)


def _explain_from(detector: Detector, alarms: AlarmChain) -> dict[str, float]:
    """``explain_from=`` the alarm threshold, for a ``score_stream`` that takes it: the
    alarm stage reads contributions only for the rows its threshold flags (the top KPI),
    so the detector explains only those; another detector's stream scores as it does."""
    try:
        takes = "explain_from" in inspect.signature(detector.score_stream).parameters
    except (TypeError, ValueError):  # no signature to read
        takes = False
    return {"explain_from": alarms.threshold_value} if takes else {}


def _sorted(values: np.ndarray) -> bool:
    """Whether ``values`` never decrease (a stable argsort would give ``0..n-1``)."""
    return bool((values[1:] >= values[:-1]).all())


def _messages(counters: Counters) -> list[str]:
    """What a person should know about the rows (one line each)."""
    out = []
    for name, what in (
        # the table's blanks: the export's missing values and the KPIs of rows its validity
        # flags marked (the load report counts each of those rows, once)
        ("values_blank", "blank KPI value(s) (missing, infinite, or of a row flagged "
         "unreliable) read as no evidence for the detector"),
        ("values_clipped", "out-of-range KPI value(s) clipped"),
        ("values_coerced", "non-numeric KPI value(s) read as missing"),
    ):
        if getattr(counters, name):
            out.append(f"{getattr(counters, name):,} {what} by the stream's rules")
    for reason, n in sorted(counters.rows_dropped.items()):
        out.append(f"{n:,} row(s) not scored: {reason}")
    if counters.rows_rejected:
        reasons = ", ".join(f"{r} x{n}" for r, n in sorted(counters.batches_rejected.items()))
        out.append(
            f"{counters.rows_rejected:,} row(s) in rejected batches were not scored "
            f"(score 0, is_anomaly False): {reasons}"
        )
    return out
