"""KPIs whose noise a spread does not describe, learned from their values: one holder.

Ratios of few counts (:mod:`~telecom_nb.features.count_ratio`, their runs over a few
periods :mod:`~telecom_nb.features.count_run`, their CUSUM over a surge's hours
:mod:`~telecom_nb.features.count_cusum`) and zero-inflated KPIs
(:mod:`~telecom_nb.features.zero_inflated`) each rewrite a part of the seasonal z; this
holder keeps both and applies them in order (the linear scale first, the count caps last:
a cap is a bound), the caps reaching the relations of a capped KPI too. It also keeps the
loads' spread floor at small volumes (:mod:`~telecom_nb.features.count_floor`), which the
seasonal part applies before both.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from telecom_nb.features.count_cusum import CountCusum, marginal_steps
from telecom_nb.features.count_denominator import Denominators
from telecom_nb.features.count_drift import SlotCountDrift
from telecom_nb.features.count_floor import CountFloor
from telecom_nb.features.count_proxy import TrialProxy
from telecom_nb.features.count_ratio import CONTROL_SHIFT, CountRatios, Read, sample_step
from telecom_nb.features.count_run import HOUR_NS, CountRuns
from telecom_nb.features.lumpy_kernel import column_stats
from telecom_nb.features.scaling import unscale_kpis
from telecom_nb.features.time_slots import n_slots
from telecom_nb.features.zero_inflated import ZeroInflated
from telecom_nb.sector_index import known_rows

#: the least spread of the traffic's implied trials the CUSUM weighs multiples with (logs)
MIN_SPREAD = 0.05


class LumpyKpis:
    """The seasonal z of ratios of few counts and zero-inflated KPIs, and their learning."""

    #: state newer than some checkpoints: derived by :meth:`derive_added_state`
    _state_added: tuple[str, ...] = ("runs_", "floor_", "dens_", "cdrift_", "cusum_", "proxy_")

    def __init__(
        self, kpis: tuple[str, ...], pairs: tuple[tuple[str, str], ...], slots_per_day: int
    ) -> None:
        self.kpis = tuple(kpis)
        self.counts_ = CountRatios(len(kpis), slots_per_day)
        self.zero_kpis_ = ZeroInflated(len(kpis), n_slots(slots_per_day))
        self.runs_ = CountRuns(len(kpis), slots_per_day)
        self.cusum_ = CountCusum(len(kpis))
        self.floor_ = CountFloor(len(kpis))
        self.dens_ = Denominators(len(kpis))
        self.proxy_ = TrialProxy(len(kpis))
        self.cdrift_ = SlotCountDrift(len(kpis), slots_per_day)
        self.pair_cols_ = np.array(
            [[kpis.index(a), kpis.index(b)] for a, b in pairs], dtype=np.intp
        ).reshape(-1, 2)

    def derive_added_state(self, names: Sequence[str]) -> None:
        """A checkpoint older than the count runs, the loads' floor, the ratios'
        denominators, the count drift, the CUSUM or the trial proxy (``names``): they start
        empty at the restore, as this object was built (no run yet, typical trials, the
        loads' quantiles, the denominators, the slots' rates, the sums and their null, the
        traffic's trials learned anew)."""

    #: :meth:`noise` as last computed (a transient cache: checkpoints skip it)
    _cache: np.ndarray | None = None

    def state_changed(self) -> None:
        """Forget :meth:`noise`'s cache: :meth:`update` and a checkpoint's restore call it."""
        self._cache = None

    def noise(self) -> np.ndarray:
        """Per KPI the load's noise floor in its own units (0: not a load); read only.

        Read twice a tick (the score's spread floor, the update's relation offsets) on
        state only :meth:`update` changes: computed once per update (three
        ``nan_to_num`` and the loads' tests a read)."""
        if self._cache is None:
            s0 = self.floor_.noise(self.counts_.ratios() | self.zero_kpis_.which())
            s0.flags.writeable = False
            self._cache = s0
        return self._cache

    def spread_floor(
        self, expected: np.ndarray, offsets: np.ndarray | None = None
    ) -> np.ndarray | None:
        """rows x (KPIs, then relations): the loads' spread floor at ``expected`` (on the
        seasonal axis), the relations' on their offsets (None: ``log1p``); None: no load
        (:mod:`~telecom_nb.features.count_floor`)."""
        s0 = self.noise()
        loads = np.flatnonzero(s0 > 0.0)
        if not len(loads):
            return None
        own = np.zeros((len(expected), len(self.kpis)))  # only the loads' are read
        own[:, loads] = unscale_kpis(expected[:, loads], tuple(self.kpis[j] for j in loads))
        return self.floor_.floors(own, self.pair_cols_, s0, offsets)

    def z(
        self,
        rows: np.ndarray,
        slots: tuple[np.ndarray, np.ndarray],
        day: np.ndarray,
        raw: np.ndarray,
        expected: np.ndarray,
        z: np.ndarray,
        step_ns: int,
    ) -> np.ndarray:
        """``z`` (KPIs, then relations) rewritten where a KPI is lumpy; ``expected`` is on
        the seasonal (scaled) axis, ``rows`` the registry rows (-1: unknown), ``slots``
        the (time-of-day, week) slots, ``day`` the UTC days since the epoch, ``step_ns``
        the data's step (:class:`~telecom_nb.features.cadence.Cadence`)."""
        if not (self.counts_.ratios().any() or self.zero_kpis_.which().any()):
            # no lumpy KPI: every step below passes ``z`` through (as a copy: ~20 ms of
            # rows x KPIs temporaries a 100k tick)
            return z
        slot, wslot = slots
        k = len(self.kpis)
        expected = unscale_kpis(expected[:, :k], self.kpis)
        own = self.zero_kpis_.z(raw, expected, z[:, :k], rows, wslot, day)
        read = self.counts_.read(rows, slot, raw, expected)
        read, scaled = self._as_read(read, rows, raw)
        counted = self.counts_.evidence(rows, slot, raw, expected, read)
        alone = counted
        sums = self.runs_.sums(self.counts_, read, rows, slot, raw, step_ns)
        counted = self.runs_.z(self.counts_, read, rows, slot, raw, counted, step_ns, sums)
        if sums is not None:  # the same values the runs read, 0 % hours at the traffic's trials
            *values, llr = self._cusum_values(sums, raw)
            counted = self.cusum_.z(rows, *values, counted, step_ns, llr)
        own = np.where(np.isfinite(counted), counted, own)
        z = np.hstack([own, z[:, k:]])
        cap = self.counts_.caps(rows, slot, raw, expected)
        # a run's z is the evidence of its counts, not of this value alone: the value's
        # own evidence does not cap it
        cap = np.where(np.isfinite(counted) & (counted != alone), np.inf, cap)
        if scaled is not None:  # a value read as the trials its traffic implies
            cap[:, read[0]] = np.where(scaled, np.inf, cap[:, read[0]])
        # a KPI read on its own scale (in counts, or linear) bounds its relations too: their
        # log ratios of lumpy values are hundreds of spreads at a 19 s blip or one drop
        own_scale = np.isfinite(counted) | self.zero_kpis_.which()[None, :]
        cap = np.where(own_scale, np.minimum(cap, np.abs(own)), cap)
        if not np.isfinite(cap).any():
            return z
        if len(self.pair_cols_):
            cap = np.hstack(
                [cap, np.minimum(cap[:, self.pair_cols_[:, 0]], cap[:, self.pair_cols_[:, 1]])]
            )
        return np.sign(z) * np.minimum(np.abs(z), cap)

    def _as_read(
        self, read: Read | None, rows: np.ndarray, raw: np.ndarray
    ) -> tuple[Read | None, np.ndarray | None]:
        """``read`` (:meth:`CountRatios.read`) with the events and trials :meth:`z` reads:
        an exact counter's where the row has one, else the multiple of the smallest
        fraction the traffic implies (``read`` itself where neither applies), and the
        proxy's scaled mask (or None)."""
        known = known_rows(rows, len(self.counts_.rate_))
        out = self.dens_.exact(read, raw, known, self.counts_.resolution()[0])
        return self.proxy_.scale(out, raw, self.dens_.columns())

    def counting(self) -> bool:
        """Whether a KPI has a denominator (the count drift reads something)."""
        return bool((self.dens_.columns() >= 0).any())

    def count_drift(
        self, rows: np.ndarray, slot: np.ndarray, raw: np.ndarray, step_ns: int, loud: np.ndarray
    ) -> np.ndarray | None:
        """(rows x KPIs) the denominated ratios' day count drift (:mod:`count_drift`), or
        None; ``rows``: registry rows (-1: unknown), ``slot``: the time-of-day slot,
        ``loud``: rows loudly off on some KPI."""
        return self.cdrift_.read(rows, slot, raw, self.dens_.columns(), step_ns, loud)

    def update(
        self,
        rows: np.ndarray,
        slots: tuple[np.ndarray, np.ndarray],
        day: np.ndarray,
        raw: np.ndarray,
        n_rows: int,
        step_ns: int = HOUR_NS,
        loud: np.ndarray | None = None,
    ) -> None:
        self.state_changed()  # every part below may move the noise floors
        # the models' per-KPI counts of the values, in one compiled pass (None: each its own)
        stats = column_stats(
            raw, self.floor_.sample_step(len(raw)), sample_step(len(raw)), CONTROL_SHIFT
        )
        # before counts_ learn (one read of the tick for the runs and the rates; the count
        # drift: before the denominators do)
        self.cdrift_.update(rows, slots[0], raw, self.dens_.columns(), n_rows, step_ns, loud)
        read = self.counts_.read(rows, slots[0], raw, np.zeros(raw.shape))
        # the CUSUM keeps the sum :meth:`z` read at the trials the traffic implies, not the
        # values' smallest fractions (a quarter hour's 2 drops of 4 calls kept as 1 of 2 lost
        # 2.9 nats of a 15-minute surge's sum). An exact counter's reading kept too made 4
        # false rows more on an OSS world for no event (volte45, h2539): left as before
        scored = self.proxy_.scale(read, raw, self.dens_.columns())[0]
        cusum = None if scored is read else self.runs_.sums(
            self.counts_, scored, rows, slots[0], raw, step_ns)
        sums = self.runs_.update(self.counts_, rows, slots[0], raw, n_rows, step_ns, read)
        if sums is not None:  # the same values the runs add
            *values, llr = self._cusum_values(cusum or sums, raw)
            self.cusum_.update(rows, *values, n_rows, step_ns, llr)
        self.floor_.update(raw, stats)
        self.counts_.update(rows, slots[0], raw, n_rows, read, stats)
        # candidates: percentages with decimals (a ratio whose counts never show few too)
        rates = ~self.counts_.outside_ & self.dens_.fractional_
        self.dens_.update(raw, rates, self.counts_.resolution()[0], stats)
        self.counts_.denominated_ = self.dens_.columns() >= 0
        self.proxy_.update(
            raw[:: sample_step(len(raw))], self.counts_.ratios(), self.counts_.resolution()[0]
        )
        # a ratio of counts has its own treatment (its zeros are few attempts, not none)
        ratios = self.counts_.ratios()
        if ratios.any():
            raw = np.where(ratios, np.nan, raw)
            if stats is not None:  # the counts of those columns as NaN
                stats = stats._replace(
                    finite=np.where(ratios, 0, stats.finite),
                    zeros=np.where(ratios, 0, stats.zeros),
                    negative=stats.negative & ~ratios,
                )
        self.zero_kpis_.update(raw, rows, slots[1], day, n_rows, stats)

    def _cusum_values(self, sums: tuple[np.ndarray, ...], raw: np.ndarray
                      ) -> tuple[np.ndarray | None, ...]:
        """``(cols, k, n, p, counted, llr)`` of :meth:`CountRuns.sums` as :class:`CountCusum`
        reads them: each value's events and trials, the rates, and (None: no trial column)
        the steps of the values of some events that show only their smallest fraction.

        A 0 or 100 % (no trials shown) is read at the trials its traffic implies
        (:meth:`TrialProxy.implied`) where there is a trial column, else at the typical
        trials: those are learned from values of one drop, a size-biased sample (7-9 calls
        at a cell whose quiet quarter hours carry 2-4), and each quiet quarter hour of a
        15-minute surge cost its sum 1.1-1.7 nats instead of ~0.5 (volte45's trace). A
        value of some events is read over the multiples of its smallest fraction the
        traffic makes likely (:func:`marginal_steps`), not at the proxy's low end alone:
        hourly 25 % at ~20 calls (1 of 4) was kept as 3 of 12, 8.4 nats, just under a read
        level of 8.4 (volte47, t2650)."""
        cols, _, shown, _, filled, p, _, _, row_k, row_n, _, _ = sums
        exact = self.dens_.columns()
        implied = self.proxy_.implied(raw, cols, exact)
        if implied is None:
            return cols, row_k, row_n, p, shown | filled, None
        quiet = filled & np.isfinite(implied)
        some = shown & (row_k >= 1.0) & (row_k < row_n) & (implied > 0.0) & np.isfinite(p)
        llr = np.full(row_k.shape, np.nan)
        i, j = np.nonzero(some)
        if len(i):
            k, n = row_k[i, j].astype(np.int64), row_n[i, j].astype(np.int64)
            g = np.gcd(k, n)  # the smallest fraction (a scaled value is a multiple of it)
            spread = np.maximum(self.proxy_.spreads(cols, exact), MIN_SPREAD)
            llr[i, j] = marginal_steps((k // g).astype(float), (n // g).astype(float),
                                       implied[i, j], spread[j], p[i, j])
        row_k = np.where(quiet, np.where(row_k > 0.0, implied, 0.0), row_k)
        row_n = np.where(quiet, implied, row_n)
        return cols, row_k, row_n, p, shown | filled, llr
