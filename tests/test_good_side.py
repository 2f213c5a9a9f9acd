"""Named KPIs' own-history deviations read on their bad side only."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np

from telecom_nb.detectors import make_detector
from telecom_nb.detectors.good_side import clip_good_side, good_side_columns

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
