"""A CUSUM of a ratio's counts on a null of its own: a surge's drops summed over its hours,
two drops of a quiet cell left to their own evidence."""

from __future__ import annotations

import copy

import numpy as np
import pytest
from scipy.stats import binom

from telecom_nb.features import count_cusum
from telecom_nb.features.count_cusum import marginal_steps, steps
from telecom_nb.features.count_run import HOUR_NS
from telecom_nb.features.lumpy import LumpyKpis

ROWS = np.arange(100)
SLOTS = (np.zeros(100, np.intp), np.zeros(100, np.intp))
DAY = np.zeros(100)
KPI = ("VoLTE Drop Rate (%)",)


def _normal_hour(rng: np.random.Generator) -> np.ndarray:
    """A drop rate of 0.4 % of 8-14 calls an hour on 100 sectors."""
    calls = rng.integers(8, 15, 100)
    return (100.0 * rng.binomial(calls, 0.004) / calls).round(4)[:, None]


@pytest.fixture(scope="module")
def learned_once() -> LumpyKpis:
    """300 normal hours (one learning for the file: ~1 s CPU)."""
    rng = np.random.default_rng(5)
    lumpy = LumpyKpis(KPI, (), 1)
    for _ in range(300):
        lumpy.update(ROWS, SLOTS, DAY, _normal_hour(rng), 100)
    return lumpy


@pytest.fixture
def learned(learned_once: LumpyKpis) -> LumpyKpis:
    return copy.deepcopy(learned_once)


def _hour(lumpy: LumpyKpis, value: float, step_ns: int = HOUR_NS) -> float:
    """Sector 0 at ``value`` (the others at 0 %): its z, then learned."""
    raw = np.zeros((100, 1))
    raw[0, 0] = value
    z = lumpy.z(ROWS, SLOTS, DAY, raw, np.zeros((100, 1)), np.zeros((100, 1)), step_ns)
    lumpy.update(ROWS, SLOTS, DAY, raw, 100, step_ns)
    return float(z[0, 0])


def test_a_step_is_the_log_likelihood_ratio_of_the_rarer_outcome():
    k, n, p = np.array([1.0, 0.0, 9.0]), np.full(3, 10.0), np.array([0.004, 0.004, 0.99])
    step, side = steps(k, n, p)
    q = count_cusum.RATIO * 0.004
    assert side.tolist() == [1.0, 1.0, -1.0]
    assert np.isclose(step[0], np.log(q / 0.004) + 9 * (np.log1p(-q) - np.log1p(-0.004)))
    assert step[1] < 0.0 < step[0]
    assert step[2] > 0.0  # a success rate's failure: 1 of 10 at 1 %
    # under the sector's rate E[exp(step)] = 1: the sum's chance bound exp(-h) holds
    kk = np.arange(11.0)
    mean = np.sum(
        binom.pmf(kk, 10, 0.004) * np.exp(steps(kk, np.full(11, 10.0), np.full(11, 0.004))[0])
    )
    assert np.isclose(mean, 1.0)


def test_a_success_rates_surge_of_a_few_times_its_failures_raises_the_sum():
    """A handover success rate failing 2 % of attempts: 1 failure of 10 (5x) and 2 of 12 are
    surge evidence, not against it (tested against 40 % they lowered the sum); a value at
    the sector's own share still lowers it."""
    k, n = np.array([9.0, 10.0, 49.0]), np.array([10.0, 12.0, 50.0])
    step, side = steps(k, n, np.full(3, 0.98))
    assert side.tolist() == [-1.0, -1.0, -1.0]
    assert step[0] > 0.0 and step[1] > 0.0 > step[2]


def test_the_null_is_learned_from_the_rows_that_read_the_sum(learned):
    cusum = learned.cusum_
    n_read = cusum.hist_[0].sum()
    assert n_read >= count_cusum.MIN_READ
    assert 0.001 < n_read / cusum.counted_[0] < 0.02
    log_p = cusum.log_p(np.zeros(3, np.intp), np.array([4.0, 8.0, 12.0]))
    assert np.allclose(np.diff(log_p), -4.0 / count_cusum.SCALE)
    # rarer than the chance bound exp(-s) says (that bound holds for every row, the reading
    # rows are a few per thousand)
    assert (log_p < -np.array([4.0, 8.0, 12.0])).all()
    fresh = count_cusum.CountCusum(1)  # no reading rows yet: the chance bound itself
    assert np.isclose(fresh.log_p(np.zeros(1, np.intp), np.array([8.0]))[0], -8.0)


def test_a_surges_drops_add_up_over_its_hours_with_quiet_hours_inside(learned, monkeypatch):
    """A drop of 5-12 calls most hours, 0 % hours between: each hour's own z ~2-3, the run
    (0.3 forgotten an hour) never 5; the sum reads beyond 9 once it is rare on its null
    (about the sixth drop here), not before."""
    surge = (14.2857, 0.0, 11.1111, 20.0, 0.0, 12.5, 10.0, 16.6667)
    plain = copy.deepcopy(learned)  # the same fleet ...
    z = [_hour(learned, v) for v in surge]
    assert max(z) > 9.0
    assert max(z[:4]) < 4.0  # a sum of 6.5 nats is 1 in ~15,000 rows here: not yet
    assert z[1] <= 0.0 and z[4] <= 0.0  # the quiet hours read their own
    monkeypatch.setattr(count_cusum, "P_READ", 1e-300)  # ... whose sums are never read
    assert max(_hour(plain, v) for v in surge) < 5.0


def test_two_drops_of_a_quiet_cell_read_their_own_evidence(learned):
    """The twenty-third session's false alarms: two drops in two hours sum ~4.5 nats, an
    everyday sum on the null (a few per thousand rows read one): read the run's z."""
    for _ in range(3):
        _hour(learned, 0.0)
    first, second = _hour(learned, 10.0), _hour(learned, 8.3333)
    assert learned.cusum_.sum_[0, 0] > 3.5
    assert first < 3.5 and second < 4.0


def test_blank_hours_decay_the_sum_and_finer_data_keep_none(learned):
    _hour(learned, 14.2857)
    _hour(learned, 12.5)
    before = float(learned.cusum_.sum_[0, 0])
    _hour(learned, np.nan)
    assert np.isclose(learned.cusum_.sum_[0, 0], before * count_cusum.DECAY, rtol=1e-5)
    quarter = copy.deepcopy(learned)
    quarter.cusum_ = count_cusum.CountCusum(1)
    for v in (14.2857, 0.0, 11.1111, 20.0):
        _hour(quarter, v, HOUR_NS // 4)
    assert quarter.cusum_.sum_[0, 0] > 3.5  # quarter hours keep sums (three drops)
    fine = copy.deepcopy(learned)
    fine.cusum_ = count_cusum.CountCusum(1)
    for v in (14.2857, 0.0, 11.1111, 20.0):
        _hour(fine, v, HOUR_NS // 12)
    assert len(fine.cusum_.sum_) == 0 and fine.cusum_.counted_.sum() == 0


def test_a_checkpoint_keeps_the_sums_and_their_null_and_an_older_one_starts_empty(learned):
    from telecom_nb.engine.snapshot import capture, restore

    _hour(learned, 14.2857)
    tree, arrays = capture(learned)
    back = restore(LumpyKpis(KPI, (), 1), tree, arrays)
    assert back.cusum_.sum_[0, 0] == learned.cusum_.sum_[0, 0] > 1.0
    assert np.array_equal(back.cusum_.hist_, learned.cusum_.hist_)
    del tree["attrs"]["cusum_"]  # saved by code from before the CUSUM
    old = restore(LumpyKpis(KPI, (), 1), tree, arrays)
    assert len(old.cusum_.sum_) == 0 and old.cusum_.counted_.sum() == 0
    assert np.isfinite(_hour(old, 10.0))  # and goes on


def test_the_read_level_is_where_the_null_reads_a_sum(learned):
    """The rate part reads a 15-minute column from this level: a sum there reads, one a
    tenth of a nat under it does not."""
    cols = np.zeros(2, np.intp)
    level = learned.cusum_.read_level(cols[:1])[0]
    assert 5.0 < level < -np.log(count_cusum.P_READ)  # the learned null: below the bound
    log_p = learned.cusum_.log_p(cols, np.array([level, level - 0.1]))
    assert log_p[0] <= np.log(count_cusum.P_READ) + 1e-9 < log_p[1]
    fresh = count_cusum.CountCusum(1)
    assert np.isclose(fresh.read_level(cols[:1])[0], -np.log(count_cusum.P_READ))


def test_one_value_rare_on_its_own_reads_its_sum(learned):
    """4 drops of 11 calls in one hour after quiet ones (0.04 expected): its own step is
    ~11.4 nats, beyond the read level, and is read as that sum (its binomial z understates
    it); one drop of 10 starts a sum too small to read; neither feeds the null."""
    for _ in range(6):
        _hour(learned, 0.0)
    assert learned.cusum_.sum_[0, 0] == 0.0
    hist = learned.cusum_.hist_.copy()
    z = _hour(learned, 36.3636)
    assert z > 10.0 and np.isclose(z, learned.cusum_.sum_[0, 0], rtol=1e-5)
    assert np.array_equal(learned.cusum_.hist_, hist)
    for _ in range(12):
        _hour(learned, 0.0)
    assert _hour(learned, 10.0) < 3.5


def test_the_sum_kept_is_the_one_read_at_the_trials_the_traffic_implies():
    """A drop rate shown at 2 decimals beside its Erlangs: 11.76 % at 2.5 Erl (~100 calls) is
    read as 4+ drops of 34+, not 2 of 17 (:mod:`~telecom_nb.features.count_proxy`); the sum
    learned from it is that reading's, the one :meth:`LumpyKpis.z` read (kept as 2 of 17,
    a 15-minute surge's next drops started ~3 nats short of it)."""
    rng = np.random.default_rng(7)
    lumpy = LumpyKpis(("VoLTE Drop Rate (%)", "VoLTE Traffic (Erl)"), (), 1)

    for _ in range(100):
        lumpy.update(ROWS, SLOTS, DAY, _volte_hour(rng), 100)
    raw = _volte_hour(rng)
    raw[0] = (11.76, 2.5)
    read = lumpy.counts_.read(ROWS, SLOTS[0], raw, np.zeros(raw.shape))
    (_, k, n, _, p), _ = lumpy._as_read(read, ROWS, raw)
    assert k[0, 0] >= 4 and k[0, 0] / n[0, 0] == 2 / 17  # the traffic's reading
    before = float(lumpy.cusum_.sum_[0, 0])
    step = _traffic_step(lumpy, raw, 2.0, 17.0, p[0, 0])  # as the proxy is before the tick
    lumpy.update(ROWS, SLOTS, DAY, raw, 100)
    assert step > steps(np.array([2.0]), np.array([17.0]), p[:1, 0])[0][0] + 1.0
    decay = count_cusum.decay_per_value(HOUR_NS)
    assert np.isclose(lumpy.cusum_.sum_[0, 0], min(max(decay * before + step, 0.0), 20.0),
                      rtol=1e-5)


def _traffic_step(lumpy: LumpyKpis, raw: np.ndarray, k: float, n: float, p: float) -> float:
    """Sector 0's step of ``k`` of ``n`` (its smallest fraction) over the multiples its
    Erlangs (``raw[0, 1]``) make likely (:func:`~.count_cusum.marginal_steps`)."""
    cols, exact = np.zeros(1, np.intp), lumpy.dens_.columns()
    implied = lumpy.proxy_.implied(raw, cols, exact)[0]
    spread = lumpy.proxy_.spreads(cols, exact)
    return float(marginal_steps(np.array([k]), np.array([n]), implied, spread,
                                np.array([p]))[0])


def test_a_value_of_few_counts_is_read_over_the_multiples_its_traffic_makes_likely():
    """An hourly 25 % beside Erlangs implying ~20 calls is 5 of 20, 4 of 16 or 3 of 12 more
    likely than 1 of 4, and none is sure: kept as the proxy's low end (3 of 12, 8.4 nats) the
    CUSUM stayed just under its read level (volte47, t2650's THR4323_L18_3), kept as the
    nearest multiple (5 of 20) every traffic misread would be sure too. The sum weighs the
    multiples: more than the low end, less than the nearest taken as sure."""
    rng = np.random.default_rng(3)
    lumpy = LumpyKpis(("VoLTE Drop Rate (%)", "VoLTE Traffic (Erl)"), (), 1)
    for _ in range(100):
        lumpy.update(ROWS, SLOTS, DAY, _volte_hour(rng), 100)
    raw = _volte_hour(rng)
    raw[0] = (25.0, 0.5)  # ~20 calls
    read = lumpy.counts_.read(ROWS, SLOTS[0], raw, np.zeros(raw.shape))
    (_, k, n, _, p), _ = lumpy._as_read(read, ROWS, raw)
    assert k[0, 0] / n[0, 0] == 0.25 and n[0, 0] < 16  # the low end: fewer calls than implied
    lumpy.cusum_.sum_[0, 0] = 0.0
    lumpy.update(ROWS, SLOTS, DAY, raw, 100)
    kept = float(lumpy.cusum_.sum_[0, 0])
    low = steps(k[:1, 0].astype(float), n[:1, 0].astype(float), p[:1, 0])[0][0]
    near = steps(np.array([5.0]), np.array([20.0]), p[:1, 0])[0][0]
    assert low + 0.5 < kept < near - 1.0


def test_a_quiet_value_costs_the_sum_the_calls_its_traffic_implies():
    """A 0 % shows no trials: read at the sector's typical trials (learned from values of
    one drop, a size-biased sample) a 15-minute surge's quiet quarter hours of 2-4 calls each
    cost its sum 1.1-1.7 nats (volte45's trace). With a trial column it is read at the calls
    its Erlangs imply, as the drops are: a near-idle 0 % costs little, a busy one more."""
    rng = np.random.default_rng(11)
    lumpy = LumpyKpis(("VoLTE Drop Rate (%)", "VoLTE Traffic (Erl)"), (), 1)

    for _ in range(100):
        lumpy.update(ROWS, SLOTS, DAY, _volte_hour(rng), 100)
    assert lumpy.runs_.typical_[0, 0] > 10.0  # the typical trials: tens of calls
    lumpy.cusum_.sum_[0, 0] = 10.0  # inside a surge
    after = {}
    for erl in (0.02, 1.5):
        quiet = copy.deepcopy(lumpy)
        raw = _volte_hour(rng)
        raw[0] = (0.0, erl)
        quiet.update(ROWS, SLOTS, DAY, raw, 100)
        after[erl] = float(quiet.cusum_.sum_[0, 0])
    kept = 10.0 * count_cusum.decay_per_value(HOUR_NS)
    assert after[0.02] > kept - 1.0  # ~1 call's cost, not tens
    assert after[1.5] < after[0.02] - 2.0  # ~40 calls without a drop say more


def _volte_hour(rng: np.random.Generator) -> np.ndarray:
    """An hour of 100 cells' VoLTE drop rate (2 % of their calls) and Erlangs. Mostly under
    60 calls, so most values show their trials and the cell stays one the runs count
    (``counts.shown_`` >= MIN_SHOWN: with up to 120 calls it fell to 0.39 once its rate was
    taken for a ratio after 20 nights' hits)."""
    erl = rng.uniform(0.05, 1.5, 100).round(2)
    calls = rng.poisson(40 * erl)
    rate = 100.0 * rng.binomial(calls, 0.02) / np.maximum(calls, 1)
    return np.column_stack([np.where(calls > 0, rate.round(2), np.nan), erl])


def test_a_busy_cells_quiet_hours_read_in_counts_are_summed(learned):
    """A cell whose values show their counts 35 % of the time (busy days): its quiet hours'
    2 drops of 12 calls five hours running are read in counts by the evidence, and their
    sum (~5 nats an hour at 0.4 %) reaches the read level as a lumpy cell's does."""
    zs = []
    for _ in range(5):
        learned.counts_.shown_[0, 0] = 0.35
        zs.append(_hour(learned, 16.6667))
    level = learned.cusum_.read_level(np.zeros(1, np.intp))[0]
    assert zs[-1] >= level


def test_a_running_sum_keeps_the_rate_it_started_from():
    """volte61's MAD7000_L08_1 (v3179, 15 minutes): the sector's rate learned the surge's
    first 1 of 5 (0.4 -> 1.2 %), and the next 1 of 5 added 1.8 nats where 3.9 at the rate
    before the surge. A sum reads its values at the rate it started from (or a lower one);
    back at 0, the next sum starts from the sector's rate then."""
    cusum = count_cusum.CountCusum(1)
    rows, cols = np.array([0]), np.array([0])
    one = np.ones((1, 1), bool)

    def add(k: float, n: float, p: float) -> float:
        kk, nn, pp = np.full((1, 1), k), np.full((1, 1), n), np.full((1, 1), p)
        cusum.update(rows, cols, kk, nn, pp, one, 1, HOUR_NS)
        return float(cusum.sum_[0, 0])

    first = add(1.0, 5.0, 0.004)
    second = add(1.0, 5.0, 0.012)  # the sector's rate climbed with the first drop
    expected = steps(np.array([1.0]), np.array([5.0]), np.array([0.004]))[0][0]
    assert np.isclose(second, count_cusum.DECAY * first + expected, rtol=1e-5)
    lower = add(1.0, 5.0, 0.002)  # a lower rate than the start's: read at it
    low = steps(np.array([1.0]), np.array([5.0]), np.array([0.002]))[0][0]
    assert np.isclose(lower, count_cusum.DECAY * second + low, rtol=1e-5)
    for _ in range(30):  # quiet values at 5 % take the sum back to 0 ...
        add(0.0, 50.0, 0.05)
    assert cusum.sum_[0, 0] == 0.0 and np.isnan(cusum.base_[0, 0])
    again = add(1.0, 5.0, 0.012)  # ... and the next sum starts from the rate then
    fresh = steps(np.array([1.0]), np.array([5.0]), np.array([0.012]))[0][0]
    assert np.isclose(again, fresh, rtol=1e-5)


def test_a_success_rates_running_sum_keeps_its_higher_start_rate():
    """A handover success rate's failures are the rarer outcome: its surge lowers the
    sector's rate, and the sum keeps the higher one it started from."""
    cusum = count_cusum.CountCusum(1)
    rows, cols, one = np.array([0]), np.array([0]), np.ones((1, 1), bool)
    sums = []
    for p in (0.98, 0.95):
        cusum.update(rows, cols, np.full((1, 1), 7.0), np.full((1, 1), 10.0),
                     np.full((1, 1), p), one, 1, HOUR_NS)
        sums.append(float(cusum.sum_[0, 0]))
    step = steps(np.array([7.0]), np.array([10.0]), np.array([0.98]))[0][0]
    assert step > 0.0 and np.isclose(sums[1], count_cusum.DECAY * sums[0] + step, rtol=1e-5)


def test_a_checkpoint_before_the_start_rates_restores_without_them():
    cusum = count_cusum.CountCusum(2)
    del cusum.base_
    cusum.derive_added_state(["base_"])
    assert cusum.base_.shape == cusum.sum_.shape and np.isnan(cusum.base_).all()


def test_a_rate_of_zero_starts_no_sum_and_is_never_kept():
    """rate66 (o3252, 15 minutes): on the tick a KPI is first read as a ratio no rate is
    known (no fleet rate, the seasonal expectation 0); a sum started there tested every
    value at ~0: each drop added 3 nats, no call took any back, and a busy cell at its own
    0.65 % sat at the cap for three weeks (646 false rows). No value steps at a rate of 0,
    and a kept start rate of 0 (an older state) gives way to the sector's rate."""
    cusum = count_cusum.CountCusum(1)
    rows, cols, one = np.array([0]), np.array([0]), np.ones((1, 1), bool)

    def add(k: float, n: float, p: float) -> float:
        kk, nn, pp = np.full((1, 1), k), np.full((1, 1), n), np.full((1, 1), p)
        cusum.update(rows, cols, kk, nn, pp, one, 1, HOUR_NS // 4)
        return float(cusum.sum_[0, 0])

    assert add(2.0, 200.0, 0.0) == 0.0  # no rate yet: no sum
    sums = [add(1.0 + (i % 2), 230.0, 0.0065) for i in range(200)]  # at its own rate
    assert max(sums) < 5.0 and sums[-1] < 5.0
    cusum.sum_[0, 0], cusum.base_[0, 0] = 12.0, 0.0  # a state kept from before
    assert add(1.0, 230.0, 0.0065) < 12.0 * count_cusum.decay_per_value(HOUR_NS // 4)
