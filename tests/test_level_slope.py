"""A pool's level-shift spread read at the hour's own level (``features/level_slope.py``)."""

from __future__ import annotations

import numpy as np
import pandas as pd
from feature_loop import by_timestamp

from telecom_nb import schema
from telecom_nb.features.level_slope import local_scale, slope, smoothed_slope
from telecom_nb.features.pipeline import KpiFeatures

DAY = 96  # 15-minute rows


def _cell(seed: int, sector: str, days: int = 12) -> pd.DataFrame:
    """A 15-minute cell whose noise is relative to its level (5 %), with a night trough
    on ``log1p``'s linear part (0.02 GB a row) and a day at ~0.5."""
    rng = np.random.default_rng(seed)
    ts = pd.date_range("2026-03-02", periods=days * DAY, freq="15min", tz="UTC")
    hours = (ts.hour + ts.minute / 60.0).to_numpy()
    level = 0.02 + 0.5 * np.exp(-((hours - 15.0) / 4.0) ** 2)
    traffic = level * np.exp(rng.normal(0.0, 0.05, len(ts)))
    return pd.DataFrame({schema.TIMESTAMP: ts, schema.SECTOR: sector, "traffic": traffic})


def _pool_z(frames: list[pd.DataFrame]) -> np.ndarray:
    """The pool's shift z, rows x cells (a timestamp's batch at a time, as live)."""
    frame = pd.concat(frames).sort_values(schema.TIMESTAMP, kind="stable").reset_index(drop=True)
    features = KpiFeatures(kpis=["traffic"])
    view = features.view(frame)
    features.prepare_view(view)
    x = np.vstack([x for *_, x in by_timestamp(features, view)])
    col = features.feature_names.index("traffic:shift_z")
    return x[:, col].reshape(-1, len(frames))


def test_a_pools_night_reads_its_own_level():
    """The day-smoothed spread of ``log1p`` traffic is the day's: a night at 0.02 GB read
    its normal z at a fraction of the day's spread, and c1 losing half its night for 6
    hours read |z| ~1. At the night's own slope both read as by day."""
    frames = [_cell(s, f"c{s}") for s in range(2)]
    start = 10 * DAY + 4  # day 10, 01:00
    frames[1].loc[start : start + 23, "traffic"] *= 0.5
    z = _pool_z(frames)
    hour = np.arange(len(z)) % DAY / 4
    normal = np.ones(len(z), dtype=bool)
    normal[: 8 * DAY] = False  # a week of days to smooth over
    night, day = normal & (hour < 5), normal & (hour >= 12) & (hour < 18)
    cells = np.r_[z[night, 0], z[night & (np.arange(len(z)) >= 11 * DAY), 1]].std()
    assert cells > 0.6 * z[day].std()
    assert np.median(z[start + 4 : start + 24, 1]) < -4


def test_the_slope_of_log1p():
    """``1 - e^-ref`` is ``x / (1 + x)`` at ``ref = log1p(x)``; 1 for a KPI in points."""
    x = np.array([[0.02, 1.0, 100.0]])
    got = slope(np.log1p(x), np.array([False, False, True]))
    np.testing.assert_allclose(got, [[0.02 / 1.02, 0.5, 1.0]])
    assert slope(np.array([0.0]), np.array([False]))[0] > 0  # never a vanishing spread


def test_the_smoothed_slope_and_the_local_spread():
    """The first reference's slope is taken as is, later ones at the spread's weight; no
    reference (not enough days) keeps it; without a slope the scale is as it was."""
    linear = np.array([False])
    ref = np.log1p(np.array([1.0]))  # slope 0.5
    first = smoothed_slope(ref, np.array([0.0]), np.array([0.0]), np.array([True]), linear,
                           np.array([1.0]))
    np.testing.assert_allclose(first, [0.5])
    later = smoothed_slope(np.log1p(np.array([3.0])), first, np.array([5.0]),
                           np.array([True]), linear, np.array([0.25]))
    np.testing.assert_allclose(later, [0.5 + 0.25 * (0.75 - 0.5)])
    kept = smoothed_slope(np.array([np.nan]), first, np.array([5.0]), np.array([False]),
                          linear, np.array([0.25]))
    np.testing.assert_allclose(kept, first)
    spread, floor = np.array([0.1]), np.array([0.01])
    three = np.log1p(np.array([3.0]))
    np.testing.assert_allclose(local_scale(spread, three, first, linear, floor), [0.15])
    np.testing.assert_allclose(local_scale(spread, ref, np.array([0.0]), linear, floor), spread)
    np.testing.assert_allclose(local_scale(spread, np.array([np.nan]), first, linear, floor),
                               spread)
    night = np.log1p(np.array([0.02]))  # the floor at the night's slope: 1 % of its level
    np.testing.assert_allclose(local_scale(np.array([0.0]), night, first, linear, floor),
                               [0.01 * 0.02 / 1.02])
