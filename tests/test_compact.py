"""Compact storage of the large per-sector tables: compiled code reads and writes the bits
numpy does, counts are exact and saturate where the estimator stops needing them, and a
checkpoint written before the change still loads."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from telecom_nb import schema as S
from telecom_nb.engine.snapshot import capture, restore
from telecom_nb.features import SeasonalResiduals, seasonal_learn
from telecom_nb.features.compact import (
    COUNT_UNITS,
    count_cap,
    f16_decode,
    f16_encode,
    f64_bits,
    numba,
    read_counts,
    store_counts,
)
from telecom_nb.features.range_novelty import RangeNovelty
from telecom_nb.features.weekly import WeekdayEffects

KPIS = [S.PAYLOAD, S.THROUGHPUT]


def _decode_all(bits, out):  # pragma: no cover - compiled
    for i in range(len(bits)):
        out[i] = f16_decode(bits[i])


def _encode_all(x, out):  # pragma: no cover - compiled
    for i in range(len(x)):
        out[i] = f16_encode(x[i])


def _bits_all(x, out):  # pragma: no cover - compiled
    for i in range(len(x)):
        out[i] = f64_bits(x[i])


if numba is not None:
    _decode_all = numba.njit(_decode_all)
    _encode_all = numba.njit(_encode_all)
    _bits_all = numba.njit(_bits_all)


def test_a_compiled_float_reads_as_its_own_bits():
    x = np.array([0.0, -0.0, 1.0, -2.5, 5e-324, np.inf, -np.inf, np.nan, 1e308, 2.0**-25])
    out = np.zeros(len(x), dtype=np.uint64)
    _bits_all(x, out)
    assert np.array_equal(out, x.view(np.uint64))


def test_every_float16_pattern_decodes_as_numpy_widens_it():
    bits = np.arange(65536, dtype=np.uint16)
    out = np.empty(len(bits))
    _decode_all(bits, out)
    assert np.array_equal(out, bits.view(np.float16).astype(np.float64), equal_nan=True)


def test_encoding_rounds_as_numpy_casts_float64_to_float16():
    rng = np.random.default_rng(0)
    halves = np.arange(65536, dtype=np.uint16).view(np.float16).astype(np.float64)
    halves = np.sort(halves[np.isfinite(halves)])
    ties = (halves[:-1] + halves[1:]) / 2  # exactly halfway: ties go to the even pattern
    x = np.concatenate([
        rng.normal(0, 1, 200_000), rng.normal(0, 3e4, 50_000), rng.normal(0, 1e-5, 50_000),
        rng.normal(0, 1e-7, 50_000), np.exp(rng.uniform(-80.0, 80.0, 100_000)),
        -np.exp(rng.uniform(-80.0, 80.0, 100_000)), np.nextafter(halves, np.inf),
        np.nextafter(halves, -np.inf), halves, ties, np.nextafter(ties, np.inf),
        np.nextafter(ties, -np.inf),
        [np.inf, -np.inf, np.nan, -np.nan, 0.0, -0.0, 65504.0, 65519.9, 65520.0, 65536.0,
         1e300, 5e-324, -5e-324, 2.0**-25, -(2.0**-25), 2.0**-24, 2.0**-14]])
    out = np.empty(len(x), dtype=np.uint16)
    _encode_all(x, out)
    with np.errstate(over="ignore"):
        assert np.array_equal(out, x.astype(np.float16).view(np.uint16))


def test_counts_in_tenths_are_exact_and_saturate():
    count = np.zeros(3, dtype=np.uint16)
    n = np.array([2.0, 0.0, 6553.0])
    for _ in range(10):  # ten gated samples (a tenth each)
        n = read_counts(store_counts(count, n + 0.1).astype(np.uint16))
    drift = 2.0
    for _ in range(10):
        drift += 0.1
    assert n[0] == 3.0 and drift != 3.0  # float sums of tenths drift off; tenths do not
    assert n[1] == 1.0 and n[2] == 6553.5  # 65535 units: saturated


@pytest.mark.parametrize("compiled", [True, False])
def test_a_week_slot_count_saturates_at_the_levels_effective_memory(monkeypatch, compiled):
    if not compiled:
        monkeypatch.setattr(seasonal_learn, "numba", None)
    week = WeekdayEffects(24, 1)
    week.grow(1)
    rows, wslot = np.array([0]), np.array([5])
    one = np.ones((1, 1))
    for _ in range(20):  # twenty hourly visits of one week slot
        week.update(rows, wslot, 0.3 * one, one > 0, one < 0, one, one, visit=1.0)
    # an EW mean of weight 0.25 per visit is as precise as 7 visits' plain mean
    assert count_cap(0.25) == 7 * COUNT_UNITS
    assert week.count_[0, 5, 0] == 7 * COUNT_UNITS
    _, var, _ = week.expect(rows, wslot, 0.3 * one, one > 0, one)
    assert var[0, 0] == 0.0  # no fleet scatter here: the sector's own effect is exact
    assert abs(float(week.level_[0, 5, 0]) - 0.3) < 1e-3  # float16: ~3 digits


def _fleet(days: int = 9, sectors: int = 30, seed: int = 0) -> pd.DataFrame:
    """Hourly payload/throughput of a fleet with a daily cycle and quieter weekends."""
    rng = np.random.default_rng(seed)
    times = pd.date_range("2026-03-02", periods=days * 24, freq="h", tz="UTC")
    hour, weekend = times.hour.to_numpy(), times.day_of_week.to_numpy() >= 5
    shape = (1.2 + np.sin(2 * np.pi * (hour - 9) / 24)) * np.where(weekend, 0.6, 1.0)
    size = rng.lognormal(3, 0.5, sectors)[:, None]
    payload = size * shape * rng.lognormal(0, 0.1, (sectors, len(times)))
    return pd.DataFrame({
        S.TIMESTAMP: np.tile(times, sectors),
        S.SECTOR: np.repeat([f"s{i}" for i in range(sectors)], len(times)),
        S.PAYLOAD: payload.ravel(),
        S.THROUGHPUT: rng.uniform(20, 40, (sectors, len(times))).ravel(),
    }).sort_values([S.TIMESTAMP, S.SECTOR], kind="stable", ignore_index=True)


def _older(tree: dict, arrays: dict) -> dict:
    """The same state as a checkpoint written before the compact storage kept it."""
    old = dict(arrays)
    week, slot = tree["attrs"]["week_"]["attrs"], tree["attrs"]["slot_table_"]["attrs"]
    old[week["level_"]["$a"]] = arrays[week["level_"]["$a"]].astype(np.float32)
    old[week["count_"]["$a"]] = (arrays[week["count_"]["$a"]] / COUNT_UNITS).astype(np.float32)
    old[slot["level"]["$a"]] = arrays[slot["level"]["$a"]].astype(np.float64)
    old[slot["dev"]["$a"]] = arrays[slot["dev"]["$a"]].astype(np.float64)
    old[slot["count"]["$a"]] = read_counts(arrays[slot["count"]["$a"]])
    assert {old[k].dtype for k in (week["count_"]["$a"], slot["count"]["$a"])} == {
        np.dtype(np.float32), np.dtype(np.float64)}
    return old


def test_a_checkpoint_from_before_the_compact_tables_restores_the_same_state():
    table = _fleet()
    times = table[S.TIMESTAMP].unique()
    learned = SeasonalResiduals(kpis=KPIS)
    for t in times[:-24]:
        learned.update(table[table[S.TIMESTAMP] == t])
    tree, arrays = capture(learned)
    fresh = restore(SeasonalResiduals(kpis=KPIS), tree, _older(tree, arrays))
    for name in ("level_", "count_"):
        assert getattr(fresh.week_, name).dtype == getattr(learned.week_, name).dtype
        assert np.array_equal(getattr(fresh.week_, name), getattr(learned.week_, name))
    for name in ("level", "dev", "count"):
        assert getattr(fresh.slot_table_, name).dtype == getattr(learned.slot_table_, name).dtype
        assert np.array_equal(getattr(fresh.slot_table_, name),
                              getattr(learned.slot_table_, name))
    for t in times[-24:]:  # and both go on alike
        batch = table[table[S.TIMESTAMP] == t]
        assert np.array_equal(fresh.transform(batch).to_numpy(),
                              learned.transform(batch).to_numpy())
        fresh.update(batch)
        learned.update(batch)


def test_an_older_novelty_ring_with_int64_row_counts_restores():
    table = _fleet(days=4)
    learned = RangeNovelty(kpis=KPIS)
    for t in table[S.TIMESTAMP].unique():
        learned.update(table[table[S.TIMESTAMP] == t])
    assert learned.ring_n_.dtype == np.int32 and learned.ring_n_.max() == 24
    tree, arrays = capture(learned)
    key = tree["attrs"]["ring_n_"]["$a"]
    fresh = restore(RangeNovelty(kpis=KPIS), tree, {**arrays, key: arrays[key].astype(np.int64)})
    assert fresh.ring_n_.dtype == np.int32
    assert np.array_equal(fresh.ring_n_, learned.ring_n_)
