"""Dashboard tests without a browser: widgets are driven in-process (no kernel)."""

from __future__ import annotations

import asyncio
import threading
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest
from traitlets import HasTraits
from ui_fake import FakeMonitor

from telecom_nb import schema
from telecom_nb.ui import Dashboard, flag_rate, notebook_settings
from telecom_nb.ui.traffic import count_widget_traffic

SQUARE = {"type": "FeatureCollection", "features": [{
    "type": "Feature", "properties": {"name:en": "Test"},
    "geometry": {"type": "Polygon", "coordinates": [[[44, 25], [63, 25], [63, 40], [44, 25]]]},
}]}


@pytest.fixture
def monitor():
    return FakeMonitor()


@pytest.fixture
def dash(monitor):
    return Dashboard(monitor, provinces=SQUARE)


def _ids(layer) -> set[str]:
    return {f["properties"]["sector_id"] for f in layer.data["features"]}


def _shown(dash, state: str) -> set[str]:
    return {sid for sid, st in dash.map.alert_states().items() if st == state}


def test_builds_with_map_centred_on_iran_and_attribution(dash, monitor):
    m = dash.map.map
    assert m.center == [32.5, 54.0] or tuple(m.center) == (32.5, 54.0)
    assert m.zoom == 5 and m.prefer_canvas
    assert not any(type(layer).__name__ == "TileLayer" for layer in m.layers)
    assert any("OpenStreetMap contributors" in c.prefix for c in m.controls
               if hasattr(c, "prefix"))
    assert len(dash.map.base.data["features"]) == len(monitor.sectors)
    assert monitor.sinks == [dash._on_batch]


def test_sink_update_changes_overlay_charts_feed_and_status(dash, monitor):
    monitor.emit(anomalous=[1, 2], recovering=[3])
    assert _shown(dash, "anomalous") == {"S00001", "S00002"}
    assert _shown(dash, "recovering") == {"S00003"}
    assert len(dash.charts.lines["n_anomalies"].y) == 1
    monitor.emit(anomalous=[7])
    assert _shown(dash, "anomalous") == {"S00007"}
    assert _shown(dash, "recovering") == set()
    assert list(dash.charts.lines["n_anomalies"].y) == [2.0, 1.0]
    assert len(dash.charts.lines[schema.PRB].x) == 2
    assert "S00007" in dash.feed.table.value
    assert dash.feed.table.value.index("S00007") < dash.feed.table.value.index("S00001")
    assert 'tnb-status-tick">2<' in dash.status.widget.value


def test_chart_window_and_feed_are_bounded(monitor):
    dash = Dashboard(monitor, provinces=SQUARE, chart_window=5, feed_rows=7)
    for t in range(9):
        monitor.emit(anomalous=[t, t + 10])  # 18 distinct episodes
    assert len(dash.charts.lines[schema.PAYLOAD].y) == 5
    assert monitor.episodes.n_opened_ == 18
    assert dash.feed.n_rows == 7
    assert dash.feed.table.value.count("<tr") == 7 + 1  # header row
    assert "incidents_frame()" in dash.feed.table.value  # says where the older ones are
    assert "tnb-feed" in dash.feed.table._dom_classes


def test_click_selects_sector_for_drilldown(dash, monitor):
    monitor.emit(anomalous=[4])
    monitor.emit()
    dash.map.base._handle_mouse_events(None, {"event": "click",
                                              "properties": {"sector_id": "S00004"}}, [])
    assert dash.map.selected == "S00004"
    assert "S00004" in dash.map.info.value and "prb_pct" in dash.map.info.value
    assert len(dash.drill.line.y) == 2
    assert len(dash.drill.points.y) == 1  # the one anomalous tick is marked
    dash.map.alerts._handle_mouse_events(None, {"event": "mouseover",
                                                   "properties": {"sector_id": "S00009"}}, [])
    assert "S00009" in dash.map.info.value


def test_setting_the_selected_trait_shows_the_sector_as_a_click_does(dash, monitor):
    """walknb42: ``map.selected = id`` from a cell redrew the drill-down but left the info
    panel as it was until the next tick."""
    monitor.emit(anomalous=[4])
    dash.map.selected = "S00004"
    assert "S00004" in dash.map.info.value and "prb_pct" in dash.map.info.value
    assert len(dash.drill.line.y) == 1


def test_control_sets_detector_param(dash, monitor):
    dash.controls.params["contamination"].value = 0.05
    assert monitor.detector.contamination == 0.05
    assert "contamination 0.05" in dash.status.widget.value
    dash.controls.params["kpis"].value = (schema.PRB, schema.THROUGHPUT)
    assert monitor.detector.kpis == [schema.PRB, schema.THROUGHPUT]
    dash.controls.speed.value = 0.5
    assert monitor.interval == 0.5


def test_invalid_control_value_shows_message_and_changes_nothing(dash, monitor):
    w = dash.controls.params["contamination"]
    w.value = 0.9
    assert monitor.detector.contamination == 0.01
    assert w.value == 0.01
    assert "contamination" in dash.controls.message.value
    assert "0.9" in dash.controls.message.value
    dash.controls.params["kpis"].value = ()
    assert monitor.detector.kpis == list(schema.KPIS)
    assert "kpis" in dash.controls.message.value
    dash.controls.speed.value = -1.0
    assert monitor.interval == 2.5 and dash.controls.speed.value == 2.5


def test_code_side_change_is_reflected_in_widget(dash, monitor):
    monitor.detector.contamination = 0.02
    assert dash.controls.params["contamination"].value == 0.02
    assert "contamination 0.02" in dash.status.widget.value
    monitor.detector.window_size = 48
    assert dash.controls.params["window_size"].value == 48
    monitor.warmup_progress = 0.5
    assert dash.controls.warmup.value == 0.5
    monitor.pause()
    assert dash.controls.pause.value is True and dash.controls.pause.description == "Resume"


def test_pause_button_drives_monitor(dash, monitor):
    dash.controls.pause.value = True
    assert monitor.paused
    dash.controls.pause.value = False
    assert not monitor.paused


def test_heartbeat_calls_monitor(dash, monitor):
    play = dash.heartbeat.play
    assert play.interval == 1000 and play.layout.display == "none"
    assert dash.heartbeat.widget.layout.display == "none"
    assert dash.heartbeat.widget.children == (play,)
    play.value += 1
    play.value += 1
    assert monitor.heartbeats == 2


def test_heartbeat_kick_restarts_play_only_when_stale(dash):
    hb = dash.heartbeat
    with count_widget_traffic() as traffic:
        from telecom_nb.ui.heartbeat import Heartbeat

        fresh = Heartbeat(lambda: None, clock=lambda: 100.0)
        traffic.reset()
        fresh.kick()
        assert fresh.play.playing and traffic.messages == 1  # false -> true edge
        fresh.play.value = 1  # a beat arrives: no longer stale
        traffic.reset()
        fresh.kick()
        assert traffic.messages == 0
    assert hb.stale


def test_heartbeat_renews_a_play_whose_kicks_go_unanswered():
    """A front-end model that stopped sending (its update throttle stuck) is replaced."""
    from telecom_nb.ui.heartbeat import Heartbeat

    now = [100.0]
    hb = Heartbeat(lambda: None, stale_after=3.0, renew_after=6.0, clock=lambda: now[0])
    first = hb.play
    for t in (100.0, 110.0, 130.0):  # no page has beaten yet: maybe none is there; wait
        now[0] = t
        hb.kick()
    assert hb.play is first and hb.renewals == 0 and first.playing
    first.value += 1  # the page's first beat, then its model's throttle sticks
    now[0] = 134.0
    hb.kick()
    now[0] = 139.0
    hb.kick()  # unanswered for 5 s: keep toggling the same Play
    assert hb.play is first and hb.renewals == 0
    now[0] = 140.5
    hb.kick()
    assert hb.renewals == 1 and hb.play is not first and first.comm is None  # closed
    assert first.playing is False  # stopped first: a closed model's timer would sync on
    assert hb.widget.children == (hb.play,) and hb.play.playing
    first.value += 1  # a late message for the old model is not a beat
    assert hb.beats == 1
    hb.play.value += 1
    now[0] = 141.0
    hb.kick()  # fresh: nothing to do
    now[0] = 145.0
    hb.kick()  # stale again, but the last kick was answered: toggle, no renewal
    assert hb.renewals == 1 and hb.beats == 2


def test_heartbeat_messages_are_handled_on_the_subshell_they_came_on():
    """ipykernel 7 would route them to the main shell, where a running cell leaves them
    without the idle status the page waits for before sending the next beat."""
    from ipykernel.comm.comm import BaseComm

    from telecom_nb.ui.heartbeat import _route_to_sender

    comm = BaseComm(target_name="jupyter.widget", primary=False, comm_id="hb")
    comm._reply_subshell_id = None  # last published from the main shell (a running cell)
    assert comm._reply_subshell_for({}, "widgets-subshell") is None
    _route_to_sender(SimpleNamespace(comm=comm))
    assert comm._reply_subshell_for({}, "widgets-subshell") == "widgets-subshell"
    assert comm._reply_subshell_for({}, None) is None  # no subshell (Voilà): main shell
    _route_to_sender(SimpleNamespace(comm=None))  # no kernel: nothing to do


def test_heartbeat_from_another_thread_reaches_the_monitor_on_its_loop():
    """A beat handled on a subshell thread is handed to the loop that owns the monitor."""
    from telecom_nb.ui.heartbeat import Heartbeat

    calls: list[int] = []

    async def scenario() -> tuple[int, int]:
        hb = Heartbeat(lambda: calls.append(threading.get_ident()))
        beat = threading.Thread(target=lambda: setattr(hb.play, "value", 1))
        beat.start()
        beat.join()
        before = len(calls)
        for _ in range(3):
            await asyncio.sleep(0)
        return hb.beats, before

    beats, before = asyncio.run(scenario())
    assert beats == 1 and before == 0
    assert calls == [threading.get_ident()]


def test_page_messages_from_another_thread_change_the_dashboard_on_its_loop(monitor):
    """Lab has a widget's messages handled on a subshell thread once the kernel echoed the
    first: the filter must still reach the map on the dashboard's loop, in turn with the
    per-tick refresh, not beside it (a search cleared on the subshell raced a province
    chosen on the main shell: every sector stayed bright under the filter)."""
    from telecom_nb.ui.map import DIMMED

    calls: list[int] = []
    update = {"content": {"data": {"method": "update", "state": {"index": 1},
                                   "buffer_paths": []}}, "buffers": []}

    async def scenario() -> tuple[list[int], Dashboard]:
        dash = Dashboard(monitor, provinces=SQUARE)
        set_filter = dash.map.set_filter
        dash.map.set_filter = lambda *a, **k: (calls.append(threading.get_ident()),
                                               set_filter(*a, **k))
        page = threading.Thread(target=dash.triage.province.comm.handle_msg, args=(update,))
        page.start()
        page.join()
        before = list(calls)
        for _ in range(3):
            await asyncio.sleep(0)
        return before, dash

    before, dash = asyncio.run(scenario())
    assert before == []  # not run on the receiving thread
    assert calls == [threading.get_ident()]
    assert dash.triage.province.index == 1 and dash.map.matching is not None
    assert dash.map.base.style == DIMMED


def test_no_per_sector_widgets(monitor):
    big = FakeMonitor(n_sectors=2000, seed=1)
    with count_widget_traffic() as small_t:
        small = Dashboard(monitor, provinces=SQUARE)
    with count_widget_traffic() as big_t:
        large = Dashboard(big, provinces=SQUARE)
    assert len(small.map.map.layers) == len(large.map.map.layers)
    assert small_t.by_type["comm_open"] == big_t.by_type["comm_open"]
    with count_widget_traffic() as tick_t:
        d = Dashboard(big, provinces=SQUARE)
        tick_t.reset()
        big.sinks = [d._on_batch]
        big.emit(anomalous=list(range(100)), recovering=list(range(100, 120)))
    assert tick_t.by_type["comm_open"] == 0  # a tick opens no new widgets
    assert tick_t.bytes < 60_000


def test_refresh_coalesces_under_a_running_loop(monitor):
    import asyncio

    dash = Dashboard(monitor, provinces=SQUARE, min_refresh_s=10.0)

    async def burst():
        dash.refresh()  # nothing pending: draws nothing
        for _ in range(5):
            monitor.emit(anomalous=[monitor.tick % 50])
        await asyncio.sleep(0)  # the first scheduled refresh runs now
        return dash.refreshes

    assert asyncio.run(burst()) == 1
    assert len(monitor.history_frame()) == 5  # the engine still recorded every tick
    assert len(dash.charts.lines[schema.PRB].y) == 5  # and the one redraw shows them all
    assert dash.latest.skipped == 4


def test_flag_rate_and_tick_table(dash, monitor):
    monitor.emit(anomalous=[0, 1])
    monitor.emit(anomalous=[0, 1, 2, 3])
    assert flag_rate(dash, last=1) == pytest.approx(4 / 50)
    assert flag_rate(dash, last=2) == pytest.approx(6 / 100)
    assert list(dash.tick_table()["tick"]) == [1, 2]


def test_notebook_settings_modes():
    live = notebook_settings({})
    assert live.ticks is None and live.interval == 2.5 and live.idle_timeout > 0
    short = notebook_settings({"TELECOM_NB_TICKS": "30"})
    assert short.ticks == 30 and short.interval == 0 and short.idle_timeout == 0
    assert short.monitor_kwargs()["max_ticks"] == 30
    fast = notebook_settings({"TELECOM_NB_INTERVAL": "0.2"})
    assert fast.ticks is None and fast.interval == 0.2
    with pytest.raises(ValueError, match="TELECOM_NB_TICKS"):
        notebook_settings({"TELECOM_NB_TICKS": "ten"})
    with pytest.raises(ValueError, match="TELECOM_NB_INTERVAL"):
        notebook_settings({"TELECOM_NB_INTERVAL": "-1"})


# -- with the real engine -------------------------------------------------------------
def _real_monitor(**kwargs):
    pytest.importorskip("telecom_nb.sources.simulator")
    from telecom_nb.engine.monitor import Monitor

    return Monitor.simulated(n_sectors=kwargs.pop("n_sectors", 60), seed=0, **kwargs)


def test_dashboard_follows_a_real_monitor():
    import asyncio

    monitor = _real_monitor(interval=0.0)
    dash = Dashboard(monitor, provinces=SQUARE)
    batches = asyncio.run(monitor.step(30))
    dash.refresh()
    assert len(dash.tick_table()) == len(batches) == 30
    assert len(dash.charts.lines[schema.PRB].y) == 30
    last = batches[-1].frame
    flagged = set(last.loc[last["state"] == "anomalous", schema.SECTOR].astype(str))
    assert _shown(dash, "anomalous") == flagged
    assert f"tick {monitor.tick}" in dash.status.widget.value.replace(
        '<span class="tnb-status-tick">', "").replace("</span>", "")
    sid = str(monitor.sectors[schema.SECTOR].iloc[0])
    dash.map.select(sid)
    assert len(dash.drill.line.y) > 0
    for name in monitor.detector.param_names():
        assert name in dash.controls.params
    beats = monitor.watchdog.beats
    dash.heartbeat.play.value += 1  # what the browser's Play does every second
    assert monitor.watchdog.beats == beats + 1


def test_real_detector_rejects_invalid_control_value():
    monitor = _real_monitor()
    dash = Dashboard(monitor, provinces=SQUARE)
    names = monitor.detector.param_names()
    name = "contamination" if "contamination" in names else names[0]
    old = getattr(monitor.detector, name)
    widget = dash.controls.params[name]
    widget.value = -5 if not isinstance(old, (list, tuple)) else ()
    assert getattr(monitor.detector, name) == old
    assert name in dash.controls.message.value and "⚠" in dash.controls.message.value


def test_short_run_then_advance_by_hand():
    import asyncio

    from telecom_nb.ui import advance, finish_short_run, launch

    settings = notebook_settings({"TELECOM_NB_TICKS": "12", "TELECOM_NB_SECTORS": "40"})
    _real_monitor()  # skip cleanly when the simulator is absent

    async def run():
        monitor, dash = launch(settings, display=False)
        await finish_short_run(monitor, dash, settings)
        assert monitor.tick == 12 and not monitor.running
        assert await advance(monitor, 3) == 15
        return dash

    dash = asyncio.run(run())
    assert len(dash.tick_table()) == 15


def test_relaunching_stops_the_previous_stream():
    import asyncio

    from telecom_nb.ui import launch

    settings = notebook_settings({"TELECOM_NB_INTERVAL": "0.01", "TELECOM_NB_SECTORS": "30"})
    _real_monitor()  # skip cleanly when the simulator is absent

    async def run():
        first, _ = launch(settings, display=False)
        await asyncio.sleep(0.05)
        second, dash = launch(settings, display=False)  # the cell is run again
        await asyncio.wait_for(first.wait(), 5)  # the old stream ended
        streams = [t for t in asyncio.all_tasks() if t.get_name() == "telecom-nb-stream"]
        assert not first.running and second.running
        assert len(streams) == 1
        second.stop()
        await second.wait()
        dash.close()

    asyncio.run(run())


def test_optional_and_text_params_of_the_real_detector():
    monitor = _real_monitor()
    det = monitor.detector
    if not {"threshold", "retrain_interval", "kpis"} <= set(det.param_names()):
        pytest.skip("detector has no threshold / retrain_interval / kpis parameters")
    dash = Dashboard(monitor, provinces=SQUARE)
    threshold = dash.controls.params["threshold"]
    threshold.value = "abc"
    assert det.threshold is None and threshold.value == ""
    assert "threshold" in dash.controls.message.value
    threshold.value = "0.7"
    assert det.threshold == pytest.approx(0.7)
    det.threshold = None  # code-side change back to automatic
    assert threshold.value == ""
    assert dash.controls.params["retrain_interval"].value == "1D"  # durations read short
    dash.controls.params["retrain_interval"].value = "6h"
    assert det.retrain_interval == pd.Timedelta("6h")
    dash.controls.params["retrain_interval"].value = "soon"
    assert det.retrain_interval == pd.Timedelta("6h")
    assert "retrain_interval" in dash.controls.message.value
    dash.controls.params["kpis"].value = (schema.PRB,)
    assert det.kpis == [schema.PRB]


def test_voila_is_detected_from_its_kernel_environment():
    assert notebook_settings({"VOILA_BASE_URL": "/"}).in_voila
    assert not notebook_settings({}).in_voila


# -- the dashboard reads the engine's state ---------------------------------------------
def _feed_rows(dash) -> list[str]:
    """The feed's ``<tbody>`` rows as HTML strings (one per entry)."""
    value = dash.feed.table.value
    if "<tbody>" not in value:
        return []
    body = value.split("<tbody>", 1)[1].split("</tbody>", 1)[0]
    return [row for row in body.split("<tr")[1:]]


def _cells(row: str) -> list[str]:
    return [c.split("</td>", 1)[0] for c in row.split("<td>")[1:]]


def _engine_monitor(flags: dict[str, list[int]], n_sectors: int = 6, **kwargs):
    """A real Monitor over prepared batches; ``flags[sector] = ticks it is anomalous``."""
    from pipeline_fakes import ListSource, ThresholdDetector, make_batch

    from telecom_nb.engine.monitor import Monitor

    n_ticks = 1 + max(t for ticks in flags.values() for t in ticks) + kwargs.pop("tail", 1)
    batches = []
    for t in range(n_ticks):
        bad = [int(s[1:]) for s, ticks in flags.items() if t in ticks]
        batches.append(make_batch(t, n_sectors, anomalous=bad))
    return Monitor(ListSource(batches), ThresholdDetector(every=1), interval=0, **kwargs)


def _step(monitor, dash, n: int = 1) -> None:
    from pipeline_fakes import run

    for _ in range(n):
        run(monitor.step(1))
        dash.refresh()


def test_feed_lists_episodes_one_row_per_flapping_sector_open_first():
    flapping = [2, 4, 6, 8, 10]  # never 3 normal ticks in a row: one open episode
    monitor = _engine_monitor({"S0001": flapping, "S0002": [2], "S0003": [3, 4]}, tail=1)
    dash = Dashboard(monitor, provinces=SQUARE)
    _step(monitor, dash, 12)
    rows = _feed_rows(dash)
    episodes = monitor.episodes_frame()
    assert len(rows) == len(episodes) == 3  # not 5 + 1 + 2 anomalous rows
    assert [r.count("S0001") for r in rows] == [1, 0, 0]
    assert "open" in rows[0] and not rows[0].startswith(" class")  # open rows: no class
    assert "S0003" in rows[1] and "S0002" in rows[2]  # then most recently closed first
    assert all("closed" in r for r in rows[1:])
    first = dict(zip(["id", "incident", "severity", "sectors", "start", "duration", "top",
                      "status"], _cells(rows[0]), strict=True))
    assert first["start"] == "03-01 00:30"  # tick 2
    # anomalous from tick 2 to tick 10: nine 15-minute ticks, in hours and minutes
    assert first["duration"] == "2 h 15 min" and first["status"] == "open"
    assert first["top"] == schema.PRB and first["incident"] == "S0001"
    assert first["sectors"] == "1"
    assert dash.feed.table.value.count("<tbody>") == 1


def test_feed_redraws_only_when_episodes_change():
    monitor = _engine_monitor({"S0001": [2, 3]}, tail=6)
    dash = Dashboard(monitor, provinces=SQUARE)
    _step(monitor, dash, 2)  # warm-up, nothing flagged
    assert _feed_rows(dash) == [] and "No incidents yet" in dash.feed.table.value
    drawn = dash.feed.redraws
    _step(monitor, dash, 1)  # opens
    assert dash.feed.redraws == drawn + 1 and len(_feed_rows(dash)) == 1
    _step(monitor, dash, 1)  # another anomalous tick: duration changes
    assert dash.feed.redraws == drawn + 2
    _step(monitor, dash, 2)  # normal, episode still open: nothing to redraw
    assert dash.feed.redraws == drawn + 2
    _step(monitor, dash, 1)  # third normal tick closes it
    assert dash.feed.redraws == drawn + 3 and "closed" in _feed_rows(dash)[0]
    _step(monitor, dash, 1)
    assert dash.feed.redraws == drawn + 3


def test_feed_puts_open_before_closed_and_is_bounded():
    monitor = FakeMonitor(n_sectors=30)
    dash = Dashboard(monitor, provinces=SQUARE, feed_rows=5)
    monitor.emit(anomalous=list(range(10)))
    for _ in range(3):
        monitor.emit()  # the ten close
    monitor.emit(anomalous=[20, 21])
    rows = _feed_rows(dash)
    assert len(rows) == 5 and dash.feed.n_rows == 5
    assert [("open" in r and "closed" not in r) for r in rows] == [True, True, False, False,
                                                                   False]
    assert any("<b>Incidents</b>" in getattr(c, "value", "") for c in dash.widget.children)


def test_charts_read_the_engine_history():
    monitor = _real_monitor(interval=0.0, n_sectors=40)
    dash = Dashboard(monitor, provinces=SQUARE, chart_window=8)
    _step(monitor, dash, 12)
    history = monitor.history_frame()
    assert len(history) == 12
    tail = history.tail(8)
    assert np.allclose(dash.charts.lines[schema.PRB].y, tail[f"{schema.PRB}_mean"])
    assert np.array_equal(dash.charts.lines["n_anomalies"].y, tail["n_anomalies"])
    # the time axis is the network's wall clock (the simulator's: Asia/Tehran)
    assert pd.Timestamp(dash.charts.lines[schema.PRB].x[-1]) == \
        history["timestamp"].iloc[-1].tz_convert(monitor.timezone).tz_localize(None)
    assert dash.tick_table().equals(history)
    from telecom_nb.ui import flag_rate

    expected = tail["n_anomalies"].tail(3).sum() / tail["n_rows"].tail(3).sum()
    assert flag_rate(monitor, last=3) == flag_rate(dash, last=3) == pytest.approx(expected)


def test_no_ui_side_tick_or_anomaly_store():
    from pathlib import Path

    import telecom_nb.ui as ui

    folder = Path(ui.__file__).parent
    assert not (folder / "ticklog.py").exists()
    source = "\n".join(p.read_text() for p in folder.glob("*.py"))
    for marker in ("TickLog", "deque", "pd.concat", ".record("):
        assert marker not in source, marker
    monitor = FakeMonitor()
    dash = Dashboard(monitor, provinces=SQUARE)
    assert not hasattr(dash, "ticks") and not hasattr(dash.feed, "rows")


def test_sectors_that_appear_later_join_the_base_layer(monitor):
    dash = Dashboard(monitor, provinces=SQUARE)
    monitor.emit()
    n0 = len(monitor.sectors)
    new = pd.DataFrame({schema.SECTOR: ["N1", "N2"], schema.PROVINCE: "Fars",
                        schema.LAT: [30.0, 31.0], schema.LON: [50.0, 51.0]})
    monitor.sectors = pd.concat([monitor.sectors, new], ignore_index=True)
    with count_widget_traffic() as traffic:
        d = Dashboard(monitor, provinces=SQUARE)
        monitor.sinks = [dash._on_batch, d._on_batch]
        traffic.reset()
        monitor.emit()
    assert _ids(dash.map.added) == {"N1", "N2"} and len(dash.map.base.data["features"]) == n0
    assert _ids(d.map.added) == set()  # built after: already in its base layer
    assert len(d.map.base.data["features"]) == n0 + 2
    assert dash.map.n_sectors == len(monitor.sectors)
    assert not dash.map.show_sectors(monitor.sectors)  # nothing new: no message
    # Once the added sectors outnumber the first ones, both layers are merged.
    many = pd.DataFrame({schema.SECTOR: [f"M{i}" for i in range(n0 + 5)], schema.PROVINCE: "Fars",
                         schema.LAT: 30.0, schema.LON: 50.0})
    monitor.sectors = pd.concat([monitor.sectors, many], ignore_index=True)
    monitor.emit()
    assert _ids(dash.map.added) == set()
    assert len(dash.map.base.data["features"]) == len(monitor.sectors)


def test_real_monitor_new_sectors_reach_the_map():
    from pipeline_fakes import ListSource, ThresholdDetector, make_batch

    from telecom_nb.engine.monitor import Monitor

    monitor = Monitor(ListSource([make_batch(0, 3), make_batch(1, 5)]), ThresholdDetector(),
                      interval=0)
    dash = Dashboard(monitor, provinces=SQUARE)
    _step(monitor, dash, 2)
    drawn = _ids(dash.map.base) | _ids(dash.map.added)
    assert drawn == {f"S{i:04d}" for i in range(5)}
    assert _ids(dash.map.added) == {"S0003", "S0004"}


def _n_observers(obj: HasTraits) -> int:
    return sum(len(handlers) for by_type in obj._trait_notifiers.values()
               for handlers in by_type.values())


def test_close_removes_the_sink_and_every_observer(monitor):
    before = _n_observers(monitor), _n_observers(monitor.detector)
    dash = Dashboard(monitor, provinces=SQUARE)
    assert _n_observers(monitor) > before[0] and _n_observers(monitor.detector) > before[1]
    dash.close()
    assert (_n_observers(monitor), _n_observers(monitor.detector)) == before
    assert monitor.sinks == []
    status, widget = dash.status.widget.value, dash.controls.params["contamination"]
    monitor.detector.contamination = 0.03
    monitor.status = "paused"
    assert dash.status.widget.value == status and widget.value == 0.01
    dash.close()  # twice is harmless


def test_real_monitor_close_detaches():
    monitor = _real_monitor()
    before = _n_observers(monitor), _n_observers(monitor.detector)
    sinks = list(monitor.runner.sinks)
    dash = Dashboard(monitor, provinces=SQUARE)
    assert monitor.runner.sinks == [*sinks, dash._on_batch]
    dash.close()
    assert (_n_observers(monitor), _n_observers(monitor.detector)) == before
    assert monitor.runner.sinks == sinks


# -- the UI reads the engine through MonitorView, and takes its KPIs from the data -----
def test_fake_and_real_monitor_implement_the_view_contract():
    from pipeline_fakes import CountingSource, ThresholdDetector

    from telecom_nb.engine import Monitor, MonitorView

    assert isinstance(FakeMonitor(), MonitorView)
    assert isinstance(Monitor(CountingSource(), ThresholdDetector(), interval=0), MonitorView)


def test_dashboard_uses_the_monitors_own_kpis_and_labels():
    kpis = ("DL Traffic Volume (GB)", "E-RAB Drop Rate (%)", "RRC Setup Success Rate (%)")
    labels = {kpis[1]: "Drop rate (%)"}
    monitor = FakeMonitor(kpis=kpis, labels=labels)
    dash = Dashboard(monitor, provinces=SQUARE)
    monitor.emit(anomalous=[4])
    monitor.emit(anomalous=[4])
    assert dash.charts.shown == {*kpis, "n_anomalies"}
    assert len(dash.charts.lines[kpis[0]].y) == 2
    assert "Drop rate (%), mean" in [f.title for f in dash.charts.figures.values()]
    assert kpis[2] in dash.feed.table.value  # the worst KPI of the open incident
    assert not any(k in dash.feed.table.value for k in schema.KPIS)
    dash.map.select("S00004")
    assert "Drop rate (%)" in dash.map.info.value and "payload" not in dash.map.info.value
    assert [v for _, v in dash.drill.kpi.options] == list(kpis)
    assert len(dash.drill.line.y) == 2 and len(dash.drill.points.y) == 2
    control = dash.controls.params["kpis"]  # the source's labels, its names as values
    assert dict(control.options) == {labels.get(k, k): k for k in kpis}


def test_status_line_reads_the_typed_repair_counters():
    monitor = FakeMonitor()
    dash = Dashboard(monitor, provinces=SQUARE)
    monitor.counters = {"values_blank": 126, "values_clipped": 60, "rows_dropped": 3,
                        "batches_rejected": 2, "retrains_skipped": 9}
    dash.status.refresh()
    text = dash.status.widget.value
    assert "values blank 126" in text and "clipped 60" in text
    assert "rows dropped 3" in text and "batches rejected 2" in text


def test_status_line_says_why_batches_were_rejected():
    monitor = FakeMonitor()
    dash = Dashboard(monitor, provinces=SQUARE)
    monitor.counters = {"batches_rejected": 2, "batches_rejected[late batch]": 1,
                        "batches_rejected[detector: missing column]": 1}
    dash.status.refresh()
    assert ("batches rejected 2 (late batch 1, detector: missing column 1)"
            in dash.status.widget.value)


def test_alarm_parameters_have_controls_and_reach_the_chain():
    monitor = FakeMonitor()
    dash = Dashboard(monitor, provinces=SQUARE)
    box = dash.controls.params["close_after"]
    box.value = "5"  # ticks
    assert monitor.alarms.close_after == 5 and monitor.alarms.episodes.close_after == 5
    box.value = "2h"  # or a duration
    assert monitor.alarms.episodes.close_after == pd.Timedelta("2h")
    monitor.alarms.contamination = 0.02  # the detector's alias and the status follow
    assert monitor.detector.contamination == 0.02
    assert "contamination 0.02" in dash.status.widget.value
