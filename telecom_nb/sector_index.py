"""One growable map from sector id to a dense row position, for all per-sector state.

Per-sector state (validator memory, feature baselines, alarm episodes, history) lives in
numpy arrays indexed by position, so an update is one vectorised gather/scatter. New
sectors may appear at any tick: the map only grows and a position never changes.
Looking ids up costs a hash per row, so the last complete lookup is cached: a live
source sends the same sector list every tick. Callers convert ids anew (a frame's
column, a view's array), so the few arrays found equal to the cached ones are kept as
aliases: each is compared element-wise once, later calls with it are an identity check;
a pandas column backed by pyarrow is known by its (immutable) arrow array, so the frames
a tick derives from its batch are recognised without converting their ids. Aliases are
weak references: an alias only ever matches itself, so holding it served nothing but
kept it alive, and a replay's aliases (a piece's 250,000 ids as Python strings, or a
one-timestamp slice keeping its piece's array) pinned ~130 MB (issue 12).
"""

from __future__ import annotations

import weakref
from collections.abc import Callable

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from telecom_nb.frame_columns import column_array


class SectorIndex:
    """Sector id -> position (0, 1, 2, ... in order of first appearance)."""

    def __init__(self) -> None:
        self._index = pd.Index([], dtype=object)
        #: the last complete lookup's ids (None: converted from the Arrow kept below), then
        #: weak references to objects known to hold the same (newest last)
        self._last_ids: list | None = None
        self._last_pos: np.ndarray | None = None
        #: the cached ids as Arrow (when a lookup had them so): compared by content
        self._last_arrow: object = None
        #: the ids' count and the Index it was counted on (``len`` of an Arrow-backed
        #: Index goes through three Python calls; a tick asks ~60 times)
        self._counted: tuple[pd.Index, int] = (self._index, 0)
        #: the ids as Arrow strings and the Index they were taken from (None: not all
        #: strings), for an Arrow column's uncached lookup (:meth:`_arrow_positions`)
        self._arrow_ids: tuple[pd.Index, pa.Array | None] | None = None

    def __len__(self) -> int:
        counted = self._counted
        if counted[0] is self._index:  # an Index is immutable: the same object, its count
            return counted[1]
        self._counted = counted = (self._index, len(self._index))
        return counted[1]

    @property
    def ids(self) -> pd.Index:
        """All ids seen so far, in position order."""
        return self._index

    def lookup(
        self,
        ids: np.ndarray | pd.Series | pd.Index | pd.api.extensions.ExtensionArray,
        alias: object = None,
    ) -> np.ndarray:
        """Positions of ``ids`` (-1 for ids never seen); never grows the index.

        ``alias``: another object standing for the same ids (the pyarrow array behind the
        frame column they came from), recognised by identity afterwards.
        """
        key = arrow_key(ids)
        # the ids' content as Arrow (theirs, or the alias standing for them), if any
        arrow = key if key is not None else (alias if isinstance(alias, _ARROW) else None)
        known = self._last_ids
        if known is not None:
            if _held(known, ids) or (key is not None and _held(known, key)):
                self._alias(alias)
                return self._last_pos  # type: ignore[return-value]
            if same_arrow(arrow, self._last_arrow):
                # another tick's batch of the same sectors: compared in Arrow (a memory
                # compare) instead of converted to 100k Python strings and compared
                self._alias(ids if isinstance(ids, np.ndarray) else None, key, alias)
                return self._last_pos  # type: ignore[return-value]
        values = None
        if known is not None and len(ids) == len(self._last_pos):  # else never the same
            values = np.asarray(ids, dtype=object)
            if _same(values, self._reference()):
                self._alias(values, key, alias)
                if arrow is not None:
                    self._last_arrow = arrow
                return self._last_pos  # type: ignore[return-value]
        pos = self._arrow_positions(key) if values is None else None
        if pos is None:
            values = np.asarray(ids, dtype=object) if values is None else values
            pos = _indexer(self._index, pd.Index(values, dtype=object)).astype(np.intp)
        if len(pos) and (pos >= 0).all():  # only complete lookups stay valid
            # ids converted here from Arrow are not kept: the Arrow stands for them (100k
            # Python strings, ~7 MB at 100k sectors, for a compare that rarely comes)
            converted = arrow is not None and values is not ids  # (None: Arrow's)
            self._last_ids, self._last_pos = [None if converted else _own(values)], pos
            self._last_arrow = arrow
            self._alias(None if converted else values, key, alias)  # values: if copied
        return pos

    def _arrow_positions(self, key: object) -> np.ndarray | None:
        """Positions of an Arrow column's ids looked up in Arrow (``index_in``): a replay
        piece's 250k ids cost ~50 ms as Python strings hashed against the Index, ~1.3 ms
        so. The same positions where it applies (null-free strings against an Index of
        strings, compared as strings); None elsewhere."""
        if not _plain_strings(key):
            return None
        held = getattr(self, "_arrow_ids", None)
        if held is None or held[0] is not self._index:
            try:
                ids = pa.array(self._index.to_numpy(dtype=object), type=pa.large_string())
            except (pa.ArrowInvalid, pa.ArrowTypeError):  # an id that is no string
                ids = None
            held = self._arrow_ids = (self._index, None if ids is None or ids.null_count else ids)
        if held[1] is None:
            return None
        found = pc.index_in(key, value_set=held[1]).fill_null(-1)
        return np.asarray(found, dtype=np.intp)

    def _reference(self) -> np.ndarray:
        """The cached ids as an object array (from their Arrow when not kept)."""
        held = self._last_ids[0] if self._last_ids else None
        if held is None and self._last_arrow is not None:
            return self._last_arrow.to_numpy(zero_copy_only=False)  # type: ignore[attr-defined]
        return held  # type: ignore[return-value]

    def _alias(self, *objects: object) -> None:
        """Remember objects known to hold the cached ids (the newest few, weakly)."""
        known = self._last_ids
        for obj in objects:
            if obj is not None and known is not None and not _held(known, obj):
                known[1:] = [a for a in known[1:] if a() is not None]  # gone: no use
                known.append(_weak(obj))
                if len(known) > _ALIASES + 1:  # the reference stays first
                    del known[1]

    def __getstate__(self) -> dict:
        """The ids and the caches' absence (weak references do not pickle)."""
        return {
            **self.__dict__,
            "_last_ids": None,
            "_last_pos": None,
            "_last_arrow": None,
            "_arrow_ids": None,
        }

    def positions(self, ids: np.ndarray | pd.Series | pd.Index) -> np.ndarray:
        """Positions of ``ids``; unseen ids are appended in order of appearance."""
        pos = self.lookup(ids)
        if pos is self._last_pos:  # the cached lookup, kept only complete: none missing
            return pos
        missing = pos < 0
        if missing.any():
            key = arrow_key(ids)
            if _plain_strings(key):  # the new ids only as Python strings (a replay piece)
                new = pc.unique(key.filter(pa.array(missing)))  # type: ignore[attr-defined]
                new = new.to_numpy(zero_copy_only=False)  # first appearance, as pd.unique
            else:
                new = pd.unique(np.asarray(ids, dtype=object)[missing])
            self._index = self._index.append(pd.Index(new, dtype=object))
            self._last_ids = self._last_arrow = None
            pos = self.lookup(ids)
        return pos

    register = positions  # the name the feature extractors use

    def column_positions(self, frame: pd.DataFrame, column: str) -> np.ndarray:
        """:meth:`positions` of a frame's id column, read from its array (no Series built:
        ~40 us under pandas 3), which an Arrow-backed column's cached lookup knows."""
        ids = column_array(frame, column)
        return self.positions(frame[column] if ids is None else ids)

    def position_of(self, sector_id: object) -> int:
        """Position of one sector, or -1 if never seen."""
        # one compare over the ids (Arrow's for strings): no hash table built for one id
        hits = np.flatnonzero(np.asarray(self._index == sector_id, dtype=bool))
        return int(hits[0]) if len(hits) else -1


def _indexer(index: pd.Index, values: pd.Index) -> np.ndarray:
    """``index.get_indexer(values)`` on a new Index over the same ids, so pandas' hash
    table goes with it: cached on ``index`` it held every id as a Python string (100k
    sectors: ~10 MiB a SectorIndex, for lookups a live stream makes only when its sector
    list changes: the cached lookup above answers the other ticks)."""
    return pd.Index(index, copy=False).get_indexer(values)


#: objects holding the cached ids recognised by identity (a tick's view, frame columns)
_ALIASES = 6


def _held(known: list, obj: object) -> bool:
    """Whether ``obj`` is the cached reference (``known[0]``) or one of the aliases."""
    return known[0] is obj or any(a() is obj for a in known[1:])


def _weak(obj: object) -> Callable[[], object]:
    """A weak reference to ``obj`` (a strong one for the few types that have none)."""
    try:
        return weakref.ref(obj)
    except TypeError:
        return lambda: obj


def _own(values: np.ndarray) -> np.ndarray:
    """``values``, or a copy of them when they are a slice of a larger array (a replay
    piece's view of one timestamp): the cached reference must not keep the whole."""
    base = values.base if isinstance(values, np.ndarray) else None
    if isinstance(base, np.ndarray) and base.size > values.size:
        return values.copy()
    return values


def arrow_key(ids: object) -> object:
    """The immutable pyarrow array behind a pandas column of ids, or behind its pandas
    array (shared by the frames a tick derives from its batch), or None."""
    if isinstance(ids, pd.Series | pd.Index):
        ids = ids.array
    if isinstance(ids, pd.arrays.ArrowExtensionArray):
        return ids.__arrow_array__()
    return None


_ARROW = (pa.Array, pa.ChunkedArray)


def _plain_strings(key: object) -> bool:
    """Whether ``key`` (:func:`arrow_key`'s) is Arrow strings without nulls."""
    return (
        isinstance(key, _ARROW)
        and not key.null_count
        and (pa.types.is_string(key.type) or pa.types.is_large_string(key.type))
    )


def same_arrow(a: object, b: object) -> bool:
    """Equal Arrow string arrays (same length, same strings, nulls alike); False when
    either is None (not known as Arrow)."""
    if a is None or b is None or type(a) is not type(b) or len(a) != len(b) or a.type != b.type:  # type: ignore[attr-defined]
        return False
    return a is b or bool(a.equals(b))  # type: ignore[attr-defined]


def _same(a: np.ndarray, b: np.ndarray) -> bool:
    if a is b:
        return True
    return a.shape == b.shape and bool((a == b).all())


def known_rows(rows: np.ndarray, n: int) -> np.ndarray:
    """Which of a batch's sector rows a state of ``n`` rows already holds (a new sector's
    row is at or beyond ``n``; -1 marks a row the batch does not have)."""
    return (rows >= 0) & (rows < n)


def grow_rows(array: np.ndarray, n: int, fill: object = 0.0, axis: int = 0) -> np.ndarray:
    """``array`` grown along ``axis`` to hold ``n`` (capacity doubles); new cells ``fill``."""
    size = array.shape[axis]
    if size >= n:
        return array
    shape = list(array.shape)
    shape[axis] = max(n, 2 * size, 16)
    out = np.full(shape, fill, dtype=array.dtype)
    out[(slice(None),) * axis + (slice(0, size),)] = array
    return out


def unwritten(shape: tuple[int, ...], fill: object, dtype: object) -> np.ndarray:
    """A table nothing has written yet: ``fill`` broadcast to ``shape``, read-only, no
    memory (a per-sector table only some data use: a ratio-of-counts KPI's)."""
    return np.broadcast_to(np.array(fill, dtype=dtype), shape)


def is_unwritten(array: np.ndarray) -> bool:
    """Whether ``array`` is an :func:`unwritten` table (read-only, every stride 0)."""
    return not array.flags.writeable and not any(array.strides)


def grow_unwritten(array: np.ndarray, n: int, fill: object = 0.0) -> np.ndarray:
    """:func:`grow_rows` (same capacity, same cells) that keeps an :func:`unwritten`
    table unwritten: readers see the same rows and values, and a 100k-sector fleet whose
    data never use it holds no pages for it (``fill`` must be the table's own)."""
    if not is_unwritten(array):
        return grow_rows(array, n, fill)
    size = len(array)
    if size >= n:
        return array
    return unwritten((max(n, 2 * size, 16), *array.shape[1:]), fill, array.dtype)


def written(array: np.ndarray) -> np.ndarray:
    """``array`` as a writeable table of its own (an :func:`unwritten` one filled in now)."""
    return np.array(array) if is_unwritten(array) else array
