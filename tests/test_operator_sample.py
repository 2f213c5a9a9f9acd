"""The operator-style sample generator: deterministic, realistic shape, loads with no loss."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pandas as pd
import pytest

from telecom_nb import schema
from telecom_nb.sources.ingest import load_source

SCRIPT = Path(__file__).resolve().parents[1] / "scripts" / "make_operator_sample.py"
_spec = importlib.util.spec_from_file_location("make_operator_sample", SCRIPT)
assert _spec is not None and _spec.loader is not None
sample = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(sample)

SIMULATOR_NAMES = set(schema.KPIS)


def make(out: Path, *extra: str, cells: int = 60, weeks: float = 2, seed: int = 3) -> Path:
    assert sample.main(["--out", str(out), "--cells", str(cells), "--weeks", str(weeks),
                        "--seed", str(seed), *extra]) == 0
    return out


@pytest.fixture(scope="module")
def folder(tmp_path_factory) -> Path:
    return make(tmp_path_factory.mktemp("sample"))


def test_same_seed_same_files_other_seed_other_data(folder, tmp_path):
    again = make(tmp_path / "again")
    for name in ("export.csv", "sites.csv", "labels.csv", "source.toml"):
        assert (folder / name).read_bytes() == (again / name).read_bytes(), name
    other = make(tmp_path / "other", seed=4)
    assert (other / "export.csv").read_bytes() != (folder / "export.csv").read_bytes()


def test_export_looks_like_an_oss_export(folder):
    export = pd.read_csv(folder / "export.csv")
    kpis = [c for c in export.columns if "(" in c or c.startswith("Avg")]
    assert len(kpis) >= 6 and not SIMULATOR_NAMES & set(export.columns)
    assert {"Date", "Time", "Cell Name", "eNodeB Name"} <= set(export.columns)
    assert not {"Fault", "Unusual", "label", "lat", "Latitude"} & set(export.columns)
    order = export["Cell Name"] + " " + export["Date"] + " " + export["Time"]
    assert order.is_monotonic_increasing  # sorted by cell, then time
    assert export[kpis].isna().any().any()  # blank counters
    per_cell = export.groupby("Cell Name").size()
    assert per_cell.max() == 2 * 7 * 24 and per_cell.min() < per_cell.max()  # gaps, late cell


def test_labels_are_apart_and_point_at_export_rows(folder):
    export = pd.read_csv(folder / "export.csv")
    labels = pd.read_csv(folder / "labels.csv")
    assert set(labels["Fault"]) <= set(sample.FAULT_KINDS) and len(labels) > 0
    keys = ["Date", "Time", "Cell Name"]
    joined = labels.merge(export[keys], on=keys, how="left", indicator=True)
    assert (joined["_merge"] == "both").all()


def test_source_toml_loads_everything_with_sites_and_zone(folder):
    loaded = load_source(folder / "source.toml")
    c = loaded.counters
    assert c.rows_dropped == 0 and c.rows_loaded == c.rows_read
    assert c.sectors == 60 and c.sectors_without_site == 0
    assert loaded.cadence == pd.Timedelta("1h") and str(loaded.timezone) == "Asia/Tehran"
    assert loaded.frame["lat"].between(25, 40).all() and loaded.frame["lon"].between(44, 64).all()
    assert set(loaded.frame["azimuth"]) == {0.0, 120.0, 240.0}
    assert loaded.kpi_info["E-RAB Drop Rate (%)"].bad == "up"
    assert loaded.kpi_info["Cell Availability (%)"].bad == "down"
    assert loaded.local_timestamps().dt.strftime("%H:%M").iloc[0] == "00:00"


def test_friday_is_the_weekend_in_local_time(folder):
    loaded = load_source(folder / "source.toml")
    day = loaded.local_timestamps().dt.day_name()
    traffic = loaded.frame["DL Traffic Volume (GB)"].groupby(day).mean()
    working = traffic[["Saturday", "Sunday", "Monday", "Tuesday", "Wednesday"]]
    assert traffic["Friday"] < traffic["Thursday"] < working.min()


def test_other_weekend_and_day_first(tmp_path):
    out = make(tmp_path / "eu", "--weekend", "Sat,Sun", "--half-weekend", "", "--day-first",
               "--timezone", "Europe/Berlin", weeks=2)
    assert 'time_format = "%d/%m/%Y %H:%M"' in (out / "source.toml").read_text()
    loaded = load_source(out / "source.toml")
    assert loaded.counters.rows_dropped == 0
    day = loaded.local_timestamps().dt.day_name()
    traffic = loaded.frame["DL Traffic Volume (GB)"].groupby(day).mean()
    assert traffic["Sunday"] < traffic["Friday"] and traffic["Saturday"] < traffic["Wednesday"]


@pytest.mark.slow
def test_400_cells_three_weeks(tmp_path):
    out = make(tmp_path / "big", cells=400, weeks=3)  # its cost: benchmarks/unit_costs.py
    assert load_source(out / "source.toml").counters.rows_dropped == 0
