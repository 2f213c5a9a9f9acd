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


def _hours(loaded) -> list[int]:
    return sorted(loaded.frame["timestamp"].dt.hour.unique().tolist())


def test_a_partial_day_of_hours_ending_is_read_as_the_source_says(tmp_path):
    """Hours 1-12 (no 24 in the file) read as 0-23 by their range, an hour late; the
    ``hour_ending`` key says which, and the automatic reading is said with the way out."""
    auto = _load(tmp_path, list(range(1, 13)))
    assert _hours(auto) == list(range(1, 13))
    said = [m for m in auto.messages if "'Time' read as the hour starting" in m]
    assert len(said) == 1 and "hour_ending = true" in said[0]
    ending = _load(tmp_path, list(range(1, 13)), hour_ending=True)
    assert _hours(ending) == list(range(12))
    assert sum("hour ending" in m for m in ending.messages) == 1
    starting = _load(tmp_path, list(range(1, 13)), hour_ending=False)
    assert _hours(starting) == list(range(1, 13))
    assert not any("hour_ending = true" in m for m in starting.messages)


@pytest.mark.parametrize(("clock", "given", "needle"), [
    ([0, 1, 2], True, r"'Time' holds 0, not an hour 1-24 as hour_ending = true"),
    ([1, 12, 24], False, r"'Time' holds 24, not an hour 0-23 as hour_ending = false"),
])
def test_hours_outside_the_given_convention_are_refused(tmp_path, clock, given, needle):
    with pytest.raises(KpiInputError, match=needle):
        _load(tmp_path, clock, hour_ending=given)


def test_hour_ending_without_an_hour_column_is_refused(tmp_path):
    frame = pd.DataFrame({"timestamp": ["2026-11-01 01:00"], "x": [1.0]})
    frame.to_csv(tmp_path / "t.csv", index=False)
    with pytest.raises(KpiInputError, match="hour_ending applies to an hour number"):
        load_source(SourceSpec(path=tmp_path / "t.csv", hour_ending=True))


def test_hour_ending_from_the_toml_and_the_command_line(tmp_path):
    from telecom_nb.cli.parser import build_parser
    from telecom_nb.cli.source_args import source_spec

    toml = tmp_path / "source.toml"
    toml.write_text('path = "t.csv"\ntimestamp = ["Date", "Hour"]\nhour_ending = true\n')
    assert SourceSpec.from_toml(toml).hour_ending is True
    parser = build_parser()
    for flags, expected in (([], True), (["--hour-starting"], False)):
        args = parser.parse_args(["detect", "--check", "--source", str(toml), *flags])
        assert source_spec(args).hour_ending is expected
    plain = parser.parse_args(["detect", "--check", "t.csv", "--hour-ending"])
    assert source_spec(plain).hour_ending is True
    toml.write_text('path = "t.csv"\nhour_ending = "yes"\n')
    with pytest.raises(KpiInputError, match="hour_ending"):
        SourceSpec.from_toml(toml)
