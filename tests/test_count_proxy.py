"""A ratio's trials implied by a traffic column: learned from single-count values, applied."""

from __future__ import annotations

import numpy as np

from telecom_nb.features.count_fractions import smallest_fraction
from telecom_nb.features.count_proxy import TrialProxy

TOL = np.full(3, 0.0051)
RATIOS = np.array([True, False, False])


def _rows(rng: np.random.Generator, n: int) -> np.ndarray:
    """drop rate (2 decimals) of Poisson(40 Erl) calls, the Erlangs, a noisier users count."""
    erl = rng.uniform(0.05, 3.0, n).round(2)
    calls = rng.poisson(40 * erl)
    drops = rng.binomial(calls, 0.02)
    rate = np.where(calls > 0, (100.0 * drops / np.maximum(calls, 1)).round(2), np.nan)
    users = np.round(erl * 20 * np.exp(rng.normal(0, 0.6, n)))
    return np.column_stack([rate, erl, users])


def _learned(seed: int = 0) -> TrialProxy:
    rng = np.random.default_rng(seed)
    proxy = TrialProxy(3)
    for _ in range(10):
        proxy.update(_rows(rng, 500), RATIOS, TOL)
    return proxy


def test_the_trial_column_is_the_traffic_of_the_narrowest_ratio():
    column, mean, spread = _learned().columns()
    assert column.tolist() == [1, -1, -1]  # the Erlangs, not the users; nothing for others
    assert 25 < np.exp(mean[0]) < 50 and spread[0] < 0.45  # ~40 calls per Erlang


def test_a_value_is_read_as_the_trials_its_traffic_implies():
    proxy = _learned()
    # 11.76 % at 2.5 Erl (~100 calls): 2 of 17 at its smallest fraction; at 0.4 Erl it is
    raw = np.array([[11.76, 2.5, 50.0], [11.76, 0.4, 8.0], [0.0, 2.5, 50.0]])
    k, n = smallest_fraction(raw[:, 0], 0.0051)
    read = (np.array([0]), k[:, None], n[:, None], np.ones((3, 1), bool), np.full((3, 1), 0.004))
    (_, k2, n2, _, _), scaled = proxy.scale(read, raw, np.array([-1, -1, -1]))
    assert (k[0], n[0]) == (2, 17)
    assert scaled[:, 0].tolist() == [True, False, False]  # the quiet cell's and 0 % stay
    assert k2[0, 0] / n2[0, 0] == 2 / 17 and n2[0, 0] >= 34  # 4+ drops of 34+, same share
    assert (k2[1, 0], n2[1, 0]) == (2, 17)
    # an exact counter column wins: nothing scaled
    assert proxy.scale(read, raw, np.array([2, -1, -1]))[1] is None
