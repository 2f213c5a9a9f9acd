"""A number beside a Date column (walk43): hours 0-23, hours ending 1-24 and HHMM integers
are read by their range; any other numbers are refused in one line, never misplaced."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from telecom_nb.errors import KpiInputError
from telecom_nb.sources.ingest import load_source
from telecom_nb.sources.spec import SourceSpec


def _load(tmp_path, clock: list, **kw):
    """Two cells, one day, Date + the given clock column (one value per period)."""
    rng = np.random.default_rng(2411)
    n = len(clock)
    table = pd.DataFrame({
        "Date": "2026-11-01",
        "Time": np.repeat(clock, 2),
        "Cell Name": np.tile(["A", "B"], n),
        "CSSR (%)": np.round(99.5 - rng.exponential(0.2, 2 * n), 2),
    })
    table.to_csv(tmp_path / "t.csv", index=False)
    spec = SourceSpec(path=tmp_path / "t.csv", timestamp=["Date", "Time"],
                      sector="Cell Name", **kw)
    return load_source(spec)


def test_hour_ending_1_to_24_reads_every_hour_at_its_start(tmp_path):
    """Hour 24 was unreadable and hours 1-23 landed an hour late (or 41 % dropped)."""
    loaded = _load(tmp_path, list(range(1, 25)))
    assert loaded.counters.rows_loaded == 48 and loaded.counters.timestamps == 24
    stamps = loaded.frame["timestamp"].drop_duplicates()
    assert stamps.min() == pd.Timestamp("2026-11-01 00:00", tz="UTC")
    assert stamps.max() == pd.Timestamp("2026-11-01 23:00", tz="UTC")
    assert any("hour ending" in m for m in loaded.messages)


def test_hhmm_integers_read_as_hours_and_minutes(tmp_path):
    """``Time`` = 0, 15, 30, 45, 100 … 2345: '15' was read as 15:00 and '100' dropped."""
    clock = [h * 100 + m for h in range(24) for m in (0, 15, 30, 45)]
    loaded = _load(tmp_path, clock)
    assert loaded.counters.rows_loaded == 192 and loaded.counters.timestamps == 96
    stamps = loaded.frame["timestamp"].drop_duplicates().sort_values()
    expected = pd.date_range("2026-11-01", periods=96, freq="15min", tz="UTC")
    assert (stamps.to_numpy() == expected.to_numpy()).all()


@pytest.mark.parametrize("clock", [[0, 6, 12, 18, 24], [0, 15, 30, 75], [0.5, 1.5, 2.5]])
def test_numbers_of_no_known_clock_form_are_refused_naming_the_column(tmp_path, clock):
    with pytest.raises(KpiInputError, match=r"'Time' holds numbers.*HH:MM"):
        _load(tmp_path, clock)
