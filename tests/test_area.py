"""The area part: neighbouring sites' median seasonal z at the same tick."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from telecom_nb import schema as S
from telecom_nb.features import KpiFeatures
from telecom_nb.features.area import AreaMedian, masked_median, nearest


def test_nearest_takes_the_own_site_first_and_skips_rows_without_coordinates():
    coords = np.array([[0.0, 0.0], [0.0, 0.0], [0.0, 1.0], [0.0, 5.0], [np.nan, np.nan]])
    near = nearest(coords, 2)
    assert near[0].tolist() == [1, 2] and near[1].tolist() == [0, 2]
    assert near[3].tolist() == [2, 1] or near[3].tolist() == [2, 0]
    assert (near[4] == -1).all() and not (near[:4] == 4).any()


def test_masked_median_equals_numpys_where_enough_values_are_valid():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(200, 3, 12))
    valid = rng.random(x.shape) < 0.6
    got = masked_median(x, valid, 4)
    want = np.nanmedian(np.where(valid, x, np.nan), axis=-1)
    enough = valid.sum(axis=-1) >= 4
    np.testing.assert_allclose(got[enough], want[enough])
    assert np.isnan(got[~enough]).all()


def test_only_the_same_ticks_neighbours_count():
    area = AreaMedian(1, neighbours=5)
    coords = np.c_[np.zeros(6), np.arange(6.0) * 0.01]
    area.locate(np.arange(6), coords, 6)
    # two ticks in one batch: sector 0 at tick 1 has no neighbour in tick 1
    rows = np.r_[np.arange(6), 0]
    times = np.r_[np.zeros(6, np.int64), 1]
    z = np.r_[np.full(6, -4.0), -4.0][:, None]
    out = area.median(rows, times, z)
    assert (out[:6] == -4.0).all() and np.isnan(out[6, 0])
    # one tick alone (the lookup table) reads as within several (the sorted search)
    z2 = np.arange(7.0)[:, None]
    both = area.median(rows, times, z2)
    np.testing.assert_array_equal(area.median(rows[:6], times[:6], z2[:6]), both[:6])


def _sites_fleet(days: int = 5, seed: int = 0) -> pd.DataFrame:
    """12 sites of 3 sectors on a line 1 km apart; throughput with independent noise."""
    rng = np.random.default_rng(seed)
    ts = pd.date_range("2026-01-05", periods=days * 24, freq="1h", tz="UTC")
    n = 36
    hours = ts.hour.to_numpy()
    load = (0.2 + np.exp(-((hours - 20) ** 2) / 10))[:, None] * np.ones(n)
    thp = 30 / (1 + 0.3 * load) * np.exp(rng.normal(0, 0.1, (len(ts), n)))
    return pd.DataFrame({
        S.TIMESTAMP: np.repeat(ts, n),
        S.SECTOR: np.tile([f"c{i}" for i in range(n)], len(ts)),
        S.PROVINCE: "p",
        S.LAT: 35.0,
        S.LON: np.tile(51.0 + 0.01 * (np.arange(n) // 3), len(ts)),
        S.PAYLOAD: (300 * load * np.exp(rng.normal(0, 0.1, load.shape))).ravel(),
        S.THROUGHPUT: thp.ravel(),
    })


def test_a_cluster_of_sites_moving_together_reads_in_the_area_column_a_lone_cell_does_not():
    table = _sites_fleet()
    last = table[S.TIMESTAMP].max()
    now = table[S.TIMESTAMP] == last
    sector = table[S.SECTOR].str[1:].astype(int)
    table.loc[now & (sector < 12), S.THROUGHPUT] *= 0.5  # sites 0-3 together
    table.loc[now & (sector == 30), S.THROUGHPUT] *= 0.5  # one cell of site 10 alone
    f = KpiFeatures(kpis=[S.PAYLOAD, S.THROUGHPUT])
    for _, batch in table[~now].groupby(S.TIMESTAMP, sort=True):
        f.transform(batch)
        f.update(batch)
    x = f.transform(table[now])
    area = x[f"{S.THROUGHPUT}:area_z"].to_numpy()
    season = x[f"{S.THROUGHPUT}:season_z"].to_numpy()
    # the cluster's sites: the area's median is evidence beyond each cell's own z
    assert (area[:9] < -2.5).all() and (area[:12] < season[:12]).all()
    assert season[30] < -1.5 and abs(area[30]) < 0.5  # alone: its neighbours are normal
    assert np.abs(area[15:27]).max() < 1.5  # healthy sites beside the cluster
    assert (x[f"{S.PAYLOAD}:area_z"].abs() < 2).all()


def test_no_coordinates_or_switched_off_means_no_area_evidence():
    table = _sites_fleet(days=2).drop(columns=[S.LAT, S.LON])
    f = KpiFeatures(kpis=[S.PAYLOAD, S.THROUGHPUT])
    for _, batch in table.groupby(S.TIMESTAMP, sort=True):
        x = f.transform(batch)
        f.update(batch)
    assert (x.filter(like=":area_z") == 0).all().all()
    off = KpiFeatures(kpis=[S.PAYLOAD, S.THROUGHPUT], area=False)
    off.transform(table.head(36))
    assert not any(n.endswith(":area_z") for n in off.feature_names)


@pytest.mark.parametrize("n", range(1, 17))
def test_sorting_network_sorts_every_input(n):
    from telecom_nb.features.area_kernel import sorting_network

    pairs = sorting_network(n)
    # the 0-1 principle: a network that sorts every 0/1 input sorts every input
    bits = (np.arange(2**n)[:, None] >> np.arange(n)) & 1
    for a, b in pairs:
        bits[:, a], bits[:, b] = np.minimum(bits[:, a], bits[:, b]), np.maximum(bits[:, a],
                                                                                 bits[:, b])
    assert (np.diff(bits, axis=1) >= 0).all()
    assert n != 8 or len(pairs) == 19


@pytest.mark.usefixtures("split_rows")
@pytest.mark.parametrize("neighbours", [8, 11, 12])
def test_compiled_medians_equal_the_numpy_ones(monkeypatch, neighbours):
    from telecom_nb.features import area_kernel

    rng = np.random.default_rng(1)
    n, k = 400, 3
    area = AreaMedian(k, neighbours=neighbours)
    area.locate(np.arange(n), np.c_[35 + rng.random(n), 51 + rng.random(n)], n)
    z = rng.normal(size=(n, k))
    z[:, 1] = np.round(z[:, 1])  # ties
    z[rng.random(z.shape) < 0.3] = np.nan  # blanks
    z[rng.random(z.shape) < 0.05] = np.inf
    rows = np.where(rng.random(n) < 0.1, -1, np.arange(n))  # some sectors not learned
    times = rng.integers(0, 2, n)  # two ticks
    compiled = area.median(rows, times, z)
    area._last = None
    monkeypatch.setattr(area_kernel, "numba", None)
    numpy = area.median(rows, times, z)
    np.testing.assert_array_equal(compiled, numpy)
    assert np.isfinite(numpy).sum() > n // 4  # not vacuous


@pytest.mark.usefixtures("split_rows")
def test_one_ticks_compiled_area_equals_the_numpy_one(monkeypatch):
    from telecom_nb.features import area_kernel
    from telecom_nb.features.area import WARM_UP_NS

    rng = np.random.default_rng(5)
    n, k = 240, 3
    fast, slow = AreaMedian(k), AreaMedian(k)
    coords = np.c_[35 + rng.random(n), 51 + rng.random(n)]
    for area in (fast, slow):
        area.locate(np.arange(n), coords, n)
    warm = 0
    for tick in range(14):
        rows = np.arange(n) if tick % 3 else rng.permutation(n)[: n // 2]
        z = rng.standard_t(2, (len(rows), k + 2)) + (tick % 4 == 0) * 3.0
        z[rng.random(z.shape) < 0.1] = np.nan
        z[rng.random(z.shape) < 0.02] = -np.inf
        z[::7, 0] = 0.0
        times = np.full(len(rows), tick, dtype=np.int64)
        seen = np.where(rng.random(len(rows)) < 0.05, -1, rows)  # a sector not learned
        got = fast.transform(seen, times, z, WARM_UP_NS // 8)
        fast.update(rows, times, z, n)
        with monkeypatch.context() as m, np.errstate(over="ignore"):  # |-inf| * both
            m.setattr(area_kernel, "numba", None)
            want = slow.transform(seen, times, z, WARM_UP_NS // 8)
            slow.update(rows, times, z, n)
        np.testing.assert_array_equal(np.nan_to_num(got, nan=7.5).view(np.int64),
                                      np.nan_to_num(want, nan=7.5).view(np.int64))
        warm += np.count_nonzero(got)
    assert warm > n  # not vacuous: the area reads once the sectors are warm


def test_no_area_evidence_in_the_first_day():
    # every sector's seasonal z is its cold start's then, biased alike at each hour
    table = _sites_fleet(days=2)
    stamps = np.sort(table[S.TIMESTAMP].unique())
    f = KpiFeatures(kpis=[S.PAYLOAD, S.THROUGHPUT])
    area = []
    for t in stamps[:30]:
        batch = table[table[S.TIMESTAMP] == t].copy()
        if t in (stamps[20], stamps[29]):
            batch.loc[batch[S.SECTOR].str[1:].astype(int) < 12, S.THROUGHPUT] *= 0.5
            area.append(f.transform(batch)[f"{S.THROUGHPUT}:area_z"].to_numpy()[:9])
        f.update(batch)
    assert (area[0] == 0).all() and (area[1] < -1).all()  # hour 20, then after a day


def test_a_few_series_score_as_without_the_area_part():
    # their area columns read 0: the forest must not spend its random splits on them
    from telecom_nb.detectors import make_detector

    rng = np.random.default_rng(3)
    ts = pd.date_range("2026-01-05", periods=5 * 96, freq="15min", tz="UTC")
    load = 1 + np.sin(np.arange(len(ts)) * 2 * np.pi / 96)
    frame = pd.DataFrame({S.TIMESTAMP: ts, S.LAT: 35.0, S.LON: 51.0,
                          "a": load + rng.normal(0, 0.1, len(ts)),
                          "b": 2 * load + rng.normal(0, 0.1, len(ts))})
    scores = []
    for area in (True, False):
        det = make_detector("iforest", kpis=["a", "b"], n_estimators=20)
        det.set_feature_params(area=area)
        scores.append(np.asarray(det.score_stream(frame).score))
    assert np.isfinite(scores[0][-96:]).all()
    np.testing.assert_array_equal(scores[0], scores[1])


def test_a_row_whose_load_rose_has_no_area_evidence():
    # a crowd drags a neighbourhood's throughput down with its load; a transport fault
    # slows it at its usual load: only the rows whose own load reads above LOAD_ROSE lose it
    from telecom_nb.features.area import LOAD_ROSE, WARM_UP_NS

    rng = np.random.default_rng(3)
    n = 36
    area = AreaMedian(1)
    area.locate(np.arange(n), np.c_[np.full(n, 35.0), 51.0 + 0.01 * (np.arange(n) // 3)], n)
    rows, times = np.arange(n), np.zeros(n, dtype=np.int64)
    for tick in range(48):
        z = rng.normal(size=(n, 1))
        area.update(rows, times + tick, z, n)
    z = rng.normal(0, 0.3, (n, 1))
    z[:12] = -5.0  # four neighbouring sites slow together
    load = np.zeros(n)
    plain = area.transform(rows, times + 48, z, WARM_UP_NS // 24, load)
    assert (plain[:9, 0] < -3).all()
    load[:6] = LOAD_ROSE + 0.5  # two of the sites carry a crowd
    load[6:9] = np.nan  # no load family value: read as before
    crowd = area.transform(rows, times + 48, z, WARM_UP_NS // 24, load)
    assert (crowd[:6] == 0).all()
    np.testing.assert_array_equal(crowd[6:], plain[6:])
    np.testing.assert_array_equal(area.transform(rows, times + 48, z, WARM_UP_NS // 24), plain)


def test_a_fleets_cluster_under_a_crowd_has_no_area_evidence_at_its_usual_load_it_has():
    # the pipeline reads each row's load family (users, volume, PRB moving together) before
    # the common mode: four sites slowing at their usual load read in the area columns, the
    # same slowdown under three times their load does not
    rng = np.random.default_rng(1)
    ts = pd.date_range("2026-01-05", periods=4 * 24, freq="1h", tz="UTC")
    n = 36
    hours = ts.hour.to_numpy()
    load = (0.2 + np.exp(-((hours - 20) ** 2) / 10))[:, None] * np.exp(
        rng.normal(0, 0.15, (len(ts), n)))
    load[-1] = load[-1].mean()  # the last tick at about its usual load everywhere
    own = lambda: np.exp(rng.normal(0, 0.03, load.shape))  # noqa: E731
    table = pd.DataFrame({
        S.TIMESTAMP: np.repeat(ts, n),
        S.SECTOR: np.tile([f"c{i}" for i in range(n)], len(ts)),
        S.PROVINCE: "p",
        S.LAT: 35.0,
        S.LON: np.tile(51.0 + 0.01 * (np.arange(n) // 3), len(ts)),
        "users": (50 * load * own()).ravel(),
        S.PAYLOAD: (300 * load * own()).ravel(),
        S.PRB: (40 * load * own()).ravel(),
        S.THROUGHPUT: (30 * np.exp(rng.normal(0, 0.1, load.shape))).ravel(),
    })
    kpis = ["users", S.PAYLOAD, S.PRB, S.THROUGHPUT]
    last = table[S.TIMESTAMP] == table[S.TIMESTAMP].max()
    f = KpiFeatures(kpis=kpis)
    for _, batch in table[~last].groupby(S.TIMESTAMP, sort=True):
        f.transform(batch)
        f.update(batch)
    assert f.load_.family_.tolist() == [True, True, True, False]
    slow = table[last].copy()
    cluster = slow[S.SECTOR].str[1:].astype(int).to_numpy() < 12
    slow.loc[cluster, S.THROUGHPUT] *= 0.3
    usual = f.transform(slow)[f"{S.THROUGHPUT}:area_z"].to_numpy()
    crowd = slow.copy()
    crowd.loc[cluster, ["users", S.PAYLOAD, S.PRB]] *= 3.0
    crowded = f.transform(crowd)[f"{S.THROUGHPUT}:area_z"].to_numpy()
    assert (usual[:9] < -2.5).all()
    assert (crowded[:12] == 0).all()
    np.testing.assert_array_equal(crowded[15:], usual[15:])
