"""A run of a rate's counts: drops against calls over a few periods, not one value's z."""

from __future__ import annotations

import numpy as np
import pytest

from telecom_nb.features import count_run
from telecom_nb.features.count_ratio import CountRatios, _signed_evidence
from telecom_nb.features.count_run import HOUR_NS, CountRuns, consistent, run_z


def test_run_z_of_whole_counts_is_the_binomial_evidence():
    k = np.array([0, 1, 2, 5, 9, 30, 1], dtype=float)
    n = np.array([10, 40, 20, 37, 40, 40, 2], dtype=float)
    p = np.array([0.004, 0.004, 0.004, 0.004, 0.05, 0.97, 0.97])
    want = _signed_evidence(k.astype(np.int64), n.astype(np.int64), p)
    assert np.allclose(run_z(k, n, p), want, atol=1e-6)
    # continuous in the counts: a decayed 3.5 drops lies between 3 and 4
    z = run_z(np.array([3.0, 3.5, 4.0]), np.full(3, 30.0), np.full(3, 0.004))
    assert z[0] < z[1] < z[2]


def _learned(seed: int = 3) -> tuple[CountRatios, CountRuns, np.random.Generator]:
    """A drop rate of 0.4 % of 8-14 calls per period on 100 sectors, 300 periods."""
    rng = np.random.default_rng(seed)
    counts, runs = CountRatios(1), CountRuns(1)
    rows, slot = np.arange(100), np.zeros(100, dtype=np.intp)
    for _ in range(300):
        calls = rng.integers(8, 15, 100)
        raw = (100.0 * rng.binomial(calls, 0.004) / calls).round(4)[:, None]
        runs.update(counts, rows, slot, raw, 100)
        counts.update(rows, slot, raw, 100)
    assert counts.ratios().tolist() == [True]
    return counts, runs, rng


def _tick(counts: CountRatios, runs: CountRuns, value: float, at: int = 0,
          step_ns: int = HOUR_NS) -> tuple[float, float]:
    """Sector ``at`` at ``value`` (the others at 0 %): (the value's own z, with the run's)."""
    rows, slot = np.arange(100), np.zeros(100, dtype=np.intp)
    raw = np.zeros((100, 1))
    raw[at, 0] = value
    expected = np.zeros((100, 1))
    read = counts.read(rows, slot, raw, expected)
    own = counts.evidence(rows, slot, raw, expected, read)
    both = runs.z(counts, read, rows, slot, raw, own, step_ns)
    runs.update(counts, rows, slot, raw, 100, step_ns)
    counts.update(rows, slot, raw, 100)
    return float(own[at, 0]), float(both[at, 0])


def test_drops_of_a_few_calls_hour_after_hour_add_up():
    """1 of 7, 1 of 11, 1 of 10 calls dropped in a row: each a z of 1.5-2, the third of
    them (decayed: ~2.3 drops in ~33 calls where ~0.15 were due) more."""
    counts, runs, _ = _learned()
    seen = [_tick(counts, runs, v) for v in (14.2857, 9.0909, 10.0)]
    own = [s[0] for s in seen]
    assert max(own) < 2.0
    assert seen[-1][1] > max(own) + 0.5
    # a 0 % right after lowers the run's z: it reads its own (the rows after a fault are
    # not read at the fault's run), but is likely at the run's rate (0 of ~10 calls at ~9 %):
    # no sign the surge ended, the run keeps its drops and the next drop reads them again
    after = _tick(counts, runs, 0.0)
    assert after[1] == after[0] <= 0.0
    again = _tick(counts, runs, 10.0)  # 1 of 10
    assert again[1] > again[0] + 0.5
    for _ in range(12):
        later = _tick(counts, runs, 0.0)
    assert later[1] < 0.5


def test_below_an_hour_the_runs_memory_is_data_time():
    """A surge of quarter hours of 2-4 calls, one dropped every other quarter hour (0.4 %
    usual): per value (0.7) the run holds ~3 quarter hours and stays at one drop's z; kept
    per hour of data (0.7 an hour) it adds the surge's 3 hours up, as hourly data would."""
    quarter = HOUR_NS // 4
    values = (33.3333, 0.0, 25.0, 0.0, 50.0, 0.0, 33.3333, 0.0, 25.0, 0.0, 33.3333, 0.0)

    def surge(span_ns: int) -> list[float]:
        counts, runs, _ = _learned()
        with pytest.MonkeyPatch.context() as mp:
            mp.setattr(count_run, "DECAY_SPAN_NS", span_ns)
            return [_tick(counts, runs, v, step_ns=quarter)[1] for v in values]

    assert count_run.decay_per_value(quarter) == pytest.approx(0.7**0.25)
    assert count_run.decay_per_value(HOUR_NS) == count_run.decay_per_value(2 * HOUR_NS) == 0.7
    per_value, per_hour = surge(0), surge(HOUR_NS)
    assert max(per_value) < 2.3
    assert per_hour[-2] > per_value[-2] + 0.5 and per_hour[-2] > 2.6
    # the quiet quarter hours lower the run: they read their own 0 (the hold rule)
    assert max(per_hour[1::2]) <= 0.0


def test_a_value_that_says_the_run_ended_is_not_read_at_the_runs_rate():
    """3 drops of 300 calls after a run at 4 % (usual 1 %) say it ended; 0 of 5 calls inside
    a run of 4 in 30 (usual 0.4 %) do not, nor 2 of 20; a low run's side is mirrored."""
    k = np.array([3.0, 0.0, 2.0, 0.0, 20.0])
    n = np.array([300.0, 5.0, 20.0, 40.0, 20.0])
    run_k = np.array([12.0, 4.0, 4.0, 4.0, 10.0])
    run_n = np.array([300.0, 30.0, 30.0, 30.0, 20.0])
    rate = np.array([0.01, 0.004, 0.004, 0.004, 0.99])
    assert consistent(k, n, run_k, run_n, rate).tolist() == [False, True, True, False, False]


def test_one_drop_after_quiet_hours_is_no_more_than_itself():
    counts, runs, _ = _learned()
    for _ in range(3):
        _tick(counts, runs, 0.0)
    own, both = _tick(counts, runs, 9.0909)  # 1 of 11
    assert both == own
    # 100 % after 0 % values of a few calls is 1 drop of 1 call (z ~2.6 at 0.4 %), also in
    # the run: not a typical period's 8-14 calls all dropped (z 4.75 after the caps)
    own, both = _tick(counts, runs, 100.0, at=1)
    assert 2.0 < own < 3.0 and both == pytest.approx(own)
    # a second one right after adds up (~1.7 drops of ~1.7 calls where 0.007 were due)
    assert _tick(counts, runs, 100.0, at=1)[1] > own + 0.5
    # a new sector is judged at the fleet's rate from its first values, not at the
    # seasonal expectation of 0 % (at which 1 drop of 10 calls read z 4.75)
    counts.update(np.array([100]), np.zeros(1, dtype=np.intp), np.zeros((1, 1)), 101)
    z = counts.evidence(np.array([100]), np.zeros(1, dtype=np.intp), np.array([[10.0]]),
                        np.zeros((1, 1)))
    assert 1.0 < z[0, 0] < 2.5


def test_a_checkpoint_from_before_the_runs_restores_and_goes_on():
    """Lumpy KPIs saved without the runs and the fleet's rate (older code) restore: the
    runs start empty, the fleet's rate is the restored sectors' mean."""
    from telecom_nb.engine.snapshot import StateError, capture, restore
    from telecom_nb.features.lumpy import LumpyKpis

    rng = np.random.default_rng(1)
    lumpy = LumpyKpis(("drop",), (), 24)
    rows = np.arange(100)
    for t in range(60):
        calls = rng.integers(8, 15, 100)
        raw = (100.0 * rng.binomial(calls, 0.02) / calls).round(4)[:, None]
        slots = (np.full(100, t % 24), np.full(100, t % 168))
        lumpy.update(rows, slots, np.full(100, t // 24), raw, 100)
    tree, arrays = capture(lumpy)
    del tree["attrs"]["runs_"]
    del tree["attrs"]["counts_"]["attrs"]["fleet_rate_"]
    fresh = restore(LumpyKpis(("drop",), (), 24), tree, arrays)
    assert len(fresh.runs_.events_) == 0
    want = lumpy.counts_.rate_[:100, 0].mean()
    assert np.isclose(fresh.counts_.fleet_rate_[0], want)
    fresh.update(rows, slots, np.full(100, 3), raw, 100)  # goes on
    assert len(fresh.runs_.events_) >= 100
    del tree["attrs"]["counts_"]["attrs"]["rate_"]  # other state is still refused, by name
    with pytest.raises(StateError, match="rate_"):
        restore(LumpyKpis(("drop",), (), 24), tree, arrays)


def test_a_runs_z_is_not_capped_at_the_values_own_evidence():
    """The lumpy holder caps a value read in counts at its own binomial evidence against the
    seasonal expectation; where the run's z stands it is the evidence of the run's counts
    (1 of 7 calls after 2 of 10 and 1 of 8 at 0.4 %: a cap of ~2.5 on a run of ~4)."""
    from telecom_nb.features.lumpy import LumpyKpis

    rng = np.random.default_rng(3)
    lumpy = LumpyKpis(("Drop Rate (%)",), (), 1)
    rows, day = np.arange(100), np.zeros(100)
    slots = (np.zeros(100, np.intp), np.zeros(100, np.intp))
    for _ in range(300):
        calls = rng.integers(8, 15, 100)
        raw = (100.0 * rng.binomial(calls, 0.004) / calls).round(4)[:, None]
        lumpy.update(rows, slots, day, raw, 100)
    expected = np.full((100, 1), 2.0)  # a seasonal expectation of 2 %: one drop of 7 is ~1 z
    for value in (20.0, 12.5, 14.2857):
        raw = np.zeros((100, 1))
        raw[0, 0] = value
        cap = lumpy.counts_.caps(rows, slots[0], raw, expected)[0, 0]
        out = lumpy.z(rows, slots, day, raw, expected, np.full((100, 1), 50.0), HOUR_NS)[0, 0]
        lumpy.update(rows, slots, day, raw, 100)
    assert cap < 2.5
    assert out > cap + 1.0
