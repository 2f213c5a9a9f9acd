"""Scratch helper of the hour26 probes: the first DAYS of a labelled world and a detector
configured for its time zone (what ``inspect_tails.py`` and ``ratio_switch.py`` replay)."""

from __future__ import annotations

import sys
from pathlib import Path

import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from operator_quality import labelled

from telecom_nb import schema
from telecom_nb.detectors import make_detector
from telecom_nb.detectors.param_paths import configure, parse_texts
from telecom_nb.sources import load_source


def first_days(folder: Path, days: float):
    """(loaded source, its labelled table cut to the first ``days``, an iforest detector)."""
    loaded = load_source(folder / "source.toml")
    table = labelled(loaded, folder)
    ts = table[schema.TIMESTAMP]
    table = table[ts < ts.min() + pd.Timedelta(days=days)]
    det = make_detector("iforest")
    configure(det, parse_texts(det, {"timezone": loaded.spec.timezone}))
    return loaded, table, det
