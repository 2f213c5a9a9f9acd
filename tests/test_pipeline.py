"""The asyncio pipeline: deterministic steps, live mode, control, sinks and retrains."""

from __future__ import annotations

import asyncio

import numpy as np
import pandas as pd
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
from telecom_nb.errors import ParameterError


def test_step_scores_batches_in_order_and_sets_state_column():
    batches = [make_batch(t, 4, anomalous=[1] if t in (2, 3) else []) for t in range(6)]
    seen = []
    pipe = make_runner(ListSource(batches), ThresholdDetector(every=1), [seen.append], interval=0)

    out = run(pipe.step(6))

    assert [s.tick for s in out] == [1, 2, 3, 4, 5, 6]
    assert [s.timestamp for s in out] == [b[schema.TIMESTAMP].iloc[0] for b in batches]
    assert seen == out  # the sink got every scored batch
    states = [s.frame.set_index(schema.SECTOR)["state"]["S0001"] for s in out]
    assert states == ["normal", "normal", "anomalous", "anomalous", "recovering", "recovering"]
    assert {schema.SCORE, schema.IS_ANOMALY, schema.TOP_KPI, "state"} <= set(out[0].frame)
    assert pipe.detector.model_version_ == 6  # every=1: a synchronous retrain per batch
    assert out[-1].model_version == 5 and out[-1].detector_ready


def test_step_stops_at_end_of_source_with_finished_status():
    pipe = make_runner(ListSource([make_batch(t) for t in range(2)]), ThresholdDetector(),
                    interval=0)
    assert len(run(pipe.step(5))) == 2
    assert pipe.status == "finished"


def test_live_run_processes_every_batch_until_max_ticks():
    seen = []
    source = CountingSource(3)

    async def main():
        pipe = make_runner(source, ThresholdDetector(every=3), [seen.append], interval=0,
                        max_ticks=20)
        pipe.start()
        assert await pipe.wait() == "finished"
        assert pipeline_tasks() == []
        return pipe

    pipe = run(main())
    assert [s.tick for s in seen] == list(range(1, 21))
    assert source.calls == 20  # the producer never over-fetches past max_ticks
    # Background retrains were installed; one asked for while another is still fitting
    # is skipped and counted (how many overlap depends on the machine's load).
    installed = pipe.detector.model_version_
    assert installed >= 1
    assert installed + pipe.counters["retrains_skipped"] >= 5
    assert retrain_threads() == []


def test_start_twice_never_starts_two_tasks():
    async def main():
        pipe = make_runner(CountingSource(), ThresholdDetector(), interval=0.01)
        first = pipe.start()
        second = pipe.start()
        assert first is second
        assert len([t for t in pipeline_tasks() if t.get_name() == "telecom-nb-stream"]) == 1
        await asyncio.sleep(0.05)
        pipe.stop()
        pipe.stop()
        await pipe.wait()
        assert pipeline_tasks() == []
        assert pipe.status == "stopped"

    run(main())


def test_pause_holds_the_stream_and_resume_continues():
    async def main():
        pipe = make_runner(CountingSource(), ThresholdDetector(), interval=0.005)
        pipe.start()
        await asyncio.sleep(0.05)
        pipe.pause()
        async with pipe._lock:  # the tick in flight when paused (if any) has finished
            held = pipe.tick
        await asyncio.sleep(0.1)
        assert pipe.tick == held and pipe.status == "paused"
        pipe.resume()
        await asyncio.sleep(0.1)
        assert pipe.tick > held
        await pipe.aclose()

    run(main())


def test_step_while_paused_keeps_order_and_stays_paused():
    seen = []

    async def main():
        pipe = make_runner(CountingSource(), ThresholdDetector(), [seen.append], interval=0.002)
        pipe.start()
        await asyncio.sleep(0.03)
        pipe.pause()
        await asyncio.sleep(0.02)  # producer fills the queue while the consumer is held
        with pytest.raises(RuntimeError):
            pipe.resume()
            await pipe.step(1)  # not paused any more
        pipe.pause()
        await pipe.step(3)
        assert pipe.status == "paused" and pipe.running and pipe.paused
        pipe.resume()
        await asyncio.sleep(0.03)
        await pipe.aclose()

    run(main())
    stamps = [s.timestamp for s in seen]
    assert stamps == sorted(stamps) and len(set(stamps)) == len(stamps)
    # no batch was lost across pause/step/resume: ticks are consecutive network times
    assert all(np.diff([t.value for t in stamps]) == pd.Timedelta("15min").value)


async def _until(condition, timeout: float = 10.0) -> None:
    """Wait for `condition` without a fixed sleep, so a loaded machine cannot fail the test."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not condition():
        assert loop.time() < deadline, "condition not reached in time"
        await asyncio.sleep(0.01)


def test_interval_is_validated_and_changes_live():
    async def main():
        pipe = make_runner(CountingSource(), ThresholdDetector(), interval=60)
        pipe.start()
        await _until(lambda: pipe.tick >= 1)
        await asyncio.sleep(0.05)
        assert pipe.tick == 1  # the first batch comes at once, the next in 60 s
        pipe.interval = 0  # wakes the producer's pacing immediately
        await _until(lambda: pipe.tick > 3)  # long before the 60 s pacing would end
        await pipe.aclose()

    run(main())
    with pytest.raises(ParameterError, match="interval"):
        make_runner(CountingSource(), ThresholdDetector(), interval=-1)


def test_start_outside_a_running_loop_says_how_to_use_it():
    pipe = make_runner(CountingSource(), ThresholdDetector())
    with pytest.raises(RuntimeError, match="running event loop"):
        pipe.start()


def test_big_batches_are_scored_off_the_loop_thread():
    import threading

    threads = []

    class Recording(ThresholdDetector):
        def score(self, batch):
            threads.append(threading.current_thread() is threading.main_thread())
            return super().score(batch)

    pipe = make_runner(ListSource([make_batch(0, 50), make_batch(1, 3)]), Recording(),
                    interval=0, offload_rows=10)
    run(pipe.step(2))
    assert threads == [False, True]
