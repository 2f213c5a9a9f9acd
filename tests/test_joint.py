"""Joint evidence: several KPIs moving together moderately is one strong piece of evidence."""

from __future__ import annotations

import numpy as np
import pandas as pd

from telecom_nb import schema
from telecom_nb.detectors import make_detector
from telecom_nb.detectors.joint import JointDistance, bounded


def _correlated(n: int, seed: int = 0) -> np.ndarray:
    """Rows of 6 z-scores: the first two move together (users with traffic), rest apart."""
    rng = np.random.default_rng(seed)
    common = rng.normal(size=n)
    x = rng.normal(size=(n, 6))
    x[:, 0] = common + 0.2 * rng.normal(size=n)
    x[:, 1] = common + 0.2 * rng.normal(size=n)
    return x


def test_several_moderate_moves_are_farther_than_one_of_the_same_size():
    joint = JointDistance.fit(_correlated(5000), np.arange(2, 6))
    one = np.zeros((1, 6))
    one[0, 2] = 3.0
    several = np.zeros((1, 6))
    several[0, 2:6] = 3.0
    assert joint.distance(several)[0] > 3 * joint.distance(one)[0]


def test_kpis_that_usually_move_together_count_once_and_a_broken_pair_counts_more():
    joint = JointDistance.fit(_correlated(5000), np.arange(6))
    together = np.zeros((1, 6))
    together[0, :2] = 2.0
    apart = np.zeros((1, 6))
    apart[0, :2] = (2.0, -2.0)
    assert joint.distance(apart)[0] > 5 * joint.distance(together)[0]


def test_one_huge_z_is_bounded_and_nan_reads_as_no_deviation():
    joint = JointDistance.fit(_correlated(2000), np.arange(6))
    row = np.zeros((3, 6))
    row[0, 3] = 1e6
    row[1, 3] = 1e3
    row[2, :] = np.nan
    d = joint.distance(row)
    assert np.isfinite(d).all() and d[0] < 5 * d[1]  # 1000x the z, about 4x the distance
    assert d[2] < np.quantile(joint.distance(_correlated(2000, seed=1)), 0.75)


def _service(seed: int, incident: bool) -> pd.DataFrame:
    """One service, 16 KPIs from 2 latent factors, 5 minutes, 12 days; one joint incident."""
    rng = np.random.default_rng(seed)
    ts = pd.date_range("2024-01-01", periods=12 * 288, freq="5min", tz="UTC")
    hours = (ts.hour + ts.minute / 60).to_numpy()
    factors = np.vstack([np.sin(2 * np.pi * hours / 24), rng.normal(size=len(ts))])
    x = rng.normal(0, 1, (16, 2)) @ factors + rng.normal(0, 0.3, (16, len(ts)))
    if incident:  # 8 KPIs each 1.5 of their own sd, for 2 hours on day 11
        moved = rng.choice(16, 8, replace=False)
        sd = x.std(axis=1)
        x[moved, 11 * 288: 11 * 288 + 24] += 1.5 * sd[moved, None]
    frame = pd.DataFrame(5 + x.T, columns=[f"k{j}" for j in range(16)])
    frame.insert(0, schema.TIMESTAMP, ts)
    return frame


def test_bounded_is_the_sign_times_log1p_of_the_cleaned_z_bit_for_bit():
    """The one-array ``bounded`` against its definition: NaN, +-inf, +-0, tiny and huge z,
    C and strided blocks (a -0.0 where the definition gives +0.0 fails ``tobytes``)."""
    rng = np.random.default_rng(1929)
    for i in range(60):
        x = rng.standard_t(2, size=(int(rng.integers(1, 400)), int(rng.integers(1, 12))))
        x *= 10.0 ** rng.uniform(-6, 6)
        cut = rng.random(x.shape)
        x[cut < 0.05] = np.nan
        x[(cut >= 0.05) & (cut < 0.08)] = np.inf
        x[(cut >= 0.08) & (cut < 0.11)] = -np.inf
        x[(cut >= 0.11) & (cut < 0.15)] = 0.0
        x[(cut >= 0.15) & (cut < 0.19)] = -0.0
        if i % 2:
            x = x[:, ::-1]
        v = np.nan_to_num(x, nan=0.0, posinf=0.0, neginf=0.0)
        assert bounded(x).tobytes() == (np.sign(v) * np.log1p(np.abs(v))).tobytes()


def test_joint_incident_scores_higher_with_the_joint_part_and_param_switches_it_off():
    table = _service(3, incident=True)
    peaks = {}
    for joint in (True, False):
        det = make_detector("iforest", joint=joint)
        score = det.score_stream(table).score
        # the incident's median, not its largest row: the one-series shift part reads its
        # last rows as a 2-hour shift (8.0 with or without the joint part; main 5.8)
        peaks[joint] = np.median(score[11 * 288: 11 * 288 + 24])
        if joint:
            assert det._fitted.model.joint is not None
            normal = np.quantile(score[6 * 288: 11 * 288], 0.999)
        else:
            assert det._fitted.model.joint is None
    assert peaks[True] > peaks[False] and peaks[True] > normal
    assert "joint" in make_detector("iforest").param_names()


def test_no_joint_part_for_one_kpi_or_before_a_day_of_data():
    ts = pd.date_range("2024-01-01", periods=600, freq="1min", tz="UTC")
    rng = np.random.default_rng(0)
    two = pd.DataFrame({schema.TIMESTAMP: ts, "a": rng.normal(size=600) + 5,
                        "b": rng.normal(size=600) + 5})
    det = make_detector("iforest")
    det.score_stream(two)  # ten hours: the covariance of young deviations means little
    assert det.is_ready and det._fitted.model.joint is None
    det = make_detector("iforest")
    det.score_stream(_service(0, incident=False)[[schema.TIMESTAMP, "k0"]])
    assert det.is_ready and det._fitted.model.joint is None
