"""Known zero states: a KPI at exactly zero, as the series has shown before, is no news."""

from __future__ import annotations

import itertools

import numpy as np
import pandas as pd
import pytest
from feature_loop import by_timestamp, loop_features, pass_features, pass_with_loop_windows

from telecom_nb import schema
from telecom_nb.engine.snapshot import capture, restore
from telecom_nb.features.pipeline import KpiFeatures
from telecom_nb.features.series_kernel import numba
from telecom_nb.features.zero_state import MIN_RUNS, ZeroStates, kpi_columns


def _cell(
    days: int = 12,
    zero_nights: tuple[int, ...] = (2, 3, 5, 6, 8, 9),
    run: int = 6,
    long_day: int | None = None,
    seed: int = 0,
) -> pd.DataFrame:
    """One cell at 15 minutes: traffic and users with a daily rhythm, exact zeros for
    ``run`` rows at 02:00 on ``zero_nights``; ``long_day``: a 5x longer zero run."""
    rng = np.random.default_rng(seed)
    ts = pd.date_range("2026-03-02", periods=days * 96, freq="15min", tz="UTC")
    hours = ts.hour + ts.minute / 60.0
    load = 1.0 + 0.8 * np.sin(2 * np.pi * (hours - 9) / 24)
    traffic = load * np.exp(rng.normal(0, 0.1, len(ts))) * 5
    users = np.round(load * np.exp(rng.normal(0, 0.1, len(ts))) * 30)
    frame = pd.DataFrame(
        {schema.TIMESTAMP: ts, schema.SECTOR: "cell", "traffic": traffic, "users": users}
    )
    for day in zero_nights:
        a = day * 96 + 8
        frame.loc[a : a + run - 1, ["traffic", "users"]] = 0.0
    if long_day is not None:
        a = long_day * 96 + 8
        frame.loc[a : a + 5 * run - 1, ["traffic", "users"]] = 0.0
    return frame


def _loop(frame: pd.DataFrame) -> tuple[KpiFeatures, np.ndarray]:
    return loop_features(frame, ["traffic", "users"])


def _features(frame: pd.DataFrame) -> tuple[KpiFeatures, np.ndarray]:
    """The features row by row, read through the one-series pass (the per-row loop's
    numbers and state: test_one_series_pass_reads_known_zeros_as_the_loop)."""
    if numba is None:
        return _loop(frame)
    return pass_features(frame, ["traffic", "users"], [1, len(frame)])


def _runs(frame: pd.DataFrame) -> list[tuple[int, int]]:
    zero = (frame["traffic"] == 0).to_numpy()
    starts = np.flatnonzero(zero & ~np.r_[False, zero[:-1]])
    ends = np.flatnonzero(zero & ~np.r_[zero[1:], False]) + 1
    return list(zip(starts, ends, strict=True))


def test_known_zero_rows_read_zero_and_new_ones_do_not():
    frame = _cell()
    _, x = _features(frame)
    runs = _runs(frame)
    first = max(np.abs(x[a:b]).max() for a, b in runs[:MIN_RUNS])
    assert first > 5  # the first zero nights are news
    for a, b in runs[MIN_RUNS:]:  # seen three times, no longer than before: no news
        assert np.abs(x[a:b]).max() == 0.0


def test_persistence_does_not_learn_a_known_zero_run():
    """A known zero state is no news to persistence either: its running mean does not
    carry the run's z of dozens of spreads into the hour after it."""
    frame = _cell()
    runs = _runs(frame)
    b = runs[MIN_RUNS][1]  # known (see above)
    features, _ = _features(frame.iloc[:b])
    assert np.abs(features.persistence_.mean_).max() < 1.5
    first, _ = _features(frame.iloc[: runs[0][1]])  # the first zero night is learned as news
    assert np.abs(first.persistence_.mean_).max() > 5


def test_a_zero_run_longer_than_any_seen_is_news_again():
    frame = _cell(zero_nights=(2, 3, 5), long_day=8)
    _, x = _features(frame)
    ((a, b),) = _runs(frame)[MIN_RUNS:]
    run = 6
    assert np.abs(x[a : a + run]).max() == 0.0  # as long as the usual maintenance
    assert np.abs(x[a + run : b]).max() > 5  # beyond it: an outage


def test_a_zero_at_an_hour_maintenance_never_took_is_news():
    """A daytime outage to exact zeros of a cell whose maintenance runs at night, as short
    as the maintenance: the series has shown zeros, never at that hour."""
    frame = _cell(zero_nights=(2, 3, 5, 6))
    a = 9 * 96 + 14 * 4  # 14:00 on day 9, six rows like a maintenance run
    frame.loc[a : a + 5, ["traffic", "users"]] = 0.0
    _, x = _features(frame)
    ((m, n),) = [r for r in _runs(frame) if r[0] // 96 == 6]
    assert np.abs(x[m:n]).max() == 0.0  # the fourth maintenance night: known
    assert (np.abs(x[a : a + 6]).max(axis=1) > 5).all()  # each outage row is news


def test_an_outage_does_not_make_its_hours_known():
    """A long afternoon outage to exact zeros of a cell with night maintenance, then a
    shorter one at the same hours: one run at an hour does not make the next one known
    (the first outage's length and hours were taken as the cell's normal zeros)."""
    frame = _cell(zero_nights=(2, 3, 5, 6, 8))
    a = 7 * 96 + 14 * 4  # 14:00 on day 7, 7.5 hours
    frame.loc[a : a + 29, ["traffic", "users"]] = 0.0
    b = 10 * 96 + 15 * 4  # 15:00 on day 10, as short as a maintenance night
    frame.loc[b : b + 5, ["traffic", "users"]] = 0.0
    _, x = _features(frame)
    assert (np.abs(x[b : b + 6]).max(axis=1) > 5).all()  # each row of the second is news
    ((m, n),) = [r for r in _runs(frame) if r[0] // 96 == 8]
    assert np.abs(x[m:n]).max() == 0.0  # the maintenance nights stay known


def test_maintenance_an_hour_later_is_known_beyond_it_news():
    """Maintenance comes back give or take an hour: a night's window starting at 04:00
    after windows of 02:00-03:30 is known in its first hour, news in its second."""
    frame = _cell(zero_nights=(2, 3, 5, 6))
    a = 8 * 96 + 16  # 04:00 on day 8, six rows (to 05:30)
    frame.loc[a : a + 5, ["traffic", "users"]] = 0.0
    _, x = _features(frame)
    assert np.abs(x[a : a + 4]).max() == 0.0  # 04:00-04:45: next to the usual hours
    assert (np.abs(x[a + 4 : a + 6]).max(axis=1) > 5).all()  # 05:00: two hours away


def test_a_fleet_keeps_its_zero_rows():
    sectors = [
        _cell(days=7, seed=s, zero_nights=(2, 3, 5, 6) if s == 0 else ()).assign(
            **{schema.SECTOR: f"c{s}"}
        )
        for s in range(12)
    ]
    frame = pd.concat(sectors).sort_values(schema.TIMESTAMP, kind="stable")
    # up to the end of the fourth zero night (day 6, 02:00-03:30; a few series know it after
    # MIN_RUNS: test_known_zero_rows_read_zero_and_new_ones_do_not): a row is scored before
    # any later one is seen, so the days after it cannot change what is asserted
    end = frame[schema.TIMESTAMP].min() + pd.Timedelta(days=6, hours=3, minutes=30)
    frame = frame[frame[schema.TIMESTAMP] < end].reset_index(drop=True)
    features = KpiFeatures(kpis=["traffic", "users"])
    view = features.view(frame)
    features.prepare_view(view)
    last = None
    for a, b, x in by_timestamp(features, view):
        zero = (frame["traffic"].iloc[a:b] == 0).to_numpy()
        last = x[zero] if zero.any() else last
    assert last is not None and np.abs(last).max() > 5  # the last zero night: still news


def test_columns_of_a_kpi_include_its_relations():
    names = ["a:season_z", "b:season_z", "a/b:season_z", "a:persist_z", "b/c:persist_z"]
    cols = kpi_columns(names, ("a", "b", "c"))
    assert cols[0].tolist() == [True, False, True, True, False]
    assert cols[2].tolist() == [False, False, False, False, True]


def test_scan_equals_row_by_row():
    rng = np.random.default_rng(0)
    for _ in range(100):
        n = int(rng.integers(2, 60))
        y = np.where(rng.random((n, 3)) < 0.5, 0.0, 1.0)
        y[rng.random((n, 3)) < 0.05] = np.nan
        hour = rng.integers(0, 3, n)  # few hours, so that runs share them
        loop, fast = ZeroStates(3), ZeroStates(3)
        rows = np.array([0])
        expected = []
        for i in range(n):
            expected.append(loop.known(rows, y[i : i + 1], hour[i : i + 1])[0])
            loop.update(rows, y[i : i + 1], 1, hour[i : i + 1])
        fast.update(rows, y[:1], 1, hour[:1])
        cut = int(rng.integers(1, n))
        got = [
            expected[0],
            *fast.scan(0, y[1:cut], hour[1:cut]),
            *fast.scan(0, y[cut:], hour[cut:]),
        ]
        np.testing.assert_array_equal(np.array(got), np.array(expected))
        names = ("run_", "done_", "longest_", "hours_", "repeat_", "pending_")
        for name in (*names, "seen_", "apart_", "open_"):
            np.testing.assert_array_equal(getattr(fast, name), getattr(loop, name))


def test_scan_of_blocks_without_zeros_equals_row_by_row():
    """Sparse zero runs, blocks cut anywhere: a KPI's block with no zero (before a run,
    between runs, right after one ends, the run carried in) reads and leaves the state
    as the row-by-row reading, ``usual`` too (scan's short way for such blocks)."""
    rng = np.random.default_rng(1)
    for _ in range(60):
        n = int(rng.integers(40, 200))
        y = np.ones((n, 3))
        for _ in range(int(rng.integers(1, 6))):  # runs of 1-8 rows, some KPIs alone
            a = int(rng.integers(0, n))
            y[a : a + int(rng.integers(1, 9)), rng.random(3) < 0.7] = 0.0
        y[rng.random((n, 3)) < 0.02] = np.nan
        hour = rng.integers(0, 4, n)
        loop, fast = ZeroStates(3), ZeroStates(3)
        rows = np.array([0])
        known, usual = [], []
        for i in range(n):
            known.append(loop.known(rows, y[i : i + 1], hour[i : i + 1])[0])
            usual.append(loop.usual(rows, y[i : i + 1], hour[i : i + 1])[0])
            loop.update(rows, y[i : i + 1], 1, hour[i : i + 1])
        fast.update(rows, y[:1], 1, hour[:1])
        cuts = [1, *np.sort(rng.choice(np.arange(2, n), 4, replace=False)), n]
        got_known, got_usual = [known[0]], [usual[0]]
        for a, b in itertools.pairwise(cuts):
            mask = np.ones((b - a, 3), dtype=bool)  # scan must fill every cell
            got_known.extend(fast.scan(0, y[a:b], hour[a:b], mask))
            got_usual.extend(mask)
        np.testing.assert_array_equal(np.array(got_known), np.array(known))
        np.testing.assert_array_equal(np.array(got_usual), np.array(usual))
        names = ("run_", "done_", "longest_", "hours_", "repeat_", "pending_")
        for name in (*names, "seen_", "apart_", "open_"):
            np.testing.assert_array_equal(getattr(fast, name), getattr(loop, name))


@pytest.mark.skipif(numba is None, reason="numba missing: the per-batch path is the only one")
def test_one_series_pass_reads_known_zeros_as_the_loop():
    """The per-row loop (~10 ms a row here) over each zero run and the rows around it, from
    the pass's state there; its rows and its state after them (the zero runs' ``run_``,
    ``done_``, ``longest_``, ``hours_``, ``pending_``, persistence's mean: every array)
    must be the pass's. The pass is resumed inside a zero run (day 6)."""
    frame = _cell(days=9, zero_nights=(2, 3, 5, 6), long_day=8)
    runs = _runs(frame)
    assert len(runs) == 5
    windows = [(a - 4, b + 4) for a, b in runs[:3]]
    windows += [
        (runs[3][0] - 4, runs[3][0] + 2),
        (runs[3][0] + 2, runs[3][1] + 4),
        (runs[4][0] - 4, runs[4][1] + 4),
    ]
    fast, got = pass_with_loop_windows(frame, ["traffic", "users"], windows)
    _, whole = pass_features(frame, ["traffic", "users"], [1, len(frame)])
    np.testing.assert_array_equal(got, whole)
    assert fast.zeros_.longest_.max() > 0


def test_maintenance_that_spread_an_hour_later_once_is_known_there():
    """The hours a maintenance comes back to are a band as wide as its runs have spread:
    after nights at 02:00-03:30 and one at 04:00-05:30 (its 05:00 news, one run's hour),
    a night at 04:30-06:00 is known on every row -- 05:00 sits in the stretch of hours the
    runs have held, next to hours two runs held. An afternoon run's hours, held once and
    apart from that band, stay news (test_an_outage_does_not_make_its_hours_known)."""
    frame = _cell(zero_nights=(2, 3, 5, 6))
    a = 7 * 96 + 16  # 04:00 on day 7, six rows (to 05:30)
    frame.loc[a : a + 5, ["traffic", "users"]] = 0.0
    b = 9 * 96 + 18  # 04:30 on day 9, six rows (to 06:00)
    frame.loc[b : b + 5, ["traffic", "users"]] = 0.0
    _, x = _features(frame)
    assert (np.abs(x[a + 4 : a + 6]).max(axis=1) > 5).all()  # 05:00 on day 7: news
    assert np.abs(x[b : b + 6]).max() == 0.0  # day 9: in the band the runs have held


def _rows(days: int = 6) -> tuple[np.ndarray, np.ndarray]:
    """15-minute rows of (traffic, users, drops) at 1 and each row's hour; maintenance
    (all three at 0) at 02:00 for six rows on days 1 and 2, twelve on day 3; an afternoon
    run at 14:00 on day 4; a run at 02:00 on day 5 with the drops going on."""
    y = np.ones((days * 96, 3))
    for day, run in ((1, 6), (2, 6), (3, 12)):
        y[day * 96 + 8 : day * 96 + 8 + run] = 0.0
    y[4 * 96 + 56 : 4 * 96 + 62] = 0.0
    y[5 * 96 + 8 : 5 * 96 + 14, :2] = 0.0
    return y, (np.arange(len(y)) // 4) % 24


def test_a_state_at_its_hours_is_usual_however_few_or_short_its_runs():
    """``usual``: the maintenance state at its hours, known or not yet (two runs before,
    fewer than MIN_RUNS; longer than both): zero_part reads it as any row. An afternoon
    run and a run whose companion (drops) goes on are not usual; scan fills the same mask
    as the row-by-row reading."""
    y, hour = _rows()
    loop, fast = ZeroStates(3), ZeroStates(3)
    rows = np.array([0])
    expected, known = [], []
    for i in range(len(y)):
        if i:
            expected.append(loop.usual(rows, y[i : i + 1], hour[i : i + 1])[0])
            known.append(loop.known(rows, y[i : i + 1], hour[i : i + 1])[0])
        loop.update(rows, y[i : i + 1], 1, hour[i : i + 1])
    fast.update(rows, y[:1], 1, hour[:1])
    usual = np.zeros((len(y) - 1, 3), dtype=bool)
    fast.scan(0, y[1:], hour[1:], usual)
    assert (usual == np.array(expected)).all()
    none = np.zeros((1, 3), dtype=bool)  # the first row: read before any state
    usual, known = np.r_[none, usual], np.r_[none, np.array(known)]
    night = slice(3 * 96 + 8, 3 * 96 + 20)
    assert usual[night].all() and not known[night].any()  # two runs before: not known yet
    assert not usual[4 * 96 + 56 : 4 * 96 + 62].any()  # the afternoon: never held zeros
    assert not usual[5 * 96 + 8 : 5 * 96 + 14].any()  # the drops go on: another state


def test_an_older_checkpoint_keeps_the_hours_it_knew():
    """A checkpoint from before the two-run rule holds the hours of one run: they stay
    known (as that checkpoint read them), the hours next to them do not become known."""
    old = ZeroStates(1)
    old.update(np.array([0]), np.ones((1, 1)), 1, np.array([0]))
    old.done_[:], old.longest_[:], old.hours_[:] = MIN_RUNS + 1, 6.0, 1 << 2  # hour 2
    tree, arrays = capture(old)
    del tree["attrs"]["repeat_"]
    states = restore(ZeroStates(1), tree, arrays)
    zero, rows = np.zeros((3, 1)), np.array([0, 0, 0])
    known = states.known(rows, zero, np.array([1, 2, 3]))[:, 0]
    assert known.tolist() == [False, True, False]


def _with_drops(frame: pd.DataFrame, seed: int = 1) -> pd.DataFrame:
    """``frame`` with a drop count that sits at 0 with the maintenance nights' traffic."""
    rng = np.random.default_rng(seed)
    drops = rng.uniform(1.0, 3.0, len(frame))
    return frame.assign(drops=np.where(frame["traffic"] == 0, 0.0, drops))


def _zeroed_columns(frame: pd.DataFrame) -> np.ndarray:
    """Traffic's and users' seasonal z over traffic, users and drops (one-series pass)."""
    kpis = ["traffic", "users", "drops"]
    run = loop_features if numba is None else (
        lambda f, k: pass_features(f, k, [1, len(f)]))
    features, x = run(frame, kpis)
    names = list(features.feature_names)
    return x[:, [names.index("traffic:season_z"), names.index("users:season_z")]]


def test_a_zero_without_its_companions_is_news():
    """Maintenance zeroes traffic, users and drops together; an outage at a maintenance
    hour, as short as a maintenance night, zeroes traffic and users while drops go on (as
    they did in one earlier outage: one run keeps no KPI apart):
    another state, news on every row (read as before: its hours' baseline learned the
    first nights' zeros, so a few spreads); the next maintenance night stays known."""
    frame = _cell(zero_nights=(2, 3, 5, 6, 10))
    a = 8 * 96 + 8  # 02:00 on day 8, six rows: a maintenance night's hours and length
    before = 7 * 96 + 60  # 15:00 on day 7: an outage before it, drops going on too
    for b in (before, a):
        frame.loc[b : b + 5, ["traffic", "users"]] = 0.0
    frame = _with_drops(frame)
    for b in (before, a):
        frame.loc[b : b + 5, "drops"] = 2.0  # the outages: drops go on
    x = _zeroed_columns(frame)
    assert (np.abs(x[a : a + 6]).min(axis=1) > 0.5).all()
    ((m, n),) = [r for r in _runs(frame) if r[0] // 96 == 10]
    assert np.abs(x[m:n]).max() == 0.0


def test_a_kpi_seen_apart_from_zero_is_no_companion():
    """Drops that read non-zero on rows of two maintenance nights are no companion: the
    outage with drops going on reads as a maintenance night (known)."""
    frame = _with_drops(_cell(zero_nights=(2, 3, 5, 6)))
    frame.loc[[3 * 96 + 9, 5 * 96 + 10], "drops"] = 1.5  # a row of the second and third
    a = 8 * 96 + 8
    frame.loc[a : a + 5, ["traffic", "users"]] = 0.0
    frame.loc[a : a + 5, "drops"] = 2.0
    x = _zeroed_columns(frame)
    assert np.abs(x[a : a + 6]).max() == 0.0


def test_an_older_checkpoint_has_no_companions():
    """A checkpoint from before the companions reads its zeros as it did."""
    old = ZeroStates(2)
    old.update(np.array([0]), np.ones((1, 2)), 1, np.array([0]))
    old.done_[:], old.longest_[:], old.repeat_[:] = MIN_RUNS + 1, 6.0, (1 << 2) | (1 << 3)
    tree, arrays = capture(old)
    del tree["attrs"]["seen_"], tree["attrs"]["apart_"], tree["attrs"]["open_"]
    states = restore(ZeroStates(2), tree, arrays)
    known = states.known(np.array([0]), np.array([[0.0, 5.0]]), np.array([2]))
    assert known.tolist() == [[True, False]]
