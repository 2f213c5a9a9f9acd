"""A fleet's persistence part: one KPI held off for hours, each on its own deep tail.

A lost carrier halves a cell's throughput for 2-8 hours. Per tick that is ~1 in 1,000 on the
KPI's persistence column (the running mean of its seasonal z), but the max over ~100
features needs ~1 in 100,000, and the two-family sum (:mod:`~telecom_nb.detectors.area_part`'s
statistic on the persistence columns) does not help: the fault's second KPI (latency x1.3)
reads ~0.3 tail units. What hides the throughput is other KPIs' *deep* tails: in the max,
every feature is in units of a tail fitted at the 5-0.2 % levels, and beyond them the
count ratios, load KPIs and VoLTE traffic run heavier than that exponential (tail units 6-9
at 1 in 10,000, throughput's 4.5): the rows that set the max's threshold are theirs.

So each KPI's persistence column gets its own null, fitted on that column's declustered
tail units in the window: empirical up to 95 %, beyond an exponential whose scale is the
*largest* of the 90-95, 95-99 and 99-99.9 % spacings (a heavy deep tail widens it, never the
reverse). The strongest KPI's ``-log10 p`` less ``log10`` of the number of KPI families
(KPIs that move together, :func:`~telecom_nb.detectors.kpi_families.families`, count once in
the Bonferroni) is the part; 0 below 2, as the area part's (its body would lift the raw
score's quartiles). Hourly data only: at 15 minutes the persistence spans 45 minutes and
the part found nothing more (tuning worlds 1042, 1043) for 26-31 more false alarms each.

A running mean within one of its usual spreads of its usual level (``|persist_z|`` under
:data:`MIN_Z`) is no evidence, whatever its null says. A KPI that sits at a constant
(availability at 100 %) has a persistence column at ~0 on 99.9 % of the window, and its null's
exponential scale is the spacing of those ~0s (5e-7 to 0.002 units): a reading of 0.00001-0.04
made -log10 p of 5.5-6,000. Such readings come after a fault: an outage's 0 % nudged its hours'
slots (a far sample is learned with a tenth of the weight), so the next days' 100 % sit 0.005-0.024
spreads *above* them, at the very hours of the outage (third generator's 1123: 176 of 755
false-alarm rows, on 4 sites, 1-10 days after a site outage).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from telecom_nb.detectors.area_part import pair_families
from telecom_nb.detectors.calibration import TailCalibrator, exp_tail_log_p, soft_cap
from telecom_nb.detectors.feature_tails import FeatureTails

#: the feature kind read
PERSIST_KIND = "persist_z"
#: quantile pairs whose spacing each implies the tail's scale: the largest is taken
SPACINGS: tuple[tuple[float, float], ...] = ((0.9, 0.95), (0.95, 0.99), (0.99, 0.999))
#: the part reads 0 below this score (see the area part's ``FLOOR``)
FLOOR = 2.0
#: a persistence column nearer its usual level than this many of its usual spreads reads
#: nothing (module doc: a degenerate null makes a 0.00001 reading extreme)
MIN_Z = 1.0
#: the nulls leave out window rows the fit's *other* parts score at least this (calibrated
#: as the final score: the default alarm threshold), see :func:`trimmed`
TRIM_SCORE = 3.0
#: ... but never more than this share of the rows (the highest-scored are left out)
MAX_TRIM = 0.05


def trimmed(others: np.ndarray, continues: np.ndarray | None = None) -> np.ndarray | None:
    """Which rows the persistence nulls leave out: those the fit's other parts (their max
    raw score ``others``, calibrated on itself as the final score is) read at
    :data:`TRIM_SCORE` or more, at most :data:`MAX_TRIM` of them; None: none.

    A frequent fault kind that another part finds (cluster degradations: the area part;
    night site outages) otherwise sets the persistence columns' tails and nulls (partial33:
    over all rows throughput's ``|persist_z|`` quantiles at 1e-3/-4 are 3x the fault-free
    ones; an hourly world's unavailability null scale 2.5-3.5 units, trimmed 0.1-0.3). A
    ratio's heavy *normal* tail is no other part's flag and still widens its null. The
    other parts never read the persistence part, so the trim cannot feed on its own flags
    (no ratchet: a fit's trim is the same whatever the last fit's was)."""
    others = np.asarray(others, dtype=np.float64)
    if len(others) == 0:
        return None
    score = TailCalibrator.fit(others, continues=continues)(others)
    out = score >= TRIM_SCORE
    most = int(MAX_TRIM * len(others))
    if out.sum() > most:  # only the highest-scored: a share, whatever the window holds
        out = np.zeros(len(others), dtype=bool)
        if most:
            out[np.argsort(-score, kind="stable")[:most]] = True
    return out if out.any() else None


@dataclass(frozen=True)
class PersistPart:
    """Per KPI its persistence column's own null; the strongest KPI, Bonferroni over families."""

    columns: np.ndarray  # (C,) the persistence columns
    tails: FeatureTails  # their tails (a slice of the fit's): |z| -> tail units
    nulls: tuple[TailCalibrator, ...]  # (C,) each column's units on its own deep tail
    penalty: float  # log10 of the number of KPI families

    @classmethod
    def fit(
        cls,
        tails: FeatureTails,
        ref: np.ndarray,
        pairs: tuple[tuple[int, int], ...],
        continues: np.ndarray | None = None,
        trim: np.ndarray | None = None,
        previous: np.ndarray | None = None,
    ) -> PersistPart | None:
        """``pairs``: per KPI its seasonal and persistence columns
        (:func:`~telecom_nb.detectors.area_part.area_columns` with ``kind``); ``trim``: rows
        left out (:func:`trimmed`) of the columns' tail units, refitted on the rest (with
        ``previous``, each row's predecessor, as ``tails`` were), and of their nulls; None
        below two KPIs or two families."""
        family = pair_families(ref, pairs)
        if family is None:
            return None
        n_families = int(family.max()) + 1
        cols = np.asarray([p[1] for p in pairs], dtype=np.int64)
        sliced = tails.select(cols)
        if trim is not None:  # the units' levels are the other faults' too (5-0.2 %)
            keep = ~trim
            ref = ref[keep]
            continues = None if continues is None else continues[keep]
            before = None if previous is None else previous[keep][:, cols]
            sliced = FeatureTails.fit(ref[:, cols], before)
        units = np.nan_to_num(sliced.units(ref[:, cols]))
        nulls = tuple(
            TailCalibrator.fit(
                units[:, j], heavy_tails=True, continues=continues, spacings=SPACINGS
            )
            for j in range(len(cols))
        )
        return cls(cols, sliced, nulls, math.log10(n_families))

    def statistic(self, features: np.ndarray) -> np.ndarray:
        """Per row: the strongest persistence column's ``-log10 p`` on its own null, read
        on the nulls' exponential tails only (a row below every anchor reads 0): at most
        ``-log10`` of the tail's mass (1.3) there, it never reaches :data:`FLOOR` plus the
        penalty, and a hundred thousand rows' search of each window would cost ~50 ms.
        A column under :data:`MIN_Z` reads 0 too."""
        z = features[:, self.columns]
        units = np.nan_to_num(self.tails.units(z))
        anchor = np.array([n.anchor for n in self.nulls])
        scale = np.array([n.tail_scale for n in self.nulls])
        top = np.array([-math.log10(n.tail_mass) for n in self.nulls])
        beyond = (units > anchor) & (np.abs(np.nan_to_num(z)) >= MIN_Z)
        log_p = np.where(beyond, exp_tail_log_p(units, anchor, scale, top), 0.0)
        return log_p.max(axis=1) if log_p.shape[1] else np.zeros(len(features))

    def __call__(self, features: np.ndarray) -> np.ndarray:
        """The statistic less the families' Bonferroni, soft-capped, 0 below :data:`FLOOR`.

        Capped as every part's score is: a null with almost no scale (a column at 0 on 99 %
        of the window) reads a far row as ``-log10 p`` of ~1e6, and one such row in the
        window widens the raw score's spread, whose millionth floors the final null's scale
        (with a lighter persistence null than main's, v1427's scores went softer everywhere:
        296 -> 276 events)."""
        score = soft_cap(self.statistic(features) - self.penalty)
        return np.where(score >= FLOOR, score, 0.0)
