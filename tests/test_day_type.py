"""The day type read from the fleet: an undeclared day off is absorbed, a fleet-wide outage
and one series are not (:mod:`telecom_nb.features.day_type`)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from telecom_nb import schema
from telecom_nb.detectors import make_detector
from telecom_nb.engine.replay import replay
from telecom_nb.features.day_type import DayType, switched_on

TEHRAN = "Asia/Tehran"
KPIS = ["traffic", "users", "avail"]


def _fleet(day_off: str = "holiday", sectors: int = 12, seed: int = 5) -> pd.DataFrame:
    """Hourly sectors, local Sat 2026-09-26 to Wed 10-14 14:00: Fridays carry half the
    traffic with a late peak; on Wed 10-14 either a day off shaped like a Friday
    (``holiday``, declared nowhere) or a core outage from 06:00 (``outage``: traffic ~0,
    availability down)."""
    rng = np.random.default_rng(seed)
    local = pd.date_range("2026-09-26", "2026-10-14 14:00", freq="1h")
    hour = local.hour.to_numpy()
    wed = (local.month.to_numpy() == 10) & (local.day.to_numpy() == 14)
    friday = (local.day_of_week.to_numpy() == 4) | (wed & (day_off == "holiday"))
    shape = np.where(
        friday,
        0.5 + 0.3 * np.sin((hour - 10) / 24 * 2 * np.pi),
        1.0 + 0.6 * np.sin((hour - 6) / 24 * 2 * np.pi),
    )
    down = wed & (hour >= 6) & (day_off == "outage")
    shape = np.where(down, 0.01, shape)
    n, m = len(local), sectors
    level = rng.uniform(50, 150, m)
    traffic = level[None, :] * shape[:, None] * rng.lognormal(0, 0.05, (n, m))
    users = traffic * 0.4 * rng.lognormal(0, 0.05, (n, m))
    avail = np.where(down[:, None], 20.0, 99.5) + rng.normal(0, 0.1, (n, m))
    stamps = local.tz_localize(TEHRAN).tz_convert("UTC")
    return pd.DataFrame(
        {
            schema.TIMESTAMP: np.repeat(stamps, m),
            schema.SECTOR: np.tile([f"S{i:02d}" for i in range(m)], n),
            "traffic": traffic.ravel(),
            "users": users.ravel(),
            "avail": avail.ravel(),
        }
    )


def _run(table: pd.DataFrame, day_type: bool = True):
    detector = make_detector("iforest")
    detector.set_params(kpis=KPIS, timezone=TEHRAN, day_type=day_type)
    out = replay(table, detector, KPIS).frame
    local = out[schema.TIMESTAMP].dt.tz_convert(TEHRAN)
    wed = (local.dt.day == 14) & (local.dt.month == 10)
    return int(out[schema.IS_ANOMALY][wed].sum()), detector.features_.parts_[0].day_type_


def test_an_undeclared_holiday_in_a_small_fleet_is_read_as_its_weekday():
    flags, read = _run(_fleet("holiday"))
    assert read.switched() == (20_740, 4), read.__dict__  # local 2026-10-14 read as a Friday
    # 180 rows that day; 154 flagged with day_type=False (22 with it, this host)
    assert flags <= 45, flags


def test_a_fleet_wide_outage_is_no_day_type():
    flags, read = _run(_fleet("outage"))
    assert read.day_ == 20_740 and read.switched() is None, read.__dict__
    assert flags >= 80  # every sector, every hour since 06:00


@pytest.mark.parametrize("sectors", [1, 10])
def test_one_series_or_a_few_never_switch_day_type(sectors):
    table = _fleet("holiday", sectors=sectors)
    detector = make_detector("iforest")
    detector.set_params(kpis=KPIS, timezone=TEHRAN, day_type=True)
    replay(table, detector, KPIS)
    assert detector.features_.parts_[0].day_type_.switched() is None


def test_the_decision_needs_a_better_fit_well_within_the_weekdays_difference():
    fleet = np.zeros((7, 3))
    fleet[4] = [-1.0, -1.0, 0.0]  # Friday: volumes down, availability as any day
    seen = np.ones(7, dtype=bool)
    rng = np.random.default_rng(0)
    spread = np.ones((50, 3))
    ok = np.ones((50, 3), dtype=bool)

    def feed(read: DayType, effect: np.ndarray, ticks: int = 4) -> DayType:
        for t in range(ticks):
            r = effect + rng.normal(0, 0.3, (50, 3))
            read.observe(100, t, 2, fleet, seen, r, ok, spread, 1.0)
        return read

    assert feed(DayType(), np.array([-1.0, -1.0, 0.0])).switched() == (100, 4)
    assert feed(DayType(), np.zeros(3)).switched() is None  # an ordinary Wednesday
    assert feed(DayType(), np.array([-6.0, -6.0, -5.0])).switched() is None  # an outage
    # one tick is not enough (an odd reporting period), and a weekday not yet seen twice
    # is no candidate
    assert feed(DayType(), np.array([-1.0, -1.0, 0.0]), ticks=1).switched() is None
    seen[4] = False
    assert feed(DayType(), np.array([-1.0, -1.0, 0.0])).switched() is None
    # a new local day starts from the calendar again
    read = feed(DayType(), np.array([-1.0, -1.0, 0.0]))
    read.observe(101, 0, 3, fleet, np.ones(7, dtype=bool), np.zeros((50, 3)), ok, spread, 1.0)
    assert read.switched() is None and read.day_ == 101


def test_day_type_is_a_validated_parameter_set_live_and_shown_as_a_control():
    import ipywidgets as widgets
    from traitlets import TraitError

    from telecom_nb.detectors.param_paths import configure, parse_texts
    from telecom_nb.ui.controls import widget_for

    detector = make_detector("iforest")
    assert detector.get_params()["day_type"] is True  # on unless switched off (MEASURED.md)
    configure(detector, parse_texts(detector, {"day_type": "false"}))  # --set day_type=false
    assert detector.day_type is False
    configure(detector, parse_texts(detector, {"day_type": "true"}))
    assert detector.day_type is True
    with pytest.raises(TraitError, match=r"'day_type' trait .* expected a boolean"):
        detector.set_params(day_type="sometimes")
    detector.set_params(kpis=KPIS, timezone=TEHRAN)
    replay(_fleet("holiday", sectors=12).iloc[: 12 * 48], detector, KPIS)
    seasonal = detector.features_.parts_[0]
    learned = seasonal.slot_table_
    detector.day_type = False  # a notebook cell: the running part follows, keeps what it learned
    assert detector.features_.parts_[0] is seasonal and seasonal.slot_table_ is learned
    assert seasonal.day_type is False and detector.features_.day_type is False
    assert isinstance(widget_for(detector, "day_type").widget, widgets.Checkbox)


def checkpointed(read: DayType):
    """A seasonal part holding ``read``, captured as a checkpoint (JSON and arrays) and
    restored: (the restored part, its tree, its arrays, the restore function)."""
    import json

    from telecom_nb.engine.snapshot import capture, restore
    from telecom_nb.features.seasonal import SeasonalResiduals

    season = SeasonalResiduals(kpis=KPIS, timezone=TEHRAN)
    season.bind(KPIS)
    season.day_type_ = read
    tree, arrays = capture(season)
    tree = json.loads(json.dumps(tree))

    def again(tree=tree):
        return restore(SeasonalResiduals(kpis=KPIS, timezone=TEHRAN), tree, arrays)

    return again(), tree, again


def test_a_checkpoint_keeps_the_days_reading_and_an_older_one_reads_afresh():
    read = DayType()
    read.day_, read.like_, read.hours_ = 20_740, 4, 3.0
    read.err_[:] = 5.0
    again, tree, restored = checkpointed(read)
    assert again.day_type_.switched() == (20_740, 4) and again.day_type_.err_[3] == 5.0
    del tree["attrs"]["day_type_"]  # a checkpoint from before the day type
    older = restored(tree)
    assert older.day_type_.switched() is None and older.day_type_.day_ == -1


def test_a_declared_holiday_wins_over_the_fleets_reading():
    from telecom_nb.features.time_slots import time_slots

    stamps = pd.DatetimeIndex(["2026-10-14 12:00"], tz="UTC")  # a Wednesday, local day 20,740
    _, week = time_slots(stamps, 24, "UTC", day_type=(20_740, 5))
    assert week[0] // 24 == 5  # read as a Saturday
    _, week = time_slots(stamps, 24, "UTC", ("2026-10-14",), "Fri", day_type=(20_740, 5))
    assert week[0] // 24 == 4  # the user's Friday, not the fleet's Saturday


def test_the_common_modes_gate_opens_wider_on_a_day_read_as_another_weekday():
    from telecom_nb.features.seasonal import SeasonalResiduals
    from telecom_nb.features.view import BatchView

    season = SeasonalResiduals(kpis=KPIS, timezone=TEHRAN)
    season.kpis_, season.day_type_ = KPIS, DayType()
    season.day_type_.day_, season.day_type_.like_ = 20_740, 4  # Wed 2026-10-14 as a Friday

    def view(when: str) -> BatchView:
        ids = np.array(["a", "b"], dtype=object)
        return BatchView(
            ids, ids, pd.DatetimeIndex([when] * 2, tz=TEHRAN).tz_convert("UTC"), np.zeros((2, 3))
        )

    assert switched_on(season, view("2026-10-14 12:00"))
    assert not switched_on(season, view("2026-10-15 00:00"))  # the next local day
    assert not switched_on(season, view("2026-10-13 23:00"))
    season.day_type = False
    assert not switched_on(season, view("2026-10-14 12:00"))


def test_a_declared_holiday_is_not_read_by_the_fleet():
    detector = make_detector("iforest")
    detector.set_params(kpis=KPIS, timezone=TEHRAN, holidays="2026-10-14", holiday_like="Fri")
    replay(_fleet("holiday"), detector, KPIS)
    read = detector.features_.parts_[0].day_type_
    assert read.switched() is None and read.day_ == 20_739, read.__dict__  # the day before


def _quarter_hours(read: DayType, day: int, effect, fleet, hours: float, rng, common=0.0):
    """Feed ``hours`` of 15-minute ticks of local day ``day`` (a Wednesday) whose fleet sits
    at ``effect`` (plus sector noise and a fleet-wide wander ``common``); the hours read when
    it switched, or None."""
    spread, ok, seen = np.ones((50, 3)), np.ones((50, 3), dtype=bool), np.ones(7, dtype=bool)
    for t in range(int(hours * 4)):
        r = np.asarray(effect(t / 4.0)) + rng.normal(0, 0.3, (50, 3)) + rng.normal(0, common, 3)
        read.observe(day, t // 4, 2, fleet, seen, r, ok, spread, 0.25)
        if read.switched() is not None:
            return read.hours_
    return None


def _with_noise(days: int = 3, common: float = 0.0):
    """A reading that has seen ``days`` whole ordinary Wednesdays (its noise learned)."""
    fleet = np.zeros((7, 3))
    fleet[4] = [-1.0, -1.0, 0.0]  # Friday: volumes down
    rng = np.random.default_rng(1)
    read = DayType()
    for day in range(days):
        assert (
            _quarter_hours(read, 100 + day, lambda h: np.zeros(3), fleet, 24, rng, common) is None
        )
    return read, fleet, rng


def test_a_clear_day_off_is_read_within_the_hour_once_the_fleets_noise_is_known():
    read, fleet, rng = _with_noise()
    friday = np.array([-1.0, -1.0, 0.0])
    at = _quarter_hours(read, 110, lambda h: friday, fleet, 6, rng)
    assert read.switched() == (110, 4) and at <= 1.25, at  # the first rule: 2 h at least
    assert len(read.noise_) == 3 and 0.0 < read.noise() < 0.5  # 3 x 0.3^2 / 50 sectors' median
    # without the noise (no whole day read yet, an older checkpoint) the first rule decides
    read, fleet, rng = _with_noise(days=0)
    assert _quarter_hours(read, 110, lambda h: friday, fleet, 6, rng) == 2.0
    assert read.noise() is None


def test_one_ordinary_day_read_is_noise_enough_for_the_sequential_reading():
    # a fleet's weekdays are read only ~2 weeks into its data: a holiday soon after meets
    # one whole ordinary day read, and waiting for three left its first day unread
    read, fleet, rng = _with_noise(days=1)
    friday = np.array([-1.0, -1.0, 0.0])
    at = _quarter_hours(read, 110, lambda h: friday, fleet, 6, rng)
    assert read.switched() == (110, 4) and at <= 1.25, at
    read, fleet, rng = _with_noise(days=1)  # an outage still gathers nothing
    outage = np.array([-6.0, -6.0, -5.0])
    assert _quarter_hours(read, 110, lambda h: outage, fleet, 8, rng) is None


def test_a_thin_night_or_an_outage_never_gathers_the_sequential_evidence():
    read, fleet, rng = _with_noise()
    fleet[4] = [-0.05, -0.05, 0.0]  # at night the weekdays barely differ
    night = np.array([-0.05, -0.05, 0.0])
    assert _quarter_hours(read, 110, lambda h: night, fleet, 8, rng) is None
    read, fleet, rng = _with_noise()
    outage = np.array([-6.0, -6.0, -5.0])  # far from every weekday, nearer the Friday
    assert _quarter_hours(read, 110, lambda h: outage, fleet, 8, rng) is None
    near = np.array([-2.0, -2.0, -1.5])  # fits the Friday better than today, but not well
    assert _quarter_hours(read, 111, lambda h: near, fleet, 8, rng) is None
    # an outage from 03:00 after an ordinary night: no weekday either
    late = _quarter_hours(read, 112, lambda h: outage if h >= 3 else np.zeros(3), fleet, 8, rng)
    assert late is None
    assert len(read.noise_) == 3  # neither day was read whole: the noise is the 3 days'
    # a fleet that wanders as a whole: a day only somewhat nearer the Friday is read late
    read, fleet, rng = _with_noise(common=0.3)
    lean = np.array([-0.7, -0.7, 0.0])
    at = _quarter_hours(read, 110, lambda h: lean, fleet, 12, rng, common=0.3)
    assert at is not None and at > 2.0, (at, read.noise())
    read, fleet, rng = _with_noise(common=0.3)  # nearer, but not by half: never
    part = np.array([-0.6, -0.6, 0.0])
    assert _quarter_hours(read, 110, lambda h: part, fleet, 16, rng, common=0.3) is None


def test_the_noise_is_checkpointed_and_an_older_checkpoint_learns_it_afresh():
    read = DayType()
    read.noise_, read.weekday_ = [1.0, 2.0, 3.0], 2
    again, tree, restored = checkpointed(read)
    assert again.day_type_.noise() == 2.0 and again.day_type_.weekday_ == 2
    for name in ("noise_", "weekday_"):  # a checkpoint from before the sequential reading
        del tree["attrs"]["day_type_"]["attrs"][name]
    older = restored(tree).day_type_
    assert older.noise_ == [] and older.noise() is None and older.weekday_ == -1


def _days(read: DayType, first: int, shapes, rng, seen=None, hours: int = 24):
    """Feed hourly ticks of local days ``first``, ``first + 1``, ... (day 100 a Wednesday)
    whose fleet sits at ``shapes[i](hour)``; the weekday table young (nothing ``seen``)
    unless told. Per day: the hour it was switched at, or None."""
    spread, ok = np.ones((50, 3)), np.ones((50, 3), dtype=bool)
    seen = np.zeros(7, dtype=bool) if seen is None else seen
    table = np.zeros((7, 3))  # the young table's values: never read
    at = []
    for i, shape in enumerate(shapes):
        day = first + i
        hit = None
        for h in range(hours):
            r = np.asarray(shape(h)) + rng.normal(0, 0.3, (50, 3))
            read.observe(day, h, (day - 100 + 2) % 7, table, seen, r, ok, spread, 1.0)
            if hit is None and read.switched() is not None:
                hit = h
        at.append(hit)
    return at


def test_a_young_weekday_table_reads_each_weekday_against_its_last_day():
    # hourly data: the table reads a weekday after two warm visits (~17 days in); a long
    # holiday in the second week met no reading at all
    friday = np.array([-1.0, -1.0, 0.0])
    work = np.zeros(3)
    week = [(lambda h: friday) if (d + 2) % 7 == 4 else (lambda h: work) for d in range(7)]
    rng = np.random.default_rng(3)
    read = DayType()
    # ordinary days: none switched (the second week read against the first: its noise)
    assert _days(read, 100, week + week, rng) == [None] * 14
    assert read.noise() is not None
    holiday = _days(read, 114, [lambda h: friday], rng)  # a Wednesday spent as a Friday
    assert read.switched() == (114, 4) and holiday[0] is not None and holiday[0] <= 2, holiday
    # an ordinary Wednesday and an outage are no Friday; the switched day was no
    # reference: Wednesday is still read against the ordinary one
    assert _days(read, 115, [*week[1:], lambda h: work], rng) == [None] * 7
    outage = np.array([-6.0, -6.0, -5.0])
    assert _days(read, 122, [lambda h: outage if h >= 6 else work], rng) == [None]
    assert np.abs(read.last_[2]).max() < 0.3  # the Wednesday's: not the holiday's
    # the table once seen wins over the day (its values here: no weekday differs)
    read = DayType()
    _days(read, 100, week + week, rng)
    assert _days(read, 114, [lambda h: friday], rng, seen=np.ones(7, dtype=bool)) == [None]
    # a day's medians carry that day's noise: read in the fleet's noise only (the fixed
    # ratio after two hours switched ordinary days in the second week), so with no whole
    # day read against a reference yet nothing switches
    read = DayType()
    _days(read, 100, week, rng)
    assert read.noise() is None and _days(read, 107, [lambda h: friday], rng) == [None]


def test_the_weekdays_last_days_are_checkpointed_and_an_older_checkpoint_reads_the_table():
    read = DayType()
    _days(read, 100, [lambda h: np.full(3, 0.5)] * 2, np.random.default_rng(5), hours=3)
    assert np.isfinite(read.last_[2]).all() and np.isfinite(read.today_).all()
    again, tree, restored = checkpointed(read)
    np.testing.assert_array_equal(again.day_type_.last_, read.last_)
    np.testing.assert_array_equal(again.day_type_.today_, read.today_)
    for name in ("last_", "today_"):  # a checkpoint from before the recent days' reading
        del tree["attrs"]["day_type_"]["attrs"][name]
    older = restored(tree).day_type_
    assert older.last_.size == 0 and older.today_.size == 0
