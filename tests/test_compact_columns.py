"""A replay's table held with its repeated strings as codes (issue 12: a fleet's sector
ids, provinces and fault labels were ~40 % of a 2M-row decoded table, held whole from the
load to the write): smaller, given back exactly, and replayed as the plain table."""

from __future__ import annotations

import numpy as np
import pandas as pd

from telecom_nb import schema
from telecom_nb.detectors import make_detector
from telecom_nb.engine.compact_columns import compact, expand
from telecom_nb.engine.replay import replay


def _fleet(sectors: int = 40, ticks: int = 60) -> pd.DataFrame:
    rng = np.random.default_rng(2445)
    ids = np.array([f"SEC-{i:05d}" for i in range(sectors)])
    faults = np.where(rng.random(sectors * ticks) < 0.05, "outage", "")
    frame = pd.DataFrame({
        schema.TIMESTAMP: np.repeat(
            pd.date_range("2026-01-05", periods=ticks, freq="1h", tz="UTC"), sectors),
        schema.SECTOR: pd.array(np.tile(ids, ticks), dtype="str"),
        schema.PROVINCE: pd.array(np.tile(["Tehran", "Fars"], sectors * ticks // 2),
                                  dtype="str"),
        **{k: rng.gamma(2.0, 10.0, ticks * sectors) for k in schema.KPIS},
        "fault": pd.array(faults, dtype="str"),
        "note": pd.array([f"row {i}" for i in range(sectors * ticks)], dtype="str"),
    })
    frame.loc[7, schema.PROVINCE] = np.nan  # a missing string stays missing
    return frame


def test_repeated_strings_are_held_as_codes_and_given_back_exactly():
    frame = _fleet()
    held = compact(frame)
    strings = [schema.SECTOR, schema.PROVINCE, "fault"]
    assert all(isinstance(held[c].dtype, pd.CategoricalDtype) for c in strings)
    assert held["note"].dtype == frame["note"].dtype  # every value distinct: left as is
    assert np.shares_memory(held[schema.KPIS[0]].to_numpy(), frame[schema.KPIS[0]].to_numpy())
    size = held[strings].memory_usage(deep=True).sum()
    assert size < frame[strings].memory_usage(deep=True).sum() / 4
    back = expand(held)
    pd.testing.assert_frame_equal(back, frame)
    assert pd.isna(back.loc[7, schema.PROVINCE])
    assert expand(frame) is frame


def test_a_replay_of_the_held_table_scores_as_the_plain_table():
    frame = _fleet()
    kpis = list(schema.KPIS)
    plain = replay(frame, make_detector("robust_z"), kpis).frame
    held = replay(compact(frame), make_detector("robust_z"), kpis).frame
    assert isinstance(held[schema.SECTOR].dtype, pd.CategoricalDtype)  # kept as given
    pd.testing.assert_frame_equal(expand(held), plain)
