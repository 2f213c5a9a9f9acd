"""The alarm stage's parameters are reachable by name wherever the detector's are."""

from __future__ import annotations

import pandas as pd
import pytest

from telecom_nb import schema
from telecom_nb.alarms.alarm_params import (
    describe_alarms,
    parse_alarm_texts,
    split_alarm_params,
)
from telecom_nb.cli import main
from telecom_nb.engine.monitor import Monitor
from telecom_nb.errors import ParameterError


def test_split_takes_prefixed_bare_and_double_underscore_names():
    detector, alarms = split_alarm_params({"alarms.close_after": 6, "open_after": 2,
                                           "alarms__escalate_by": 0.5, "contamination": 0.01,
                                           "features.weekly": True})
    assert detector == {"contamination": 0.01, "features.weekly": True}
    assert alarms == {"close_after": 6, "open_after": 2, "escalate_by": 0.5}


def test_unknown_or_out_of_range_alarm_parameters_fail_in_one_line():
    with pytest.raises(ParameterError, match=r"alarms\.close_after"):
        split_alarm_params({"alarms.close_afte": 3})
    with pytest.raises(ParameterError, match="close_after"):
        parse_alarm_texts({"close_after": "0"})
    with pytest.raises(ParameterError, match="open_after"):
        parse_alarm_texts({"open_after": "two"})
    assert parse_alarm_texts({"escalate_by": "0.5", "close_after": "6"}) == {
        "escalate_by": 0.5, "close_after": 6}


def test_described_once_with_defaults():
    lines = describe_alarms()
    assert [line.split(" = ")[0] for line in lines] == [
        "alarms.open_after", "alarms.close_after", "alarms.max_closed", "alarms.escalate_by"]
    assert lines[1].startswith("alarms.close_after = 45min") and "any cadence" in lines[1]


def test_monitor_takes_alarm_parameters_beside_the_detector_ones():
    monitor = Monitor.simulated(n_sectors=10, seed=0, interval=0.0, close_after=7,
                                alarms__escalate_by=2.0, contamination=0.02)
    assert monitor.alarms.close_after == 7 and monitor.alarms.episodes.close_after == 7
    assert monitor.alarms.escalate_by == 2.0
    assert monitor.detector.contamination == 0.02 == monitor.alarms.contamination


def test_detect_set_reaches_the_alarm_stage(tmp_path):
    data = tmp_path / "sim.parquet"
    # 20 x 150 (was 40 x 300): 52 flags, 0 recovering rows at close_after=1 against 54
    assert main(["simulate", "--sectors", "20", "--ticks", "150", "--seed", "2",
                 "--out", str(data), "--quiet"]) == 0
    states = {}
    for close_after in (1, 12):
        out = tmp_path / f"out{close_after}.parquet"
        assert main(["detect", str(data), "--out", str(out), "--quiet",
                     "--set", f"alarms.close_after={close_after}"]) == 0
        scored = pd.read_parquet(out)
        states[close_after] = scored
    same = ["timestamp", "sector_id", schema.SCORE, schema.IS_ANOMALY]
    pd.testing.assert_frame_equal(states[1][same], states[12][same])  # flags unchanged
    recovering = {k: int((v[schema.STATE] == "recovering").sum()) for k, v in states.items()}
    assert recovering[12] > recovering[1]  # episodes stay open longer after the last flag


def test_detectors_lists_the_alarm_stage_once(capsys):
    assert main(["detectors"]) == 0
    text = capsys.readouterr().out
    assert text.count("alarms.close_after = 45min") == 1
