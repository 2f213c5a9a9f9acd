"""Load, not fault: a crowd's rows (a site's demand up, its quality not) open no episode."""

from __future__ import annotations

import numpy as np
import pytest

from telecom_nb.detectors import make_detector
from telecom_nb.errors import ParameterError
from telecom_nb.features.area import AreaMedian
from telecom_nb.features.crowd import (
    crowd_rows,
    has_service_quality,
    quality_signs,
    site_mates,
    unavailable,
)

VENDOR = ["L.Traffic.DL.Volume(MB)", "RRC Connected Users", "PRB Usage (%)",
          "DL Throughput (Mbps)", "Latency (ms)", "CSSR (%)", "Call Drop Rate (%)",
          "HO Success Rate (%)", "VoLTE Traffic (Erl)", "Cell Unavailability (s)"]


def test_quality_kpis_and_their_bad_sides_from_the_names():
    signs = dict(zip(VENDOR, quality_signs(VENDOR), strict=True))
    assert signs["CSSR (%)"] == -1 and signs["HO Success Rate (%)"] == -1
    assert signs["Call Drop Rate (%)"] == 1
    for load in ("RRC Connected Users", "PRB Usage (%)", "DL Throughput (Mbps)", "Latency (ms)",
                 "VoLTE Traffic (Erl)", "Cell Unavailability (s)"):
        assert signs[load] == 0  # a crowd moves these (unavailability: its raw value)
    assert quality_signs(["Cell Availability (%)"]).tolist() == [-1.0]
    assert quality_signs(["CSSR (%)"], {"CSSR (%)": "both"}).tolist() == [0.0]
    assert unavailable(VENDOR).tolist() == [False] * 9 + [True]
    assert has_service_quality(VENDOR) and has_service_quality(["RRC Setup SR (%)"])
    # the simulator's KPIs: no service quality, so no crowd by construction
    assert not has_service_quality(["payload_mb", "throughput_mbps", "prb_pct",
                                    "availability_pct"])


def test_site_mates_are_the_neighbours_at_the_same_coordinates():
    coords = np.array([[0.0, 0.0], [0.0, 0.0], [0.0, 0.0], [0.0, 0.01], [0.0, 0.01]])
    area = AreaMedian(1, neighbours=3)
    area.locate(np.arange(5), coords, 5)
    mates = site_mates(area.coords_, area.near_)
    assert sorted(mates[0][mates[0] >= 0].tolist()) == [1, 2]
    assert mates[3][mates[3] >= 0].tolist() == [4]
    rows = np.array([4, 3, 2, 1, 0])  # one tick, any order: the batch rows of the mates
    src, hit = area.site_mates(rows, np.zeros(5, np.int64))
    assert sorted(rows[src[4][hit[4]]].tolist()) == [1, 2]  # sector 0 is batch row 4
    assert rows[src[1][hit[1]]].tolist() == [4]


def test_a_crowd_needs_the_site_up_and_no_quality_or_availability_move():
    signs = np.array([0.0, -1.0, 1.0])  # load, CSSR (down is bad), drop rate (up is bad)
    # rows: 0-2 one site (mates: the other two), 3-4 another site
    mates = np.array([[1, 2], [0, 2], [0, 1], [4, 0], [3, 0]])
    hit = np.array([[1, 1], [1, 1], [1, 1], [1, 0], [1, 0]], dtype=bool)
    load = np.array([3.0, 2.5, 2.0, 3.0, 0.2])  # site 1: one cell's surge only
    quality = np.zeros((5, 3))
    down = np.zeros((5, 1))
    got = crowd_rows(load, mates, hit, quality, signs, down, 1.5)
    assert got.tolist() == [True, True, True, False, False]
    quality[0, 1] = -2.5  # CSSR fell: a fault's
    quality[1, 2] = -5.0  # drops fell: the good side, still a crowd
    quality[2, 2] = 2.5  # drops rose
    assert crowd_rows(load, mates, hit, quality, signs, down, 1.5).tolist() == [False, True,
                                                                                False, False,
                                                                                False]
    down[1] = 30.0  # down for 30 s
    assert not crowd_rows(load, mates, hit, quality, signs, down, 1.5)[1]
    alone = np.zeros((5, 2), dtype=bool)  # no site-mate reporting: no crowd
    assert not crowd_rows(load, mates, alone, np.zeros((5, 3)), signs, down * 0, 1.5).any()


def test_crowd_load_is_a_validated_parameter_on_by_default():
    det = make_detector("iforest")
    assert det.crowd_load == 1.0
    assert make_detector("iforest", crowd_load=0).crowd_load == 0
    with pytest.raises((ParameterError, ValueError)):
        make_detector("iforest", crowd_load=-1.0)
