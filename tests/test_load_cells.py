"""Which KPIs follow their cell's own load, cell by cell (fleets)."""

from __future__ import annotations

import numpy as np

from telecom_nb.features.load_cells import CELL_SHARE, LoadCells
from telecom_nb.features.load_choice import choose


def test_a_kpi_that_follows_the_load_on_its_hot_cells_only_is_counted_by_them():
    """40 cells, 12 of them hot: their KPI 0 (bad side up, a latency) rises with the load
    (r ~0.6), the others' not at all, so the pooled r is ~0.2; KPI 1 (bad side down) rises
    with the load on every cell (its good side); KPI 2 has no bad side."""
    rng = np.random.default_rng(3)
    n, cells = 40, LoadCells(np.array([1.0, -1.0, 0.0]))
    hot = np.arange(n) < 12
    rows = np.arange(n)
    for _ in range(120):
        load = rng.normal(size=n)
        z = np.c_[np.where(hot, 0.75 * load, 0.0) + rng.normal(size=n),
                  0.75 * load + rng.normal(size=n), load + rng.normal(size=n)]
        cells.update(rows, z, load, np.ones((n, 3), dtype=bool), n)
    shares = cells.shares(3)
    assert 0.2 <= shares[0] <= 0.35 and shares[1] == 0.0 and shares[2] == 0.0
    young = LoadCells(np.array([1.0, -1.0, 0.0]))
    young.update(rows, z, load, np.ones((n, 3), dtype=bool), n)
    assert np.isnan(young.shares(3)[:2]).all()  # a cell's r counts from CELL_N rows
    assert young.shares(3)[2] == 0.0  # no bad side


def test_a_kpi_followed_on_enough_cells_is_a_dependent_however_weak_its_fleet_r():
    r = np.zeros((5, 5))
    r[:3, :3] = 0.8
    r[3, :3] = r[:3, 3] = 0.1  # a latency: bad side up, pooled r 0.1
    r[4, :3] = r[:3, 4] = 0.1  # a CQI (bad side down) at +0.1: its good side
    np.fill_diagonal(r, 0.0)
    signs = np.array([0.0, 0.0, 0.0, 1.0, -1.0])
    assert not choose(r, signs, 0.15)[1].any()
    shares = np.array([0.0, 0.0, 0.0, CELL_SHARE, CELL_SHARE / 2])
    assert choose(r, signs, 0.15, cells=shares)[1].tolist() == [False] * 3 + [True, False]
    unknown = np.array([0.0, 0.0, 0.0, np.nan, np.nan])
    held = np.array([False, False, False, True, False])
    assert choose(r, signs, 0.15, held=held, cells=unknown)[1].tolist() == [False] * 3 + [
        True, False]  # held while its cells are not known yet; never chosen by that


def test_the_cells_sums_round_trip_a_checkpoint_and_an_older_one_starts_them():
    from telecom_nb.engine.snapshot import capture, restore
    from telecom_nb.features.pipeline import KpiFeatures

    def bound() -> KpiFeatures:
        features = KpiFeatures()
        features.bind(["RRC Users", "Latency (ms)"])
        return features

    features = bound()
    cells = features.load_.cells_
    assert cells is not None and cells.cols_.tolist() == [1]  # latency's bad side: up
    cells.update(np.arange(3), np.ones((3, 2)), np.ones(3), np.ones((3, 2), dtype=bool), 3)
    features.load_.late_[3] = 5.0
    tree, arrays = capture(features)
    same = restore(bound(), tree, arrays)
    assert np.array_equal(same.load_.cells_.sums_, cells.sums_) and cells.sums_.any()
    assert (same.load_.late_[3] == 5.0).all()
    for name in ("cells_", "late_"):
        del tree["attrs"]["load_"]["attrs"][name]
    older = restore(bound(), tree, arrays)
    assert not older.load_.cells_.sums_.size and not older.load_.late_.any()
