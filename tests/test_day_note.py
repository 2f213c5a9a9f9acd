"""The analyst is told when the fleet read a day as another weekday: the detector's
``day_readings()``, the dashboard's status line and ``telecom-nb detect``'s summary
(:mod:`telecom_nb.features.day_type`)."""

from __future__ import annotations

import json

import pytest
from test_day_type import KPIS, TEHRAN, _fleet, checkpointed
from ui_fake import FakeMonitor

from telecom_nb.detectors import make_detector
from telecom_nb.engine.replay import replay
from telecom_nb.features.day_type import KEEP, DayReading, DayType

#: local Wed 2026-10-14, a day off declared nowhere, read as a Friday from 00:00 (its first hour:
#: the sequential reading, the fleet's noise known from one ordinary day read)
READ = DayReading("2026-10-14", 4, "00:00")


@pytest.fixture(scope="module")
def detector():
    detector = make_detector("iforest")
    detector.set_params(kpis=KPIS, timezone=TEHRAN, day_type=True)
    replay(_fleet("holiday"), detector, KPIS)
    return detector


def test_a_switch_is_recorded_with_its_local_date_weekday_and_time(detector):
    assert detector.day_readings() == (READ,)
    assert READ.weekday_name == "Fri"
    assert make_detector("iforest").day_readings() == ()  # nothing built yet: nothing read


def test_a_detectors_checkpoint_keeps_the_days_read(detector):
    from telecom_nb.engine.snapshot import capture, restore

    tree, arrays = capture(detector)
    fresh = make_detector("iforest")
    fresh.set_params(kpis=KPIS, timezone=TEHRAN, day_type=True)
    restore(fresh, json.loads(json.dumps(tree)), arrays)
    assert fresh.day_readings() == (READ,)


def test_the_status_line_says_it_only_while_the_reading_holds(detector):
    from telecom_nb.ui.status import StatusLine

    monitor = FakeMonitor(timezone=TEHRAN)
    monitor.detector = detector
    monitor.sim_time = "2026-10-14T10:00:00+00:00"  # 13:30 in Tehran, the day read
    line = StatusLine(monitor)
    assert "today read as Fri since 00:00 (fleet)" in line.text()
    monitor.sim_time = "2026-10-14T21:00:00+00:00"  # 00:30 local on the 15th: the calendar's
    assert "read as" not in line.text()
    monitor.sim_time = "2026-10-14T10:00:00+00:00"
    detector.day_type = False  # switched off: nothing holds
    try:
        assert "read as" not in line.text()
    finally:
        detector.day_type = True


def test_detect_lists_the_days_read_in_its_summary(tmp_path, capsys):
    from telecom_nb.cli import main

    src = tmp_path / "fleet.parquet"
    _fleet("holiday").to_parquet(src)
    out = tmp_path / "scored.parquet"
    code = main(
        ["detect", str(src), "--out", str(out), "--kpis", ",".join(KPIS), "--timezone", TEHRAN]
    )
    err = capsys.readouterr().err
    assert code == 0, err
    lines = [line for line in err.splitlines() if line.startswith("day type:")]
    assert lines == ["day type: 2026-10-14 read as Fri from 00:00 (undeclared holiday?)"], err


def test_the_record_is_bounded_and_kept_in_checkpoints_an_older_one_has_none():
    read = DayType()
    for day in range(KEEP + 3):  # Tehran: 00:00 UTC is 03:30 local
        read.like_ = day % 7
        read.note((20_700 + day) * 86_400 * 10**9, TEHRAN)
    assert len(read.log_) == KEEP and read.readings()[-1] == ("2026-09-20", 2, "03:30")
    assert read.readings()[0].date == "2026-09-07"  # the oldest three dropped
    again, tree, restored = checkpointed(read)
    assert again.day_type_.readings() == read.readings()
    del tree["attrs"]["day_type_"]["attrs"]["log_"]  # a checkpoint from before the record
    older = restored(tree)
    assert older.day_type_.readings() == () and older.day_type_.like_ == 16 % 7


def test_a_partitioned_backtest_lists_each_partitions_days_read(tmp_path, capsys):
    """Each partition's detector reads its own fleet: its days come back with its report
    (from a Dask worker too) and the summary names the partition."""
    from telecom_nb.cli import main

    table = _fleet("holiday")
    table["province"] = "Tehran"
    src = tmp_path / "fleet.parquet"
    table.to_parquet(src)
    argv = ["detect", str(src), "--out", str(tmp_path / "out"), "--kpis", ",".join(KPIS),
            "--timezone", TEHRAN, "--partition-by", "province", "--engine", "local"]
    code = main(argv)
    err = capsys.readouterr().err
    assert code == 0, err
    lines = [line for line in err.splitlines() if line.startswith("day type:")]
    assert lines == ["day type: 2026-10-14 read as Fri from 00:00 (undeclared holiday?) "
                     "[partition 0: Tehran]"], err
    manifest = json.loads((tmp_path / "out" / "_backtest.json").read_text())
    assert manifest["partitions"][0]["day_readings"] == [READ.summary()]
