"""``detect --store`` resumes an interrupted backtest; ``episodes`` exports a store."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from telecom_nb.cli import main, persisted
from telecom_nb.engine.monitor import Monitor


@pytest.fixture(scope="module")
def table(tmp_path_factory):
    path = tmp_path_factory.mktemp("cli") / "sim.parquet"
    assert main(["simulate", "--sectors", "40", "--ticks", "120", "--seed", "5",
                 "--out", str(path), "-q"]) == 0
    return path


def test_interrupted_backtest_resumes_without_scoring_a_row_twice(table, tmp_path,
                                                                  monkeypatch):
    assert main(["detect", str(table), "--out", str(tmp_path / "full.parquet"), "-q"]) == 0
    store = tmp_path / "s.db"
    monkeypatch.setattr(persisted, "CHUNK", 25)
    step, calls = Monitor.step, []

    async def interrupted(self, n=1):
        calls.append(n)
        if len(calls) == 3:
            raise KeyboardInterrupt
        return await step(self, n)

    monkeypatch.setattr(Monitor, "step", interrupted)
    args = ["detect", str(table), "--store", str(store), "--checkpoint-every", "30", "-q"]
    assert main([*args, "--out", str(tmp_path / "a.parquet")]) == 130
    monkeypatch.setattr(Monitor, "step", step)
    assert main([*args, "--out", str(tmp_path / "b.parquet")]) == 0
    full = pd.read_parquet(tmp_path / "full.parquet")
    second = pd.read_parquet(tmp_path / "b.parquet")
    assert second["timestamp"].nunique() == 120 - 50  # the first 50 ticks were skipped
    merged = second.merge(full, on=["timestamp", "sector_id"], suffixes=("", "_full"))
    assert len(merged) == len(second)
    np.testing.assert_array_equal(merged["score"], merged["score_full"])
    again = tmp_path / "c.parquet"
    assert main([*args, "--out", str(again)]) == 0
    assert len(pd.read_parquet(again)) == 0  # everything already committed


@pytest.fixture(scope="module")
def stored(table, tmp_path_factory):
    """One ``detect --store`` run, exported once per format (each test ran its own)."""
    folder = tmp_path_factory.mktemp("stored")
    store = folder / "s.db"
    assert main(["detect", str(table), "--out", str(folder / "x.parquet"), "--store",
                 str(store), "-q"]) == 0
    return store


@pytest.mark.parametrize("suffix", [".csv", ".parquet"])
def test_episodes_export(stored, tmp_path, suffix):
    store = stored
    out = tmp_path / f"episodes{suffix}"
    assert main(["episodes", str(store), "--out", str(out), "-q"]) == 0
    episodes = pd.read_csv(out) if suffix == ".csv" else pd.read_parquet(out)
    assert len(episodes) > 0
    assert {"episode_id", "sector_id", "peak_score", "is_open", "ack_comment"} <= set(
        episodes.columns)


def test_episodes_of_a_file_that_is_not_a_store(tmp_path, capsys):
    bad = tmp_path / "notes.db"
    bad.write_text("hello")
    assert main(["episodes", str(bad), "--out", str(tmp_path / "e.csv")]) == 2
    assert "not a telecom_nb store" in capsys.readouterr().err
