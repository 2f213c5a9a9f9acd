"""Dashboard tests without a browser: widgets are driven in-process (no kernel)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from traitlets import Any, Bool, Dict, Float, HasTraits, Int, List, Unicode, validate

from telecom_nb import schema
from telecom_nb.detectors.base import Detector, Scores
from telecom_nb.params import check_range, param_trait
from telecom_nb.pipeline.batch import ScoredBatch
from telecom_nb.ui import Dashboard, flag_rate, notebook_settings
from telecom_nb.ui.traffic import count_widget_traffic

SQUARE = {"type": "FeatureCollection", "features": [{
    "type": "Feature", "properties": {"name:en": "Test"},
    "geometry": {"type": "Polygon", "coordinates": [[[44, 25], [63, 25], [63, 40], [44, 25]]]},
}]}


class FakeDetector(Detector):
    """Just the parameter surface of a detector (the dashboard never scores)."""

    contamination = param_trait(Float(0.01))
    window_size = param_trait(Int(96))
    kpis = param_trait(List(Unicode(), default_value=list(schema.KPIS)))

    @validate("contamination")
    def _check_contamination(self, proposal):
        check_range("contamination", proposal.value, 0, 0.5, low_inclusive=False)
        return proposal.value

    @validate("window_size")
    def _check_window(self, proposal):
        check_range("window_size", proposal.value, 8)
        return proposal.value

    @validate("kpis")
    def _check_kpis(self, proposal):
        if not proposal.value:
            from telecom_nb.errors import ParameterError

            raise ParameterError("kpis must name at least one KPI")
        return proposal.value

    def score(self, batch):  # pragma: no cover - not used by the UI
        return Scores.empty(len(batch))

    def learn(self, batch):  # pragma: no cover
        return None


class FakeMonitor(HasTraits):
    """The observable surface of ``Monitor`` the dashboard relies on."""

    status = Unicode("running")
    running = Bool(True)
    paused = Bool(False)
    tick = Int(0)
    sim_time = Any(None)
    rows_per_s = Float(0.0)
    model_version = Int(0)
    model_age = Any(None)
    last_retrain = Any(None)
    n_anomalies = Int(0)
    total_anomalies = Int(0)
    open_episodes = Int(0)
    warmup_progress = Float(0.0)
    interval = Float(2.5)
    error = Unicode("")
    counters = Dict()
    last_message = Unicode("")

    @validate("interval")
    def _check_interval(self, proposal):
        check_range("interval", proposal.value, 0)
        return proposal.value

    def __init__(self, n_sectors: int = 50, seed: int = 0):
        super().__init__()
        rng = np.random.default_rng(seed)
        self.detector = FakeDetector()
        self.sectors = pd.DataFrame({
            schema.SECTOR: [f"S{i:05d}" for i in range(n_sectors)],
            schema.PROVINCE: rng.choice(["Tehran", "Fars", "Gilan"], n_sectors),
            schema.LAT: rng.uniform(26, 39, n_sectors),
            schema.LON: rng.uniform(45, 62, n_sectors),
        })
        self.sinks: list = []
        self.heartbeats = 0
        self.frames: list[pd.DataFrame] = []
        self.rng = rng

    def add_sink(self, fn):
        self.sinks.append(fn)

    def heartbeat(self):
        self.heartbeats += 1

    def pause(self):
        self.paused = True

    def resume(self):
        self.paused = False

    def stop(self):
        self.running = False

    def sector_history(self, sector_id):
        if not self.frames:
            return pd.DataFrame(columns=[schema.TIMESTAMP, *schema.KPIS, schema.IS_ANOMALY])
        allf = pd.concat(self.frames, ignore_index=True)
        return allf[allf[schema.SECTOR] == sector_id]

    def emit(self, anomalous: list[int] = (), recovering: list[int] = ()) -> ScoredBatch:
        """One scored tick with the given sector positions flagged."""
        n = len(self.sectors)
        self.tick += 1
        ts = pd.Timestamp("2026-01-01", tz="UTC") + pd.Timedelta(minutes=15 * self.tick)
        frame = self.sectors.copy()
        frame[schema.TIMESTAMP] = ts
        for k in schema.KPIS:
            frame[k] = self.rng.uniform(10, 90, n)
        state = np.full(n, "normal", dtype=object)
        state[list(recovering)] = "recovering"
        state[list(anomalous)] = "anomalous"
        frame["state"] = state
        frame[schema.IS_ANOMALY] = state == "anomalous"
        frame[schema.SCORE] = np.where(frame[schema.IS_ANOMALY], 0.9, 0.1)
        frame[schema.TOP_KPI] = np.where(frame[schema.IS_ANOMALY], schema.PRB, "")
        self.frames.append(frame)
        batch = ScoredBatch(tick=self.tick, timestamp=ts, frame=frame, model_version=1,
                            detector_ready=True)
        for sink in self.sinks:
            sink(batch)
        return batch


@pytest.fixture
def monitor():
    return FakeMonitor()


@pytest.fixture
def dash(monitor):
    return Dashboard(monitor, provinces=SQUARE)


def _ids(layer) -> set[str]:
    return {f["properties"]["sector_id"] for f in layer.data["features"]}


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
    assert _ids(dash.map.anomalous) == {"S00001", "S00002"}
    assert _ids(dash.map.recovering) == {"S00003"}
    assert len(dash.charts.lines["n_anomalies"].y) == 1
    monitor.emit(anomalous=[7])
    assert _ids(dash.map.anomalous) == {"S00007"}
    assert _ids(dash.map.recovering) == set()
    assert list(dash.charts.lines["n_anomalies"].y) == [2.0, 1.0]
    assert len(dash.charts.lines[schema.PRB].x) == 2
    assert "S00007" in dash.feed.widget.value
    assert dash.feed.widget.value.index("S00007") < dash.feed.widget.value.index("S00001")
    assert 'tnb-status-tick">2<' in dash.status.widget.value


def test_chart_window_and_feed_are_bounded(monitor):
    dash = Dashboard(monitor, provinces=SQUARE, chart_window=5, feed_rows=7)
    for _ in range(9):
        monitor.emit(anomalous=[0, 1, 2])
    assert len(dash.charts.lines[schema.PAYLOAD].y) == 5
    assert len(dash.feed.rows) == 7
    assert dash.feed.widget.value.count("</tr>") == 7 + 1  # header row


def test_click_selects_sector_for_drilldown(dash, monitor):
    monitor.emit(anomalous=[4])
    monitor.emit()
    dash.map.base._handle_mouse_events(None, {"event": "click",
                                              "properties": {"sector_id": "S00004"}}, [])
    assert dash.map.selected == "S00004"
    assert "S00004" in dash.map.info.value and "prb_pct" in dash.map.info.value
    assert len(dash.drill.line.y) == 2
    assert len(dash.drill.points.y) == 1  # the one anomalous tick is marked
    dash.map.anomalous._handle_mouse_events(None, {"event": "mouseover",
                                                   "properties": {"sector_id": "S00009"}}, [])
    assert "S00009" in dash.map.info.value


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
    play = dash.heartbeat.widget
    assert play.interval == 1000 and play.layout.display == "none"
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
        assert fresh.widget.playing and traffic.messages == 1  # false -> true edge
        fresh.widget.value = 1  # a beat arrives: no longer stale
        traffic.reset()
        fresh.kick()
        assert traffic.messages == 0
    assert hb.stale


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
    assert len(dash.ticks) == 5  # every tick still recorded
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
    from telecom_nb.pipeline.monitor import Monitor

    return Monitor.simulated(n_sectors=kwargs.pop("n_sectors", 60), seed=0, **kwargs)


def test_dashboard_follows_a_real_monitor():
    import asyncio

    monitor = _real_monitor(interval=0.0)
    dash = Dashboard(monitor, provinces=SQUARE)
    batches = asyncio.run(monitor.step(30))
    dash.refresh()
    assert len(dash.ticks) == len(batches) == 30
    assert len(dash.charts.lines[schema.PRB].y) == 30
    last = batches[-1].frame
    flagged = set(last.loc[last["state"] == "anomalous", schema.SECTOR].astype(str))
    assert _ids(dash.map.anomalous) == flagged
    assert f"tick {monitor.tick}" in dash.status.widget.value.replace(
        '<span class="tnb-status-tick">', "").replace("</span>", "")
    sid = str(monitor.sectors[schema.SECTOR].iloc[0])
    dash.map.select(sid)
    assert len(dash.drill.line.y) > 0
    for name in monitor.detector.param_names():
        assert name in dash.controls.params
    beats = monitor.watchdog.beats
    dash.heartbeat.widget.value += 1  # what the browser's Play does every second
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
