"""NAB v1.0 over a corpus: one threshold for every file, normalised against the null detector.

The per-file rules (probation, windows, sigmoid credit) are in :mod:`.nab`; this module
adds what only makes sense over many files: the null and perfect scores, normalisation,
and the exact threshold sweep (every distinct score, sorted once, cumulative sums).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from telecom_nb.errors import KpiInputError
from telecom_nb.evaluation.nab import (
    FileLayout,
    FileScore,
    Profile,
    ProfileLike,
    Window,
    as_ns,
    as_profile,
    file_layout,
    score_layout,
)


@dataclass(frozen=True)
class CorpusScore:
    """NAB score of a detector over a corpus at one threshold, for one profile."""

    profile: str
    threshold: float
    raw: float
    null: float
    perfect: float
    normalized: float
    per_file: dict[str, FileScore] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return {
            "profile": self.profile,
            "threshold": self.threshold,
            "raw": self.raw,
            "null": self.null,
            "perfect": self.perfect,
            "normalized": self.normalized,
            "per_file": {k: v.as_dict() for k, v in self.per_file.items()},
        }


def normalize(raw: float, null: float, perfect: float) -> float:
    """NAB's ``100 * (raw - null) / (perfect - null)``: 0 = null detector, 100 = perfect."""
    if perfect == null:
        raise KpiInputError("cannot normalise: the perfect and null scores are equal (no windows)")
    return 100.0 * (raw - null) / (perfect - null)


def _file_series(
    path: str, values: Any, timestamps: Mapping[str, Any] | None
) -> tuple[np.ndarray, np.ndarray]:
    """(timestamps, anomaly scores) from a Series indexed by time, a NAB results frame,
    or an array plus ``timestamps[path]``."""
    if timestamps is not None and path in timestamps:
        ts, scores = timestamps[path], values
    elif isinstance(values, pd.Series) and isinstance(values.index, pd.DatetimeIndex):
        ts, scores = values.index, values.to_numpy()
    elif isinstance(values, pd.DataFrame) and {"timestamp", "anomaly_score"} <= set(values):
        ts, scores = values["timestamp"], values["anomaly_score"].to_numpy()
    else:
        raise KpiInputError(
            f"{path}: give anomaly scores as a Series indexed by timestamp, a frame with "
            f"'timestamp' and 'anomaly_score', or pass timestamps={{{path!r}: ...}}"
        )
    arr = np.asarray(scores, dtype=float)
    if len(arr) != len(ts):
        raise KpiInputError(f"{path}: {len(arr)} anomaly scores for {len(ts)} timestamps")
    if not np.isfinite(arr).all():
        row = int(np.flatnonzero(~np.isfinite(arr))[0])
        raise KpiInputError(f"{path}: anomaly score at row {row} is not finite ({arr[row]})")
    return as_ns(ts), arr


def _windows_for(path: str, windows: Mapping[str, list[Window]]) -> list[Window]:
    if path not in windows:
        raise KpiInputError(f"{path}: no label entry in the windows file")
    return windows[path]


def _prepare(
    per_file_scores: Mapping[str, Any],
    windows: Mapping[str, list[Window]],
    profile: Profile,
    timestamps: Mapping[str, Any] | None,
) -> dict[str, tuple[FileLayout, np.ndarray]]:
    if not per_file_scores:
        raise KpiInputError("no files to score")
    out = {}
    for path, values in per_file_scores.items():
        ts, scores = _file_series(path, values, timestamps)
        out[path] = (file_layout(ts, _windows_for(path, windows), profile), scores)
    return out


def _null_score(prepared: dict[str, tuple[FileLayout, np.ndarray]], profile: Profile) -> float:
    """NAB's null detector: one constant score, thresholded optimally (nothing or all flagged)."""
    nothing = sum(score_layout(lay, np.zeros(lay.n_rows, bool), profile).score
                  for lay, _ in prepared.values())
    everything = sum(score_layout(lay, np.ones(lay.n_rows, bool), profile).score
                     for lay, _ in prepared.values())
    return max(nothing, everything)


def _corpus_at(
    prepared: dict[str, tuple[FileLayout, np.ndarray]], profile: Profile, threshold: float
) -> CorpusScore:
    per_file = {
        path: score_layout(lay, scores >= threshold, profile)
        for path, (lay, scores) in prepared.items()
    }
    raw = float(sum(f.score for f in per_file.values()))
    null = _null_score(prepared, profile)
    perfect = profile.tp_weight * sum(lay.n_windows for lay, _ in prepared.values())
    return CorpusScore(
        profile=profile.name,
        threshold=float(threshold),
        raw=raw,
        null=float(null),
        perfect=float(perfect),
        normalized=normalize(raw, null, perfect),
        per_file=per_file,
    )


def score_corpus(
    per_file_scores: Mapping[str, Any],
    windows: Mapping[str, list[Window]],
    profile: ProfileLike,
    threshold: float,
    *,
    timestamps: Mapping[str, Any] | None = None,
) -> CorpusScore:
    """NAB score of anomaly scores (any reals, higher = more anomalous) at one threshold.

    ``per_file_scores[path]`` is a Series indexed by timestamp, a NAB results frame
    (``timestamp``, ``anomaly_score``), or an array with ``timestamps[path]`` given.
    A row is a detection when its anomaly score is ``>= threshold``.
    """
    prof = as_profile(profile)
    return _corpus_at(_prepare(per_file_scores, windows, prof, timestamps), prof, threshold)


def sweep_thresholds(
    prepared: dict[str, tuple[FileLayout, np.ndarray]], profile: Profile
) -> tuple[np.ndarray, np.ndarray]:
    """Raw corpus score at every distinct threshold, highest threshold first.

    The first entry is "nothing flagged" (threshold above every score). Exact: one sort
    of all scored rows, then a cumulative sum of FP costs and of each window's gain
    when its best (earliest) detection improves.
    """
    scores, sweep, window, base = [], [], [], 0.0
    offset = 0
    for lay, sc in prepared.values():
        keep = lay.scored
        scores.append(sc[keep])
        sweep.append(lay.sweep[keep])
        w = lay.window[keep]
        window.append(np.where(w >= 0, w + offset, -1))
        offset += lay.n_windows
        base -= profile.fn_weight * len(lay.scorable_windows)
    s = np.concatenate(scores)
    v = np.concatenate(sweep)
    w = np.concatenate(window)
    top = float(s.max()) if len(s) else 1.0
    none_threshold = max(1.1, float(np.nextafter(top, np.inf)))
    if not len(s):
        return np.array([none_threshold]), np.array([base])

    order = np.argsort(-s, kind="stable")
    s, v, w = s[order], v[order], w[order]
    gain = np.where(w < 0, v, 0.0)
    in_win = w >= 0
    if in_win.any():
        frame = pd.DataFrame({"w": w[in_win], "v": v[in_win]})
        best = frame.groupby("w", sort=False)["v"].cummax()
        before = best.groupby(frame["w"], sort=False).shift(1).fillna(-profile.fn_weight)
        gain[in_win] = (best - before).to_numpy()
    total = base + np.cumsum(gain)
    last_of_run = np.r_[s[1:] != s[:-1], True]
    thresholds = np.r_[none_threshold, s[last_of_run]]
    totals = np.r_[base, total[last_of_run]]
    return thresholds, totals


def optimize_threshold(
    per_file_scores: Mapping[str, Any],
    windows: Mapping[str, list[Window]],
    profile: ProfileLike,
    *,
    timestamps: Mapping[str, Any] | None = None,
) -> CorpusScore:
    """The corpus score at the threshold that maximises it (NAB's optimiser, exactly)."""
    prof = as_profile(profile)
    prepared = _prepare(per_file_scores, windows, prof, timestamps)
    thresholds, totals = sweep_thresholds(prepared, prof)
    best = int(np.argmax(totals))  # first maximum = highest threshold among ties, as NAB
    return _corpus_at(prepared, prof, float(thresholds[best]))
