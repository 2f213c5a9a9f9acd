"""The joint level shift (detectors/joint_shift.py): several KPIs shifted on one side at once,
each no further than a single KPI's everyday wander."""

from __future__ import annotations

import numpy as np
import pandas as pd
from test_features import batches

from telecom_nb import schema
from telecom_nb.detectors import make_detector
from telecom_nb.detectors.calibration import DEEP_SHOULDER
from telecom_nb.detectors.joint_shift import JointShift, mth_same_side


def test_the_mth_same_side_shift():
    z = np.array([[3.0, 2.0, -4.0, 1.0], [-3.0, -2.5, -1.0, 5.0], [0.0, 0.0, 0.0, 0.0]])
    np.testing.assert_array_equal(mth_same_side(z, 2), [2.0, 2.5, 0.0])
    np.testing.assert_array_equal(mth_same_side(z, 3), [1.0, 1.0, 0.0])


def _window(n: int = 6000, seed: int = 3) -> np.ndarray:
    """Three KPIs' shift z wandering apart (heavy-tailed, each alone at times beyond 5)."""
    rng = np.random.default_rng(seed)
    return rng.standard_t(3, (n, 3))


def test_three_kpis_shifted_together_read_rarer_than_one_far():
    ref = _window()
    joint = JointShift.fit(ref, None, np.arange(3), DEEP_SHOULDER)
    assert joint is not None and joint.ms == (2, 3)
    together = joint.score(np.array([[-3.5, -3.2, -3.0]]))[0]
    alone = joint.score(np.array([[-6.0, 0.4, -0.3]]))[0]
    assert together > 3.0 and alone < 1.0
    assert (joint.score(ref) >= 3).mean() < 0.005  # its own window: rarely


def test_one_kpi_and_a_short_window_have_no_part():
    assert JointShift.fit(_window()[:, :1], None, np.arange(1), DEEP_SHOULDER) is None
    assert JointShift.fit(_window(500), None, np.arange(3), DEEP_SHOULDER) is None


def _cell(days: int = 12, shift_day: int = 10, seed: int = 4) -> tuple[pd.DataFrame, np.ndarray]:
    """One 5-minute cell: traffic, users and PRB on a daily shape, each with its own
    hour-scale wander; on ``shift_day`` from 09:00 for 8 h all three at 0.8 x."""
    rng = np.random.default_rng(seed)
    ts = pd.date_range("2026-03-02", periods=days * 288, freq="5min", tz="UTC")
    hours = (ts.hour + ts.minute / 60.0).to_numpy()
    load = 1.0 + 0.6 * np.sin(2 * np.pi * (hours - 8) / 24)
    shifted = (np.arange(len(ts)) >= shift_day * 288 + 108) & (
        np.arange(len(ts)) < shift_day * 288 + 204)
    frame = pd.DataFrame({schema.TIMESTAMP: ts, schema.SECTOR: "c"})
    for j, kpi in enumerate(("traffic", "users", "prb")):
        wander = np.exp(np.convolve(rng.normal(0, 0.09, len(ts)), np.ones(12) / 3.5, "same"))
        frame[kpi] = (10 + 5 * j) * load * wander * np.where(shifted, 0.8, 1.0)
    return frame, shifted


def _loop(frame: pd.DataFrame) -> np.ndarray:
    det = make_detector("iforest", kpis=["traffic", "users", "prb"], n_estimators=10)
    out = []
    for b in batches(frame):
        out.append(det.score(b).score)
        job = det.learn(b)
        if job is not None:
            job.run_sync()
    return np.concatenate(out)


def test_the_detector_reads_three_kpis_shifted_and_the_one_series_pass_equals_the_loop():
    frame, shifted = _cell()
    det = make_detector("iforest", kpis=["traffic", "users", "prb"], n_estimators=10)
    fast = det.score_stream(frame).score
    model = det._fitted.model
    assert model.joint_shift is not None
    # each KPI at 0.8 x is one KPI's everyday wander: without the part the shifted hours'
    # median reads 3.0; three together read 4.0
    assert np.median(fast[shifted][24:]) > 3.5
    np.testing.assert_array_equal(fast, _loop(frame))
