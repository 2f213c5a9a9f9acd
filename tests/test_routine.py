"""Routine excursions (detectors/routine.py) and the alarm stage's "opens no episode"."""

from __future__ import annotations

import numpy as np
import pandas as pd

from telecom_nb.alarms.chain import AlarmChain
from telecom_nb.detectors.base import Scores
from telecom_nb.detectors.routine import RoutineMemory, season_columns
from telecom_nb.engine.snapshot import capture, restore

STEP = pd.Timedelta("1h")
T0 = pd.Timestamp("2024-03-04", tz="UTC")


def spikes(n: int, at: list[tuple[int, float, int]], kpis: int = 1) -> np.ndarray:
    """``n`` hourly rows of z 0 with (row, size, length) excursions on every KPI."""
    z = np.zeros((n, kpis))
    for row, size, length in at:
        z[row : row + length] = size
    return z


def run(z: np.ndarray, memory: RoutineMemory | None = None) -> np.ndarray:
    ns = T0.value + STEP.value * np.arange(len(z), dtype=np.int64)
    return (memory or RoutineMemory()).rows(np.zeros(len(z), dtype=np.int64), ns, z, z, True)


def test_an_excursion_reached_twice_that_week_is_routine_and_a_longer_one_is_not():
    z = spikes(100, [(10, 5.0, 2), (34, 5.5, 2), (58, 4.0, 2), (82, 4.5, 6)])
    flags = run(z)
    assert not flags[10:12].any() and not flags[34:36].any()  # seen 0, then 1 time
    assert flags[58:60].all()  # 4.0 for 2 rows: reached by the two runs before
    assert flags[82:84].all() and not flags[84:88].any()  # a run longer than any seen
    assert not flags[:10].any() and not flags[63:82].any()  # no excursion: not judged
    z[58:60] = -4.0  # the other sign was never reached
    assert not run(z)[58:60].any()


def test_joint_count_new_is_not_routine():
    """Each KPI's size was seen alone twice; three KPIs off together never were."""
    z = np.zeros((80, 3))
    z[10:12, 0] = z[20:22, 0] = 5.0
    z[30:32, 1] = z[40:42, 1] = 5.0
    z[50:52, 2] = z[60:62, 2] = 5.0
    z[70:72, 0] = 4.0
    assert run(z)[70:72].all()
    z[70:72] = 4.0
    assert not run(z)[70:72].any()


def test_kpis_off_together_are_reached_only_by_past_runs_of_those_kpis_together():
    """Two KPIs each reached alone, their count reached by two other KPIs together: the
    combination is new (cdn24's incidents: 6-10 of 24 KPIs moved at once, each KPI's size
    and the count seen often, never those KPIs together); the pair seen together before
    stays routine."""
    z = np.zeros((120, 4))
    z[10:12, [0, 1]] = z[20:22, [0, 1]] = 5.0  # KPIs 0 and 1 together, twice
    z[30:32, 2] = z[40:42, 2] = 5.0  # KPI 2 alone, twice
    z[50:52, 3] = z[60:62, 3] = 5.0  # KPI 3 alone, twice
    z[80:82, [2, 3]] = 4.0  # KPIs 2 and 3 together: each and the count were reached
    z[100:102, [0, 1]] = 4.0  # KPIs 0 and 1 together again
    flags = run(z)
    assert not flags[80:82].any()
    assert flags[100:102].all()
    z[100:102, 2] = -4.0  # a third KPI joins with the other sign: not that set before
    assert not run(z)[100:102].any()
    z[100:102] = 0.0
    z[80:82] = 0.0
    z[80, 2] = z[81, 3] = 4.0  # one row apart: the row after is judged on both
    flags = run(z)
    assert flags[80] and not flags[81]


def test_a_memory_from_before_the_joint_kpi_sets_reads_its_runs_as_before():
    """A checkpoint without the joint runs' KPI sets: its stored runs hold every KPI."""
    z = np.zeros((120, 4))
    z[10:12, [0, 1]] = z[20:22, [0, 1]] = 5.0
    z[30:32, 2] = z[40:42, 2] = 5.0
    z[50:52, 3] = z[60:62, 3] = 5.0
    z[80:82, [2, 3]] = 4.0
    first = RoutineMemory()
    run(z[:70], first)
    tree, arrays = capture(first)
    for name in RoutineMemory._state_added:
        del tree["attrs"][name]
        arrays = {k: v for k, v in arrays.items() if not k.endswith(name)}
    old = restore(RoutineMemory(), tree, arrays)
    ns = T0.value + STEP.value * np.arange(70, 120, dtype=np.int64)
    flags = old.rows(np.zeros(50, dtype=np.int64), ns, z[70:], z[70:], True)
    assert flags[10:12].all()  # the stored pairs reach the new pair, as before the sets


def test_row_by_row_in_pieces_and_after_a_checkpoint_give_the_same_flags():
    rng = np.random.default_rng(3)
    z = rng.normal(0.0, 1.3, (400, 2))
    z[rng.random(400) < 0.05] *= 4
    whole = run(z)
    assert 10 < whole.sum() < 390
    memory = RoutineMemory()
    ns = T0.value + STEP.value * np.arange(len(z), dtype=np.int64)
    one = []
    for i in range(len(z)):  # a live tick: scored (no update), then learned
        pos = np.zeros(1, dtype=np.int64)
        row = (pos, ns[i : i + 1], z[i : i + 1], z[i : i + 1] + 10.0)
        one.append(memory.rows(*row, False)[0])
        memory.rows(*row, True)
    assert np.array_equal(whole, one)
    first = RoutineMemory()
    a = run(z[:150], first)
    tree, arrays = capture(first)
    second = restore(RoutineMemory(), tree, arrays)
    pos = np.zeros(250, dtype=np.int64)
    b = second.rows(pos, ns[150:], z[150:], z[150:], True)
    assert np.array_equal(whole, np.r_[a, b])


def test_season_columns_need_every_kpi():
    names = ["a:season_z", "b:season_z", "a:shift_z"]
    assert season_columns(names, ["b", "a"]).tolist() == [1, 0]
    assert len(season_columns(names, ["a", "c"])) == 0


def test_a_routine_row_opens_no_episode_but_never_cuts_one_table_as_ticks():
    stamps = pd.date_range(T0, periods=6, freq=STEP)
    frame = pd.DataFrame({"timestamp": stamps, "sector_id": "s", "kpi": 1.0})
    score = np.array([5.0, 0.0, 5.0, 5.0, 5.0, 0.0])
    routine = np.array([True, False, False, True, True, True])
    table = AlarmChain(kpis=["kpi"]).apply_table(frame, Scores(score=score, routine=routine))
    assert table["is_anomaly"].tolist() == [False, False, True, True, True, False]
    assert (table["alert_score"] > 0).tolist() == [False, False, True, False, False, False]
    chain = AlarmChain(kpis=["kpi"])
    for i in range(len(frame)):
        out = chain.apply(
            frame.iloc[i : i + 1],
            Scores(score=score[i : i + 1], routine=routine[i : i + 1]),
            stamps[i],
        )
        for name in ("is_anomaly", "state", "alert_score"):
            assert out[name].iloc[0] == table[name].iloc[i], (name, i)


def test_a_detector_s_flags_in_replay_pieces_and_per_tick_equal_the_whole_replay():
    from test_features import batches, fleet

    from telecom_nb.detectors import make_detector

    table = fleet(n_sectors=1, days=2, step="15min", seed=7)
    table = table.sort_values("timestamp", kind="stable").reset_index(drop=True)
    params = {"n_estimators": 10}
    whole = make_detector("iforest", **params).score_stream(table).routine
    det = make_detector("iforest", **params)
    cut, tail = len(table) // 2, len(table) - 16
    flags = [
        det.score_stream(table.iloc[:cut]).routine,
        det.score_stream(table.iloc[cut:tail]).routine,
    ]
    for b in batches(table.iloc[tail:]):  # then live, tick by tick
        flags.append(det.score(b).routine)
        job = det.learn(b)
        if job is not None:
            job.run_sync()
    assert np.array_equal(np.concatenate(flags), whole)
    assert whole.sum() > 0 and det._routine.ring_head.sum() > 0


def test_a_detector_checkpoint_from_before_the_rule_restores_with_an_empty_memory():
    from telecom_nb.detectors import make_detector

    det = make_detector("iforest", kpis=["value"])
    run(spikes(30, [(10, 5.0, 2)]), det._routine)
    tree, arrays = capture(det)
    assert restore(make_detector("iforest", kpis=["value"]), tree, arrays)._routine.row_n[0] == 30
    del tree["attrs"]["_routine"]
    fresh = restore(make_detector("iforest", kpis=["value"]), tree, arrays)
    assert len(fresh._routine.row_n) == 0
