"""The compiled seasonal expectation gives numpy's numbers, cold fleet or warm."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from telecom_nb import schema
from telecom_nb.features import seasonal_kernel, slot_run
from telecom_nb.features.seasonal import SeasonalResiduals
from telecom_nb.sources.simulator import KpiSimulator

pytestmark = pytest.mark.skipif(seasonal_kernel.numba is None, reason="numba missing")


def _same(a, b, msg: str = "") -> None:
    """``assert_array_equal`` (NaN equal NaN), its slow checks only on a difference (or
    another shape): thousands of per-tick comparisons were ~1/8 of these tests' CPU."""
    x, y = np.asarray(a), np.asarray(b)
    if not np.array_equal(x, y, equal_nan=x.dtype.kind in "fc" and y.dtype.kind in "fc"):
        np.testing.assert_array_equal(a, b, err_msg=msg)


def _flat(out) -> list[np.ndarray]:
    expected, spread, has, prior, (spread_ok, shape_ok), (effect, day_spread, fleet) = out
    return [expected, spread, has, prior, spread_ok, shape_ok, effect, day_spread, fleet]


@pytest.mark.usefixtures("split_rows")
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
                    _same(a, b)
                compared += 1
        season.update_view(view)
    assert compared > 100
    assert np.isfinite(season.fleet_spread_).all()  # the fleet's statistics formed


def _state(season: SeasonalResiduals) -> dict[str, np.ndarray]:
    out = {k: v for k, v in vars(season).items() if isinstance(v, np.ndarray)}
    for name in ("slot_table_", "sector_table_"):
        for part in ("level", "dev", "count"):
            out[f"{name}.{part}"] = getattr(getattr(season, name), part)
    if season.week_ is not None:
        out.update({f"week.{k}": v for k, v in vars(season.week_).items()
                    if isinstance(v, np.ndarray)})
    return out


@pytest.mark.usefixtures("split_rows")
@pytest.mark.parametrize("params, load", [({"timezone": "Asia/Tehran"}, False),
                                          ({"weekly": False}, False), ({}, True)])
def test_compiled_learning_equals_numpy(monkeypatch, params, load):
    from telecom_nb.features import seasonal_learn

    frame = KpiSimulator(n_sectors=40, seed=5, fault_rate=4.0, step="1h").run(24 * 9)
    frame.loc[frame.index % 29 == 0, schema.KPIS[2]] = np.nan
    first = frame[schema.SECTOR] == frame[schema.SECTOR].iloc[0]
    early = frame[schema.TIMESTAMP] < frame[schema.TIMESTAMP].min() + pd.Timedelta("30h")
    frame.loc[first & early, list(schema.KPIS[:2])] *= 0.02  # first seen in an outage
    compiled = SeasonalResiduals(kpis=list(schema.KPIS), **params)
    plain = SeasonalResiduals(kpis=list(schema.KPIS), **params)
    for i, (_, batch) in enumerate(frame.groupby(schema.TIMESTAMP, sort=True)):
        if i % 7 == 3:
            batch = batch.iloc[::2]  # sectors missing from a tick
        views = compiled.view(batch), plain.view(batch)
        if load:  # the first KPI of the fleet's load family: its runs never slow
            for season in (compiled, plain):
                season.load_series_ = slot_run.load_series(
                    season.feature_weights(), np.arange(len(schema.KPIS)) == 0)
        compiled.update_view(views[0])
        with monkeypatch.context() as m:
            m.setattr(seasonal_learn, "numba", None)
            plain.update_view(views[1])
        a, b = _state(compiled), _state(plain)
        for name in a:
            _same(a[name], b[name], f"tick {i}: {name}")
    assert compiled.resid_count_[:40].min() > 24 and np.isfinite(compiled.fleet_spread_).all()


def test_a_sector_twice_in_a_batch_keeps_the_numpy_learning():
    from telecom_nb.features import seasonal_learn

    assert seasonal_learn.learn_cells(None, np.array([0, 1, 0]), None, None,
                                      np.zeros((3, 2)), ()) is None
