"""The compiled change and persistence passes give the numpy lines' numbers, bit for bit."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from telecom_nb.features import tick_kernels
from telecom_nb.features.change import ShortTermChange
from telecom_nb.features.persistence import Persistence
from telecom_nb.features.view import BatchView

pytestmark = pytest.mark.skipif(tick_kernels.numba is None, reason="numba not installed")
KPIS = ("traffic_gb", "availability_pct", "prb_util_pct")


def _same_bits(a: np.ndarray, b: np.ndarray) -> None:
    """Equal to the bit (NaN payloads aside): signed zeros included."""
    a, b = np.nan_to_num(a, nan=7.5), np.nan_to_num(b, nan=7.5)
    assert a.dtype == b.dtype  # float32 state tables: their own width's bits
    np.testing.assert_array_equal(a.view(f"i{a.itemsize}"), b.view(f"i{b.itemsize}"))


def _rows(rng: np.random.Generator, step: int, known: int) -> np.ndarray:
    """A live tick's rows (increasing), new sectors, a shuffled or a repeating batch."""
    if step % 4 == 0:
        return rng.permutation(known + 5)[: known // 2]
    if step % 4 == 1:
        return rng.choice(known + 5, known // 2, replace=True)
    return np.arange(known + step % 3)


def _batch(rng: np.random.Generator, rows: np.ndarray, step: int) -> BatchView:
    raw = np.abs(rng.standard_t(2, (len(rows), len(KPIS)))) * 10 + step % 5
    raw[rng.random(raw.shape) < 0.05] = np.nan
    ids = np.array([f"s{r}" for r in rows], dtype=object)
    return BatchView(ids, np.full(len(rows), "p", dtype=object),
                     pd.DatetimeIndex([pd.Timestamp("2024-01-01")] * len(rows)), raw)


def test_change_compiled_equals_numpy(monkeypatch):
    rng = np.random.default_rng(0)
    fast, slow = ShortTermChange(), ShortTermChange()
    for f in (fast, slow):
        f.bind(KPIS)
        f.registry.register(np.array([f"s{i}" for i in range(40)], dtype=object))
    for step in range(40):
        view = _batch(rng, _rows(rng, step, 40), step)
        assert tick_kernels.change_z(fast, fast._scaled(view), fast.rows(view)) is not None
        got = fast.transform_view(view)
        fast.update_view(view)
        with monkeypatch.context() as m:
            m.setattr(tick_kernels, "numba", None)
            want = slow.transform_view(view)
            slow.update_view(view)
        _same_bits(got, want)
        for name in ("level_", "dev_", "count_"):
            _same_bits(getattr(fast, name), getattr(slow, name))


@pytest.mark.usefixtures("split_rows")
def test_persistence_compiled_equals_numpy(monkeypatch):
    rng = np.random.default_rng(1)
    fast, slow = Persistence(4), Persistence(4)
    for step in range(60):
        known = 30 + step // 10
        rows = _rows(rng, step, known)
        rows = np.where(rng.random(len(rows)) < 0.05, -1, rows) if step % 4 == 0 else rows
        z = rng.standard_t(2, (len(rows), 4)) * (1 + step % 3)
        z[rng.random(z.shape) < 0.03] = 0.0
        assert tick_kernels.persistence_z(fast, rows, z) is not None
        got = fast.transform(rows, z)
        with monkeypatch.context() as m:
            m.setattr(tick_kernels, "numba", None)
            want = slow.transform(rows, z)
        _same_bits(got, want)
        learn = rows[rows >= 0]
        zl = z[rows >= 0]
        fast.update(learn, zl, known + 5)
        with monkeypatch.context() as m:
            m.setattr(tick_kernels, "numba", None)
            slow.update(learn, zl, known + 5)
        _same_bits(fast.mean_, slow.mean_)
        _same_bits(fast.usual_.level, slow.usual_.level)


def test_increasing_rows():
    assert tick_kernels.increasing(np.array([0, 2, 5]))
    assert not tick_kernels.increasing(np.array([0, 2, 2]))
    assert not tick_kernels.increasing(np.array([-1, 2]))
    assert not tick_kernels.increasing(np.array([], dtype=np.intp))


@pytest.mark.usefixtures("split_rows")
def test_stack_agreeing_compiled_equals_numpy(monkeypatch):
    from telecom_nb.features.tick_kernels import agreeing_numpy as agreeing

    rng = np.random.default_rng(2)
    season = rng.standard_t(2, (500, 4))
    season[::11] = 0.0
    blocks = [np.hstack([season, rng.normal(size=(500, 2))]), rng.standard_t(2, (500, 8)),
              rng.standard_t(2, (500, 4)), rng.normal(size=(500, 4))]
    blocks[1][::7] = 0.0
    blocks[2][3, 1] = np.nan
    agree = [False, True, True, False]
    got = tick_kernels.stack_agreeing(blocks, agree, season, agreeing)
    # as the pipeline calls it: the season is the first block's first columns, read in place
    in_place = tick_kernels.stack_agreeing(blocks, agree, blocks[0][:, :4], agreeing)
    spare = np.full_like(got, np.nan)  # a recycled matrix: every cell written again
    into = tick_kernels.stack_agreeing(blocks, agree, season, agreeing, spare)
    assert into is spare
    for unfit in (spare[:, :-1], spare.T.copy().T, spare[:-1]):  # a view, column-major, rows
        assert tick_kernels.stack_agreeing(blocks, agree, season, agreeing, unfit) is not unfit
    one = tick_kernels.agreeing(blocks[1][:, 4:], season)  # one block (the run's deviation)
    monkeypatch.setattr(tick_kernels, "numba", None)
    assert tick_kernels.agreeing(blocks[1][:, 4:], season) is None
    _same_bits(one, agreeing(blocks[1][:, 4:], season))
    want = tick_kernels.stack_agreeing(blocks, agree, season, agreeing)
    _same_bits(got, want)
    _same_bits(in_place, want)
    _same_bits(into, want)


@pytest.mark.usefixtures("split_rows")
def test_novelty_compiled_equals_numpy(monkeypatch):
    from telecom_nb.features.range_novelty import RangeNovelty
    from telecom_nb.features.view import make_view
    from telecom_nb.schema import KPIS as ALL_KPIS
    from telecom_nb.sources.simulator import KpiSimulator

    sim = KpiSimulator(n_sectors=60, seed=4)
    fast, slow = (RangeNovelty(block="2h", blocks=5) for _ in range(2))
    for f in (fast, slow):
        f.bind(ALL_KPIS)
    beyond = 0
    for step in range(80):
        frame = sim.next_batch()
        if step % 9 == 8:  # far outside every range, both ways
            frame.loc[::3, ALL_KPIS[0]] *= 50.0
            frame.loc[1::3, ALL_KPIS[1]] = 0.0
        view = make_view(frame, ALL_KPIS)
        got = fast.transform_view(view)
        with monkeypatch.context() as m:
            m.setattr(tick_kernels, "numba", None)
            want = slow.transform_view(view)
        _same_bits(got, want)
        beyond += int((got != 0).sum())
        fast.update_view(view)
        slow.update_view(view)
    assert beyond > 0  # the range was left, the z's compared are not all zero


def test_peers_compiled_equals_numpy(monkeypatch):
    from telecom_nb.features.peers import PeerComparison
    from telecom_nb.features.view import make_view
    from telecom_nb.schema import KPIS as ALL_KPIS
    from telecom_nb.sources.simulator import KpiSimulator

    sim = KpiSimulator(n_sectors=300, seed=5)
    fast, slow = PeerComparison(), PeerComparison()
    for f in (fast, slow):
        f.bind(ALL_KPIS)
    for step in range(30):
        frame = sim.next_batch()
        if step % 3 == 1:  # a shuffled batch with a few sectors missing
            frame = frame.sample(frac=0.9, random_state=step)
        view = make_view(frame, ALL_KPIS)
        got = fast.transform_view(view)
        with monkeypatch.context() as m:
            m.setattr(tick_kernels, "numba", None)
            want = slow.transform_view(make_view(frame, ALL_KPIS))
        _same_bits(got, want)
        fast.update_view(view)
        slow.update_view(view)
    assert (got != 0).any()
