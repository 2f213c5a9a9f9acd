"""Scratch scaffold of the probes that record per-row columns while a world replays.

``benchmarks/hour26/trace.py`` and ``hour27/trace.py`` differ only in *what* they record
per scored batch; the replay around it (a generated world's source, its labels, the
forest detector in the world's time zone, the traced columns mapped back onto the rows,
the days after the first week saved) is written once here.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd
from lead_part import attach
from operator_quality import labelled

from telecom_nb import schema
from telecom_nb.detectors import make_detector
from telecom_nb.detectors.param_paths import configure, parse_texts
from telecom_nb.engine import replay
from telecom_nb.sources import load_source

#: ``columns(detector, fitted, x)``: named per-row arrays for one scored batch
Columns = Callable[[object, object, np.ndarray], dict[str, np.ndarray]]


def record_columns(det, columns: Columns) -> list[pd.DataFrame]:
    """Wrap ``det._score_features``; the returned list fills with one frame per scored
    batch (no columns before the first fit)."""
    record: list[pd.DataFrame] = []
    orig = det._score_features

    def wrapped(x, index, fitted=None, routine=None, silence=None, **kwargs):
        scores = orig(x, index, fitted, routine, silence, **kwargs)  # e.g. explain_from
        f = fitted or det._fitted
        cols = columns(det, f, x) if f is not None else {}
        record.append(pd.DataFrame(cols, index=range(len(x))))
        return scores

    det._score_features = wrapped
    return record


def trace_world(folder: Path, out: Path, columns: Columns) -> None:
    """Replay the world in ``folder`` with ``columns`` recorded; save rows after week 1."""
    loaded = load_source(folder / "source.toml")
    table = labelled(loaded, folder)
    det = make_detector("iforest")
    configure(det, parse_texts(det, {"timezone": loaded.spec.timezone}))
    record = record_columns(det, columns)
    scored = attach(table, replay(table, det, loaded.kpis).frame, record)
    ts = scored[schema.TIMESTAMP]
    scored[ts >= ts.min() + pd.Timedelta("7D")].to_parquet(out)
