"""A young pool's calendar days: a cell's level shift net of the whole pool's common move."""

from __future__ import annotations

import numpy as np
import pandas as pd
from feature_loop import by_timestamp, loop_features
from test_level_shift import _hourly, _shift_col

from telecom_nb import schema
from telecom_nb.features.level_shift_pool import common_move
from telecom_nb.features.pipeline import KpiFeatures

DAY = 24


def _weekend_pool(days: int = 16) -> tuple[pd.DataFrame, int]:
    """Three hourly cells from a Monday whose weekends carry 80 % of a weekday's load (all
    cells at once: a calendar day); c1 at 40 % for 8 hours on the first Saturday from
    12:00 (its row index in hours). Rows by timestamp, then cell."""
    frames = [_hourly(days, s, f"c{s}") for s in range(3)]
    start = 5 * DAY + 12
    for f in frames:
        weekend = f[schema.TIMESTAMP].dt.day_of_week.to_numpy() >= 5
        f.loc[weekend, "traffic"] *= 0.8
    frames[1].loc[start : start + 7, "traffic"] *= 0.4
    frame = pd.concat(frames).sort_values([schema.TIMESTAMP, schema.SECTOR], kind="stable")
    return frame.reset_index(drop=True), start


def _z(frame: pd.DataFrame, cells: int = 3) -> np.ndarray:
    """The pool's shift z (hours x cells), a timestamp's batch at a time, as live."""
    features = KpiFeatures(kpis=["traffic"])
    view = features.view(frame)
    features.prepare_view(view)
    assert features.level_.active
    x = np.vstack([x for *_, x in by_timestamp(features, view)])
    return x[:, _shift_col(features)].reshape(-1, cells)


def test_a_young_pools_first_weekend_is_no_shift_but_one_cells_fault_is():
    """Every cell dips on the first weekend (no week before: the days' median is weekdays')
    and main read each cell's dip as a shift (|z| median 3.0, the null's tail for weeks);
    net of the pool's common move the weekend reads small, while c1's own drop the same
    Saturday keeps its own part and stays far."""
    frame, start = _weekend_pool()
    z = _z(frame)
    fault = np.zeros(len(z), dtype=bool)
    fault[start : start + 12] = True  # the drop, and the hours its hour remembers it
    weekend = np.zeros(len(z), dtype=bool)
    weekend[5 * DAY : 7 * DAY] = True
    normal = np.abs(np.r_[z[weekend, 0], z[weekend & ~fault, 1], z[weekend, 2]])
    assert np.median(normal) < 1.0  # main 3.0, here 0.56
    assert np.median(z[start + 1 : start + 8, 1]) < -4  # the one cell's drop


def test_from_a_week_on_the_pool_reads_as_before():
    """A row whose bin a week before was seen reads as each cell alone would (rows fed one
    at a time: no pool at an instant, no common move), bit for bit; the first week's do
    not (the weekend). A drop of every cell at once in week 2 stays far on each."""
    frame, _ = _weekend_pool()
    every = 9 * DAY + 10  # Wednesday of week 2, 10:00, all cells at 40 % for 6 hours
    hours = frame[schema.TIMESTAMP].dt.hour.to_numpy()
    day = ((frame[schema.TIMESTAMP] - frame[schema.TIMESTAMP].iloc[0]).dt.days).to_numpy()
    at = (day == 9) & (hours >= 10) & (hours < 16)
    frame.loc[at, "traffic"] *= 0.4
    z = _z(frame)
    features, x = loop_features(frame, ["traffic"])
    alone = x[:, _shift_col(features)].reshape(-1, 3)
    np.testing.assert_array_equal(z[7 * DAY :], alone[7 * DAY :])
    assert not np.array_equal(z[5 * DAY : 7 * DAY], alone[5 * DAY : 7 * DAY])
    assert (np.median(z[every + 1 : every + 6], axis=0) < -4).all()


def test_the_common_move_is_the_smallest_same_side_move_of_every_cell():
    z = np.array([[-2.0, 1.0], [-5.0, 2.0], [-1.5, -1.0],  # one instant, three cells
                  [3.0, 0.0], [2.0, 1.0], [1.0, 1.0],
                  [4.0, 4.0], [5.0, 5.0]])  # two of three cells: no pool there
    stamps = np.array([0, 0, 0, 1, 1, 1, 2, 2])
    rows = np.array([0, 1, 2, 2, 1, 0, 0, 1])
    out = common_move(z, stamps, rows, 3)
    np.testing.assert_array_equal(out[:, 0], [-1.5, -1.5, -1.5, 1.0, 1.0, 1.0, 0.0, 0.0])
    np.testing.assert_array_equal(out[:, 1], 0.0)  # sides differ; a zero: no move
    twice = common_move(z[:3], np.zeros(3, int), np.array([0, 0, 1]), 3)
    np.testing.assert_array_equal(twice, 0.0)  # a cell twice is not the whole pool
