"""``benchmarks/count_ceiling.py``: the counts a percentage shows, and the windows' tails."""

from __future__ import annotations

import numpy as np

from benchmarks.count_ceiling import counts, window_tails


def test_a_value_is_read_at_the_multiple_its_traffic_makes_likely():
    """25 % is 1 drop of 4 calls where the traffic implies ~4 calls, more of more where it
    implies ~40; 0 % is no drop of the implied calls; a blank has no calls."""
    values = np.array([25.0, 25.0, 0.0, np.nan, 14.2857])
    implied = np.array([4.0, 40.0, 6.5, 3.0, 7.0])
    k, n = counts(values, implied, 0.004)
    assert (k[0], n[0]) == (1.0, 4.0)
    assert n[1] > 4.0 and k[1] / n[1] == 0.25
    assert (k[2], n[2]) == (0.0, 6.5)
    assert (k[3], n[3]) == (0.0, 0.0)
    assert (k[4], n[4]) == (1.0, 7.0)


def test_drops_close_together_read_rarer_than_apart_and_windows_stay_in_their_sector():
    """Three drops of 5 calls in three rows in a row are a surge's window; the same drops
    a dozen rows apart are each one drop; a row without a drop reads nothing, and a
    sector's window does not reach into the sector before it."""
    sector = np.repeat([0, 1], 30)
    events = np.zeros(60)
    events[[5, 6, 7]] = 1.0  # sector 0: together
    events[[32, 45, 58]] = 1.0  # sector 1: apart
    trials = np.full(60, 5.0)
    tail = window_tails(sector, events, trials, 0.004, 12)
    assert tail[7] < 2e-4 and tail[58] > 1e-2
    assert tail[7] < tail[6] < tail[5]
    assert np.all(tail[events == 0] == 1.0)
    events[29] = 1.0  # sector 0's last row: a lone drop, not sector 1's first window
    assert window_tails(sector, events, trials, 0.004, 12)[32] == tail[32]
