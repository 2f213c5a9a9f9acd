"""The per-cell learning of :meth:`SeasonalResiduals.update_view` and of the weekday table
as compiled passes (numba), with the same numbers.

Each is a loop over the batch's cells doing the numpy code's float64 (and float32)
operations in the same order; the fleet's medians and the robust tables' updates stay
where they were. Batches that name a sector twice keep the numpy code (its fancy
assignments decide which duplicate wins); the others' rows touch only their own sector's
state, so a large tick's run in slices side by side (:mod:`~.row_split`).
``tests/test_seasonal_kernel.py`` compares.
"""

from __future__ import annotations

import numpy as np

from telecom_nb.features import row_split
from telecom_nb.features.any_layout import AnyLayout
from telecom_nb.features.compact import (
    COUNT_UNITS,
    bits,
    count_cap,
    count_step,
    count_units,
    f16_decode,
    f16_encode,
    tenths_read,
    tenths_store,
    wide,
)
from telecom_nb.features.robust_kernel import (
    MIN_CELLS,
    _nan0,
    _nmax,
    _nmin,
    numba,
    robust_cell,
)
from telecom_nb.features.robust_stats import GATE_Z, GATED_WEIGHT, HUBER_K
from telecom_nb.features.seasonal import SLOT_WARM
from telecom_nb.features.seasonal_kernel import restart_cell
from telecom_nb.features.slot_recurrence import recur_cell, recurrence
from telecom_nb.features.slot_run import RUN_WEEK_DAYS, run_alpha, run_cell, run_shares
from telecom_nb.features.time_slots import DAY_NS, HOUR_NS


def _cells(rows, slot, now, y, expected, spread, has, prior, spread_ok, shape_ok, effect,
           far_run, se_l, se_c, sl_l, sl_c, far_since, resid_count, resid_dev, prior_dev,
           run_z, run_h, load, sector_alpha, step_h, per, a_run, mature, y_day, y_slot,
           taught, far_out, far_slot, day_warm, offset):  # pragma: no cover - compiled
    n, k = y.shape
    for i in range(n):
        r = rows[i]
        s = slot[i]
        for j in range(k):
            yj = y[i, j]
            sp = spread[i, j]
            informed = spread_ok[i, j] and shape_ok[i, j]
            resid = yj - expected[i, j]
            ok = has[i, j] and np.isfinite(resid)
            far = ok and informed and abs(resid) > GATE_Z * sp and (
                abs(yj - prior[i, j]) > GATE_Z * sp)
            run = np.float64(far_run[r, j]) + 1.0 if far else 0.0
            accept = far and run > se_c[r, j]
            if accept:
                se_c[r, j] = 0.0
                for q in range(sl_c.shape[1]):
                    sl_c[r, q, j] = 0.0
                run = 0.0
            if ok:
                far_run[r, j] = run
            far = far and not accept
            warm = tenths_read(sl_c[r, s, j], per) >= SLOT_WARM
            cold_far = far and not warm
            recurs, by_visit, far_since[r, s, j] = recur_cell(
                far_since[r, s, j], now[i], far, ok, np.float64(far_run[r, j]) * step_h)
            yd = yj - effect[i, j]
            lvl_s = float(sl_l[r, s, j])
            far_slot[i, j] = ((far and warm and abs(yd - lvl_s) > GATE_Z * sp)
                              or cold_far) and not recurs
            far = far and (by_visit or not recurs)
            bound = HUBER_K * sp
            taught[i, j] = by_visit and warm
            y_slot[i, j] = lvl_s + _nmin(_nmax(yd - lvl_s, -bound), bound) if (
                by_visit and warm) else yd
            share = 1.0
            if a_run > 0.0:  # a fleet's run of off samples teaches the slot less
                rm, age, share = run_cell(np.float64(run_z[r, j]), np.float64(run_h[r, j]),
                                          resid, sp, ok and informed and not load[j],
                                          a_run, step_h)
                run_z[r, j] = rm
                run_h[r, j] = age
                if not (tenths_read(sl_c[r, s, j], per) >= mature and not far_slot[i, j]
                        and not by_visit):
                    share = 1.0
                if not (by_visit and warm):
                    y_slot[i, j] = lvl_s + share * (yd - lvl_s)
            n_r = np.float64(resid_count[r, j])
            a = _nmax(1.0 / (n_r + 1.0), sector_alpha)
            rd = np.float64(resid_dev[r, j])
            clipped = _nmin(abs(_nan0(resid)), HUBER_K * sp)
            new_dev = rd + a * share * ((clipped if informed else abs(_nan0(resid))) - rd)
            learn = ok and (not far) and shape_ok[i, j]
            if learn:
                resid_dev[r, j] = new_dev
                pdv = np.float64(prior_dev[r, j])
                prior_dev[r, j] = pdv + a * (abs(_nan0(yj - prior[i, j])) - pdv)
            resid_count[r, j] = n_r + (1.0 if learn else 0.0)
            y_day[i, j] = yd
            far_out[i, j] = far
            day_warm[i, j] = has[i, j] and informed and warm
            offset[i, j] = yd - np.float64(se_l[r, j])


def _week(rows, wslot, r, learn, far, spread, fleet, tau2, sigma2, visit, a_min, steps, cap,
          level, count, learned):  # pragma: no cover - compiled
    n, k = r.shape
    for i in range(n):
        row = rows[i]
        w = wslot[i]
        for j in range(k):
            lv = f16_decode(level[row, w, j])
            units = int(count[row, w, j])
            nn = units / COUNT_UNITS
            lv = lv if nn > 0 else fleet[i, j]
            if learn[i, j] and not far[i, j] and restart_cell(
                    r[i, j], lv, nn, spread[i, j], fleet[i, j], tau2[i, j], sigma2[i, j]):
                nn = 0.0  # its own effect learned a fault: start over from the fleet's
                units = 0
                lv = fleet[i, j]
            a = _nmax(visit / (nn + visit), a_min)
            step = _nan0(r[i, j] - lv)
            if far[i, j]:
                bound = HUBER_K * spread[i, j]
                step = _nmin(_nmax(step, -bound), bound) * GATED_WEIGHT
            lrn = learn[i, j] and np.isfinite(r[i, j])
            if lrn:
                level[row, w, j] = f16_encode(lv + a * step)
                units = min(units + steps[1 if far[i, j] else 0], cap)
            count[row, w, j] = units
            learned[i, j] = lrn


def _tables(rows, slot, y_slot, spread, far_slot, prior, fleet_effect, taught, y_day, far,
            sl_l, sl_d, sl_c, se_l, se_d, se_c, slot_alpha, sector_alpha, sl_per,
            se_per):  # pragma: no cover - compiled
    """Both robust tables' updates of :meth:`SeasonalResiduals.update_view` in one pass:
    each cell as :func:`~.robust_kernel.robust_cell` learns it there (the slot's empty
    cell starting at the prior when far, a taught cell's spread kept; the sector's level
    ungated), for distinct rows (each row's cells are its own)."""
    n, k = y_day.shape
    for i in range(n):
        r = rows[i]
        s = slot[i]
        for j in range(k):
            fs = far_slot[i, j]
            st = prior[i, j] - fleet_effect[i, j] if fs else np.nan
            dv = sl_d[r, s, j]
            lv, nd, nc = robust_cell(
                float(sl_l[r, s, j]), float(dv), tenths_read(sl_c[r, s, j], sl_per),
                y_slot[i, j], spread[i, j], True, fs, True, st, True, slot_alpha, True)
            sl_l[r, s, j] = lv
            sl_d[r, s, j] = dv if taught[i, j] else nd
            sl_c[r, s, j] = tenths_store(nc, sl_per)
            lv, nd, nc = robust_cell(
                float(se_l[r, j]), float(se_d[r, j]), tenths_read(se_c[r, j], se_per),
                y_day[i, j], 0.0, False, far[i, j], True, np.nan, False, sector_alpha,
                False)
            se_l[r, j] = lv
            se_d[r, j] = nd
            se_c[r, j] = tenths_store(nc, se_per)


if numba is not None:
    recur_cell = numba.njit(cache=True)(recur_cell)
    _cells = AnyLayout(numba.njit(cache=True, nogil=True)(_cells))
    _week = AnyLayout(numba.njit(cache=True, nogil=True)(_week))
    _tables = AnyLayout(numba.njit(cache=True, nogil=True)(_tables))


def _run_weight(season) -> float:
    """The run's EW weight per sample (:mod:`~.slot_run`); 0 (off) for a few series."""
    return run_alpha(season.cadence_.step_ns / HOUR_NS) if season.fleet() else 0.0


def _mature(season) -> float:
    """Samples of a slot that has seen a week of visits (``RUN_WEEK_DAYS``): before, a run
    of off samples may be its own weekday shape (an office cell first seen on a weekend)."""
    per_visit = DAY_NS / (season.cadence_.step_ns * season.slots_per_day)
    return RUN_WEEK_DAYS * max(per_visit, 1.0)


def _unique(rows: np.ndarray) -> bool:
    return len(rows) > 0 and rows.min() >= 0 and np.bincount(rows).max() <= 1


def learn_cells(season, rows: np.ndarray, slot: np.ndarray, now: np.ndarray, y: np.ndarray,
                exp: tuple):
    """:func:`learn_cells_numpy` compiled; None where this path does not apply."""
    if numba is None or y.ndim != 2 or not _unique(rows):
        return None
    expected, spread, has, prior, (spread_ok, shape_ok), (effect, _, _) = exp
    shape = y.shape
    y_day, y_slot, offset = np.empty(shape), np.empty(shape), np.empty(shape)
    taught, far, far_slot, day_warm = (np.empty(shape, dtype=np.bool_) for _ in range(4))
    per_row = (rows, slot, now, y, expected, spread, has, prior, spread_ok, shape_ok, effect)
    state = (season.far_run_, season.sector_table_.level, season.sector_table_.count,
             season.slot_table_.level, season.slot_table_.count, season.slot_far_since_,
             season.resid_count_, season.resid_dev_, season.prior_dev_, season.run_z_,
             season.run_h_, season.load_series_,
             float(season.sector_alpha), season.cadence_.step_ns / HOUR_NS,
             float(count_units(season.slot_table_.count)), _run_weight(season),
             _mature(season))
    out = (y_day, y_slot, taught, far, far_slot, day_warm, offset)
    # distinct sectors: each row learns only its own state, so slices run side by side
    row_split.over_rows(len(rows), lambda lo, hi: _cells(
        *(a[lo:hi] for a in per_row), *state, *(a[lo:hi] for a in out)))
    return y_day, y_slot, taught, far, far_slot, day_warm, offset


def learn_tables(season, rows: np.ndarray, slot: np.ndarray, exp: tuple,
                 cells: tuple) -> bool:
    """The slot and sector tables' updates after :func:`learn_cells` as one compiled pass
    (``RobustTable.update`` twice, the start and the taught spreads around them: ~10
    Python-level steps); False where the tables' own update runs (no numba, repeated
    rows, batches under the robust kernel's ``MIN_CELLS``: the same paths as before)."""
    y_day, y_slot, taught, far, far_slot, _, _ = cells
    if numba is None or y_day.ndim != 2 or y_day.size < MIN_CELLS or not _unique(rows):
        return False
    slots, sector = season.slot_table_, season.sector_table_
    if (slots.level.shape[1:] != (season.slots_per_day, y_day.shape[1])
            or rows.max() >= min(slots.n_rows, sector.n_rows)
            or slot.min() < 0 or slot.max() >= season.slots_per_day):
        return False  # the tables' update raises (or wraps negatives): let it
    _, spread, _, prior, _, (_, _, fleet_effect) = exp
    per_row = (rows, slot, y_slot, spread, far_slot, prior, fleet_effect, taught, y_day, far)
    state = (slots.level, slots.dev, slots.count, sector.level, sector.dev, sector.count,
             float(slots.alpha), float(sector.alpha), float(count_units(slots.count)),
             float(count_units(sector.count)))
    row_split.over_rows(len(rows), lambda lo, hi: _tables(
        *(a[lo:hi] for a in per_row), *state))
    return True


def learn_tables_numpy(season, rows: np.ndarray, slot: np.ndarray, exp: tuple,
                       cells: tuple) -> None:
    """The slot and sector tables learn the batch (:func:`learn_tables`' reference)."""
    y_day, y_slot, taught, far, far_slot, _, _ = cells
    _, spread, _, prior, _, (_, _, fleet_effect) = exp
    # A gated first sample starts the cell at the prior, not at the fault; later
    # samples that agree with the fleet-shaped prior repair what little it learned.
    # a visit's recurring sample leaves the slot's spread alone (read only then: a copy)
    dev_s = season.slot_table_.dev[rows, slot] if taught.any() else None
    season.slot_table_.update((rows, slot), y_slot, spread, far=far_slot,
                              start=np.where(far_slot, prior - fleet_effect, np.nan))
    if dev_s is not None:
        season.slot_table_.dev[rows, slot] = np.where(taught, dev_s,
                                                      season.slot_table_.dev[rows, slot])
    season.sector_table_.update((rows,), y_day, far=far)


def learn_cells_numpy(season, rows: np.ndarray, slot: np.ndarray, now: np.ndarray,
                      y: np.ndarray, exp: tuple):
    """Per-cell learning (gates, fault runs, residual spreads): (typical-day value,
    the slot's share of it, far, far for the slot, warm typical day, offset from the
    sector's level)."""
    expected, spread, has, prior, (spread_ok, shape_ok), (effect, _, _) = exp
    informed = spread_ok & shape_ok
    resid = y - expected
    ok = has & np.isfinite(resid)
    # Fault-resistant learning: a sample far from what was expected is most likely a
    # fault; every baseline learns it with a small weight only, so a long fault stays
    # visible while a lasting change is still accepted, slowly.
    # Far from the expectation *and* from the fleet-shaped prior: a slot that learned a
    # fault (or a bad start) is corrected by samples that agree with the prior.
    far = ok & informed & (np.abs(resid) > GATE_Z * spread) & (
        np.abs(y - prior) > GATE_Z * spread)
    # ... unless the "fault" has lasted longer than the history behind the baseline:
    # a sector first seen in an outage must not take the outage for its normal.
    # Such a level then *replaces* the baseline: its cells start over from this
    # sample (a plain mean would keep the outage in it for days).
    run = np.where(far, wide(season.far_run_[rows]) + 1.0, 0.0)
    accept = far & (run > season.sector_table_.count[rows])
    if accept.any():
        i, j = np.nonzero(accept)
        season.sector_table_.count[rows[i], j] = 0.0
        season.slot_table_.count[rows[i], :, j] = 0.0
        run[accept] = 0.0
    season.far_run_[rows] = np.where(ok, run, season.far_run_[rows])
    far = far & ~accept
    # A warm slot vouches for samples close to what it learned. A cold one cannot tell
    # a fault from the sector's own shape at this time of day (a hot cell's PRB
    # saturates at peak) from one visit: its far samples are gated until they come
    # back on a later day, so a fault on day one is not tomorrow's normal. A warm
    # slot's far samples that come back on a later day, the sector normal in between
    # (not one long fault), are its shape too: a business cell first seen on a
    # weekend learns its weekdays instead of gating them for good.
    lvl_s, _, n_s = season.slot_table_.get((rows, slot))
    warm = n_s >= SLOT_WARM
    now = now[:, None]
    cold_far = far & ~warm
    run_hours = wide(season.far_run_[rows]) * (season.cadence_.step_ns / HOUR_NS)
    chain, by_visit, season.slot_far_since_[rows, slot] = recurrence(
        season.slot_far_since_[rows, slot], now, far, ok, run_hours)
    recurs = chain | by_visit
    # the typical day learns the value without its weekday's effect
    y_day = y - effect
    far_slot = ((far & warm & (np.abs(y_day - lvl_s) > GATE_Z * spread)) | cold_far) & (
        ~recurs)
    far = far & ~chain  # a visit's recurring sample is still news to the other parts
    # ... a warm slot learns a visit's recurring sample bounded (slot_recurrence)
    bound = HUBER_K * spread
    taught = by_visit & warm
    y_slot = np.where(taught, lvl_s + np.clip(y_day - lvl_s, -bound, bound), y_day)
    share = 1.0
    a_run = _run_weight(season)
    if a_run > 0.0:  # a fleet's run of off samples teaches the slot less (slot_run)
        share = run_shares((season.run_z_, season.run_h_), rows, resid, spread,
                           ok & informed & ~season.load_series_,
                           a_run, season.cadence_.step_ns / HOUR_NS)
        share = np.where((n_s >= _mature(season)) & ~far_slot & ~by_visit, share, 1.0)
        y_slot = np.where(taught, y_slot, lvl_s + share * (y_day - lvl_s))
    n_r = wide(season.resid_count_[rows])
    a = np.maximum(1.0 / (n_r + 1.0), season.sector_alpha)
    dev = wide(season.resid_dev_[rows])
    clipped = np.minimum(np.abs(np.nan_to_num(resid)), HUBER_K * spread)
    new_dev = dev + a * share * (np.where(informed, clipped, np.abs(np.nan_to_num(resid)))
                                 - dev)
    learn = ok & ~far & shape_ok  # a residual against an unknown shape says nothing
    season.resid_dev_[rows] = np.where(learn, new_dev, dev)
    pdev = wide(season.prior_dev_[rows])
    new_pdev = pdev + a * (np.abs(np.nan_to_num(y - prior)) - pdev)
    season.prior_dev_[rows] = np.where(learn, new_pdev, pdev)
    season.resid_count_[rows] = n_r + learn
    day_warm = has & informed & warm
    return (y_day, y_slot, taught, far, far_slot, day_warm,
            y_day - wide(season.sector_table_.level[rows]))


def learn_week(week, rows: np.ndarray, wslot: np.ndarray, r: np.ndarray, learn: np.ndarray,
               far: np.ndarray, spread: np.ndarray, fleet: np.ndarray,
               noise: tuple[np.ndarray, np.ndarray], visit: float,
               a_min: float) -> np.ndarray | None:
    """The per-cell part of ``WeekdayEffects.update`` compiled (the cells it learned);
    ``noise``: the fleet's scatter ``tau2`` and the rows' ``sigma2``."""
    if numba is None or r.ndim != 2 or not _unique(rows):
        return None
    learned = np.empty(r.shape, dtype=np.bool_)
    steps = np.array([count_step(visit, 1.0), count_step(visit, GATED_WEIGHT)])
    tau2, sigma2 = noise
    per_row = (rows, wslot, r, learn, far, spread, np.broadcast_to(fleet, r.shape),
               np.broadcast_to(tau2, r.shape), np.broadcast_to(sigma2, r.shape))
    state = (float(visit), float(a_min), steps, count_cap(week.alpha), bits(week.level_),
             week.count_)
    row_split.over_rows(len(rows), lambda lo, hi: _week(
        *(a[lo:hi] for a in per_row), *state, learned[lo:hi]))
    return learned
