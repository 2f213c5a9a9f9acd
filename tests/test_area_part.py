"""The area part: two KPI families off in the sector and its neighbourhood at once."""

from __future__ import annotations

import numpy as np

from telecom_nb.detectors.area_part import AreaPart, area_columns
from telecom_nb.detectors.feature_tails import FeatureTails


def test_columns_pair_each_kpis_seasonal_and_area_columns():
    names = ["a:season_z", "b:season_z", "a:area_z", "b:peer_z", "c:area_z", "b:area_z"]
    # c has no seasonal column (no family): left out
    assert area_columns(names, ["a", "b", "c"]) == ((0, 2), (1, 5))


def _window(n: int, seed: int = 0) -> np.ndarray:
    """Seasonal z of 4 KPIs (two load KPIs moving together, two independent ones) and
    their area columns: the sector and its area agree on about half the rows."""
    rng = np.random.default_rng(seed)
    common = rng.normal(size=n)
    season = np.column_stack(
        [
            common + 0.3 * rng.normal(size=(n, 2)).T[0],
            common + 0.3 * rng.normal(size=n),
            rng.normal(size=(n, 2)),
        ]
    )
    area = np.abs(rng.normal(size=(n, 4))) * (rng.random((n, 4)) < 0.5) * np.sign(season)
    return np.column_stack([season, area])


def test_a_cluster_outranks_a_crowd_and_an_ordinary_row():
    ref = _window(20_000)
    tails = FeatureTails.fit(ref, np.zeros_like(ref))
    pairs = area_columns(
        [f"{k}:{kind}" for kind in ("season_z", "area_z") for k in "abcd"], list("abcd")
    )
    part = AreaPart.fit(tails, ref, pairs)
    assert part is not None and part.group.tolist() == [0, 0, 1, 2]
    rows = np.zeros((4, 8))
    rows[0, [0, 1, 4, 5]] = 8.0  # a crowd: both load KPIs and their area, one family
    rows[1, [2, 3]], rows[1, [6, 7]] = [-5.0, 5.0], [-5.0, 5.0]  # a cluster: two families
    rows[2, [2, 3]] = [-5.0, 5.0]  # the same cell alone: its area is healthy
    rows[3, [2, 6]] = 1.0  # an ordinary row: read as 0 (below the floor)
    score = part(rows)
    assert score[1] > 3.0 and score[1] > score[0]
    assert score[2] == 0.0 and score[3] == 0.0


def test_no_part_without_area_evidence_in_the_window():
    ref = _window(5_000)
    ref[:, 4:] = 0.0  # the area's first day: every area column reads 0
    tails = FeatureTails.fit(ref, np.zeros_like(ref))
    pairs = ((0, 4), (1, 5), (2, 6), (3, 7))
    assert AreaPart.fit(tails, ref, pairs) is None
    assert AreaPart.fit(tails, ref, pairs[:1]) is None  # one KPI: no two families
