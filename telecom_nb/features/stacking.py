"""The features matrix written one block at a time, as each part makes it.

Stacking the parts' blocks at the end kept every block alive at once beside the output
(a 100k tick: 11 blocks, 46.4 MB, on top of the recycled 46.4 MB matrix): the tick's heap
peak, whose pages ``malloc_trim`` had handed back and the tick faulted in again. Written
into the output as it is made, each block can die before the next part runs. The cells
are those of :func:`~telecom_nb.features.tick_kernels.stack_agreeing` (same kernels).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from telecom_nb.features import tick_kernels


class Stacking:
    """``stack_agreeing`` of the blocks given to :meth:`put`, in that order.

    ``season``: the seasonal z's KPI columns (rows x KPIs), which the agreeing blocks are
    limited by; ``width``: the matrix's columns (the feature names'); ``spare``: a matrix
    handed back, written over when it fits. Without numba the blocks are kept and stacked
    at the end (the numpy lines).
    """

    def __init__(self, season: np.ndarray, width: int, agreeing: Callable,
                 spare: np.ndarray | None = None) -> None:
        k = season.shape[1]
        if season.strides[1] != season.itemsize:
            season = np.ascontiguousarray(season)
        self._season, self._agreeing, self._width, self._col = season, agreeing, width, 0
        #: without numba: the (block, agree) pairs stacked by :meth:`result`
        self._held: list[tuple[np.ndarray, bool]] | None = None
        self._out: np.ndarray | None = None
        if tick_kernels.numba is None or k == 0 or season.dtype != np.float64:
            self._held, self._spare = [], spare
            return
        shape = (len(season), width)
        self._out = (spare if spare is not None and spare.shape == shape
                     and spare.dtype == np.float64 and spare.flags.c_contiguous
                     and spare.flags.owndata and spare.flags.writeable
                     else np.empty(shape))

    def put(self, block: np.ndarray, agree: bool = False) -> None:
        """``block``'s columns next (limited by the seasonal z when ``agree``); nothing
        keeps ``block`` afterwards."""
        if self._held is not None:
            self._held.append((block, agree))
            return
        out, season, col = self._out, self._season, self._col
        width = block.shape[1] if block.ndim == 2 else -1
        if width < 0 or col + width > self._width:
            raise ValueError(f"features: a part's block of shape {block.shape} does not fit "
                             f"columns {col}.. of the {self._width} feature names")
        k = season.shape[1]
        if block.dtype == np.float64 and (not agree or width % k == 0):
            if block.strides[1] != block.itemsize:
                block = np.ascontiguousarray(block)
            tick_kernels._stack_rows(agree, block, season, out, col)
        else:  # stack_agreeing's numpy lines for this block
            out[:, col:col + width] = (self._agreeing(block, np.tile(season, width // max(k, 1)))
                                       if agree else block)
        self._col = col + width

    def result(self) -> np.ndarray:
        """The stacked matrix (every column written)."""
        if self._held is not None:
            blocks = [b for b, _ in self._held]
            agree = [a for _, a in self._held]
            self._held = None
            return tick_kernels.stack_agreeing(blocks, agree, self._season, self._agreeing,
                                               self._spare)
        if self._col != self._width:
            raise ValueError(f"features: the parts' blocks gave {self._col} columns for "
                             f"{self._width} feature names")
        out, self._out = self._out, None
        return out
