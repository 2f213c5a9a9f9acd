"""The engine's one tick: every path (live, replay fast and per-batch) gives one answer."""

from __future__ import annotations

import sys

import numpy as np
import pandas as pd
import pytest
from pipeline_fakes import ListSource, ThresholdDetector, make_batch, run

from telecom_nb import schema
from telecom_nb.detectors import make_detector
from telecom_nb.engine import Counters, Monitor, replay
from telecom_nb.sources.replay import ReplaySource
from telecom_nb.sources.simulator import KpiSimulator

COLUMNS = list(schema.SCORED_COLUMNS)


@pytest.fixture(scope="module")
def simulated() -> pd.DataFrame:
    # 1.75 days (was 2): iforest still fits the five models of two days (4 at 150 ticks)
    return KpiSimulator(n_sectors=15, seed=3, fault_rate=2.0).run(168)


#: small forests; the seed refits every tick, its retraining every 2 h: 384 sklearn fits
PARAMS = {"iforest": {"n_estimators": 20}, "robust_z": {},
          "seed": {"n_estimators": 20, "retrain_interval": "2h"}}


@pytest.fixture(scope="module")
def replayed(simulated):
    """``simulated`` in another row order and its replay (fast path) by each detector, once
    for the two tests comparing another path with it (a batch's row order decides the
    sectors' state rows, so another order scores otherwise); the caller's table is left as
    it was."""
    done: dict[str, tuple[pd.DataFrame, object]] = {}

    def get(name: str):
        if name not in done:
            table = simulated.sample(frac=1.0, random_state=1)  # any row order
            before = table.copy()
            result = replay(table, make_detector(name, **PARAMS[name]), schema.KPIS)
            pd.testing.assert_frame_equal(table, before)
            done[name] = table, result
        return done[name]

    return get


def test_live_batches_carry_every_scored_column_including_alert_score():
    batches = [make_batch(t, 4, anomalous=[1] if t in (2, 3) else []) for t in range(6)]
    monitor = Monitor(ListSource(batches), ThresholdDetector(every=1), interval=0)
    out = run(monitor.step(6))
    for scored in out:
        assert set(COLUMNS) <= set(scored.frame.columns)
    alert = [float(s.frame[schema.ALERT_SCORE].iloc[1]) for s in out]
    assert alert == [0.0, 0.0, 0.99, 0.0, 0.0, 0.0]  # once, on the tick that opened it
    assert list(out[3].frame[schema.STATE])[1] == "anomalous"
    assert list(out[4].frame[schema.STATE])[1] == "recovering"


@pytest.mark.parametrize("name", ["iforest", "robust_z", "seed"])
def test_replay_fast_path_equals_the_per_batch_tick(replayed, name):
    table, fast = replayed(name)
    slow = replay(table, make_detector(name, **PARAMS[name]), schema.KPIS, per_batch=True)
    assert fast.engine.detector.model_version_ == slow.engine.detector.model_version_ > 0
    pd.testing.assert_frame_equal(fast.frame[COLUMNS], slow.frame[COLUMNS], check_exact=True)
    assert fast.frame[schema.IS_ANOMALY].any() and (fast.frame[schema.ALERT_SCORE] > 0).any()
    assert fast.counters.as_dict() == slow.counters.as_dict()


@pytest.mark.parametrize("name", ["iforest", "seed"])
def test_replay_in_time_pieces_equals_one_piece(simulated, replayed, name, monkeypatch):
    """A long table is replayed in pieces (memory); the stream carries over unchanged."""
    import telecom_nb.engine.replay  # noqa: F401 - the module, not the function

    replay_module = sys.modules["telecom_nb.engine.replay"]

    params = PARAMS[name]
    table, whole = replayed(name)  # whole: one piece (the caller's table left as it was)
    monkeypatch.setattr(replay_module, "PIECE_ROWS", 400)  # ~8 pieces, cut mid-day
    pieces = replay(table, make_detector(name, **params), schema.KPIS)
    pd.testing.assert_frame_equal(whole.frame, pieces.frame)
    assert whole.counters.as_dict() == pieces.counters.as_dict()
    assert whole.engine.tick == pieces.engine.tick == simulated[schema.TIMESTAMP].nunique()
    a, b = whole.engine.detector, pieces.engine.detector
    assert a.model_version_ == b.model_version_ > 1
    pd.testing.assert_frame_equal(whole.engine.alarms.episodes.frame(),
                                  pieces.engine.alarms.episodes.frame())
    last = table[table[schema.TIMESTAMP] == table[schema.TIMESTAMP].max()]
    monkeypatch.setattr(replay_module, "PIECE_ROWS", 4)  # one timestamp longer than a piece
    one_time = replay(last, make_detector(name, **params), schema.KPIS)
    assert len(one_time.frame) == len(last) and one_time.engine.tick == 1


def test_replay_equals_the_live_monitor(simulated):
    live = Monitor(ReplaySource(simulated), make_detector("iforest", n_estimators=20),
                   interval=0)
    frames = [s.frame for s in run(live.step(10_000))]
    streamed = pd.concat(frames, ignore_index=True)
    offline = replay(simulated, make_detector("iforest", n_estimators=20), schema.KPIS).frame
    key = [schema.TIMESTAMP, schema.SECTOR]
    a = streamed.sort_values(key).reset_index(drop=True)
    b = offline.sort_values(key).reset_index(drop=True)
    for column in COLUMNS:
        np.testing.assert_array_equal(a[column].to_numpy(), b[column].to_numpy(), column)


def test_replay_returns_every_row_and_counts_what_it_did_not_score():
    b = [make_batch(t, 3) for t in range(6)]
    dup = b[2].iloc[[0]]
    late = b[1].assign(**{schema.TIMESTAMP: b[0][schema.TIMESTAMP]}).iloc[[0]]
    table = pd.concat([*b, dup, late], ignore_index=True)
    result = replay(table, ThresholdDetector(), schema.KPIS)
    assert len(result.frame) == len(table)
    c = result.counters
    assert c.rows + c.total_rows_dropped + c.rows_rejected == len(table)
    assert c.rows_dropped["duplicate sector"] == 2  # the 4-row batch at t0 and at t2
    assert any("not scored" in m for m in result.messages)
    assert isinstance(c, Counters) and c.as_dict()["rows_dropped[duplicate sector]"] == 2


def test_alarm_rate_is_one_setting_for_detector_and_alarms(simulated):
    det = make_detector("robust_z")
    result = replay(simulated, det, schema.KPIS)
    chain = result.engine.alarms
    det.contamination = 0.05
    assert chain.contamination == 0.05
    chain.threshold = 2.0
    assert det.threshold == 2.0 and chain.threshold_value == 2.0
