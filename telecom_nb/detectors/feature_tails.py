"""Each feature's |z| in units of its own tail, learned from the window (declustered).

Features differ in how wide they run, and some KPIs have a heavy tail of their own in
normal life: availability sits at 100 % and dips to 90-99.9 % now and then, a drop rate
has a skewed tail. On the body's scale alone (the 50-75 % spacing of ``|z|``) such a dip
is a one-in-a-billion event; among thousands of sectors it happens every hour.

So each feature's rarity is read from two fits and, per feature (:meth:`FeatureTails.units`),
the *less* extreme one is believed (a heavy tail lowers its significance, never raises it):

* the body: exponential beyond the 75 % quantile with the 50-75 % spacing's scale (floored
  at a unit normal's: a feature that is almost always 0 must not make every move extreme);
* the tail: exponentials fitted beyond the quantiles at :data:`TAIL_LEVELS` (the fraction
  of rows beyond each), each with the scale that the *lower quartile* of its excesses
  implies, so that up to three quarters of a level's exceedances may be faults without
  widening it much: faults far beyond the usual tail stay far beyond it.

The window holds faults as well as normal life, and at the deepest levels a fault's rows
can outnumber the KPI's own rare excursions. What tells them apart is time: a fault lasts
(an outage is hours of rows), noise does not. So the tail is fitted on *declustered* rows
(the usual peaks-over-threshold practice): a row whose sector was already beyond the
feature's 95 % quantile on its previous tick continues a cluster and is left out; a fault
then counts about once per episode, a heavy-tailed KPI's isolated excursions every time.
Without the previous rows (``previous=None``) every row counts.

Declustering is not enough at an hourly cadence: faults start per unit of *time* and noise
comes per *sample*, so there a fault starts in ~0.2 % of a KPI's rows and the deepest
level's exceedances are nearly all fault onsets: its lower excess quartile is a fault's
(a drop rate of 4-25 % against a normal 0.1-0.5 %: scale 80 |z| where the level above had
1.3), the faults become their own null and read as ~5 units. Faults far beyond the KPI's
tail leave its quantiles almost where they were, though (a share ``f`` of far rows moves
the 0.2 % quantile to the noise's ``0.2 % - f``: a log-sized shift), so the spacing of the
deepest start from the level above's is a scale they barely inflate. The deepest level
keeps its excesses' scale unless that is over :data:`MAX_EXCESS_RATIO` times the spacing's
(its lower quartile on 30-40 exceedances varies by ~40 %: a 3x jump is not sampling), then
takes the spacing's, where the level above is a tail itself (:data:`TAIL_ABOVE`): a KPI at
a constant with rare dips (availability) has the level above in its body and the spacing
would make its usual dips extreme (held-out 5-minute worlds: +60-150 availability false
alarms each before this condition). Faults starting in more than
0.2 % of the rows (1+ per cell per week hourly) move the deepest start itself among them;
then the spacing is inflated too, and a row of such a fault below that start read exactly
the deepest level's base: a frequent kind capped its own evidence (a 10-cell cluster
degradation of held-out world w1994 at 2.966 on 15 rows, its area part's two families each
at the base, 2 ln(0.25 / 0.002), 125 cluster episodes in the window). So where the deepest
start lies over :data:`MAX_START_RATIO` times beyond the level above's tail's spacing and
its exceedances *last* (:data:`LASTING` window rows beyond it per declustered one: faults
are hours of rows, a heavy KPI's own rare dips single rows; without ``previous`` nothing
tells them apart, and nothing moves), the deepest level is the level above's
extrapolation (its start moved in to where that tail puts the 0.2 %, its scale that
tail's).

The cap by the body is one-sided, though: a near-Gaussian feature (throughput, latency) has
a tail far lighter than the body's exponential, which reads a 6.7-sigma latency as ~8 units
(p ~ 1e-4 where its own declustered tail says < 1e-6), below the everyday excursions of
the heavy-tailed KPIs in the max over ~100 features. So with ``free`` the strongest feature
(:meth:`FeatureTails.__call__`, the detector's max units) reads a feature beyond its deepest
level's start (the 0.2 % level) on the tails alone, lighter or heavier than the body (their
min over the levels stays the mild side: the deepest level's scale never alone decides).
Only there: the max's body (features at their 95-99 % levels) keeps the capped units, so
the max's own null does not move and the faults it found before are found as before (read
from the 5 % level on, a dense hourly world lost 2 % of its events). Only for features with
a body of their own (:data:`FREE_BODY`). The detector asks for it in a fleet once its
window is two days old and the data is hourly or slower (``iforest.FREE_TAILS_*``: a
younger window's deep tail is its baselines' cold start; 5-15 minute data cost precision).
Second generator's world 1 (P / event recall): 0.915 / 0.640 -> 0.920 / 0.698, cluster
degradations 103 -> 117 of 179, latency spikes 11 -> 18 of 30.

The free reading is a row's: the max flags every row of a far run, while the tails count
each run once (its first row). So the free units are lowered by the log of the feature's
mean run length beyond the declustering gate (:attr:`FeatureTails.runs`, the inverse of the
runs estimate of the extremal index, read where the rows are noise's, not faults'): a
feature whose excursions last 1.4 rows (persistence at an hourly cadence) has 1.4 times the
far rows its fit counts. Without it the free reading made 52 of world 1's 113 false alarms
(persistence columns; 149 true rows); with it 0.915 / 0.784 -> 0.922 / 0.778 (events after
the first week), guard g91 0.967 -> 0.971. The parts that compare or add
the units of *several* KPIs (:mod:`~telecom_nb.detectors.second_kpi`,
:mod:`~telecom_nb.detectors.kpi_families`) keep the capped :meth:`FeatureTails.units`: a
crowd moves five load KPIs beyond their tails at once, and uncapped the second KPI alone
made 120 of 167 false alarms on the second generator's world 1.

A feature with neither a body (75 % |z| under :data:`FREE_BODY` of a unit normal's: 0 on
most rows) nor a tail level with :data:`MIN_EXCEEDANCES` rows has nothing in the window
that tells how far its rare values run: the body's floor scale is a unit normal's guess.
A fleet's range-novelty column is one (a record of a sector's range, 0.01-0.14 % of the
rows of a 15-minute world): that guess read a night's record of a rate of a few attempts
(CSSR, handover success) or of unavailability seconds at 10-47 units, 147 of the 690 false
alarms of a 60-site 15-minute world against 7 true rows. Such a feature reads no rarer than
one row of the window (``ln(0.25 kept)``: a flat deepest level); the other features, whose
fits say more, keep reading beyond it.

One series (or a few, ``heavy_tails``) keeps the body only: its window is its own history,
where its anomalies are a large share of the deep tail and come back as jittery episodes
that a tick's declustering does not separate (on NAB the tails cost 1.6 points); there the
calibration reads the shoulder of the combined score instead.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass

import numpy as np

from telecom_nb.detectors import score_kernels
from telecom_nb.detectors.declustered import declustered
from telecom_nb.features.column_quantiles import SortedColumns

#: the smallest body scale a feature's |z| is given: the one a unit normal's body implies
#: (its |z| quantiles 0.674 -> 1.150 from 50 to 75 %)
Z_SCALE_FLOOR = (1.1503 - 0.6745) / math.log(2.0)
#: the body: P(|z| > q75) = 0.25, the reference every feature's units are expressed in
BODY_MASS = 0.25
#: fractions of the (declustered) rows beyond each quantile where a tail is fitted
TAIL_LEVELS: tuple[float, ...] = (0.05, 0.02, 0.01, 0.005, 0.002)
#: a unit normal's 75 % quantile of |z|
UNIT_Q75 = 1.1503
#: ``free`` tails only for a feature whose 75 % |z| quantile is at least this share of a unit
#: normal's: one almost always at 0 (a KPI quantised to zero at 5 minutes: q75 0.06) has tail
#: levels as degenerate as its body (0.1-0.4 apart), and read alone they made every move
#: extreme (first generator's 5-minute world s5: +2,400 false alarms)
FREE_BODY = 0.5
#: fewer exceedances than this give no fit at that level (young windows keep the body)
MIN_EXCEEDANCES = 30
#: the excess quantile that sets a level's exponential scale
EXCESS_QUANTILE = 0.25
#: a row whose sector's previous |z| was beyond this quantile continues a cluster
CLUSTER_GATE = 0.95
#: the deepest level's excess scale beyond this many times the one its start's spacing
#: from the level above implies: its exceedances are read as faults (see the module doc)
MAX_EXCESS_RATIO = 3.0
#: ...where the level above starts this many body scales beyond the body's anchor (a KPI at
#: a constant with rare dips, availability, has its 0.5 % level in the body and the 0.2 %
#: level among the dips: there the spacing is the dips' onset, not a tail's scale)
TAIL_ABOVE = 2.0
#: the deepest level's start beyond this many times the spacing the level above's tail
#: implies (its scale times ``ln`` of the two levels' masses): its rows are the window's
#: own faults (a frequent kind), and it takes the level above's extrapolation
MAX_START_RATIO = 3.0
#: ...and its exceedances last: over this many of the window's rows beyond its start per
#: declustered one (a fault is hours of rows; a heavy KPI's own rare dips are single rows)
LASTING = 1.5


@dataclass(frozen=True)
class FeatureTails:
    """Per-feature units ``ln(0.25 / p)`` of ``|z|`` (the milder of body and tails; the max
    reads the :attr:`free` ones' far tails alone); immutable."""

    anchor: np.ndarray  # (F,) body: the 75 % quantile of |z|
    scale: np.ndarray  # (F,) body: exponential scale
    start: np.ndarray  # (K, F) where each level's tail starts
    base: np.ndarray  # (K, F) units at the start, ln(0.25 / mass); inf = no fit
    tail_scale: np.ndarray  # (K, F)
    reach: np.ndarray  # (F,) |z| up to which the body is the milder fit
    free: np.ndarray  # (F,) bool: the max reads these far out on their tails alone
    runs: np.ndarray  # (F,) ln of the mean run length beyond the gate: taken off free units

    @classmethod
    def fit(
        cls,
        features: np.ndarray,
        previous: np.ndarray | None = None,
        *,
        tails: bool = True,
        spaced: bool = True,
        free: bool = False,
    ) -> FeatureTails:
        """Fit on window rows; ``previous[i]`` = the same sector's row one tick earlier
        (NaN when unknown), used to decluster the tails; ``tails=False``: the body only;
        ``spaced=False``: the deepest level keeps its excesses' scale (no spacing rule);
        ``free``: the max reads the features with a body of their own (:data:`FREE_BODY`)
        beyond their deepest level's start on their tails alone, less :attr:`runs` (rows
        beyond the gate per row starting there: 1 without ``previous``)."""
        features = np.asarray(features, dtype=np.float64)
        n_features = features.shape[1]
        if len(features) == 0:
            raise ValueError("cannot fit feature tails on an empty window")
        # one sort of the window for its three quantiles (numpy's numbers: np.quantile
        # partitions a copy per call, ~3x the sort); a NaN column stays numpy's (all NaN);
        # the body only: its two order statistics each, in place (no sorted block kept)
        levels = np.array([0.5, 0.75])
        plain = SortedColumns.of_abs(features) if tails else None
        if not tails:
            body = SortedColumns.abs_quantiles(features, levels)
        else:
            body = None if plain is None else plain.quantile(levels)
        # |z| itself only where read below: the tails, or numpy's quantiles of a NaN;
        # column-major: declustered.py reads it (and writes its sort into it)
        a = np.abs(features, order="F") if tails or body is None else None
        q50, q75 = np.quantile(a, levels, axis=0) if body is None else body
        scale = np.maximum((q75 - q50) / math.log(2.0), Z_SCALE_FLOOR)
        if not tails:
            none = np.zeros((0, n_features))
            return cls(
                q75,
                scale,
                none,
                none,
                none,
                np.full(n_features, np.inf),
                np.zeros(n_features, bool),
                np.zeros(n_features),
            )
        ref = a  # the rows the tails are fitted on: a's, less those continuing a cluster
        runs = np.zeros(n_features)
        ordered = plain  # ref's sort (None: sorted below)
        if previous is not None:
            gate = (
                np.quantile(a, CLUSTER_GATE, axis=0)
                if plain is None
                else plain.quantile(CLUSTER_GATE)
            )
            # the declustered rows' sort from a's (declustered.py); else numpy's masking
            fast = None if plain is None else declustered(plain, a, previous, gate, reuse=True)
            if fast is not None:  # a's memory holds the sort now: not read again below
                ordered, far, onsets = fast
                ref = a = None
            else:
                with np.errstate(invalid="ignore"):
                    going = np.abs(previous) > gate
                    beyond = a > gate
                    onsets = (beyond & ~going).sum(axis=0)
                    far = beyond.sum(axis=0)
                    ref = np.where(going, np.nan, a)  # NaN (no previous tick) stays
                ordered = None
            runs = np.log(np.maximum(far, 1) / np.maximum(onsets, 1))
        levels = np.asarray(TAIL_LEVELS)
        start = np.zeros((len(levels), n_features))
        base = np.full((len(levels), n_features), np.inf)
        tail_scale = np.ones((len(levels), n_features))
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)  # all-NaN columns: no fit
            # np.nanquantile's numbers, one sort (the window's own when nothing was left out)
            if ordered is None:
                ordered = SortedColumns(ref)
            kept = np.maximum(ordered.count, 1)  # the non-NaN rows of each column of ref
            start[:] = ordered.quantile(1.0 - levels)
            for k in range(len(levels)):
                count, excess = ordered.excess_quantile(start[k], EXCESS_QUANTILE)
                sigma = excess / -math.log(1.0 - EXCESS_QUANTILE)
                ok = (count >= MIN_EXCEEDANCES) & (sigma > 0)
                base[k] = np.where(ok, np.log(BODY_MASS * kept / np.maximum(count, 1)), np.inf)
                if k == len(levels) - 1 and k > 0 and spaced:  # the deepest level's reading
                    deepest = count  # its declustered exceedances (_pulled's LASTING reads them)
                    above = np.isfinite(base[k - 1]) & (start[k - 1] > q75 + TAIL_ABOVE * scale)
                    sigma = _spaced(sigma, start[k - 1 : k + 1], levels[k - 1 : k + 1], above)
                tail_scale[k] = np.where(ok, sigma, 1.0)
        start = np.nan_to_num(start)
        if spaced and previous is not None and len(levels) > 1:
            with np.errstate(invalid="ignore"):  # rows beyond the deepest start, per onset
                over = (a > start[-1]).sum(axis=0) if plain is None else plain.above(start[-1])
                lasting = over > LASTING * np.maximum(deepest, 1)
            _pulled(start, base, tail_scale, levels, above & lasting)
        # no body and no tail of its own: nothing in the window backs a p below one row's
        # (module doc); a flat deepest level, read by every part through the same arrays
        blind = ~np.isfinite(base).any(axis=0) & (q75 < FREE_BODY * UNIT_Q75)
        start[-1, blind], base[-1, blind], tail_scale[-1, blind] = (
            0.0,
            np.log(BODY_MASS * kept[blind]),
            np.inf,
        )
        reach = q75 + scale * np.maximum(base.min(axis=0), 0.0)
        return cls(
            q75, scale, start, base, tail_scale, reach, free & (q75 >= FREE_BODY * UNIT_Q75), runs
        )

    def select(self, columns: np.ndarray) -> FeatureTails:
        """The tails of some features only (``columns`` of the fitted ones)."""
        return FeatureTails(
            self.anchor[columns],
            self.scale[columns],
            self.start[:, columns],
            self.base[:, columns],
            self.tail_scale[:, columns],
            self.reach[columns],
            self.free[columns],
            self.runs[columns],
        )

    def units(self, features: np.ndarray, capped: bool = True) -> np.ndarray:
        """Each feature's ``ln(0.25 / p)`` (rows x features); only far cells read the tails.
        ``capped=False``: beyond their deepest level's start the :attr:`free` features read
        the tails alone, less :attr:`runs` (a run's rows all count)."""
        a = np.abs(np.asarray(features, dtype=np.float64))
        out = (a - self.anchor) / self.scale
        i, j = np.nonzero(a > self.reach)
        if len(i):
            v = a[i, j]
            tails = self.base[:, j] + np.maximum(v - self.start[:, j], 0.0) / self.tail_scale[:, j]
            tails = tails.min(axis=0)
            free = np.zeros(len(j), bool) if capped else self.free[j] & (v > self.start[-1, j])
            out[i, j] = np.where(free, tails - self.runs[j], np.minimum(out[i, j], tails))
        return out

    def __call__(self, features: np.ndarray) -> np.ndarray:
        """The strongest feature's units per row, ``units(features, capped=False)`` (module
        doc); 0 rows of features: zeros."""
        if features.shape[1] == 0:
            return np.zeros(len(features))
        compiled = score_kernels.tail_max(
            features,
            self.anchor,
            self.scale,
            self.reach,
            self.start,
            self.base,
            self.tail_scale,
            self.free,
            self.runs,
        )
        if compiled is not None:  # the same numbers without the rows x features temporaries
            return compiled
        return self.units(features, capped=False).max(axis=1)

    def of_previous(self, previous: np.ndarray, x: np.ndarray, units: np.ndarray) -> np.ndarray:
        """``self(previous)``, given ``units = self(x)``: the units read ``|z|`` row by row,
        so where every previous row is ``|x|``'s row before it (one series' window and its
        predecessors) they are ``units`` one row on, the same numbers without a second
        pass over the window (~1.4 ms of a one-series retrain's 20k x 42)."""
        if len(previous) > 1 and len(units) == len(x) and score_kernels.follows_abs(previous, x):
            out = np.empty(len(previous))
            out[0] = self(previous[:1])[0]
            out[1:] = units[:-1]
            return out
        return self(previous)


def continues(
    tails: FeatureTails,
    ref: np.ndarray,
    previous: np.ndarray | None,
    units: np.ndarray | None = None,
    filled: np.ndarray | None = None,
) -> np.ndarray | None:
    """Rows whose sector's previous row was already far (max units beyond the
    :data:`CLUSTER_GATE`): a fit's parts read them as a run going on, not a new onset;
    ``units``: ``tails(ref)`` when known; ``filled``: ``np.nan_to_num(previous, nan=0.0)``
    (|z|) when known."""
    if previous is None:
        return None
    if filled is None:
        filled = np.nan_to_num(previous, nan=0.0)
    units = tails(ref) if units is None else units
    return tails.of_previous(filled, ref, units) > np.quantile(units, CLUSTER_GATE)


def _pulled(
    start: np.ndarray,
    base: np.ndarray,
    tail_scale: np.ndarray,
    levels: np.ndarray,
    candidate: np.ndarray,
) -> None:
    """In place: a deepest level whose start lies over :data:`MAX_START_RATIO` times
    beyond where the level above's tail puts that mass (``candidate``: the level above is
    a tail, as :func:`_spaced` reads it, and the deepest level's exceedances last) starts
    there, with that tail's scale: the window's frequent faults made its rows, and their
    own values would read no rarer than its base."""
    step = tail_scale[-2] * math.log(levels[-2] / levels[-1])
    pulled = candidate & np.isfinite(base[-1]) & (start[-1] - start[-2] > MAX_START_RATIO * step)
    start[-1] = np.where(pulled, start[-2] + step, start[-1])
    tail_scale[-1] = np.where(pulled, tail_scale[-2], tail_scale[-1])


def _spaced(
    sigma: np.ndarray, starts: np.ndarray, levels: np.ndarray, above: np.ndarray
) -> np.ndarray:
    """The deepest level's scale: its excesses' unless they are faults (far heavier than
    the spacing of its start from the level above's implies, where that level is a tail:
    ``above``), then the spacing's."""
    spacing = (starts[1] - starts[0]) / math.log(levels[0] / levels[1])
    faults = above & (spacing > 0) & (sigma > MAX_EXCESS_RATIO * spacing)
    return np.where(faults, spacing, sigma)
