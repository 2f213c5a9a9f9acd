"""Named KPIs' own-history deviations read on their bad side only."""

from __future__ import annotations

import json
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest

from telecom_nb.cli.commands import build_detector, split_params
from telecom_nb.detectors import make_detector
from telecom_nb.detectors.good_side import clip_good_side, good_side_columns
from telecom_nb.engine.monitor import Monitor
from telecom_nb.engine.monitor_setup import use_source_calendar
from telecom_nb.engine.snapshot import capture, restore
from telecom_nb.errors import ParameterError
from telecom_nb.params import parse_param_text
from telecom_nb.sources.replay import ReplaySource
from telecom_nb.sources.spec import KpiSpec, SourceSpec

NAMES = [
    "Traffic (MB):season_z",
    "DL Throughput (Mbps):season_z",
    "Latency (ms):season_z",
    "Latency (ms):persist_z",
    "Latency (ms):peer_z",
    "DL Throughput (Mbps)/Traffic (MB):season_z",
    "Drop Rate (%):change_z",
    "Latency (ms):record_z",
]
KPIS = ["Traffic (MB)", "DL Throughput (Mbps)", "Latency (ms)", "Drop Rate (%)"]


def test_columns_are_named_kpis_own_history_kinds_with_their_bad_sign():
    cols, sign = good_side_columns(NAMES, KPIS)
    # traffic: both sides matter; peers, relations and records stay two-sided
    assert cols.tolist() == [1, 2, 3, 6]
    assert sign.tolist() == [-1.0, 1.0, 1.0, 1.0]


def test_clip_zeros_the_good_side_only():
    cols, sign = good_side_columns(NAMES, KPIS)
    x = np.array(
        [
            [5.0, 4.0, -3.0, 2.0, -6.0, 3.0, -2.0, -1.0],
            [-5.0, -4.0, 3.0, np.nan, 6.0, -3.0, 2.0, 1.0],
        ]
    )
    out = clip_good_side(x.copy(), cols, sign)
    np.testing.assert_array_equal(out[0], [5.0, 0.0, 0.0, 2.0, -6.0, 3.0, 0.0, -1.0])
    np.testing.assert_array_equal(out[1], [-5.0, -4.0, 3.0, np.nan, 6.0, -3.0, 2.0, 1.0])


def test_the_compiled_clip_is_the_numpy_lines_bit_for_bit(monkeypatch):
    from telecom_nb.detectors import good_side

    rng = np.random.default_rng(3121)
    x = rng.normal(size=(1000, 12))
    x[rng.random(x.shape) < 0.05] = np.nan
    x[rng.random(x.shape) < 0.02] = -0.0
    x[rng.random(x.shape) < 0.02] = np.inf
    x[rng.random(x.shape) < 0.02] = -np.inf
    cols, sign = np.array([1, 4, 5, 11], dtype=np.intp), np.array([-1.0, 1.0, -1.0, 1.0])
    fast = x.copy()
    good_side._clip_rows(fast, cols, sign)
    monkeypatch.setattr(good_side, "numba", None)
    slow = good_side.clip_good_side(x.copy(), cols, sign)
    monkeypatch.undo()
    assert np.array_equal(fast.view(np.uint64), slow.view(np.uint64))  # -0.0 kept too
    assert np.array_equal(clip_good_side(x.copy(), cols, sign).view(np.uint64),
                          slow.view(np.uint64))
    assert (fast[:, cols] == 0.0).sum() > 1000  # the good sides were clipped


def test_a_fleet_reads_the_clipped_rows_a_few_series_or_switched_off_both_sides():
    x = np.array([[1.0, 4.0, -3.0, 0.5, -6.0, 3.0, -2.0, -1.0]])
    det = make_detector("iforest")
    fleet = SimpleNamespace(feature_names=NAMES, kpis_=tuple(KPIS), registry=range(99))
    det.features_ = fleet
    assert det._adjust(x.copy()).tolist() == [[1.0, 0.0, 0.0, 0.5, -6.0, 3.0, 0.0, -1.0]]
    det.features_ = SimpleNamespace(feature_names=NAMES, kpis_=tuple(KPIS), registry=range(3))
    assert det._adjust(x.copy()).tolist() == x.tolist()  # a few series: both sides
    det.features_ = fleet
    det.set_params(good_side=False)
    assert det._adjust(x.copy()).tolist() == x.tolist()


def _fleet_adjust(det, names: list[str], kpis: list[str], x: np.ndarray) -> np.ndarray:
    det.features_ = SimpleNamespace(feature_names=names, kpis_=tuple(kpis), registry=range(99))
    return det._adjust(x.copy())


def test_a_declared_side_wins_over_the_name():
    names = ["UL RSSI (dBm):season_z", "Latency (ms):season_z", "Latency (ms):peer_z"]
    kpis = ["UL RSSI (dBm)", "Latency (ms)"]
    x = np.array([[-3.0, -2.0, -1.0]])
    det = make_detector("iforest")
    assert _fleet_adjust(det, names, kpis, x).tolist() == [[-3.0, 0.0, -1.0]]  # the names
    det.set_params(bad_sides={"UL RSSI (dBm)": "up", "Latency (ms)": "both"})
    # RSSI's name says nothing, declared up: its fall is clipped; latency declared both:
    # its fall is read as it is
    assert _fleet_adjust(det, names, kpis, x).tolist() == [[0.0, -2.0, -1.0]]


def test_bad_sides_are_read_from_text_and_validated():
    det = make_detector("iforest")
    text = parse_param_text(det, "bad_sides", " UL RSSI (dBm)=up; Latency (ms) = both ;")
    assert text == {"Latency (ms)": "both", "UL RSSI (dBm)": "up"}
    det.set_params(bad_sides=text)
    assert det.get_params()["bad_sides"] == text
    for wrong in ("Latency (ms)", {"Latency (ms)": "sideways"}):
        with pytest.raises(ParameterError, match="bad_sides"):
            det.set_params(bad_sides=wrong)
    assert det.bad_sides == text  # a refused value leaves the old one
    assert parse_param_text(det, "bad_sides", "", empty_means_none=True) == {}
    texts, _ = split_params(["bad_sides=UL RSSI (dBm)=up; Latency (ms)=both"])  # --set
    assert build_detector("iforest", texts).bad_sides == text


def test_the_source_declares_the_sides_unless_the_user_chose():
    kpi = {
        "UL RSSI (dBm)": KpiSpec(bad="up"),
        "DL Latency (ms)": KpiSpec(bad="up"),
        "Avg CQI": KpiSpec(unit=""),
    }
    spec = SourceSpec(path=Path("x.csv"), kpi=kpi)
    det = make_detector("iforest")
    use_source_calendar(det, spec)
    assert det.bad_sides == {"UL RSSI (dBm)": "up"}  # latency's name says so already
    det = make_detector("iforest").set_params(bad_sides={"UL RSSI (dBm)": "both"})
    use_source_calendar(det, spec, given=["bad_sides"])
    assert det.bad_sides == {"UL RSSI (dBm)": "both"}


def test_a_checkpoint_keeps_the_declared_sides():
    sides = {"UL RSSI (dBm)": "up", "Latency (ms)": "both"}
    det = make_detector("iforest").set_params(bad_sides=sides)
    tree, arrays = capture(det)
    back = restore(make_detector("iforest"), json.loads(json.dumps(tree)), arrays)
    assert back.bad_sides == sides


def test_a_monitor_on_an_export_takes_its_declared_sides(tmp_path):
    stamps = pd.date_range("2026-05-04", periods=8, freq="1h").strftime("%Y-%m-%d %H:%M")
    pd.DataFrame(
        {"timestamp": stamps, "sector_id": "A", "UL RSSI (dBm)": -100.0, "Latency (ms)": 20.0}
    ).to_csv(tmp_path / "k.csv", index=False)
    (tmp_path / "source.toml").write_text('path = "k.csv"\n[kpi."UL RSSI (dBm)"]\nbad = "up"\n')
    source = ReplaySource.from_source(tmp_path / "source.toml")
    assert Monitor(source, "iforest").detector.bad_sides == {"UL RSSI (dBm)": "up"}
    assert Monitor(source, "iforest", bad_sides={}).detector.bad_sides == {}  # the user's
