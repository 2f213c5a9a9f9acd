"""The one pass of the tail-units parts gives each part's own numbers, bit for bit."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pytest

from telecom_nb.detectors import tail_parts
from telecom_nb.detectors.area_part import AreaPart
from telecom_nb.detectors.feature_tails import FeatureTails
from telecom_nb.detectors.kpi_families import KpiFamilies, without
from telecom_nb.detectors.run_part import RunPart
from telecom_nb.detectors.second_kpi import SecondKpi

pytestmark = pytest.mark.skipif(tail_parts.numba is None, reason="numba not installed")


def _same_bits(a: np.ndarray, b: np.ndarray) -> None:
    """Equal to the bit (NaN payloads aside): signed zeros included."""
    a, b = np.nan_to_num(a, nan=7.5), np.nan_to_num(b, nan=7.5)
    np.testing.assert_array_equal(a.view(np.int64), b.view(np.int64))


def _model(cols: int = 16, rows: int = 20_000, seed: int = 5) -> tuple[SimpleNamespace,
                                                                          np.ndarray]:
    """A fleet model's tail-units parts as ``_fit_model`` builds them: the max's tails
    hide the run columns (14, 15) and one family-only column (13), which the families and
    the run part read under the window's own tails."""
    rng = np.random.default_rng(seed)
    ref = rng.standard_t(3, (rows, cols))
    ref[:, 4] = rng.normal(size=rows)  # a light tail: free units beyond the body
    previous = np.roll(ref, 1, axis=0)
    every = FeatureTails.fit(ref, previous, free=True)
    tails = without(every, (13, 14, 15))
    kpis = ((0, 1), (2, 3), (4, 5), (6, 7), (8, 13))
    second = SecondKpi.fit(tails, ref, ((0, 1), (2, 3), (4, 5), (6, 7)))
    families = KpiFamilies.fit(every, ref, kpis)
    area = AreaPart.fit(every, ref, ((0, 9), (2, 10), (4, 11), (6, 12)))
    run = RunPart.fit(every, ref, (14, 15))
    assert None not in (second, families, area, run) and every.free.any()
    return SimpleNamespace(tails=tails, run=run, second=second, families=families,
                           area=area), ref


def _rows(cols: int = 16, rows: int = 3_000, seed: int = 6) -> np.ndarray:
    rng = np.random.default_rng(seed)
    x = rng.standard_t(2, (rows, cols)) * rng.choice([1.0, 3.0, 30.0], (rows, 1))
    x[::9, :3] = 0.0
    x[5, 2], x[6, 0], x[7, 4], x[8, 9] = -0.0, np.nan, np.inf, -np.inf
    x[10, [0, 2, 4]] = np.nan  # NaN KPIs: two make the second KPI NaN
    x[11, :] = np.nan
    return x


def _check(model: SimpleNamespace, x: np.ndarray) -> None:
    plan = tail_parts.TailPlan.of(model)
    assert plan is not None and plan.names == ("tails", "run", "second", "families", "area")
    # cells shared: fewer slots than the parts read apart
    assert len(plan.slot_col) < len(plan.red_slot)
    got = plan(x)
    _same_bits(got["tails"], model.tails(x))
    for name in ("run", "second", "families", "area"):
        _same_bits(got[name], getattr(model, name).statistic(x))
        _same_bits(getattr(model, name)(x, got[name]), getattr(model, name)(x))
    assert np.isnan(got["second"]).any() and (got["families"] > 5.0).any()


def test_one_pass_gives_each_parts_statistic():
    model, _ = _model()
    _check(model, _rows())


@pytest.mark.usefixtures("split_rows")
def test_one_pass_in_row_slices_gives_the_same_numbers():
    model, _ = _model(seed=7)
    _check(model, _rows(seed=8))


def test_plan_stands_aside_where_it_does_not_apply():
    model, _ = _model()
    plan = tail_parts.TailPlan.of(model)
    x = _rows()
    assert plan(x[:, :15]) is None  # not the base columns' width
    assert plan(x.astype(np.float32)) is None
    alone = SimpleNamespace(tails=model.tails, run=None, second=None, families=None,
                            area=None)
    assert tail_parts.TailPlan.of(alone) is None  # nothing to share
    body = FeatureTails.fit(_model()[1], None, tails=False)
    flat = SimpleNamespace(**{**vars(model), "tails": body})
    assert body.start.shape[0] != model.run.tails.start.shape[0]
    assert tail_parts.TailPlan.of(flat) is None  # levels differ between parts
