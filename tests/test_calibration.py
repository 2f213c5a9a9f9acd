"""Calibrated scores: one threshold means the same across retrains and sample sizes."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.ensemble import IsolationForest

from telecom_nb.alarms.threshold import effective_threshold, flag, threshold_for_rate
from telecom_nb.detectors.calibration import MAX_SCORE, SEEN_FLOOR, TailCalibrator


def test_tail_probability_is_monotone_finite_and_extrapolates():
    rng = np.random.default_rng(0)
    cal = TailCalibrator.fit(rng.normal(size=5000))
    raw = np.array([-10, -1, 0, 1, 2, 3, 5, 10, 1e9, np.nan])
    s = cal(raw)
    assert np.isfinite(s).all() and (s >= 0).all() and s.max() <= MAX_SCORE
    assert (np.diff(s[:-1]) >= 0).all()
    assert s[7] > s[6] > s[5]  # beyond the reference the order is kept
    # the exponential null is conservative for a Gaussian tail: P(N(0,1) >= 2) = 0.0228
    assert 0.0228 < 10 ** -s[4] < 0.1


def test_alarm_rate_on_clean_data_is_about_contamination_and_never_above():
    rng = np.random.default_rng(1)
    cal = TailCalibrator.fit(rng.gamma(2.0, size=20_000))
    fresh = cal(rng.gamma(2.0, size=200_000))
    for rate in (0.1, 0.01, 0.001):
        observed = flag(fresh, threshold_for_rate(rate)).mean()
        assert 0.2 * rate < observed <= 1.1 * rate
    assert effective_threshold(0.01, None) == 2.0 and effective_threshold(0.01, 3.0) == 3.0


def test_faults_in_the_window_barely_move_the_threshold():
    rng = np.random.default_rng(3)
    clean = rng.gamma(2.0, size=20_000)
    dirty = clean.copy()
    dirty[:200] += rng.uniform(10, 30, 200)  # 1 % of the window are faults
    grid = np.linspace(0, 40, 4001)
    at = [grid[np.argmax(TailCalibrator.fit(ref, heavy_tails=True)(grid) >= 3.0)]
          for ref in (clean, dirty)]
    assert abs(at[1] - at[0]) < 0.2 * at[0]  # an empirical 99.9 % quantile would jump > 2x
    assert (dirty[:200] >= at[1]).mean() > 0.8  # most faults of the window stay above it


@pytest.mark.parametrize("heavy_tails", [False, True])
def test_false_alarm_rate_at_or_below_target_on_clean_data(heavy_tails):
    rng = np.random.default_rng(11)
    draws = {
        "gamma": lambda n: rng.gamma(2.0, size=n),
        "max |z| of 5 normals": lambda n: np.abs(rng.normal(size=(n, 5))).max(axis=1),
    }
    for name, draw in draws.items():
        score = TailCalibrator.fit(draw(20_000), heavy_tails=heavy_tails)(draw(300_000))
        for rate in (0.01, 0.001):
            observed = flag(score, threshold_for_rate(rate)).mean()
            assert observed <= 1.15 * rate, (name, rate, observed)
            if heavy_tails:  # the shoulder is close to the truth; the body errs up to ~12x
                assert observed > 0.1 * rate, (name, rate, observed)


def test_bursts_that_are_a_series_normal_life_are_not_one_in_a_billion():
    rng = np.random.default_rng(5)

    def bursty(n: int) -> np.ndarray:
        quiet = rng.gamma(2.0, size=n)
        return np.where(rng.random(n) < 0.12, quiet + rng.uniform(10, 30, n), quiet)

    window, fresh = bursty(20_000), bursty(50_000)
    # the body's exponential alone flags usual bursts at 50x the 1-in-1000 target ...
    assert flag(TailCalibrator.fit(window)(fresh), threshold_for_rate(0.001)).mean() > 0.05
    # ... reading the shoulder, a usual burst is not flagged at 1 in 1000 ...
    cal = TailCalibrator.fit(window, heavy_tails=True)
    assert flag(cal(fresh), threshold_for_rate(0.001)).mean() <= 0.002
    # ... but a burst far beyond the usual ones still is
    assert cal(np.array([80.0]))[0] >= 3.0


def test_calibrated_score_stable_across_two_retrains():
    rng = np.random.default_rng(2)
    probe = np.vstack([rng.normal(size=(200, 5)), rng.normal(4, 1, size=(5, 5))])
    scores = []
    for seed in (10, 11):  # two retrains: new window, new forest
        window = np.random.default_rng(seed).normal(size=(4000, 5))
        model = IsolationForest(n_estimators=100, random_state=seed).fit(window)
        cal = TailCalibrator.fit(-model.score_samples(window))
        scores.append(cal(-model.score_samples(probe)))
    a, b = scores
    assert np.median(np.abs(a - b)) < 0.15
    assert (flag(a, 2.0) == flag(b, 2.0)).mean() > 0.97
    assert flag(a[-5:], 2.0).all() and flag(b[-5:], 2.0).all()


@pytest.mark.parametrize("name", ["robust_z", "iforest"])
def test_detector_reads_the_shoulder_for_one_series_not_for_a_fleet(name):
    from test_features import fleet

    from telecom_nb import schema
    from telecom_nb.detectors import make_detector

    def masses(det) -> set[float]:
        fitted = det._fitted
        nulls = [fitted.calibrator]
        if name == "iforest":  # its parts are put on one scale the same way
            nulls += [fitted.model.forest_null, fitted.model.z_null]
        return {round(n.tail_mass, 6) for n in nulls}

    table = fleet(n_sectors=20, days=7, seed=2)  # 168 hourly rows a series
    one = table[table[schema.SECTOR] == table[schema.SECTOR].iloc[0]]
    found = {}
    for label, rows in (("fleet", table), ("one", one)):
        det = make_detector(name)
        det.score_stream(rows)
        found[label] = masses(det)
    assert found == {"fleet": {0.25}, "one": {0.05}}
    det = make_detector(name, heavy_tails=False)
    det.score_stream(one)
    assert masses(det) == {0.25}


def test_a_long_fault_in_the_window_does_not_widen_a_declustered_shoulder():
    rng = np.random.default_rng(5)
    clean = rng.normal(size=10_000)
    window = clean.copy()
    window[5000:5400] = rng.uniform(6, 9, 400)  # one 400-row outage: 4 % of the window
    continues = np.zeros(len(window), dtype=bool)
    continues[5001:5400] = True  # every row of the run but its first follows a far row
    fault = np.array([5.0])
    plain = TailCalibrator.fit(window, heavy_tails=True)
    declustered = TailCalibrator.fit(window, heavy_tails=True, continues=continues)
    reference = TailCalibrator.fit(clean, heavy_tails=True)
    assert plain(fault)[0] < 2.5  # the run's own rows make a 5-sigma row look common
    assert declustered(fault)[0] > 3.5
    assert abs(declustered(fault)[0] - reference(fault)[0]) < 0.5
    # the body (a fleet's reading) lies below any fault: ``continues`` is not read there
    body = TailCalibrator.fit(window, continues=continues)
    assert body(fault)[0] == TailCalibrator.fit(window)(fault)[0]


def _before(x: np.ndarray) -> np.ndarray:
    """Each row's predecessor in a series (the first has none: -inf)."""
    return np.r_[-np.inf, x[:-1]]


def test_recurring_bursts_read_no_rarer_than_the_window_shows():
    rng = np.random.default_rng(7)

    def series(n: int, bursts: int) -> np.ndarray:
        x = rng.normal(size=n)
        x[rng.choice(n, bursts, replace=False)] = rng.uniform(7.5, 8.5, bursts)
        return x

    window = series(10_000, 30)  # a batch job's spike: 30 of them, 0.3 % of the rows
    plain = TailCalibrator.fit(window, heavy_tails=True)
    seen = plain.with_seen(window, _before(window), 2)
    burst = np.array([7.6])
    # the shoulder's exponential calls the usual burst rare enough to page ...
    assert plain(burst)[0] > 3.5
    # ... while ~25 of the window's bursts reached it (those opening an excursion, after
    # a row in the body): p >= 25 / 10001
    at_least = ((window >= 7.6) & (_before(window) <= plain.anchor)).sum()
    assert 15 <= at_least <= 30
    assert seen(burst)[0] == pytest.approx(-np.log10(at_least / 10_001.0))
    assert seen(burst)[0] < 3.0
    np.testing.assert_allclose(seen.p_value(burst), at_least / 10_001.0)
    # a burst beyond all but one of the window's keeps the exponential; so does the body
    beyond = np.array([np.sort(window)[-1] - 1e-9, 20.0, 0.5, 2.0, np.nan])
    np.testing.assert_array_equal(seen(beyond), plain(beyond))
    np.testing.assert_array_equal(seen.p_value(beyond), plain.p_value(beyond))
    # the floor is a cap: never a higher score than the exponential's, and still monotone
    grid = np.linspace(-3, 25, 5000)
    assert (seen(grid) <= plain(grid)).all()
    assert (np.diff(seen(grid)) >= 0).all()


def test_an_incident_counts_once_however_many_rows_it_lasts():
    rng = np.random.default_rng(8)
    window = rng.normal(size=10_000)
    for start in (2000, 5000, 8000):  # three incidents of 60 rows at ~8 spreads
        window[start:start + 60] = rng.uniform(7.5, 8.5, 60)
    plain = TailCalibrator.fit(window, heavy_tails=True)
    seen = plain.with_seen(window, _before(window), 2)
    fault = np.array([7.6])
    # counted row by row, 170 rows would read a fourth incident as usual (p ~ 0.017);
    # counted by excursion, three of them leave it a page
    rows = TailCalibrator.fit(window, heavy_tails=True).with_seen(
        window, np.full(len(window), -np.inf), 2)
    assert rows(fault)[0] < 2.0
    assert seen(fault)[0] == pytest.approx(-np.log10(3 / 10_001.0))
    assert seen(fault)[0] > 3.0


@pytest.mark.parametrize("name", ["robust_z", "iforest"])
def test_only_a_few_series_score_null_has_the_seen_floor(name):
    from test_features import fleet

    from telecom_nb import schema
    from telecom_nb.detectors import make_detector

    table = fleet(n_sectors=20, days=7, seed=2)
    one = table[table[schema.SECTOR] == table[schema.SECTOR].iloc[0]]
    floors = {}
    for label, rows in (("fleet", table), ("one", one)):
        det = make_detector(name)
        det.score_stream(rows)
        null = det._fitted.calibrator
        floors[label] = null.seen_floor
        assert (null.seen is None) == (null.seen_floor == 0)
        if name == "iforest":  # the parts' nulls: the exponential alone
            assert det._fitted.model.z_null.seen_floor == 0
    # the excursions are told by each row's predecessor: a detector that keeps them
    want = SEEN_FLOOR if name == "iforest" else 0
    assert floors == {"fleet": 0, "one": want}


@pytest.mark.usefixtures("split_rows")
@pytest.mark.parametrize("floor", [0, 2])
@pytest.mark.parametrize("heavy", [False, True])
@pytest.mark.parametrize("n", [1, 7, 5000])
def test_compiled_log_p_equals_the_numpy_steps_bit_for_bit(heavy, n, floor):
    from telecom_nb.detectors import calibration_kernel

    rng = np.random.default_rng(n)
    ref = np.round(rng.gamma(2.0, 1.0, n), 2)  # ties
    null = TailCalibrator.fit(ref, heavy_tails=heavy)
    if floor:
        null = null.with_seen(ref, _before(ref), floor)
    body = null.reference
    width = (null.anchor - body[0]) / calibration_kernel.BUCKETS
    edges = body[0] + width * np.arange(calibration_kernel.BUCKETS + 1)
    raw = np.concatenate([
        rng.gamma(2.0, 1.3, 20_000), body, np.nextafter(body, -np.inf),
        np.nextafter(body, np.inf), edges, np.nextafter(edges, -np.inf),
        [np.nan, np.inf, -np.inf, -1e308, 1e308, 0.0, -0.0, null.anchor,
         np.nextafter(null.anchor, np.inf), 1e300]])
    got = null.log_p(raw)
    with np.errstate(over="ignore"):  # 1e308 over a small scale: +inf, capped
        want = null.log_p_numpy(raw)
    assert got.view(np.int64).tolist() == want.view(np.int64).tolist()


def test_log_p_of_a_constant_reference_and_other_inputs_matches_numpy():
    null = TailCalibrator.fit(np.full(50, 3.0))
    raw = np.array([np.nan, 2.0, 3.0, 3.5, np.inf, -np.inf])
    np.testing.assert_array_equal(null.log_p(raw), null.log_p_numpy(raw))
    as_list = [0.5, 3.0, 9.0]  # not a float64 array: the numpy steps
    np.testing.assert_array_equal(null.log_p(as_list), null.log_p_numpy(as_list))
    ints = np.array([1, 3, 9])
    np.testing.assert_array_equal(null.log_p(ints), null.log_p_numpy(ints))


def test_log_p_keeps_each_references_buckets_and_no_other():
    """A calibrator keeps its buckets between calls: a later call, another anchor on the
    same array and a new reference (a freed one's id may be reused) all read as the numpy
    steps."""
    import dataclasses

    raw = np.random.default_rng(5).gamma(2.0, 1.3, 500)
    for seed in range(3):
        rng = np.random.default_rng(seed)
        null = TailCalibrator.fit(np.round(rng.gamma(2.0, 1.0 + seed, 300), 2))
        first = null.log_p(raw)
        kept = null.buckets
        np.testing.assert_array_equal(null.log_p(raw), first)
        assert null.buckets is kept
        np.testing.assert_array_equal(first, null.log_p_numpy(raw))
        lower = dataclasses.replace(null, anchor=float(null.reference[len(null.reference) // 2]))
        np.testing.assert_array_equal(lower.log_p(raw), lower.log_p_numpy(raw))
        del null, lower  # the next reference may take this one's id


def test_seen_floor_reads_only_the_predecessors_of_rows_beyond_the_anchor():
    """``with_seen`` keeps the tail's excursions alone: the predecessors of body rows may be
    anything, and the numbers equal a floor built from every row's predecessor."""
    rng = np.random.default_rng(9)
    window = rng.normal(size=5_000)
    window[rng.choice(5_000, 40, replace=False)] = rng.uniform(6.0, 9.0, 40)
    window[100:130] = 7.0  # an incident: its later rows continue it
    before = _before(window)
    plain = TailCalibrator.fit(window, heavy_tails=True)
    full = plain.with_seen(window, before, 2)
    body = window <= plain.anchor
    garbage = np.where(body, rng.choice([-np.inf, 50.0, 0.0], len(window)), before)
    tail_only = plain.with_seen(window, garbage, 2)
    assert (tail_only.seen > plain.anchor).all()
    # the old floor kept body rows too: their scores never reach a floor
    everything = np.sort(window[~(before > plain.anchor)])
    np.testing.assert_array_equal(tail_only.seen, everything[everything > plain.anchor])
    grid = np.concatenate([np.linspace(-4, 12, 4001), window, [np.nan]])
    np.testing.assert_array_equal(tail_only(grid), full(grid))
    np.testing.assert_array_equal(tail_only.p_value(grid), full.p_value(grid))
    # one excursion beyond the anchor (and every body row opening one): no floor, as before
    one = np.where(body | (window == window.max()), -np.inf, np.inf)
    assert len(plain.with_seen(window, one, 2).seen) == 1
    np.testing.assert_array_equal(plain.with_seen(window, one, 2)(grid), plain(grid))


def test_a_retrain_scores_predecessors_row_by_row():
    """The score null's floor scores only the tail rows' predecessors: the raw score of a
    row must not depend on the rows scored with it (the whole window's numbers)."""
    from test_features import fleet

    from telecom_nb import schema
    from telecom_nb.detectors import make_detector

    table = fleet(n_sectors=1, days=7, seed=2)
    det = make_detector("iforest")
    det.score_stream(table.drop(columns=[schema.PROVINCE]))
    fitted = det._fitted
    inputs = fitted.inputs
    previous = np.nan_to_num(inputs.previous, nan=0.0)
    whole = det._raw_score(fitted.model, previous)
    for rows in (np.arange(len(previous))[::-7], np.array([0]), np.array([5, 3, 99])):
        np.testing.assert_array_equal(det._raw_score(fitted.model, previous[rows]), whole[rows])
    # the installed floor: the excursions beyond the anchor, told by the whole window's
    null = fitted.calibrator
    raw = det._raw_score(fitted.model, inputs.window)
    first = np.isnan(inputs.previous).all(axis=1)
    opens = ~(np.where(first, -np.inf, whole) > null.anchor)
    want = np.sort(raw[opens & np.isfinite(raw) & (raw > null.anchor)])
    assert len(want) >= 2
    np.testing.assert_array_equal(null.seen, want)


def test_the_buckets_start_where_numpy_finds_their_edges():
    """The edges' starts (one merge with the reference) are ``np.searchsorted``'s: values
    on an edge, ties, a constant reference, one value, an anchor below the body."""
    from telecom_nb.detectors import calibration_kernel

    rng = np.random.default_rng(2217)
    cases = [np.sort(np.round(rng.gamma(2.0, 1.0, 5000), 2)), np.full(40, 3.0), np.array([1.5])]
    grid = np.sort(np.arange(calibration_kernel.BUCKETS + 1) * 0.25)  # values on the edges
    cases.append(np.sort(np.concatenate([grid, grid, rng.random(300) * 1024])))
    for ref in cases:
        for anchor in (float(ref[-1]), float(np.quantile(ref, 0.95)), float(ref[0]) - 1.0):
            edges, starts, _ = calibration_kernel.buckets(ref, anchor)
            want = np.searchsorted(ref, edges, side="left")
            want[0], want[-1] = 0, len(ref)
            assert starts.tolist() == want.tolist()
