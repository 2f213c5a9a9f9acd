"""A KPI against its sector's own regression on its most related KPIs (load-adjusted)."""

from __future__ import annotations

import numpy as np

from telecom_nb.features.expectation import MIN_TICKS, KpiExpectation


def _ticks(n: int, sectors: int = 20, seed: int = 0) -> list[np.ndarray]:
    """Per tick, sectors x 3 KPIs (log scale): load varies, throughput falls with it as
    each sector's own slope says, the third KPI is on its own."""
    rng = np.random.default_rng(seed)
    slope = rng.uniform(-1.2, -0.4, sectors)
    out = []
    for _ in range(n):
        load = 3.0 + 0.5 * rng.normal(size=sectors)
        tput = 4.0 + slope * (load - 3.0) + 0.05 * rng.normal(size=sectors)
        out.append(np.column_stack([load, tput, 2.0 + 0.3 * rng.normal(size=sectors)]))
    return out


def test_a_loss_the_load_does_not_explain_stands_out_a_load_swing_does_not():
    e = KpiExpectation(3)
    rows = np.arange(20)
    for x in _ticks(200):
        e.update(rows, x, 20)
    pred = e.predictors()
    assert pred[1, 0] == 0 and pred[0, 0] == 1  # learned from the data: load <-> tput
    assert (pred[2] == -1).all()  # the third KPI explains and is explained by nothing
    x = _ticks(1, seed=5)[0]
    busy = x.copy()
    busy[:, 0] += 1.0  # a crowd: twice the load ...
    busy[:, 1] = e.mean_[:20, 1] + (e.cov_[:20, 0, 1] / e.cov_[:20, 0, 0]) * (
        busy[:, 0] - e.mean_[:20, 0]
    )  # ... and throughput down as the sector's slope says
    lost = x.copy()
    lost[:, 1] -= 0.6  # a carrier lost: throughput x 0.55 at the same load
    assert np.abs(e.transform(rows, busy)[:, 1]).max() < 3
    assert (e.transform(rows, lost)[:, 1] < -5).all()
    assert (e.transform(rows, lost)[:, 2] == 0).all()  # no model, no evidence


def test_young_sectors_and_missing_values_read_zero_and_faults_barely_move_it():
    e = KpiExpectation(3)
    ticks = _ticks(int(MIN_TICKS) + 5)
    for x in ticks[: int(MIN_TICKS) - 1]:
        e.update(np.arange(20), x, 20)
    assert (e.transform(np.arange(20), ticks[-1]) == 0).all()  # too young
    for x in ticks[int(MIN_TICKS) - 1 :]:
        e.update(np.arange(20), x, 20)
    before = e.cov_[:20].copy()
    bad = ticks[-1].copy()
    bad[:, 1] = np.nan  # no throughput (no users): nothing of it moves
    bad[:, 0] += 50.0  # an absurd load: clipped at a few spreads
    e.update(np.arange(20), bad, 20)
    assert np.allclose(e.cov_[:20, 1, 1], before[:, 1, 1] * (1 - 1 / (MIN_TICKS + 6)), rtol=1e-3)
    assert (e.cov_[:20, 0, 0] < 1.2 * before[:, 0, 0]).all()
    z = e.transform(np.array([0, 25, -1]), bad[:3])
    assert np.isfinite(z).all() and (z[1:] == 0).all()  # unknown sectors read 0
