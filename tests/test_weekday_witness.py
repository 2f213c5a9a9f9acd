"""A one-visit weekday effect contradicted by a sample that agrees with the fleet's:
the compiled cell and the numpy table read it alike."""

from __future__ import annotations

import numpy as np
import pytest

from telecom_nb.features import seasonal_kernel
from telecom_nb.features.compact import COUNT_UNITS
from telecom_nb.features.weekly import WeekdayEffects

pytestmark = pytest.mark.skipif(seasonal_kernel.numba is None, reason="numba missing")


def test_compiled_weekday_cell_equals_the_table():
    rng = np.random.default_rng(3)
    n, k, wslot = 400, 2, 30
    week = WeekdayEffects(24, k)
    week.grow(n)
    visits = rng.choice([0.0, 0.25, 0.5, 1.0, 1.5, 3.0], (n, k))
    week.count_[:, wslot] = np.rint(visits * COUNT_UNITS).astype(np.uint8)
    week.level_[:, wslot] = rng.normal(0.0, 3.0, (n, k)).astype(np.float16)
    week.fleet_[wslot] = [0.5, -1.0]
    week.tau2_[wslot] = [4.0, 0.0]  # the second series: ordinary days, no own effects
    week.fleet_count_[wslot] = 2.0
    rows, slots = np.arange(n), np.full(n, wslot)
    spread = rng.uniform(0.4, 1.4, (n, k))
    sigma2 = spread**2  # as the caller squares the typical day's spread
    r = rng.normal(0.0, 3.0, (n, k))
    r[::17] = np.nan
    effect, var, _ = week.expect(rows, slots, r, np.ones((n, k), bool), sigma2)
    contradicted = 0
    for i in range(n):
        for j in range(k):
            e, wide = seasonal_kernel.weekday_cell(
                spread[i, j], True, week.fleet_[wslot, j], week.tau2_[wslot, j],
                float(week.level_[i, wslot, j]), week.count_[i, wslot, j] / COUNT_UNITS,
                r[i, j])
            assert e == effect[i, j]
            assert wide == np.sqrt(sigma2[i, j] + var[i, j])
            # after a visit the own effect's variance is below tau2: tau2 is the fleet's
            contradicted += bool(visits[i, j] > 0 and var[i, j] == week.tau2_[wslot, j] > 0)
    assert contradicted > 5  # the rule was exercised, in both tables alike
