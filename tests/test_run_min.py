"""The run part: each KPI's weakest deviation over the last hour's ticks, a part of its own."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from telecom_nb import schema as S
from telecom_nb.detectors import make_detector
from telecom_nb.detectors.feature_tails import FeatureTails
from telecom_nb.detectors.run_part import PENALTY, RunPart, run_columns
from telecom_nb.engine.snapshot import capture, restore
from telecom_nb.features import KpiFeatures
from telecom_nb.features.run_min import MAX_RUN, RunMin, run_ticks, strongest

HOUR = 3_600 * 10**9


def test_a_run_spans_an_hour_of_ticks_between_2_and_max_run():
    assert run_ticks(HOUR) == 2 and run_ticks(24 * HOUR) == 2
    assert run_ticks(HOUR // 4) == 4 and run_ticks(HOUR // 12) == MAX_RUN
    assert run_ticks(0) == MAX_RUN


def test_the_weakest_of_the_last_ticks_counts_and_one_spike_does_not():
    run = RunMin(2)
    rows = np.arange(3)
    ticks = [
        np.array([[5.0, 0.0], [0.2, 9.0], [4.0, 1.0]]),
        np.array([[4.5, 0.0], [0.3, 0.1], [4.0, 1.0]]),
        np.array([[6.0, 0.0], [0.1, 0.2], [4.0, 1.0]]),
    ]
    assert (run.transform(rows, ticks[0], 2) == 0).all()  # no past yet: no evidence
    run.update(rows, ticks[0], 3)
    run.update(rows, ticks[1], 3)
    got = run.transform(rows, ticks[2], 3)
    assert got[0, 0] == pytest.approx(4.5, abs=0.01)  # held for three ticks
    assert got[1, 1] == pytest.approx(0.1, abs=0.01)  # a single tick's 9 is gone
    assert got[2].tolist() == pytest.approx([4.0, 1.0], abs=0.01)
    # two ticks back is not read by a run of two, and an unknown sector reads 0
    assert run.transform(np.array([1, -1]), ticks[2][1:], 2)[:, 1].tolist() == pytest.approx(
        [0.1, 0.0], abs=0.01
    )


@pytest.mark.usefixtures("split_rows")
@pytest.mark.parametrize("ticks", [2, 4])
def test_compiled_run_min_equals_numpy(monkeypatch, ticks):
    from telecom_nb.features import run_min

    rng = np.random.default_rng(ticks)
    fast, slow = RunMin(3), RunMin(3)
    for step in range(12):
        known = 40 + step
        rows = np.arange(known) if step % 3 else rng.choice(known, known, replace=True)
        dev = np.abs(rng.standard_t(2, (len(rows), 3))) * 10 ** rng.uniform(-2, 5, (len(rows), 1))
        dev[rng.random(dev.shape) < 0.05] = np.nan
        dev[::11, 1] = np.inf
        seen = np.where(rng.random(len(rows)) < 0.1, -1, rows)
        got = fast.transform(seen, dev, ticks)
        fast.update(rows, dev, known)
        with monkeypatch.context() as m:
            m.setattr(run_min, "numba", None)
            want = slow.transform(seen, dev, ticks)
            slow.update(rows, dev, known)
        np.testing.assert_array_equal(got.view(np.int64), want.view(np.int64))
        np.testing.assert_array_equal(fast.last_.view(np.uint16), slow.last_.view(np.uint16))
    assert (got > 0).sum() > 20  # not vacuous


def test_strongest_is_the_size_of_a_deviation_and_nan_as_zero():
    assert strongest(np.array([[-3.0, np.nan, 2.5]])).tolist() == [[3.0, 0.0, 2.5]]


def _fleet(days: int = 4, n: int = 40, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    ts = pd.date_range("2026-01-05", periods=days * 24, freq="1h", tz="UTC")
    load = 1 + 0.8 * np.sin(np.arange(len(ts)) * 2 * np.pi / 24)
    shape = (len(ts), n)
    return pd.DataFrame(
        {
            S.TIMESTAMP: np.repeat(ts, n),
            S.SECTOR: np.tile([f"s{i}" for i in range(n)], len(ts)),
            S.PROVINCE: "p",
            "a": (100 * load[:, None] * np.exp(rng.normal(0, 0.1, shape))).ravel(),
            "b": (20 + 5 * load[:, None] + rng.normal(0, 1, shape)).ravel(),
        }
    )


def test_a_fleet_has_run_columns_a_few_series_read_zero():
    table = _fleet(days=2)
    f = KpiFeatures(kpis=["a", "b"])
    for _, batch in table.groupby(S.TIMESTAMP, sort=True):
        x = f.transform(batch)
        f.update(batch)
    assert [c for c in x.columns if c.endswith(":run_z")] == ["a:run_z", "b:run_z"]
    assert (x["a:run_z"] > 0).any()
    one = table[table[S.SECTOR] == "s0"]
    few = KpiFeatures(kpis=["a", "b"])
    for _, batch in one.groupby(S.TIMESTAMP, sort=True):
        y = few.transform(batch)
        few.update(batch)
    assert (y.filter(like=":run_z") == 0).all().all()
    off = KpiFeatures(kpis=["a", "b"], run=False)
    off.transform(table.head(40))
    assert not any(n.endswith(":run_z") for n in off.feature_names)


def test_a_kpi_held_off_for_hours_reads_in_the_run_column_a_spike_does_not():
    table = _fleet()
    last = table[S.TIMESTAMP].max()
    hours = table[S.TIMESTAMP] > last - pd.Timedelta("3h")
    table.loc[hours & (table[S.SECTOR] == "s3"), "a"] *= 0.6  # four hours of 40 % less
    table.loc[(table[S.TIMESTAMP] == last) & (table[S.SECTOR] == "s5"), "a"] *= 0.3
    f = KpiFeatures(kpis=["a", "b"])
    for _, batch in table[table[S.TIMESTAMP] < last].groupby(S.TIMESTAMP, sort=True):
        f.transform(batch)
        f.update(batch)
    x = f.transform(table[table[S.TIMESTAMP] == last])
    run, season = x["a:run_z"].to_numpy(), x["a:season_z"].to_numpy()
    assert run[3] > 2.0  # held: the weakest hour is still far
    assert abs(season[5]) > 4.0 and run[5] < 1.5  # one hour alone: no run
    assert np.median(run) < 1.5


def test_run_part_reads_the_strongest_run_column_on_the_windows_shoulder():
    rng = np.random.default_rng(1)
    ref = np.abs(rng.normal(size=(20_000, 4)))
    ref[:, 2:] = np.minimum(ref[:, 2:], np.abs(rng.normal(size=(20_000, 2))))  # runs: lower
    tails = FeatureTails.fit(ref)
    part = RunPart.fit(tails, ref, run_columns(["a:season_z", "b:season_z", "a:run_z", "b:run_z"]))
    assert part.columns.tolist() == [2, 3]
    rows = np.array([[9.0, 0.0, 0.5, 0.3], [0.0, 0.0, 4.0, 0.2]])
    np.testing.assert_allclose(part.statistic(rows), part.tails.units(rows[:, 2:]).max(axis=1))
    got = part(rows)
    assert got[0] < 1.0 < 3.0 < got[1]  # the season columns are not read
    assert got[1] == pytest.approx(part.null(part.statistic(rows))[1] - PENALTY)
    assert RunPart.fit(tails, ref, ()) is None


def test_a_fleets_model_has_a_run_part_the_forest_does_not_read_it():
    det = make_detector("iforest")
    rng = np.random.default_rng(2)
    ref = rng.normal(size=(5000, 4))
    params = {
        "random_state": 0,
        "n_estimators": 20,
        "heavy_tails": False,
        "joint_columns": (),
        "run_columns": (2, 3),
    }
    model = det._fit_model(ref, params)
    assert model.run is not None and model.forest_columns.tolist() == [0, 1]
    rows = np.array([[0.0, 0.0, 6.0, 0.0]])
    assert det._raw_score(model, rows)[0] >= model.run(rows)[0] > 3.0
    assert det._fit_model(ref, {**params, "heavy_tails": True}).run is None
    young = det._fit_model(ref, {**params, "run_part": False})  # the first day: cold baselines
    assert young.run is None and young.forest_columns.tolist() == [0, 1]


def test_a_checkpoint_restores_the_run_state_exactly():
    frame = _fleet(days=3, n=20)
    stamps = np.sort(frame[S.TIMESTAMP].unique())
    half = frame[S.TIMESTAMP] < stamps[len(stamps) // 2 + 5]
    params = {"kpis": ["a", "b"], "n_estimators": 10, "retrain_interval": "12h"}
    whole = make_detector("iforest", **params)
    expected = whole.score_stream(frame).score[~half.to_numpy()]
    first = make_detector("iforest", **params)
    first.score_stream(frame[half])
    tree, arrays = capture(first, "detector")
    assert '"run_"' in json.dumps(tree)
    again = restore(make_detector("iforest", **params), tree, arrays, "detector")
    np.testing.assert_array_equal(again.features_.run_.last_, first.features_.run_.last_)
    got = again.score_stream(frame[~half]).score
    np.testing.assert_array_equal(got, expected)


def test_strongest_is_numpys_size_of_every_cell_in_one_pass(monkeypatch):
    """Compiled: NaN 0, +-inf the largest float, -0 as +0, any layout; numpy's
    ``nan_to_num`` then ``abs`` to the bit, without their copies and masks."""
    rng = np.random.default_rng(2)
    x = rng.normal(scale=3.0, size=(50, 9))
    x[rng.random(x.shape) < 0.1] = np.nan
    x[0, :4] = [np.inf, -np.inf, -0.0, 0.0]
    want = [np.abs(np.nan_to_num(v, nan=0.0)) for v in (x, x[:, 2:6], x.T)]

    def refused(*args, **kwargs):
        raise AssertionError("numpy's nan_to_num called")

    monkeypatch.setattr(np, "nan_to_num", refused)
    for v, w in zip((x, x[:, 2:6], x.T), want, strict=True):
        got = strongest(v)
        assert got.flags.c_contiguous and not np.shares_memory(got, v)
        np.testing.assert_array_equal(got.view(np.int64), w.view(np.int64))


def test_a_load_dependents_held_run_is_a_part_of_its_own_on_its_own_null():
    """held61: the dependents' run columns (their load residual held for the hour) are read
    by a second run part on their own null, beside the run part over every KPI's runs."""
    from telecom_nb.detectors.run_part import dependent_run_columns

    names = ["users:season_z", "thp:season_z", "users:run_z", "thp:run_z"]
    assert dependent_run_columns(names, ["users", "thp"], np.array([False, True])) == (3,)
    assert dependent_run_columns(names, ["users", "thp"], np.array([False, False])) == ()
    det = make_detector("iforest")
    rng = np.random.default_rng(3)
    ref = np.abs(rng.normal(size=(20_000, 4)))
    ref[:, 2] = np.abs(rng.standard_t(3, size=20_000))  # another KPI's runs: heavy
    params = {"random_state": 0, "n_estimators": 20, "heavy_tails": False,
              "joint_columns": (), "run_columns": (2, 3), "held_run_columns": (3,)}
    model = det._fit_model(ref, params)
    assert model.held_run is not None and model.held_run.columns.tolist() == [3]
    rows = np.array([[0.0, 0.0, 0.0, 4.0]])
    assert model.held_run(rows)[0] > model.run(rows)[0]  # its own null: no t-tailed rival
    assert det.part_scores(model, rows)["held_run"][0] == model.held_run(rows)[0]
    assert det._fit_model(ref, {**params, "held_run_columns": ()}).held_run is None
    assert det._fit_model(ref, {**params, "run_part": False}).held_run is None


def test_the_held_runs_null_is_declustered_a_long_normal_run_counts_once():
    """hold62: a load dependent's held residual lasts hours, so the held run part's
    shoulder is read on the rows that open a run (their sector's previous row not beyond
    the statistic's 95 %), as the pools' held part's null is: long normal runs counted
    row by row widened it and a partial degradation's hour read as one of them."""
    from telecom_nb.detectors.calibration import SHOULDER
    from telecom_nb.detectors.shift_part import declustered_null

    rng = np.random.default_rng(5)
    sectors, ticks = 400, 50
    held = np.abs(rng.normal(size=(sectors, ticks))) * 0.5
    for s in rng.choice(sectors, 60, replace=False):  # long normal runs: 12 ticks each
        t = rng.integers(0, ticks - 12)
        held[s, t : t + 12] = 2.0 + 0.3 * rng.random(12)
    ref = np.abs(rng.normal(size=(sectors * ticks, 4)))
    ref[:, 3] = held.ravel()
    previous = np.vstack([np.full((1, 4), np.nan), ref[:-1]])
    previous[::ticks] = np.nan  # each sector's first tick: no previous row
    params = {"random_state": 0, "n_estimators": 20, "heavy_tails": False,
              "joint_columns": (), "run_columns": (2, 3), "held_run_columns": (3,)}
    plain = RunPart.fit(FeatureTails.fit(ref, previous), ref, (3,))
    part = RunPart.fit(FeatureTails.fit(ref, previous), ref, (3,), previous)
    stat = part.statistic(ref)
    before = part.statistic(np.nan_to_num(previous, nan=0.0))
    want = declustered_null(stat, before, SHOULDER)
    assert part.null.anchor == want.anchor and part.null.tail_scale == want.tail_scale
    rows = np.array([[0.0, 0.0, 0.0, 2.6]])  # beyond every normal run
    assert part(rows)[0] > plain(rows)[0] + 0.5
    model = make_detector("iforest")._fit_model(ref, {**params, "previous": previous})
    assert model.held_run(rows)[0] == pytest.approx(part(rows)[0])  # finer than 30 min
    model = make_detector("iforest")._fit_model(
        ref, {**params, "previous": previous, "held_run_gaussian": True})
    held = RunPart.fit(FeatureTails.fit(ref, previous), ref, (3,), previous, gaussian=True)
    assert model.held_run(rows)[0] == pytest.approx(held(rows)[0])  # (part64: gaussian)
    assert RunPart.fit(FeatureTails.fit(ref), ref, (3,), None).null.anchor == plain.null.anchor


def test_the_held_run_reads_a_normal_residuals_light_tail_as_it_is():
    """part64: the held run's columns are load residuals in their own spreads, white and
    normal on normal rows; the hour's minimum of two has a normal's squared tail, which
    exponentials beyond the shoulder read too heavy. On the normal ``-ln p`` of one tick
    the shoulder null reads it near its true rarity, and no more often than it happens."""
    from scipy.special import log_ndtr

    rng = np.random.default_rng(7)
    sectors, ticks = 400, 60

    def window(seed: int) -> tuple[np.ndarray, np.ndarray]:
        r = np.abs(np.random.default_rng(seed).normal(size=(sectors, ticks + 1)))
        ref = np.abs(rng.normal(size=(sectors * ticks, 3)))
        ref[:, 2] = np.minimum(r[:, 1:], r[:, :-1]).ravel()  # the hour's weakest of two
        previous = np.vstack([np.full((1, 3), np.nan), ref[:-1]])
        previous[::ticks] = np.nan
        return ref, previous

    ref, previous = window(1)
    tails = FeatureTails.fit(ref, previous)
    plain = RunPart.fit(tails, ref, (2,), previous)
    light = RunPart.fit(tails, ref, (2,), previous, gaussian=True)
    rows = np.array([[0.0, 0.0, 3.0]])  # two ticks at 3 spreads: p = (2 Phi(-3))^2
    truth = -2.0 * (np.log(2.0) + log_ndtr(-3.0)) / np.log(10.0) - PENALTY
    assert light(rows)[0] > plain(rows)[0] + 0.5
    assert abs(light(rows)[0] - truth) < 1.0
    fresh, _ = window(2)  # normal rows of another window: read beyond 3 as rarely as that
    assert (light(fresh) > 3.0).mean() <= 2e-3


def test_the_held_run_reads_the_normal_scale_at_30_minutes_or_slower_only():
    """The lead's 63rd merge: part64's normal-scale held run found partials on hourly and
    30-minute worlds and cost a 15-minute OSS world +255 false rows for no event."""
    import pandas as pd
    from pipeline_fakes import hourly_iforest

    start = pd.Timestamp("2026-05-04", tz="UTC")
    det, cadence = hourly_iforest(start)
    _warm_load_fit(det, 10, 10)
    assert det._held_gaussian()
    for minutes in (90, 120, 150):
        cadence.observe(pd.DatetimeIndex([start + pd.Timedelta(minutes, unit="min")]))
    assert cadence.step == pd.Timedelta("30min") and det._held_gaussian()
    det, cadence = hourly_iforest(start)
    _warm_load_fit(det, 10, 10)
    for minutes in range(75, 300, 15):
        cadence.observe(pd.DatetimeIndex([start + pd.Timedelta(minutes, unit="min")]))
    assert cadence.step == pd.Timedelta("15min") and not det._held_gaussian()


def _warm_load_fit(det, sectors: int, warm: int) -> None:
    """``det``'s load family (KPIs a, b; dependent c) with a per-sector fit warm on the
    first ``warm`` of ``sectors`` sectors."""
    from telecom_nb.features.load_fit import MIN_N, LoadFit

    load = det.features_.load_
    load.family_ = np.array([True, True, False])
    load.dependent_ = np.array([False, False, True])
    fit = LoadFit(load.family_, load.dependent_)
    fit.n_ = np.full((sectors, 1), 10 * MIN_N)
    fit.m_ = np.where(np.arange(sectors) < warm, 2 * MIN_N, 0.0)[:, None]
    load.fit_ = fit


def test_the_held_run_keeps_the_tails_units_where_the_load_fit_does_not_read():
    """sat66: a multi-RAT OSS fleet's load family spans KPIs no row has together (2G/3G
    traffic beside LTE PRB), its per-sector fit never learns, and the held run's columns
    hold the dependents' heavy-tailed peer deviations: on the normal scale they cost four
    hourly OSS worlds their held-run false rows for no event."""
    import pandas as pd
    from pipeline_fakes import hourly_iforest

    from telecom_nb.detectors.part_schedule import HELD_WARM_SHARE
    from telecom_nb.features.load_explained import LoadExplained

    start = pd.Timestamp("2026-05-04", tz="UTC")
    det, _ = hourly_iforest(start)
    assert not det._held_gaussian()  # no load family: nothing the fit reads
    _warm_load_fit(det, 10, 4)
    assert HELD_WARM_SHARE > 0.4 and not det._held_gaussian()
    _warm_load_fit(det, 10, 6)
    assert det._held_gaussian()
    # the fleet's own way to get there: members a and b never on one row (two RATs)
    load = LoadExplained(3)
    load.family_, load.dependent_ = np.array([True, True, False]), np.array([False, False, True])
    rng = np.random.default_rng(3)
    rows = np.arange(20)
    for _ in range(200):
        scaled = rng.normal(3.0, 0.3, size=(20, 3))
        valid = np.ones((20, 3), dtype=bool)
        valid[:10, 0] = valid[10:, 1] = False
        load.learn_fit(rows, scaled, valid, 20)
    step = pd.Timedelta("1h").value
    assert load.fit_.n_.max() == 0 and load.warm_share(step) == 0.0
    valid[:] = True  # one RAT: every member on every row
    for _ in range(200):
        load.learn_fit(rows, rng.normal(3.0, 0.3, size=(20, 3)), valid, 20)
    assert load.warm_share(step) == 1.0
