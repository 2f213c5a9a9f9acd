"""The per-row mark: a neighbourhood off on two families at once leaves every part's fit."""

from __future__ import annotations

import numpy as np

from telecom_nb.detectors.row_mark import MARK_Z, marked, split

PAIRS = ((0, 4), (1, 5), (2, 6), (3, 7))  # KPIs 0-1 one family, 2-3 another


def _window(n: int = 2000, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    a, b = rng.normal(size=n), rng.normal(size=n)
    season = np.c_[a, a + 0.1 * rng.normal(size=n), b, b + 0.1 * rng.normal(size=n)]
    area = np.zeros((n, 4))
    return np.c_[season, area]


def test_two_families_off_in_the_area_are_marked_one_is_not() -> None:
    w = _window()
    w[10, [4, 6]] = MARK_Z + 1.0  # both families: a cluster's cell
    w[20, [4, 5]] = -(MARK_Z + 2.0)  # two KPIs of one family: a crowd
    w[30, 4] = w[30, 7] = MARK_Z - 0.5  # two families, not far enough
    mark = marked(w, PAIRS)
    assert mark is not None
    assert np.flatnonzero(mark).tolist() == [10]


def test_nothing_marked_without_two_families_or_when_the_window_is_the_event() -> None:
    w = _window()
    assert marked(w, PAIRS) is None  # nothing off
    assert marked(w, PAIRS[:1]) is None  # one KPI: no families
    w[:, [4, 6]] = MARK_Z + 1.0  # every row: the window's normal, kept
    assert marked(w, PAIRS) is None


def test_the_fits_read_the_window_without_its_marked_rows() -> None:
    w = _window()
    w[[5, 50, 500], 4] = w[[5, 50, 500], 7] = 6.0
    prev = w + 1.0
    kept, kept_prev, rows = split(w, prev, PAIRS)
    assert len(kept) == len(w) - 3 and len(kept_prev) == len(w) - 3
    assert not np.isin(kept[:, 4], 6.0).any() and np.array_equal(kept_prev, kept + 1.0)
    assert rows is not None and rows[0] is w and rows[1] is prev  # the area part's
    plain = _window()
    same, same_prev, none = split(plain, prev, PAIRS)  # nothing marked: as given
    assert none is None and same is plain and same_prev is prev
