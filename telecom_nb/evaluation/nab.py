"""The Numenta Anomaly Benchmark (NAB v1.0) scoring rules, vectorised.

Why a re-implementation: NAB's own scorer is a Python 2 era package with per-row
loops; we need the same numbers from numpy arrays, fast enough to optimise a
threshold over the whole corpus in a second. The rules, as NAB v1.0 applies them
(its ``Sweeper``):

* **Probation.** The first ``min(floor(0.15 * rows), 0.15 * 5000)`` rows of a file
  are not scored at all (neither detections nor windows' misses come from them).
* **Windows.** Label windows ``[start, end]`` (timestamps, inclusive) come from
  ``labels/combined_windows.json``. Each has a width ``W`` in rows.
* **True positives.** A detection at row ``i`` of a window ending at row ``R`` sits at
  relative position ``x = -(R - i + 1) / W`` (``-1`` = first row); it is worth
  ``tp_weight * σ(x) / σ(-1)`` with the scaled sigmoid ``σ(x) = 2/(1+e^{5x}) - 1``.
  Only the earliest detection of a window counts (the sweep keeps the maximum,
  and σ decreases along the window).
* **False negatives.** A window with scored rows and no detection costs ``fn_weight``.
* **False positives.** A detection outside every window costs ``fp_weight * σ(x)``
  with ``x = (i - R_prev) / (W_prev - 1)`` measured from the end of the preceding
  window (σ is negative for ``x > 0`` and is -1 for ``x > 3``), or ``-fp_weight``
  when no window precedes it.
* **True negatives** are worth 0.
* **Normalisation.** ``100 * (raw - null) / (perfect - null)`` over the corpus, where
  ``perfect = tp_weight * (number of labelled windows)`` and ``null`` is the score of
  NAB's null detector (a constant anomaly score, thresholded optimally: in practice
  flagging nothing, i.e. ``-fn_weight`` per scorable window).
* **Threshold.** One per detector and profile, chosen over the whole corpus to
  maximise the raw score; a row is a detection when ``anomaly_score >= threshold``.
  NAB sweeps every distinct score exactly, and so do we (sort once, cumulative
  sums); among equal best scores the highest threshold wins, as in NAB.

The scores only depend on the *order* of the anomaly scores, so any strictly
increasing transform of a detector's scores gives the same NAB score.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from telecom_nb.errors import KpiInputError, ParameterError

PROBATION_PERCENT = 0.15
PROBATION_CAP_ROWS = 5000  # NAB caps probation at PROBATION_PERCENT * 5000 = 750 rows


@dataclass(frozen=True)
class Profile:
    """A NAB cost matrix (``tn_weight`` is carried for completeness; NAB scores TN as 0)."""

    name: str
    tp_weight: float = 1.0
    fp_weight: float = 0.11
    fn_weight: float = 1.0
    tn_weight: float = 1.0


#: The three NAB v1.0 profiles (``config/profiles.json``).
PROFILES: dict[str, Profile] = {
    "standard": Profile("standard", 1.0, 0.11, 1.0, 1.0),
    "reward_low_FP_rate": Profile("reward_low_FP_rate", 1.0, 0.22, 1.0, 1.0),
    "reward_low_FN_rate": Profile("reward_low_FN_rate", 1.0, 0.11, 2.0, 1.0),
}

Window = tuple[pd.Timestamp, pd.Timestamp]
ProfileLike = Profile | str


# ------------------------------------------------------------------ loading
def load_profiles(nab_root: str | Path | None = None) -> dict[str, Profile]:
    """Profiles from ``<root>/config/profiles.json``, or the standard ones without a root."""
    if nab_root is None:
        return dict(PROFILES)
    path = Path(nab_root) / "config" / "profiles.json"
    if not path.is_file():
        return dict(PROFILES)
    raw = json.loads(path.read_text())
    out = {}
    for name, body in raw.items():
        cm = body.get("CostMatrix", body)
        try:
            out[name] = Profile(
                name,
                float(cm["tpWeight"]),
                float(cm["fpWeight"]),
                float(cm["fnWeight"]),
                float(cm.get("tnWeight", 1.0)),
            )
        except KeyError as exc:
            raise KpiInputError(f"{path}: profile {name!r} lacks {exc.args[0]!r}") from None
    return out


def load_windows(
    nab_root: str | Path, labels: str = "combined_windows.json"
) -> dict[str, list[Window]]:
    """``relative/data/path.csv`` -> sorted list of ``(start, end)`` label windows."""
    path = Path(nab_root) / "labels" / labels
    if not path.is_file():
        raise FileNotFoundError(f"NAB label file {path} not found")
    raw = json.loads(path.read_text())
    out: dict[str, list[Window]] = {}
    for rel, windows in raw.items():
        parsed = []
        for pair in windows:
            if len(pair) != 2:
                raise KpiInputError(f"{path}: window {pair!r} of {rel!r} is not [start, end]")
            start, end = (pd.Timestamp(t) for t in pair)
            if end < start:
                raise KpiInputError(f"{path}: window {pair!r} of {rel!r} ends before it starts")
            parsed.append((start, end))
        out[rel] = sorted(parsed)
    return out


def as_profile(profile: ProfileLike) -> Profile:
    if isinstance(profile, Profile):
        return profile
    try:
        return PROFILES[profile]
    except KeyError:
        raise ParameterError(
            f"profile must be one of {', '.join(PROFILES)}; got {profile!r}"
        ) from None


# ------------------------------------------------------------------ rules
def scaled_sigmoid(position: np.ndarray | float) -> np.ndarray:
    """NAB's ``2 * sigmoid(-5 x) - 1`` (= ``-tanh(2.5 x)``), and -1 beyond ``x > 3``."""
    x = np.asarray(position, dtype=float)
    return np.where(x > 3.0, -1.0, -np.tanh(2.5 * x))


MAX_TP = float(scaled_sigmoid(-1.0))


def probation_length(n_rows: int) -> int:
    """Rows at the start of a file that NAB does not score."""
    return int(min(math.floor(PROBATION_PERCENT * n_rows), PROBATION_PERCENT * PROBATION_CAP_ROWS))


def as_ns(values: Any) -> np.ndarray:
    """Timestamps as int64 nanoseconds, naive UTC (aware values are converted to UTC)."""
    idx = pd.DatetimeIndex(pd.to_datetime(values))
    if idx.tz is not None:
        idx = idx.tz_convert("UTC").tz_localize(None)
    return idx.as_unit("ns").asi8


@dataclass(frozen=True)
class FileLayout:
    """Per-row NAB values of one file that do not depend on the detector.

    ``sweep[i]`` is what a detection at row ``i`` is worth (TP value inside a window,
    FP cost outside); ``window[i]`` is the window index of row ``i`` or -1.
    """

    n_rows: int
    probation: int
    window: np.ndarray
    sweep: np.ndarray
    n_windows: int  # labelled windows of the file (what "perfect" counts)

    @property
    def scored(self) -> np.ndarray:
        return np.arange(self.n_rows) >= self.probation

    @property
    def scorable_windows(self) -> np.ndarray:
        """Indices of windows that have at least one scored row (only these can be missed)."""
        return np.unique(self.window[self.probation :][self.window[self.probation :] >= 0])


def _first(mask: np.ndarray) -> int | None:
    hits = np.flatnonzero(mask)
    return int(hits[0]) if len(hits) else None


def _window_rows(ts: np.ndarray, window: Window) -> tuple[int, int]:
    """First and last row of a window, by row position as NAB does.

    NAB files are not always strictly increasing (a few repeat a timestamp or step
    back at a clock change), so NAB works on row order: a window starts at the first
    row whose timestamp equals its start and ends at the first row equal to its end.
    Without an exact match we fall back to the first row ``>= start`` / last ``<= end``.
    """
    start, end = as_ns([window[0]])[0], as_ns([window[1]])[0]
    left = _first(ts == start)
    if left is None:
        left = _first(ts >= start)
    right = _first(ts == end)
    if right is None:
        at_or_before = np.flatnonzero(ts <= end)
        right = int(at_or_before[-1]) if len(at_or_before) else None
    if left is None or right is None or right < left:
        raise KpiInputError(f"label window {window[0]} .. {window[1]} contains no row")
    return left, right


@dataclass(frozen=True)
class FileRows:
    """One file's rows against its label windows: the part of a layout no profile changes.

    Built once a file (the timestamps' and window bounds' conversion is most of a
    layout's cost) and weighed per profile by :func:`weigh`: a NAB run scores each
    file three profiles x two threshold questions. ``shape[i]`` is the sigmoid of row
    ``i``'s place (in a window: its TP value before ``tp_weight / MAX_TP``; outside:
    its FP cost before ``fp_weight``).
    """

    n_rows: int
    window: np.ndarray
    shape: np.ndarray
    n_windows: int

    @property
    def inside(self) -> np.ndarray:
        return self.window >= 0


def file_rows(timestamps: Any, windows: Iterable[Window]) -> FileRows:
    """Window membership and the profile-free sigmoid of every row of one file."""
    ts = as_ns(timestamps)
    n = len(ts)
    wins = sorted(windows)
    bounds = np.array([_window_rows(ts, w) for w in wins], dtype=np.int64).reshape(-1, 2)
    left, right = bounds[:, 0], bounds[:, 1]
    if len(wins) > 1 and np.any(left[1:] <= right[:-1]):
        raise KpiInputError("label windows overlap; NAB windows must be disjoint")
    width = (right - left + 1).astype(float)

    rows = np.arange(n)
    # Window containing each row: the last window starting at or before it, if it ends after.
    k = np.searchsorted(left, rows, side="right") - 1
    inside = (k >= 0) & (rows <= right[np.maximum(k, 0)]) if len(wins) else np.zeros(n, bool)
    window = np.where(inside, k, -1)

    shape = np.empty(n)
    if inside.any():
        kin = k[inside]
        shape[inside] = scaled_sigmoid(-(right[kin] - rows[inside] + 1) / width[kin])
    # Preceding window of each outside row: the last window ending before it.
    out = ~inside
    p = np.searchsorted(right, rows[out], side="left") - 1 if len(wins) else np.full(out.sum(), -1)
    unweighted = np.full(len(p), -1.0)
    has_prev = p >= 0
    if has_prev.any():
        pp = p[has_prev]
        with np.errstate(divide="ignore", invalid="ignore"):
            dist = np.abs(rows[out][has_prev] - right[pp]) / (width[pp] - 1.0)
        unweighted[has_prev] = np.where(np.isfinite(dist), scaled_sigmoid(dist), -1.0)
    shape[out] = unweighted
    return FileRows(n, window, shape, len(wins))


def weigh(rows: FileRows, profile: ProfileLike) -> FileLayout:
    """A file's layout for one profile: its rows' sigmoids times the profile's weights."""
    prof = as_profile(profile)
    inside = rows.inside
    sweep = np.empty(rows.n_rows)
    sweep[inside] = rows.shape[inside] * prof.tp_weight / MAX_TP
    sweep[~inside] = rows.shape[~inside] * prof.fp_weight
    return FileLayout(rows.n_rows, probation_length(rows.n_rows), rows.window, sweep,
                      rows.n_windows)


def file_layout(timestamps: Any, windows: Iterable[Window], profile: ProfileLike) -> FileLayout:
    """Window membership and the sweep value of every row of one file."""
    return weigh(file_rows(timestamps, windows), profile)


# ------------------------------------------------------------------ one file
@dataclass(frozen=True)
class FileScore:
    """The NAB score of one file's detections, with NAB's row counts (probation excluded)."""

    score: float
    tp: int
    fp: int
    fn: int
    tn: int
    windows: int  # labelled windows
    windows_scored: int  # windows with at least one scored row
    windows_detected: int
    probation: int

    def as_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


def score_layout(layout: FileLayout, detections: np.ndarray, profile: Profile) -> FileScore:
    det = np.asarray(detections, dtype=bool)
    if det.shape != (layout.n_rows,):
        raise KpiInputError(
            f"detections have {det.size} rows but the file has {layout.n_rows} timestamps"
        )
    scored = layout.scored
    in_win = layout.window >= 0
    active = det & scored
    fp_rows = active & ~in_win
    tp_rows = active & in_win
    scorable = layout.scorable_windows
    best = np.full(layout.n_windows, -profile.fn_weight)
    np.maximum.at(best, layout.window[tp_rows], layout.sweep[tp_rows])
    detected = np.zeros(layout.n_windows, bool)
    detected[layout.window[tp_rows]] = True
    score = float(best[scorable].sum() + layout.sweep[fp_rows].sum())
    n_in = int((scored & in_win).sum())
    n_out = int((scored & ~in_win).sum())
    return FileScore(
        score=score,
        tp=int(tp_rows.sum()),
        fp=int(fp_rows.sum()),
        fn=n_in - int(tp_rows.sum()),
        tn=n_out - int(fp_rows.sum()),
        windows=layout.n_windows,
        windows_scored=len(scorable),
        windows_detected=int(detected.sum()),
        probation=layout.probation,
    )


def score_file(
    timestamps: Any, detections: Any, windows: Iterable[Window], profile: ProfileLike = "standard"
) -> FileScore:
    """NAB raw score of one file's boolean detections (one per timestamp)."""
    prof = as_profile(profile)
    return score_layout(file_layout(timestamps, windows, prof), detections, prof)
