"""The views part: one KPI off on two of its own views at once is its own evidence."""

from __future__ import annotations

import numpy as np

from telecom_nb.detectors import make_detector
from telecom_nb.detectors.calibration import TailCalibrator
from telecom_nb.detectors.feature_tails import FeatureTails
from telecom_nb.detectors.views_part import MIN_LOG_P, QUIET_LOAD, ViewsPart, view_groups

NAMES = ["a:season_z", "b:season_z", "a/b:season_z", "a:peer_z", "b:peer_z",
         "a:change_z", "b:change_z", "c:season_z", "c:peer_z", "a:persist_z"]


def test_groups_are_each_kpis_season_peer_and_change_columns():
    assert view_groups(NAMES, ["a", "b", "c", "d"]) == ((0, 3, 5), (1, 4, 6))
    assert view_groups(["a:season_z", "a:peer_z"], ["a"]) == ()


def _fleet(n: int, seed: int = 0) -> np.ndarray:
    """Three views of each of 4 KPIs (12 columns): normal life moves one view of one KPI
    far now and then (5 % of rows, a heavy tail from 3 sigma), never two views together."""
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, 12))
    far = rng.random(n) < 0.05
    x[far, rng.integers(0, 12, far.sum())] = 3.0 + rng.exponential(2.0, far.sum())
    return x


GROUPS = tuple(tuple(range(3 * k, 3 * k + 3)) for k in range(4))


def test_two_views_of_one_kpi_outrank_one_views_everyday_excursion():
    ref = _fleet(20_000)
    tails = FeatureTails.fit(ref, np.zeros_like(ref), free=True)
    strongest = TailCalibrator.fit(tails(ref))  # the max-of-features evidence alone
    part = ViewsPart.fit(tails, ref, GROUPS)
    rows = np.zeros((2, 12))
    rows[0, 4] = 7.0  # one view of KPI 1: normal life
    rows[1, [6, 7]] = 5.0  # two views of KPI 2 at 5 sigma
    by_max = strongest(tails(rows))
    assert by_max[1] < 3.0  # in the max, no rarer than one view's everyday excursions
    score = part(rows)
    assert score[0] == 0.0  # one view alone: below MIN_LOG_P, no evidence
    assert score[1] > max(3.0, MIN_LOG_P)
    assert ViewsPart.fit(tails, ref, ()) is None


def test_a_row_far_under_its_sectors_usual_load_reads_no_views_evidence():
    ref = _fleet(20_000)
    part = ViewsPart.fit(FeatureTails.fit(ref, np.zeros_like(ref), free=True), ref, GROUPS)
    rows = np.zeros((4, 12))
    rows[:, [6, 7]] = 5.0  # two views of KPI 2 agree on every row
    loads = np.array([0.0, np.nan, QUIET_LOAD + 0.01, np.log(0.1)])  # usual, unknown, ...
    score = part(rows, loads)
    assert (score[:3] > 3.0).all() and score[3] == 0.0  # ... a tenth: a few attempts
    np.testing.assert_array_equal(score[:3], part(rows)[:3])


def test_forest_model_scores_the_views_part_in_a_fleet_only():
    det = make_detector("iforest")
    ref = _fleet(5000)
    params = {"random_state": 0, "n_estimators": 20, "heavy_tails": False,
              "joint_columns": (), "free_tails": True, "view_groups": GROUPS}
    model = det._fit_model(ref, params)
    assert model.views is not None
    rows = np.zeros((1, 12))
    rows[0, [6, 7]] = 5.0
    assert det._record_score(model, rows)[0] >= model.views(rows)[0] > 3.0
    assert det._record_score(model, rows, np.array([np.log(0.1)]))[0] == 0.0  # quiet row
    params.update(heavy_tails=True)  # one series (or a few): no views part
    assert det._fit_model(ref, params).views is None


def test_the_views_part_is_a_fleet_s_with_free_tails_at_an_hourly_cadence_or_slower():
    import pandas as pd
    from pipeline_fakes import hourly_iforest

    from telecom_nb.detectors.part_schedule import FREE_TAILS_AFTER

    start = pd.Timestamp("2026-05-04", tz="UTC")
    det, cadence = hourly_iforest(start)
    det._fit_time = start + FREE_TAILS_AFTER - pd.Timedelta("1h")
    assert not det._views_part()  # no free tails yet
    det._fit_time = start + FREE_TAILS_AFTER
    assert det._views_part()
    for minutes in (90, 120, 150):
        cadence.observe(pd.DatetimeIndex([start + pd.Timedelta(minutes, unit="min")]))
    assert cadence.step == pd.Timedelta("30min") and not det._views_part()


def test_the_replay_and_a_batch_score_hand_each_rows_load_to_the_records():
    from test_features import batches, fleet

    table = fleet(n_sectors=12, days=2, seed=7)
    det = make_detector("iforest", n_estimators=10)
    det._load_view = lambda view: np.arange(len(view), dtype=float)  # one number a row
    seen = []
    record = det._record_score

    def recorded(model, x, loads=None):
        seen.append((len(x), loads))
        return record(model, x, loads)

    det._record_score = recorded
    det.score_stream(table)
    assert seen and all(loads is not None and len(loads) == n for n, loads in seen)
    seen.clear()
    det.score(batches(table)[-1])
    assert len(seen) == 1 and (seen[0][1] == np.arange(seen[0][0])).all()
