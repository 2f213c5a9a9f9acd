"""The compiled one-series pass gives the per-batch features and state, bit for bit."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from feature_loop import loop_features, pass_features, pass_with_loop_windows

from telecom_nb import schema
from telecom_nb.detectors import make_detector
from telecom_nb.features.pipeline import KpiFeatures
from telecom_nb.features.series_fast import SeriesPass
from telecom_nb.sources.simulator import KpiSimulator

pytestmark = pytest.mark.skipif(
    __import__("telecom_nb.features.series_kernel", fromlist=["numba"]).numba is None,
    reason="numba missing: the per-batch path is the only one")


def _sector(days: int = 6, seed: int = 0) -> pd.DataFrame:
    """One simulated sector (faults, all KPIs), hourly, a few values missing."""
    frame = KpiSimulator(n_sectors=1, seed=seed, fault_rate=3.0, step="1h").run(24 * days)
    frame = frame.reset_index(drop=True)
    frame.loc[frame.index % 37 == 5, schema.KPIS[1]] = np.nan
    return frame


def _value(n: int = 1500, seed: int = 1) -> pd.DataFrame:
    """A NAB-like 'value' series: irregular gaps (the cadence changes), a spike, a shift."""
    rng = np.random.default_rng(seed)
    steps = rng.choice([5, 5, 5, 10, 60], size=n)
    ts = pd.Timestamp("2026-03-01", tz="UTC") + pd.to_timedelta(np.cumsum(steps), unit="min")
    t = np.cumsum(steps) / 1440.0
    value = 50 + 20 * np.sin(2 * np.pi * t) + rng.normal(0, 2, n)
    value[n // 2 : n // 2 + 5] += 200
    value[int(n * 0.8) :] -= 30
    value[rng.random(n) < 0.01] = np.nan
    return pd.DataFrame({schema.TIMESTAMP: ts, "value": value})


def _states(features: KpiFeatures) -> dict[str, np.ndarray]:
    """Every array of learned state below ``features`` (tables, memories, rings)."""
    out: dict[str, np.ndarray] = {}

    def walk(prefix: str, obj: object, depth: int) -> None:
        for name, value in vars(obj).items():
            if isinstance(value, np.ndarray):
                out[f"{prefix}.{name}"] = value
            elif depth < 2 and hasattr(value, "__dict__") and not callable(value):
                walk(f"{prefix}.{name}", value, depth + 1)

    own = [features.persistence_, features.zeros_, features.level_, features.smooth_]
    for i, part in enumerate([*features.parts_, *own]):
        if part is not None:
            walk(str(i), part, 0)
    return out


def _both(frame: pd.DataFrame, kpis: list[str], cuts: tuple[float, ...] = (0.3, 0.31),
          **params):
    loop, expected = loop_features(frame, kpis, **params)
    bounds = [1, *(int(c * len(frame)) for c in cuts), len(frame)]
    fast, got = pass_features(frame, kpis, bounds, **params)
    return loop, fast, expected, got


@pytest.mark.parametrize("params", [
    {},
    {"timezone": "Asia/Tehran", "slots_per_day": 48},
    {"weekly": False, "relations": False, "persistence": False},
    {"change": False, "novelty": False, "peers": False},
])
def test_one_sector_features_and_state_are_identical(params):
    frame = _sector()
    loop, fast, expected, got = _both(frame, list(schema.KPIS), **params)
    np.testing.assert_array_equal(got, expected)
    assert np.abs(expected).max() > 5  # the faults show
    a, b = _states(loop), _states(fast)
    assert a.keys() == b.keys() and len(a) > 20
    for name in a:
        np.testing.assert_array_equal(b[name], a[name], err_msg=name)
    season_a, season_b = loop.parts_[0], fast.parts_[0]
    assert list(season_a.cadence_._times) == list(season_b.cadence_._times)


def test_value_series_with_gaps_and_novelty_is_identical():
    """The per-row loop (~7 ms a row) where the series changes: the first rows (the cadence
    and the ring filling), around the spike and the shift, the last rows; from the pass's
    state at each window's start, its rows and its state after them must be the pass's."""
    frame = _value()
    n = len(frame)
    windows = [(1, 150), (n // 2 - 10, n // 2 + 30), (int(n * 0.8) - 10, int(n * 0.8) + 60),
               (n - 40, n)]
    fast, got = pass_with_loop_windows(frame, ["value"], windows)
    _, whole = pass_features(frame, ["value"], [1, n])
    np.testing.assert_array_equal(got, whole)
    novelty = [i for i, n in enumerate(fast.feature_names) if n.endswith("novelty_z")]
    assert (np.abs(got[:, novelty]) > 0).any()  # the ring judged something
    smooth = [i for i, n in enumerate(fast.feature_names) if n.endswith("smooth_z")]
    assert (np.abs(got[:, smooth]) > 3).any()  # the smoothed z read the shift


def test_pass_refuses_fleets_and_repeated_timestamps():
    features = KpiFeatures(kpis=list(schema.KPIS))
    fleet = KpiSimulator(n_sectors=3, seed=0).run(10)
    assert SeriesPass.of(features, features.view(fleet)) is None
    one = _sector(days=1)
    twice = pd.concat([one, one]).sort_values(schema.TIMESTAMP, kind="stable")
    assert SeriesPass.of(features, features.view(twice)) is None
    assert SeriesPass.of(features, features.view(one)) is not None


@pytest.mark.parametrize("name", ["iforest", "robust_z"])
def test_one_series_stream_equals_per_batch_loop(name):
    # 300 rows (~3.5 days): 5 models (warm-up, then retrains over the gaps, the NaNs, the
    # spike and the shift); 600 rows (8 models, twice the CPU) only retrained more of the same
    frame = _value(n=300, seed=2)
    params = {"kpis": ["value"], "retrain_interval": "6h"}
    if name == "iforest":
        params["n_estimators"] = 20
    loop_det, fast_det = make_detector(name, **params), make_detector(name, **params)
    expected = []
    for i in range(len(frame)):
        batch = frame.iloc[i : i + 1]
        expected.append(loop_det.score(batch).score)
        job = loop_det.learn(batch)
        if job is not None:
            job.run_sync()
    fast = fast_det.score_stream(frame.sample(frac=1.0, random_state=0))
    got = pd.Series(fast.score, index=frame.sample(frac=1.0, random_state=0).index)
    np.testing.assert_array_equal(got.loc[frame.index].to_numpy(), np.concatenate(expected))
    assert fast_det.model_version_ == loop_det.model_version_ > 3
    assert fast_det.batches_seen_ == loop_det.batches_seen_
    assert len(fast_det._window) == len(loop_det._window)
    np.testing.assert_array_equal(fast_det._window.snapshot(), loop_det._window.snapshot())
    if fast_det.keeps_previous:  # the calibration's predecessors, row for row
        np.testing.assert_array_equal(fast_det._previous.snapshot(),
                                      loop_det._previous.snapshot())


def test_the_compiled_cadence_reads_the_streams_median_gap():
    """``series_kernel._cadence`` (its gaps sorted in place) against ``Cadence.observe``
    time by time: irregular gaps, repeats and stale times, past its 17 kept times."""
    from telecom_nb.features import series_kernel
    from telecom_nb.features.cadence import Cadence

    rng = np.random.default_rng(2208)
    gaps = rng.choice([0, 60, 300, 900, 900, 900, 3600, 7200, 86_400], size=400)
    gaps = gaps * 10**9 + rng.integers(-3, 4, size=400) * 10**9 * (gaps > 0)
    times = 1_700_000_000 * 10**9 + np.cumsum(gaps)
    times[::37] -= 5 * 10**12  # a late time: not a new one
    times = times.astype(np.int64)
    ref = Cadence()
    kept, n, step = np.zeros(17, dtype=np.int64), 0, ref.step_ns
    room = np.empty(17, dtype=np.int64)
    for now in times:
        ref.observe(np.array([now]))
        n, new = series_kernel._cadence(kept, n, now, room)
        step = step if new < 0 else new
        assert (n, step) == (len(ref._times), ref.step_ns)
        assert list(kept[:n]) == list(ref._times)
