"""Every tail-units part of a fleet's tick in one pass over the feature rows.

The max over features (``FeatureTails``), the run part's max, the second strongest KPI and
the two groups' sums of the KPI families and of the area part each read their columns'
tail units; run apart, the same cells' units were computed three to five times a tick
(100k rows: ~25-30 ms of CPU in ``_tail_max``, ``_tail_second`` and ``_tail_top2``, plus
a gathered copy of the run columns). Here each distinct cell (a column under one set of
tail parameters) is computed once per row into a small buffer that stays in L1, and each
part's statistic is reduced from it, reading the buffer in the order its own kernel reads
its columns, with the same float64 operations: the numbers are the same to the bit
(``tests/test_tail_parts.py``). Parts whose layout the pass does not cover (no tail
levels, fewer than two groups, no numba) keep their own kernels.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from telecom_nb.detectors import score_kernels
from telecom_nb.features.tick_kernels import _nmax, _nmin, numba

#: the reductions: strongest cell with the free tails (``FeatureTails.__call__``),
#: strongest capped cell (the run part), second strongest group (``SecondKpi``), two
#: strongest groups summed (``KpiFamilies``, ``AreaPart``)
MAX_FREE, MAX_CAPPED, SECOND, TOP2 = 0, 1, 2, 3
#: the model's attribute of each grouped part, and its reduction
GROUPED = (("second", SECOND), ("families", TOP2), ("area", TOP2))
#: rows computed slot by slot at a time (x ~50 slots x 2 x 8 bytes: ~200 KB, in L2;
#: 64 rows: 19 ms a 100k tick, 128-512: 15-16 ms)
BLOCK = 256


def _parts(x, slot_col, anchor, scale, reach, start, base, tail_scale, free, runs, kind,
           red_start, red_slot, red_group, n_groups, out, lo, hi):  # pragma: no cover
    """Rows ``lo:hi``: each slot's capped and free units, then each reduction ``r`` over
    its slots ``red_slot[red_start[r]:red_start[r + 1]]`` into ``out[r]``.

    Blocks of :data:`BLOCK` rows, slot by slot: the body units of a slot's rows are one
    loop the compiler vectorises (a row at a time, the divisions ran one by one), and
    only a slot with a row beyond its reach goes back for the tails. Each cell's
    operations are ``score_kernels._tail_max``'s."""
    n_slots = slot_col.shape[0]
    capped = np.empty((n_slots, BLOCK))
    freed = np.empty((n_slots, BLOCK))
    per = np.empty((max(1, n_groups.max()), BLOCK))
    best = np.empty(BLOCK)
    last = start.shape[0] - 1
    for i0 in range(lo, hi, BLOCK):
        m = min(BLOCK, hi - i0)
        for s in range(n_slots):
            col, an, sc, re = slot_col[s], anchor[s], scale[s], reach[s]
            far = 0
            for b in range(m):
                a = abs(x[i0 + b, col])
                capped[s, b] = (a - an) / sc
                far += a > re
            if far:
                for b in range(m):
                    a = abs(x[i0 + b, col])
                    u = capped[s, b]
                    f = u
                    if a > re:
                        t = base[0, s] + _nmax(a - start[0, s], 0.0) / tail_scale[0, s]
                        for k in range(1, start.shape[0]):
                            t = _nmin(t, base[k, s]
                                      + _nmax(a - start[k, s], 0.0) / tail_scale[k, s])
                        u = _nmin(u, t)
                        f = t - runs[s] if free[s] and a > start[last, s] else u
                    capped[s, b] = u
                    freed[s, b] = f
            else:
                for b in range(m):
                    freed[s, b] = capped[s, b]
        for r in range(kind.shape[0]):
            first, end, how = red_start[r], red_start[r + 1], kind[r]
            if how <= MAX_CAPPED:  # MAX_FREE or MAX_CAPPED
                vals = freed if how == MAX_FREE else capped
                s = red_slot[first]
                for b in range(m):
                    best[b] = vals[s, b]
                for c in range(first + 1, end):
                    s = red_slot[c]
                    for b in range(m):
                        best[b] = _nmax(best[b], vals[s, b])
                for b in range(m):
                    out[r, i0 + b] = best[b]
                continue
            empty = -np.inf if how == SECOND else 0.0
            for g in range(n_groups[r]):
                for b in range(m):
                    per[g, b] = empty
            for c in range(first, end):
                s, g = red_slot[c], red_group[c]
                if how == SECOND:
                    for b in range(m):
                        per[g, b] = _nmax(per[g, b], capped[s, b])
                else:
                    for b in range(m):
                        if capped[s, b] > per[g, b]:  # NaN never is
                            per[g, b] = capped[s, b]
            for b in range(m):
                top = empty
                second = empty
                nans = 0
                for g in range(n_groups[r]):
                    v = per[g, b]
                    if v != v:
                        nans += 1
                    elif v > top:
                        second = top
                        top = v
                    elif v > second:
                        second = v
                if how == SECOND:
                    out[r, i0 + b] = np.nan if nans >= 2 else (top if nans == 1 else second)
                else:
                    out[r, i0 + b] = second + top


if numba is not None:
    _parts = numba.njit(cache=True, nogil=True, error_model="numpy")(_parts)


def _cell_key(tails, j: int) -> bytes:
    """What makes a cell's capped units: its tail parameters, bit for bit."""
    return b"".join(np.ascontiguousarray(a, dtype=np.float64).tobytes() for a in (
        tails.anchor[j], tails.scale[j], tails.reach[j], tails.start[:, j], tails.base[:, j],
        tails.tail_scale[:, j]))


@dataclass(frozen=True)
class TailPlan:
    """The slots (distinct cells) and reductions of one model's tail-units parts."""

    names: tuple[str, ...]  # per reduction: "tails", "run" or a grouped part's attribute
    width: int  # feature columns the rows must have (the base columns)
    slot_col: np.ndarray
    params: tuple[np.ndarray, ...]  # anchor, scale, reach, start, base, tail_scale per slot
    free: np.ndarray
    runs: np.ndarray
    kind: np.ndarray
    red_start: np.ndarray
    red_slot: np.ndarray
    red_group: np.ndarray
    n_groups: np.ndarray

    @classmethod
    def of(cls, model) -> TailPlan | None:
        """The plan of a fitted ``ForestAndZ`` (fleet parts), None when there is no pass
        to share (fewer than two parts, no numba, a part without tail levels)."""
        if numba is None:
            return None
        width = len(model.tails.anchor)
        reads = [("tails", MAX_FREE, model.tails, np.arange(width), None)]
        if model.run is not None:
            reads.append(("run", MAX_CAPPED, model.run.tails, model.run.columns, None))
        for name, how in GROUPED:
            part = getattr(model, name)
            if part is not None and len(part.group) and int(part.group.max()) >= 1:
                reads.append((name, how, part.tails, part.columns, part.group))
        levels = {t.start.shape[0] for _, _, t, _, _ in reads}
        if width == 0 or len(reads) < 2 or len(levels) != 1 or 0 in levels:
            return None
        slots: dict[tuple[int, bytes], int] = {}
        slot_of: list[tuple] = []  # (tails, index within them)
        free, runs = [], []
        names, kind, starts, red_slot, red_group, n_groups = [], [], [0], [], [], []
        for name, how, tails, columns, group in reads:
            for c, col in enumerate(np.asarray(columns, dtype=np.int64)):
                key = (int(col), _cell_key(tails, c))
                if key not in slots:
                    slots[key] = len(slot_of)
                    slot_of.append((tails, c, int(col)))
                    free.append(False)
                    runs.append(0.0)
                s = slots[key]
                if how == MAX_FREE:  # only the max reads the free units
                    free[s], runs[s] = bool(tails.free[c]), float(tails.runs[c])
                red_slot.append(s)
                red_group.append(0 if group is None else int(group[c]))
            names.append(name)
            kind.append(how)
            starts.append(len(red_slot))
            n_groups.append(1 if group is None else int(np.max(group)) + 1)
        if max(col for _, _, col in slot_of) >= width:
            return None  # a part reading beyond the base columns: not this layout
        idx = [(t, c) for t, c, _ in slot_of]
        params = (np.array([t.anchor[c] for t, c in idx], dtype=np.float64),
                  np.array([t.scale[c] for t, c in idx], dtype=np.float64),
                  np.array([t.reach[c] for t, c in idx], dtype=np.float64),
                  *(np.ascontiguousarray(np.stack([getattr(t, a)[:, c] for t, c in idx],
                                                  axis=1), dtype=np.float64)
                    for a in ("start", "base", "tail_scale")))
        i64 = np.int64
        return cls(tuple(names), width, np.array([c for _, _, c in slot_of], dtype=i64),
                   params, np.array(free, dtype=np.bool_), np.array(runs, dtype=np.float64),
                   np.array(kind, dtype=i64), np.array(starts, dtype=i64),
                   np.array(red_slot, dtype=i64), np.array(red_group, dtype=i64),
                   np.array(n_groups, dtype=i64))

    def __call__(self, features: np.ndarray) -> dict[str, np.ndarray] | None:
        """Each part's statistic per row (name -> array); None: not taken (the parts then
        compute their own)."""
        x = score_kernels._float_matrix(features)
        if x is None or x.shape[1] != self.width:
            return None
        out = np.empty((len(self.names), len(x)))
        score_kernels._run(_parts, len(x), x, self.slot_col, *self.params, self.free,
                           self.runs, self.kind, self.red_start, self.red_slot,
                           self.red_group, self.n_groups, out)
        return dict(zip(self.names, out, strict=True))
