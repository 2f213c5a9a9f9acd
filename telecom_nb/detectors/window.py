"""The retraining window: the most recent feature rows, in a ring buffer.

A retrain's snapshot of a window not yet full is a read-only view of the buffer's first
rows, not a copy: until the ring wraps, appends write only below them. A write that would
reach them (the wrap, a refill, a batch as long as the window) first moves the window to a
copy of its buffer, and the snapshot keeps the old one. A young one-series window is
snapshot (with its predecessors) at every weekly retrain: 38 of a 100k-row series' 54 fits.
"""

from __future__ import annotations

import secrets

import numpy as np

from telecom_nb.detectors.row_cache import RowKey


class SampleWindow:
    """Keeps the last ``capacity`` rows; ``snapshot`` copies them for a worker thread (a
    young window's: a read-only view its appends never write into, module doc)."""

    #: rows appended over the window's life (a class default: older pickles read 0)
    _appended = 0
    #: the buffer's first rows a young snapshot's view reads (a write there first copies
    #: the buffer: :meth:`_own`); transient (``engine/snapshot.py``), not state
    _lent = 0
    #: names its rows for a cache (:meth:`row_key`; None: an older pickle, unnamed)
    _row_token: int | None = None

    def __init__(self, capacity: int, n_features: int) -> None:
        self._buf = np.zeros((capacity, n_features))
        self._next = 0
        self._size = 0
        self.state_changed()

    def state_changed(self) -> None:
        """A new token (:meth:`row_key`): rows already in the window changed (a refill, a
        restore; the token is a cache's, not state: ``engine/snapshot.py``'s TRANSIENT).
        Random, so that a fit's inputs restored from another process never name these
        rows."""
        self._row_token = secrets.randbits(63)

    def row_key(self) -> RowKey | None:
        """The name of :meth:`snapshot`'s first row (its rows follow it in order): the
        window's token and the count of rows appended before it (:mod:`.row_cache`)."""
        if self._row_token is None:
            return None
        return self._row_token, self._appended - self._size

    def __len__(self) -> int:
        return self._size

    @property
    def capacity(self) -> int:
        return self._buf.shape[0]

    @property
    def appended(self) -> int:
        """Rows appended over the window's life (kept or since dropped)."""
        return self._appended

    def append(self, rows: np.ndarray) -> None:
        cap = self.capacity
        self._appended += len(rows)
        if len(rows) >= cap:
            if self._lent:  # every row written: a new buffer, no copy of the old one
                self._buf, self._lent = np.empty_like(self._buf), 0
            self._buf[:] = rows[-cap:]
            self._next, self._size = 0, cap
            return
        end = self._next + len(rows)
        if end <= cap:
            if self._next < self._lent:
                self._own()
            self._buf[self._next : end] = rows
        else:
            self._own()  # the wrap writes the first rows
            first = cap - self._next
            self._buf[self._next :] = rows[:first]
            self._buf[: end - cap] = rows[first:]
        self._next = end % cap
        self._size = min(cap, self._size + len(rows))

    def snapshot(self) -> np.ndarray:
        """The rows, oldest first: a copy, or while the window is not full a read-only
        view that later writes leave as it is (module doc)."""
        if self._size < self.capacity:
            view = self._buf[: self._size]
            view.flags.writeable = False
            self._lent = max(self._lent, self._size)
            return view
        return np.concatenate([self._buf[self._next :], self._buf[: self._next]])

    def _own(self) -> None:
        """Before rows a snapshot's view reads are written: the window takes a copy."""
        if self._lent:
            self._buf, self._lent = self._buf.copy(), 0

    def positions(self) -> np.ndarray:
        """The kept rows' buffer positions, oldest first."""
        start = self._next if self._size == self.capacity else 0
        return (start + np.arange(self._size)) % self.capacity

    def refill(self, before: int, columns: np.ndarray, draw: np.ndarray | None) -> np.ndarray:
        """Replace ``columns`` of the rows appended before the ``before``-th with those
        of rows drawn from the later ones (:mod:`~telecom_nb.detectors.ratio_switch`);
        ``draw``: the later rows' indices to take (a second window row for row), None:
        drawn here. Returns the draw (an empty one: nothing kept from before)."""
        pos = self.positions()
        old = self._appended - self._size + np.arange(self._size) < before
        if not old.any() or old.all():
            return np.zeros(0, dtype=np.intp)
        if draw is None:
            rng = np.random.default_rng(before)  # its own: the detector's draws stay as they were
            draw = rng.integers(int(old.sum()), self._size, size=int(old.sum()))
        stale, fresh = pos[old], pos[draw]
        self._own()
        self._buf[np.ix_(stale, columns)] = self._buf[np.ix_(fresh, columns)]
        self.state_changed()  # kept rows changed: transforms of them no longer hold
        return draw

    def resized(self, capacity: int) -> SampleWindow:
        out = SampleWindow(capacity, self._buf.shape[1])
        out.append(self.snapshot())
        out._appended = self._appended
        return out
