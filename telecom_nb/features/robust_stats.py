"""Online robust level and spread for many cells at once (one cell = sector x slot x feature).

The level is an exponentially weighted Huber mean: a step of at most ``k`` spreads
per sample, so one outage cannot drag the baseline (a running median in spirit).
The spread is an EW mean absolute deviation of the clipped residuals, rescaled to a
standard deviation. Early on the weight is ``1/n`` (a plain running average), later
``alpha`` (a memory of about ``1/alpha`` samples), so a new cell learns fast and an
old one adapts slowly.
"""

from __future__ import annotations

import numpy as np

from telecom_nb.features.registry import grow_rows

#: mean |x - mu| = 0.798 sigma for a normal distribution
MAD_TO_SIGMA = 1.2533
HUBER_K = 3.0
MAX_COUNT = 1e6
MIN_COUNT_TO_CLIP = 8


class RobustTable:
    """Level, mean-abs-deviation and sample count per cell of a ``(rows, *tail)`` grid."""

    def __init__(self, tail: tuple[int, ...], alpha: float) -> None:
        self.alpha = alpha
        self.level = np.zeros((0, *tail))
        self.dev = np.zeros((0, *tail))
        self.count = np.zeros((0, *tail))

    def grow(self, n_rows: int) -> None:
        self.level = grow_rows(self.level, n_rows)
        self.dev = grow_rows(self.dev, n_rows)
        self.count = grow_rows(self.count, n_rows)

    @property
    def n_rows(self) -> int:
        return self.level.shape[0]

    def get(self, cells: tuple) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Level, spread (sigma-scaled) and count at ``cells`` (a fancy index)."""
        return self.level[cells], self.dev[cells] * MAD_TO_SIGMA, self.count[cells]

    def update(self, cells: tuple, x: np.ndarray, scale: np.ndarray | None = None) -> None:
        """Learn samples ``x`` at ``cells``; ``scale`` (default: the cell's own spread)
        bounds each step (Huber clipping) once the cell has seen ``MIN_COUNT_TO_CLIP`` samples.

        NaN samples leave their cell unchanged.
        """
        level, dev, count = self.level[cells], self.dev[cells], self.count[cells]
        ok = np.isfinite(x)
        xs = np.where(ok, x, level)
        weight = np.maximum(1.0 / (count + 1.0), self.alpha)
        if scale is None:
            scale = dev * MAD_TO_SIGMA
        bound = np.where(count < MIN_COUNT_TO_CLIP, np.inf, HUBER_K * np.maximum(scale, 1e-12))
        resid = np.clip(xs - level, -bound, bound)
        first = count == 0
        new_level = np.where(first, xs, level + weight * resid)
        new_dev = np.where(first, 0.0, dev + weight * (np.abs(resid) - dev))
        self.level[cells] = np.where(ok, new_level, level)
        self.dev[cells] = np.where(ok, new_dev, dev)
        self.count[cells] = np.minimum(count + ok, MAX_COUNT)
