"""The replay fast path of :class:`WindowedDetector`: a whole table, learning as it goes.

Equivalent to ``for b in batches: s = score(b); job = learn(b); job and job.run_sync()``
(one batch per timestamp), but the model scores all rows between two retrains at once,
and one series (one sector, one row per timestamp) is also *featured* between two
retrains in one compiled pass (:class:`~telecom_nb.features.series_fast.SeriesPass`):
the retrain schedule is worked out ahead from the data clock (:func:`_next_due`), so
each stretch up to the next retrain is one call instead of one call per row.
"""

from __future__ import annotations

import itertools
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from telecom_nb.batching import progress as progress_bar
from telecom_nb.batching import run_bounds
from telecom_nb.detectors.base import Scores
from telecom_nb.detectors.explain import contributions_frame
from telecom_nb.detectors.window import SampleWindow
from telecom_nb.errors import KpiInputError
from telecom_nb.features.series_fast import SeriesPass
from telecom_nb.schema import TIMESTAMP

if TYPE_CHECKING:
    from telecom_nb.detectors.windowed import WindowedDetector

#: rows scored per call at most: scoring is row by row (the same numbers in any cut), and
#: a day of a 1,000-sector fleet between two retrains made ~10 temporary copies of 96k rows
SCORE_ROWS = 32_768


def score_stream(
    det: WindowedDetector,
    table: pd.DataFrame,
    progress: bool = False,
    explain_from: float | None = None,
) -> Scores:
    """Score a whole table as batches of one timestamp each (see the module docstring);
    ``explain_from``: as ``WindowedDetector._score_features``'."""
    if TIMESTAMP not in table.columns:
        raise KpiInputError(f"column '{TIMESTAMP}' missing")
    instants = pd.DatetimeIndex(table[TIMESTAMP]).asi8
    order = None  # in time order already (a replay's validated piece): no copy of it
    if not (instants[1:] >= instants[:-1]).all():
        order = np.argsort(instants, kind="stable")
    ordered = table if order is None else table.iloc[order]
    whole = det.features_.view(ordered)
    det.features_._last = None
    det.features_.prepare_view(whole)  # per-row arrays once; every slice carries them
    bounds = run_bounds(whole.timestamps.asi8)
    series = SeriesPass.of(det.features_, whole)
    parts: list[Scores] = []
    segment: list[np.ndarray] = []
    routine: list[np.ndarray | None] = []  # each segment piece's routine flags
    silence: list[np.ndarray | None] = []  # and its zero-run readings (silence_part.py)
    zeros: list[np.ndarray | None] = []  # and its exact-zero states (zero_part.py)
    pending = [0]  # rows in segment

    def flush() -> None:
        pending[0] = 0
        if segment:
            x = np.vstack(segment)
            flags = _joined(segment, routine, bool)
            quiet = _joined(segment, silence, np.float64)
            states = _joined(segment, zeros, bool)
            parts.append(
                det._score_features(
                    x,
                    pd.RangeIndex(len(x)),
                    routine=flags,
                    silence=quiet,
                    explain_from=explain_from,
                    zeros=states,
                )
            )
            segment.clear()
            routine.clear()
            silence.clear()
            zeros.clear()

    pairs = progress_bar(
        itertools.pairwise(bounds),
        desc=f"{det.name} replay",
        total=len(bounds) - 1,
        enabled=progress,
        unit="tick",
    )
    for a, b in pairs:
        if series is not None and SeriesPass.ready(det.features_):
            break  # the rest goes stretch by stretch below
        view = whole.slice(a, b)
        x = det._adjust(det.features_.transform_view(view))
        segment.append(x)
        routine.append(det._routine_view(view, x, update=False))  # as score() says
        silence.append(det._silence_view(view, update=False))
        zeros.append(det._zero_view(view))
        pending[0] += len(x)
        job = det._learn_view(view, x)
        if job is not None or pending[0] >= SCORE_ROWS:
            flush()
        if job is not None:
            job.run_sync()
    else:
        a = len(whole)
    while a < len(whole):  # one row per batch from here on (SeriesPass.of checked)
        due = _next_due(det, whole, a)
        ready = None  # the row after which the window first holds enough rows (_due's note)
        if det.ready_time_ is None and det._fitted is None:
            ready = _next_due(det, whole, a, warm=False)
        stop = len(whole) if due is None else due + 1
        x = det._adjust(series.run(a, stop))
        if hasattr(pairs, "update"):  # a progress bar: one tick per row
            pairs.update(stop - a)
        segment.append(x)
        flags, quiet = _learned(det, whole, x, a)
        if ready is not None and ready < stop:
            det.ready_time_ = whole.timestamps[ready]
        routine.append(flags)
        silence.append(quiet)
        zeros.append(det._zero_flags(whole.raw[a:stop], series.usual))
        # the loop's own question at the row: before the first model, whether the window
        # now holds enough warm rows (_next_due's row is only the first that may)
        if due is not None and det._due(whole.timestamps[due]):
            flush()
            det._make_job(whole.timestamps[due]).run_sync()
        a = stop
    flush()
    return _reorder(parts, order, table.index, det.kpis_)


def _joined(
    segment: list[np.ndarray], pieces: list[np.ndarray | None], dtype: type
) -> np.ndarray | None:
    """The segment's per-row ``pieces`` in one array (a piece's None: zeros); None: all."""
    if all(p is None for p in pieces):
        return None
    return np.concatenate(
        [
            np.zeros(len(s), dtype=dtype) if p is None else p
            for s, p in zip(segment, pieces, strict=True)
        ]
    )


def _learned(
    det: WindowedDetector, whole, x: np.ndarray, a: int
) -> tuple[np.ndarray | None, np.ndarray | None]:
    """The bookkeeping of ``_learn_view`` for rows ``a:a+len(x)``, one per batch; returns
    the rows' routine flags and zero-run readings (scored, then learned, row by row)."""
    row = int(det.features_.rows(whole.slice(a, a + 1))[0])
    pos = np.full(len(x), row, dtype=np.int64)
    ns, raw = whole.ns()[a : a + len(x)], whole.raw[a : a + len(x)]
    flags = det._routine_flags(pos, ns, x, raw, True)
    det._note_births(raw, ns)
    quiet = det._silence_flags(pos, ns, raw, True)
    skip = max(0, det.warmup_batches // 2 - det.batches_seen_)  # features still cold
    if skip < len(x):
        if det._window is None:
            det._window = SampleWindow(det.window_size, x.shape[1])
        elif det._window.capacity != det.window_size:
            det._window = det._window.resized(det.window_size)
        det._window.append(x[skip:])
    if det.keeps_previous:  # each kept row's predecessor: the row before it
        det._previous.remember_series(row, x, skip, det.window_size)
    det._cache = None
    det.batches_seen_ += len(x)
    if det.first_time_ is None:
        det.first_time_ = whole.timestamps[a]
    return flags, quiet


def _next_due(
    det: WindowedDetector, whole, a: int, chunk: int = 1024, warm: bool = True
) -> int | None:
    """The first row from ``a`` after whose learning ``_due`` may hold (one row per batch):
    it does there, except before the first model, which also waits for ``need`` warm rows
    (``RetrainTiming._may_fit``): a row's warmth is known once it is featured, so the row
    returned is the first at which the window could hold them (each row kept adds one at
    most) and the caller asks ``_due`` there; if not yet, the next call looks again from
    the rows learned meanwhile. ``warm`` False: the first row where the window's size
    alone suffices (``RetrainTiming.ready_time_``).

    Looked for ``chunk`` rows at a time, doubling: the next retrain is usually within a
    week of rows, and a test over all the rows left (a 250k-row piece) per stretch made
    the replay quadratic (~0.9 us a row at 100k rows, most of it past the hit)."""
    n = len(whole) - a
    skip = max(0, det.warmup_batches // 2 - det.batches_seen_)
    held = 0 if det._window is None else len(det._window)
    need = min(det.min_fit_rows, det.window_size)
    short = 0 if det._fitted is not None or not warm else need - det._warm_rows()
    gap = None
    if det._last_attempt is not None and not getattr(det, "_refit_due", False):
        first = det._schedule_start() if det.first_time_ is not None else whole.timestamps[a]
        gap = (whole.ns(), det._last_attempt.as_unit("ns").value, det._retrain_gap(first).value)
    lo = 0
    while lo < n:
        hi = min(n, lo + chunk)
        t = np.arange(lo, hi)
        kept = np.clip(t + 1 - skip, 0, None)
        size = np.minimum(det.window_size, held + kept)
        ok = (size >= need) & (kept >= short) & (det.batches_seen_ + t + 1 >= det.warmup_batches)
        if gap is not None:
            ns, last, interval = gap
            ok &= ns[a + lo : a + hi] - last >= interval
        hit = np.flatnonzero(ok)
        if len(hit):
            return a + lo + int(hit[0])
        lo, chunk = hi, 2 * chunk
    return None


def _reorder(
    parts: list[Scores], order: np.ndarray | None, index: pd.Index, kpis: tuple[str, ...]
) -> Scores:
    """Concatenate per-segment scores and put rows back in the table's order (``None``:
    they are in it)."""
    if not parts:
        return Scores.empty(0)
    inverse = slice(None)
    if order is not None:
        inverse = np.empty_like(order)
        inverse[order] = np.arange(len(order))
    score = np.concatenate([p.score for p in parts])[inverse]
    flagged = top = None
    if parts[0].is_anomaly is not None:  # a detector decides always or never
        flagged = np.concatenate([p.is_anomaly for p in parts])[inverse]
        top = np.concatenate([p.top_kpi for p in parts])[inverse]
    contrib = np.vstack([p.contributions.to_numpy() for p in parts])[inverse]
    routine = None
    if any(p.routine is not None for p in parts):
        routine = np.concatenate(
            [np.zeros(len(p.score), dtype=bool) if p.routine is None else p.routine for p in parts]
        )[inverse]
    return Scores(score, flagged, top, contributions_frame(contrib, kpis, index), routine)
