"""The compiled table pass of the episode tracker equals one ``advance`` per timestamp."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from telecom_nb.alarms import episode_table
from telecom_nb.alarms.episodes import EpisodeTracker

ARRAYS = ("_run_anom", "_run_norm", "_open", "_episode_id", "_start_time", "_start_tick",
          "_last_anom_time", "_last_anom_tick", "_n_anom", "_peak_score", "_alerted",
          "_peak_time", "_peak_kpi", "_peak_values")


def random_table(rng: np.random.Generator, n_ticks: int, n_sectors: int):
    """Rows sorted by time; sectors come and go, some repeat within a timestamp."""
    ns, sectors = [], []
    for t in range(n_ticks):
        here = rng.choice(n_sectors, size=rng.integers(1, n_sectors + 1), replace=False)
        if rng.random() < 0.2:  # a duplicated row
            here = np.append(here, here[0])
        rng.shuffle(here)
        ns += [t * 300 * 10**9] * len(here)
        sectors += [f"s{i}" for i in here]
    n = len(ns)
    flag = rng.random(n) < 0.35
    score = rng.integers(0, 17, size=n) / 2.0  # ties, and peaks exactly escalate_by apart
    top = np.where(flag, rng.choice(["a", "b"], size=n), "").astype(object)
    values = rng.normal(size=(n, 2))
    values[rng.random(n) < 0.1, 0] = np.nan
    return np.array(ns, dtype=np.int64), np.array(sectors, dtype=object), flag, score, top, values


def run(tracker: EpisodeTracker, table, way: str, cut: int):
    ns, sectors, flag, score, top, values = table
    out_state, out_alert = [], []
    for part in (slice(0, cut), slice(cut, None)):  # two calls: state carries over
        pos = tracker.index.positions(sectors[part])
        args = (tracker, pos, ns[part], flag[part], score[part], top[part], values[part])
        state, alert = (episode_table.advance_table(*args) if way == "table"
                        else episode_table._per_timestamp(*args))
        out_state.append(state)
        out_alert.append(alert)
    return np.concatenate(out_state), np.concatenate(out_alert)


@pytest.mark.skipif(episode_table.numba is None, reason="the compiled pass needs numba")
@pytest.mark.parametrize("seed", range(6))
def test_table_pass_equals_advance_per_timestamp(seed: int):
    rng = np.random.default_rng(seed)
    table = random_table(rng, n_ticks=int(rng.integers(20, 60)), n_sectors=int(rng.integers(1, 7)))
    params = dict(open_after=int(rng.integers(1, 3)),
                  close_after=[2, 1, "10min", "30min"][seed % 4],
                  max_closed=[1000, 3][seed % 2], escalate_by=[1.0, 0.0, 0.5][seed % 3])
    cut = int(np.searchsorted(table[0], table[0][len(table[0]) // 2]))  # at a timestamp
    fast, slow = (EpisodeTracker(kpis=["a", "b"], **params) for _ in range(2))
    state_f, alert_f = run(fast, table, "table", cut)
    state_s, alert_s = run(slow, table, "loop", cut)
    assert list(state_f) == list(state_s)
    np.testing.assert_array_equal(alert_f, alert_s)
    assert (alert_f > 0).any()
    same_trackers(fast, slow)
    assert fast.n_closed_ > 0
    pd.testing.assert_frame_equal(fast.frame(), slow.frame())


def same_trackers(fast: EpisodeTracker, slow: EpisodeTracker) -> None:
    for name in ARRAYS:
        a, b = getattr(fast, name), getattr(slow, name)
        if a.dtype == object:
            assert list(a) == list(b), name
        else:
            np.testing.assert_array_equal(a, b, err_msg=name)
    for name in ("n_opened_", "n_closed_", "changes_", "_tick"):
        assert getattr(fast, name) == getattr(slow, name), name
    assert [repr(d) for d in fast.closed_] == [repr(d) for d in slow.closed_]


@pytest.mark.skipif(episode_table.numba is None, reason="the compiled pass needs numba")
@pytest.mark.parametrize("seed", range(4))
def test_live_tick_pass_equals_advance_codes(seed: int):
    """A live tick's compiled pass (distinct sectors in any order, routine rows) leaves
    the tracker as ``advance_codes`` does, tick after tick."""
    rng = np.random.default_rng(100 + seed)
    params = dict(open_after=int(rng.integers(1, 3)),
                  close_after=[2, 1, "10min", "30min"][seed % 4],
                  max_closed=[1000, 3][seed % 2], escalate_by=[1.0, 0.0, 0.5][seed % 3])
    fast, slow = (EpisodeTracker(kpis=["a", "b"], **params) for _ in range(2))
    n_sectors, alerts = int(rng.integers(2, 9)), 0
    for tracker in (fast, slow):  # positions 0.. are these sectors
        tracker.index.positions(np.array([f"s{i}" for i in range(n_sectors)], dtype=object))
    for t in range(int(rng.integers(30, 60))):
        pos = rng.choice(n_sectors, size=rng.integers(1, n_sectors + 1), replace=False)
        n = len(pos)
        flag = rng.random(n) < 0.4
        score = rng.integers(0, 17, size=n) / 2.0
        top = np.where(flag, rng.choice(["a", "b"], size=n), "").astype(object)
        values = rng.normal(size=(n, 2))
        routine = rng.random(n) < 0.15 if seed % 2 else None
        now = t * 300 * 10**9
        state_f, alert_f = episode_table.advance_tick_codes(fast, pos, flag, score, now, top,
                                                            values, routine)
        state_s, alert_s = slow.advance_codes(pos, flag, score, now, top=top, values=values,
                                              routine=routine)
        np.testing.assert_array_equal(state_f, state_s)
        assert state_f.dtype == state_s.dtype
        np.testing.assert_array_equal(alert_f, alert_s)
        alerts += int((alert_f > 0).sum())
    assert alerts > 0 and fast.n_closed_ > 0
    same_trackers(fast, slow)
