"""One series' feature recurrences (:class:`KpiFeatures`) as one compiled pass over its rows.

A single series replayed batch by batch pays numpy's per-call overhead ~60 times per row
(1-row arrays): ~1 ms a row. Here each row of a stretch between two retrains is scored
and learned in a loop compiled by numba, with the same float64 (and float32) operations
in the same order as the numpy code of ``seasonal``, ``weekly``, ``persistence``,
``change`` and ``range_novelty`` for a batch of one row of the only sector (fleet-wide
statistics need 10 sectors: they never form, as in numpy). What numba's libm could round
differently (novelty's log10/ndtri) is left to numpy after the pass.
``tests/test_series_kernel.py`` compares the features with the per-batch path.

numba's on-disk cache is keyed on this file only: after editing a function it calls
(``robust_cell``, ``seasonal_kernel``'s and ``series_cells``' cells) or a constant it
imports, delete the ``__pycache__/*.nbi``/``*.nbc`` files (the tests then fail until one
does).
"""

from __future__ import annotations

import math

import numpy as np

from telecom_nb.features.any_layout import AnyLayout
from telecom_nb.features.cadence import REFERENCE_STEP
from telecom_nb.features.compact import (
    COUNT_UNITS,
    f16_decode,
    f16_encode,
    tenths_read,
    tenths_store,
)
from telecom_nb.features.persistence import (
    ALPHA as P_ALPHA,
)
from telecom_nb.features.persistence import (
    MIN_HISTORY as P_MIN_HISTORY,
)
from telecom_nb.features.persistence import (
    PRIOR_TICKS,
)
from telecom_nb.features.recurrence import adjust_cell, cell_counts, record_cells, shift_cells
from telecom_nb.features.robust_kernel import _nmax, _nmin, numba, robust_cell
from telecom_nb.features.robust_stats import (
    GATE_Z,
    GATED_WEIGHT,
    HUBER_K,
    MAD_TO_SIGMA,
    MIN_COUNT_TO_CLIP,
)
from telecom_nb.features.seasonal import SLOT_WARM
from telecom_nb.features.seasonal_kernel import restart_cell, typical_day_cell, weekday_cell
from telecom_nb.features.seasonal_learn import recur_cell
from telecom_nb.features.series_cells import (
    _clip,
    _fmax,
    _fmin,
    _nan0,
    _ring_stats,
    _sign,
)
from telecom_nb.features.time_slots import DAY_NS, HOUR_NS

REF_NS = REFERENCE_STEP.value

CHANGE_MIN_HISTORY = 4  # change.MIN_HISTORY (not imported: change imports seasonal)
_CADENCE = 17  # cadence._MEMORY


def _cadence(times, n, now, gaps):  # pragma: no cover - compiled
    """``Cadence.observe`` of one time; returns (count, new step or -1). ``gaps``: room for
    the sorted gaps (an insertion sort in place: integers, the same order statistics as
    ``np.sort(np.diff(...))`` without its two arrays a row)."""
    if n > 0 and now <= times[n - 1]:
        return n, -1
    if n == _CADENCE:
        for i in range(n - 1):
            times[i] = times[i + 1]
        n -= 1
    times[n] = now
    n += 1
    if n < 2:
        return n, -1
    m = n - 1
    for i in range(m):
        x = times[i + 1] - times[i]
        q = i
        while q > 0 and gaps[q - 1] > x:
            gaps[q] = gaps[q - 1]
            q -= 1
        gaps[q] = x
    med = (float(gaps[(m - 1) // 2]) + float(gaps[m // 2])) / 2.0  # odd: the middle, exactly
    return n, int(med)


def series_pass(y, yc, yn, slot, wslot, hours, tns, bid, out, nov, nov_n, cfg, ints,
                sl_l, sl_d, sl_c, se_l, se_d, se_c, resid_dev, prior_dev, far_run, far_since,
                resid_count, fl_off, fl_cnt, fl_spread, floors,
                wk_l, wk_c, wk_fleet, wk_tau2, wk_fcnt, cad_t, cad,
                p_mean, p_l, p_d, p_c, p_fsd,
                c_l, c_d, c_c, c_floors,
                r_max, r_min, r_n, r_id, cur_id, cur_max, cur_min, cur_n, r_st, r_stn, r_stk,
                n_floors, n_pct, spacing, quiet,
                rc_hi, rc_lo, rc_day, rbin, recur):  # pragma: no cover - compiled
    """Score (into ``out``) then learn every row of one sector (state row 0), in order.

    ``cfg`` = (slot_alpha, sector_alpha, slot_prior, week_alpha, p_alpha_usual, fast_alpha,
    change_spread_alpha, tolerance, slot count units); ``ints`` = (slots_per_day, weekly,
    persistence, change, novelty, peers, blocks, min_blocks, weekday count cap). Novelty
    leaves (excess, up) in ``nov`` and rows in ``nov_n`` for numpy's tail. ``quiet[i, j]``:
    row i's series j reads a known zero state (persistence learns it as z = 0). ``recur``:
    the seasonal z loses what recurred at its time of day (``recurrence``; ``rbin``: each
    row's 5-minute bin).
    """
    slot_alpha, sector_alpha, slot_prior, wk_alpha, p_ualpha, fast_alpha, c_salpha, tol, per = (
        cfg)
    spd, weekly, persist, change, novelty, peers, blocks, min_blocks, wk_cap = ints
    n, S = y.shape
    k = yc.shape[1]
    r = 0
    c_off = S + (2 * k if peers else 0)
    n_off = c_off + (k if change else 0)
    p_off = n_off + (k if novelty else 0)
    zs = np.zeros(S)
    off = np.empty(S)
    has_v = np.zeros(S, dtype=np.bool_)
    st = np.empty((4, k))
    raw = np.zeros(S)
    sh_hi = np.zeros(S)
    sh_lo = np.zeros(S)
    counts = cell_counts(rc_hi, rc_lo) if recur else np.zeros((1, 3, S), dtype=np.int64)
    gaps = np.empty(_CADENCE, dtype=np.int64)  # the cadence's sorted gaps
    cmx = np.empty(k)  # the open block's extremes as scored (a copy: learning moves them)
    cmn = np.empty(k)
    for i in range(n):
        s = slot[i]
        if recur:
            shift_cells(rc_hi, rc_lo, rc_day, rbin[i], sh_hi, sh_lo, counts)
        w = wslot[i]
        # persistence reads the cadence of the rows before this one (as its batch path;
        # one series: a memory of data time, at least 3 ticks)
        p_alpha = 1.0 - (1.0 - P_ALPHA) ** min(cad[1] / REF_NS, 1.0)
        p_white = math.sqrt(p_alpha / (2.0 - p_alpha))
        # -- cadence (learned before the weekday table reads it) ----------------------
        cad[0], step = _cadence(cad_t, cad[0], tns[i], gaps)
        if step >= 0:
            cad[1] = step
        visit = min(1.0, cad[1] * spd / DAY_NS)
        step_h = cad[1] / HOUR_NS
        wk_min = 1.0 - (1.0 - wk_alpha) ** visit
        f_known = fl_cnt[s, 0] > 0
        for j in range(S):
            yj = y[i, j]
            n_r = np.float64(resid_count[r, j])
            rd = np.float64(resid_dev[r, j])
            pdv = np.float64(prior_dev[r, j])
            expected, spread, prior_v, has, spread_ok, shape_ok = typical_day_cell(
                float(sl_l[r, s, j]), float(sl_d[r, s, j]), tenths_read(sl_c[r, s, j], per),
                np.float64(se_l[r, j]), np.float64(se_d[r, j]), np.float64(se_c[r, j]),
                fl_off[s, j], f_known, n_r, rd, pdv, slot_prior, fl_spread[j], floors[j])
            effect = 0.0
            wfl = 0.0
            wt2 = 0.0
            day_sp = spread
            if weekly:
                w_known = wk_fcnt[w] != 0
                wfl = wk_fleet[w, j] if w_known else 0.0
                wt2 = wk_tau2[w, j] if w_known else 0.0
                effect, spread = weekday_cell(spread, has, wfl, wt2,
                                              f16_decode(wk_l[r, w, j]),
                                              wk_c[r, w, j] / COUNT_UNITS,
                                              yj - expected)
            expected = expected + effect
            fl_eff = wfl if has else 0.0
            prior_v = prior_v + fl_eff
            # -- score ------------------------------------------------------------
            z = (yj - expected) / spread
            ok = has and spread_ok and shape_ok and np.isfinite(z)
            raw[j] = _clip(z) if ok else 0.0
            zs[j] = adjust_cell(raw[j], sh_hi[j], sh_lo[j]) if recur else raw[j]
            out[i, j] = zs[j]
            # -- learn ------------------------------------------------------------
            informed = spread_ok and shape_ok
            resid = yj - expected
            ok_u = has and np.isfinite(resid)
            far = ok_u and informed and abs(resid) > GATE_Z * spread and (
                abs(yj - prior_v) > GATE_Z * spread)
            run = np.float64(far_run[r, j]) + 1.0 if far else 0.0
            accept = far and run > se_c[r, j]
            if accept:
                se_c[r, j] = 0.0
                for q in range(sl_c.shape[1]):
                    sl_c[r, q, j] = 0.0
                run = 0.0
            if ok_u:
                far_run[r, j] = run
            far = far and not accept
            lvl_s = float(sl_l[r, s, j])
            warm = tenths_read(sl_c[r, s, j], per) >= SLOT_WARM
            cold_far = far and not warm
            recurs, by_visit, far_since[r, s, j] = recur_cell(
                far_since[r, s, j], hours[i], far, ok_u, np.float64(far_run[r, j]) * step_h)
            y_day = yj - effect
            far_slot = ((far and warm and abs(y_day - lvl_s) > GATE_Z * spread)
                        or cold_far) and not recurs
            far = far and (by_visit or not recurs)
            bound = HUBER_K * spread
            y_slot = lvl_s + _nmin(_nmax(y_day - lvl_s, -bound), bound) if (
                by_visit and warm) else y_day
            a = _nmax(1.0 / (n_r + 1.0), sector_alpha)
            clipped = _nmin(abs(_nan0(resid)), HUBER_K * spread)
            new_dev = rd + a * ((clipped if informed else abs(_nan0(resid))) - rd)
            learn = ok_u and (not far) and shape_ok
            if learn:
                resid_dev[r, j] = new_dev
                prior_dev[r, j] = pdv + a * (abs(_nan0(yj - prior_v)) - pdv)
            resid_count[r, j] = n_r + (1.0 if learn else 0.0)
            off[j] = y_day - np.float64(se_l[r, j])
            has_v[j] = has
            if weekly:
                rw = yj - (expected - effect)
                lv = f16_decode(wk_l[r, w, j])
                units = int(wk_c[r, w, j])
                nn = units / COUNT_UNITS
                lv = lv if nn > 0 else wfl
                if has and informed and warm and not far and restart_cell(
                        rw, lv, nn, spread, wfl, wt2, day_sp * day_sp):
                    nn = 0.0
                    units = 0
                    lv = wfl
                aw = _nmax(visit / (nn + visit), wk_min)
                stp = _nan0(rw - lv)
                if far:
                    stp = _nmin(_nmax(stp, -HUBER_K * spread), HUBER_K * spread) * GATED_WEIGHT
                lrn = has and informed and warm and np.isfinite(rw)
                if lrn:
                    wk_l[r, w, j] = f16_encode(lv + aw * stp)
                    wgt = GATED_WEIGHT if far else 1.0
                    units = min(units + max(1, int(np.rint(visit * wgt * COUNT_UNITS))), wk_cap)
                wk_c[r, w, j] = units
            start = prior_v - fl_eff if far_slot else np.nan
            dev_s = sl_d[r, s, j]
            sl_l[r, s, j], sl_d[r, s, j], n_s = robust_cell(
                float(sl_l[r, s, j]), float(dev_s), tenths_read(sl_c[r, s, j], per),
                y_slot, spread, True, far_slot, True, start, True, slot_alpha, True)
            if by_visit and warm:  # a visit's recurring sample leaves the spread alone
                sl_d[r, s, j] = dev_s
            sl_c[r, s, j] = tenths_store(n_s, per)
            se_l[r, j], se_d[r, j], se_c[r, j] = robust_cell(
                np.float64(se_l[r, j]), np.float64(se_d[r, j]), np.float64(se_c[r, j]), y_day,
                0.0, False, far, True, np.nan, False, sector_alpha, False)
        if recur:
            record_cells(rc_hi, rc_lo, rc_day, rbin[i], raw, counts)
        # the fleet's shape (one sector: its own offsets, when any is finite)
        seen = False
        for j in range(S):
            seen = seen or (has_v[j] and np.isfinite(off[j]))
        if seen:
            nf = fl_cnt[s, 0]
            af = max(1.0 / (nf + 1.0), slot_alpha)
            for j in range(S):
                med = off[j] if has_v[j] else np.nan
                if np.isfinite(med):
                    fl_off[s, j] = fl_off[s, j] + af * (med - fl_off[s, j])
            fl_cnt[s, 0] = nf + 1.0
        if peers:
            for j in range(2 * k):
                out[i, S + j] = 0.0  # no peer in a batch of one row
        if change:
            for j in range(k):
                yj = yc[i, j]
                lv, dv, cn = np.float64(c_l[r, j]), np.float64(c_d[r, j]), np.float64(c_c[r, j])
                spread = _nmax(dv * MAD_TO_SIGMA, c_floors[j])
                z = (yj - lv) / spread
                cz = _clip(z) if (cn >= CHANGE_MIN_HISTORY and np.isfinite(z)) else 0.0
                sg = _sign(cz)
                out[i, c_off + j] = sg * _nmin(abs(cz), _nmax(sg * zs[j], 0.0))
                if np.isfinite(yj):
                    innov = yj - lv if cn > 0 else 0.0
                    bound = np.inf if cn < MIN_COUNT_TO_CLIP else HUBER_K * spread
                    ac = _nmax(1.0 / _nmax(cn, 1.0), c_salpha)
                    c_d[r, j] = dv + ac * (_nmin(abs(innov), bound) - dv) if cn > 0 else 0.0
                    c_l[r, j] = lv + fast_alpha * innov if cn > 0 else yj
                c_c[r, j] = cn + (1.0 if np.isfinite(yj) else 0.0)
        if novelty:
            now_b = bid[i]
            if now_b > cur_id[r]:  # score against the ring with the finished block in it
                nb = r_max.shape[1]
                mx = np.empty((nb + 1, k))
                mn = np.empty((nb + 1, k))
                nsb = np.empty(nb + 1, dtype=np.int64)
                ids = np.empty(nb + 1, dtype=np.int64)
                for b in range(nb):
                    for j in range(k):
                        mx[b, j] = r_max[r, b, j]
                        mn[b, j] = r_min[r, b, j]
                    nsb[b] = r_n[r, b]
                    ids[b] = r_id[r, b]
                for j in range(k):
                    mx[nb, j] = cur_max[r, j]
                    mn[nb, j] = cur_min[r, j]
                nsb[nb] = cur_n[r]
                ids[nb] = cur_id[r]
                nrow, nblk = _ring_stats(mx, mn, nsb, ids, now_b, blocks, st, False)
                cmx[:] = np.nan
                cmn[:] = np.nan
                cnr = 0
            else:
                st[:, :] = r_st[r]
                nrow, nblk = r_stn[r], r_stk[r]
                cmx[:] = cur_max[r]
                cmn[:] = cur_min[r]
                cnr = cur_n[r]
            nov_n[i] = nrow + cnr
            sp = spacing[max(nblk, 1)]
            for j in range(k):
                hi = _fmax(st[0, j], cmx[j])
                lo = _fmin(st[1, j], cmn[j])
                span = 100.0 if n_pct[j] else hi - lo
                floor = _nmax(tol * _nan0(span), n_floors[j])
                b_hi = _fmax((hi - st[2, j]) / sp, floor)
                b_lo = _fmax((st[3, j] - lo) / sp, floor)
                up = (yn[i, j] - hi) / b_hi
                down = (lo - yn[i, j]) / b_lo
                excess = _fmax(up, down)
                y32 = float(np.float32(yn[i, j]))  # beyond in the ring's precision
                good = nblk >= min_blocks and excess > 0 and (y32 > hi or y32 < lo)
                nov[i, j, 0] = excess if good else np.nan
                nov[i, j, 1] = 1.0 if up > 0 else -1.0
                out[i, n_off + j] = 0.0
            if now_b > cur_id[r]:  # learn: close the block into the ring
                if cur_n[r] > 0:
                    b = cur_id[r] % r_max.shape[1]
                    for j in range(k):
                        r_max[r, b, j] = np.float32(cur_max[r, j])
                        r_min[r, b, j] = np.float32(cur_min[r, j])
                    r_n[r, b] = cur_n[r]
                    r_id[r, b] = cur_id[r]
                cur_id[r] = now_b
                for j in range(k):
                    cur_max[r, j] = np.nan
                    cur_min[r, j] = np.nan
                cur_n[r] = 0
                r_stn[r], r_stk[r] = _ring_stats(r_max[r], r_min[r], r_n[r], r_id[r], now_b,
                                                 blocks, r_st[r], True)
            if now_b >= cur_id[r]:
                for j in range(k):
                    cur_max[r, j] = _fmax(cur_max[r, j], yn[i, j])
                    cur_min[r, j] = _fmin(cur_min[r, j], yn[i, j])
                cur_n[r] += 1
        if persist:
            for j in range(S):
                z = 0.0 if quiet[i, j] else zs[j]  # a known zero state: no news
                lvl, cnt = np.float64(p_l[r, j]), np.float64(p_c[r, j])
                spread = (cnt * (np.float64(p_d[r, j]) * MAD_TO_SIGMA) + PRIOR_TICKS * p_fsd[j]) / (
                    cnt + PRIOR_TICKS)
                cur = (1.0 - p_alpha) * np.float64(p_mean[r, j]) + p_alpha * z
                p = (cur - lvl) / _nmax(spread, p_white)
                cap = abs(z) / p_white
                sp_ = _sign(p)
                p = sp_ * _nmin(abs(p), cap) * (1.0 if sp_ == _sign(z) else 0.0)
                out[i, p_off + j] = _clip(p) if cnt >= P_MIN_HISTORY else 0.0
                p_mean[r, j] = cur
                p_l[r, j], p_d[r, j], p_c[r, j] = robust_cell(
                    lvl, np.float64(p_d[r, j]), cnt, cur, 0.0, False, False, False, np.nan,
                    False, p_ualpha, False)


# numba alone keys ``series_pass``'s cache on this file while it holds its callees' compiled
# code (recurrence's cells): the cache folder is named by the whole package's source
# (:mod:`telecom_nb.kernel_cache`), so an edit to a callee compiles it again too
if numba is not None:
    _cadence = numba.njit(cache=True)(_cadence)
    series_pass = AnyLayout(numba.njit(cache=True, nogil=True)(series_pass), min_ndim=3)
