"""``benchmarks/lead_part.py``'s mapping of traced rows back onto a replayed table."""

from __future__ import annotations

import numpy as np
import pandas as pd

from benchmarks.lead_part import attach
from telecom_nb import schema


def test_traced_rows_land_on_the_scored_rows_not_the_first():
    """A row the validator dropped (state "") was never traced: the traced rows belong to
    the scored rows around it (nab_leads once put the gap at the file's start, shifting
    every later row's lead part by one in six NAB files)."""
    times = pd.date_range("2026-03-02", periods=5, freq="5min", tz="UTC")
    table = pd.DataFrame({schema.TIMESTAMP: times[[0, 1, 1, 3, 4]], "value": 1.0})
    scored = table.assign(**{schema.STATE: ["normal", "normal", "", "normal", "anomalous"]})
    traced = pd.DataFrame({"lead_part": ["a", "b", "c", "d"], "lead_value": [0.0, 1.0, 3.0, 4.0]})
    out = attach(table, scored, [traced])
    assert out["lead_part"].tolist() == ["a", "b", "unscored", "c", "d"]
    np.testing.assert_array_equal(out["lead_value"].to_numpy()[[0, 1, 3, 4]], [0.0, 1.0, 3.0, 4.0])
    assert np.isnan(out["lead_value"].iloc[2])


def test_every_row_scored_maps_by_time_order():
    times = pd.date_range("2026-03-02", periods=3, freq="5min", tz="UTC")
    table = pd.DataFrame({schema.TIMESTAMP: times[[1, 0, 2]], "value": 1.0})
    scored = table.assign(**{schema.STATE: "normal"})
    traced = pd.DataFrame({"lead_part": ["first", "second", "third"], "lead_value": 0.0})
    assert attach(table, scored, [traced])["lead_part"].tolist() == ["second", "first", "third"]


def test_the_wrapper_passes_a_replays_keywords_through():
    """A replay passes ``explain_from`` to ``_score_features`` (fleet40); the tracing wrapper
    must hand it on, or ``operator_quality.py --parts`` dies with a TypeError."""
    from benchmarks.lead_part import trace_parts

    class Det:
        _fitted = None

        def __init__(self):
            self.seen = {}

        def _score_features(self, x, index, fitted=None, routine=None, silence=None,
                            explain_from=None):
            self.seen["explain_from"] = explain_from
            return "scores"

    det = Det()
    record = trace_parts(det)
    assert det._score_features(np.zeros((2, 1)), pd.RangeIndex(2), explain_from=3.0) == "scores"
    assert det.seen["explain_from"] == 3.0
    assert record[0]["lead_part"].tolist() == ["", ""]
