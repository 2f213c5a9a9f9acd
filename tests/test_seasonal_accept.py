"""The seasonal part's re-base ("accept"): a far run longer than the history behind a
cell's baseline replaces it (a sector first seen in an outage, ``test_detectors``), but a
few hours of a fault on a cell integrated a few hours earlier do not (t2482's BAK0001)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from telecom_nb import schema
from telecom_nb.features import seasonal_learn
from telecom_nb.features.seasonal import SeasonalResiduals
from telecom_nb.sources.simulator import KpiSimulator


@pytest.mark.parametrize("compiled", [True, False])
def test_a_fault_soon_after_a_cell_is_integrated_does_not_become_its_normal(
        monkeypatch, compiled):
    if not compiled:
        monkeypatch.setattr(seasonal_learn, "numba", None)
    frame = KpiSimulator(n_sectors=12, seed=3, fault_rate=0.0, step="15min").run(96 * 3)
    kpi = schema.KPIS[0]
    ts, cell = frame[schema.TIMESTAMP], frame[schema.SECTOR].iloc[0]
    new = frame[schema.SECTOR] == cell
    joined = ts.min() + pd.Timedelta("2D8h")  # integrated on day 3 at 08:00
    frame = frame[~new | (ts >= joined)].copy()
    ts, new = frame[schema.TIMESTAMP], frame[schema.SECTOR] == cell
    fault = new & (ts >= joined + pd.Timedelta("2h")) & (ts < joined + pd.Timedelta("6h"))
    normal = frame.loc[new & (ts < joined + pd.Timedelta("2h")), kpi].median()
    frame.loc[fault, kpi] = normal * 0.05  # 4 hours down, 2 hours after its first sample
    season = SeasonalResiduals(kpis=list(schema.KPIS))
    end = frame.loc[fault, schema.TIMESTAMP].max()
    col = 0  # kpis=schema.KPIS: its first series
    seen = {}  # the cell's series (the seasonal part's units) by time
    for t, batch in frame[ts <= end].groupby(schema.TIMESTAMP, sort=True):
        view = season.view(batch)
        at = np.flatnonzero(np.asarray(view.sector_ids) == cell)
        if at.size:
            seen[t] = season.series(view)[at[0], col]
        season.update_view(view)
    row = season.registry.lookup(pd.Index([cell]))[0]
    level = float(season.sector_table_.level[row, col])
    ys = pd.Series(seen)
    before, during = ys[ys.index < joined + pd.Timedelta("2h")].median(), ys[end]
    # the baseline still reads the cell's two normal hours at the fault's last sample
    assert abs(level - before) < abs(level - during), (level, before, during)
