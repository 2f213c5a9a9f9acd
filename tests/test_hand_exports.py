"""Shapes from hand-written OSS exports (walk43: Huawei PRS, Ericsson ENIQ, Nokia NetAct
styles) that our generators never wrote."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from telecom_nb.errors import KpiInputError
from telecom_nb.sources.columns import skip_reason
from telecom_nb.sources.ingest import load_source
from telecom_nb.sources.spec import SourceSpec


def test_a_period_or_position_name_with_its_unit_in_brackets_is_not_a_kpi(tmp_path):
    """ENIQ's ``Period(min)`` (60 on every row) was scored as a KPI."""
    stamps = pd.date_range("2026-11-01", periods=12, freq="h").strftime("%Y-%m-%d %H:%M")
    rng = np.random.default_rng(2418)
    pd.DataFrame({"Start Time": np.repeat(stamps, 2), "Cell": ["A", "B"] * 12,
                  "Period(min)": 60, "Azimuth [deg]": [0, 120] * 12,
                  "CSSR (%)": np.round(99.5 - rng.exponential(0.2, 24), 2)}
                 ).to_csv(tmp_path / "e.csv", index=False)
    loaded = load_source(SourceSpec(path=tmp_path / "e.csv", timestamp="Start Time",
                                    sector="Cell"))
    assert loaded.kpis == ["CSSR (%)"]
    assert loaded.skipped_columns["Period(min)"] == "calendar or period field"
    assert skip_reason("Period (min)", pd.Series([60.0])) == "calendar or period field"
    assert skip_reason("Call Setup Time (ms)", pd.Series([60.0, 70.0])) is None


def test_an_export_given_as_the_source_toml_says_how_to_pass_it(tmp_path):
    """``detect --source export.csv`` said "not valid TOML: Expected '=' after a key"."""
    (tmp_path / "prs.csv").write_text("Result Time,Cell,CSSR\n2026-11-01 00:00,A,99\n")
    with pytest.raises(KpiInputError, match=r"prs.csv is an export, not a source.toml"):
        SourceSpec.from_toml(tmp_path / "prs.csv")


def test_huawei_dst_marked_times_are_wall_clock_times(tmp_path):
    """U2000/PRS write '2026-06-01 10:00:00 DST' in summer: every row was unreadable."""
    stamps = pd.date_range("2026-06-01", periods=6, freq="h").strftime("%Y-%m-%d %H:%M:%S")
    pd.DataFrame({"Result Time": np.repeat(stamps + " DST", 2), "Cell": ["A", "B"] * 6,
                  "CSSR(%)": 99.1}).to_csv(tmp_path / "u.csv", index=False)
    loaded = load_source(SourceSpec(path=tmp_path / "u.csv", timestamp="Result Time",
                                    sector="Cell", timezone="Europe/Berlin"))
    assert loaded.counters.rows_loaded == 12
    assert loaded.frame["timestamp"].min() == pd.Timestamp("2026-05-31 22:00", tz="UTC")
    assert any("marked 'DST'" in m for m in loaded.messages)
