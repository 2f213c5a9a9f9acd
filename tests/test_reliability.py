"""'The monitor survives ...': bad input, failing parts, control races, long runs."""

from __future__ import annotations

import asyncio
import threading
from pathlib import Path

import numpy as np
import pytest
from pipeline_fakes import (
    CountingSource,
    ListSource,
    ThresholdDetector,
    make_batch,
    make_runner,
    pipeline_tasks,
    retrain_threads,
    run,
)

from telecom_nb import schema
from telecom_nb.alarms import EpisodeTracker
from telecom_nb.engine import Monitor


def bad_stream() -> list:
    """Good batches with every kind of bad batch in between (ticks strictly increase)."""
    b = [make_batch(t, 6, anomalous=[2]) for t in range(14)]
    nan_inf = b[1].copy()
    nan_inf.loc[0, schema.PAYLOAD] = np.nan
    nan_inf.loc[1, schema.THROUGHPUT] = np.inf
    out_of_range = b[2].copy()
    out_of_range.loc[0, schema.PRB] = 140.0
    out_of_range.loc[1, schema.AVAILABILITY] = -3.0
    missing_column = b[3].drop(columns=[schema.PRB])
    extra_column = b[4].assign(vendor="x")
    wrong_dtype = b[5].astype({schema.PAYLOAD: str})
    wrong_dtype.loc[2, schema.PAYLOAD] = "n/a"
    empty = b[6].iloc[0:0]
    duplicates = b[7].iloc[[0, 0, 1, 2, 3, 4, 5]].reset_index(drop=True)
    late = b[2].copy()  # a timestamp already seen
    new_sector = make_batch(9, 8, anomalous=[2])  # S0006, S0007 appear
    vanished = make_batch(10, 4, anomalous=[2])  # S0004.. absent
    return [b[0], nan_inf, out_of_range, missing_column, extra_column, wrong_dtype, empty,
            duplicates, late, new_sector, vanished, b[11], b[12], b[13]]


def test_bad_batches_mid_stream_are_repaired_or_rejected_and_the_stream_goes_on():
    pytest.importorskip("telecom_nb.sources.validation")

    async def main():
        monitor = Monitor(ListSource(bad_stream()), ThresholdDetector(every=1), interval=0)
        monitor.start()
        await monitor.wait()
        return monitor

    monitor = run(main())
    c = monitor.counters
    assert monitor.status == "finished" and monitor.error == ""
    assert c["batches_rejected"] == 3  # missing column, empty batch, late batch
    assert monitor.tick == 14 - 3
    assert c["values_blank"] >= 2 and c["values_clipped"] >= 2 and c["values_coerced"] >= 1
    assert c["rows_dropped[duplicate sector]"] == 1
    assert c["new_sectors"] >= 2 and c["sectors_missing"] >= 4
    assert len(monitor.sectors) == 8
    assert np.isfinite(monitor.history_frame()[f"{schema.PAYLOAD}_mean"]).all()


def test_unusable_batches_are_rejected_by_reason_and_the_stream_goes_on():
    b = [make_batch(t) for t in range(4)]
    stream = [b[0], b[1].iloc[0:0], b[0], b[1].drop(columns=[schema.PRB]), b[2], b[3]]
    pipe = make_runner(ListSource(stream), ThresholdDetector(), interval=0)
    messages = []
    pipe.listeners.append(lambda event: event == "message" and messages.append(pipe.last_message))
    out = run(pipe.step(len(stream)))
    assert [s.tick for s in out] == [1, 2, 3]
    c = pipe.counters
    assert c["batches_rejected"] == 3
    assert c["batches_rejected[empty batch]"] == 1 and c["batches_rejected[late batch]"] == 1
    assert c["batches_rejected[missing column]"] == 1
    assert c["rows_rejected"] == len(b[0]) + len(b[1])
    assert [m.split(":")[0] for m in messages] == ["rejected batch"] * 3
    assert "empty" in messages[0] and "late" in messages[1] and "prb_pct" in messages[2]


def test_a_failing_sink_neither_stops_the_detector_nor_the_other_sinks():
    got = []

    def broken(scored):
        raise ValueError("renderer crashed")

    monitor = Monitor(CountingSource(), ThresholdDetector(), interval=0)
    monitor.add_sink(broken)
    monitor.add_sink(got.append)
    run(monitor.step(5))
    assert [s.tick for s in got] == [1, 2, 3, 4, 5]
    assert monitor.counters["sink_errors"] == 5
    assert "renderer crashed" in monitor.runner.last_sink_error
    assert len(monitor.history_frame()) == 5


def test_a_failing_retrain_keeps_the_old_model_and_is_reported():
    async def main():
        detector = ThresholdDetector(every=2)
        monitor = Monitor(CountingSource(), detector, interval=0, max_ticks=30)
        await monitor.step(2)  # first model installed synchronously
        first = detector.model_
        detector.fail_fit = True
        monitor.start()
        await monitor.wait()
        return monitor, detector, first

    monitor, detector, first = run(main())
    assert monitor.status == "finished" and monitor.tick == 30
    assert detector.model_ is first and detector.model_version_ == 1
    assert monitor.counters["retrains_failed"] >= 1
    assert detector.retrain_failures_ >= 1 and "fit exploded" in detector.last_error_
    assert retrain_threads() == []


def test_a_failing_source_fails_the_stream_visibly_and_leaves_no_task():
    async def main():
        source = ListSource([make_batch(0), make_batch(1), OSError("feed went away")])
        monitor = Monitor(source, ThresholdDetector(), interval=0)
        monitor.start()
        await monitor.wait()
        assert pipeline_tasks() == []
        return monitor

    monitor = run(main())
    assert monitor.status == "failed" and not monitor.running
    assert "feed went away" in monitor.error and monitor.tick == 2


def test_step_reraises_a_source_error_after_recording_it():
    pipe = make_runner(ListSource([KeyError("boom")]), ThresholdDetector(), interval=0)
    with pytest.raises(KeyError):
        run(pipe.step(1))
    assert pipe.status == "failed" and "boom" in pipe.error


def test_stop_during_a_retrain_never_half_swaps_the_model_nor_leaves_a_thread():
    async def main():
        detector = ThresholdDetector(every=1, fit_delay=0.3)
        pipe = make_runner(CountingSource(), detector, interval=0.01)
        pipe.start()
        while not detector.fit_started.is_set():
            await asyncio.sleep(0.005)
        pipe.stop()
        pipe.stop()  # twice is fine
        await pipe.wait()
        assert pipeline_tasks() == [] and retrain_threads() == []
        assert detector.model_ is None and detector.model_version_ == 0
        assert pipe.counters["retrains_discarded"] == 1
        assert detector.fit_threads and detector.fit_threads[0].startswith("telecom-nb-retrain")
        assert pipe.status == "stopped"

    run(main())


def test_stop_during_warm_up_and_from_another_thread():
    async def main():
        detector = ThresholdDetector(warmup=10_000)
        pipe = make_runner(CountingSource(), detector, interval=0.01)
        pipe.start()
        await asyncio.sleep(0.03)
        assert pipe.status == "warming_up"
        threading.Thread(target=pipe.stop).start()
        await asyncio.wait_for(pipe.wait(), 2)
        assert pipe.status == "stopped" and pipeline_tasks() == []

    run(main())


def test_cancelling_the_task_directly_is_a_clean_stop():
    async def main():
        pipe = make_runner(CountingSource(), ThresholdDetector(every=1), interval=0.002)
        task = pipe.start()
        await asyncio.sleep(0.05)
        task.cancel()  # e.g. a kernel interrupt cancelling it
        await pipe.wait()
        assert pipe.status == "stopped" and not pipe.running
        assert pipeline_tasks() == [] and retrain_threads() == []
        ticks = pipe.tick
        pipe.start()  # restartable, continues where it was
        await asyncio.sleep(0.05)
        await pipe.aclose()
        return pipe, ticks

    pipe, ticks = run(main())
    assert pipe.tick > ticks


class FlappingSource(CountingSource):
    """Its anomalous sectors are clean every other tick: their episodes open and close."""

    def __init__(self, n_sectors: int, anomalous) -> None:
        super().__init__(n_sectors, anomalous)
        self._clean = make_batch(0, n_sectors)

    def next_batch(self):
        batch = super().next_batch()
        if self.calls % 2:
            return batch
        return self._clean.assign(**{schema.TIMESTAMP: batch[schema.TIMESTAMP]})


def test_soak_accelerated_stream_keeps_every_structure_bounded():
    async def main():
        monitor = Monitor(
            FlappingSource(200, anomalous=range(0, 200, 7)),
            ThresholdDetector(every=50),
            interval=0,
            max_ticks=400,  # past every bound below (history 300 ticks, the feed, 16 ticks)
            history_ticks=300,
            sector_ticks=16,
            feed_size=50,
        )
        monitor.episodes.set_params(close_after=1, max_closed=100)
        monitor.start()
        await monitor.wait()
        return monitor

    monitor = run(main())
    assert monitor.tick == 400 and monitor.status == "finished"
    assert len(monitor.history_frame()) == 300
    assert len(monitor.anomalies_frame()) == 50
    assert monitor.episodes.n_closed_ > 1_000  # the closed list's bound is reached
    assert len(monitor.episodes.closed_) <= 100
    assert monitor.sector_buffer._values.shape[0] == 16
    assert len(monitor.sector_history("S0007")) == 16
    assert monitor.counters["batches"] == 400


def test_episode_tracker_closed_list_bounded_under_flapping():
    tracker = EpisodeTracker(close_after=1, max_closed=20)
    ids = np.array([f"s{i}" for i in range(100)], dtype=object)
    import pandas as pd

    for t in range(100):
        flags = np.full(100, t % 2 == 0)
        frame = pd.DataFrame({schema.SECTOR: ids, schema.IS_ANOMALY: flags,
                              schema.SCORE: flags * 1.0, schema.TOP_KPI: ""})
        tracker.update(frame, pd.Timestamp("2024-01-01", tz="UTC") + t * pd.Timedelta("1h"))
    assert tracker.n_closed_ == 5_000 and len(tracker.closed_) == 20


def test_the_package_opens_no_network_port():
    psutil = pytest.importorskip("psutil")
    package = Path(__file__).resolve().parents[1] / "telecom_nb"
    engine = [p for p in package.rglob("*.py") if "ui" not in p.parts]
    for path in engine:
        text = path.read_text()
        assert "import socket" not in text and "asyncio.start_server" not in text, path

    async def main():
        monitor = Monitor(CountingSource(), ThresholdDetector(), interval=0, max_ticks=5)
        monitor.start()
        await monitor.wait()

    before = {c.laddr for c in psutil.Process().net_connections("inet") if c.status == "LISTEN"}
    run(main())
    after = {c.laddr for c in psutil.Process().net_connections("inet") if c.status == "LISTEN"}
    assert after <= before


def test_a_fit_discarded_by_a_stop_does_not_block_later_retrains():
    """A stopped stream discards the fit in flight; the detector must be free to ask again."""
    from telecom_nb.detectors import make_detector

    async def main():
        detector = make_detector("robust_z", warmup_batches=2, retrain_interval="15min")
        pipe = make_runner(CountingSource(n_sectors=40), detector, interval=0)
        await pipe.step(3)  # warm-up: the first model is fitted in line
        version = detector.model_version_
        pipe.start()  # live: the next retrains are fitted in the worker thread
        while not pipe.retrain_in_flight:
            await asyncio.sleep(0.001)
        pipe.stop()
        await pipe.wait()
        assert pipe.counters["retrains_discarded"] >= 1
        await pipe.step(3)  # the stream goes on (here in line): the detector asks again
        assert detector.model_version_ > version
        await pipe.aclose()

    run(main())


def test_a_batch_the_detector_refuses_is_counted_with_its_reason():
    """A batch the validator passed but the detector's view refused was said ("rejected
    batch: ...") but never counted: the status line read "batches rejected 0" (walk43)."""
    from telecom_nb.errors import KpiInputError

    class Refusing(ThresholdDetector):
        def score(self, batch):
            if self.scored_ == 1:
                self.scored_ += 1
                raise KpiInputError("KPI column(s) prb_pct missing", reason="missing column")
            return super().score(batch)

    b = [make_batch(t) for t in range(4)]
    pipe = make_runner(ListSource(b), Refusing(), interval=0)
    out = run(pipe.step(len(b)))
    c = pipe.counters
    assert len(out) == 3 and c["batches_rejected"] == 1
    assert c["batches_rejected[detector: missing column]"] == 1
    assert c["rows_rejected"] == len(b[1])
