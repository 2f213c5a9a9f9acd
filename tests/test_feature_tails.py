"""Per-feature tails: a KPI's own heavy noise is not extreme, a lasting fault still is."""

from __future__ import annotations

import math

import numpy as np

from telecom_nb.detectors.feature_tails import BODY_MASS, FeatureTails
from telecom_nb.detectors.previous_rows import PreviousRows


def units_of(p: float) -> float:
    """The units a tail probability ``p`` is worth (``ln(0.25 / p)``)."""
    return math.log(BODY_MASS / p)


def availability_like(seed: int, sectors: int = 200, ticks: int = 100):
    """|z| of a KPI at 0 with isolated dips (0.4 % of rows, 2-10) and outages (runs of 5
    ticks at 100-200 on about 0.4 % of rows); rows in tick order, with each row's
    predecessor (same sector, previous tick; NaN on the first tick)."""
    rng = np.random.default_rng(seed)
    z = np.where(rng.random((ticks, sectors)) < 0.004, rng.uniform(2, 10, (ticks, sectors)), 0.0)
    for _ in range(16):  # 16 outages x 5 ticks = 80 rows of 20,000
        t, s = rng.integers(0, ticks - 5), rng.integers(0, sectors)
        z[t : t + 5, s] = rng.uniform(100, 200, 5)
    previous = np.vstack([np.full((1, sectors), np.nan), z[:-1]])
    return z.reshape(-1, 1), previous.reshape(-1, 1)


def test_isolated_heavy_noise_is_not_extreme_but_a_lasting_fault_is():
    x, previous = availability_like(0)
    tails = FeatureTails.fit(x, previous)
    dip, outage = tails(np.array([[8.0], [150.0]]))
    assert dip < units_of(1e-3)  # a usual dip: rarer than 1 in 1000 rows it is not
    assert outage > units_of(1e-6)  # an outage stays far beyond anything normal
    body = (8.0 - tails.anchor[0]) / tails.scale[0]
    assert body > units_of(1e-5)  # the body alone would call the dip one in 100,000s


def test_declustering_keeps_faults_from_widening_the_tail():
    x, previous = availability_like(1)
    declustered = FeatureTails.fit(x, previous)(np.array([[120.0]]))[0]
    every_row = FeatureTails.fit(x)(np.array([[120.0]]))[0]
    assert declustered > every_row + 1.0  # the outage's 5 rows count once, not 5 times


def test_tails_never_make_a_feature_more_extreme_than_its_body():
    rng = np.random.default_rng(2)
    window = np.c_[rng.normal(size=20_000), rng.uniform(-1, 1, 20_000), rng.standard_t(3, 20_000)]
    tails = FeatureTails.fit(window, np.roll(window, 1, axis=0))
    probe = rng.normal(size=(5000, 3)) * 6
    body = (np.abs(probe) - tails.anchor) / tails.scale
    assert (tails.units(probe) <= body + 1e-12).all()
    # the heavy-tailed column's tail is heavier than its body says: judged milder there
    far = np.array([[0.0, 0.0, 12.0]])
    assert tails.units(far)[0, 2] < ((12.0 - tails.anchor) / tails.scale)[2] - 2.0


def test_free_tails_let_the_strongest_feature_read_a_light_tail_beyond_the_body():
    rng = np.random.default_rng(5)
    rare = np.where(rng.random(20_000) < 0.02, rng.normal(size=20_000), 0.0)
    window = np.c_[rng.normal(size=20_000), rng.standard_t(3, 20_000), rare]
    previous = np.roll(window, 1, axis=0)
    tails = FeatureTails.fit(window, previous, free=True)
    assert tails.free.tolist() == [True, True, False]  # almost always 0: no body, not free
    spike = np.array([[6.5, 0.0, 0.0]])  # a Gaussian's 6.5 sigma: p ~ 1e-10
    body = ((6.5 - tails.anchor) / tails.scale)[0]
    assert body < units_of(1e-4)  # the body's exponential: an everyday max over 100 features
    assert tails(spike)[0] > max(units_of(1e-5), body + 3.0)  # its own tail: rare in a fleet
    assert tails.units(spike)[0, 0] == body  # each feature alone stays capped
    assert FeatureTails.fit(window, previous)(spike)[0] == body  # not free: capped
    # a heavy-tailed feature stays milder than its body in the max too
    far = np.array([[0.0, 12.0, 0.0]])
    assert tails(far)[0] < ((12.0 - tails.anchor) / tails.scale)[1] - 2.0


def test_young_window_keeps_the_body():
    rng = np.random.default_rng(3)
    window = rng.normal(size=(100, 2))
    tails = FeatureTails.fit(window, np.roll(window, 1, axis=0))
    assert np.isinf(tails.base).all()  # too few exceedances at every level: no tail fit
    probe = np.array([[5.0, -7.0]])
    assert np.allclose(tails.units(probe), (np.abs(probe) - tails.anchor) / tails.scale)


def test_a_feature_without_body_or_tail_reads_no_rarer_than_one_window_row():
    # a fleet's range-novelty column: 0 but on ~0.1 % of rows (records at z ~3.5), too few
    # for any tail level; the body's floor read a record at z 20 as ~29 units (p ~ 1e-13)
    rng = np.random.default_rng(7)
    record = np.where(rng.random(20_000) < 0.001, rng.uniform(3.4, 4.0, 20_000), 0.0)
    window = np.c_[rng.normal(size=20_000), record]
    tails = FeatureTails.fit(window, np.roll(window, 1, axis=0), free=True)
    probe = np.array([[0.0, 20.0], [0.0, 3.5]])
    one_row = units_of(1.0 / 20_000)
    assert tails.units(probe)[0, 1] <= one_row + 1e-9
    assert tails(probe)[0] <= one_row + 1e-9  # the max (compiled) reads the same
    assert tails.units(probe)[1, 1] == (3.5 - tails.anchor[1]) / tails.scale[1]  # body below
    # a feature with a body of its own keeps reading far beyond the window
    assert tails(np.array([[8.0, 0.0]]))[0] > one_row + 3.0


def test_previous_rows_are_each_kept_rows_predecessor():
    prev = PreviousRows()
    x1 = np.array([[1.0, -1.0], [2.0, -2.0]])  # sectors 0 and 1
    prev.remember(np.array([0, 1]), x1, slice(None), capacity=10)
    x2 = np.array([[3.0, 3.0], [4.0, 4.0], [5.0, 5.0]])  # sectors 1, 2 (new), 0
    prev.remember(np.array([1, 2, 0]), x2, np.array([0, 1, 2]), capacity=10)
    x3 = np.array([[6.0, 6.0], [7.0, 7.0]])  # sectors 2, 0; only sector 0's row kept
    prev.remember(np.array([2, 0]), x3, np.array([1]), capacity=10)
    got = prev.snapshot()
    want = np.array(
        [
            [np.nan, np.nan],
            [np.nan, np.nan],  # first tick: no predecessor
            [2.0, 2.0],
            [np.nan, np.nan],
            [1.0, 1.0],  # |x| of the last tick
            [5.0, 5.0],
        ]
    )
    assert np.array_equal(got, want, equal_nan=True)
    prev.update(np.array([0]), np.array([[-9.0, 9.0]]))  # learned, not kept in the window
    assert prev.last_x_.tolist() == [[-9.0, 9.0]] and len(prev.snapshot()) == 6


def test_detector_window_and_predecessors_stay_row_aligned():
    from test_features import fleet

    from telecom_nb.detectors import make_detector

    det = make_detector("iforest", window_size=500)
    det.score_stream(fleet(n_sectors=30, days=3, seed=4))
    window, previous = det._window.snapshot(), det._previous.snapshot()
    assert window.shape == previous.shape == (500, window.shape[1])
    assert np.isfinite(previous).all()  # every kept row's sector was seen a tick before
    assert det._fitted.inputs.previous is not None


def test_without_tails_the_units_are_the_body_s():
    x, previous = availability_like(5)
    body_only = FeatureTails.fit(x, previous, tails=False)
    probe = np.array([[0.0], [8.0], [150.0]])
    assert np.allclose(body_only.units(probe), (probe - body_only.anchor) / body_only.scale)
    assert body_only(probe)[1] > FeatureTails.fit(x, previous)(probe)[1] + 5.0


def hourly_drop_rate_like(seed: int, onsets: float, sectors: int = 400, ticks: int = 50):
    """|z| of a drop-rate-like KPI at an hourly cadence: exponential noise (scale 1) and
    fault episodes (2-4 ticks at |z| 25-200) starting in ``onsets`` of the rows: at a
    0.15 % onset rate most of the deepest tail level's (0.2 %) exceedances are faults."""
    rng = np.random.default_rng(seed)
    z = rng.exponential(1.0, (ticks, sectors))
    n = rng.poisson(onsets * ticks * sectors)
    for t, s, length in zip(
        rng.integers(0, ticks - 4, n),
        rng.integers(0, sectors, n),
        rng.integers(2, 5, n),
        strict=True,
    ):
        z[t : t + length, s] = rng.uniform(25, 200, length)
    previous = np.vstack([np.full((1, sectors), np.nan), z[:-1]])
    return z.reshape(-1, 1), previous.reshape(-1, 1)


def test_faults_filling_the_deepest_level_do_not_make_it_their_null():
    x, previous = hourly_drop_rate_like(6, onsets=0.0015)
    tails = FeatureTails.fit(x, previous)
    surge, noise = tails(np.array([[35.0], [-math.log(1e-3)]]))
    assert surge > units_of(1e-5)  # was 5.1 units (1 in 170 rows): the faults' own null
    assert noise < units_of(1e-4)  # a 1-in-1000 noise row stays ordinary


def test_a_heavy_normal_deep_tail_is_kept_when_few_faults_sit_in_it():
    x, previous = hourly_drop_rate_like(6, onsets=0.0002)
    heavy = np.random.default_rng(7).random(len(x)) < 0.003  # the KPI's own rare dips
    x[heavy, 0] = np.random.default_rng(8).uniform(8, 60, heavy.sum())
    tails = FeatureTails.fit(x, previous)
    assert tails(np.array([[40.0]]))[0] < units_of(1e-4)  # a usual dip, not a fault


def test_a_constant_kpi_s_rare_dips_keep_their_own_deep_tail():
    """Availability-like: ~0 but in 0.22 % of the rows, dips anywhere in 2-200 (no faults):
    the 0.5 % level sits in the body, the 0.2 % level among the dips; the gap between them
    is the dips' onset, not a tail's scale, and must not shrink the dips' wide tail."""
    rng = np.random.default_rng(10)
    sectors, ticks = 1000, 50
    z = np.where(
        rng.random((ticks, sectors)) < 0.0022,
        rng.uniform(2, 200, (ticks, sectors)),
        np.abs(rng.normal(0, 0.02, (ticks, sectors))),
    )
    previous = np.vstack([np.full((1, sectors), np.nan), z[:-1]])
    tails = FeatureTails.fit(z.reshape(-1, 1), previous.reshape(-1, 1))
    # half the dips reach 100 (p ~1e-3, 5.4 units); the body's gap said 8.6
    assert tails(np.array([[100.0]]))[0] < units_of(1e-4)


def test_without_the_spacing_rule_the_deepest_level_keeps_its_excesses_scale():
    """``spaced=False`` (the joint distance's tail, whose deep tail is every KPI's rare
    normal excursions at once) leaves the faults' scale at the deepest level as it was."""
    x, previous = hourly_drop_rate_like(6, onsets=0.0015)
    kept = FeatureTails.fit(x, previous, spaced=False)
    spaced = FeatureTails.fit(x, previous)
    assert kept.tail_scale[-1, 0] > 3 * spaced.tail_scale[-1, 0]
    assert np.array_equal(kept.tail_scale[:-1], spaced.tail_scale[:-1])
    assert kept(np.array([[35.0]]))[0] < units_of(1e-3)  # the old, faults' own null


def test_a_fleet_s_max_reads_free_tails_after_two_days_of_data_15_minutes_or_more_apart():
    import pandas as pd
    from pipeline_fakes import hourly_iforest

    from telecom_nb.detectors.part_schedule import FREE_TAILS_AFTER

    start = pd.Timestamp("2026-05-04", tz="UTC")
    det, cadence = hourly_iforest(start)
    det._fit_time = start + FREE_TAILS_AFTER - pd.Timedelta("1h")
    assert not det._free_tails()  # a young window's deep tail: its baselines' cold start
    det._fit_time = start + FREE_TAILS_AFTER
    assert det._free_tails()
    cadence.observe(pd.DatetimeIndex([start + pd.Timedelta("75min")]))
    cadence.observe(pd.DatetimeIndex([start + pd.Timedelta("90min")]))
    # 15-minute data: a week's window sees their deep tails (the 20,000 last rows did not)
    assert cadence.step == pd.Timedelta("15min") and det._free_tails()
    for minutes in (95, 100, 105, 110):
        cadence.observe(pd.DatetimeIndex([start + pd.Timedelta(minutes, unit="min")]))
    assert cadence.step == pd.Timedelta("5min") and not det._free_tails()


def test_the_free_reading_counts_a_far_run_with_all_its_rows():
    # The tails are fitted on each run's first row; the max flags every row of a run. A
    # feature whose excursions beyond the gate last 3 rows has 3 times the rows out there
    # that its declustered fit counts: its free reading is ln 3 milder than one whose
    # excursions are single rows (the same declustered rows either way).
    rng = np.random.default_rng(7)
    window = rng.normal(size=(20_000, 1))
    previous = np.roll(window, 1, axis=0)
    single = FeatureTails.fit(window, previous, free=True)
    far = np.abs(window[:, 0]) > np.quantile(np.abs(window[:, 0]), 0.95)
    again = np.repeat(window[far], 2, axis=0)  # each far row continues for 2 more rows
    runs = FeatureTails.fit(
        np.r_[window, again], np.r_[previous, np.full_like(again, np.inf)], free=True
    )
    assert abs(single.runs[0] - math.log(1.05)) < 0.05  # independent rows: short runs
    assert abs(runs.runs[0] - math.log(3.0)) < 0.15
    spike = np.array([[6.5]])
    assert single(spike)[0] - runs(spike)[0] > math.log(3.0) - 0.3


def test_a_frequent_fault_kind_does_not_cap_its_own_rows_at_the_deepest_base():
    """Faults starting in 0.25 % of the rows fill the deepest level (0.2 %): its start sits
    among them, and a fault row below it read exactly that level's base (4.83 units, a
    plateau); the level above's tail (half noise) places it beyond that."""
    x, previous = hourly_drop_rate_like(6, onsets=0.0025)
    tails = FeatureTails.fit(x, previous)
    fault, noise = tails.units(np.array([[30.0], [-math.log(1e-3)]]))[:, 0]
    assert fault > units_of(1e-5)  # was 4.8 units, about the base units_of(0.002)
    assert noise < units_of(1e-4)  # a 1-in-1000 noise row stays ordinary
    assert tails.start[-1, 0] < 30.0 < FeatureTails.fit(x, previous, spaced=False).start[-1, 0]


def test_one_series_predecessors_read_the_units_one_row_on():
    """``of_previous``: where each previous row is ``|x|``'s row before it the units come
    from ``self(x)`` shifted, the very numbers of ``self(previous)``; a window whose
    predecessors are not its own rows (a fleet's, a gap) reads them itself."""
    from telecom_nb.detectors import score_kernels

    rng = np.random.default_rng(2209)
    x = rng.standard_t(3, size=(3000, 9)) * np.array([1, 2, 3, 1, 1, 5, 1, 1, 1])
    x[:, 4] = np.round(x[:, 4])  # zeros and -0.0 beside 0.0
    x[5, 4], x[6, 4] = -0.0, 0.0
    prev = np.vstack([np.full((1, 9), 2.5), np.abs(x[:-1])])
    tails = FeatureTails.fit(x, prev, tails=True)
    units = tails(x)
    assert score_kernels.follows_abs(prev, x)
    got = tails.of_previous(prev, x, units)
    assert got.tobytes() == tails(prev).tobytes()
    other = prev.copy()
    other[1234, 2] = 1e4  # one predecessor not the row before: read as given
    assert not score_kernels.follows_abs(other, x)
    want = tails(other)
    assert want[1234] != units[1233]
    assert tails.of_previous(other, x, units).tobytes() == want.tobytes()
    with_nan = x.copy()
    with_nan[10, 0] = np.nan  # never equal: read as given
    assert not score_kernels.follows_abs(np.nan_to_num(np.abs(np.roll(with_nan, 1, 0))), with_nan)
