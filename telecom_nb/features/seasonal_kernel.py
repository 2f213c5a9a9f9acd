""":meth:`SeasonalResiduals._expected` as compiled passes (numba), with the same numbers.

The numpy version gathers ~12 arrays from the sector x slot tables and runs ~40 array
operations per batch (twice a tick: score, then learn); on a 100k-sector tick that was
the largest cost of the features. Here each cell is read once and the same float64
operations run in the same order (no fast-math). What needs the fleet (cold slots'
cross-sections) stays in numpy between the two passes. The per-cell functions are also
the one-series pass's (:mod:`series_kernel`). A large tick's rows run in slices side by
side (:mod:`~.row_split`). ``tests/test_seasonal_kernel.py`` compares.
"""

from __future__ import annotations

import numpy as np

from telecom_nb.features import fleet_profile, row_split
from telecom_nb.features.any_layout import AnyLayout
from telecom_nb.features.compact import COUNT_UNITS, bits, count_units, f16_decode, tenths_read
from telecom_nb.features.group_median import FLEET_SAMPLE
from telecom_nb.features.robust_kernel import _nmax, numba
from telecom_nb.features.robust_stats import GATE_Z, MAD_TO_SIGMA, MIN_COUNT_TO_CLIP
from telecom_nb.features.seasonal import REL_FLOOR, SLOT_WARM, SPREAD_PRIOR_N
from telecom_nb.features.weekly import AGREE_Z, WITNESS_VISITS


def typical_day_cell(lvl_s, dev_s, n_s, lvl_o, dev_o, n_o, fleet, f_known, n_r, rd, pdv,
                     slot_prior, prior, floor):  # pragma: no cover - compiled
    """(expected, spread, prior, has, spread_ok, shape_ok) of one cell on the typical day."""
    spr_s = dev_s * MAD_TO_SIGMA
    spr_o = dev_o * MAD_TO_SIGMA
    misfit = pdv / _nmax(rd, 1e-12)
    misfit = _nmax(misfit, 1.0) if n_r >= 2 else 1.0
    kk = slot_prior / (misfit * misfit)
    wt = n_s / (n_s + kk) if n_s > 0 else 0.0
    expected = wt * lvl_s + (1.0 - wt) * (lvl_o + fleet)
    own = rd * MAD_TO_SIGMA if n_r >= 2 else spr_o
    fin_prior = np.isfinite(prior)
    pooled = (n_r * own + SPREAD_PRIOR_N * prior) / (n_r + SPREAD_PRIOR_N) if fin_prior else own
    ws = n_s - 1.0
    ws = ws if ws > 0.0 else 0.0
    ws = ws / (ws + 8.0)
    spread = ws * spr_s + (1.0 - ws) * pooled
    spread = _nmax(spread, _nmax(floor, REL_FLOOR * spr_o))
    return (expected, spread, lvl_o + fleet, n_o > 0,
            fin_prior or n_r >= MIN_COUNT_TO_CLIP, n_s > 0 or f_known)


def contradicted_cell(r, effect, var, count, fleet, tau2, sigma2):  # pragma: no cover
    """``weekly._contradicted`` of one cell (compiled)."""
    return (0.0 < count <= WITNESS_VISITS and tau2 > 0.0
            and abs(r - effect) > AGREE_Z * np.sqrt(sigma2 + var)
            and abs(r - fleet) <= AGREE_Z * np.sqrt(sigma2 + tau2))


def own_effect(fleet, tau2, sigma2, level, count):  # pragma: no cover - compiled
    """(the sector's own weekday effect shrunk to the fleet's, its variance) of one cell."""
    den = count * tau2 + sigma2
    w = count * tau2 / den if den > 0 else 0.0
    var = tau2 * sigma2 / den if den > 0 else 0.0
    return fleet + w * (level - fleet), var


def restart_cell(r, level, count, spread, fleet, tau2, sigma2):  # pragma: no cover
    """Whether a weekday cell's own effect (``level`` of ``count`` visits) learned a fault
    and starts over from the fleet's: the sample is beyond ``GATE_Z`` widened ``spread``s
    of it, or contradicts a one-visit habit while agreeing with the fleet's (``sigma2``:
    the day's noise). ``WeekdayEffects.update`` per cell, for both compiled learners."""
    if abs(r - level) > GATE_Z * spread:
        return True
    own, var = own_effect(fleet, tau2, sigma2, level, count)
    return contradicted_cell(r, own, var, count, fleet, tau2, sigma2)


def weekday_cell(spread, has, fleet, tau2, level, count, r):  # pragma: no cover - compiled
    """(effect, widened spread) of one cell whose typical-day residual is ``r``:
    ``WeekdayEffects.expect`` and its use."""
    sigma2 = spread * spread
    effect, var = own_effect(fleet, tau2, sigma2, level, count)
    if contradicted_cell(r, effect, var, count, fleet, tau2, sigma2):
        effect = fleet  # one visit's habit this sample contradicts: the fleet's
        var = tau2
    return (effect if has else 0.0), np.sqrt(spread * spread + var)


def typical_day(rows, slot, sl_l, sl_d, sl_c, se_l, se_d, se_c, resid_count, resid_dev,
                prior_dev, fleet, f_known, fl_spread, floors, slot_prior, per, expected, spread,
                prior, has, spread_ok, shape_ok):  # pragma: no cover - compiled
    n, k = expected.shape
    for i in range(n):
        r = rows[i]
        s = slot[i]
        for j in range(k):
            (expected[i, j], spread[i, j], prior[i, j], has[i, j], spread_ok[i, j],
             shape_ok[i, j]) = typical_day_cell(
                float(sl_l[r, s, j]), float(sl_d[r, s, j]), tenths_read(sl_c[r, s, j], per),
                np.float64(se_l[r, j]), np.float64(se_d[r, j]), np.float64(se_c[r, j]), fleet[i, j],
                f_known[i, j], np.float64(resid_count[r, j]), np.float64(resid_dev[r, j]),
                np.float64(prior_dev[r, j]), slot_prior, fl_spread[j],
                floors[j])


def weekday(rows, wslot, y, spread, has, fleet, tau2, wk_l, wk_c, expected, prior, effect,
            wide, fleet_effect):  # pragma: no cover - compiled
    """Each cell's weekday effect and widened spread; the typical day's ``expected`` and
    ``prior`` then take the effect and the fleet's effect in place (``+``, as numpy's)."""
    n, k = spread.shape
    for i in range(n):
        r = rows[i]
        w = wslot[i]
        for j in range(k):
            e, wide[i, j] = weekday_cell(
                spread[i, j], has[i, j], fleet[i, j], tau2[i, j], f16_decode(wk_l[r, w, j]),
                wk_c[r, w, j] / COUNT_UNITS, y[i, j] - expected[i, j])
            fe = fleet[i, j] if has[i, j] else 0.0
            effect[i, j] = e
            fleet_effect[i, j] = fe
            expected[i, j] = expected[i, j] + e
            prior[i, j] = prior[i, j] + fe


if numba is not None:
    typical_day_cell = numba.njit(cache=True)(typical_day_cell)
    contradicted_cell = numba.njit(cache=True)(contradicted_cell)
    own_effect = numba.njit(cache=True)(own_effect)
    restart_cell = numba.njit(cache=True)(restart_cell)
    weekday_cell = numba.njit(cache=True)(weekday_cell)
    typical_day = AnyLayout(numba.njit(cache=True, nogil=True)(typical_day))
    weekday = AnyLayout(numba.njit(cache=True, nogil=True)(weekday))


def expected(season, rows: np.ndarray, slots: tuple[np.ndarray, np.ndarray], y: np.ndarray):
    """``season._expected(rows, slots, y)`` compiled; None where this path does not apply."""
    tables = (season.slot_table_.level, season.slot_table_.dev, season.slot_table_.count,
              season.sector_table_.level, season.sector_table_.dev, season.sector_table_.count,
              season.resid_count_, season.resid_dev_, season.prior_dev_)
    if (numba is None or len(rows) == 0 or y.ndim != 2 or rows.min() < 0
            or rows.max() >= min(len(t) for t in tables)
            or (season.week_ is not None and rows.max() >= len(season.week_.level_))):
        return None
    slot, wslot = slots
    fleet, fleet_ok = fleet_profile.expected_offset_of(season, rows, slot, y)
    shape = y.shape
    exp, spread, prior = np.empty(shape), np.empty(shape), np.empty(shape)
    has, spread_ok, shape_ok = (np.empty(shape, dtype=np.bool_) for _ in range(3))
    fleet, fleet_ok = np.broadcast_to(fleet, shape), np.broadcast_to(fleet_ok, shape)
    options = (season.fleet_spread_, season.floors_, float(season.slot_prior),
               float(count_units(season.slot_table_.count)))
    row_split.over_rows(len(rows), lambda lo, hi: typical_day(
        rows[lo:hi], slot[lo:hi], *tables, fleet[lo:hi], fleet_ok[lo:hi], *options,
        *(a[lo:hi] for a in (exp, spread, prior, has, spread_ok, shape_ok))))
    week = season.week_
    if week is None:
        effect = np.zeros_like(exp)
        return (exp + effect, spread, has, prior + effect, (spread_ok, shape_ok),
                (effect, spread, effect))
    if (week.fleet_count_[wslot] == 0).any():  # a week slot the fleet has not seen yet
        w_fleet, tau2 = _first_visit(season, rows, slots, y, exp, spread, has, spread_ok)
    else:
        w_fleet, tau2 = week.fleet_[wslot], week.scatter(wslot)
    effect, wide, fleet_effect = np.empty(shape), np.empty(shape), np.empty(shape)
    # exp and prior are this call's own: the kernel adds the effects in place (one pass,
    # no sums or np.where over rows x KPIs)
    w_fleet, tau2 = np.broadcast_to(w_fleet, shape), np.broadcast_to(tau2, shape)
    level = bits(week.level_)
    row_split.over_rows(len(rows), lambda lo, hi: weekday(
        rows[lo:hi], wslot[lo:hi], y[lo:hi], spread[lo:hi], has[lo:hi], w_fleet[lo:hi],
        tau2[lo:hi], level, week.count_,
        *(a[lo:hi] for a in (exp, prior, effect, wide, fleet_effect))))
    return (exp, wide, has, prior, (spread_ok, shape_ok), (effect, spread, fleet_effect))


def _first_visit(season, rows: np.ndarray, slots: tuple[np.ndarray, np.ndarray],
                 y: np.ndarray, exp: np.ndarray, spread: np.ndarray, has: np.ndarray,
                 spread_ok: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The weekday table's fleet effect and scatter where a week slot is visited first.

    A live tick's rows share one week slot, and its cross section reads every
    ``len // FLEET_SAMPLE``-th row only: those rows alone are gathered (the same rows,
    so the same numbers; sampling them again takes every one) instead of four rows x
    KPIs temporaries (~10 ms a tick at 100k in a stream's first week).
    """
    slot, wslot = slots
    pick = slice(None)
    if len(rows) >= 2 * FLEET_SAMPLE and bool((wslot == wslot[0]).all()):
        pick = slice(None, None, len(rows) // FLEET_SAMPLE)
    warm = has[pick] & spread_ok[pick] & (
        season.slot_table_.counts((rows[pick], slot[pick])) >= SLOT_WARM)
    w_fleet, tau2 = season.week_._fleet_at(wslot[pick], y[pick] - exp[pick], warm,
                                           spread[pick] ** 2)
    if pick.step is None:
        return w_fleet, tau2
    return w_fleet[0], tau2[0]  # the slot's row (broadcast to every row by the caller)
