"""A live tick's rows share one week slot: the shortcut for that case gives the general
path's numbers exactly (fleet effect, scatter, learned tables)."""

from __future__ import annotations

import numpy as np
import pytest

from telecom_nb.features import weekly
from telecom_nb.features.weekly import WeekdayEffects


def _run(general: bool, monkeypatch: pytest.MonkeyPatch) -> list[np.ndarray]:
    if general:
        monkeypatch.setattr(weekly, "_one_slot", lambda wslot: None)
    rng = np.random.default_rng(7)
    n, k = 5000, 3
    week = WeekdayEffects(24, k)
    week.grow(n)
    rows = np.arange(n)
    out = []
    for _visit in range(4):  # a cold first visit of each slot, then warm ones
        for slot in (3, 50):
            wslot = np.full(n, slot)
            r = rng.normal(0.5 * (slot == 50), 1.0, (n, k))
            r[rng.random((n, k)) < 0.05] = np.nan
            ok = rng.random((n, k)) < 0.9
            sigma2 = rng.uniform(0.5, 2.0, (n, k))
            effect, var, fleet = week.expect(rows, wslot, r, ok, sigma2)
            fleet_at, tau2 = week._fleet_at(wslot, r, ok, sigma2)
            far = rng.random((n, k)) < 0.02
            week.update(rows, wslot, r, ok, far, np.sqrt(sigma2), sigma2)
            out += [np.asarray(a).copy() for a in (effect, var, fleet, fleet_at, tau2)]
    tables = (week.level_, week.count_, week.fleet_, week.tau2_, week.fleet_count_)
    return [*out, *(a.copy() for a in tables)]


def test_one_slot_shortcut_matches_general_path(monkeypatch: pytest.MonkeyPatch) -> None:
    fast = _run(False, monkeypatch)
    general = _run(True, monkeypatch)
    assert len(fast) == len(general)
    for a, b in zip(fast, general, strict=True):
        assert a.shape == b.shape
        np.testing.assert_array_equal(a, b)
    assert np.abs(fast[-3]).max() > 0  # the fleet learned something: not a trivial match


def test_one_slot_is_only_found_when_every_row_shares_it() -> None:
    assert weekly._one_slot(np.full(10, 4)) == 4
    assert weekly._one_slot(np.array([4, 4, 5])) is None
    assert weekly._one_slot(np.array([], dtype=int)) is None
