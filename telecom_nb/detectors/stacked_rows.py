"""A replay segment's feature rows, copied into one buffer as each batch is featured.

The fast path (:mod:`~.stream`) scores the rows of many batches in one call. It kept each
batch's feature matrix in a list and stacked them (``np.vstack``) at every flush: a new
~33k x 58 float64 matrix each time (15 MB: above glibc's 4 MiB threshold, a mapping of its
own whose pages are faulted in afresh, then unmapped), with the batches' own matrices
alive beside it. Here each batch's rows are copied into a buffer that lives from flush to
flush of one stream (its pages faulted once) and the batch's matrix is let go at once: the
same rows, the same bits (a copy either way), one segment's matrix fewer at the flush.

The buffer is handed to the scoring as a view and overwritten after it: the scoring reads
the rows and keeps none of them (its :class:`~.base.Scores` are new arrays).
"""

from __future__ import annotations

import numpy as np


class StackedRows:
    """``add`` batches of rows, ``take`` them as ``np.vstack`` would stack them."""

    def __init__(self, capacity: int) -> None:
        self.capacity = capacity  # rows of the first buffer (grown when a segment is longer)
        self.buffer: np.ndarray | None = None
        self.n = 0  # rows held in the buffer
        self.sizes: list[int] = []  # each batch's rows, in order
        self.pieces: list[np.ndarray] | None = None  # mixed shapes or dtypes: as given

    def __len__(self) -> int:
        return len(self.sizes)

    def add(self, x: np.ndarray) -> None:
        self.sizes.append(len(x))
        if self.pieces is not None:
            self.pieces.append(x)
            return
        buf = self.buffer
        if x.ndim != 2 or (buf is not None and (buf.dtype != x.dtype
                                                or buf.shape[1] != x.shape[1])):
            # another width or dtype within a segment: stacked by numpy at the take (the
            # rows so far as one piece: vstack of it and the rest gives the same bits)
            self.pieces = [buf[: self.n].copy()] if self.n else []
            self.pieces.append(x)
            self.n = 0
            return
        if buf is None or self.n + len(x) > len(buf):
            grown = np.empty((max(self.capacity, 2 * self.n + len(x)), x.shape[1]),
                             dtype=x.dtype)
            if self.n:
                grown[: self.n] = buf[: self.n]
            buf = self.buffer = grown
        buf[self.n : self.n + len(x)] = x
        self.n += len(x)

    def take(self) -> np.ndarray:
        """The rows added since the last take, stacked (a view of the buffer, valid until
        the next ``add``); the segment starts empty again."""
        out = self.buffer[: self.n] if self.pieces is None else np.vstack(self.pieces)
        self.n, self.sizes, self.pieces = 0, [], None
        return out
