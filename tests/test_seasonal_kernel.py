"""The compiled seasonal expectation gives numpy's numbers, cold fleet or warm."""

from __future__ import annotations

import numpy as np
import pytest

from telecom_nb import schema
from telecom_nb.features import seasonal_kernel
from telecom_nb.features.seasonal import SeasonalResiduals
from telecom_nb.sources.simulator import KpiSimulator

pytestmark = pytest.mark.skipif(seasonal_kernel.numba is None, reason="numba missing")


def _flat(out) -> list[np.ndarray]:
    expected, spread, has, prior, (spread_ok, shape_ok), (effect, day_spread) = out
    return [expected, spread, has, prior, spread_ok, shape_ok, effect, day_spread]


@pytest.mark.parametrize("params", [{"timezone": "Asia/Tehran"}, {"weekly": False},
                                    {"relations": False, "slots_per_day": 12}])
def test_compiled_expectation_equals_numpy(monkeypatch, params):
    frame = KpiSimulator(n_sectors=40, seed=4, fault_rate=3.0, step="1h").run(24 * 9)
    frame.loc[frame.index % 23 == 0, schema.KPIS[0]] = np.nan
    season = SeasonalResiduals(kpis=list(schema.KPIS), **params)
    compared = 0
    for i, (_, batch) in enumerate(frame.groupby(schema.TIMESTAMP, sort=True)):
        if i % 5 == 2:
            batch = batch.iloc[: len(batch) // 2]  # sectors missing from a tick
        view = season.view(batch)
        if len(season.registry):
            rows = season.registry.lookup(view.sector_ids)
            if (rows >= 0).all():  # the simulator's sectors are all there from tick 0
                args = (rows, season.slots(view), season.series(view))
                got = season._expected(*args)
                with monkeypatch.context() as m:
                    m.setattr(seasonal_kernel, "numba", None)
                    want = season._expected(*args)
                for a, b in zip(_flat(got), _flat(want), strict=True):
                    np.testing.assert_array_equal(a, b)
                compared += 1
        season.update_view(view)
    assert compared > 100
    assert np.isfinite(season.fleet_spread_).all()  # the fleet's statistics formed
