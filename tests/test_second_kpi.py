"""The second strongest KPI: two KPIs far from their peers at once is its own evidence."""

from __future__ import annotations

import numpy as np

from telecom_nb.detectors import make_detector
from telecom_nb.detectors.calibration import TailCalibrator
from telecom_nb.detectors.feature_tails import FeatureTails
from telecom_nb.detectors.second_kpi import SecondKpi, kpi_groups, second_largest

NAMES = ["a:season_z", "b:season_z", "a/b:season_z", "a:peer_z", "b:peer_z", "c:peer_z",
         "a:province_z", "b:province_z", "c:province_z", "c:persist_z"]


def test_groups_are_each_kpis_own_peer_relative_columns():
    assert kpi_groups(NAMES, ["a", "b", "c", "d"]) == ((3, 6), (4, 7), (5, 8))
    assert kpi_groups(["a:season_z", "b:season_z"], ["a", "b"]) == ()


def test_second_largest_reads_per_kpi_maxima():
    units = np.array([[1.0, 5.0, 2.0, 3.0], [9.0, 0.0, 0.0, 1.0]])
    group = np.array([0, 0, 1, 2])
    assert second_largest(units, group, 3).tolist() == [3.0, 1.0]


def _fleet(n: int, seed: int = 0) -> np.ndarray:
    """Peer z of 3 KPIs: KPI a has a heavy tail of its own (isolated 8-sigma excursions)."""
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, 3))
    x[rng.random(n) < 0.01, 0] = 8.0
    return x


def test_two_kpis_at_4_5_sigma_outrank_one_heavy_tailed_kpis_excursion():
    ref = _fleet(20_000)
    tails = FeatureTails.fit(ref, np.zeros_like(ref))
    strongest = TailCalibrator.fit(tails(ref))  # the max-of-features evidence alone
    second = SecondKpi.fit(tails, ref, ((0,), (1,), (2,)))
    rows = np.array([[8.0, 0.0, 0.0], [0.0, 4.5, -4.5]])
    by_max = strongest(tails(rows))
    assert by_max[1] < 3.0  # alone, each of the two is no rarer than a's everyday tail
    assert second(rows)[1] > max(3.0, second(rows)[0], by_max[0])
    assert SecondKpi.fit(tails, ref, ((0, 1, 2),)) is None  # one KPI: no second one


def test_forest_model_scores_the_second_kpi_in_a_fleet():
    det = make_detector("iforest")
    ref = _fleet(5000)
    params = {"random_state": 0, "n_estimators": 20, "heavy_tails": False,
              "joint_columns": (), "second_groups": ((0,), (1,), (2,))}
    model = det._fit_model(ref, params)
    assert model.second is not None
    rows = np.array([[0.0, 4.5, -4.5]])
    assert det._raw_score(model, rows)[0] >= model.second(rows)[0] > 3.0
    params.update(heavy_tails=True)  # one series' shoulder: no tails, no second KPI
    assert det._fit_model(ref, params).second is None


def test_a_statistic_floored_on_most_rows_reads_its_scale_above_the_floor():
    # the second largest of four KPIs' units is 0 on ~3/4 of a window: the body's 50-75 %
    # spacing read a scale ~0 and an ordinary 1-in-100 row at p ~1e-12 (short41)
    from telecom_nb.detectors.grouped_units import body_above_floor

    rng = np.random.default_rng(2311)
    stat = np.where(rng.random(4000) < 0.75, 0.0, rng.exponential(0.6, 4000))
    null = TailCalibrator.fit(stat, spacings=body_above_floor(stat))
    p = null.p_value(np.quantile(stat, [0.99, 0.999]))
    assert 0.003 < p[0] < 0.03 and 0.0003 < p[1] < 0.003
    body = np.sort(rng.exponential(0.6, 4000))  # no floor: the body's own levels
    assert body_above_floor(body) is None


def test_a_young_windows_floored_statistic_reads_its_few_rows_above_the_floor():
    # young41: a first fit on 12 hourly ticks of 12 cells holds ~37 rows above the floor;
    # on the floor's levels the scale was ~0.03 and 7-12 % of a clean export's days 1-2
    # were flagged
    from telecom_nb.detectors.grouped_units import body_above_floor

    rng = np.random.default_rng(2325)
    stat = np.where(np.arange(132) < 95, 0.0, rng.exponential(0.6, 132))
    null = TailCalibrator.fit(stat, spacings=body_above_floor(stat))
    assert null.p_value(np.array([1.5]))[0] > 0.01  # an ordinary above-floor value
