"""Alert episodes: hysteresis, bounded closed list, vectorised over sectors."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from telecom_nb import schema
from telecom_nb.alarms.episodes import EpisodeTracker
from telecom_nb.errors import ParameterError

T0 = pd.Timestamp("2024-01-01", tz="UTC")


def frame(flags: dict[str, int], scores: dict[str, float] | None = None) -> pd.DataFrame:
    ids = list(flags)
    return pd.DataFrame(
        {
            schema.SECTOR: ids,
            schema.IS_ANOMALY: [bool(flags[i]) for i in ids],
            schema.SCORE: [float((scores or {}).get(i, 0.1)) for i in ids],
            schema.TOP_KPI: [schema.PRB if flags[i] else "" for i in ids],
            schema.PRB: [90.0 if flags[i] else 30.0 for i in ids],
        }
    )


def feed(tracker: EpisodeTracker, seq: dict[str, list[int]], scores=None) -> list[list[str]]:
    states = []
    for t in range(len(next(iter(seq.values())))):
        f = frame({k: v[t] for k, v in seq.items()},
                  {k: v[t] for k, v in (scores or {}).items()})
        states.append(list(tracker.update(f, T0 + t * pd.Timedelta("15min"))))
    return states


def test_flapping_sector_gives_one_episode_not_a_storm():
    tracker = EpisodeTracker(open_after=1, close_after=3)
    states = feed(tracker, {"a": [1, 0, 1, 0, 0, 1, 0, 0, 0, 0]})
    assert [s[0] for s in states] == [
        "anomalous", "recovering", "anomalous", "recovering", "recovering",
        "anomalous", "recovering", "recovering", "normal", "normal",
    ]
    closed = tracker.closed_frame()
    assert len(closed) == 1 and tracker.n_open == 0
    ep = closed.iloc[0]
    assert ep["start"] == T0 and ep["end"] == T0 + 5 * pd.Timedelta("15min")
    assert ep["duration_ticks"] == 6 and ep["anomalous_ticks"] == 3


def test_open_after_requires_consecutive_anomalous_ticks():
    tracker = EpisodeTracker(open_after=2, close_after=1)
    feed(tracker, {"a": [1, 0, 1, 0, 1, 1, 1, 0]}, {"a": [0.5, 0, 0.6, 0, 0.7, 0.9, 0.8, 0]})
    closed = tracker.closed_frame()
    assert len(closed) == 1  # the isolated single ticks never opened an episode
    ep = closed.iloc[0]
    assert ep["start"] == T0 + 4 * pd.Timedelta("15min")  # the run's first tick
    assert ep["peak_score"] == 0.9 and ep["peak_time"] == T0 + 5 * pd.Timedelta("15min")
    assert ep[schema.TOP_KPI] == schema.PRB and ep[f"peak_{schema.PRB}"] == 90.0


def test_sectors_are_independent_and_open_frame_lists_open_ones():
    tracker = EpisodeTracker(close_after=2)
    feed(tracker, {"a": [1, 1, 1], "b": [0, 1, 0], "c": [0, 0, 0]})
    opened = tracker.frame(open_only=True)
    assert sorted(opened[schema.SECTOR]) == ["a", "b"]
    assert opened["end"].isna().all() and opened["is_open"].all()
    assert opened.set_index(schema.SECTOR).loc["a", "duration_ticks"] == 3


def test_absent_sector_keeps_its_state_and_new_sectors_grow_the_arrays():
    tracker = EpisodeTracker(close_after=1)
    tracker.update(frame({"a": 1}), T0)
    tracker.update(frame({"b": 0}), T0 + pd.Timedelta("15min"))  # a absent, b new
    assert tracker.n_open == 1
    state = tracker.update(frame({"a": 0, "b": 1}), T0 + pd.Timedelta("30min"))
    assert list(state) == ["normal", "anomalous"] and tracker.n_closed_ == 1


def test_closed_list_is_bounded():
    tracker = EpisodeTracker(close_after=1, max_closed=5)
    ids = [f"s{i}" for i in range(50)]
    tracker.update(frame(dict.fromkeys(ids, 1)), T0)
    tracker.update(frame(dict.fromkeys(ids, 0)), T0 + pd.Timedelta("15min"))
    assert tracker.n_closed_ == 50 and len(tracker.closed_frame()) == 5


def test_parameters_are_validated_and_sklearn_style():
    with pytest.raises(ParameterError, match="close_after"):
        EpisodeTracker(close_after=0)
    tracker = EpisodeTracker()
    with pytest.raises(ParameterError, match="open_after"):
        tracker.set_params(open_after=-1)
    assert tracker.get_params() == {"close_after": pd.Timedelta("45min"), "escalate_by": 1.0,
                                    "max_closed": 1000,
                                    "open_after": 1}


def test_update_handles_many_sectors():
    # Its cost is printed by benchmarks/unit_costs.py (no timed assertions in tests).
    n = 20_000
    rng = np.random.default_rng(0)
    ids = np.array([f"s{i}" for i in range(n)], dtype=object)
    tracker = EpisodeTracker()
    base = pd.DataFrame({schema.SECTOR: ids, schema.TOP_KPI: "", schema.PRB: 1.0})
    frames = [
        base.assign(**{schema.IS_ANOMALY: rng.random(n) < 0.05, schema.SCORE: rng.random(n)})
        for _ in range(6)
    ]
    tracker.update(frames[0], T0)
    for t, f in enumerate(frames[1:], 1):
        tracker.update(f, T0 + t * pd.Timedelta("15min"))
    # open_after=1: every sector flagged on the last tick is in an open episode
    last = set(ids[frames[-1][schema.IS_ANOMALY].to_numpy()])
    assert last and last <= set(tracker.open_frame()[schema.SECTOR])


def test_change_counter_moves_only_when_the_episode_list_changes():
    tracker = EpisodeTracker(open_after=2, close_after=2)
    seen = []
    for flags in ([0], [1], [1], [1], [0], [0], [0]):
        tracker.update(frame({"a": flags[0]}), T0)
        seen.append(tracker.changes_)
    # pending run (no episode yet), opens, grows, then normal, normal (closes), normal
    assert seen == [0, 0, 1, 2, 2, 3, 3]
    tracker.max_closed = 10
    assert tracker.changes_ == 4


def test_recent_frame_lists_open_by_latest_activity_then_closed_and_is_bounded():
    tracker = EpisodeTracker(close_after=2)
    seq = {"a": [1, 0, 0, 0, 0], "b": [1, 1, 0, 0, 0], "c": [0, 1, 0, 0, 0],
           "d": [0, 0, 0, 1, 0], "e": [0, 0, 1, 1, 0]}
    scores = {"d": [0, 0, 0, 0.5, 0], "e": [0, 0, 0.4, 0.9, 0]}
    feed(tracker, seq, scores)
    recent = tracker.recent_frame(10)
    assert list(recent[schema.SECTOR]) == ["e", "d", "c", "b", "a"]
    assert list(recent["is_open"]) == [True, True, False, False, False]
    assert list(recent.columns) == list(tracker.frame().columns)
    assert list(tracker.recent_frame(3)[schema.SECTOR]) == ["e", "d", "c"]
    assert list(tracker.recent_frame(1)[schema.SECTOR]) == ["e"]
    assert tracker.recent_frame(0).empty
    assert EpisodeTracker().recent_frame().empty


def test_alert_score_fires_on_open_and_escalation_only():
    tracker = EpisodeTracker(open_after=1, close_after=2)
    seq = {"a": [0, 1, 1, 1, 0, 1, 0, 0, 1], "b": [0, 0, 0, 0, 0, 0, 0, 0, 0]}
    scores = {"a": [0.1, 5.0, 4.0, 7.0, 0.1, 6.0, 0.1, 0.1, 3.5], "b": [0.1] * 9}
    alerts = []
    for t in range(9):
        f = frame({k: v[t] for k, v in seq.items()}, {k: v[t] for k, v in scores.items()})
        tracker.update(f, T0 + t * pd.Timedelta("15min"))
        alerts.append(list(tracker.last_alert_score_))
    a = [row[0] for row in alerts]
    # opens at 5, ignores 4, escalates to 7, ignores 6 (below the open episode's peak);
    # two normal ticks close it, so 3.5 opens a new episode with its own peak
    assert a == [0.0, 5.0, 0.0, 7.0, 0.0, 0.0, 0.0, 0.0, 3.5]
    assert all(row[1] == 0.0 for row in alerts)


def test_alert_score_with_open_after_carries_the_runs_peak():
    tracker = EpisodeTracker(open_after=2, close_after=1)
    pos = tracker.index.positions(np.array(["a"], dtype=object))
    out = [tracker.advance(pos, np.array([f]), np.array([s]), t)[1][0]
           for t, (f, s) in enumerate([(1, 9.0), (1, 4.0), (1, 5.0), (0, 0.0), (1, 2.0)])]
    assert out == [0.0, 9.0, 0.0, 0.0, 0.0]  # the 2-tick run opens with its peak, 9


def test_table_alarms_match_the_live_tracker_on_a_sorted_table():
    from telecom_nb.alarms import AlarmChain
    from telecom_nb.detectors.base import Scores

    ts = pd.to_datetime(["2024-01-01 00:00", "2024-01-01 00:00", "2024-01-01 00:05",
                         "2024-01-01 00:05", "2024-01-01 00:10"], utc=True)
    table = pd.DataFrame({schema.TIMESTAMP: ts, schema.SECTOR: ["a", "b", "a", "b", "a"]})
    score = np.array([4.0, 1.0, 5.0, 8.0, 6.0])
    out = AlarmChain(close_after=2, threshold=3.0).apply_table(table, Scores(score))
    # a: 4 (00:00) opens; 5 on its 2nd tick is no escalation (the bar: 4 + 1 + log10 2),
    # 6 on its 3rd is (4 + 1 + log10 3 = 5.48); b: 1 is normal, 8 opens
    np.testing.assert_array_equal(out[schema.ALERT_SCORE], [4.0, 0.0, 0.0, 8.0, 6.0])
    assert list(out[schema.STATE]) == ["anomalous", "normal", "anomalous", "anomalous",
                                       "anomalous"]
    live = AlarmChain(close_after=2, threshold=3.0)
    for t in table[schema.TIMESTAMP].unique():
        rows = (table[schema.TIMESTAMP] == t).to_numpy()
        step = live.apply(table[rows], Scores(score[rows]), pd.Timestamp(t))
        np.testing.assert_array_equal(step[schema.ALERT_SCORE], out[schema.ALERT_SCORE][rows])
    with pytest.raises(ParameterError):
        AlarmChain(close_after=0)


def test_closed_records_equal_the_frame_records():
    """The closed list is built without a DataFrame: same dicts, same value types."""
    tracker = EpisodeTracker(2, 2, 100, kpis=["a", "b"])
    rng = np.random.default_rng(0)
    pos = tracker.index.positions(np.array([f"s{i}" for i in range(30)], dtype=object))
    for tick in range(40):
        flag = rng.random(30) < 0.4
        tracker.advance(pos, flag, rng.random(30) * 10, 10**9 * 900 * tick,
                        top=np.where(flag, "a", ""), values=rng.normal(size=(30, 2)))
    closed = np.arange(0, 30, 3)
    fast = tracker._closed_records(closed)
    slow = tracker._records(closed, open_=False).to_dict("records")
    assert [list(d) for d in fast] == [list(d) for d in slow]
    assert [[(type(v), repr(v)) for v in d.values()] for d in fast] == \
        [[(type(v), repr(v)) for v in d.values()] for d in slow]


def test_escalate_by_re_alerts_an_open_episode_only_when_much_worse():
    """Once paged, an incident that wobbles upward stays one alert unless it gets much worse."""
    seq = [1, 1, 1, 1, 1]
    scores = [3.5, 3.9, 4.2, 4.4, 6.0]
    pos = None
    out = {}
    for by in (0.0, 1.0):
        tracker = EpisodeTracker(open_after=1, close_after=3, escalate_by=by)
        pos = tracker.index.positions(np.array(["a"], dtype=object))
        out[by] = [tracker.advance(pos, np.array([f]), np.array([s]), t)[1][0]
                   for t, (f, s) in enumerate(zip(seq, scores, strict=True))]
    assert out[0.0] == [3.5, 3.9, 4.2, 4.4, 6.0]  # every new peak
    assert out[1.0] == [3.5, 0.0, 0.0, 0.0, 6.0]  # the default: 4.4 < 3.5 + 1; 6.0 clears it
    assert EpisodeTracker().escalate_by == 1.0
    with pytest.raises(ParameterError):
        EpisodeTracker(escalate_by=-1.0)


def test_a_lasting_incident_does_not_re_alert_for_its_peak_growing_with_its_length():
    """The rarest of n ticks of one unchanged incident is ~log10 n rarer than one: a plateau
    whose peak creeps up as ticks pile up is paged once; a tick worse beyond that re-alerts.
    The compiled table pass and the live tracker agree."""
    from telecom_nb.alarms import AlarmChain
    from telecom_nb.detectors.base import Scores

    score = np.array([4.0, 4.5, 4.9, 5.1, 5.2, 5.3, 8.0])  # 5.1 was a re-alert (4 + 1)
    ts = pd.date_range("2024-01-01", periods=len(score), freq="5min", tz="UTC")
    table = pd.DataFrame({schema.TIMESTAMP: ts, schema.SECTOR: "a"})
    out = AlarmChain(close_after=2, threshold=3.0).apply_table(table, Scores(score))
    # 8.0 on the 7th tick clears 4 + 1 + log10 7 = 5.85
    np.testing.assert_array_equal(out[schema.ALERT_SCORE], [4.0, 0, 0, 0, 0, 0, 8.0])
    live = AlarmChain(close_after=2, threshold=3.0)
    for i, t in enumerate(ts):
        step = live.apply(table.iloc[[i]], Scores(score[[i]]), t)
        assert step[schema.ALERT_SCORE].iloc[0] == out[schema.ALERT_SCORE].iloc[i]


def test_escalate_by_reaches_the_alarm_chain():
    from telecom_nb.alarms import AlarmChain

    chain = AlarmChain(escalate_by=2.0)
    assert chain.episodes.escalate_by == 2.0
    chain.escalate_by = 0.5
    assert chain.episodes.escalate_by == 0.5


@pytest.mark.parametrize(("step", "close_after", "normal_ticks_to_close"), [
    ("15min", None, 3),  # the default, 45 min: the 15-minute behaviour of 3 ticks
    ("1h", None, 1),  # hourly data: the first normal hour is past 45 min
    ("5min", None, 9),  # 5-minute data: 45 min is 9 ticks, not 3
    ("5min", 3, 3),  # a whole number still counts ticks
    ("1h", "3h", 3),
])
def test_close_after_is_a_duration_whatever_the_cadence(step, close_after, normal_ticks_to_close):
    tracker = EpisodeTracker() if close_after is None else EpisodeTracker(close_after=close_after)
    dt = pd.Timedelta(step)
    tracker.update(frame({"a": 1}), T0)
    closed_at = None
    for k in range(1, 20):
        tracker.update(frame({"a": 0}), T0 + k * dt)
        if closed_at is None and tracker.n_closed_:
            closed_at = k
    assert closed_at == normal_ticks_to_close


def test_close_after_refuses_what_is_neither_ticks_nor_a_duration():
    for bad in (0, -2, "soon", 2.5, True, "-1h"):
        with pytest.raises(ParameterError, match="close_after"):
            EpisodeTracker(close_after=bad)
    assert EpisodeTracker(close_after="4").close_after == 4
    assert EpisodeTracker(close_after="90min").close_after == pd.Timedelta("90min")


def test_state_codes_name_the_same_states_as_the_strings():
    """``update_codes`` (the alarm stage's column built from three strings) gives, through
    ``STATES``, the very states ``update_rows`` returns, duplicated sectors included."""
    from telecom_nb.alarms.episodes import STATES

    rng = np.random.default_rng(1)
    ids = np.array([f"s{i}" for i in range(12)] + ["s3"], dtype=object)  # s3 twice
    by_strings, by_codes = (EpisodeTracker(2, 2, kpis=[schema.PRB]) for _ in range(2))
    seen: set[str] = set()
    for tick in range(30):
        flags = rng.random(len(ids)) < 0.4
        f = pd.DataFrame({schema.SECTOR: ids, schema.PRB: rng.random(len(ids))})
        score, top = rng.random(len(ids)) * 5, np.where(flags, schema.PRB, "").astype(object)
        now = T0 + tick * pd.Timedelta("15min")
        strings = by_strings.update_rows(f, flags, score, top, now)
        codes = by_codes.update_codes(f, flags, score, top, now)
        assert codes.dtype == np.int8
        assert list(np.asarray(STATES, dtype=object)[codes]) == list(strings)
        seen.update(strings)
    assert seen == set(STATES)  # every state was met


def test_coded_top_kpis_are_the_explained_top_kpis():
    """``decide_coded``'s labels[codes] is ``top_kpis``' answer (first of the largest)."""
    from telecom_nb.alarms.threshold import decide_coded
    from telecom_nb.detectors.base import Scores
    from telecom_nb.detectors.explain import top_kpis

    rng = np.random.default_rng(2)
    contrib = rng.integers(0, 3, size=(200, 4)).astype(float)  # ties on purpose
    scores = Scores(rng.random(200) * 4, None, None,
                    pd.DataFrame(contrib, columns=list(schema.KPIS)))
    flags, top, (labels, codes) = decide_coded(scores, 2.0)
    assert list(labels[codes]) == list(top)
    assert list(top) == list(top_kpis(contrib, tuple(schema.KPIS), flags))
    assert flags.any() and not flags.all()


def test_alarm_chain_string_columns_are_what_pandas_infers_from_the_strings():
    from telecom_nb.alarms.chain import str_column

    labels = ("normal", "anomalous", "recovering")
    for codes in (np.array([2, 0, 1, 1, 0], dtype=np.int8), np.array([], dtype=np.int8)):
        column = pd.Series(str_column(labels, codes))
        inferred = pd.Series(np.asarray(labels, dtype=object)[codes].tolist(), dtype="str")
        pd.testing.assert_series_equal(column, inferred)
        assert list(column == "recovering") == [c == 2 for c in codes]


def test_a_checkpoint_from_before_the_growth_rule_restores_and_goes_on():
    """A tracker saved without ``_alerted_n`` (older code) restores; an open episode's
    re-alert bar then counts its growth from the restore, and a fresh one is unaffected."""
    from telecom_nb.engine.snapshot import StateError, capture, restore

    seq = {"a": [1, 1, 1, 0], "b": [0, 0, 0, 0]}
    scores = {"a": [5.0, 5.5, 5.8, 0.1], "b": [0.1] * 4}
    tracker = EpisodeTracker(open_after=1, close_after=3)
    feed(tracker, seq, scores)
    tree, arrays = capture(tracker)
    del tree["attrs"]["_alerted_n"]
    fresh = restore(EpisodeTracker(open_after=1, close_after=3), tree, arrays)
    assert fresh._alerted_n[:2].tolist() == [3, 0]  # a open with 3 anomalous ticks, b closed
    # a's last alert was its first tick (5.0); restored, its bar counts growth from 3 ticks
    for peak, alerts in ((6.1, False), (6.2, True)):  # bar 5.0 + 1 + log10(4 / 3) = 6.125
        fresh = restore(EpisodeTracker(open_after=1, close_after=3), tree, arrays)
        fresh.update(frame({"a": 1, "b": 0}, {"a": peak, "b": 0.1}),
                     T0 + 4 * pd.Timedelta("15min"))
        assert (fresh.last_alert_score_[0] == peak) == alerts
    del tree["attrs"]["_n_anom"]  # state without such a rule is still refused, by name
    with pytest.raises(StateError, match="_n_anom"):
        restore(EpisodeTracker(open_after=1, close_after=3), tree, arrays)


def test_closed_frame_extended_tick_by_tick_is_the_frame_rebuilt():
    """The closed frame is kept and extended by the new closings: on every tick (the
    list full, trimmed, resized, restored, a caller editing its copy) it is the frame
    built from the whole list, dtypes too."""
    from telecom_nb.engine.snapshot import capture, restore

    tracker = EpisodeTracker(1, 1, 12, kpis=["a", "b"])
    rng = np.random.default_rng(3)
    pos = tracker.index.positions(np.array([f"s{i}" for i in range(20)], dtype=object))
    columns = tracker.episode_columns()
    for tick in range(40):
        flag = rng.random(20) < 0.3
        tracker.advance(pos, flag, rng.random(20) * 10, 10**9 * 900 * tick,
                        top=np.where(flag, "a", ""), values=rng.normal(size=(20, 2)))
        if tick == 20:
            tracker.max_closed = 7
        if tick == 30:
            tree, arrays = capture(tracker)  # the kept frame is no state
            tracker = restore(EpisodeTracker(1, 1, 7, kpis=["a", "b"]), tree, arrays)
        want = pd.DataFrame(list(reversed(tracker.closed_)), columns=columns)
        for _ in range(3):  # built (or extended), then kept
            got = tracker.closed_frame()
            pd.testing.assert_frame_equal(got, want, check_exact=True)
            got.insert(2, "province", "x")  # what with_provinces does to the frame it gets
    assert tracker.n_closed_ > 40  # the list filled and was trimmed
