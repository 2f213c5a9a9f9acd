"""Property: any KPI table of the right shape scores to finite values or a clear error.

The feature and scoring path runs on whatever a replayed file or a live source sends:
NaN, ±inf, huge or negative values, constant series, one sector or several, sectors that
come and go. It must give finite scores (and a flag per row) or a ``KpiInputError`` —
never a crash and never a NaN score.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from telecom_nb import schema
from telecom_nb.detectors import make_detector
from telecom_nb.engine import replay
from telecom_nb.errors import KpiInputError

SETTINGS = settings(max_examples=12, deadline=None,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])

values = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True),
    st.floats(min_value=-1e6, max_value=1e6),
    st.just(0.0),
)


@st.composite
def kpi_tables(draw: st.DrawFn) -> tuple[pd.DataFrame, list[str]]:
    n_ticks = draw(st.integers(1, 40))
    sectors = draw(st.lists(st.sampled_from(["a", "b", "c", "d", "e"]), min_size=1,
                            max_size=5, unique=True))
    kpis = draw(st.lists(st.sampled_from(schema.KPIS), min_size=1, max_size=4, unique=True))
    step = draw(st.sampled_from(["5min", "15min", "1h"]))
    stamps = pd.date_range("2026-01-05", periods=n_ticks, freq=step, tz="UTC")
    rows = []
    for i, stamp in enumerate(stamps):
        present = [s for s in sectors if draw(st.booleans()) or i == 0]  # sectors come and go
        for sector in present:
            row = {schema.TIMESTAMP: stamp, schema.SECTOR: sector,
                   schema.PROVINCE: draw(st.sampled_from(["Tehran", "Ilam", "unknown"]))}
            for kpi in kpis:
                row[kpi] = draw(values)
            rows.append(row)
    return pd.DataFrame(rows), kpis


@pytest.mark.parametrize("name", ["iforest", "robust_z", "seed"])
@SETTINGS
@given(case=kpi_tables())
def test_any_table_scores_finite_or_raises_clear_error(name: str, case) -> None:
    table, kpis = case
    params = {} if name == "robust_z" else {"n_estimators": 10}  # finiteness, not quality
    detector = make_detector(name, kpis=kpis, warmup_batches=2, **params)
    try:
        scored = replay(table, detector, kpis).frame
    except KpiInputError as exc:
        assert str(exc)  # a message a user can act on
        return
    assert len(scored) == len(table)
    assert np.isfinite(scored[schema.SCORE].to_numpy(dtype=float)).all()
    assert scored[schema.IS_ANOMALY].dtype == bool
    top = scored[schema.TOP_KPI]
    assert set(top[scored[schema.IS_ANOMALY]]) <= set(kpis)
