"""A small fleet's lone site of its own kind: its weekday effect, learned from a visit of
several samples, is trusted; hourly data (one sample a visit) read as before."""

from __future__ import annotations

import numpy as np

from telecom_nb.features.weekly import WeekdayEffects

N, K, OWN, NOISE = 108, 2, -0.5, 0.25  # 12 of 108 cells on the business site


def _table(visit: float, weeks: int, seed: int = 11) -> tuple[WeekdayEffects, np.ndarray]:
    """A week slot's visits at ``visit`` (a sample's share of it); the first 12 cells
    carry their own effect ``OWN``, every sample noise ``NOISE``."""
    rng = np.random.default_rng(seed)
    week = WeekdayEffects(24, K)
    week.grow(N)
    rows = np.arange(N)
    wslot = np.full(N, 4 * 24 + 10)  # Friday 10:00
    own = np.where(rows[:, None] < 12, OWN, 0.0) * np.ones((1, K))
    # the typical day's noise overstated twice (15-minute samples: the majority's residuals
    # scatter at ~0.6 of it), so the tick's cross section reads no excess scatter
    sigma2 = np.full((N, K), 2.0 * NOISE**2)
    learn = np.ones((N, K), dtype=bool)
    for _ in range(weeks * round(1 / visit)):
        r = own + rng.normal(0.0, NOISE, (N, K))
        week.update(rows, wslot, r, learn, ~learn, np.full((N, K), NOISE), sigma2, visit)
    effect, _, _ = week.expect(rows, wslot, own, learn, sigma2)
    return week, effect


def test_a_lone_site_s_friday_is_trusted_after_one_visit_of_four_samples() -> None:
    week, effect = _table(0.25, 1)
    # main: the tick's cross section reads ~0 scatter, the cells expected at the fleet's
    assert float(np.median(effect[:12])) < 0.1 * OWN
    assert float(week.habits_.max()) > 0.005
    assert float(np.median(np.abs(effect[12:]))) < 0.1  # the majority near the fleet's


def test_the_majority_keeps_the_fleet_s_effect_without_a_minority() -> None:
    rng = np.random.default_rng(2)
    level = rng.normal(0.0, 0.1, (N, K)).astype(np.float16)
    from telecom_nb.features.weekly import _habits

    assert float(_habits(level, np.full((N, K), 36, dtype=np.uint8)).max()) < 0.002
    level[:12] += np.float16(OWN)
    assert float(_habits(level, np.full((N, K), 36, dtype=np.uint8)).min()) > 0.005


def test_hourly_visits_are_read_as_before() -> None:
    week, _ = _table(1.0, 2)
    assert week.samples_ == 1.0
    assert not week.habits_.any()
    assert np.array_equal(week.scatter(np.arange(3)), week.tau2_[np.arange(3)])
