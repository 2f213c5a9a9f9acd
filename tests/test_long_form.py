"""A long export (one row per cell, period and KPI; ``sources/long_form.py``, walk42) loads
as the wide table, every long row placed or counted."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from telecom_nb import schema
from telecom_nb.errors import KpiInputError
from telecom_nb.sources.ingest import load_source
from telecom_nb.sources.spec import SourceSpec

KPIS = ["Traffic (GB)", "CSSR (%)", "Drop Rate (%)"]


def long_export(path: Path, periods: int = 6) -> pd.DataFrame:
    stamps = pd.date_range("2026-05-04", periods=periods, freq="h").strftime("%Y-%m-%d %H:%M")
    table = pd.MultiIndex.from_product([stamps, ["C1", "C2"], KPIS],
                                       names=["Start Time", "Cell", "KPI Name"]).to_frame(
                                           index=False)
    table["Value"] = np.arange(len(table)) * 0.5
    table["NE"] = table["Cell"].map({"C1": "ENB_1", "C2": "ENB_2"})  # one per cell: kept
    table["Unit"] = table["KPI Name"].str.extract(r"\((.*)\)", expand=False)  # per KPI
    table.to_csv(path, index=False)
    return table


def spec(path: Path, **kw) -> SourceSpec:
    return SourceSpec(path=path, timestamp="Start Time", sector="Cell", **kw)


def test_a_long_export_loads_one_row_per_cell_and_period_with_a_column_per_kpi(tmp_path):
    table = long_export(tmp_path / "long.csv")
    loaded = load_source(spec(tmp_path / "long.csv"))
    assert loaded.kpis == KPIS and loaded.counters.rows_loaded == 12
    assert loaded.counters.rows_dropped == 0 and loaded.counters.values_missing == 0
    wide = table.pivot(index=["Start Time", "Cell"], columns="KPI Name", values="Value")
    got = loaded.frame.set_index(loaded.frame[schema.SECTOR])
    first = got[got[schema.TIMESTAMP] == got[schema.TIMESTAMP].min()]
    assert first.loc["C2", KPIS].tolist() == wide.loc[("2026-05-04 00:00", "C2"), KPIS].tolist()
    assert loaded.frame["NE"].tolist()[:2] == ["ENB_1", "ENB_2"] and "Unit" not in loaded.frame
    text = "\n".join(loaded.messages)
    assert "36 rows read as 12 rows of 3 KPI column(s)" in text and "'Unit'" in text


def test_a_long_export_with_another_key_column_is_one_line_naming_it(tmp_path):
    table = long_export(tmp_path / "long.csv")
    twice = pd.concat([table, table.assign(Value=table["Value"] + 1)])  # two bands, say
    twice.to_csv(tmp_path / "twice.csv", index=False)
    with pytest.raises(KpiInputError, match=r"36 of 72 rows repeat a \(time, cell, KPI\)"):
        load_source(spec(tmp_path / "twice.csv"))
    loaded = load_source(spec(tmp_path / "twice.csv", allow_drops=True))
    assert loaded.counters.rows_loaded == 12
    assert loaded.frame[KPIS[0]].iloc[0] == table["Value"].iloc[0] + 1  # the last kept
