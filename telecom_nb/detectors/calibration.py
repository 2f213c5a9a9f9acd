"""Calibrated scores: a raw score's tail probability under a *robust* null.

A raw model score means nothing on its own (an isolation depth, a distance) and
drifts from one retrain to the next; ``-log10(p)`` of its tail probability does
not. The null must not be the raw recent score distribution, though: faults in the
window would inflate it, and a threshold set at its 99th percentile would flag 1 %
of rows by construction, whatever the data. So the null is fitted to the *central*
part of the reference scores only:

* up to the 75 % quantile, ``p`` is empirical (faults are rare, they barely move it);
* beyond, the tail is exponential, anchored at the 75 % quantile with the scale that
  the 50-75 % quantile spacing implies (``P(X > q75) = 0.25``).

``heavy_tails=True`` (one series, or a few) reads the tail where it starts instead: the
body is empirical up to the 95 % quantile and the exponential's scale comes from the
90-95 % spacing (the *shoulder*). The body is a poor guide to the tail either way: a
series whose bursts are part of its normal life (disk writes, a batch job's CPU) has a
shoulder far steeper than its body, and extrapolating the body would call every burst a
one-in-a-billion event; a Gaussian-like series has a shoulder lighter than its body, and
extrapolating the body would hide a clear 4-sigma spike. The shoulder sits below the
95 % quantile: a window 1 % faulty moves the 1-in-1000 threshold by ~12 %, 2 % by ~30 %,
4 % by ~2x (faults that common look like a bursty series' normal: the price of serving
such series).

An exponential tail fitted at the shoulder can still be too light for a series whose
bursts *recur*: a batch job's spike every few hours, a daily peak that breaks the
seasonal pattern, are beyond the shoulder, and the exponential calls each one a
one-in-ten-thousand event although the window holds dozens of them.
:meth:`TailCalibrator.with_seen` (the score's null of one series or a few) keeps the tail
honest: a raw score that ``k`` or more *excursions* of the window reached is never rarer
than they make it, ``p >= at_least / (n + 1)``. Only a row that opens an excursion counts
(its predecessor's score was inside the body): counted row by row, an incident's many rows
(a service's KPIs each 1.5 spreads off for an hour are rarely far enough apart to be
declustered) made the next incident's later rows look usual. A new extreme, beyond all but
``k - 1`` excursions, keeps the exponential; so does a fleet's null (faults there are the
rows beyond its body, and they must not make the next fault look usual).

The shoulder is where a window's faults sit, and a fault lasts: at a 2-minute cadence a
3-hour outage is 90 rows, and a few of them make 4 % of a window. So the shoulder is read
on *declustered* rows (``continues``: rows whose sector was already far on its previous
tick are left out), as each feature's tail is (:mod:`~telecom_nb.detectors.feature_tails`):
a fault then counts about once per episode, a bursty series' isolated bursts every time.
The body needs no such care: it lies below any fault.

Rows in the window that are faults sit far out in the tail and do not enter the fit
(the null moves little while a few % of the window is faulty), so
``contamination`` means the false-alarm rate expected among *normal* rows and the
real alarm rate follows the data. An exponential tail is at least as heavy as most
score tails (Gaussian-like z, bounded isolation depths), so on clean data the alarm
rate stays at or below the target: an error on the side of precision.
"""

from __future__ import annotations

import dataclasses
import functools
import math
from dataclasses import dataclass

import numpy as np

from telecom_nb.detectors import calibration_kernel
from telecom_nb.features.column_quantiles import SortedColumns
from telecom_nb.features.radix_sort import sorted_finite

#: scores are bounded by this (p ~ 1e-12), approached smoothly so that the order of
#: extreme rows is kept (a corpus-wide threshold sweep must be able to tell them apart)
MAX_SCORE = 12.0
#: below this, the score is exactly -log10(p); above, it is compressed toward MAX_SCORE
SOFT_CAP_FROM = 6.0
#: the empirical body ends (and the fitted exponential tail starts) at this quantile
TAIL_START = 0.75
#: quantile pairs whose spacing each implies an exponential scale (the tail takes the largest)
BODY: tuple[tuple[float, float], ...] = ((0.5, TAIL_START),)
#: ``heavy_tails``: the tail starts at the shoulder's top, with the shoulder's scale
SHOULDER_TOP = 0.95
SHOULDER: tuple[tuple[float, float], ...] = ((0.9, SHOULDER_TOP),)
#: a slow statistic's tail (a level shift's hour) is heavier than its shoulder says: the
#: scale is the larger of the shoulder's and the 95-99 % spacing's
DEEP_SHOULDER: tuple[tuple[float, float], ...] = ((0.9, SHOULDER_TOP), (SHOULDER_TOP, 0.99))
#: fewer rows than this left by declustering: the shoulder is read on all rows
MIN_DECLUSTERED = 100
#: a few series' score null: a raw score reached by this many excursions of the window
#: reads no rarer than they make it (:meth:`TailCalibrator.with_seen`)
SEEN_FLOOR = 2


@dataclass(frozen=True)
class TailCalibrator:
    """Maps raw scores to ``-log10`` tail probability under a robust null; immutable."""

    reference: np.ndarray  # sorted raw scores (the empirical body)
    anchor: float  # the quantile of the reference where the exponential tail starts
    tail_scale: float  # exponential scale of the tail beyond the anchor
    tail_mass: float = 1.0 - TAIL_START  # P(X > anchor)
    #: a raw score that this many of :attr:`seen` reached reads ``p >= at_least / (n + 1)``
    #: with ``n`` the reference's size (0: the exponential tail alone)
    seen_floor: int = 0
    #: sorted raw scores beyond the anchor of the rows that open an excursion
    seen: np.ndarray | None = None

    @classmethod
    def fit(cls, raw_scores: np.ndarray, *, heavy_tails: bool = False,
            continues: np.ndarray | None = None,
            spacings: tuple[tuple[float, float], ...] | None = None) -> TailCalibrator:
        """``continues[i]``: row i continues a cluster (left out of a shoulder's fit);
        ``spacings``: quantile pairs for the tail's scale instead of the body's or the
        shoulder's (the largest scale is taken; the tail still starts at their anchor)."""
        ref = np.asarray(raw_scores, dtype=np.float64)
        if heavy_tails and continues is not None and (~continues).sum() >= MIN_DECLUSTERED:
            ref = ref[~continues]
        ref = sorted_finite(ref)  # np.sort's, less NaN and infinities (a radix sort)
        if len(ref) == 0:
            raise ValueError("cannot calibrate on an empty reference sample")
        if spacings is None:
            spacings = SHOULDER if heavy_tails else BODY
        start = SHOULDER_TOP if heavy_tails else TAIL_START
        anchor = SortedColumns.sorted_quantile(ref, start)  # np.quantile's, ref is sorted
        # exponential between each pair: P(X > a) = 1 - qa, P(X > b) = 1 - qb
        bounds = SortedColumns.sorted_quantile(ref, np.array(spacings).ravel()).reshape(-1, 2)
        scale = max((hi - lo) / math.log((1 - qa) / (1 - qb))
                    for (qa, qb), (lo, hi) in zip(spacings, bounds, strict=True))
        spread = float(ref[-1] - ref[0])
        floor = max(1e-6 * spread, 1e-12, 1e-9 * abs(anchor))
        return cls(ref, anchor, float(max(scale, floor)), 1.0 - start)

    def with_seen(self, raw_scores: np.ndarray, previous_raw: np.ndarray,
                  k: int = SEEN_FLOOR) -> TailCalibrator:
        """This null with the floor of the module docstring's recurring bursts: a raw score
        that ``k`` or more rows opening an excursion reached (of ``raw_scores``, those whose
        predecessor's raw score ``previous_raw``, ``-inf`` when none, is not beyond the
        anchor) reads no rarer than they make it.

        Only rows beyond the anchor are kept (:meth:`_seen` reads no other: a body row's
        ``p`` is above any floor, and fewer than ``k`` kept rows reach no tail row either),
        so ``previous_raw`` need be right only where ``raw_scores`` is beyond the anchor:
        a retrain scores those rows' predecessors alone (~5 % of its window)."""
        raw = np.asarray(raw_scores, dtype=np.float64)
        opens = ~(np.asarray(previous_raw, dtype=np.float64) > self.anchor)
        seen = np.sort(raw[opens & np.isfinite(raw) & (raw > self.anchor)])
        return dataclasses.replace(self, seen_floor=int(k), seen=seen)

    def p_value(self, raw: np.ndarray) -> np.ndarray:
        """Tail probability of each raw score under the null (NaN -> 1)."""
        raw = np.nan_to_num(np.asarray(raw, dtype=np.float64), nan=-np.inf)
        n = len(self.reference)
        at_least = n - np.searchsorted(self.reference, raw, side="left")
        p = (1.0 + at_least) / (n + 1.0)
        tail = raw > self.anchor
        if tail.any():
            excess = (raw[tail] - self.anchor) / self.tail_scale
            p[tail] = self.tail_mass * np.exp(-np.minimum(excess, 1e3))
        seen = self._seen(raw)
        if seen is not None:
            p[seen[0]] = np.maximum(p[seen[0]], seen[1] / (n + 1.0))
        return p

    def _seen(self, raw: np.ndarray) -> tuple[np.ndarray, np.ndarray] | None:
        """Tail rows of ``raw`` (blanks as -inf) that :attr:`seen_floor` or more of
        :attr:`seen` reached, and how many reached each (None: no floor or no such row). A
        body row's empirical ``p`` is above the floor already."""
        seen, k = self.seen, self.seen_floor
        if k <= 0 or seen is None or k > len(seen):
            return None
        # beyond the anchor, up to the k-th largest excursion: a few % of rows
        rows = np.flatnonzero((raw > self.anchor) & (raw <= seen[len(seen) - k]))
        if len(rows) == 0:
            return None
        return rows, len(seen) - np.searchsorted(seen, raw[rows], side="left")

    def _floored(self, raw: np.ndarray, out: np.ndarray) -> np.ndarray:
        """``out`` (``-log10 p``) no higher than the seen floor allows."""
        if self.seen_floor <= 0:  # a fleet's nulls: not even a copy of the tick's rows
            return out
        seen = self._seen(np.nan_to_num(np.asarray(raw, dtype=np.float64), nan=-np.inf))
        if seen is not None:
            rows, at_least = seen
            cap = -np.log10(at_least / (len(self.reference) + 1.0))
            out[rows] = np.minimum(out[rows], cap)
        return out

    @functools.cached_property
    def buckets(self) -> tuple[np.ndarray, np.ndarray, float]:
        """The compiled pass's bucket edges of the body (:func:`calibration_kernel.buckets`):
        derived from the immutable reference and anchor, so computed once per calibrator
        (a checkpoint keeps only the fields; a restored calibrator computes them again)."""
        return calibration_kernel.buckets(self.reference, self.anchor)

    def log_p(self, raw: np.ndarray) -> np.ndarray:
        """``-log10`` of the tail probability, computed without underflow (NaN -> 0)."""
        if isinstance(raw, np.ndarray) and raw.ndim == 1 and raw.dtype == np.float64:
            compiled = calibration_kernel.log_p(raw, self.reference, self.anchor,
                                                self.tail_scale, self.tail_mass, self.buckets)
            if compiled is not None:
                return self._floored(raw, compiled)
        return self.log_p_numpy(raw)

    def log_p_numpy(self, raw: np.ndarray) -> np.ndarray:
        """:meth:`log_p` in numpy steps (the compiled pass's reference)."""
        raw = np.nan_to_num(np.asarray(raw, dtype=np.float64), nan=-np.inf)
        n = len(self.reference)
        at_least = n - np.searchsorted(self.reference, raw, side="left")
        out = -np.log10((1.0 + at_least) / (n + 1.0))
        tail = raw > self.anchor
        if tail.any():
            out[tail] = exp_tail_log_p(raw[tail], self.anchor, self.tail_scale,
                                       -math.log10(self.tail_mass))
        return self._floored(raw, out)

    def __call__(self, raw: np.ndarray) -> np.ndarray:
        return soft_cap(self.log_p(raw))


def exp_tail_log_p(raw: np.ndarray, anchor, scale, top) -> np.ndarray:
    """``-log10 p`` of values beyond an exponential tail's ``anchor``: ``top`` (``-log10``
    of the tail's mass) plus the excess in ``scale`` units over ln 10, without underflow.
    Arrays of anchors, scales and tops read several tails at once (a part's columns)."""
    return top + np.minimum((raw - anchor) / scale, 1e300) / math.log(10.0)


def soft_cap(log_p: np.ndarray) -> np.ndarray:
    """``-log10 p`` as a score: itself up to :data:`SOFT_CAP_FROM`, then toward the max."""
    s = np.asarray(log_p, dtype=np.float64)
    room = MAX_SCORE - SOFT_CAP_FROM
    over = np.maximum(s - SOFT_CAP_FROM, 0.0)
    # rational, not exponential, compression: distinct up to astronomically small p
    return np.where(s > SOFT_CAP_FROM, SOFT_CAP_FROM + room * over / (over + room), s)
