"""Declared public holidays: a working day off is expected like the weekday it resembles.

A holiday on a Wednesday looks, fleet-wide, like the weekend; the learned weekly shape
cannot foretell it, so without the declaration every such day floods the feed.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from telecom_nb import schema
from telecom_nb.cli.parser import build_parser
from telecom_nb.cli.source_args import check_report, source_spec
from telecom_nb.detectors import make_detector
from telecom_nb.engine.monitor_setup import use_network_clock
from telecom_nb.engine.replay import replay
from telecom_nb.errors import KpiInputError, ParameterError
from telecom_nb.features.time_slots import time_slots
from telecom_nb.local_dates import LocalDates
from telecom_nb.sources.ingest import load_source
from telecom_nb.sources.spec import SourceSpec

TEHRAN = "Asia/Tehran"  # UTC+03:30, no DST since 2022


def test_a_holiday_takes_the_week_slots_of_its_weekday_and_no_other_day_moves():
    # local 2026-10-13 (Tue) 00:00 to 10-16 (Fri) 00:00, hourly, written in UTC
    local = pd.date_range("2026-10-13", periods=72, freq="1h")
    utc = local.tz_localize(TEHRAN).tz_convert("UTC")
    slot, week = time_slots(utc, 24, TEHRAN)
    h_slot, h_week = time_slots(utc, 24, TEHRAN, ("2026-10-14",), "Fri")
    assert np.array_equal(slot, h_slot)
    wed = local.day == 14
    assert np.array_equal(week[~wed], h_week[~wed])
    assert np.array_equal(h_week[wed], 4 * 24 + slot[wed])  # Friday's slots
    assert np.array_equal(week[wed], 2 * 24 + slot[wed])  # a Wednesday without it
    # a live tick (one time for every sector) is cut the same way
    one = pd.DatetimeIndex([utc[30]] * 5)
    assert (time_slots(one, 24, TEHRAN, ("2026-10-14",), "Sun")[1] == 6 * 24 + 6).all()


def test_local_dates_are_validated_sorted_and_named_in_errors():
    trait = LocalDates()
    trait.name = "holidays"
    assert trait.validate(None, " 2026-11-05,2026-10-14, 2026-10-14") == (
        "2026-10-14", "2026-11-05")
    assert trait.validate(None, [pd.Timestamp("2026-10-14"), "2026-10-15"]) == (
        "2026-10-14", "2026-10-15")
    for bad in ("2026-13-01", "yesterday", "2026-10-14 10:00", "14/10/2026", "01/02/2026"):
        with pytest.raises(ParameterError, match="holidays must be local dates"):
            trait.validate(None, bad)


def test_source_toml_holidays_as_a_list_or_a_file(tmp_path):
    (tmp_path / "off.csv").write_text("date,name\n2026-10-14,Tasua # and Ashura\n\n"
                                      "2026-10-15;Ashura\n")
    (tmp_path / "source.toml").write_text(
        'path = "x.csv"\ntimezone = "Asia/Tehran"\nholidays = "off.csv"\nholiday_like = "Fri"\n')
    spec = SourceSpec.from_toml(tmp_path / "source.toml")
    assert spec.holidays == ("2026-10-14", "2026-10-15") and spec.holiday_like == "Fri"
    listed = SourceSpec.from_dict({"path": "x.csv", "holidays": ["2026-10-14"],
                                   "holiday_like": "Sun"})
    assert listed.holidays == ("2026-10-14",)
    with pytest.raises(KpiInputError, match="holidays needs holiday_like"):
        SourceSpec.from_dict({"path": "x.csv", "holidays": ["2026-10-14"]})
    with pytest.raises(KpiInputError, match="holiday_like must be one of Mon, Tue"):
        SourceSpec.from_dict({"path": "x.csv", "holidays": ["2026-10-14"],
                              "holiday_like": "Friday"})
    (tmp_path / "off.csv").write_text("2026-10-14\n2026-1O-15\n")
    with pytest.raises(KpiInputError, match=r"off.csv line 2: '2026-1O-15' is not a date"):
        SourceSpec.from_toml(tmp_path / "source.toml")


def test_the_cli_flags_set_the_calendar(tmp_path):
    (tmp_path / "off.txt").write_text("2026-10-14\n")
    args = build_parser().parse_args(["detect", "x.csv", "--holidays", str(tmp_path / "off.txt"),
                                      "--holiday-like", "Fri"])
    assert source_spec(args).holidays == ("2026-10-14",)
    (tmp_path / "x.csv").write_text("timestamp,sector_id,traffic\n2026-10-13 22:00,A,1\n"
                                    "2026-10-13 23:00,A,2\n2026-10-14 00:00,A,3\n")
    args = build_parser().parse_args(["detect", str(tmp_path / "x.csv"), "--timezone", TEHRAN,
                                      "--holidays", "2026-10-15,2026-10-14,2027-03-21",
                                      "--holiday-like", "Fri"])
    spec = source_spec(args)
    assert spec.holidays == ("2026-10-14", "2026-10-15", "2027-03-21")
    assert "holidays: 3 declared (1 in the time span), each expected like a Fri" in (
        check_report(load_source(spec)))


def _weekend_fleet(seed: int = 3) -> pd.DataFrame:
    """12 sectors (a fleet, not a few series), hourly, local Sat 2026-09-19 to Wed 10-14
    night: Fridays carry half the traffic with a late peak; Wednesday 10-14 is a public
    holiday (shaped like a Friday)."""
    rng = np.random.default_rng(seed)
    local = pd.date_range("2026-09-19", "2026-10-14 23:00", freq="1h")
    hour = local.hour.to_numpy()
    friday = (local.day_of_week.to_numpy() == 4) | (local.day.to_numpy() == 14) & (
        local.month.to_numpy() == 10)
    day_shape = np.where(friday, 0.5 + 0.3 * np.sin((hour - 10) / 24 * 2 * np.pi),
                         1.0 + 0.6 * np.sin((hour - 6) / 24 * 2 * np.pi))
    sectors = [f"S{i:02d}" for i in range(12)]
    n, m = len(local), len(sectors)
    level = rng.uniform(50, 150, m)
    traffic = level[None, :] * day_shape[:, None] * rng.lognormal(0, 0.05, (n, m))
    users = traffic * 0.4 * rng.lognormal(0, 0.05, (n, m))
    stamps = local.tz_localize(TEHRAN).tz_convert("UTC")
    return pd.DataFrame({
        schema.TIMESTAMP: np.repeat(stamps, m), schema.SECTOR: np.tile(sectors, n),
        "traffic": traffic.ravel(), "users": users.ravel()})


def _holiday_flags(table: pd.DataFrame, holidays: tuple[str, ...]) -> int:
    detector = make_detector("iforest")
    # the fleet's own reading of the day type would absorb it (tests/test_day_type.py)
    detector.set_params(kpis=["traffic", "users"], day_type=False)
    use_network_clock(detector, TEHRAN, holidays=holidays, holiday_like="Fri" if holidays else None)
    out = replay(table, detector, ["traffic", "users"]).frame
    local = out[schema.TIMESTAMP].dt.tz_convert(TEHRAN)
    return int(out[schema.IS_ANOMALY][(local.dt.day == 14) & (local.dt.month == 10)].sum())


def test_a_declared_holiday_is_not_flagged_fleet_wide():
    table = _weekend_fleet()
    flooded, declared = _holiday_flags(table, ()), _holiday_flags(table, ("2026-10-14",))
    assert flooded >= 100 and declared <= flooded // 4, (flooded, declared)


def test_declaring_a_holiday_while_running_keeps_what_was_learned():
    table = _weekend_fleet()
    first = table[table[schema.TIMESTAMP] < table[schema.TIMESTAMP].iloc[-1] - pd.Timedelta("2D")]
    detector = make_detector("iforest")
    detector.set_params(kpis=["traffic", "users"], timezone=TEHRAN)
    replay(first, detector, ["traffic", "users"])
    seasonal = detector.features_.parts_[0]
    learned = seasonal.slot_table_
    detector.holidays = "2026-10-14"  # a notebook cell, as for any parameter
    detector.holiday_like = "Sat"
    assert detector.features_.parts_[0] is seasonal and seasonal.slot_table_ is learned
    assert seasonal.holidays == ("2026-10-14",) and seasonal.holiday_like == "Sat"
    detector.weekly = False  # a change of structure starts over
    assert detector.features_.parts_[0] is not seasonal
    assert detector.features_.parts_[0].holidays == ("2026-10-14",)
    with pytest.raises(ParameterError, match="holidays must be local dates"):
        detector.holidays = "14/10/2026 and 15/10"
    assert detector.holidays == ("2026-10-14",)


def test_a_monitor_from_source_toml_takes_its_holidays_unless_the_user_sets_them(tmp_path):
    from telecom_nb.engine.monitor import Monitor

    (tmp_path / "x.csv").write_text("timestamp,sector_id,traffic\n2026-10-13 22:00,A,1\n"
                                    "2026-10-13 23:00,A,2\n")
    (tmp_path / "source.toml").write_text('path = "x.csv"\ntimezone = "Asia/Tehran"\n'
                                          'holidays = ["2026-10-14"]\nholiday_like = "Fri"\n')
    monitor = Monitor.from_source(tmp_path / "source.toml")
    assert (monitor.detector.holidays, monitor.detector.holiday_like) == (("2026-10-14",), "Fri")
    mine = Monitor.from_source(tmp_path / "source.toml", holidays="2026-12-25",
                               holiday_like="Sun")
    assert (mine.detector.holidays, mine.detector.holiday_like) == (("2026-12-25",), "Sun")


def test_the_dashboard_control_shows_and_takes_holidays_as_typed():
    import ipywidgets as widgets

    from telecom_nb.ui.controls import TraitLink, widget_for

    detector = make_detector("iforest")
    detector.holidays = ("2026-10-15", "2026-10-14")
    param = widget_for(detector, "holidays")
    assert param.widget.value == "2026-10-14, 2026-10-15"
    message = widgets.HTML("")
    TraitLink(detector, "holidays", param, message)
    param.widget.value = "2026-12-25, 2027-01-01"
    assert detector.holidays == ("2026-12-25", "2027-01-01")
    param.widget.value = "25/12"  # refused, named; the detector keeps its dates
    assert detector.holidays == ("2026-12-25", "2027-01-01") and "holidays" in message.value
    assert widget_for(detector, "holiday_like").widget.options[4] == "Fri"
