"""A pool's held-level part: how far a shift held for hours, against the pool's own null.

The held z (:mod:`~telecom_nb.features.held_level`) is nonzero on a fifth of a pool's rows
or fewer; each KPI's p is the chance that a row holds that far: the share of the window's
rows (those with a shift statistic) that hold, times the tail of the holding rows' |z| (fitted
as the shift part's null, :mod:`.shift_part`: declustered, a held z lasts hours; the
shoulder's scale, as a pool's shift null; at least ``MIN_SHIFT_ROWS`` rows). The strongest
KPI's ``-log10 p`` counts, Bonferroni over the KPIs with a null and the joint reading below.
A level shift of a cell's load moves several KPIs together (users, traffic, PRB), each
only as far as a normal hour's wander: the :data:`JOINT_RANK`-th strongest KPI's reading
of a row is a statistic of its own, read against the window's rows like a KPI (its share
of rows, its declustered null), so a shift that holds on three KPIs at once counts as
rarely as that is, not as its strongest KPI alone is. A pool's window holds its
cells' wander for weeks, so a cell that wanders often widens the null its shifts are read
against.
A young window's null waits for :data:`MIN_EPISODES` separate holds per KPI: its first
1,000 holding rows can be a few long wanders, whose tail is too thin to read 10^-7. Until
one KPI has its own, the KPIs' holding rows together make one null for every KPI that holds
(an hourly pool of 3 cells reaches one KPI's floors after ~5 weeks, the KPIs' together in
~2), once the history spans 10 days (``part_schedule.HELD_POOL_AFTER``: a younger pool's
KPIs repeat a few long wanders); the part can then come before the shift part's own null
(``shift_part.shift_score``).

Only for a pool of 2+ series: one series' window holds too few long wanders for a tail, and
its first day-long drift read 10^-5 (few-series ``cdn24`` seed 2025, one service of 24
KPIs: one day's latent drift, 28 -> 64 false rows; two NAB files, the ambient temperature's
and the taxi demand's, one false alarm each); no floor or cap tried fixed it without
losing the pools' shifts (``benchmarks/MEASURED.md``, level36).
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass

import numpy as np

from telecom_nb.detectors.calibration import TailCalibrator
from telecom_nb.detectors.shift_part import MIN_SHIFT_ROWS, bonferroni, declustered_null, shift_only

#: fewest separate holds (holding rows whose sector's previous row did not hold) before a
#: KPI has a null: a young window's few long holds read a thin tail (few-series ``lte``
#: seed 2027, day 6: traffic's 174 holds in 1,145 holding rows, scale 0.09 against 0.2-0.3
#: later, so a cell's held z of 2.5 read 10^-7). Counted in holds, not rows: a hold lasts
#: more rows at a shorter cadence, and 3,000 rows lost every pool's held shifts (level36)
MIN_EPISODES = 200
#: the window's rows the shift nulls read at this score or more (or whose sector's previous
#: row they did) leave the held null's sample ...
TRIM_SCORE = 1.5
#: ... at most this share of the rows with a statistic, the highest read
MAX_TRIM = 0.1
#: the joint reading is the row's this-strongest KPI reading (``-log10`` of its own null's
#: tail): a load shift moves users, traffic and PRB. Rank 2 is common in normal life
#: (few-series ``lte5`` seed 1: the second-strongest reading beyond 1.9 on 1 normal row in
#: 1,000, the third beyond 1.3 on none in 10,000; its missed shift's third read 2.0)
JOINT_RANK = 3
#: fewest separate joint holds before the joint reading has a null: rarer than one KPI's
#: holds by construction (few-series ``lte5`` seed 1: 64 by day 14, 250 by day 20)
JOINT_HOLDS = 50


def shift_trim(shift: np.ndarray, nulls: tuple[TailCalibrator | None, ...] | None,
               ref: np.ndarray, previous: np.ndarray | None) -> np.ndarray | None:
    """Which window rows the held null leaves out: those the shift part's own nulls
    (``nulls`` of columns ``shift``, not the held part: no ratchet) read at
    :data:`TRIM_SCORE` or more, or whose sector's previous row they did, at most
    :data:`MAX_TRIM` of the rows with a statistic; None: none.

    A pool's window holds its cells' own level shifts, and they hold for hours: on the
    few-series ``lte5`` set (4 cells, 8 shifts in 3 weeks) 468 of users' 491 holding rows
    beyond held z 1.5 were shift rows, so the null's shoulder was the shifts' and the next
    shift read as one of them (held z 2.9 against normal rows' q999 1.65 read 1.8)."""
    if nulls is None:
        return None
    score = shift_only(shift, nulls, ref)
    if previous is not None:
        score = np.maximum(score, shift_only(shift, nulls, np.nan_to_num(previous, nan=0.0)))
    has = (ref[:, shift] != 0).any(axis=1)
    out = has & (score >= TRIM_SCORE)
    most = int(MAX_TRIM * has.sum())
    if out.sum() > most:  # only the highest-read: a share, whatever the window holds
        keep = np.argsort(-np.where(out, score, -np.inf), kind="stable")[:most]
        out = np.zeros(len(ref), dtype=bool)
        out[keep] = True
    return out if out.any() else None


def _null_of(values: np.ndarray, before: np.ndarray | None,
             spacings: tuple[tuple[float, float], ...]) -> TailCalibrator | None:
    """The declustered null of holding rows ``values`` (their sectors' previous rows
    ``before``), or None below the floors: :data:`MIN_SHIFT_ROWS` rows and
    :data:`MIN_EPISODES` separate holds (a KPI's own null and the pool's alike)."""
    if len(values) < MIN_SHIFT_ROWS or (
            before is not None and (before == 0).sum() < MIN_EPISODES):
        return None
    return declustered_null(values, before, spacings)


@dataclass(frozen=True)
class HeldNull:
    """Per held column: its share of holding rows and its holding rows' null."""

    columns: np.ndarray
    share: np.ndarray
    nulls: tuple[TailCalibrator | None, ...]
    #: the joint reading's share of rows and null (None: none; a model older than it)
    joint_share: float = 1.0
    joint: TailCalibrator | None = None

    @classmethod
    def fit(
        cls,
        ref: np.ndarray,
        previous: np.ndarray | None,
        columns: np.ndarray,
        shift: np.ndarray,
        spacings: tuple[tuple[float, float], ...],
        pool: bool = False,
        left_out: np.ndarray | None = None,
    ) -> HeldNull | None:
        """From the window ``ref`` (its rows' sectors' previous rows ``previous``); the
        shift columns ``shift`` tell which rows have a statistic. None: too few holding
        rows (as few as the shift part's null needs: fewer read thin tails).
        ``pool``: while no KPI has a null of its own, the KPIs' holding rows pooled make
        one (:meth:`_pooled`; the detector's history must span
        ``part_schedule.HELD_POOL_AFTER``); ``left_out``: window rows out of its sample
        (:func:`shift_trim`)."""
        has = (ref[:, shift] != 0).any(axis=1)
        if left_out is not None:
            has &= ~left_out
        if not has.any():
            return None
        nulls, share, holding = [], [], []
        for c in columns:
            s = np.abs(ref[has, c])
            hold = s > 0
            share.append(max(hold.mean(), 1.0 / len(s)))
            before = None
            if previous is not None:
                before = np.abs(np.nan_to_num(previous[has, c], nan=0.0))[hold]
            holding.append((s[hold], before))
            nulls.append(_null_of(s[hold], before, spacings))
        if all(n is None for n in nulls):
            if not pool:
                return None
            made = cls._pooled(columns, np.array(share), holding, len(has), spacings)
        else:
            made = cls(np.asarray(columns, dtype=np.intp), np.array(share), tuple(nulls))
        return None if made is None else made._with_joint(ref[has], previous, spacings,
                                                          None if previous is None else has)

    def _readings(self, features: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Each KPI with a null: its ``-log10`` tail reading of the rows' |held z| (0 where
        it does not hold) and where it holds, both rows x KPIs."""
        read = [(c, n) for c, n in zip(self.columns, self.nulls, strict=True) if n is not None]
        out = np.zeros((len(features), len(read)))
        holds = np.zeros(out.shape, dtype=bool)
        for j, (c, null) in enumerate(read):
            s = np.abs(features[:, c])
            holds[:, j] = s > 0
            out[:, j] = np.where(holds[:, j], null.log_p(s), 0.0)
        return out, holds

    @staticmethod
    def _joint_of(read: np.ndarray) -> np.ndarray | None:
        """The rows' :data:`JOINT_RANK`-th strongest KPI reading (None: fewer KPIs)."""
        if read.shape[1] < JOINT_RANK:
            return None
        return -np.partition(-read, JOINT_RANK - 1, axis=1)[:, JOINT_RANK - 1]

    def joint_value(self, features: np.ndarray) -> np.ndarray | None:
        """The rows' joint reading (:data:`JOINT_RANK`; None: fewer KPIs with a null)."""
        return self._joint_of(self._readings(features)[0])

    def _with_joint(self, ref: np.ndarray, previous: np.ndarray | None,
                    spacings: tuple[tuple[float, float], ...],
                    has: np.ndarray | None) -> HeldNull:
        """This null with the joint reading's (:data:`JOINT_RANK`), fitted on the sample's
        rows ``ref`` (their sectors' previous rows: ``previous[has]``) where it is nonzero,
        declustered as the KPIs' nulls are (not through :func:`_null_of`: no floor); as it
        was below :data:`JOINT_HOLDS` separate holds."""
        value = self.joint_value(ref)
        if value is None:
            return self
        hold = value > 0
        before = None
        if previous is not None:
            before = self.joint_value(np.abs(np.nan_to_num(previous[has], nan=0.0)))[hold]
        if before is not None and (before == 0).sum() < JOINT_HOLDS:
            return self
        if before is None and hold.sum() < JOINT_HOLDS:
            return self
        null = declustered_null(value[hold], before, spacings)
        return dataclasses.replace(self, joint_share=max(hold.mean(), 1.0 / len(value)),
                                   joint=null)

    @classmethod
    def _pooled(
        cls,
        columns: np.ndarray,
        share: np.ndarray,
        holding: list[tuple[np.ndarray, np.ndarray | None]],
        rows: int,
        spacings: tuple[tuple[float, float], ...],
    ) -> HeldNull | None:
        """One null of every KPI's holding rows, read by each KPI that holds at all: at an
        hour's cadence one KPI's 1,000 holding rows and 200 separate holds take a pool of 3
        cells ~4-5 weeks of data (few-series ``lte60``: no held part before day ~37 of 56,
        and its level shifts there read held z 4-9 unscored); its KPIs' holds together reach
        them within ~2 weeks. A KPI's share is the larger of its own and the pool's (a
        rarely holding KPI's own share is a young estimate)."""
        values = np.concatenate([s for s, _ in holding])
        before = None if holding[0][1] is None else np.concatenate([b for _, b in holding])
        null = _null_of(values, before, spacings)
        if null is None:
            return None
        pool = len(values) / (rows * len(holding))
        return cls(np.asarray(columns, dtype=np.intp), np.maximum(share, pool),
                   tuple(null if len(s) else None for s, _ in holding))

    def score(self, features: np.ndarray) -> np.ndarray:
        """The part's score of each row (``-log10 p``, Bonferroni over the KPIs and the
        joint reading)."""
        read, holds = self._readings(features)
        price = [math.log10(s) for s, n in zip(self.share, self.nulls, strict=True)
                 if n is not None]
        each = np.where(holds, read - np.array(price), 0.0)
        n = read.shape[1]
        if self.joint is not None:
            value = self._joint_of(read)
            joint = np.where(value > 0, self.joint.log_p(value) - math.log10(self.joint_share),
                             0.0)
            each, n = np.maximum(each.max(axis=1), joint), n + 1
        else:
            each = each.max(axis=1)
        return bonferroni(each, n)
