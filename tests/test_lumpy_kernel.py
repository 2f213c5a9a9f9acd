"""The lumpy KPIs' one compiled pass of per-KPI counts == each model's own numpy reductions."""

from __future__ import annotations

import copy

import numpy as np
import pytest

from telecom_nb.engine.snapshot import capture, restore
from telecom_nb.features import lumpy as lumpy_module
from telecom_nb.features.count_denominator import Denominators
from telecom_nb.features.count_floor import CountFloor
from telecom_nb.features.count_fractions import TOLERANCE, fraction_hits
from telecom_nb.features.count_ratio import CONTROL_SHIFT, CountRatios, sample_step
from telecom_nb.features.lumpy import LumpyKpis
from telecom_nb.features.lumpy_kernel import column_stats
from telecom_nb.features.zero_inflated import ZeroInflated

pytestmark = [
    pytest.mark.skipif(column_stats(np.zeros((1, 1)), 1, 1, 0.37) is None,
                       reason="numba not installed"),
    pytest.mark.filterwarnings("ignore::RuntimeWarning"),  # the numpy paths on inf values
]
KPIS = ("load", "rate", "zeros", "trials", "signed", "pct")


def _batch(rng: np.random.Generator, n: int) -> np.ndarray:
    """A load, a rate of few counts (2 decimals) with its trials, a KPI nearly always 0, a
    signed one, a percentage of many counts; NaN, inf, -0.0, out-of-range values sprinkled."""
    trials = rng.integers(1, 15, n).astype(float)
    rate = (100.0 * rng.binomial(trials.astype(int), 0.3) / trials).round(2)
    zeros = np.where(rng.random(n) < 0.97, 0.0, rng.uniform(1, 900, n).round())
    out = np.column_stack([rng.lognormal(1.0, 1.5, n), rate, zeros, trials,
                           rng.normal(0, 3, n), rng.uniform(0, 100, n).round(4)])
    holes = rng.random(out.shape)
    out[holes < 0.03] = np.nan
    out[(holes > 0.03) & (holes < 0.035)] = np.inf
    out[(holes > 0.035) & (holes < 0.037)] = -np.inf
    out[(holes > 0.04) & (holes < 0.042)] = -0.0
    near = (holes > 0.05) & (holes < 0.052)
    near[:, 1:4:2] = False  # the rate keeps 2 decimals, its trials integers (a counter)
    out[near] = 100.004  # within the tolerance of 100
    out[(holes[:, -1] > 0.06) & (holes[:, -1] < 0.08), -1] = 100.2  # not a percentage
    return out


def _numpy_stats(raw: np.ndarray, floor_step: int, step: int) -> dict[str, np.ndarray]:
    """What each model's update reduces ``raw`` to with numpy (its code before the pass)."""
    ok = np.isfinite(raw)
    v, s = raw[::floor_step], raw[::step]
    return {
        "finite": ok.sum(axis=0), "zeros": (ok & (raw == 0.0)).sum(axis=0),
        "negative": (ok & (raw < 0.0)).any(axis=0),
        "outside": (ok & ((raw < -TOLERANCE) | (raw > 100.0 + TOLERANCE))).any(axis=0),
        "floor_finite": np.isfinite(v).sum(axis=0),
        "floor_negative": (np.isfinite(v) & (v < 0.0)).any(axis=0),
        "fractional": (np.isfinite(s) & ((s < 0.0) | (s != np.round(s)))).any(axis=0),
        "hits": fraction_hits(s),
        "control": fraction_hits(s - CONTROL_SHIFT) + fraction_hits(s + CONTROL_SHIFT),
    }


@pytest.mark.parametrize("n", [0, 1, 2, 37, 500, 5003])
def test_the_pass_counts_what_the_numpy_reductions_count(n):
    rng = np.random.default_rng(1865 + n)
    raw = _batch(rng, n)
    floor_step, step = CountFloor.sample_step(n), sample_step(n)
    for block in (raw, np.asfortranarray(raw), raw[:, ::2], raw[:, :1]):
        got = column_stats(block, floor_step, step, CONTROL_SHIFT)
        want = _numpy_stats(block, floor_step, step)
        for name, value in want.items():
            have = getattr(got, name)
            assert have.dtype == value.dtype, name
            np.testing.assert_array_equal(have, value, err_msg=name)


def test_an_odd_input_is_left_to_numpy():
    assert column_stats(np.zeros(5), 1, 1, 0.37) is None
    assert column_stats(np.zeros((5, 2), dtype=np.float32), 1, 1, 0.37) is None


def _same_state(a: object, b: object) -> None:
    tree_a, arrays_a = capture(a)
    tree_b, arrays_b = capture(b)
    assert tree_a == tree_b
    assert arrays_a.keys() == arrays_b.keys()
    for name in arrays_a:
        np.testing.assert_array_equal(arrays_a[name], arrays_b[name], err_msg=name)


@pytest.mark.parametrize("n", [0, 1, 300, 4500])
def test_each_model_learns_the_same_from_the_pass(n):
    rng = np.random.default_rng(1870 + n)
    k = len(KPIS)
    models = [(CountFloor(k), CountFloor(k)), (ZeroInflated(k, 7), ZeroInflated(k, 7)),
              (CountRatios(k, 24), CountRatios(k, 24)), (Denominators(k), Denominators(k))]
    rows = np.arange(n)
    for t in range(12):
        raw = _batch(rng, n)
        stats = column_stats(raw, CountFloor.sample_step(n), sample_step(n), CONTROL_SHIFT)
        slot, day = np.full(n, t % 24), np.full(n, 20_000 + t // 24)
        for i, stat in enumerate((None, stats)):
            floor, zero, counts, dens = (pair[i] for pair in models)
            floor.update(raw, stat)
            zero.update(raw, rows, slot % 7, day, n, stat)
            counts.update(rows, slot, raw, n, None, stat)
            dens.update(raw, ~counts.outside_ & dens.fractional_, counts.resolution()[0], stat)
    for old, new in models:
        _same_state(old, new)
    if n >= 300:  # the batches made the rate a ratio and the zeros zero-inflated
        assert models[2][1].ratios().tolist() == [False, True, False, False, False, False]
        assert models[1][1].which()[2] and models[3][1].fractional_[5]


def test_the_lumpy_update_is_the_same_with_the_pass_and_without(monkeypatch):
    """Several ticks (a rate of few counts with its trials: a ratio whose column the
    zero-inflated model must see as NaN) with the pass and with each model's numpy."""
    rng = np.random.default_rng(1875)
    n = 400
    fused, plain = (LumpyKpis(KPIS, (("load", "trials"),), 24) for _ in range(2))
    rows = np.arange(n)
    batches = [_batch(rng, n) for _ in range(10)]
    for t, raw in enumerate(batches):
        slot = np.full(n, t % 24)
        fused.update(rows, (slot, slot % 7), np.full(n, 20_000), raw, n)
    monkeypatch.setattr(lumpy_module, "column_stats", lambda *a: None)
    for t, raw in enumerate(batches):
        slot = np.full(n, t % 24)
        plain.update(rows, (slot, slot % 7), np.full(n, 20_000), raw, n)
    assert fused.counts_.ratios()[1] and fused.counting()
    _same_state(fused, plain)
    np.testing.assert_array_equal(fused.noise(), plain.noise())


def test_the_denominators_columns_are_kept_until_an_update_or_a_restore():
    rng = np.random.default_rng(1880)
    d = Denominators(len(KPIS))
    ratios = np.array([False, True, False, False, False, False])
    tolerance = np.full(len(KPIS), 0.0051)
    assert d.columns().tolist() == [-1] * len(KPIS)
    first = d.columns()
    assert d.columns() is first and not first.flags.writeable
    for _ in range(3):
        d.update(_batch(rng, 400), ratios, tolerance)
    assert d.columns()[1] == 3  # learned: the cache was forgotten at the update
    np.testing.assert_array_equal(d.columns(), d._columns())
    tree, arrays = capture(d)
    assert "_cache" not in tree["attrs"]
    fresh = Denominators(len(KPIS))
    fresh.columns()  # a cache of the fresh (empty) state ...
    restore(fresh, tree, arrays)
    assert fresh.columns()[1] == 3  # ... forgotten at the restore
    again = copy.deepcopy(d)
    again.update(np.full((4, len(KPIS)), 0.5), ratios, tolerance)  # fractional: no counter
    assert again.columns().tolist() == [-1] * len(KPIS)


def test_the_noise_floor_and_the_zero_kpis_read_as_with_nan_to_num():
    """``CountFloor.noise`` and ``ZeroInflated.which`` without ``nan_to_num``: the same
    numbers on quantiles and typical values with NaN, inf and 0 (their numpy before)."""
    from telecom_nb.features import count_floor, zero_inflated

    rng = np.random.default_rng(1885)
    special = np.array([np.nan, np.inf, -np.inf, 0.0, -1.0, 1e-300, 1e308])
    for _ in range(200):
        k = int(rng.integers(1, 9))
        floor = CountFloor(k)
        q = rng.choice(np.r_[special, rng.uniform(0, 50, 8)], size=(2, k))
        floor.quantiles_ = q
        floor.negative_ = rng.random(k) < 0.2
        skip = rng.random(k) < 0.2
        low, median = q
        load = (~floor.negative_ & ~skip & np.isfinite(median) & (median > 0.0) & (
            np.nan_to_num(low) <= count_floor.RANGE_SHARE * np.nan_to_num(median)))
        want = np.where(load, count_floor.FLOOR_SHARE * np.nan_to_num(median), 0.0)
        np.testing.assert_array_equal(floor.noise(skip), want)
        zero = ZeroInflated(k)
        zero.values_ = np.full(k, 2000.0)
        zero.zeros_ = np.full(k, 1990.0)
        zero.typical_ = rng.choice(special, size=k)
        share = zero.zeros_ / np.maximum(zero.values_, 1.0)
        want = (~zero.negative_ & (zero.values_ >= zero_inflated.MIN_VALUES)
                & (share >= zero_inflated.MIN_ZERO_SHARE) & np.isfinite(zero.typical_)
                & (np.nan_to_num(zero.typical_) > 0))
        np.testing.assert_array_equal(zero.which(), want)
