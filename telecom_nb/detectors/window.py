"""The retraining window: the most recent feature rows, in a ring buffer."""

from __future__ import annotations

import numpy as np


class SampleWindow:
    """Keeps the last ``capacity`` rows; ``snapshot`` copies them for a worker thread."""

    def __init__(self, capacity: int, n_features: int) -> None:
        self._buf = np.zeros((capacity, n_features))
        self._next = 0
        self._size = 0

    def __len__(self) -> int:
        return self._size

    @property
    def capacity(self) -> int:
        return self._buf.shape[0]

    def append(self, rows: np.ndarray) -> None:
        cap = self.capacity
        if len(rows) >= cap:
            self._buf[:] = rows[-cap:]
            self._next, self._size = 0, cap
            return
        end = self._next + len(rows)
        if end <= cap:
            self._buf[self._next : end] = rows
        else:
            first = cap - self._next
            self._buf[self._next :] = rows[:first]
            self._buf[: end - cap] = rows[first:]
        self._next = end % cap
        self._size = min(cap, self._size + len(rows))

    def snapshot(self) -> np.ndarray:
        """A copy of the rows, oldest first."""
        if self._size < self.capacity:
            return self._buf[: self._size].copy()
        return np.concatenate([self._buf[self._next :], self._buf[: self._next]])

    def blank(self, columns: np.ndarray) -> None:
        """Set ``columns`` of every kept row to 0 (no deviation): rows on a scale the
        features no longer use (:mod:`~telecom_nb.detectors.ratio_switch`)."""
        self._buf[:, columns] = 0.0

    def resized(self, capacity: int) -> SampleWindow:
        out = SampleWindow(capacity, self._buf.shape[1])
        out.append(self.snapshot())
        return out
