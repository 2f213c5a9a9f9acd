"""The persistence part: one KPI held off for hours, each on its own deep tail."""

from __future__ import annotations

import math

import numpy as np

from telecom_nb.detectors.area_part import area_columns
from telecom_nb.detectors.calibration import MAX_SCORE
from telecom_nb.detectors.feature_tails import FeatureTails
from telecom_nb.detectors.persist_part import MAX_TRIM, PERSIST_KIND, PersistPart, trimmed

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


def _others(n: int, flagged: np.ndarray, seed: int = 5) -> np.ndarray:
    """The other parts' max raw score: an exponential body, ``flagged`` rows far beyond it."""
    out = np.random.default_rng(seed).exponential(0.5, size=n)
    out[flagged] = 12.0
    return out


def test_the_nulls_leave_out_what_the_other_parts_flag_but_not_a_heavy_normal_tail():
    """2 % of the window is another part's frequent fault (KPI c's persistence at -8): on all
    rows it sets c's tail units' deepest level and its null's spacing, and a cell's own 5
    spreads read nothing; trimmed, they read.
    KPI a's heavy normal tail is no other part's flag: its null keeps its width."""
    n = 5_000
    ref = _window(n, seed=4)
    fault = np.zeros(n, dtype=bool)
    fault[::50] = True
    ref[fault, 6] = -8.0 + 0.5 * np.random.default_rng(6).normal(size=fault.sum())
    tails = FeatureTails.fit(ref, np.zeros_like(ref))
    pairs = area_columns(NAMES, KPIS, kind=PERSIST_KIND)
    trim = trimmed(_others(n, fault))
    assert trim is not None and trim[fault].all() and trim[~fault].sum() < 0.003 * n
    plain = PersistPart.fit(tails, ref, pairs)
    cut = PersistPart.fit(tails, ref, pairs, trim=trim)
    row = np.zeros((1, 8))
    row[0, 6] = -5.0
    assert plain(row)[0] == 0.0 and cut(row)[0] > 2.0
    assert cut.nulls[2].tail_scale < plain.nulls[2].tail_scale / 2
    assert cut.tails.start[-1, 2] < plain.tails.start[-1, 2] / 2  # units: refitted too
    assert abs(cut.nulls[0].tail_scale / plain.nulls[0].tail_scale - 1.0) < 0.1


def test_the_trim_takes_at_most_a_small_share_and_nothing_when_nothing_is_flagged():
    """Bounded: a window the other parts flag a fifth of loses only the highest-scored
    :data:`MAX_TRIM` share (the rest stays in the null); an unflagged one only the few rows
    its own calibration puts at 1 in 1,000."""
    n = 4_000
    flagged = np.zeros(n, dtype=bool)
    flagged[: n // 5] = True
    others = _others(n, flagged)
    others[: n // 5] += np.linspace(0.0, 1.0, n // 5)  # the highest-scored: the last ones
    trim = trimmed(others)
    assert trim.sum() == int(MAX_TRIM * n) and trim[n // 5 - int(MAX_TRIM * n) : n // 5].all()
    assert trimmed(_others(n, np.zeros(n, dtype=bool))).sum() < 0.003 * n
    assert trimmed(np.full(n, 0.5)) is None
    assert trimmed(np.zeros(0)) is None
