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

from telecom_nb.evaluation.nab import FileLayout, Profile, Window, as_profile
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
                timestamps: Mapping[str, Any] | None = None) -> pd.DataFrame:
    """Per file (rows, indexed by path) the loss at ``threshold`` (a row is a detection
    when its score is ``>= threshold``, as :func:`~telecom_nb.evaluation.nab_corpus.
    score_corpus`); inputs as ``score_corpus``'s."""
    prof = as_profile(profile)
    prepared = _prepare(per_file_scores, windows, prof, timestamps)
    rows = {path: file_loss(lay, scores >= threshold, prof)
            for path, (lay, scores) in prepared.items()}
    frame = pd.DataFrame.from_dict(rows, orient="index", columns=list(COLUMNS))
    frame["loss"] = frame["fp"] + frame["late"] + frame["missed"]
    return frame.sort_values("loss", ascending=False)
