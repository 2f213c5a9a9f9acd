"""One series of several KPIs: the score null prices the max of parts on its shoulder."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from telecom_nb import schema
from telecom_nb.detectors import make_detector
from telecom_nb.detectors.calibration import DEEP_SHOULDER, SHOULDER
from telecom_nb.detectors.retrain_jobs import score_spacings
from telecom_nb.features.column_quantiles import SortedColumns
from tests.service_frames import service


def _service(kpis: int, days: int = 6, sectors: int = 1) -> pd.DataFrame:
    return service(kpis, days, sectors, seed=7)


def _fitted(frame: pd.DataFrame):
    kpis = [c for c in frame.columns if c not in (schema.TIMESTAMP, schema.SECTOR)]
    det = make_detector("iforest", kpis=kpis, n_estimators=10)
    det.score_stream(frame)
    return det, det._fitted


def test_several_kpis_of_one_series_price_the_max_of_parts_on_the_shoulder():
    """The installed null's tail scale is the 90-95 % spacing's (main: the larger of it and
    the 95-99 % spacing's, which priced cdn24's joint-distance rows 2x too strict)."""
    det, fitted = _fitted(_service(3))
    assert fitted.model.joint_null is not None
    assert score_spacings(fitted.model, det._heavy_tails(), False) == SHOULDER
    null = fitted.calibrator
    q90, q95 = SortedColumns.sorted_quantile(null.reference, np.array([0.9, 0.95]))
    assert null.tail_scale == pytest.approx((q95 - q90) / math.log(2.0))


def test_one_kpi_and_pools_keep_the_deep_spacing():
    """No joint part (one KPI) or a pool's window: the 95-99 % spacing counts as before."""
    _, one = _fitted(_service(1))
    assert one.model.joint_null is None
    assert score_spacings(one.model, True, False) == DEEP_SHOULDER
    _, pool = _fitted(_service(3, days=4, sectors=3))
    assert score_spacings(pool.model, True, True) == DEEP_SHOULDER
    assert score_spacings(pool.model, False, False) is None
