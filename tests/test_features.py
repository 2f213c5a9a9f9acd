"""Features that remove the expected: no learning in transform, no look-ahead, generic inputs."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from telecom_nb import schema as S
from telecom_nb.defaults import FEW_SERIES
from telecom_nb.features import KpiFeatures, SeasonalResiduals


def fleet(n_sectors=40, days=4, step="1h", seed=0, provinces=4) -> pd.DataFrame:
    """Sectors of very different sizes sharing a strong daily cycle, plus noise."""
    rng = np.random.default_rng(seed)
    ts = pd.date_range("2026-01-05", periods=int(days * 24 * pd.Timedelta("1h") /
                                                 pd.Timedelta(step)), freq=step, tz="UTC")
    hours = (ts.hour + ts.minute / 60).to_numpy()
    profile = 0.15 + np.exp(-((hours - 20) ** 2) / 10)
    size = np.exp(rng.normal(0, 1.2, n_sectors))
    load = profile[:, None] * size * np.exp(rng.normal(0, 0.08, (len(ts), n_sectors)))
    return pd.DataFrame({
        S.TIMESTAMP: np.repeat(ts, n_sectors),
        S.SECTOR: np.tile([f"s{i}" for i in range(n_sectors)], len(ts)),
        S.PROVINCE: np.tile([f"p{i % provinces}" for i in range(n_sectors)], len(ts)),
        S.PAYLOAD: (300 * load).ravel(),
        S.THROUGHPUT: (30 / (1 + 0.3 * load) * np.exp(rng.normal(0, 0.05, load.shape))).ravel(),
        S.PRB: np.clip(100 * load / (1 + load), 0, 100).ravel(),
        S.AVAILABILITY: 100.0,
    })


def batches(table):
    return [b for _, b in table.groupby(S.TIMESTAMP, sort=True)]


def run(extractor, bs):
    out = []
    for b in bs:
        out.append(extractor.transform(b))
        extractor.update(b)
    return out


def state_arrays(f: KpiFeatures):
    return [a.copy() for p in f.parts_ for a in vars(p).values() if isinstance(a, np.ndarray)]


def test_transform_twice_same_and_no_state_change():
    bs = batches(fleet(days=2))
    f = KpiFeatures()
    run(f, bs[:-1])
    before = state_arrays(f)
    a, b = f.transform(bs[-1]), f.transform(bs[-1].copy())
    pd.testing.assert_frame_equal(a, b)
    after = state_arrays(f)
    assert all(np.array_equal(x, y, equal_nan=x.dtype.kind == "f")
               for x, y in zip(before, after, strict=True))
    assert np.isfinite(a.to_numpy()).all()


def test_no_look_ahead():
    bs = batches(fleet(days=2))
    short = run(KpiFeatures(), bs[:30])
    full = run(KpiFeatures(), bs)
    for x, y in zip(short, full[:30], strict=True):
        pd.testing.assert_frame_equal(x, y)


def test_daily_peak_and_size_are_removed():
    table = fleet(days=5)
    out = pd.concat(run(KpiFeatures(), batches(table)))
    last_day = table[S.TIMESTAMP] >= table[S.TIMESTAMP].max() - pd.Timedelta("1D")
    z = out.loc[last_day, "payload_mb:season_z"].abs()
    peak = table.loc[last_day, S.TIMESTAMP].dt.hour == 20
    assert z[peak].median() < 1.5  # the daily peak is expected, not anomalous
    size = table.loc[last_day].groupby(S.SECTOR)[S.PAYLOAD].transform("mean")
    big, small = size >= size.median(), size < size.median()
    worst = out.loc[last_day].abs().max(axis=1)
    # big and small normal sectors equally rarely extreme
    assert abs((worst[big] > 4).mean() - (worst[small] > 4).mean()) < 0.05
    assert np.isfinite(out.to_numpy()).all()


def test_single_value_series_without_ids():
    ts = pd.date_range("2026-01-01", periods=300, freq="5min", tz="UTC")
    table = pd.DataFrame({S.TIMESTAMP: ts, "value": np.sin(np.arange(300) / 20) + 5})
    f = KpiFeatures()
    out = pd.concat(run(f, [table.iloc[i:i + 1] for i in range(len(table))]))
    assert f.kpis_ == ("value",)
    assert np.isfinite(out.to_numpy()).all()
    assert (out.filter(like="peer_z") == 0).all().all()  # no peers: no evidence
    assert (out.filter(like="province_z") == 0).all().all()


def test_one_sector_unknown_province_and_changing_sectors():
    table = fleet(n_sectors=6, days=2).drop(columns=[S.PROVINCE])
    bs = batches(table)
    bs = [b[b[S.SECTOR] != "s5"] if i < 20 else b for i, b in enumerate(bs)]  # s5 appears
    bs = [b[b[S.SECTOR] != "s0"] if i > 30 else b for i, b in enumerate(bs)]  # s0 leaves
    f = KpiFeatures()
    out = run(f, bs)
    first_s5 = out[20].loc[bs[20][S.SECTOR] == "s5"]
    assert (first_s5.filter(like="season_z") == 0).all().all()  # no history yet: no evidence
    assert all(np.isfinite(o.to_numpy()).all() for o in out)
    single = run(KpiFeatures(), batches(fleet(n_sectors=1, days=1)))
    assert all(np.isfinite(o.to_numpy()).all() for o in single)


def test_generic_kpi_list_and_missing_values():
    table = fleet(n_sectors=5, days=1)
    table.loc[table.index[::7], S.THROUGHPUT] = np.nan
    f = SeasonalResiduals(kpis=[S.PAYLOAD, S.THROUGHPUT])
    out = run(f, batches(table))
    assert list(out[0].columns) == [
        "payload_mb:season_z", "throughput_mbps:season_z", "payload_mb/throughput_mbps:season_z"
    ]
    assert all(np.isfinite(o.to_numpy()).all() for o in out)


def test_bad_parameter_is_rejected():
    from telecom_nb.errors import ParameterError

    f = KpiFeatures()
    with pytest.raises(ParameterError, match="slots_per_day"):
        f.slots_per_day = 0
    assert f.slots_per_day == 24


def test_persistence_builds_up_on_a_lasting_shift_and_ends_with_it():
    table = fleet(days=4, step="15min", seed=2)
    bs = batches(table)
    f = KpiFeatures()
    run(f, bs[:288])
    out = []
    for i, b in enumerate(bs[288:300]):
        b = b.copy()
        row = b.index[b[S.SECTOR] == "s3"][0]
        if i < 8:  # throughput 30 % down for two hours, then normal again
            b.loc[row, S.THROUGHPUT] *= 0.7
        out.append(f.transform(b).loc[row])
        f.update(b)
    season = np.array([o["throughput_mbps:season_z"] for o in out])
    persist = np.array([o["throughput_mbps:persist_z"] for o in out])
    assert (season[:8] < 0).all() and (persist[:8] <= 0).all()
    assert persist[7] < season[7] - 1.0  # evidence accumulated beyond one tick's
    assert abs(persist[8]) <= abs(season[8]) / 0.42 + 1e-9  # bounded by the current tick
    assert (np.sign(persist[8:]) * np.sign(season[8:]) >= 0).all()  # never against it


def _season_z_of(f, bs, sector, kpi, edit):
    """Season z of ``sector``'s ``kpi`` per batch, with ``edit(i, b, row)`` applied first."""
    out = []
    for i, b in enumerate(bs):
        b = b.copy()
        row = b.index[b[S.SECTOR] == sector][0]
        edit(i, b, row)
        out.append(f.transform(b).loc[row, f"{kpi}:season_z"])
        f.update(b)
    return np.array(out)


def test_fault_in_a_cold_slot_stays_visible_and_is_not_the_next_days_normal():
    bs = batches(fleet(days=2, step="15min", seed=5))
    fault = range(40, 48)  # 10:00-11:45 on the first day: slots never seen before

    def edit(i, b, row):
        if i in fault:
            b.loc[row, S.THROUGHPUT] *= 0.3

    z = _season_z_of(KpiFeatures(), bs, "s3", S.THROUGHPUT, edit)
    assert (z[list(fault)] < -8).all(), z[list(fault)]  # not absorbed within the hour
    assert (np.abs(z[[i + 96 for i in fault]]) < 4).all()  # the next day is normal again


def test_deviation_recurring_at_the_same_time_each_day_becomes_normal():
    bs = batches(fleet(days=4, step="15min", seed=5))

    def edit(i, b, row):  # this sector's own shape: half the throughput at 10:00 daily
        if (i % 96) // 4 == 10:
            b.loc[row, S.THROUGHPUT] *= 0.5

    z = _season_z_of(KpiFeatures(), bs, "s3", S.THROUGHPUT, edit)
    day = np.arange(len(z)) // 96
    at_ten = (np.arange(len(z)) % 96) // 4 == 10
    assert (z[at_ten & (day == 0)] < -4).all()  # the first time: unlike anything seen
    assert (np.abs(z[at_ten & (day == 3)]) < 4).all(), z[at_ten]  # learned from repeats


def test_persistence_spread_prior_is_the_fleets_not_a_fixed_one():
    from telecom_nb.features.persistence import PRIOR_SD, WHITE_SD, Persistence

    rng = np.random.default_rng(0)
    p = Persistence(1)
    rows = np.arange(50)
    for _ in range(60):  # white unit z-scores: the running mean spreads by ~WHITE_SD
        p.update(rows, rng.normal(size=(50, 1)), 50)
    assert WHITE_SD <= p.fleet_sd_[0] < 0.7 * PRIOR_SD
    z = np.full((50, 1), 3.0)
    fixed = Persistence(1)
    fixed.mean_, fixed.usual_ = p.mean_, p.usual_  # same history, the old fixed prior
    # a lasting 3-sigma shift: evidence beyond what a prior of one would allow
    assert np.median(p.transform(rows, z)) > 1.2 * np.median(fixed.transform(rows, z))


def test_a_fleets_persistence_restarts_after_a_loud_tick():
    """An outage (availability z -400, a count at -12) is its own alarm: the rows after it,
    a count back at -2.5, read their own few ticks of evidence, not the outage's -12 as
    their -2.5 persisting (the cap alone allows |z| / WHITE_SD). One series keeps the mean."""
    from telecom_nb.features.persistence import WHITE_SD, Persistence

    rng = np.random.default_rng(0)
    rows = np.arange(40)
    after = {}
    for restart in (False, True):
        p = Persistence(2)
        p.restart = restart
        for _ in range(60):
            p.update(rows, rng.normal(size=(40, 2)), 40)
        outage = np.tile([-400.0, -12.0], (40, 1))
        for _ in range(3):
            p.update(rows, outage, 40)
        back = np.tile([0.0, -2.5], (40, 1))
        after[restart] = p.transform(rows, back)[:, 1]
    assert np.allclose(after[False], -2.5 / WHITE_SD)  # the outage's mean, capped at the row
    assert (np.abs(after[True]) < 0.5 * 2.5 / WHITE_SD).all()  # one tick of -2.5 behind it


def test_a_view_reuses_the_last_views_id_arrays_when_the_strings_are_equal():
    """The next tick's view takes the last view's sector and province arrays when its
    columns hold the same strings (compared in Arrow), and converts them anew otherwise."""
    from telecom_nb.features.view import make_view

    kpis = (S.PRB,)

    def batch(ids, provinces):
        return pd.DataFrame({S.TIMESTAMP: pd.Timestamp("2024-01-01", tz="UTC"),
                             S.SECTOR: pd.Series(ids, dtype="str"),
                             S.PROVINCE: pd.Series(provinces, dtype="str"),
                             S.PRB: 1.0})

    first = make_view(batch(["a", "b"], ["P", None]), kpis)
    same = make_view(batch(["a", "b"], ["P", None]), kpis, previous=first)
    assert same.sector_ids is first.sector_ids and same.provinces is first.provinces
    assert list(same.provinces) == ["P", "unknown"]
    moved = make_view(batch(["a", "c"], ["P", "Q"]), kpis, previous=same)
    assert moved.sector_ids is not first.sector_ids and list(moved.sector_ids) == ["a", "c"]
    assert list(moved.provinces) == ["P", "Q"]


def test_persistence_remembers_the_same_data_time_at_any_cadence():
    """45 minutes of a lasting shift weigh the same at 15- and 5-minute data (not 3 ticks)."""
    from telecom_nb.features.persistence import Persistence

    rows = np.arange(1)
    means = []
    for ratio, ticks in ((1.0, 3), (1.0 / 3.0, 9), (2.0 / 15.0, 22.5)):
        p = Persistence(1)
        p.ratio = ratio
        p.update(rows, np.zeros((1, 1)), 1)  # the sector's first tick: its mean starts at 0
        for _ in range(int(ticks)):
            p.update(rows, np.full((1, 1), 2.0), 1)
        if ticks != int(ticks):  # 45 min at 2 minutes: 22 full ticks and half a tick
            p.ratio = ratio / 2
            p.update(rows, np.full((1, 1), 2.0), 1)
        means.append(p.mean_[0, 0])
    assert means[0] == pytest.approx(2.0 * (1 - 0.7**3))
    assert means[1] == pytest.approx(means[0]) and means[2] == pytest.approx(means[0])
    hourly = Persistence(1)
    hourly.ratio = 4.0
    assert hourly.alpha == pytest.approx(0.3)  # never under 3 ticks


@pytest.mark.parametrize("sectors", [1, 12])
def test_pipeline_gives_a_few_series_persistence_the_learned_cadence(sectors):
    ts = pd.date_range("2026-01-01", periods=40, freq="5min", tz="UTC")
    frame = pd.DataFrame({S.TIMESTAMP: np.repeat(ts, sectors),
                          S.SECTOR: np.tile([f"s{i}" for i in range(sectors)], len(ts)),
                          S.PROVINCE: "p",
                          "value": np.random.default_rng(0).normal(10, 1, len(ts) * sectors)})
    f = KpiFeatures(peers=False)
    f.kpis = ["value"]
    for t in ts:
        view = f.view(frame[frame[S.TIMESTAMP] == t])
        f.transform_view(view)
        f.update_view(view)
    if sectors == 1:  # a memory of data time: 45 minutes are 9 ticks of 5 minutes
        assert f.persistence_.ratio == pytest.approx(1.0 / 3.0)
        assert f.persistence_.alpha == pytest.approx(1 - 0.7 ** (1 / 3))
    else:  # a fleet (more than 10 series) keeps 3 ticks
        assert f.persistence_.alpha == pytest.approx(0.3)
    assert f.persistence_.restart == (sectors > FEW_SERIES)  # a loud tick restarts a fleet's means
