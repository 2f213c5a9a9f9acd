"""Ratios of few counts: detected from their values, their z capped at binomial evidence."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from telecom_nb import schema
from telecom_nb.features import fraction_kernel
from telecom_nb.features.count_fractions import (
    MAX_COUNTS,
    TOLERANCE,
    fewest_counts,
    fewest_decimals,
    fraction_hits,
    smallest_fraction,
)
from telecom_nb.features.count_ratio import CONTROL_SHIFT, CountRatios, binomial_z
from telecom_nb.features.seasonal import SeasonalResiduals


def test_fewest_counts_reads_the_denominator_off_the_value():
    v = np.array([100.0, 0.0, 50.0, 33.33, 66.67, 88.89, 5.8824, 97.89, 1.1111, np.nan, 3600.0])
    assert fewest_counts(v).tolist() == [1, 1, 2, 3, 3, 9, 17, 21, 21, 21, 21]


def test_binomial_z_is_the_tail_of_k_of_n():
    z = binomial_z(np.array([0.0, 1.0, 0.5, 0.0]), np.array([1.0, 1.0, 2.0, 3.0]),
                   np.array([0.98, 0.98, 0.98, 0.98]))
    assert z[0] == pytest.approx(2.054, abs=1e-3)  # one failure at a 2 % failure rate
    assert z[1] == 0.0  # the expected side
    assert 1.5 < z[2] < z[0] < z[3]  # three of three failing is rarer than one of one


def _values(rng: np.random.Generator, n: int) -> dict[str, np.ndarray]:
    attempts = rng.choice([3, 6, 7], n)
    return {
        "ratio": 100.0 * rng.binomial(attempts, 0.95) / attempts,
        "percent": rng.uniform(0, 100, n).round(2),  # a continuous percentage
        "integer": rng.integers(0, 100, n).astype(float),  # counts that stay below 100
        "big": rng.uniform(0, 1000, n),  # outside [0, 100]
    }


def test_a_ratio_of_counts_is_told_from_its_values_alone():
    rng = np.random.default_rng(0)
    c = CountRatios(4)
    for _ in range(20):
        raw = np.column_stack(list(_values(rng, 100).values()))
        c.update(np.arange(100), np.zeros(100, dtype=np.intp), raw, 100)
    assert c.ratios().tolist() == [True, False, False, False]


def test_a_busy_cells_rate_is_a_ratio_after_a_few_nights_of_few_counts():
    """A setup success rate of hundreds of attempts by day shows its counts only at night
    (2 of 3 setups): a few nights' such values beside no control hit tell it, while a
    continuous percentage with as many hits is not (t2540: 61 night false rows while CSSR
    and Call Drop waited two weeks for 50 hits)."""
    rng = np.random.default_rng(3)
    c = CountRatios(2)
    for night in range(25):
        busy = 100.0 * rng.binomial(400, 0.99, 96) / 400  # a day's busy quarter hours
        rate = np.append(busy, [66.67 if night % 2 else 33.33]).round(2)  # one night value
        smooth = rng.uniform(0, 100, len(rate)).round(2)
        smooth[0] = 33.33  # as many lattice hits as the rate has, by chance
        raw = np.column_stack([rate, smooth])
        c.update(np.arange(len(raw)), np.zeros(len(raw), dtype=np.intp), raw, len(raw))
    assert c.lattice_[0] == 25 and c.control_[0] == 0
    assert c.ratios().tolist() == [True, False]


def _fleet(n_sectors: int = 30, days: int = 10, seed: int = 1) -> pd.DataFrame:
    """Hourly rows: a success rate of hundreds of attempts by day, a handful at night."""
    rng = np.random.default_rng(seed)
    times = pd.date_range("2026-03-02", periods=24 * days, freq="h", tz="UTC")
    t = np.repeat(times, n_sectors)
    night = np.asarray(t.hour < 6)
    attempts = np.where(night, rng.choice([3, 6, 7], len(t)), rng.integers(300, 500, len(t)))
    rate = 100.0 * rng.binomial(attempts, 0.97) / attempts
    load = np.exp(rng.normal(3 - night, 0.1))
    return pd.DataFrame({schema.TIMESTAMP: t,
                         schema.SECTOR: np.tile([f"s{i}" for i in range(n_sectors)], len(times)),
                         "rate": rate.round(2), "load": load})


def _last_z(frame: pd.DataFrame, hour: int, value: float, before: float) -> float:
    """Sector s0's z of ``rate`` at ``value`` on the last day's ``hour``, the hour before at
    ``before``, after learning everything before."""
    last = frame[schema.TIMESTAMP].max().normalize() + pd.Timedelta(hours=hour)
    frame = frame[frame[schema.TIMESTAMP] <= last].copy()
    s0 = frame[schema.SECTOR] == "s0"
    frame.loc[s0 & (frame[schema.TIMESTAMP] == last), "rate"] = value
    frame.loc[s0 & (frame[schema.TIMESTAMP] == last - pd.Timedelta("1h")), "rate"] = before
    season = SeasonalResiduals(kpis=["rate", "load"], relations=False)
    batches = [b for _, b in frame.groupby(schema.TIMESTAMP, sort=True)]
    for batch in batches[:-1]:
        season.update_view(season.view(batch))
    assert season.lumpy_.counts_.ratios().tolist() == [True, False]
    z = season.transform_view(season.view(batches[-1]))
    return float(z[batches[-1][schema.SECTOR].to_numpy() == "s0", 0][0])


def test_a_quiet_hours_failure_of_one_attempt_is_not_hundreds_of_spreads():
    frame = _fleet()
    # 0 % after 66.67 % (2 of 3) at night: one failed attempt, as evidence ~2 spreads
    assert -4.0 < _last_z(frame, 3, 0.0, 66.67) < 0.0


def test_a_busy_hours_total_failure_keeps_its_z():
    frame = _fleet()
    # 0 % after 97.21 % (hundreds of attempts): every attempt failed
    assert _last_z(frame, 14, 0.0, 97.21) < -20.0
    assert fewest_counts(np.array([97.21]))[0] > MAX_COUNTS


def test_a_fraction_of_a_few_counts_is_capped_whatever_came_before():
    frame = _fleet()
    # 66.67 % (2 of 3) right after a busy 97.21 %: the value itself shows three attempts
    assert -4.0 < _last_z(frame, 14, 66.67, 97.21) < 0.0


def test_smallest_fraction_is_the_fewest_counts_of_any_size():
    rng = np.random.default_rng(5)
    n = rng.integers(1, 400, 3000)
    v = np.round(100.0 * rng.integers(0, n + 1) / n, 4)
    k, got = smallest_fraction(v)
    assert (got >= 1).all() and (got <= n).all()  # never more counts than it took
    assert np.allclose(100.0 * k / got, v, atol=0.0051)
    brute = np.zeros(len(v), dtype=np.int64)
    for m in range(400, 0, -1):  # the smallest match wins (written last)
        brute = np.where(np.abs(v - 100.0 * np.round(v * m / 100.0) / m) <= 0.0051, m, brute)
    assert (got == brute).mean() > 0.995  # the rest: rounding at the tolerance's edge
    assert smallest_fraction(np.array([13.7056]))[1][0] == 124
    assert smallest_fraction(np.array([np.nan, 120.0]))[1].tolist() == [0, 0]
    small = fewest_counts(v) <= MAX_COUNTS  # where the search up to 20 finds one: the same
    assert (fewest_counts(v)[small] == got[small]).all()


def test_a_surge_of_a_rare_event_rate_stands_out_and_one_drop_does_not():
    """A drop rate of 1 % of 2-200 calls reads 0 % nearly always, one drop now and then
    (its median, the seasonal level, is 0): a surge to 13.7 % is far more evidence than
    one drop in 50 calls."""
    rng = np.random.default_rng(2)
    c = CountRatios(1)
    for _ in range(200):
        calls = rng.choice([3, 6, 7, 50, 120, 200], 100)
        raw = (100.0 * rng.binomial(calls, 0.01) / calls).round(4)[:, None]
        c.update(np.arange(100), np.zeros(100, dtype=np.intp), raw, 100)
    assert c.ratios().tolist() == [True]
    rows, slot = np.array([0, 1, 2]), np.zeros(3, dtype=np.intp)
    z = c.evidence(rows, slot, np.array([[13.7056], [2.0], [0.7692]]), np.zeros((3, 1)))[:, 0]
    assert z[0] > 6.0  # at least 17 drops of 124 calls
    assert 0.0 < z[1] < 2.0  # one drop of 50
    assert abs(z[2]) < 1.0  # one drop of 130: as expected


def test_compiled_smallest_fraction_equals_numpy(monkeypatch):
    if fraction_kernel.numba is None:
        pytest.skip("numba missing")
    rng = np.random.default_rng(7)
    n = rng.integers(1, 3000, (500, 3))
    v = np.round(100.0 * rng.integers(0, n + 1) / n, rng.choice([2, 4]))
    v[rng.random(v.shape) < 0.05] = np.nan
    v[0, :] = [-3.0, 120.0, 100.0]
    got = smallest_fraction(v)
    with monkeypatch.context() as m:
        m.setattr(fraction_kernel, "numba", None)
        want = smallest_fraction(v)
    for a, b in zip(got, want, strict=True):
        np.testing.assert_array_equal(a, b)


def _assert_compiled_equals_numpy(monkeypatch, sample: np.ndarray) -> None:
    """The compiled ratio detection reads ``sample`` as the numpy lines do, value for value."""
    got = fraction_hits(sample), fewest_decimals(sample)
    with monkeypatch.context() as m:
        m.setattr(fraction_kernel, "numba", None)
        want = fraction_hits(sample), fewest_decimals(sample)
    assert got[0].tolist() == want[0].tolist()
    assert got[1].tolist() == want[1].tolist()


def test_compiled_ratio_detection_equals_numpy(monkeypatch):
    """The per-tick detection of ratio KPIs (fraction hits, decimals), compiled and not."""
    if fraction_kernel.numba is None:
        pytest.skip("numba missing")
    rng = np.random.default_rng(11)
    n = rng.integers(1, 40, (600, 5))
    v = 100.0 * rng.integers(0, n + 1) / n
    for j, decimals in enumerate((2, 4, 7)):
        v[:, j] = np.round(v[:, j], decimals)
    v[:, 3] = rng.normal(50.0, 30.0, len(v))  # continuous, some outside [0, 100]
    v[:, 4] = np.round(v[:, 4])  # integers only: 0 decimals
    v[rng.random(v.shape) < 0.05] = np.nan
    v[0, :] = [-3.0, 120.0, np.inf, 100.0 - 0.004, 2.5]  # ties of rounding: x.5
    # fractions missed or hit by a hair: the compiled pass's cheap pre-test must not skip
    # a value the exact test takes
    n_, k_ = rng.integers(1, 11, 3000), rng.integers(0, 11, 3000)
    edge = 100.0 * np.minimum(k_, n_) / n_ + rng.choice([-1.0, 1.0], 3000) * TOLERANCE
    edge = np.nextafter(edge, rng.choice([-np.inf, np.inf], 3000))
    edge = np.where(rng.random(3000) < 0.5, edge, edge + rng.normal(0.0, 1e-3, 3000))
    v = np.vstack([v, np.column_stack([edge[:600], edge[600:1200], edge[1200:1800],
                                       edge[1800:2400], edge[2400:]])])
    for sample in (v, v - CONTROL_SHIFT, v + CONTROL_SHIFT, v[:0], v[:, :1]):
        _assert_compiled_equals_numpy(monkeypatch, sample)
    assert fraction_hits(v).sum() > 100  # the test reads fractions, not only misses


def test_ratio_detection_compiles_once_for_every_sample_layout(monkeypatch):
    """A fleet of more than ``FLEET_SAMPLE`` rows passes a strided sample (``'A'``), a
    smaller one its rows (``'C'``), an export's block may be F-ordered: after the warm-up's
    64-sector fleet a 5,000-sector replay compiled the decimals kernel anew (0.2-0.3 s CPU
    of a user's first large replay). One signature takes them all, with the numpy lines'
    numbers."""
    if fraction_kernel.numba is None:
        pytest.skip("numba missing")
    rng = np.random.default_rng(3152)
    n = rng.integers(1, 40, (4001, 4))
    rows = np.round(100.0 * rng.integers(0, n + 1) / n, 2)
    rows[:, 3] = np.round(rows[:, 3])
    for sample in (rows, rows[:: 1 + len(rows) // 2000], np.asfortranarray(rows)):
        _assert_compiled_equals_numpy(monkeypatch, sample)
    for kernel in (fraction_kernel._hits_kernel, fraction_kernel._decimals_kernel):
        assert len(kernel.kernel.signatures) == 1


def test_a_busy_hours_drop_of_hundreds_of_attempts_keeps_its_z():
    """90.12 % is 73 of 81 within the rounding of 2 decimals, yet this cell's busy hours
    take hundreds of attempts and its values mostly show no counts: the seasonal z."""
    frame = _fleet()
    assert _last_z(frame, 14, 90.12, 97.21) < -6.0


def test_the_decimals_of_an_export_set_how_many_counts_a_value_shows():
    c = CountRatios(2)
    raw = np.array([[12.5, 12.5], [33.33, 33.3333], [97.21, 0.4115]])
    c.update(np.arange(3), np.zeros(3, dtype=np.intp), raw, 3)
    tolerance, most = c.resolution()
    assert c.decimals_.tolist() == [2, 4]
    assert np.allclose(tolerance, [0.0051, 0.000051]) and most.tolist() == [MAX_COUNTS, 200]


def test_a_busy_hours_half_is_one_of_two_not_hundreds_of_spreads():
    frame = _fleet()
    # 50 % right after a busy 97.21 %: one of two handovers failed (a busy cell's hundreds
    # of attempts land on exactly half only in a collapse no export shows)
    assert -4.0 < _last_z(frame, 14, 50.0, 97.21) < 0.0


def test_a_sector_that_never_dropped_is_judged_at_the_fleets_rate_too():
    """A drop rate of 1 % of 2-10 calls: a sector whose values were all 0 % so far has a
    mean rate of 0; one drop of two calls is not a 4.6-sigma event for it."""
    rng = np.random.default_rng(4)
    c = CountRatios(1)
    for _ in range(200):
        calls = rng.choice([2, 3, 6, 7, 10], 100)
        raw = (100.0 * rng.binomial(calls, 0.01) / calls).round(4)
        raw[0] = 0.0  # sector 0: never a drop
        c.update(np.arange(100), np.zeros(100, dtype=np.intp), raw[:, None], 100)
    assert c.ratios().tolist() == [True]
    z = c.evidence(np.array([0]), np.zeros(1, dtype=np.intp), np.array([[50.0]]),
                   np.zeros((1, 1)))[0, 0]
    assert 0.0 < z < 3.0


def test_a_quiet_phases_two_failures_of_21_are_read_in_counts_a_busy_cells_are_not():
    """90.48 % is 19 of 21: beyond the 20 counts a value shows alone, read in counts where
    the sector's last values were of as few (a quiet night), not after a busy 99.47 %."""
    rng = np.random.default_rng(5)
    c = CountRatios(1)
    slot = np.zeros(100, dtype=np.intp)
    for _ in range(30):
        n = rng.choice([3, 7, 9, 21, 26, 33], 100)
        raw = (100.0 * (n - rng.binomial(n, 0.03)) / n).round(2)
        raw[0], raw[1] = 96.97, 99.47  # 32 of 33; hundreds of attempts
        c.update(np.arange(100), slot, raw[:, None], 100)
    assert c.ratios().tolist() == [True]
    values, expected = np.array([[90.48], [90.48]]), np.full((2, 1), 97.0)
    z = c.evidence(np.array([0, 1]), slot[:2], values, expected)[:, 0]
    assert -3.0 < z[0] < 0.0 and np.isnan(z[1])


def test_a_surges_own_drops_barely_move_the_rate_they_are_judged_at():
    """A drop rate of 3 % of 3-37 calls: one hour of 9 drops in 40 (z > 5 at the rate)
    moves the sector's rate a tenth of what a usual value does, so its next hour's 2 of 8
    reads as the surge it is; a usual value of one drop moves it in full, and only the
    usual values make the fleet's rate."""
    rng = np.random.default_rng(6)
    c = CountRatios(1)
    slot = np.zeros(50, dtype=np.intp)
    for _ in range(45):
        calls = rng.choice([3, 4, 6, 7, 9, 13, 23, 37], 50)
        raw = (100.0 * rng.binomial(calls, 0.03) / calls).round(4)
        c.update(np.arange(50), slot, raw[:, None], 50)
    assert c.ratios().tolist() == [True] and (c.rate_n_[:2, 0] >= 24).all()
    before, fleet = c.rate_[:2, 0].copy(), c.fleet_rate_[0]
    a = np.maximum(1.0 / (c.rate_n_[:2, 0] + 1.0), 0.01)
    raw = np.zeros((50, 1))
    raw[0, 0], raw[1, 0] = 22.5, 1 / 37 * 100  # 9 of 40; one drop of 37
    read = c.read(np.arange(50), slot, raw, np.zeros(raw.shape))
    c.update(np.arange(50), slot, raw, 50, read)
    moved = c.rate_[:2, 0] - before
    assert moved[0] == pytest.approx(0.1 * a[0] * (22.5 - before[0]), rel=1e-9)
    assert moved[1] == pytest.approx(a[1] * (100 / 37 - before[1]), rel=1e-9)
    tick = (100 / 37) / 49  # the usual values' mean, without the surge's 22.5 %
    assert c.fleet_rate_[0] == pytest.approx(fleet + 0.05 * (tick - fleet), rel=1e-9)
