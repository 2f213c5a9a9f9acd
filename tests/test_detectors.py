"""Detectors: protocol, faults with the right top_kpi, live parameters, retrains, replay."""

from __future__ import annotations

import copy
import threading

import numpy as np
import pandas as pd
import pytest
from test_features import batches, fleet

from telecom_nb import schema as S
from telecom_nb.alarms.threshold import decide, effective_threshold
from telecom_nb.detectors import (
    IsolationForestDetector,
    RobustZDetector,
    SeedDetector,
    SklearnDetector,
    available_detectors,
    make_detector,
)
from telecom_nb.detectors.base import Scores
from telecom_nb.errors import ParameterError


def judged(det, s: Scores) -> Scores:
    """Scores with the alarm stage's verdict at the detector's (aliased) alarm rate."""
    flags, top = decide(s, effective_threshold(det.contamination, det.threshold))
    return Scores(s.score, flags, top, s.contributions)


def score(det, batch) -> Scores:
    return judged(det, det.score(batch))


def feed(det, bs):
    out = []
    for b in bs:
        out.append(score(det, b))
        job = det.learn(b)
        if job is not None:
            job.run_sync()
    return out


@pytest.fixture(scope="module")
def trained():
    """An iforest detector after 4 normal days of 40 sectors, plus the next day's batches."""
    bs = batches(fleet(days=5, seed=3))
    det = IsolationForestDetector(retrain_interval="12h", window_size=1000)
    feed(det, bs[:96])
    return det, bs[96:]


@pytest.mark.parametrize(
    ("kpi", "factor", "also"),
    [
        (S.AVAILABILITY, 0.3, {S.PAYLOAD: 0.3}),  # outage
        (S.THROUGHPUT, 0.25, {}),  # throughput degradation
        (S.PRB, None, {S.THROUGHPUT: 0.8}),  # congestion: PRB pinned at 100
        (S.PAYLOAD, 6.0, {}),  # traffic surge
    ],
)
def test_injected_fault_flagged_with_right_top_kpi(trained, kpi, factor, also):
    det, rest = trained
    batch = rest[5].copy()
    row = batch.index[7]
    batch.loc[row, kpi] = 100.0 if factor is None else batch.loc[row, kpi] * factor
    for k, f in also.items():
        batch.loc[row, k] *= f
    s = score(det, batch)
    pos = batch.index.get_loc(row)
    assert s.is_anomaly[pos]
    assert s.top_kpi[pos] == kpi
    assert s.contributions.loc[row].idxmax() == kpi
    assert s.is_anomaly.sum() <= 3  # the others are normal


def _replay_with_fault(det, bs, factors):
    """Score and learn ``bs`` with sector s7's throughput multiplied by ``factors``."""
    flagged = []
    for b, f in zip(bs, factors, strict=False):
        b = b.copy()
        row = b.index[b[S.SECTOR] == "s7"][0]
        b.loc[row, S.THROUGHPUT] *= f
        s = score(det, b)
        flagged.append(bool(s.is_anomaly[b.index.get_loc(row)]))
        job = det.learn(b)
        if job is not None:
            job.run_sync()
    return flagged


def test_long_fault_is_still_flagged_at_its_end():
    bs = batches(fleet(days=8, seed=4))
    det = IsolationForestDetector(retrain_interval="12h", window_size=1000, n_estimators=50)
    feed(det, bs[:96])
    flagged = _replay_with_fault(det, bs[96:], [0.4] * 96)  # four days at 40 %
    assert all(flagged[-6:]), flagged  # not absorbed into the baseline


def test_gradual_drift_is_flagged_before_it_ends(trained):
    det, rest = trained
    det = copy.deepcopy(det)
    factors = np.linspace(1.0, 0.2, 24)  # throughput fades to 20 % over a day
    flagged = _replay_with_fault(det, rest[:24], factors)
    assert any(flagged[:18]) and flagged[-1], flagged


def test_score_twice_same_and_learn_changes_nothing_in_scores(trained):
    det, rest = trained
    a, b = score(det, rest[0]), score(det, rest[0])
    np.testing.assert_array_equal(a.score, b.score)
    assert np.isfinite(a.score).all() and a.score.dtype == np.float64
    assert (a.top_kpi[~a.is_anomaly] == "").all()


def test_not_ready_gives_empty_scores():
    det = IsolationForestDetector()
    b = batches(fleet(n_sectors=5, days=1))[0]
    s = score(det, b)
    assert not det.is_ready and not s.is_anomaly.any() and det.warmup_progress < 1
    assert det.learn(b) is None


PARAMS_BAD = {
    "contamination": [0, 0.9, -1],
    "threshold": [-1, 0],
    "window_size": [0, 5],
    "retrain_interval": ["soon", -5, 0],
    "warmup_batches": [0],
    "n_estimators": [0],
    "random_state": [-1],
    "kpis": [[]],
}


@pytest.mark.parametrize(("name", "bad"), [(n, v) for n, vs in PARAMS_BAD.items() for v in vs])
def test_bad_parameter_names_it_and_keeps_value(name, bad):
    det = IsolationForestDetector()
    before = det.get_params()
    with pytest.raises(ParameterError, match=name):
        setattr(det, name, bad)
    with pytest.raises(ParameterError, match=name):
        det.set_params(**{name: bad})
    assert det.get_params() == before


def test_retrain_interval_accepts_seconds_and_strings():
    det = IsolationForestDetector(retrain_interval=3600)
    assert det.retrain_interval == pd.Timedelta("1h")
    det.retrain_interval = "30min"
    assert det.retrain_interval == pd.Timedelta("30min")


def test_contamination_set_while_running_changes_flag_rate(trained):
    det, rest = trained
    old = det.contamination
    try:
        low = sum(score(det, b).is_anomaly.sum() for b in rest[:24])
        det.contamination = 0.2
        high = sum(score(det, b).is_anomaly.sum() for b in rest[:24])
    finally:
        det.contamination = old
    assert high > 5 * max(low, 1)


def test_retrain_runs_in_thread_while_scoring_continues():
    bs = batches(fleet(n_sectors=30, days=2, seed=5))
    det = IsolationForestDetector(retrain_interval="2h", n_estimators=50)
    feed(det, bs[:30])
    version = det.model_version_
    job = None
    for b in bs[30:]:
        job = det.learn(b)
        if job:
            break
    assert job is not None
    started, release = threading.Event(), threading.Event()
    result = {}

    def worker():
        started.set()
        release.wait(5)
        result["model"] = job.fit()

    t = threading.Thread(target=worker)
    t.start()
    started.wait(5)
    before = score(det, bs[-1])  # the old model keeps scoring meanwhile
    assert det.model_version_ == version
    release.set()
    t.join(10)
    job.install(result["model"])
    assert det.model_version_ == version + 1
    assert det.last_retrain_ == job.data_time
    assert len(score(det, bs[-1]).score) == len(before.score)


def test_failed_fit_keeps_old_model_and_records_error(monkeypatch):
    bs = batches(fleet(n_sectors=20, days=2, seed=6))
    det = IsolationForestDetector(retrain_interval="2h", n_estimators=20)
    feed(det, bs[:30])
    fitted, version = det._fitted, det.model_version_
    assert fitted is not None

    def boom(window, params):
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(det, "_fit_model", boom)
    jobs = [j for b in bs[30:] if (j := det.learn(b)) is not None]
    assert jobs and not jobs[0].run_sync()
    assert det._fitted is fitted and det.model_version_ == version
    assert det.retrain_failures_ == 1 and "disk on fire" in det.last_error_


# the seed (a refit every tick: 4 s here) is compared through the engine, bit for bit, in
# test_engine.py::test_replay_fast_path_equals_the_per_batch_tick[seed]
@pytest.mark.parametrize("name", ["iforest", "robust_z"])
def test_score_stream_equals_per_batch_loop(name):
    table = fleet(n_sectors=12, days=2, seed=7)
    table = table.sample(frac=1.0, random_state=0)  # any row order
    loop_det, stream_det = make_detector(name, n_estimators=20) if name != "robust_z" else (
        make_detector(name)), None
    stream_det = make_detector(name, **loop_det.get_params())
    bs = batches(table)
    loop = feed(loop_det, bs)
    fast = judged(stream_det, stream_det.score_stream(table))
    index = pd.Index(np.concatenate([b.index for b in bs]))
    expected = pd.Series(np.concatenate([s.score for s in loop]), index=index)
    flags = pd.Series(np.concatenate([s.is_anomaly for s in loop]), index=index)
    tops = pd.Series(np.concatenate([s.top_kpi for s in loop]), index=index)
    np.testing.assert_allclose(fast.score, expected.loc[table.index].to_numpy(), rtol=1e-12)
    np.testing.assert_array_equal(fast.is_anomaly, flags.loc[table.index].to_numpy())
    np.testing.assert_array_equal(fast.top_kpi, tops.loc[table.index].to_numpy())
    assert stream_det.model_version_ == loop_det.model_version_ > 0


def test_single_series_stream():
    n = 3000
    ts = pd.date_range("2026-01-01", periods=n, freq="5min", tz="UTC")
    rng = np.random.default_rng(0)
    value = 10 + 3 * np.sin(2 * np.pi * np.arange(n) / 288) + rng.normal(0, 0.3, n)
    value[2500:2510] += 15
    det = make_detector("iforest", kpis=["value"])
    s = judged(det, det.score_stream(pd.DataFrame({S.TIMESTAMP: ts, "value": value})))
    assert np.isfinite(s.score).all() and det.is_ready
    assert s.is_anomaly[2500:2510].any()
    assert s.score[2500:2510].max() == s.score[1000:].max()
    assert s.is_anomaly[500:2500].mean() < 0.05


def test_sklearn_detector_with_lof():
    from sklearn.neighbors import LocalOutlierFactor

    det = SklearnDetector(LocalOutlierFactor(novelty=True, n_neighbors=20))
    bs = batches(fleet(n_sectors=20, days=2, seed=8))
    out = feed(det, bs)
    assert det.is_ready and np.isfinite(out[-1].score).all()
    with pytest.raises(ParameterError, match="estimator"):
        SklearnDetector(estimator="not a model")


def test_make_detector_names_and_errors():
    names = available_detectors()
    assert names[0] == "iforest" and {"robust_z", "seed"} <= set(names)
    assert isinstance(make_detector("robust_z"), RobustZDetector)
    assert isinstance(make_detector("seed"), SeedDetector)
    seed = make_detector("seed")
    assert (seed.window_size, seed.warmup_batches, seed.contamination) == (2000, 5, 0.01)
    assert seed.retrain_interval == pd.Timedelta("60s")
    with pytest.raises(ParameterError, match=r"unknown detector 'nope'.*iforest"):
        make_detector("nope")
    with pytest.raises(ParameterError, match="contamination"):
        make_detector("iforest", contamination=2)


def test_sector_first_seen_in_an_outage_is_not_flagged_for_days_after():
    bs = batches(fleet(days=3, step="15min", seed=9))
    det = RobustZDetector()
    flagged = []
    for i, b in enumerate(bs):
        b = b.copy()
        row = b.index[b[S.SECTOR] == "s7"][0]
        if i < 8:  # the first two hours of its history are an outage
            b.loc[row, S.AVAILABILITY] = 5.0
            b.loc[row, S.PAYLOAD] *= 0.05
        s = score(det, b)
        flagged.append(bool(s.is_anomaly[b.index.get_loc(row)]))
        job = det.learn(b)
        if job is not None:
            job.run_sync()
    assert not any(flagged[96:]), np.flatnonzero(flagged)  # its real level was learned


def test_feature_tails_weigh_each_feature_by_its_own_spread():
    from telecom_nb.detectors.feature_tails import FeatureTails

    rng = np.random.default_rng(0)
    unit, wide, narrow = rng.normal(size=(3, 5000)) * np.array([[1.0], [2.0], [0.3]])
    flat = np.zeros(5000)
    flat[::500] = 0.2  # almost always exactly 0 (availability at 100 %)
    tails = FeatureTails.fit(np.c_[unit, wide, narrow, flat])
    four_unit, four_wide, eight_wide, narrow_move, flat_move = tails(np.array(
        [[4.0, 0, 0, 0], [0, 4.0, 0, 0], [0, 8.0, 0, 0], [0, 0, 1.2, 0], [0, 0, 0, 0.5]]))
    assert four_unit > four_wide + 1.5  # the widest feature no longer sets the bar
    assert abs(eight_wide - four_unit) < 1.0  # each in units of its own spread
    assert narrow_move < four_unit - 2  # never judged lighter-tailed than a unit normal
    assert flat_move < 1.0  # a small move of a flat feature is not extreme


def _bursty_with_record(n_series: int = 1, days: int = 16) -> tuple[pd.DataFrame, int]:
    """15-min series whose normal life has bursts on 5 % of its rows (what sets a bursty
    series' shoulder), 16 days; the first series reaches twice its maximum once, near the
    end."""
    rng = np.random.default_rng(1)
    ts = pd.date_range("2026-02-01", periods=days * 96, freq="15min", tz="UTC")
    frames = []
    at = len(ts) - 30
    for s in range(n_series):
        v = 300 + rng.normal(0, 30, len(ts))
        bursts = rng.random(len(ts)) < 0.05
        v[bursts] += rng.uniform(200, 2000, bursts.sum())
        if s == 0:
            v[at] = 2.0 * v[:at].max()
        frames.append(pd.DataFrame({S.TIMESTAMP: ts, S.SECTOR: f"s{s}", "value": v}))
    return pd.concat(frames, ignore_index=True).sort_values(S.TIMESTAMP, kind="stable"), at


def test_one_series_record_far_beyond_its_range_is_flagged_on_its_own_p_value():
    """A bursty series' shoulder hides a record in the max |z|; its own p does not."""
    frame, at = _bursty_with_record()
    det = make_detector("iforest", kpis=["value"])
    s = judged(det, det.score_stream(frame))
    assert det._fitted.model.novelty is not None
    # the record alone is p ~ 1e-5 (1.93 before, through the max |z|'s shoulder)
    assert s.score[at] >= 4.5 and s.is_anomaly[at]
    assert s.score[at] == s.score[len(frame) // 2:].max()


def test_a_fleet_reads_range_novelty_in_its_features_tails_only():
    frame, _ = _bursty_with_record(n_series=12, days=4)  # past its first fits
    det = make_detector("iforest", kpis=["value"])
    det.score_stream(frame)
    assert det.model_version_ >= 2
    assert det._fitted.model.novelty is None
