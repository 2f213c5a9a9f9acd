"""``benchmarks/operator_quality.py``: episodes that straddle the burn-in are told apart."""

from __future__ import annotations

import sys
from pathlib import Path

import pandas as pd

from telecom_nb import schema

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))  # a script's siblings
from operator_quality import begun_before


def test_only_the_episode_begun_in_the_burn_in_is_marked_on_all_its_rows():
    ts = pd.date_range("2026-01-01", periods=6, freq="h", tz="UTC")
    fault = ["fault", "fault", "fault", "", "fault", "fault"]
    scored = pd.DataFrame({
        schema.SECTOR: ["a"] * 6 + ["b"] * 6,
        schema.TIMESTAMP: list(ts) * 2,
        schema.FAULT: [*fault, "", "", "fault", "fault", "", ""],
    }).sample(frac=1.0, random_state=3)  # row order must not matter
    early = begun_before(scored, ts[2])
    marked = scored[early]
    # sector a's first episode began at 00:00 (before 02:00): its three rows, none other
    assert sorted(marked[schema.SECTOR]) == ["a", "a", "a"]
    assert sorted(marked[schema.TIMESTAMP]) == list(ts[:3])
    assert not early[(scored[schema.SECTOR] == "b").to_numpy()].any()
