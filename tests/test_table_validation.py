"""Whole-table validation equals the per-batch loop: rows, values, counters and state."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from telecom_nb import schema
from telecom_nb.engine.replay import replay
from telecom_nb.sources.table_validation import _loop, validate_table
from telecom_nb.sources.validation import BatchValidator

T0 = pd.Timestamp("2026-01-05 10:00", tz="UTC")
STEP = pd.Timedelta("15min")


def messy_table(seed: int, ticks: int = 40, sectors: int = 6) -> pd.DataFrame:
    """Sorted by time: NaN/inf, text, out-of-range values, duplicates, missing and new
    sectors, rows and whole batches without a sector id, unreadable times."""
    rng = np.random.default_rng(seed)
    rows = []
    for t in range(ticks):
        present = [s for s in range(sectors + t // 10) if rng.random() > 0.2]
        present += list(rng.choice(present, 2)) if present and rng.random() < 0.3 else []
        for s in present:
            rows.append({"timestamp": T0 + t * STEP, "sector_id": f"s{s}",
                         **{k: rng.normal(50, 60) for k in schema.KPIS}})
    table = pd.DataFrame(rows)
    n = len(table)
    for kpi in schema.KPIS:
        table.loc[rng.random(n) < 0.15, kpi] = np.nan
        table.loc[rng.random(n) < 0.03, kpi] = np.inf
    table.loc[rng.random(n) < 0.05, "sector_id"] = None
    table.loc[table["timestamp"] == T0 + 7 * STEP, "sector_id"] = None  # a batch of none
    text = table[schema.PRB].astype(object)
    text[rng.random(n) < 0.1] = "n/a"
    table[schema.PRB] = text
    table.loc[table["timestamp"] == T0 + 3 * STEP, "timestamp"] = pd.Timestamp("1850-01-01",
                                                                                tz="UTC")
    table["note"] = np.arange(n)
    order = np.argsort(table["timestamp"].to_numpy(dtype="int64"), kind="stable")
    return table.iloc[order].reset_index(drop=True)


def _state(v: BatchValidator) -> tuple:
    return (v.totals, v.last_timestamp, v.sectors.tolist(), v._prev_codes.tolist())


def _same(fast_v, fast, loop_v, loop) -> None:
    pd.testing.assert_frame_equal(fast.frame, loop.frame)
    assert fast.report == loop.report
    assert fast.rejected == loop.rejected and fast.rows_rejected == loop.rows_rejected
    assert fast.batches == loop.batches and fast.sizes.tolist() == loop.sizes.tolist()
    assert _state(fast_v) == _state(loop_v)
    np.testing.assert_array_equal(fast_v._last_values, loop_v._last_values)


@pytest.mark.parametrize("seed", range(6))
def test_table_equals_batch_loop(seed):
    table = messy_table(seed)
    fast_v, loop_v = BatchValidator(schema.KPIS), BatchValidator(schema.KPIS)
    _same(fast_v, validate_table(fast_v, table), loop_v, _loop(loop_v, table))


def test_state_before_the_table_late_batches_and_naive_times():
    """Known sectors carry their last values in; batches before the last one are late."""
    first = messy_table(1, ticks=12)
    rest = messy_table(2, ticks=30)
    rest["timestamp"] = rest["timestamp"].dt.tz_localize(None)  # naive = UTC
    fast_v, loop_v = BatchValidator(schema.KPIS), BatchValidator(schema.KPIS)
    for v in (fast_v, loop_v):
        v.validate(first[first["timestamp"] == first["timestamp"].iloc[-1]])
    _same(fast_v, validate_table(fast_v, rest), loop_v, _loop(loop_v, rest))
    assert fast_v.totals["rejected"] > 1


def test_one_series_without_sector_column():
    n = 300
    rng = np.random.default_rng(3)
    values = rng.normal(size=n)
    values[rng.random(n) < 0.2] = np.nan
    values[0] = np.nan  # the first value blank: nothing before it
    table = pd.DataFrame({"timestamp": pd.date_range("2020", periods=n, freq="5min"),
                          "value": values})
    fast_v, loop_v = BatchValidator(["value"]), BatchValidator(["value"])
    _same(fast_v, validate_table(fast_v, table), loop_v, _loop(loop_v, table))


def test_replay_fast_equals_per_batch_on_messy_table():
    from telecom_nb.detectors import make_detector

    table = messy_table(4, ticks=60).sample(frac=1.0, random_state=0)  # any input order
    fast = replay(table, make_detector("robust_z"), schema.KPIS)
    slow = replay(table, make_detector("robust_z"), schema.KPIS, per_batch=True)
    pd.testing.assert_frame_equal(fast.frame, slow.frame)
    assert fast.counters == slow.counters and fast.messages == slow.messages
