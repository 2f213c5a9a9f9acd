"""A KPI against what the sector's own other KPIs say it should be (a load-adjusted level).

A busy cell that loses one carrier of two serves its users at half the throughput for
hours: ~3 spreads against its own history at that hour, no rarer than a crowd's hour,
because throughput is load-driven and the hour's load varies. Within one sector the
relation is tight (throughput falls as PRB use, users, traffic rise); across the fleet's
seasonal deviations it is not (offline, vendor world 1000: fleet-wide, the seasonal z of
throughput explained by the others' leaves 19 % of partial-loss rows beyond normal life's
0.1 %; per cell, regressed on its two most related KPIs' levels, 46 %).

So per sector an exponentially weighted mean and covariance of the KPIs (on the detector's
scale, :func:`~telecom_nb.features.scaling.scale_kpis`) are kept; which KPIs predict which
is learned from the fleet's pooled within-sector correlations (the :data:`PREDICTORS` most
related with ``|r| >=`` :data:`MIN_CORRELATION`, no names); each KPI's feature is its
residual from the sector's own linear regression on those, over the residual's spread.
The update is bounded (each deviation clipped at :data:`CLIP` spreads) so faults barely
move the relation. State: per sector the weight, means (float64) and covariance (float32).
"""

from __future__ import annotations

import numpy as np

from telecom_nb.sector_index import grow_rows

#: predictors per KPI, at most
PREDICTORS = 2
#: weakest pooled within-sector correlation of a predictor
MIN_CORRELATION = 0.3
#: ticks of memory of the running moments
MEMORY = 500.0
#: ticks a sector needs before its residuals are read
MIN_TICKS = 48.0
#: an update's deviation is clipped at this many of the sector's spreads
CLIP = 3.0
#: sectors whose correlations are pooled, at most (the first ones with history: which
#: KPIs relate is the fleet's, and a sample says it at a fraction of 100k sectors' cost)
POOLED = 2000
#: smallest residual spread (the detector's log scale: 1 %)
SPREAD_FLOOR = 0.01


class KpiExpectation:
    """Per sector: running moments of the KPIs; per row: each KPI's regression residual z."""

    def __init__(self, n_kpis: int) -> None:
        self.weight_ = np.zeros(0)
        self.mean_ = np.zeros((0, n_kpis))
        self.cov_ = np.zeros((0, n_kpis, n_kpis), dtype=np.float32)

    def predictors(self) -> np.ndarray:
        """(K, PREDICTORS) each KPI's predictors (-1: none), from the pooled correlations of
        the sectors with :data:`MIN_TICKS` of history."""
        k = self.mean_.shape[1]
        out = np.full((k, PREDICTORS), -1, dtype=np.int64)
        ready = np.flatnonzero(self.weight_ >= MIN_TICKS)[:POOLED]
        if k < 2 or not len(ready):
            return out
        cov = self.cov_[ready].astype(np.float64)
        sd = np.sqrt(np.maximum(np.diagonal(cov, axis1=1, axis2=2), 0.0))
        with np.errstate(invalid="ignore", divide="ignore"):
            r = cov / (sd[:, :, None] * sd[:, None, :])
        r = np.nanmean(np.where(np.isfinite(r), r, np.nan), axis=0)
        r = np.nan_to_num(r, nan=0.0)
        np.fill_diagonal(r, 0.0)
        order = np.argsort(-np.abs(r), axis=1)[:, :PREDICTORS]
        strong = np.take_along_axis(np.abs(r), order, axis=1) >= MIN_CORRELATION
        return np.where(strong, order, -1)

    def transform(self, rows: np.ndarray, x: np.ndarray) -> np.ndarray:
        """rows x K residual z of ``x`` (the KPIs on the detector's scale; NaN: 0 out)."""
        out = np.zeros(x.shape)
        known = (rows >= 0) & (rows < len(self.weight_))
        known[known] = self.weight_[rows[known]] >= MIN_TICKS
        pred = self.predictors()
        if not known.any() or (pred < 0).all():
            return out
        r = rows[known]
        mean, cov = self.mean_[r], self.cov_[r].astype(np.float64)
        d = x[known] - mean
        for i in np.flatnonzero((pred >= 0).any(axis=1)):  # the KPIs (a few dozen)
            p = pred[i][pred[i] >= 0]
            cpp = cov[:, p][:, :, p] + 1e-9 * np.eye(len(p))
            cpi = cov[:, p, i]
            b = np.linalg.solve(cpp, cpi[:, :, None])[:, :, 0]
            var = cov[:, i, i] - np.einsum("rp,rp->r", cpi, b)
            res = d[:, i] - np.einsum("rp,rp->r", d[:, p], b)
            z = res / np.sqrt(np.maximum(var, SPREAD_FLOOR**2))
            out[np.flatnonzero(known), i] = np.nan_to_num(z, nan=0.0)
        return out

    def update(self, rows: np.ndarray, x: np.ndarray, n_sectors: int) -> None:
        """One tick's values (rows x K) into the sectors' running moments; a missing value
        moves nothing of its KPI."""
        self.weight_ = grow_rows(self.weight_, n_sectors, fill=0.0)
        self.mean_ = grow_rows(self.mean_, n_sectors, fill=0.0)
        self.cov_ = grow_rows(self.cov_, n_sectors, fill=0.0)
        w = self.weight_[rows]
        fresh = w == 0
        mean = np.where(fresh[:, None], np.nan_to_num(x), self.mean_[rows])
        d = np.nan_to_num(x - mean, nan=0.0)
        sd = np.sqrt(np.maximum(np.diagonal(self.cov_[rows], axis1=1, axis2=2), 0.0))
        bound = np.where(w[:, None] >= MIN_TICKS, CLIP * np.maximum(sd, SPREAD_FLOOR), np.inf)
        d = np.clip(d, -bound, bound)
        a = np.maximum(1.0 / (w + 1.0), 1.0 / MEMORY)[:, None]
        self.mean_[rows] = mean + a * d
        d32, a32 = d.astype(np.float32), a.astype(np.float32)[:, :, None]
        cov = self.cov_[rows]
        cov += a32 * (d32[:, :, None] * d32[:, None, :])
        cov *= 1.0 - a32
        self.cov_[rows] = cov
        self.weight_[rows] = w + 1.0
