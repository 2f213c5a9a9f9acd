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
    FileRows,
    FileScore,
    Profile,
    ProfileLike,
    Window,
    as_profile,
    file_rows,
    score_layout,
    weigh,
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


def _stamps(path: str, values: Any, timestamps: Mapping[str, Any] | None) -> Any:
    """A file's timestamps (as given): ``timestamps[path]``, the scores' time index,
    or a NAB results frame's ``timestamp`` column."""
    if timestamps is not None and path in timestamps:
        return timestamps[path]
    if isinstance(values, pd.Series) and isinstance(values.index, pd.DatetimeIndex):
        return values.index
    if isinstance(values, pd.DataFrame) and {"timestamp", "anomaly_score"} <= set(values):
        return values["timestamp"]
    raise KpiInputError(
        f"{path}: give anomaly scores as a Series indexed by timestamp, a frame with "
        f"'timestamp' and 'anomaly_score', or pass timestamps={{{path!r}: ...}}"
    )


def _scores(path: str, values: Any, n_rows: int, what: str) -> np.ndarray:
    """A file's anomaly scores as finite floats, one for each of its ``n_rows`` ``what``."""
    if isinstance(values, pd.DataFrame) and "anomaly_score" in values:
        values = values["anomaly_score"]
    arr = np.asarray(values, dtype=float)
    if len(arr) != n_rows:
        raise KpiInputError(f"{path}: {len(arr)} anomaly scores for {n_rows} {what}")
    if not np.isfinite(arr).all():
        row = int(np.flatnonzero(~np.isfinite(arr))[0])
        raise KpiInputError(f"{path}: anomaly score at row {row} is not finite ({arr[row]})")
    return arr


def _windows_for(path: str, windows: Mapping[str, list[Window]]) -> list[Window]:
    if path not in windows:
        raise KpiInputError(f"{path}: no label entry in the windows file")
    return windows[path]


def corpus_rows(
    per_file_scores: Mapping[str, Any],
    windows: Mapping[str, list[Window]],
    *,
    timestamps: Mapping[str, Any] | None = None,
) -> dict[str, FileRows]:
    """Each file's rows against its windows, for many scorings of the same files.

    What :func:`score_corpus` and :func:`optimize_threshold` would otherwise rebuild on
    every call (timestamps and window bounds converted, rows placed); pass it as their
    ``rows`` to score other profiles, thresholds or score streams of these timestamps.
    Inputs as ``score_corpus``'s.
    """
    if not per_file_scores:
        raise KpiInputError("no files to score")
    return {path: file_rows(_stamps(path, values, timestamps), _windows_for(path, windows))
            for path, values in per_file_scores.items()}


def _prepare(
    per_file_scores: Mapping[str, Any],
    windows: Mapping[str, list[Window]],
    profile: Profile,
    timestamps: Mapping[str, Any] | None,
    rows: Mapping[str, FileRows] | None = None,
) -> dict[str, tuple[FileLayout, np.ndarray]]:
    if not per_file_scores:
        raise KpiInputError("no files to score")
    out = {}
    for path, values in per_file_scores.items():
        if rows is None:
            ts = _stamps(path, values, timestamps)
            scores = _scores(path, values, len(ts), "timestamps")
            placed = file_rows(ts, _windows_for(path, windows))
        elif path not in rows:
            raise KpiInputError(f"{path}: not among the prepared rows' files")
        else:
            placed = rows[path]
            scores = _scores(path, values, placed.n_rows, "prepared rows")
        out[path] = (weigh(placed, profile), scores)
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
    rows: Mapping[str, FileRows] | None = None,
) -> CorpusScore:
    """NAB score of anomaly scores (any reals, higher = more anomalous) at one threshold.

    ``per_file_scores[path]`` is a Series indexed by timestamp, a NAB results frame
    (``timestamp``, ``anomaly_score``), or an array with ``timestamps[path]`` given.
    A row is a detection when its anomaly score is ``>= threshold``. ``rows``
    (:func:`corpus_rows` of these files) skips placing the rows again.
    """
    prof = as_profile(profile)
    return _corpus_at(_prepare(per_file_scores, windows, prof, timestamps, rows), prof,
                      threshold)


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
    rows: Mapping[str, FileRows] | None = None,
) -> CorpusScore:
    """The corpus score at the threshold that maximises it (NAB's optimiser, exactly);
    ``rows`` as :func:`score_corpus`'s."""
    prof = as_profile(profile)
    prepared = _prepare(per_file_scores, windows, prof, timestamps, rows)
    thresholds, totals = sweep_thresholds(prepared, prof)
    best = int(np.argmax(totals))  # first maximum = highest threshold among ties, as NAB
    return _corpus_at(prepared, prof, float(thresholds[best]))
