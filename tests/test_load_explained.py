"""A KPI's deviation read against what its load explains (fleets)."""

from __future__ import annotations

import numpy as np
import pytest

from telecom_nb.features.load_choice import bad_signs, choose
from telecom_nb.features.load_explained import LoadExplained
from telecom_nb.features.pipeline import KpiFeatures
from telecom_nb.features.time_slots import DAY_NS


def _fleet_z(rng: np.random.Generator, n: int) -> np.ndarray:
    """Seasonal z of users, throughput, an unrelated KPI, PRB and setups: 15 % of the
    cells on a crowd (users +3) lose throughput beyond a load z of 1, as a cell near
    capacity does (each sector learns its own crowd bins)."""
    users = rng.normal(size=n)
    users[rng.random(n) < 0.15] += 3.0
    thp = -2.0 * np.clip(users - 1.0, 0.0, None) + rng.normal(0.0, 0.5, n)
    prb = 0.8 * users + rng.normal(0.0, 0.6, n)
    setups = 0.9 * users + rng.normal(0.0, 0.4, n)
    return np.c_[users, thp, rng.normal(size=n), prb, setups]


def _learned(n: int = 50, days: int = 3) -> LoadExplained:
    rng = np.random.default_rng(1)
    model = LoadExplained(5)
    rows, valid = np.arange(n), np.ones((n, 5), dtype=bool)
    for t in range(96 * days):
        model.update(rows, _fleet_z(rng, n), valid, np.full(n, t * (DAY_NS // 96)), n)
    return model


def test_the_load_is_learned_one_way_only():
    """Throughput's load is the users KPI (users, PRB and setups rise together: the load
    family); the family is not read against throughput, nor is the unrelated KPI read
    against anything."""
    model = _learned()
    assert model.family_.tolist() == [True, False, False, True, True]
    assert model.dependent_.tolist() == [False, True, False, False, False]
    r = np.array([[0.0, -0.6, 0.9], [-0.6, 0.0, 0.0], [0.9, 0.0, 0.0]])
    family, dependent = choose(r)  # two KPIs moving together are no family
    assert not family.any() and not dependent.any()


def test_a_crowds_throughput_drop_is_explained_a_fault_is_not():
    model = _learned()
    z = np.array(
        [
            [3.5, -5.0, 0.0, 3.0, 3.0],  # a crowd: throughput as usual under it
            [0.0, -5.0, 0.0, 0.0, 0.0],  # the same drop at usual load
            [3.5, -14.0, 0.0, 3.0, 3.0],  # a collapse far beyond the crowd's
            [0.0, 2.0, 0.0, 0.0, 0.0],
        ]
    )
    out = model.adjust(np.arange(4), z, np.ones((4, 5), dtype=bool))
    assert abs(out[0, 1]) < 2.0
    assert out[1, 1] <= -5.0 and out[2, 1] <= -6.0 and out[3, 1] >= 2.0
    assert np.array_equal(out[:, [0, 2, 3, 4]], z[:, [0, 2, 3, 4]])  # loads keep theirs
    missing = np.ones((4, 5), dtype=bool)
    missing[0, [0, 3, 4]] = False  # no load value: nothing explained
    assert model.adjust(np.arange(4), z, missing)[0, 1] == -5.0


def test_nothing_is_explained_before_a_day_of_data():
    model = _learned(days=1)
    z = np.array([[3.5, -5.0, 0.0, 3.0, 3.0]])
    assert np.array_equal(model.adjust(np.arange(1), z, np.ones((1, 5), dtype=bool)), z)


def test_a_checkpoint_from_before_the_load_model_restores():
    from telecom_nb.engine.snapshot import capture, restore

    features = KpiFeatures()
    features.bind(["users", "thp"])
    features.load_.dependent_ = np.array([False, True])
    tree, arrays = capture(features)
    same = restore(_bound(), tree, arrays)
    assert same.load_.dependent_.tolist() == [False, True]
    del tree["attrs"]["load_"]
    fresh = restore(_bound(), tree, arrays)
    assert isinstance(fresh.load_, LoadExplained) and not fresh.load_.ready
    off = KpiFeatures(load=False)
    off.bind(["users", "thp"])
    assert off.load_ is None


def _bound() -> KpiFeatures:
    features = KpiFeatures()
    features.bind(["users", "thp"])
    return features


def test_a_load_fit_round_trips_a_checkpoint_and_an_older_one_starts_it_afresh():
    from telecom_nb.engine.snapshot import capture, restore
    from telecom_nb.features.load_fit import LoadFit

    features = _bound()
    features.load_.family_ = np.array([True, False])
    features.load_.dependent_ = np.array([False, True])
    fit = features.load_.fit_ = LoadFit(features.load_.family_, features.load_.dependent_)
    fit.update(np.arange(3), np.array([[1.0, 2.0], [2.0, 3.0], [3.0, 3.5]]),
               np.ones((3, 2), dtype=bool), 3)
    tree, arrays = capture(features)
    same = restore(_bound(), tree, arrays)
    assert np.array_equal(same.load_.fit_.xy_, fit.xy_) and same.load_.fit_.xy_.any()
    del tree["attrs"]["load_"]["attrs"]["fit_"]
    older = restore(_bound(), tree, arrays)
    assert isinstance(older.load_.fit_, LoadFit) and not older.load_.fit_.n_.size


def test_a_dependent_is_chosen_on_its_bad_side_and_held():
    """KPIs 0-2 are the load; 3 a latency (bad up) at r +0.18, 4 an unavailability (bad up)
    at r -0.4 (its outages), 5 a throughput (bad down) at -0.18, 6 a volume (no bad side) at
    +0.18: the bad-side r chooses 3 and 5 at ``bad_r`` 0.15, never 4; the name-blind |r|
    rule (``signs`` None) chooses only 4. Once chosen, 3 stays at r 0.13 (``HOLD``) but
    leaves when its r turns to its good side."""
    def corr(lat: float) -> np.ndarray:
        r = np.zeros((7, 7))
        r[:3, :3] = 0.8
        for j, v in ((3, lat), (4, -0.4), (5, -0.18), (6, 0.18)):
            r[j, :3] = r[:3, j] = v
        np.fill_diagonal(r, 0.0)
        return r

    signs = np.array([0.0, 0.0, 0.0, 1.0, 1.0, -1.0, 0.0])
    _, dependent = choose(corr(0.18), signs, 0.15)
    assert dependent.tolist() == [False, False, False, True, False, True, False]
    assert choose(corr(0.18))[1].tolist() == [False] * 4 + [True, False, False]
    assert not choose(corr(0.13), signs, 0.15)[1][3]  # a new KPI needs bad_r ...
    assert choose(corr(0.13), signs, 0.15, held=dependent)[1][3]  # ... a held one less
    assert not choose(corr(-0.13), signs, 0.15, held=dependent)[1][3]
    assert bad_signs(["Latency (ms)", "Cell Unavailability (s)", "DL Throughput (Mbps)",
                      "RRC Users", "UL RSSI (dBm)"], {"UL RSSI (dBm)": "up"}).tolist() == [
        1.0, 1.0, -1.0, 0.0, 1.0]


def test_load_bad_r_is_a_validated_feature_parameter():
    features = KpiFeatures(load_bad_r=0.2)
    assert features.load_bad_r == 0.2
    with pytest.raises(Exception, match="load_bad_r"):
        KpiFeatures(load_bad_r=1.5)


def test_the_dependents_are_chosen_on_the_rows_after_the_first_week():
    """KPI 2 follows the users in the first week only (a young seasonal part's z share the
    day's load swing, lat65): on all rows its r stays ~0.3 after twelve days, yet the choice
    reads the rows from ``LATE_NS`` on (once ``LATE_READ_NS`` of them are in), where it is
    unrelated: it leaves. Throughput, linked
    all along, stays; the family is the same."""
    rng = np.random.default_rng(2)
    n, model = 50, LoadExplained(5)
    rows, valid = np.arange(n), np.ones((n, 5), dtype=bool)
    chosen = {}
    for t in range(96 * 12):
        z = _fleet_z(rng, n)
        if t < 96 * 7:
            z[:, 2] = 0.35 * z[:, 0] + rng.normal(0.0, 1.0, n)
        model.update(rows, z, valid, np.full(n, t * (DAY_NS // 96)), n)
        chosen[t // 96] = model.dependent_.copy()
    assert chosen[5].tolist() == [False, True, True, False, False]  # the first week's
    assert chosen[9].tolist() == [False, True, True, False, False]  # too few late rows
    assert chosen[11].tolist() == [False, True, False, False, False]
    assert model.family_.tolist() == [True, False, False, True, True]
    assert choose_all_rows_would_keep_it(model)


def choose_all_rows_would_keep_it(model: LoadExplained) -> bool:
    from telecom_nb.features.load_choice import correlations

    return bool(choose(correlations(*model.cross_))[1][2])


def test_a_dependent_chosen_on_the_first_days_by_its_bad_side_is_learned_not_read():
    """KPI 2 (bad side up) follows the users weakly (r ~0.2): chosen on day 1 by its bad
    side alone it is learned but not read (``young_``: its z left as it is) until the late
    rows' r confirms it; throughput (``|r| >= MIN_R``) is read all along."""
    rng = np.random.default_rng(4)
    n = 50
    model = LoadExplained(5, np.array([0.0, -1.0, 1.0, 0.0, 0.0]))
    rows, valid = np.arange(n), np.ones((n, 5), dtype=bool)
    young = {}
    for t in range(96 * 12):
        z = _fleet_z(rng, n)
        z[:, 2] = 0.15 * z[:, 0] + rng.normal(0.0, 1.0, n)
        model.update(rows, z, valid, np.full(n, t * (DAY_NS // 96)), n)
        young[t // 96] = model.young_.copy()
        if t == 96 * 3:
            crowd = np.array([[3.5, -5.0, 6.0, 3.0, 3.0]])
            out = model.adjust(np.arange(1), crowd, np.ones((1, 5), dtype=bool))
            assert out[0, 2] == 6.0 and abs(out[0, 1]) < 2.0
    assert model.dependent_[[1, 2]].all()
    assert young[3].tolist() == [False, False, True, False, False]
    assert not young[11].any()
