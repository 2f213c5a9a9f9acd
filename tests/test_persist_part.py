"""The persistence part: one KPI held off for hours, each on its own deep tail."""

from __future__ import annotations

import math

import numpy as np

from telecom_nb.detectors.area_part import area_columns
from telecom_nb.detectors.calibration import MAX_SCORE
from telecom_nb.detectors.feature_tails import FeatureTails
from telecom_nb.detectors.persist_part import PERSIST_KIND, PersistPart

KPIS = list("abcd")
NAMES = [f"{k}:{kind}" for kind in ("season_z", PERSIST_KIND) for k in KPIS]


def _window(n: int, seed: int = 0) -> np.ndarray:
    """Seasonal z of 4 KPIs (a and b move together) and their persistence columns: a's has a
    heavy tail (a count ratio's), the others are near-Gaussian (a throughput's)."""
    rng = np.random.default_rng(seed)
    common = rng.normal(size=n)
    season = np.column_stack(
        [
            common + 0.3 * rng.normal(size=n),
            common + 0.3 * rng.normal(size=n),
            rng.normal(size=(n, 2)),
        ]
    )
    persist = 0.7 * rng.normal(size=(n, 4))
    persist[:, 0] = rng.standard_t(2, size=n)
    return np.column_stack([season, persist])


def _fit(ref: np.ndarray) -> PersistPart | None:
    tails = FeatureTails.fit(ref, np.zeros_like(ref))
    return PersistPart.fit(tails, ref, area_columns(NAMES, KPIS, kind=PERSIST_KIND))


def test_a_light_tailed_kpi_held_off_outranks_a_heavy_tailed_one():
    part = _fit(_window(5_000))
    assert part is not None and part.penalty == math.log10(3.0)  # a and b: one family
    rows = np.zeros((3, 8))
    rows[0, 4] = 6.0  # the heavy-tailed KPI at 6: it gets there now and then
    rows[1, 6] = 6.0  # a near-Gaussian KPI held at 6 of its spreads: never
    rows[2, 6] = 1.0  # an ordinary row: below the floor
    score = part(rows)
    assert score[1] > 4.0 and score[1] > score[0] + 2.0
    assert score[2] == 0.0


def test_no_part_below_two_kpis_or_two_families():
    ref = _window(3_000)
    tails = FeatureTails.fit(ref, np.zeros_like(ref))
    pairs = area_columns(NAMES, KPIS, kind=PERSIST_KIND)
    assert pairs == ((0, 4), (1, 5), (2, 6), (3, 7))
    assert PersistPart.fit(tails, ref, pairs[:1]) is None  # one KPI
    assert PersistPart.fit(tails, ref, pairs[:2]) is None  # a and b: one family
    assert PersistPart.fit(tails, ref, ()) is None  # not asked for


def test_the_statistic_is_the_nulls_log_p_where_it_can_reach_the_floor():
    ref = _window(5_000, seed=1)
    part = _fit(ref)
    rows = _window(2_000, seed=2) * 2.0
    units = np.nan_to_num(part.tails.units(rows[:, part.columns]))
    full = np.max([n.log_p_numpy(units[:, j]) for j, n in enumerate(part.nulls)], axis=0)
    stat = part.statistic(rows)
    tail = full >= 1.31  # beyond -log10 of every tail's mass (0.05): the exponential's rows
    assert tail.sum() > 100 and np.array_equal(stat[tail], full[tail])
    assert np.all(stat[~tail] <= full[~tail])
    assert np.array_equal(part(rows) > 0, full - part.penalty >= 2.0)


def test_a_column_at_a_constant_reads_nothing_within_one_spread_of_its_level():
    """An availability-like KPI: its persistence column is 0 on almost every row, so its null's
    scale is the spacing of zeros; 0.002-0.06 of a spread (the days after an outage) read 0,
    a column held a few spreads off still reads."""
    ref = _window(5_000, seed=3)
    ref[:, 7] = 0.0
    ref[::2_500, 7] = 2.0  # its rare dips (fewer than 1 in 1,000 rows)
    part = _fit(ref)
    rows = np.zeros((3, 8))
    rows[0, 7] = 0.002
    rows[1, 7] = 0.06
    rows[2, 7] = 4.0
    units = np.nan_to_num(part.tails.units(rows[:, part.columns]))
    null = part.nulls[3]
    assert null.log_p_numpy(units[:2, 3]).min() > 4.0  # what the null alone makes of them
    score = part(rows)
    assert score[0] == 0.0 and score[1] == 0.0
    assert 2.0 < score[2] <= MAX_SCORE  # soft-capped: its null has almost no scale (868,590)
