"""The local calendar: slots on the network's wall clock, learned weekday effects."""

from __future__ import annotations

import functools

import numpy as np
import pandas as pd
import pytest
from feature_loop import by_timestamp, forked_batches

from telecom_nb import schema as S
from telecom_nb.detectors import make_detector
from telecom_nb.errors import ParameterError
from telecom_nb.features import SeasonalResiduals
from telecom_nb.features.cadence import Cadence
from telecom_nb.features.time_slots import time_slots
from telecom_nb.params import parse_param_text

DAILY = np.array([.5, .35, .25, .2, .18, .2, .3, .5, .7, .85, .9, .92,
                  .9, .88, .88, .9, .92, .95, 1.0, 1.0, .98, .9, .8, .65])
NIGHT = 6  # local hours 0..5


def fleet(weekend: set[int], timezone: str, weeks: float = 4.0, step: str = "1h",
          n_sectors: int = 30, seed: int = 0) -> pd.DataFrame:
    """Sectors whose weekend nights (local time) carry half the traffic of other nights."""
    rng = np.random.default_rng(seed)
    start = pd.Timestamp("2026-04-06", tz=timezone)  # a Monday, local midnight
    times = pd.date_range(start, periods=int(weeks * 7 * pd.Timedelta("1D") / pd.Timedelta(step)),
                          freq=step)
    local = times.tz_localize(None)
    shape = DAILY[local.hour] * np.where(
        local.day_of_week.isin(list(weekend)) & (local.hour < NIGHT), 0.5, 1.0)
    size = rng.lognormal(3, 0.5, n_sectors)
    payload = size[:, None] * shape[None, :] * rng.lognormal(0, 0.05, (n_sectors, len(times)))
    thr = rng.uniform(20, 40, n_sectors)[:, None] * rng.lognormal(0, 0.05, payload.shape)
    return pd.DataFrame({
        S.TIMESTAMP: np.tile(times.tz_convert("UTC"), n_sectors),
        S.SECTOR: np.repeat([f"s{i}" for i in range(n_sectors)], len(times)),
        S.PAYLOAD: payload.ravel(), S.THROUGHPUT: thr.ravel(),
    }).sort_values([S.TIMESTAMP, S.SECTOR], kind="stable", ignore_index=True)


def payload_z(table: pd.DataFrame, faulty: pd.Timestamp | None = None, **params):
    """Seasonal payload z of every row, scored before learning; with ``faulty``, also
    those of the table with sector s0 faulty from then on (a tenth of its traffic), from
    that time on. One view of the table, scored and learned a timestamp at a time as a
    replay does (the DataFrame API per batch gives the same numbers at twice the cost);
    the faulty table's continues from the state at the fault (the rows before it are
    the same: not replayed twice)."""
    f = SeasonalResiduals(kpis=[S.PAYLOAD, S.THROUGHPUT], **params)
    view = f.view(table)
    f.prepare_view(view)
    col = f.feature_names.index(f"{S.PAYLOAD}:season_z")
    if faulty is None:
        return np.concatenate([x[:, col] for *_, x in by_timestamp(f, view)])
    after = (table[S.TIMESTAMP] >= faulty).to_numpy()
    broken = table.copy()
    broken.loc[after & (table[S.SECTOR] == "s0").to_numpy(), S.PAYLOAD] *= 0.1
    other = f.view(broken)
    f.prepare_view(other)
    plain, hit = forked_batches(f, view, other, int(np.argmax(after)))
    return np.concatenate([x[:, col] for x in plain]), np.concatenate([x[:, col] for x in hit])


def fault_time(weekend: frozenset[int], timezone: str) -> pd.Timestamp:
    """01:00 of the fourth week's first weekend day."""
    return pd.Timestamp("2026-04-27", tz=timezone) + pd.Timedelta(days=min(weekend), hours=1)


@functools.cache
def learned(weekend: frozenset[int], timezone: str
            ) -> tuple[pd.DataFrame, np.ndarray, np.ndarray]:
    """``fleet(weekend, timezone)``, its payload z on that calendar (two tests read it),
    and from :func:`fault_time` on the z of the same table with a fault then."""
    table = fleet(set(weekend), timezone)
    return table, *payload_z(table, faulty=fault_time(weekend, timezone), timezone=timezone)


def weekend_nights(table: pd.DataFrame, timezone: str, weekend: set[int], after: str):
    local = table[S.TIMESTAMP].dt.tz_convert(timezone)
    return ((local.dt.day_of_week.isin(list(weekend)) & (local.dt.hour < NIGHT)).to_numpy()
            & (local >= pd.Timestamp(after, tz=timezone)).to_numpy())


@pytest.mark.parametrize(("weekend", "timezone"), [
    ({4}, "Asia/Tehran"),  # Friday
    ({5, 6}, "Asia/Tokyo"),  # Saturday and Sunday: no code change
])
def test_weekend_night_is_learned_and_a_fault_on_it_is_still_found(weekend, timezone):
    table, z, zf = learned(frozenset(weekend), timezone)
    nights = weekend_nights(table, timezone, weekend, after="2026-04-27")  # 4th week
    assert nights.sum() > 0 and np.abs(z[nights]).max() < 4.0
    # without the calendar, the same nights stand out every week (a second weekend night
    # in a row is partly learned as the typical night: it recurs, the sector normal between)
    plain = np.abs(payload_z(table, timezone=timezone, weekly=False)[nights])
    assert np.median(plain) > 2.0 and np.median(plain) > 3 * np.median(np.abs(z[nights]))
    after = (table[S.TIMESTAMP] >= fault_time(frozenset(weekend), timezone)).to_numpy()
    hit = (nights & (table[S.SECTOR] == "s0").to_numpy())[after]  # zf: from the fault on
    assert hit.sum() >= 3 and (zf[hit] < -8.0).all()


def test_first_week_does_not_flood():
    """No same-weekday history yet: the fleet's shape and its scatter carry the weekend."""
    table = fleet({4}, "Asia/Tehran", weeks=1.0)
    nights = weekend_nights(table, "Asia/Tehran", {4}, after="2026-04-06")
    z = payload_z(table, timezone="Asia/Tehran")
    assert nights.sum() > 0 and (np.abs(z[nights]) > 4.0).mean() < 0.02


def test_the_time_zone_shifts_the_calendar():
    ts = pd.DatetimeIndex(["2026-04-09 21:00Z"])  # Thursday in UTC, Friday 00:30 in Tehran
    slot, week = time_slots(ts, 24, "UTC")
    assert (slot[0], week[0]) == (21, 3 * 24 + 21)
    slot, week = time_slots(ts, 24, "Asia/Tehran")
    assert (slot[0], week[0]) == (0, 4 * 24)
    # a Tehran-clock weekend seen on the UTC clock is half an hour and a weekday off
    table, z, _ = learned(frozenset({4}), "Asia/Tehran")
    nights = weekend_nights(table, "Asia/Tehran", {4}, after="2026-04-27")
    assert np.abs(z[nights]).max() < 4.0


def test_five_minute_and_hourly_data_share_one_slot_structure():
    hourly = pd.date_range("2026-04-06", periods=7 * 24, freq="1h", tz="Asia/Tehran")
    fine = pd.date_range("2026-04-06", periods=7 * 24 * 12, freq="5min", tz="Asia/Tehran")
    h_slot, h_week = time_slots(hourly, 24, "Asia/Tehran")
    f_slot, f_week = time_slots(fine, 24, "Asia/Tehran")
    assert (np.unique(h_week) == np.arange(168)).all()
    assert (np.unique(f_week) == np.arange(168)).all()
    assert (f_week == np.repeat(h_week, 12)).all() and (f_slot == np.repeat(h_slot, 12)).all()
    cadence = Cadence()
    for t in fine[:5]:
        cadence.observe(pd.DatetimeIndex([t]))
    assert cadence.step == pd.Timedelta("5min")


def test_first_day_visits_teach_no_weekday_effect_at_five_minutes():
    """On the first day a slot's typical level is the running mean of the visit so far
    (a morning ramp reads above it): a fleet's week slots learn only against a typical day
    that has seen a whole visit (12 samples of an hour at 5 minutes), from day 2 on."""
    table = fleet(set(), "UTC", weeks=(24 + 2) / (7 * 24), step="5min", n_sectors=12)
    table = table[table[S.TIMESTAMP].dt.hour < 2].reset_index(drop=True)  # hours 0-1 a day
    f = SeasonalResiduals(kpis=[S.PAYLOAD, S.THROUGHPUT])
    view = f.view(table)
    f.prepare_view(view)
    for _ in by_timestamp(f, view):
        pass
    monday, tuesday = f.week_.count_[:12, :2], f.week_.count_[:12, 24:26]
    assert (monday == 0).all()  # day 1 (a Monday): no week slot learned from its visits
    assert (tuesday > 0).mean() > 0.9  # day 2: learned against day 1's whole visits
    # the slot level's memory is a duration: slot_alpha per hour of 5-minute data
    assert f.slot_table_.alpha == pytest.approx(1.0 - (1.0 - f.slot_alpha) ** (1.0 / 12.0))
    f.cadence_.step_ns = pd.Timedelta("1h").value  # hourly data: per sample, as tuned
    assert f._slot_weight(True) == f.slot_alpha


def test_weekend_is_learned_at_a_fifteen_minute_cadence_too():
    table = fleet({4}, "Asia/Tehran", step="15min", n_sectors=20)
    nights = weekend_nights(table, "Asia/Tehran", {4}, after="2026-04-27")
    assert np.abs(payload_z(table, timezone="Asia/Tehran")[nights]).max() < 4.0


def test_timezone_parameter_is_validated_and_reachable_from_text():
    det = make_detector("iforest", timezone="Asia/Tehran")
    assert det.timezone == "Asia/Tehran" and det.features_.timezone == "Asia/Tehran"
    with pytest.raises(ParameterError, match="timezone"):
        det.timezone = "Mars/Olympus"
    assert det.timezone == "Asia/Tehran"
    det.set_params(timezone=parse_param_text(det, "timezone", "none"))
    assert det.timezone == "UTC" and det.features_.timezone == "UTC"
    assert make_detector("robust_z").get_params()["timezone"] == "UTC"
    det.timezone = None
    assert det.timezone == "UTC"
