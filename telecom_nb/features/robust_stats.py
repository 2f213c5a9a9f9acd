"""Online robust level and spread for many cells at once (one cell = sector x slot x feature).

The level is an exponentially weighted Huber mean: a step of at most ``k`` spreads
per sample, so one outage cannot drag the baseline (a running median in spirit).
The spread is an EW mean absolute deviation of the clipped residuals, rescaled to a
standard deviation. Early on the weight is ``1/n`` (a plain running average), later
``alpha`` (a memory of about ``1/alpha`` samples), so a new cell learns fast and an
old one adapts slowly.

Learning is also *fault-resistant*: a sample more than ``GATE_Z`` spreads from the
level is most likely a fault, so once a cell is warm it learns such a sample with
only ``GATED_WEIGHT`` of the usual weight. A long outage or a slow drift then stays
visible to the end instead of becoming the new normal within a few samples, while
a lasting, legitimate change is still absorbed, only more slowly.
"""

from __future__ import annotations

import numpy as np

from telecom_nb.features.compact import read_counts, store_counts
from telecom_nb.features.compact import wide as _wide
from telecom_nb.features.group_median import fleet_median, fleet_sample
from telecom_nb.features.layout import grow_slot_major
from telecom_nb.sector_index import grow_rows, known_rows

#: mean |x - mu| = 0.798 sigma for a normal distribution
MAD_TO_SIGMA = 1.2533
HUBER_K = 3.0
MAX_COUNT = 1e6
MIN_COUNT_TO_CLIP = 8
#: samples further than this many spreads from the level count as probable faults
GATE_Z = 4.0
#: ... and are learned with this fraction of the usual weight
GATED_WEIGHT = 0.1


class RobustTable:
    """Level, mean-abs-deviation and sample count per cell of a ``(rows, *tail)`` grid."""

    def __init__(self, tail: tuple[int, ...], alpha: float, gate: bool = True,
                 dtype: type = np.float64, count_dtype: type = np.float64) -> None:
        self.alpha = alpha
        self.gate = gate
        # a large table may be float32 with uint16 counts (tenths of a sample,
        # :mod:`~telecom_nb.features.compact`): every read widens to float64, every update
        # computes in float64 and rounds once on store (numpy and compiled alike)
        self.level = np.zeros((0, *tail), dtype=dtype)
        self.dev = np.zeros((0, *tail), dtype=dtype)
        self.count = np.zeros((0, *tail), dtype=count_dtype)

    def grow(self, n_rows: int) -> None:
        grow = grow_slot_major if self.level.ndim == 3 else grow_rows  # one block a tick
        self.level = grow(self.level, n_rows)
        self.dev = grow(self.dev, n_rows)
        self.count = grow(self.count, n_rows)

    @property
    def n_rows(self) -> int:
        return self.level.shape[0]

    def get(self, cells: tuple) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Level, spread (sigma-scaled) and count at ``cells`` (a fancy index)."""
        return (_wide(self.level[cells]), _wide(self.dev[cells]) * MAD_TO_SIGMA,
                read_counts(self.count[cells]))

    def levels(self, cells: tuple) -> np.ndarray:
        """Levels at ``cells`` (float64): ``get``'s first, without gathering the spreads."""
        return _wide(self.level[cells])

    def counts(self, cells: tuple) -> np.ndarray:
        """Sample counts at ``cells`` (float64)."""
        return read_counts(self.count[cells])

    def converted_state(self, name: str, data: np.ndarray) -> np.ndarray:
        """A checkpoint's table of another float width in this table's (older ones kept
        the slot table in float64)."""
        current = getattr(self, name)
        if name == "count" and data.dtype.kind == "f":
            return store_counts(current, data).astype(current.dtype)
        if name in ("level", "dev") and data.dtype.kind == "f":
            return data.astype(current.dtype)
        return data

    def update(self, cells: tuple, x: np.ndarray, scale: np.ndarray | None = None,
               far: np.ndarray | None = None, start: np.ndarray | None = None) -> None:
        """Learn samples ``x`` at ``cells``; NaN samples leave their cell unchanged.

        ``scale`` (default: the cell's own spread) bounds each step (Huber clipping)
        once the cell has seen ``MIN_COUNT_TO_CLIP`` samples -- from the first sample
        when ``scale`` comes from outside (it is then already informed). ``far`` marks
        samples the caller judged probable faults (a cell without it judges itself):
        they move the level with ``GATED_WEIGHT`` of the usual weight, leave the spread
        alone and count as that fraction of a sample; the others are then not clipped.
        ``start`` is where a cell that has seen nothing begins (default: its first
        sample), so that a fault in a new cell is bounded like any other.
        """
        from telecom_nb.features import robust_kernel  # it imports this module's constants

        if robust_kernel.update(self, cells, x, scale, far, start):
            return  # the compiled twin of the lines below (same numbers)
        level, dev, count = (_wide(self.level[cells]), _wide(self.dev[cells]),
                             read_counts(self.count[cells]))
        ok = np.isfinite(x)
        xs = np.where(ok, x, level)
        first = count == 0
        if start is not None:
            level = np.where(first, np.where(np.isfinite(start), start, xs), level)
            first = first & ~np.isfinite(start)
        weight = np.maximum(1.0 / (count + 1.0), self.alpha)
        informed = scale is not None
        if scale is None:
            scale = dev * MAD_TO_SIGMA
        scale = np.maximum(scale, 1e-12)
        cold = count < MIN_COUNT_TO_CLIP
        bound = np.where(cold & ~informed, np.inf, HUBER_K * scale)
        if far is None:
            far = self.gate & ~cold & (np.abs(xs - level) > GATE_Z * scale)
        else:
            # the caller vouches for the samples it did not call far (judged against a
            # better expectation than this cell alone): they move the cell freely, so
            # a cell that learned a fault is repaired at once
            bound = np.where(far, bound, np.inf)
        far = far & ok
        # a probable fault nudges the level and leaves the spread alone
        dev_weight = np.where(far, 0.0, weight)
        weight = np.where(far, weight * GATED_WEIGHT, weight)
        resid = np.clip(xs - level, -bound, bound)
        new_level = np.where(first, xs, level + weight * resid)
        new_dev = np.where(first, 0.0, dev + dev_weight * (np.abs(resid) - dev))
        self.level[cells] = np.where(ok, new_level, self.level[cells])
        self.dev[cells] = np.where(ok, new_dev, dev)
        self.count[cells] = store_counts(
            self.count, np.minimum(count + ok * np.where(far, GATED_WEIGHT, 1.0), MAX_COUNT))


def shrunk_rows(table: RobustTable, rows: np.ndarray, fleet_sd: np.ndarray,
                prior_ticks: float) -> tuple[np.ndarray, ...] | None:
    """(known, level, spread, count) of a per-sector table at ``rows`` (-1 or beyond the
    table: not known, read as row 0), the spread shrunk toward the fleet's typical
    ``fleet_sd`` with the weight of ``prior_ticks`` ticks, so a young sector borrows the
    fleet's spread instead of trusting its own few ticks'. None when no row is known."""
    known = known_rows(rows, table.n_rows)
    if not known.any():
        return None
    level, spread, count = table.get((np.where(known, rows, 0),))
    spread = (count * spread + prior_ticks * fleet_sd) / (count + prior_ticks)
    return known, level, spread, count


def fleet_spread(table: RobustTable, min_count: float, low: float, high: float,
                 previous: np.ndarray) -> np.ndarray:
    """Per series the fleet's median sector spread (sectors with ``min_count`` samples),
    clipped to [low, high]; ``previous`` where too few sectors have that history."""
    # the sample's spreads only (scaling the whole table was a rows x series pass a tick)
    sample = fleet_sample(len(table.count))
    med, enough = fleet_median(_wide(table.dev[sample]) * MAD_TO_SIGMA, table.count[sample],
                               min_count, sampled=True)
    return np.where(enough, np.clip(med, low, high), previous)
