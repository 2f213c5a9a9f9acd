"""Where a NAB score is lost: per file, false alarms vs late vs missed windows.

Analysis only (the score itself is :mod:`~telecom_nb.evaluation.nab`'s). At one
threshold, a perfect file earns ``tp_weight`` per window; what it loses splits exactly
into:

* ``fp``: the cost of every detection outside a window (NAB's sigmoid of the distance
  after the window before it, times ``fp_weight``);
* ``late``: for a detected window, ``tp_weight`` minus the value of its best detection
  (a detection at the window's end is worth ~0);
* ``missed``: ``tp_weight + fn_weight`` per scorable window with no detection.

So ``perfect - raw == fp + late + missed`` over the corpus: which of the three dominates
says whether false alarms, slowness or misses are to be worked on.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from telecom_nb.evaluation.nab import FileLayout, FileRows, Profile, Window, as_ns, as_profile
from telecom_nb.evaluation.nab_corpus import _prepare

COLUMNS = ("fp", "late", "missed", "n_fp", "n_missed", "windows")


def file_loss(layout: FileLayout, detections: np.ndarray, profile: Profile) -> dict[str, float]:
    """One file's loss (see the module docstring) for boolean ``detections`` per row."""
    det = np.asarray(detections, dtype=bool) & layout.scored
    inside = layout.window >= 0
    out_rows = det & ~inside
    late = missed = 0.0
    n_missed = 0
    scorable = layout.scorable_windows
    for w in scorable:  # a file's few windows
        hit = det & (layout.window == w)
        if hit.any():
            late += profile.tp_weight - float(layout.sweep[hit].max())
        else:
            missed += profile.tp_weight + profile.fn_weight
            n_missed += 1
    return {"fp": float(-layout.sweep[out_rows].sum()), "late": late, "missed": missed,
            "n_fp": int(out_rows.sum()), "n_missed": n_missed, "windows": len(scorable)}


def corpus_loss(per_file_scores: Mapping[str, Any], windows: Mapping[str, list[Window]],
                profile: Profile | str, threshold: float, *,
                timestamps: Mapping[str, Any] | None = None,
                rows: Mapping[str, FileRows] | None = None) -> pd.DataFrame:
    """Per file (rows, indexed by path) the loss at ``threshold`` (a row is a detection
    when its score is ``>= threshold``, as :func:`~telecom_nb.evaluation.nab_corpus.
    score_corpus`); inputs as ``score_corpus``'s (``rows``: the files' rows placed once,
    :func:`~telecom_nb.evaluation.nab_corpus.corpus_rows`)."""
    prof = as_profile(profile)
    prepared = _prepare(per_file_scores, windows, prof, timestamps, rows)
    losses = {path: file_loss(lay, scores >= threshold, prof)
              for path, (lay, scores) in prepared.items()}
    frame = pd.DataFrame.from_dict(losses, orient="index", columns=list(COLUMNS))
    frame["loss"] = frame["fp"] + frame["late"] + frame["missed"]
    return frame.sort_values("loss", ascending=False)


def _place(layout: FileLayout, ns: np.ndarray, rows: np.ndarray, young_ns: int) -> np.ndarray:
    """Where each false-alarm row sits: ``after`` (within one window width after a
    window's end), ``before`` (within one width before a window's start), ``young``
    (within ``young_ns`` of the file's first timestamp), ``gap`` (a step of more than 3
    usual steps among its last 3), else ``other``; the later in that list yields."""
    win = layout.window
    starts = np.flatnonzero((win >= 0) & (np.r_[-1, win[:-1]] != win))
    ends = np.flatnonzero((win >= 0) & (np.r_[win[1:], -1] != win))
    width = ends - starts + 1
    step = np.r_[0, np.diff(ns)]
    usual = float(np.median(step[1:])) if len(step) > 1 else 0.0
    recent = pd.Series(step).rolling(3, min_periods=1).max().to_numpy()
    out = np.full(len(rows), "other", dtype=object)
    out[(recent[rows] > 3 * usual) & (usual > 0)] = "gap"
    out[ns[rows] - ns[0] < young_ns] = "young"
    for s, w in zip(starts, width, strict=True):  # a file's few windows
        out[(rows < s) & (rows >= s - w)] = "before"
    for e, w in zip(ends, width, strict=True):
        out[(rows > e) & (rows <= e + w)] = "after"
    return out


def false_alarm_places(per_file_scores: Mapping[str, Any], windows: Mapping[str, list[Window]],
                       profile: Profile | str, threshold: float, *,
                       timestamps: Mapping[str, Any],
                       young: str = "4D",
                       rows: Mapping[str, FileRows] | None = None) -> pd.DataFrame:
    """One row per false alarm at ``threshold`` (file, row, its cost, its place: see
    :func:`_place`), for the question "where are the false alarms": after a window,
    before one, in a young file (just past NAB's probation), after a gap, elsewhere;
    ``rows``: the files' rows placed once (``nab_corpus.corpus_rows``)."""
    prof = as_profile(profile)
    prepared = _prepare(per_file_scores, windows, prof, timestamps, rows)
    young_ns = int(pd.Timedelta(young).value)
    parts = []
    for path, (lay, scores) in prepared.items():
        det = (scores >= threshold) & lay.scored & (lay.window < 0)
        alarms = np.flatnonzero(det)
        if not len(alarms):
            continue
        ns = as_ns(timestamps[path])
        parts.append(pd.DataFrame({"file": path, "row": alarms, "cost": -lay.sweep[alarms],
                                   "score": scores[alarms],
                                   "place": _place(lay, ns, alarms, young_ns)}))
    cols = ["file", "row", "cost", "score", "place"]
    return pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(columns=cols)


def window_detail(per_file_scores: Mapping[str, Any], windows: Mapping[str, list[Window]],
                  profile: Profile | str, threshold: float, *,
                  timestamps: Mapping[str, Any],
                  row_scores: Mapping[str, Any] | None = None,
                  rows: Mapping[str, FileRows] | None = None) -> pd.DataFrame:
    """One row per scorable window: found or not, its first detection's value and
    relative position (-1 = first row, 0 = last), the highest alert and (with
    ``row_scores``) row score inside it, and the file's highest alert outside its
    windows (a window whose peak is under that cannot be found without a false alarm);
    ``rows``: the files' rows placed once (``nab_corpus.corpus_rows``)."""
    prof = as_profile(profile)
    prepared = _prepare(per_file_scores, windows, prof, timestamps, rows)
    out = []
    for path, (lay, scores) in prepared.items():
        outside = lay.scored & (lay.window < 0)
        top_out = float(scores[outside].max()) if outside.any() else 0.0
        rs = None if row_scores is None else np.asarray(row_scores[path], dtype=float)
        for w in lay.scorable_windows:
            inside = np.flatnonzero(lay.window == w)
            hit = inside[scores[inside] >= threshold]
            first = int(hit[0]) if len(hit) else -1
            out.append({
                "file": path, "window": int(w), "rows": len(inside), "found": first >= 0,
                "value": float(lay.sweep[first]) if first >= 0 else 0.0,
                "at": (-(inside[-1] - first + 1) / len(inside)) if first >= 0 else np.nan,
                "peak_alert": float(scores[inside].max()),
                "peak_row": float(np.nanmax(rs[inside])) if rs is not None else np.nan,
                "peak_row_first_half": (
                    float(np.nanmax(rs[inside[: max(1, len(inside) // 2)]]))
                    if rs is not None else np.nan),
                "top_alert_outside": top_out,
            })
    return pd.DataFrame(out)
