"""The drift's common mode: a day-long shift most of one day-shape group shares is no fault."""

from __future__ import annotations

import numpy as np

from telecom_nb.features import drift_kernel
from telecom_nb.features.drift import Drift
from telecom_nb.features.drift_common import shared

HOUR = 3_600 * 10**9


def test_a_side_most_of_a_group_holds_is_not_read_a_lone_drift_is():
    rng = np.random.default_rng(0)
    u = rng.normal(scale=0.5, size=(60, 2))
    group = np.repeat([0, 1, 2], 20)
    u[:12, 0] += 3.0  # 12 of group 0's 20 drift up together in KPI 0
    u[12, 0] = -3.0  # one of them down
    u[30, 1] = 5.0  # one sector of group 1 alone in KPI 1
    read = np.ones(60, dtype=bool)
    drop = shared(u, read, group, np.zeros(60, dtype=np.int64))
    assert drop[:12, 0].all()  # the shared side
    assert not drop[12, 0]  # the other side is still read
    assert not drop[20:].any() and not drop[:, 1].any()
    # too few read sectors in a group: no share judged
    assert not shared(u, np.arange(60) >= 12, group, np.zeros(60, dtype=np.int64))[:, 0].any()


def _holiday(shared: bool) -> np.ndarray:
    """60 sectors, 3 groups of 20; after 4 days group 0 (and sector 30 of group 1) sit
    2.5 spreads up in KPI 0 for a day; the drift read at the last tick."""
    rng = np.random.default_rng(1)
    drift = Drift(1)
    rows = np.arange(60)
    group = np.repeat([0, 1, 2], 20)
    for t in range(24 * 5):
        z = rng.normal(size=(60, 1))
        if t >= 24 * 4:
            z[:20] += 2.5
            z[30] += 2.5
        z[:20] = np.maximum(z[:20], 2.1) if t == 24 * 5 - 1 else z[:20]
        z[30] = max(z[30, 0], 2.1) if t == 24 * 5 - 1 else z[30]
        times = np.full(60, t * HOUR)
        out = drift.transform(rows, z, HOUR, *((group, times) if shared else (None, None)))
        drift.update(rows, z, 60, HOUR)
    return out[:, 0]


def test_the_drift_part_reads_a_lone_sector_not_a_shifted_group():
    alone, together = _holiday(shared=False), _holiday(shared=True)
    assert (alone[:20] > 3.0).all()  # without groups: the whole group drifts
    assert (together[:20] < 0.5).all()  # its median taken off
    assert together[30] > 2.5 and together[30] == alone[30]  # a lone drift kept


def test_compiled_pass_with_groups_equals_the_numpy_lines(monkeypatch):
    rng = np.random.default_rng(3)
    fast, slow = Drift(2), Drift(2)
    group = rng.integers(-1, 3, size=40)
    for t in range(24 * 3):
        rows = np.arange(40)
        z = rng.normal(scale=2.0, size=(40, 2)) + (1.5 if t > 50 else 0.0) * (group == 1)[:, None]
        z[rng.random(z.shape) < 0.05] = np.nan
        times = np.full(40, t * HOUR)
        got = fast.transform(rows, z, HOUR, group, times)
        fast.update(rows, z, 40, HOUR)
        with monkeypatch.context() as m:
            m.setattr(drift_kernel, "drift_z", lambda *a: None)
            m.setattr(drift_kernel, "drift_learn", lambda *a: False)
            want = slow.transform(rows, z, HOUR, group, times)
            slow.update(rows, z, 40, HOUR)
        np.testing.assert_array_equal(got.view(np.int64), want.view(np.int64))
    assert (got != 0).any()


def test_one_ticks_compiled_shares_equal_the_numpy_lines(monkeypatch):
    from telecom_nb.features import drift_common

    rng = np.random.default_rng(3120)
    dropped = []
    for n, k, groups in [(60, 2, 3), (1000, 7, 17), (9000, 3, 40), (12, 1, 1)]:
        u = rng.normal(scale=1.8, size=(n, k))
        u[rng.random((n, k)) < 0.05] = np.nan
        u[rng.random((n, k)) < 0.01] = np.inf
        u[rng.random((n, k)) < 0.01] = -np.inf
        u[rng.random((n, k)) < 0.02] = 2.0  # at the cut: on its side
        shift = rng.integers(0, groups, size=groups // 2 + 1)  # groups that share a drift
        group = rng.integers(-1, groups, size=n)
        u[np.isin(group, shift), 0] += 3.0
        read = rng.random(n) < 0.9
        out = np.zeros((n, k), dtype=bool)
        drift_common._one_tick(u, read, group, int(group.max()) + 1, out)
        monkeypatch.setattr(drift_common, "numba", None)
        want = drift_common.shared(u, read, group, np.full(n, 7, dtype=np.int64))
        monkeypatch.undo()
        assert np.array_equal(out, want)
        assert np.array_equal(drift_common.shared(u, read, group, np.full(n, 7)), want)
        dropped.append(int(want.sum()))
    assert all(d > 0 for d in dropped[:3])  # the shared sides were found (9,000: strided)
