"""A fault's tail is not a drift: the drift of a KPI is not read for hours after a large z.

The drift's day-long mean (:mod:`~telecom_nb.features.drift`) outlives a loud fault: after
an interference or a sleeping cell its baselines have learned some of it, the KPI sits off
for hours on the same side, and the hold rule (the row's own z at least ``HOLD_Z``) lets a
few of those rows through. On tuning world t1330 (third generator, 15 min) 79 normal rows
read a drift part of 3 or more, 43 of them within 24 rows after a fault's end (sleeping cell
30, interference 28 by the fault before). A wrong parameter is quiet throughout (a drift,
not a loud fault: none of its rows lost on five worlds), so per sector x KPI the data time
of the last |z| of :data:`BIG_Z` or more is kept, and that KPI's drift reads 0 within
:data:`TAIL_NS` of it (the row's own z counts: a row that loud is the max over features'
to flag, not the drift's). Main -> gate, false-alarm rows: t1330 321 -> 298, held out
h1332 (15 min) 228 -> 204, the simulator 3,210 -> 3,204; no episode lost, no row added
(README "Measured", wp20).
"""

from __future__ import annotations

import numpy as np

from telecom_nb.features.time_slots import HOUR_NS
from telecom_nb.sector_index import grow_rows, known_rows

#: a seasonal z this far out is a loud fault's, not a drift's
BIG_Z = 8.0
#: data time after such a z during which the KPI's drift is not read (a fault's tail)
TAIL_NS = 4 * HOUR_NS
#: times are kept in whole minutes (int32: 100k sectors x 21 series is 8 MB, not 17)
MINUTE_NS = 60 * 10**9
#: "never": the data time of a sector x KPI that never read a big z
NEVER = np.iinfo(np.int32).min // 2


class RecentBig:
    """Per sector x KPI: the data time of the last |z| of :data:`BIG_Z` or more."""

    def __init__(self, n_kpis: int) -> None:
        #: per sector x KPI the data time (minutes since 1970) of the last big z
        self.last_min_ = np.full((0, n_kpis), NEVER, dtype=np.int32)

    def gate(self, out: np.ndarray, rows: np.ndarray, z: np.ndarray,
             times: np.ndarray) -> np.ndarray:
        """``out`` (rows x KPIs drift columns) with 0 where the KPI read a big z within
        :data:`TAIL_NS` before the row's time, or reads one now (in place)."""
        flat = np.flatnonzero(out)  # only the few cells that read a drift (a 2-d nonzero
        if not len(flat):  # costs ~3x a flat one at 100k x 21)
            return out
        i, j = np.divmod(flat, out.shape[1])
        r = rows[i]
        known = known_rows(r, len(self.last_min_))
        last = np.full(len(i), NEVER, dtype=np.int64)
        last[known] = self.last_min_[r[known], j[known]]
        since = times[i] // MINUTE_NS - last
        loud = (since <= TAIL_NS // MINUTE_NS) | (np.abs(z[i, j]) >= BIG_Z)  # in minutes
        out[i[loud], j[loud]] = 0.0
        return out

    def quiet(self, rows: np.ndarray, times: np.ndarray, span_ns: int) -> np.ndarray:
        """Per row: no KPI of its sector read a big z within ``span_ns`` before its time
        (a sector not seen yet is quiet)."""
        known = known_rows(rows, len(self.last_min_))
        last = np.full(len(rows), NEVER, dtype=np.int64)
        if self.last_min_.shape[1]:
            last[known] = self.last_min_[rows[known]].max(axis=1)
        return times // MINUTE_NS - last > span_ns // MINUTE_NS

    def update(self, rows: np.ndarray, z: np.ndarray, times: np.ndarray, n_rows: int) -> None:
        """Learn this tick's big z (distinct sector rows)."""
        self.last_min_ = grow_rows(self.last_min_, n_rows, NEVER)
        # two bool compares, no float |z| copy of the rows x KPIs block (NaN: False)
        i, j = np.divmod(np.flatnonzero((z >= BIG_Z) | (z <= -BIG_Z)), z.shape[1])
        self.last_min_[rows[i], j] = times[i] // MINUTE_NS
