"""The weekday table's scatter of effects: a minority of sectors with their own weekend
(business cells) counts; one tick's faults do not."""

from __future__ import annotations

import numpy as np

from telecom_nb.features.weekly import WeekdayEffects


def _scatter(share: float, effect: float) -> float:
    rng = np.random.default_rng(3)
    n = 4000
    r = rng.normal(0.0, 1.0, (n, 1))
    r[: int(share * n)] += effect  # these sectors' own effect at this week slot
    ok = np.ones((n, 1), dtype=bool)
    _, tau2 = WeekdayEffects._cross_section(r, ok, np.ones((n, 1)))
    return float(tau2[0])


def test_a_sixth_of_the_fleet_with_its_own_effect_is_scatter() -> None:
    # the MAD alone reads ~0 here: the business cells' weekend would never be trusted
    assert _scatter(1 / 6, -4.0) > 1.0


def test_a_few_faulty_sectors_and_noise_alone_are_not() -> None:
    assert _scatter(0.0, 0.0) < 0.1
    assert _scatter(0.03, -8.0) < 0.2


def test_a_count_at_zero_for_most_sectors_has_no_minority_effect() -> None:
    # night drop rates: most sectors read exactly their typical 0, a few one drop (50 %)
    rng = np.random.default_rng(5)
    n = 4000
    r = np.where(rng.random((n, 1)) < 0.12, 50.0, 0.0)
    _, tau2 = WeekdayEffects._cross_section(r, np.ones((n, 1), dtype=bool), np.full((n, 1), 4.0))
    assert float(tau2[0]) == 0.0
