"""The common mode: sectors grouped by their normal day; a fleet-wide shift taken off."""

from __future__ import annotations

import numpy as np

from telecom_nb.features.common_mode import FIT_AFTER_NS, REFIT_NS, CommonMode, row_sums
from telecom_nb.features.pipeline import KpiFeatures


def _fleet(n: int = 300, seed: int = 0) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Three kinds of sector (daily shapes a third of a day apart) and their slot tables."""
    rng = np.random.default_rng(seed)
    shapes = np.stack([np.sin(np.arange(24) / 24 * 2 * np.pi + p) for p in (0.0, 2.1, 4.2)])
    kind = np.arange(n) % 3
    level = (shapes[kind][:, :, None] + rng.normal(0, 0.1, (n, 24, 2))).astype(np.float32)
    return kind, level, np.ones((n, 24, 2), dtype=np.uint16)


def test_sectors_are_grouped_by_the_shape_of_their_day():
    kind, level, count = _fleet()
    known = np.ones(len(kind), dtype=bool)
    known[-1] = False  # no history: no group
    common = CommonMode()
    common.fit(level + np.arange(len(kind))[:, None, None] % 7, count, known, 0)  # any level
    assert 3 <= common.n_groups_ <= len(kind) // 60  # about 60 sectors a group
    groups = common.group_[:-1]
    for g in range(common.n_groups_):  # a group holds one kind (a kind may take two)
        assert len(np.unique(kind[:-1][groups == g])) == 1
    assert common.group_[-1] == -1


def test_a_fleet_wide_shift_is_taken_off_and_a_faulty_sector_stays_off():
    kind, level, count = _fleet()
    common = CommonMode()
    common.fit(level, count, np.ones(len(kind), dtype=bool), 0)
    rng = np.random.default_rng(1)
    z = rng.normal(0, 1, (len(kind), 3))
    z[:, 0] += np.where(kind == 0, -3.0, 3.0)  # a holiday: one kind down, the others up
    z[5, 0] = -20.0  # kind 2, e.g. a sleeping cell
    z[7, :] = 0.0  # no values
    out = common.adjust(np.arange(len(kind)), np.zeros(len(kind), dtype=np.int64), z)
    for k in range(3):
        assert abs(np.median(out[kind == k, 0])) < 0.3
    assert out[5, 0] < -20.0 and np.all(out[7] == 0.0)
    assert np.abs(out[:, 1:] - z[:, 1:]).max() < 0.5  # the other series: their own medians


def test_a_local_shift_is_left_alone():
    """One kind of sector of three shifted by 4 spreads (a minority area's weekend) and a
    cluster of 15 sectors down by 20 (an outage): the gate stays shut and nothing changes;
    everyone shifted at another tick of the batch is judged on its own."""
    kind, level, count = _fleet()
    common = CommonMode()
    common.fit(level, count, np.ones(len(kind), dtype=bool), 0)
    rows = np.r_[np.arange(len(kind)), np.arange(len(kind))]
    times = np.r_[np.zeros(len(kind)), np.ones(len(kind))].astype(np.int64)
    z = np.random.default_rng(2).normal(0, 1, (len(rows), 2))
    z[: len(kind), 0] += np.where(kind == 1, 4.0, 0.0)  # tick 0: a third shifted
    z[:45:3, 0] -= 20.0  # ... and 15 sectors of kind 0 down
    z[len(kind) :, 0] += 4.0  # tick 1: everyone
    out = common.adjust(rows, times, z)
    assert np.array_equal(out[: len(kind)], z[: len(kind)])
    assert abs(np.median(out[len(kind) :, 0])) < 0.3


def test_groups_are_fitted_after_two_days_of_data_then_daily():
    common = CommonMode()
    assert not common.due(np.array([0, 10]))
    assert not common.due(np.array([FIT_AFTER_NS - 1]))
    assert common.due(np.array([FIT_AFTER_NS]))
    common.fitted_ns_ = FIT_AFTER_NS
    assert not common.due(np.array([FIT_AFTER_NS + REFIT_NS - 1]))
    assert common.due(np.array([FIT_AFTER_NS + REFIT_NS]))
    assert common.adjust(np.arange(3), np.zeros(3, dtype=np.int64), np.ones((3, 2))).sum() == 6


def test_a_checkpoint_from_before_the_common_mode_restores():
    from telecom_nb.engine.snapshot import capture, restore

    features = KpiFeatures()
    features.bind(["users", "volume"])
    features.common_.group_, features.common_.n_groups_ = np.array([1, 0, -1]), 2
    tree, arrays = capture(features)
    same = KpiFeatures()
    same.bind(["users", "volume"])
    same = restore(same, tree, arrays)
    assert same.common_.group_.tolist() == [1, 0, -1] and same.common_.n_groups_ == 2
    del tree["attrs"]["common_"]
    fresh = KpiFeatures()
    fresh.bind(["users", "volume"])
    fresh = restore(fresh, tree, arrays)
    assert isinstance(fresh.common_, CommonMode) and fresh.common_.n_groups_ == 0
    off = KpiFeatures(common=False)
    off.bind(["users", "volume"])
    assert off.common_ is None


def test_a_large_fleets_regrouping_is_spread_over_ticks(monkeypatch):
    """Above ``CHUNK`` sectors the fit assigns the first ``CHUNK`` and each ``advance`` the
    next: the old groups stand until the last, then the groups of a one-call fit."""
    from telecom_nb.engine.snapshot import capture, restore
    from telecom_nb.features import common_mode

    kind, level, count = _fleet()
    known = np.ones(len(kind), dtype=bool)
    whole = CommonMode()
    whole.fit(level, count, known, 0)
    monkeypatch.setattr(common_mode, "CHUNK", 120)
    common = CommonMode()
    common.fit(level, count, known, 0)
    assert common.n_groups_ == 0 and len(common.pending_) == 180  # none yet
    common.group_, common.n_groups_ = np.zeros(len(kind), dtype=np.int64), 1  # "old" ones
    common.advance(level, count)
    assert common.n_groups_ == 1 and len(common.pending_) == 60
    features = KpiFeatures()
    features.bind(["users", "volume"])
    features.common_ = common  # a checkpoint taken with the regrouping under way
    tree, arrays = capture(features)
    fresh = KpiFeatures()
    fresh.bind(["users", "volume"])
    common = restore(fresh, tree, arrays).common_
    common.advance(level, count)
    assert len(common.pending_) == 0 and common.n_groups_ == whole.n_groups_
    np.testing.assert_array_equal(common.group_, whole.group_)
    common.advance(level, count)  # nothing under way: nothing moves
    np.testing.assert_array_equal(common.group_, whole.group_)
    for name in ("centres_", "pending_", "next_group_"):  # an older checkpoint: none
        del tree["attrs"]["common_"]["attrs"][name]
    older = KpiFeatures()
    older.bind(["users", "volume"])
    older = restore(older, tree, arrays).common_
    assert len(older.pending_) == 0 and older.n_groups_ == 1


def test_a_shifted_tick_is_read_on_the_groups_own_scatter():
    """A day no sector has seen moves each sector of a kind by its own amount (here -1 to
    -7 spreads): after the group's median is off, the rest is read on the group's scatter
    at that tick, so the kind's ordinary sectors are no longer flagged; a faulty sector
    far beyond the scatter still is."""
    kind, level, count = _fleet()
    common = CommonMode()
    common.fit(level, count, np.ones(len(kind), dtype=bool), 0)
    rng = np.random.default_rng(3)
    z = rng.normal(0, 1, (len(kind), 2))
    z[:, 0] += rng.uniform(-7.0, -1.0, len(kind))  # everyone down, each by its own amount
    z[9, 0] = -30.0  # a sleeping cell on the holiday
    out = common.adjust(np.arange(len(kind)), np.zeros(len(kind), dtype=np.int64), z)
    ordinary = np.ones(len(kind), dtype=bool)
    ordinary[9] = False
    assert (np.abs(out[ordinary, 0]) >= 3.0).mean() < 0.01  # median taken off only: ~15 %
    assert out[9, 0] < -8.0
    assert np.abs(out[:, 1] - z[:, 1]).max() < 0.5  # a series with a normal scatter: as it was


def test_on_a_day_read_as_another_weekday_the_gate_opens_at_a_smaller_shift():
    """A long holiday's first day read as a Friday is a Friday lower: each kind of sector
    sits half a spread off it (under ``SHIFT``) and scatters wider than a normal z. With
    ``DAY_TYPE_SHIFT`` what the fleet shares is taken off and the rest read on the group's
    scatter; a sleeping cell still reads far off."""
    from telecom_nb.features.common_mode import DAY_TYPE_SHIFT, SHIFT

    assert DAY_TYPE_SHIFT < 0.6 < SHIFT
    kind, level, count = _fleet()
    common = CommonMode()
    common.fit(level, count, np.ones(len(kind), dtype=bool), 0)
    rng = np.random.default_rng(4)
    z = rng.normal(-0.6, 2.5, (len(kind), 2))
    z[9, 0] = -30.0
    times = np.zeros(len(kind), dtype=np.int64)
    assert np.array_equal(common.adjust(np.arange(len(kind)), times, z), z)  # gate shut
    out = common.adjust(np.arange(len(kind)), times, z, shift=DAY_TYPE_SHIFT)
    assert (np.abs(out[:, 1]) >= 3.0).mean() < 0.02 < (np.abs(z[:, 1]) >= 3.0).mean()
    assert out[9, 0] < -8.0


def test_a_quality_shift_without_load_leaves_the_gate_shut():
    """Two backhaul clusters, most of one group of a small fleet's two: their throughput,
    latency and drops move the group's medians past ``SHIFT`` while its load stays. With the
    load family known only its series open the gate: the clusters keep their own evidence;
    a calendar day that moves the load opens it as before."""
    kind, level, count = _fleet(n=130)
    common = CommonMode()
    common.fit(level, count, np.ones(len(kind), dtype=bool), 0)
    assert common.n_groups_ == 2
    n = len(kind)
    rows = np.r_[np.arange(n), np.arange(n)]
    times = np.r_[np.zeros(n), np.ones(n)].astype(np.int64)
    z = np.random.default_rng(5).normal(0, 1, (2 * n, 3))
    big = np.flatnonzero(common.group_ == np.bincount(common.group_).argmax())
    cluster = big[: int(0.7 * len(big))]
    z[cluster, 1:] += 5.0  # tick 0: quality series 1 and 2 off on most of the group
    z[n:, 0] += np.where(kind == 0, -3.0, 3.0)  # tick 1: a holiday moves the load
    load = np.array([True, False, False])
    out = common.adjust(rows, times, z, load=load)
    assert np.array_equal(out[:n], z[:n])  # the clusters' z untouched
    assert np.median(out[cluster, 1]) > 4.0
    assert not np.array_equal(out[n:], z[n:])  # the holiday's tick: taken off
    for k in range(3):
        assert abs(np.median(out[n:][kind == k, 0])) < 0.5
    unknown = common.adjust(rows, times, z)  # no load family: every series opens it
    assert np.median(unknown[cluster, 1]) < 2.0


def test_group_sums_are_add_at_bit_for_bit():
    """The centres' sums add each group's rows in order from 0.0, as ``np.add.at`` does (a
    pairwise sum or a matrix product rounds differently on values of mixed scale)."""
    rng = np.random.default_rng(2)
    for d in (1, 2, 48):
        x = rng.standard_normal((700, d)) * 10.0 ** rng.integers(-9, 9, size=(700, d))
        x[rng.random(x.shape) < 0.2] = -0.0
        x[:, 0] = np.where(rng.random(700) < 0.5, -0.0, x[:, 0]) if d > 1 else x[:, 0]
        label = rng.integers(0, 5, 700)
        label[label == 3] = 4  # an empty group
        want = np.zeros((5, d))
        np.add.at(want, label, x)
        got = row_sums(x, label, 5)
        assert got.tobytes() == want.tobytes()
    for d in (1, 3):  # add.at's sums start from 0.0: all -0.0 sums to 0.0
        x = np.full((4, d), -0.0)
        assert not np.signbit(row_sums(x, np.zeros(4, dtype=np.int64), 1)).any()
