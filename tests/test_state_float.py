"""Per-sector running state stored as float32 (``compact.STATE_FLOAT``): the tables are
half the bytes, arithmetic stays float64, and an older float64 checkpoint still restores."""

from __future__ import annotations

import numpy as np

from telecom_nb.engine.snapshot import capture, restore
from telecom_nb.features.compact import STATE_FLOAT
from telecom_nb.features.drift import Drift
from telecom_nb.features.persistence import Persistence

HOUR = 3_600 * 10**9


def _learned() -> tuple[Drift, Persistence]:
    rng = np.random.default_rng(5)
    drift, persist = Drift(3), Persistence(3)
    rows = np.arange(30)
    for _ in range(12):
        z = rng.normal(scale=2.0, size=(30, 3))
        drift.update(rows, z, 30, HOUR)
        persist.update(rows, z, 30)
    return drift, persist


def test_the_per_sector_tables_are_float32():
    drift, persist = _learned()
    for table in (drift.mean_, drift.level_, drift.var_, persist.mean_, persist.usual_.level,
                  persist.usual_.dev, persist.usual_.count):
        assert table.dtype == STATE_FLOAT == np.float32
    assert persist.usual_.count[:30].min() == 12.0  # whole counts, exactly


def test_a_float64_checkpoint_restores_into_the_float32_tables():
    """A checkpoint written before the tables were float32 (its arrays float64) restores
    with the tables' own width and the stored values (rounded once)."""
    for learned, blank in zip(_learned(), (Drift(3), Persistence(3)), strict=True):
        tree, arrays = capture(learned)
        older = {k: v.astype(np.float64) if v.dtype == np.float32 else v
                 for k, v in arrays.items()}
        assert any(v.dtype == np.float64 for v in older.values())
        back = restore(blank, tree, older)
        for name in ("mean_",):
            got, want = getattr(back, name), getattr(learned, name)
            assert got.dtype == np.float32
            np.testing.assert_array_equal(got, want)
