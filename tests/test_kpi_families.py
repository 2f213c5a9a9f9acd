"""KPI families: two KPIs that do not move together in normal life, off at once."""

from __future__ import annotations

import numpy as np
from child_python import child_stdout

from telecom_nb.detectors import make_detector
from telecom_nb.detectors.calibration import TailCalibrator
from telecom_nb.detectors.feature_tails import FeatureTails
from telecom_nb.detectors.kpi_families import (
    KpiFamilies,
    components,
    families,
    kpi_columns,
    top_two_sum,
)
from telecom_nb.detectors.second_kpi import SecondKpi


def test_columns_are_each_kpis_own_kinds_the_seasonal_one_first():
    names = [
        "a:season_z",
        "b:season_z",
        "a/b:season_z",
        "a:peer_z",
        "b:change_z",
        "c:peer_z",
        "a:persist_z",
        "b:persist_z",
        "a/b:persist_z",
    ]
    # a relation (a/b) belongs to no KPI; c has no seasonal column: left out
    assert kpi_columns(names, ["a", "b", "c"]) == ((0, 6, 3), (1, 7))


def test_columns_include_the_area_part():
    # a cluster of sites slowed together: its area's evidence is each KPI's own
    names = ["a:season_z", "b:season_z", "a:area_z", "b:change_z", "b:area_z"]
    assert kpi_columns(names, ["a", "b"]) == ((0, 2), (1, 4))


def test_families_link_correlated_kpis_only():
    rng = np.random.default_rng(0)
    common = rng.normal(size=5000)
    z = np.column_stack(
        [
            common + 0.3 * rng.normal(size=5000),
            rng.normal(size=5000),
            -common + 0.3 * rng.normal(size=5000),
            rng.normal(size=5000),
        ]
    )
    z[::7, 1] = np.nan  # a KPI not reported on some rows
    assert families(z).tolist() == [0, 1, 0, 2]


def test_top_two_sum_adds_the_two_strongest_families_never_below_zero():
    units = np.array([[1.0, 5.0, 2.0, 3.0], [9.0, -1.0, -2.0, np.nan], [-1.0, -1.0, -1.0, -1.0]])
    group = np.array([0, 0, 1, 2])
    assert top_two_sum(units, group, 3).tolist() == [8.0, 9.0, 0.0]


def _fleet(n: int, seed: int = 0) -> np.ndarray:
    """Seasonal z of 5 KPIs: three load KPIs move together (and a crowd moves them all by
    6 sigma in 1 % of the rows); throughput and latency are independent."""
    rng = np.random.default_rng(seed)
    common = rng.normal(size=n)
    common[rng.random(n) < 0.01] = 6.0
    load = common[:, None] + 0.4 * rng.normal(size=(n, 3))
    return np.column_stack([load, rng.normal(size=(n, 2))])


def test_two_independent_kpis_at_4_sigma_outrank_a_crowd_on_correlated_ones():
    ref = _fleet(20_000)
    tails = FeatureTails.fit(ref, np.zeros_like(ref))
    kpis = ((0,), (1,), (2,), (3,), (4,))
    part = KpiFamilies.fit(tails, ref, kpis)
    assert part is not None and part.group.tolist() == [0, 0, 0, 1, 2]
    rows = np.array([[6.0, 6.0, 6.0, 0.0, 0.0], [0.0, 0.0, 0.0, -4.0, 4.0]])
    strongest = TailCalibrator.fit(tails(ref))(tails(rows))  # the max-of-features evidence
    second = SecondKpi.fit(tails, ref, kpis)(rows)  # the second strongest KPI
    assert strongest[1] < 3.0 and second[1] < 3.0  # neither hears the throughput + latency
    assert part(rows)[1] > max(3.0, part(rows)[0], strongest[0])
    assert part(rows)[0] < 3.0  # the crowd is one family: no rarer than its own tail
    one = ((0,), (1,), (2,))  # all load KPIs: one family, no second one
    assert KpiFamilies.fit(tails, ref, one) is None
    assert KpiFamilies.fit(tails, ref, ((3,),)) is None


def test_forest_model_scores_the_kpi_families_in_a_fleet_only():
    det = make_detector("iforest")
    ref = _fleet(5000)
    params = {
        "random_state": 0,
        "n_estimators": 20,
        "heavy_tails": False,
        "joint_columns": (),
        "family_columns": ((0,), (1,), (2,), (3,), (4,)),
    }
    model = det._fit_model(ref, params)
    assert model.families is not None
    rows = np.array([[0.0, 0.0, 0.0, -4.5, 4.5]])
    assert det._raw_score(model, rows)[0] >= model.families(rows)[0] > 3.0
    params.update(heavy_tails=True)  # one series' shoulder: no tails, no families
    assert det._fit_model(ref, params).families is None


def test_the_max_over_features_skips_what_only_the_families_read():
    from telecom_nb.detectors.feature_tails import FeatureTails
    from telecom_nb.detectors.kpi_families import family_only, without

    names = ["a:season_z", "a:area_z", "b:season_z", "b:area_z"]
    assert family_only(names) == (1, 3)
    rng = np.random.default_rng(0)
    ref = rng.normal(size=(5000, 4))
    every = FeatureTails.fit(ref, free=True)
    tails = without(every, family_only(names))
    x = np.array([[1.0, 30.0, 0.5, 0.0], [6.0, 0.0, 0.0, 40.0]])
    np.testing.assert_array_equal(tails.units(x)[:, [1, 3]], 0.0)
    np.testing.assert_array_equal(tails.units(x)[:, [0, 2]], every.units(x)[:, [0, 2]])
    own = every.units(x, capped=False)[:, [0, 2]].max(axis=1)
    np.testing.assert_allclose(tails(x), np.maximum(own, 0.0))  # the skipped read 0
    assert every(x)[0] > tails(x)[0]  # the area's 30 no longer counts in the max


def test_components_are_scipys_labels():
    """The same int32 labels as scipy's undirected ``connected_components`` (numbered by
    their first column), on graphs of 1-40 nodes, one-way links and self-links included."""
    from scipy.sparse.csgraph import connected_components

    rng = np.random.default_rng(2290)
    for trial in range(400):
        n = int(rng.integers(1, 41))
        linked = rng.random((n, n)) < rng.uniform(0.0, 0.25)
        if trial % 2:
            linked |= linked.T
        expected = connected_components(linked, directed=False)[1]
        got = components(linked)
        assert got.dtype == expected.dtype and np.array_equal(got, expected), trial


def test_the_detect_path_imports_no_scipy_sparse():
    """A child process: the CLI, the engine and the detectors' modules (the detect path's
    imports) leave ``scipy.sparse`` out (with its linear algebra, ~9 MB resident)."""
    code = (
        "import sys\n"
        "import telecom_nb.cli, telecom_nb.cli.commands, telecom_nb.engine\n"
        "import telecom_nb.detectors.iforest, telecom_nb.detectors.area_part\n"
        "print([m for m in sys.modules if m.startswith('scipy.sparse')][:3])\n"
    )
    out = child_stdout(code)
    assert out == "[]", out
