"""The level shift's bins and windows: its clock geometry, history, constants and the
arithmetic on them, shared by the pool's numpy path (:mod:`.level_shift`), one series' twin
(:mod:`.level_shift_one`) and the compiled pass (:mod:`.level_shift_kernel`, its constants)
-- one place, so the three read alike.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from telecom_nb.features.group_median import nanmedian_lanes

BIN = pd.Timedelta("15min")
BINS_PER_DAY = int(pd.Timedelta("1D") / BIN)
#: bins in the recent windows (the current one so far and the ones before it): the hour
#: judged, and the last bins that must show the same shift
WINDOWS = (4, 1)
#: per window, whether its mean leaves out its largest and smallest value (the hour: one
#: row's spike is no level; the last bins are the onset's and stay plain)
TRIMMED = (True, False)
#: fewest rows in a window before its extremes are left out (3: the median of three)
TRIM_ROWS = 3
#: days of bins kept, and the fewest whose same window makes a reference
DAYS = 7
MIN_DAYS = 3
#: bins of history kept per sector (the days plus today)
RING = (DAYS + 1) * BINS_PER_DAY
#: the scale is trusted after this many bins gave a day-to-day spread (6 hours)
MIN_SCALE_BINS = 24
MAD_TO_SIGMA = 1.4826
#: E[MAD x 1.4826] / sigma of n normal values (n = 0..7, simulated): a handful of days'
#: MAD is biased low (3 days: by a third), and the scale averages them
MAD_BIAS = np.array([1.0, 1.0, 1.0, 0.675, 0.734, 0.820, 0.840, 0.880])
_NONE = np.iinfo(np.int64).min // 2
#: one series (:mod:`.level_shift_one`): a bin's rows at positions 0..PARTIAL_ROWS - 1 read
#: the previous days' same bin cut to as many rows; a later row their whole bins (a
#: 5-minute bin holds 3 rows, a 2-minute one 7-8)
PARTIAL_ROWS = 4
#: one series: a window's z is the nearer of the days' and the same window's a week before,
#: when that window was within WEEK_SAME spreads of its own week before (a weekly shape
#: seen twice; a fault a week before was not)
WEEK_GUARD = True
WEEK_SAME = 3.0
WEEK_BINS = 7 * BINS_PER_DAY
#: one series' state (row 0 only; a pool leaves it unread): see :mod:`.level_shift_one`
ONE_STATE = ("cur_rows_", "ring_psum_", "ring_pn_", "ring_pmax_", "ring_pmin_", "pspread_",
             "pspread_n_", "week_", "ring_wz_")


def window_mean(total: np.ndarray, count: np.ndarray, hi: np.ndarray, lo: np.ndarray,
                trim: bool) -> np.ndarray:
    """A window's mean of its nonzero rows; ``trim``: without its largest and smallest value
    once it holds :data:`TRIM_ROWS` rows (NaN: no row)."""
    with np.errstate(invalid="ignore", divide="ignore"):
        plain = np.where(count > 0, total / count, np.nan)
        if not trim:
            return plain
        return np.where(count >= TRIM_ROWS, (total - hi - lo) / (count - 2.0), plain)


def agree(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """``a`` as far as ``b`` shows it too (the same sign; 0 otherwise)."""
    return np.where(np.sign(a) == np.sign(b), np.sign(a) * np.minimum(np.abs(a), np.abs(b)),
                    0.0)


def spread_weight(n: np.ndarray) -> np.ndarray:
    """The weight a new day's MAD gets in the smoothed spread after ``n`` of them: ``1 / (n +
    1)``, at least a day's bins' (the level's slope is smoothed alike, :mod:`.level_slope`)."""
    return np.maximum(1.0 / (n + 1.0), 1.0 / BINS_PER_DAY)


def reference(means: np.ndarray, valid: np.ndarray, spread: np.ndarray,
              n: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """A bin's reference (NaN: fewer than :data:`MIN_DAYS` days), smoothed spread and its
    count from the previous days' window means ``means`` (``... x days x KPIs``), ``valid``
    days each, and the spread / count so far (``... x KPIs``): the median day, and the
    days' MAD (bias-corrected) folded into the spread at ``1 / (n + 1)``, at least a day's."""
    lanes = means.reshape(-1, *means.shape[-2:])
    enough = valid >= MIN_DAYS
    with np.errstate(invalid="ignore"):  # all-NaN days: no reference yet
        ref = nanmedian_lanes(lanes)
        mad = nanmedian_lanes(np.abs(lanes - ref[:, None])) * MAD_TO_SIGMA
    ref, mad = ref.reshape(valid.shape), mad.reshape(valid.shape) / MAD_BIAS[valid]
    a = spread_weight(n)
    return (np.where(enough, ref, np.nan), np.where(enough, spread + a * (mad - spread), spread),
            n + enough)
