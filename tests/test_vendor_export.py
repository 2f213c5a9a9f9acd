"""The second generator's exports (``scripts/make_vendor_export.py``) load with no row lost.

Another vendor's export differs from the first generator's in every way ingest sees: one
``Start Time`` column (ISO, compact or day-first dotted), rows ordered by period then cell,
``NE Name``/``Cell`` ids and non-KPI columns (period, local cell id, reliability text), a cell
inventory with other column names, a zone with daylight saving (the repeated autumn hour
written twice), and optionally ``;`` separators with decimal commas.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from telecom_nb import schema
from telecom_nb.cli import main as cli
from telecom_nb.engine.monitor import Monitor
from telecom_nb.evaluation.labels import apply_labels, read_labels
from telecom_nb.sources import load_source

SCRIPT = Path(__file__).resolve().parents[1] / "scripts" / "make_vendor_export.py"
_spec = importlib.util.spec_from_file_location("make_vendor_export", SCRIPT)
assert _spec is not None and _spec.loader is not None
vendor = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(vendor)

KPIS = 14
NOT_KPIS = ("Granularity Period", "NE Name", "Local Cell ID", "Reliability")


def make(out: Path, *extra: str, sites: int = 3, days: float = 2, seed: int = 3) -> Path:
    assert vendor.main(["--out", str(out), "--sites", str(sites), "--weeks", str(days / 7),
                        "--seed", str(seed), "--fault-rate", "3", *extra]) == 0
    return out


@pytest.mark.parametrize("extra", [
    (),
    ("--step", "15min", "--time-style", "compact", "--timezone", "Africa/Cairo"),
    # Berlin's clocks go back on 2026-10-25: 02:00-03:00 is written twice per cell
    ("--time-style", "dotted", "--timezone", "Europe/Berlin", "--start", "2026-10-24"),
    # Cairo's clocks go forward at 00:00 on 2026-04-24: that day has no local midnight
    ("--timezone", "Africa/Cairo", "--start", "2026-04-23"),
])
def test_every_row_and_label_is_loaded(tmp_path: Path, extra: tuple[str, ...]):
    folder = make(tmp_path, *extra)
    rows = len(pd.read_csv(folder / "export.csv"))
    loaded = load_source(folder / "source.toml")
    assert loaded.counters.rows_read == rows
    assert loaded.counters.rows_loaded == rows and loaded.counters.rows_dropped == 0
    assert len(loaded.kpis) == KPIS and not set(NOT_KPIS) & set(loaded.kpis)
    assert loaded.frame[schema.LAT].notna().all()  # every cell found in cells.csv
    assert loaded.frame["azimuth"].notna().all()  # "Azimuth (deg)": the unit is no obstacle
    assert not loaded.frame.duplicated([schema.SECTOR, schema.TIMESTAMP]).any()
    labels = read_labels(folder / "labels.csv", spec=loaded.spec)
    labelled, messages = apply_labels(loaded.frame, labels)
    assert (labelled[schema.FAULT] != "").sum() == len(pd.read_csv(folder / "labels.csv"))
    assert not any("match no scored row" in m for m in messages)
    if "Europe/Berlin" in extra:
        assert loaded.counters.times_dst_ambiguous > 0


def test_semicolons_and_decimal_commas_load_like_commas(tmp_path: Path):
    comma = load_source(make(tmp_path / "comma") / "source.toml")
    semi = load_source(make(tmp_path / "semi", "--semicolon") / "source.toml")
    assert ";" in (tmp_path / "semi" / "export.csv").read_text().splitlines()[1]
    assert semi.counters.rows_loaded == comma.counters.rows_loaded
    assert semi.kpis == comma.kpis
    pd.testing.assert_frame_equal(semi.frame[list(semi.kpis)], comma.frame[list(comma.kpis)])
    assert np.allclose(semi.frame[schema.LAT], comma.frame[schema.LAT])


def test_same_seed_same_files_other_seed_other_network(tmp_path: Path):
    a, b, c = (make(tmp_path / n, seed=s) for n, s in (("a", 1), ("b", 1), ("c", 2)))
    for name in ("export.csv", "cells.csv", "labels.csv", "source.toml"):
        assert (a / name).read_bytes() == (b / name).read_bytes()
    assert (a / "export.csv").read_bytes() != (c / "export.csv").read_bytes()


def test_cli_detect_and_evaluate_end_to_end(tmp_path: Path, capsys):
    folder = make(tmp_path, "--time-style", "compact", "--semicolon")
    out = tmp_path / "scored.parquet"
    assert cli(["detect", "--source", str(folder / "source.toml"), "--detector", "robust_z",
                "--out", str(out), "--quiet"]) == 0
    assert len(pd.read_parquet(out)) == len(pd.read_csv(folder / "export.csv", sep=";"))
    capsys.readouterr()
    # no seed baseline: its refit a tick is ~7 s of CPU here, and evaluate's baseline on a
    # source-described export is test_cli_source's skip test
    assert cli(["evaluate", str(out), "--labels", str(folder / "labels.csv"),
                "--source", str(folder / "source.toml"), "--no-baseline"]) == 0
    captured = capsys.readouterr()  # the labels' note is written to stderr
    assert "match no scored row" not in captured.out + captured.err
    assert "matched a scored row" in captured.err


def test_monitor_from_source_takes_the_vendor_kpis(tmp_path: Path):
    monitor = Monitor.from_source(make(tmp_path) / "source.toml", detector="robust_z",
                                  interval=0)
    assert len(monitor.kpis) == KPIS
    assert monitor.kpi_info["UL Interference (dBm)"].bad == "up"
    assert monitor.kpi_info["CSSR (%)"].bad == "down"
    assert monitor.kpi_labels["RRC Connected Users"] == "Connected users"


def test_declared_holidays_reach_source_toml_unless_left_undeclared(tmp_path: Path):
    declared = make(tmp_path / "a", "--holidays", "2026-05-06", "--weekend", "Fri,Sat")
    spec = load_source(declared / "source.toml").spec
    assert spec.holidays == ("2026-05-06",) and spec.holiday_like == "Fri"
    hidden = make(tmp_path / "b", "--holidays", "2026-05-06", "--undeclared-holidays")
    assert load_source(hidden / "source.toml").spec.holidays == ()


def test_oddities_list_the_unlabelled_crowds_and_maintenance_windows(tmp_path: Path):
    """``oddities.csv`` names the normal life's rows a judge counts apart (fp44: a crowd
    congested its cells as a labelled fault would, 51 of t2481's 181 false rows): a crowd's
    cells carry several times their users of the same hour on other days, a maintenance
    window's a whole period of unavailability, and neither is labelled a fault."""
    folder = make(tmp_path, days=7)
    loaded = load_source(folder / "source.toml")
    odd = read_labels(folder / "oddities.csv", spec=loaded.spec)
    kind, _ = apply_labels(loaded.frame, odd, "oddities")
    kind = kind[schema.FAULT]
    assert set(kind) == {"", "crowd", "maintenance"}
    frame = loaded.frame.assign(hour=loaded.frame[schema.TIMESTAMP].dt.hour)
    users = frame["RRC Connected Users"].astype(float)
    usual = users[kind == ""].groupby([frame[schema.SECTOR], frame["hour"]]).median()
    crowd = frame[kind == "crowd"]
    ratio = (users[kind == "crowd"].to_numpy() + 1) / (usual.reindex(
        pd.MultiIndex.from_frame(crowd[[schema.SECTOR, "hour"]])).to_numpy() + 1)
    assert np.median(ratio) > 1.8
    down = frame.loc[kind == "maintenance", "Cell Unavailability (s)"].astype(float)
    assert (down >= 3000).mean() > 0.9
    labels = read_labels(folder / "labels.csv", spec=loaded.spec)
    faulty, _ = apply_labels(loaded.frame, labels)
    assert not ((kind == "maintenance") & (faulty[schema.FAULT] != "")).any()
