"""A row's load against its sector's usual: the median of its load family's log ratios."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np

from telecom_nb.features.load_level import load_level, nan_median_rows
from telecom_nb.features.robust_stats import RobustTable
from telecom_nb.features.scaling import scale_kpis


def test_the_median_of_a_rows_finite_values():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(200, 5))
    x[rng.random(x.shape) < 0.3] = np.nan
    x[0] = np.nan
    expected = np.array([np.nanmedian(r) if np.isfinite(r).any() else np.nan for r in x])
    np.testing.assert_array_equal(nan_median_rows(x), expected)
    assert nan_median_rows(np.zeros((3, 0))).shape == (3,)


def _season(usual: np.ndarray) -> SimpleNamespace:
    """A seasonal part whose sector table holds ``usual`` (sectors x KPIs, scaled)."""
    table = RobustTable((usual.shape[1],), 0.01, gate=False)
    table.grow(len(usual))
    table.level[: len(usual)] = usual
    table.count[: len(usual)] = 100.0
    return SimpleNamespace(sector_table_=table)


def test_a_row_at_a_tenth_of_its_sectors_usual_load_reads_about_ln_a_tenth():
    kpis = ("users", "volume", "drop_rate")
    usual = scale_kpis(np.array([[50.0, 2000.0, 0.5], [8.0, 300.0, 0.2]]), kpis)
    family = np.array([True, True, False])
    raw = np.array([[5.0, 200.0, 30.0],  # sector 0 at a tenth of its load, a ratio far off
                    [8.0, 300.0, 0.2],  # sector 1 as usual
                    [np.nan, 30.0, 0.2],  # sector 1, one family KPI missing
                    [5.0, 200.0, 0.5]])  # a sector the state has not seen
    rows = np.array([0, 1, 1, 2])
    level = load_level(_season(usual), family, rows, scale_kpis(raw, kpis))
    assert abs(level[0] - np.log(0.1)) < 0.1  # log1p: ~ln; the ratio's own value does not count
    assert level[1] == 0.0
    assert abs(level[2] - np.log(0.1)) < 0.1
    assert np.isnan(level[3])
    assert np.isnan(load_level(_season(usual), np.zeros(3, bool), rows, raw)).all()


def test_load_z_is_the_median_of_the_family_values_a_row_has():
    from telecom_nb.features.load_level import load_z

    z = np.array([[3.0, 1.0, 2.0, -9.0], [0.0, 4.0, 0.0, 9.0], [1.0, 1.0, 1.0, 1.0]])
    valid = np.array([[True, True, True, True], [False, True, False, True],
                      [False, False, False, True]])
    family = np.array([True, True, True, False])
    # a missing value's z of 0 is not the row's load: left out
    np.testing.assert_array_equal(load_z(z, valid, family), [2.0, 4.0, np.nan])
    assert np.isnan(load_z(z, valid, np.zeros(4, dtype=bool))).all()
