"""One series of several KPIs: a per-KPI record or shift counts where the joint distances
corroborate it (:mod:`telecom_nb.detectors.corroborate`)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from telecom_nb import schema
from telecom_nb.detectors import make_detector
from telecom_nb.detectors.corroborate import CORROBORATION
from tests.service_frames import service


def _service(kpis: int, days: int = 6, sectors: int = 1) -> pd.DataFrame:
    return service(kpis, days, sectors, seed=11)


def _scores(frame: pd.DataFrame, off_structure: bool = False):
    """The final scores of the installed model's own window rows (ordinary ones) when the
    shift part reads 5 on every row; ``off_structure``: the rows' base columns pushed
    apart (alternate signs, 6 each), which the joint distances read as far."""
    kpis = [c for c in frame.columns if c not in (schema.TIMESTAMP, schema.SECTOR)]
    det = make_detector("iforest", kpis=kpis, n_estimators=10)
    det.score_stream(frame)
    fitted = det._fitted
    x = np.array(det._window.snapshot()[-200:], dtype=np.float64)
    if off_structure:
        n = fitted.model.n_base or x.shape[1]
        x[:, :n] += 6.0 * np.where(np.arange(n) % 2 == 0, 1.0, -1.0)
    det._shift_score = lambda model, features: np.full(len(features), 5.0)
    parts = fitted.calibrator(det._raw_score(fitted.model, x))
    final = det._score_features(x, pd.RangeIndex(len(x))).score
    return det, fitted, parts, np.asarray(final)


def test_an_uncorroborated_shift_of_one_series_of_several_kpis_does_not_count():
    """Ordinary rows (the window's own, joint distances in the body) read their parts'
    score, not the shift's 5; main: 5 on every row."""
    det, fitted, parts, final = _scores(_service(6))
    assert fitted.model.joint_null is not None
    joint = fitted.calibrator(np.maximum(
        fitted.model.joint_null(fitted.model.joint_units(
            np.array(det._window.snapshot()[-200:], dtype=np.float64))),
        fitted.model.smooth_null(fitted.model.smooth_units(
            np.array(det._window.snapshot()[-200:], dtype=np.float64)))))
    weak = joint < CORROBORATION
    assert weak.sum() > 100  # most ordinary rows are not corroborated
    np.testing.assert_array_equal(final[weak], np.maximum(parts[weak], 0.0))
    assert (final[~weak] == 5.0).all()
    assert (final[weak] < 3.0).all()


def test_a_shift_off_the_kpis_co_movement_still_counts():
    """Rows whose KPIs move apart (the joint distances far out) keep the shift's 5."""
    _, _, _, final = _scores(_service(6), off_structure=True)
    assert (final >= 5.0).all()


def test_one_kpi_and_pools_keep_every_shift():
    """No joint part (one KPI) or a pool of series: the shift counts as before."""
    _, one, _, final = _scores(_service(1))
    assert one.model.joint_null is None
    assert (final == 5.0).all()
    _, _, _, pooled = _scores(_service(3, days=4, sectors=3))
    assert (pooled == 5.0).all()
