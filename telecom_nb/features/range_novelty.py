"""Range novelty: a value beyond everything the series has shown over the last weeks.

A bursty series (a batch job's CPU, a cell's evening peak) has a wide noise body, so a
new extreme is only a few of its own spreads away and the z-scores barely move; yet a
value the series has never reached in weeks is plain to a person (Numenta's detector
gained ~6 NAB points from such a rule). Under exchangeability a new record among ``N``
past values has probability ``1/(N+1)``; how far beyond the record it lands is judged
on the scale by which the *daily maxima* spread (extreme-value theory: block maxima of
an exponential-like tail are Gumbel with the tail's own scale). So, above the window's
maximum ``hi`` (below its minimum: the mirror)::

    -log10 p = log10(N + 1) + (x - hi) / (beta * ln 10)

with ``beta`` from the window's block maxima, never below ``tolerance`` of the span the
series has shown (a bounded percent KPI: of its physical 0-100 span) nor below the
KPI's spread floor. The feature is the two-sided normal z of that ``p`` (signed), so the
detectors read it like the other z-scores.

The window is a ring of ``blocks`` blocks of ``block`` data time (day blocks by default)
per sector: memory is ``blocks x kpis`` extremes per sector, whatever the cadence, and
the ring statistics are recomputed only when a sector's block rolls over. Nothing is
learned before ``min_blocks`` complete blocks: a young series has no range yet.
"""

from __future__ import annotations

import math
import warnings

import numpy as np
import pandas as pd
from scipy.special import log_ndtr, ndtri
from traitlets import Any as AnyTrait
from traitlets import Float, Int, validate

from telecom_nb.features import tick_kernels
from telecom_nb.features.base import FeatureExtractor
from telecom_nb.features.scaling import is_percent, scaled_view, spread_floors
from telecom_nb.features.seasonal import Z_CLIP
from telecom_nb.features.view import BatchView
from telecom_nb.params import check_range, param_trait, to_timedelta
from telecom_nb.sector_index import grow_rows, known_rows

_NONE = np.iinfo(np.int64).min // 2  # a block id no data time reaches
#: physical span of a percent KPI (its tolerance floor is a fraction of this)
PERCENT_SPAN = 100.0
#: Gumbel: E[max of K block maxima] - median(block maxima) ~ beta * (ln K + GUMBEL_SHIFT)
GUMBEL_SHIFT = 0.21
#: -log10 p above which the z is taken from the normal tail's asymptote (ndtri underflows)
MAX_LOG_P = 300.0


class RangeNovelty(FeatureExtractor):
    """Signed z of "beyond the range of the last ``blocks`` blocks" per scaled KPI."""

    blocks = param_trait(Int(21, help="blocks in the range window (21 day blocks: 3 weeks)"))
    block = param_trait(AnyTrait(pd.Timedelta("1D"), help="data time of one range block"))
    min_blocks = param_trait(Int(2, help="complete blocks seen before a range is trusted"))
    tolerance = param_trait(Float(0.05, help=(
        "smallest excess scale, as a fraction of the range shown (percent KPIs: of 0-100)")))

    @validate("blocks", "min_blocks")
    def _v_blocks(self, proposal):
        check_range(proposal["trait"].name, proposal["value"], 1, 10_000)
        return proposal["value"]

    @validate("tolerance")
    def _v_tolerance(self, proposal):
        check_range("tolerance", proposal["value"], 0, 10, low_inclusive=False)
        return proposal["value"]

    @validate("block")
    def _v_block(self, proposal):
        return to_timedelta("block", proposal["value"])

    # -- state ---------------------------------------------------------------------
    def _reset(self) -> None:
        k, n = len(self.kpis_ or ()), self.blocks
        self.ring_max_ = np.full((0, n, k), np.nan, dtype=np.float32)
        self.ring_min_ = np.full((0, n, k), np.nan, dtype=np.float32)
        self.ring_n_ = np.zeros((0, n), dtype=np.int32)  # rows a block: 1,440 at 1 minute
        self.ring_id_ = np.full((0, n), _NONE, dtype=np.int64)
        self.cur_id_ = np.full(0, _NONE, dtype=np.int64)
        self.cur_max_ = np.full((0, k), np.nan)
        self.cur_min_ = np.full((0, k), np.nan)
        self.cur_n_ = np.zeros(0, dtype=np.int64)
        # statistics of the ring's blocks inside the window of the current block
        self.st_ = np.full((0, 4, k), np.nan)  # hi, lo, median of maxima, of minima
        self.st_n_ = np.zeros(0, dtype=np.int64)  # rows in the ring's window
        self.st_k_ = np.zeros(0, dtype=np.int64)  # complete blocks in it
        self.floors_ = spread_floors(self.kpis_ or ())
        self.percent_ = np.array([is_percent(kp) for kp in self.kpis_ or ()], dtype=bool)

    def converted_state(self, name: str, data: np.ndarray) -> np.ndarray:
        """A checkpoint's int64 block row counts (before they were int32)."""
        return data.astype(np.int32) if name == "ring_n_" else data

    @property
    def feature_names(self) -> list[str]:
        return [f"{k}:novelty_z" for k in self.kpis_ or ()]

    def feature_weights(self) -> np.ndarray:
        return np.eye(len(self.kpis_ or ()))

    def _scaled(self, view: BatchView) -> np.ndarray:
        return scaled_view(view, self.kpis_ or ())

    def _block_ids(self, view: BatchView) -> np.ndarray:
        return view.ns() // pd.Timedelta(self.block).value

    def _ring_stats(self, mx: np.ndarray, mn: np.ndarray, ns: np.ndarray, ids: np.ndarray,
                    now: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """hi/lo/medians (rows x 4 x k), rows and complete blocks of blocks ``now-K..now-1``."""
        valid = (ids < now[:, None]) & (ids >= (now - self.blocks)[:, None]) & (ns > 0)
        v3 = valid[:, :, None]
        mx = np.where(v3, mx, np.nan)
        mn = np.where(v3, mn, np.nan)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)  # a row with no block yet
            st = np.stack([np.nanmax(mx, axis=1), np.nanmin(mn, axis=1),
                           lane_medians(mx), lane_medians(mn)], axis=1)
        return st, np.where(valid, ns, 0).sum(axis=1), valid.sum(axis=1)

    # -- scoring -------------------------------------------------------------------
    def transform_view(self, view: BatchView) -> np.ndarray:
        y = self._scaled(view)
        rows = self.rows(view)
        known = known_rows(rows, len(self.cur_id_))
        if not known.any():
            return np.zeros_like(y)
        every = known.all()  # a live tick's: no masked copies, no zero matrix
        r = rows if every else rows[known]
        now = self._block_ids(view) if every else self._block_ids(view)[known]
        at = _run_of(r)  # a live tick's sectors in registry order: read the state in place
        st, n_rows, n_blocks = self.st_[at], self.st_n_[at], self.st_k_[at]
        cur_max, cur_min, cur_n = self.cur_max_[at], self.cur_min_[at], self.cur_n_[at]
        rolled = now > self.cur_id_[r]  # the current block is complete: part of the ring
        if rolled.any():
            rr = r[rolled]
            mx = np.concatenate([self.ring_max_[rr], self.cur_max_[rr][:, None]], axis=1)
            mn = np.concatenate([self.ring_min_[rr], self.cur_min_[rr][:, None]], axis=1)
            ns = np.concatenate([self.ring_n_[rr], self.cur_n_[rr][:, None]], axis=1)
            ids = np.concatenate([self.ring_id_[rr], self.cur_id_[rr][:, None]], axis=1)
            st, n_rows, n_blocks = st.copy(), n_rows.copy(), n_blocks.copy()
            st[rolled], n_rows[rolled], n_blocks[rolled] = self._ring_stats(
                mx, mn, ns, ids, now[rolled])
            cur_max, cur_min = cur_max.copy(), cur_min.copy()
            cur_max[rolled] = np.nan
            cur_min[rolled] = np.nan
            cur_n = np.where(rolled, 0, cur_n)
        if every:
            return self._z(y, st, n_rows + cur_n, n_blocks, cur_max, cur_min)
        out = np.zeros_like(y)
        out[known] = self._z(y[known], st, n_rows + cur_n, n_blocks, cur_max, cur_min)
        return out

    def _z(self, y: np.ndarray, st: np.ndarray, n_rows: np.ndarray, n_blocks: np.ndarray,
           cur_max: np.ndarray, cur_min: np.ndarray) -> np.ndarray:
        compiled = tick_kernels.novelty_excess(self, y, st, n_rows, n_blocks, cur_max, cur_min)
        if compiled is not None:  # the lines below up to ``log_p`` in one pass
            log_p, up = compiled
            ok = ~np.isnan(log_p)
            z = np.zeros_like(y)
            if ok.any():
                lp = log_p[ok]
                z[ok] = z_of_log_p(lp, up[ok])
            return z
        hi = np.fmax(st[:, 0], cur_max)
        lo = np.fmin(st[:, 1], cur_min)
        span = np.where(self.percent_, PERCENT_SPAN, hi - lo)
        floor = np.maximum(self.tolerance * np.nan_to_num(span), self.floors_)
        spacing = np.log(np.maximum(n_blocks, 1)) + GUMBEL_SHIFT
        beta_hi = np.fmax((hi - st[:, 2]) / spacing[:, None], floor)
        beta_lo = np.fmax((st[:, 3] - lo) / spacing[:, None], floor)
        up = (y - hi) / beta_hi
        down = (lo - y) / beta_lo
        excess = np.fmax(up, down)
        ok = (n_blocks >= self.min_blocks)[:, None] & (excess > 0) & beyond_stored(y, hi, lo)
        if not ok.any():
            return np.zeros_like(y)
        base = np.log10(n_rows + 1.0)[:, None]
        log_p = np.minimum(base + excess / math.log(10.0), MAX_LOG_P)
        z = np.zeros_like(y)
        lp = log_p[ok]
        z[ok] = z_of_log_p(lp, up[ok] > 0)
        return z

    # -- learning ------------------------------------------------------------------
    def update_view(self, view: BatchView) -> None:
        y = self._scaled(view)
        rows = self.registry.register(view.sector_ids)
        need = len(self.registry)
        self._grow(need)
        now = self._block_ids(view)
        # one row per sector per batch is the norm; a duplicate is folded in below
        rolled = now > self.cur_id_[rows]
        if rolled.any():
            self._roll(rows[rolled], now[rolled])
        same = now >= self.cur_id_[rows]  # a late row of an older block is ignored
        r, ys = rows[same], y[same]
        rising = len(r) < 2 or bool((r[1:] > r[:-1]).all())
        if not rising and _repeats(r):  # a sector twice: fold in row by row
            np.fmax.at(self.cur_max_, r, ys)
            np.fmin.at(self.cur_min_, r, ys)
            np.add.at(self.cur_n_, r, 1)
            return
        if rising and len(r) and r[-1] - r[0] == len(r) - 1:  # a live tick: rows a..b in
            part = slice(int(r[0]), int(r[-1]) + 1)  # order, in place (no gathered copies)
            np.fmax(self.cur_max_[part], ys, out=self.cur_max_[part])
            np.fmin(self.cur_min_[part], ys, out=self.cur_min_[part])
            self.cur_n_[part] += 1
            return
        # distinct sectors (in any order): plain scatters, ~4x cheaper
        self.cur_max_[r] = np.fmax(self.cur_max_[r], ys)
        self.cur_min_[r] = np.fmin(self.cur_min_[r], ys)
        self.cur_n_[r] += 1

    def _roll(self, rows: np.ndarray, now: np.ndarray) -> None:
        """Close each sector's current block into the ring; refresh the ring statistics."""
        rows, first = np.unique(rows, return_index=True)
        now = now[first]
        has = self.cur_n_[rows] > 0
        hr = rows[has]
        slot = self.cur_id_[hr] % self.blocks
        self.ring_max_[hr, slot] = self.cur_max_[hr]
        self.ring_min_[hr, slot] = self.cur_min_[hr]
        self.ring_n_[hr, slot] = self.cur_n_[hr]
        self.ring_id_[hr, slot] = self.cur_id_[hr]
        self.cur_id_[rows] = now
        self.cur_max_[rows] = np.nan
        self.cur_min_[rows] = np.nan
        self.cur_n_[rows] = 0
        self.st_[rows], self.st_n_[rows], self.st_k_[rows] = self._ring_stats(
            self.ring_max_[rows], self.ring_min_[rows], self.ring_n_[rows],
            self.ring_id_[rows], now)

    def _grow(self, n: int) -> None:
        if len(self.cur_id_) >= n:
            return
        self.ring_max_ = grow_rows(self.ring_max_, n, np.nan)
        self.ring_min_ = grow_rows(self.ring_min_, n, np.nan)
        self.ring_n_ = grow_rows(self.ring_n_, n, 0)
        self.ring_id_ = grow_rows(self.ring_id_, n, _NONE)
        self.cur_id_ = grow_rows(self.cur_id_, n, _NONE)
        self.cur_max_ = grow_rows(self.cur_max_, n, np.nan)
        self.cur_min_ = grow_rows(self.cur_min_, n, np.nan)
        self.cur_n_ = grow_rows(self.cur_n_, n, 0)
        self.st_ = grow_rows(self.st_, n, np.nan)
        self.st_n_ = grow_rows(self.st_n_, n, 0)
        self.st_k_ = grow_rows(self.st_k_, n, 0)


def _run_of(rows: np.ndarray) -> np.ndarray | slice:
    """``rows`` as a slice when they are consecutive (``state[slice]`` is a view: no
    gather of 100k rows x 4 x KPIs a tick), else as they are. Readers copy before they
    write."""
    if len(rows) and rows[-1] - rows[0] == len(rows) - 1 and tick_kernels.increasing(rows):
        return slice(int(rows[0]), int(rows[-1]) + 1)
    return rows


def beyond_stored(y: np.ndarray, hi: np.ndarray, lo: np.ndarray) -> np.ndarray:
    """Whether ``y`` is beyond ``[lo, hi]`` in the ring's precision (float32).

    The ring keeps its extremes in float32: a value equal to a stored maximum (a CPU
    back at its 100 %, ``log1p(100)`` rounded down when stored) is otherwise "beyond" it
    by the rounding and reads as a record at ``p = 1 / (N + 1)`` (z 3.5-3.8) every time.
    """
    y32 = y.astype(np.float32).astype(np.float64)
    return (y32 > hi) | (y32 < lo)


def z_of_log_p(log_p: np.ndarray, up: np.ndarray) -> np.ndarray:
    """The signed two-sided normal z of ``p`` from its ``-log10 p`` (held at ``Z_CLIP``);
    ``up``: where the excess is above the range (else below). :func:`log_p_of_z` inverts it."""
    return np.minimum(-ndtri(0.5 * 10.0 ** -log_p), Z_CLIP) * np.where(up, 1.0, -1.0)


def log_p_of_z(z: np.ndarray) -> np.ndarray:
    """``-log10 p`` of a signed novelty z (the two-sided p it was made from; 0 -> 0)."""
    a = np.abs(np.nan_to_num(np.asarray(z, dtype=np.float64)))
    return np.maximum(-(log_ndtr(-a) + math.log(2.0)) / math.log(10.0), 0.0)


def _repeats(rows: np.ndarray) -> bool:
    """Whether a sector comes twice: only then must rows fold in one by one (the unbuffered
    ``.at`` calls, 0.55 s of a 3,118-cell export's replay, whose rows come out of registry
    order but each once); distinct rows in any order scatter to the same bits."""
    s = np.sort(rows)
    return bool((s[1:] == s[:-1]).any())


def lane_medians(a: np.ndarray) -> np.ndarray:
    """``np.nanmedian(a, axis=1)`` (rows x blocks x KPIs, under 600 blocks), bit for bit,
    from one sort: numpy's masked-array path (1.8 s of a 3,118-cell export's replay) takes
    the two middle non-NaN values, the middle one twice when odd, and halves their sum, a sum
    from +0.0 (so a zero median is +0.0 whichever zeros sort first); a lane of NaN only:
    NaN. (``group_median.nanmedian_lanes`` gives -0.0 there.)"""
    nan = np.isnan(a)
    ordered = np.sort(np.where(nan, np.inf, a), axis=1)  # numpy's masked sort fills +inf
    count = (~nan).sum(axis=1, keepdims=True)
    hi = count // 2
    lo = np.where(count % 2 == 1, hi, hi - 1)
    with np.errstate(over="ignore", invalid="ignore"):  # huge or infinite values, as numpy
        out = np.take_along_axis(ordered, np.concatenate([lo, hi], axis=1), axis=1)
        out = out.sum(axis=1) / 2.0
    out[count[:, 0] == 0] = np.nan
    return out
