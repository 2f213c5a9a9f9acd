"""The Monitor: observable state (once per tick), data access, sinks, watchdog."""

from __future__ import annotations

import asyncio

import pandas as pd
import pytest
from pipeline_fakes import CountingSource, ListSource, ThresholdDetector, make_batch, run

from telecom_nb import schema
from telecom_nb.engine import CoalescingSink, Monitor
from telecom_nb.errors import ParameterError


def monitor_over(n_ticks=6, n_sectors=4, anomalous=(1,), **kw) -> Monitor:
    batches = [make_batch(t, n_sectors, anomalous=anomalous) for t in range(n_ticks)]
    return Monitor(ListSource(batches), ThresholdDetector(every=2), interval=0, **kw)


def test_traits_follow_the_stream_and_change_once_per_tick():
    monitor = monitor_over()
    changes: list[str] = []
    monitor.observe(lambda c: changes.append(c["name"]), names=["tick", "sim_time"])
    run(monitor.step(3))
    assert monitor.tick == 3 and changes.count("tick") == 3
    assert monitor.sim_time == pd.Timestamp(make_batch(2)[schema.TIMESTAMP].iloc[0]).isoformat()
    assert monitor.n_anomalies == 1 and monitor.total_anomalies == 1  # ready after tick 2
    assert monitor.open_episodes == 1
    assert monitor.model_version == 1 and monitor.last_retrain
    assert monitor.model_age == "15 min"  # model fitted on tick 2's data, now at tick 3
    assert monitor.warmup_progress == 1.0 and monitor.rows_per_s > 0
    assert monitor.counters["batches"] == 3 and monitor.counters["batches_rejected"] == 0


def test_status_goes_through_warming_up_running_finished():
    seen: list[str] = []

    async def main():
        monitor = Monitor(CountingSource(), ThresholdDetector(warmup=3, every=3), interval=0,
                          max_ticks=8)
        monitor.observe(lambda c: seen.append(c["new"]), names="status")
        monitor.start()
        await monitor.wait()
        return monitor

    monitor = run(main())
    assert seen[0] == "warming_up" and "running" in seen and seen[-1] == "finished"
    assert monitor.tick == 8 and not monitor.running


def test_data_access_frames():
    monitor = monitor_over(n_ticks=8)
    run(monitor.step(8))
    hist = monitor.history_frame()
    assert len(hist) == 8 and {"timestamp", "tick", "n_anomalies", "n_rows"} <= set(hist)
    one = monitor.sector_history("S0001")
    assert len(one) == 8 and one[schema.IS_ANOMALY].iloc[-1]
    assert monitor.latest is not None and len(monitor.latest) == 4
    anomalies = monitor.anomalies_frame()
    assert (anomalies[schema.SECTOR] == "S0001").all() and len(anomalies) == 6
    episodes = monitor.episodes_frame()
    assert list(episodes[schema.SECTOR]) == ["S0001"]
    assert episodes[schema.PROVINCE].iloc[0] == "Tehran"
    assert list(monitor.sectors.columns) == [schema.SECTOR, schema.PROVINCE, schema.LAT,
                                             schema.LON]


def test_sectors_grow_when_new_ones_appear():
    batches = [make_batch(0, 3), make_batch(1, 5)]
    monitor = Monitor(ListSource(batches), ThresholdDetector(), interval=0)
    assert len(monitor.sectors) == 3
    run(monitor.step(2))
    assert list(monitor.sectors[schema.SECTOR]) == [f"S{i:04d}" for i in range(5)]


def test_interval_and_timeout_traits_are_validated_and_drive_the_pipeline():
    monitor = monitor_over()
    monitor.interval = 0.25
    assert monitor.runner.interval == 0.25
    with pytest.raises(ParameterError, match="interval"):
        monitor.interval = -1
    assert monitor.interval == 0.25
    with pytest.raises(ParameterError, match="idle_timeout"):
        monitor.idle_timeout = -5
    monitor.max_ticks = 4
    assert monitor.runner.max_ticks == 4


def test_user_sinks_can_be_added_and_removed():
    monitor = monitor_over()
    got = []
    monitor.add_sink(got.append)
    run(monitor.step(2))
    monitor.remove_sink(got.append)
    run(monitor.step(2))
    assert [s.tick for s in got] == [1, 2]
    assert monitor.tick == 4  # internal sinks still run


def test_coalescing_sink_skips_frames_while_history_sees_every_batch():
    async def main():
        monitor = Monitor(CountingSource(3), ThresholdDetector(), interval=0, max_ticks=60)
        sink = CoalescingSink()
        monitor.add_sink(sink)
        drawn = []

        async def slow_ui():
            while monitor.running or sink.pending:
                sink.render_pending(lambda s: drawn.append(s.tick))
                await asyncio.sleep(0.02)  # a front end slower than the stream

        monitor.start()
        await asyncio.gather(monitor.wait(), slow_ui())
        return monitor, sink, drawn

    monitor, sink, drawn = run(main())
    assert len(monitor.history_frame()) == 60 and sink.received == 60
    assert sink.skipped > 0 and sink.rendered == len(drawn) < 60
    assert drawn[-1] == 60  # the last state is always drawn
    assert sink.skipped + sink.rendered == sink.received


def test_watchdog_pauses_without_heartbeat_and_resumes_on_the_next():
    clock = [0.0]

    async def main():
        monitor = Monitor(CountingSource(), ThresholdDetector(), interval=0.005,
                          idle_timeout=30)
        monitor.watchdog._clock = lambda: clock[0]
        monitor.start()
        await asyncio.sleep(0.05)
        assert monitor.status != "paused"  # no heartbeat seen yet: never paused
        monitor.heartbeat()
        clock[0] = 10
        await asyncio.sleep(0.03)
        assert monitor.status != "paused"
        clock[0] = 45  # page closed 35 s ago
        await asyncio.sleep(0.05)
        assert monitor.status == "paused" and monitor.paused
        assert "heartbeat" in monitor.last_message
        held = monitor.tick
        await asyncio.sleep(0.05)
        assert monitor.tick == held
        monitor.heartbeat()  # the page is back
        await asyncio.sleep(0.05)
        assert monitor.status == "running" and monitor.tick > held
        await monitor.aclose()
        assert monitor.status == "stopped"

    run(main())


def test_user_pause_is_not_undone_by_a_heartbeat():
    async def main():
        monitor = Monitor(CountingSource(), ThresholdDetector(), interval=0.005,
                          idle_timeout=30)
        monitor.start()
        await asyncio.sleep(0.02)
        monitor.pause()
        monitor.heartbeat()
        assert monitor.paused
        await monitor.aclose()

    run(main())


def test_simulated_monitor_runs_the_real_stack():
    pytest.importorskip("telecom_nb.sources.simulator")
    detectors = pytest.importorskip("telecom_nb.detectors")
    if not hasattr(detectors, "make_detector"):
        pytest.skip("make_detector not landed yet")
    monitor = Monitor.simulated(n_sectors=60, seed=0, interval=0)
    run(monitor.step(12))
    assert monitor.tick == 12 and len(monitor.sectors) == 60
    assert monitor.status in {"idle", "warming_up", "running"}
    assert monitor.counters["batches_rejected"] == 0


def test_recent_episodes_and_history_window():
    monitor = monitor_over(n_ticks=8, n_sectors=6, anomalous=(1, 2))
    run(monitor.step(8))
    recent = monitor.recent_episodes(limit=1)
    assert len(recent) == 1 and recent[schema.PROVINCE].iloc[0] in {"Tehran", "Fars"}
    both = monitor.recent_episodes()
    assert set(both[schema.SECTOR]) == {"S0001", "S0002"}
    assert list(both[schema.PROVINCE]) == ["Tehran" if s == "S0001" else "Fars"
                                           for s in both[schema.SECTOR]]
    assert list(monitor.history_frame(last=3)["tick"]) == [6, 7, 8]
