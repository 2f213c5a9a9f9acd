"""Day-of-week effects: how this weekday's slot differs from the sector's typical day.

The time-of-day baseline (``seasonal``) learns the *typical* day; weekends and half days
(Friday in Iran, Saturday/Sunday elsewhere, the busy night before them) are its
deviations, learned here per sector x week slot (weekday x time of day) x series. No
weekday is named in advance: a day is special when the fleet says so.

Empirical Bayes, per week slot:

* the fleet's effect ``F`` (median over sectors of "value minus typical day") is known
  from the first visit (cross-sectional on that tick, no learning), so a network-wide
  weekend shape is expected from day one;
* ``tau2``, how much sectors' own effects scatter around ``F`` beyond their noise: ~0 on
  ordinary days (the table then stays out of the way), large where business and
  residential cells part on a weekend morning;
* a sector's own effect after ``n`` visits gets weight ``n tau2 / (n tau2 + sigma2)``,
  and what is still unknown about it widens the spread: by ``tau2`` before the first
  visit (no flood in the first week), by at most ``sigma2`` after one (a visit's samples
  are not counted apart: at 5 minutes twelve a visit overtrusted each cell's level,
  wk66's v3302 75 -> 93 false rows);
* where a visit holds several samples, ``tau2`` is at least the scatter of the sectors'
  learned effects beyond the majority's (``habits_``, read once a visit ends): a single
  15-minute sample's noise hides a lone business site's weekend from the tick's cross
  section (``tau2`` ~0, its own effect never trusted, its Fridays flagged every week),
  the levels (a visit's mean) show it;
* a first visit is the sector's habit until a sample disagrees with it and agrees with
  the fleet's effect: that sample is read against the fleet's, as the learning restarts
  the cell from it right after (a cluster fault on a first Friday was read back a week
  later as the cell's Friday, each hour's first healthy sample flagged before the restart).

State is a float16 level + a uint8 count (sectors x 7 x slots_per_day x series,
:mod:`~telecom_nb.features.compact`): 3.5 KB per sector with 7 series (353 MB at 100k
sectors; float32 level + count was 940 MB). The count saturates at the level's
effective memory, ``(2 - alpha) / alpha`` visits: beyond it the level knows no more.
"""

from __future__ import annotations

import warnings

import numpy as np

from telecom_nb.features.cadence import per_sample
from telecom_nb.features.column_quantiles import SortedColumns
from telecom_nb.features.compact import COUNT_UNITS, count_cap, count_step
from telecom_nb.features.group_median import FLEET_SAMPLE, MIN_FLEET_SECTORS, nanmedian_fast
from telecom_nb.features.layout import grow_slot_major
from telecom_nb.features.masked_mean import column_counts, mean_where
from telecom_nb.features.robust_stats import GATE_Z, GATED_WEIGHT, HUBER_K
from telecom_nb.features.time_slots import n_slots
from telecom_nb.features.trimmed_scatter import trimmed_means

#: median absolute deviation -> standard deviation (normal data)
MEDIAN_AD_TO_SIGMA = 1.4826
#: share of sectors (largest deviations: one tick's faults) left out of the trimmed scatter
SCATTER_TRIM = 0.05
#: mean of z**2 below |z|'s 95 % quantile for normal z: the trimmed mean square's bias
TRIMMED_Z2 = 0.7588
#: the majority's scatter, as a share of its noise, above which the KPI is read as continuous
CONTINUOUS_SHARE = 0.5
#: visits of a week slot a sector remembers (~ weeks); the fleet's memory is the same
WEEK_ALPHA = 0.25
#: visits up to which a sector's own effect is one witness: a sample beyond ``AGREE_Z``
#: spreads of it and within ``AGREE_Z`` of the fleet's (widened by ``tau2``) is read
#: against the fleet's (the first visit's habit stays for the samples that agree with it;
#: at the gate's 4 a mild fault's echo, ~2.5 spreads a KPI on every cell of a site, stayed)
WITNESS_VISITS = 1.0
#: spreads of the fleet's effect (widened by ``tau2``) within which a sample agrees with
#: it: the scatter of the sectors' own habits, not the gate's 4 (an outage on a second
#: Tuesday that a first healthy one contradicts sits ~3.9 of them from the fleet's and was
#: read against it: its z -13 -> -3.9, and it restarted the cell and was learned)
AGREE_Z = 2.0


class WeekdayEffects:
    """Per sector x week slot x series: effect relative to the sector's typical day."""

    _state_added: tuple[str, ...] = ("habits_", "samples_")

    def __init__(self, slots_per_day: int, n_series: int, alpha: float = WEEK_ALPHA) -> None:
        w = n_slots(slots_per_day)
        self.alpha = alpha
        self.level_ = np.zeros((0, w, n_series), dtype=np.float16)
        self.count_ = np.zeros((0, w, n_series), dtype=np.uint8)  # COUNT_UNITS a visit
        self.fleet_ = np.zeros((w, n_series))
        self.tau2_ = np.zeros((w, n_series))
        self.fleet_count_ = np.zeros(w)
        self.habits_ = np.zeros((w, n_series))  # learned effects' scatter (visits > 1 sample)
        self.samples_ = 1.0  # samples a visit of a week slot holds (its level their mean)

    def derive_added_state(self, names) -> None:
        """A checkpoint older than the habits' scatter: none yet, a visit one sample (as
        it was read then) until the next tick's ``update`` says how many."""
        if "habits_" in names:
            self.habits_ = np.zeros_like(self.tau2_)
        if "samples_" in names:
            self.samples_ = 1.0

    def note_visit(self, visit: float) -> None:
        """Keep how many samples a visit holds (``visit``: the share of a slot one sample
        covers; 0, no cadence yet, reads as one)."""
        self.samples_ = 1.0 / visit if visit > 0.0 else 1.0

    def scatter(self, wslot):
        """``tau2`` of a week slot (or slots): the fleet's, or its learned effects' when
        larger (only where a visit holds several samples: hourly reads the fleet's)."""
        if self.samples_ <= 1.0:
            return self.tau2_[wslot]
        return np.maximum(self.tau2_[wslot], self.habits_[wslot])

    def grow(self, n_rows: int) -> None:
        self.level_ = grow_slot_major(self.level_, n_rows)  # slot-major: one block a tick
        self.count_ = grow_slot_major(self.count_, n_rows)

    def converted_state(self, name: str, data: np.ndarray) -> np.ndarray:
        """A checkpoint's float32 level / count (visits) in this table's storage."""
        if name == "level_" and data.dtype.kind == "f":
            return data.astype(np.float16)
        if name == "count_" and data.dtype.kind == "f":
            units = np.maximum(np.rint(data * COUNT_UNITS), 1.0)
            units = np.where(data > 0, np.minimum(units, count_cap(self.alpha)), 0.0)
            return units.astype(np.uint8)
        return data

    def _fleet_at(self, wslot: np.ndarray, r: np.ndarray, ok: np.ndarray, sigma2: np.ndarray):
        """Fleet effect and scatter at each row's week slot; this tick's own on a first visit.

        A live tick's rows all share one week slot: then the slot's row is broadcast
        (read-only, rows x series) instead of gathered per row, and a first visit's cross
        section runs on the rows as they are, not on a masked copy (same numbers).
        """
        one = _one_slot(wslot)
        if one is not None:
            if self.fleet_count_[one] > 0:
                # copies: a view would follow the fleet's learning later in the tick
                fleet, tau2 = self.fleet_[one].copy(), np.array(self.scatter(one))
            else:
                fleet, tau2 = self._cross_section(r, ok, sigma2, minority=False)
            return np.broadcast_to(fleet, r.shape), np.broadcast_to(tau2, r.shape)
        fleet, tau2 = self.fleet_[wslot], self.scatter(wslot)
        cold = self.fleet_count_[wslot] == 0
        if not cold.any():
            return fleet, tau2
        fleet, tau2 = fleet.copy(), tau2.copy()
        for s in np.unique(wslot[cold]):
            sel = wslot == s
            med, scatter = self._cross_section(r[sel], ok[sel], sigma2[sel], minority=False)
            fleet[sel], tau2[sel] = med, scatter
        return fleet, tau2

    @staticmethod
    def _cross_section(r: np.ndarray, ok: np.ndarray, sigma2: np.ndarray,
                       minority: bool = True):
        """Median effect and excess scatter over the rows (0 with too few sectors).

        ``minority``: the scatter may come from a minority of sectors (learned visits, whose
        probable faults the caller left out); a slot's cold first visit reads this tick's
        rows as they are, faults included, so its scatter is the MAD's alone (a third of a
        small fleet down together must not widen everyone's spread).
        """
        stride = max(1, len(r) // FLEET_SAMPLE)
        ok = ok[::stride]  # the sample first: no rows x KPIs temporaries (100k rows: ~5 ms)
        block = np.where(ok, r[::stride], np.nan)
        noise = np.where(ok, sigma2[::stride], np.nan)
        enough = column_counts(np.isfinite(block)) >= MIN_FLEET_SECTORS
        if not enough.any():
            return np.zeros(r.shape[1]), np.zeros(r.shape[1])
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)  # all-NaN columns: no effect
            med = nanmedian_fast(block)
            spread = MEDIAN_AD_TO_SIGMA * nanmedian_fast(np.abs(block - med))
            noise_med = nanmedian_fast(noise)
            excess = spread**2 - noise_med
            # a minority's values are effects only where the majority scatters as its
            # noise says (a continuous KPI); where most sectors sit exactly at their
            # typical value (a night's zero drops, availability) they are noise's tail
            continuous = (minority & (noise_med > 0)
                          & (spread**2 >= CONTINUOUS_SHARE * noise_med))
            excess = np.where(continuous,
                              np.maximum(excess, _trimmed_excess(block - med, noise)), excess)
        med = np.where(enough & np.isfinite(med), med, 0.0)
        excess = np.where(enough & np.isfinite(excess), np.maximum(excess, 0.0), 0.0)
        return med, excess

    def expect(self, rows: np.ndarray, wslot: np.ndarray, r: np.ndarray, ok: np.ndarray,
               sigma2: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(effect, its variance, the fleet's effect) for rows whose typical-day residual
        is ``r``.

        ``ok`` marks rows whose residual means something (warm typical day); ``sigma2``
        is each row's noise variance around its typical day.
        """
        fleet, tau2 = self._fleet_at(wslot, r, ok, sigma2)
        level = self.level_[rows, wslot].astype(np.float64)
        n = self.count_[rows, wslot] / COUNT_UNITS
        effect, var = _own_effect(fleet, tau2, sigma2, level, n)
        # one visit's habit that this sample contradicts while agreeing with the fleet's:
        # the fleet's (the cell restarts from it when it learns this sample)
        witness = _contradicted(r, effect, var, n, fleet, tau2, sigma2)
        if witness.any():
            effect = np.where(witness, fleet, effect)
            var = np.where(witness, tau2, var)
        return effect, var, fleet

    def update(self, rows: np.ndarray, wslot: np.ndarray, r: np.ndarray, learn: np.ndarray,
               far: np.ndarray, spread: np.ndarray, sigma2: np.ndarray,
               visit: float = 1.0) -> None:
        """Learn typical-day residuals ``r`` where ``learn``; ``far`` ones (probable faults)
        only nudge the sector's effect, which then starts from the fleet's.

        ``visit`` is the share of a slot one sample covers (cadence / slot length): the
        samples of one day's visit are one observation of that day, not several.
        """
        self.note_visit(visit)
        fleet, tau2 = self._fleet_at(wslot, r, learn & ~far, sigma2)
        from telecom_nb.features import seasonal_learn

        visits = self.fleet_count_.copy()
        learned = seasonal_learn.learn_week(self, rows, wslot, r, learn, far, spread, fleet,
                                            (tau2, sigma2), visit,
                                            per_sample(self.alpha, visit))
        if learned is not None:  # the compiled twin of the lines below (same numbers)
            self._learn_fleet(wslot, r, learned & ~far, sigma2, visit)
            self._learn_habits(rows, wslot, visits)
            return
        level = self.level_[rows, wslot].astype(np.float64)
        units = self.count_[rows, wslot].astype(np.int64)
        n = units / COUNT_UNITS
        level = np.where(n > 0, level, fleet)
        # a sample the caller vouches for (not far: it agrees with the fleet's weekday)
        # that the sector's own effect puts beyond GATE_Z spreads shows that effect learned
        # a fault on an earlier visit: the cell starts over from the fleet's
        # ... or a one-visit effect the sample contradicts while agreeing with the fleet's
        # (``expect`` read it against the fleet's)
        own, var = _own_effect(fleet, tau2, sigma2, level, n)
        wrong = learn & ~far & ((np.abs(r - level) > GATE_Z * spread)
                                | _contradicted(r, own, var, n, fleet, tau2, sigma2))
        n = np.where(wrong, 0.0, n)
        units = np.where(wrong, 0, units)
        level = np.where(wrong, fleet, level)
        a = np.maximum(visit / (n + visit), per_sample(self.alpha, visit))
        step = np.nan_to_num(r - level)
        step = np.where(far, np.clip(step, -HUBER_K * spread, HUBER_K * spread) * GATED_WEIGHT,
                        step)
        new_level = level + a * step
        learn = learn & np.isfinite(r)
        self.level_[rows, wslot] = np.where(learn, new_level, self.level_[rows, wslot])
        added = np.where(far, count_step(visit, GATED_WEIGHT), count_step(visit, 1.0))
        self.count_[rows, wslot] = np.minimum(units + learn * added, count_cap(self.alpha))
        self._learn_fleet(wslot, r, learn & ~far, sigma2, visit)
        self._learn_habits(rows, wslot, visits)

    def _learn_habits(self, rows: np.ndarray, wslot: np.ndarray, visits: np.ndarray) -> None:
        """At the end of a fleet's visit of a week slot (its visit count, ``visits``
        before this tick, reaches a whole number), the scatter of the learned effects of
        this tick's sectors beyond the majority's: once a visit, not every tick."""
        if self.samples_ <= 1.0:
            return
        one = _one_slot(wslot)
        for s in np.unique(wslot) if one is None else (one,):
            if np.floor(self.fleet_count_[s] + 1e-6) <= np.floor(visits[s] + 1e-6):
                continue  # the visit goes on (or this tick taught the fleet nothing)
            at = rows if one is not None else rows[wslot == s]
            self.habits_[s] = _habits(self.level_[at, s], self.count_[at, s])

    def _learn_fleet(self, wslot: np.ndarray, r: np.ndarray, ok: np.ndarray,
                     sigma2: np.ndarray, visit: float) -> None:
        """EW of the fleet's effect and scatter per week slot (a few slots per batch)."""
        one = _one_slot(wslot)
        for s in np.unique(wslot) if one is None else (one,):
            sel = slice(None) if one is not None else wslot == s  # one slot: no masked copy
            if np.count_nonzero(ok[sel]) < MIN_FLEET_SECTORS:
                continue
            med, scatter = self._cross_section(r[sel], ok[sel], sigma2[sel])
            n = self.fleet_count_[s]
            a = max(visit / (n + visit), per_sample(self.alpha, visit))
            self.fleet_[s] += a * (med - self.fleet_[s])
            self.tau2_[s] += a * (scatter - self.tau2_[s])
            self.fleet_count_[s] = n + visit


def _trimmed_excess(dev: np.ndarray, noise: np.ndarray) -> np.ndarray:
    """Scatter of effects beyond noise that a minority of sectors carries.

    The MAD sees the majority only: where business cells (a sixth of a city) empty on a
    weekend morning and the residential majority barely moves, it reads ~0 and the
    business cells' own effect is never trusted, so their weekend is flagged week after
    week. The mean square below the top ``SCATTER_TRIM`` (one tick's faults) keeps them;
    the noise it holds is the same rows' own.
    """
    # numpy's nanquantile and nanmean numbers without their per-column Python and masked
    # copies (~3 ms of a 1,000-sector tick, every tick; ~0.5 sorted, one compiled pass now)
    means = trimmed_means(dev, noise, 1.0 - SCATTER_TRIM)
    if means is not None:
        return means[0] / TRIMMED_Z2 - means[1]
    dev2 = dev**2
    cut = SortedColumns(dev2).quantile(1.0 - SCATTER_TRIM)
    kept = dev2 <= cut
    return mean_where(dev2, kept) / TRIMMED_Z2 - mean_where(noise, kept)


def _habits(level: np.ndarray, count: np.ndarray) -> np.ndarray:
    """Per series, the scatter of sectors' learned effects (``level``, sectors with a
    ``count``) beyond the majority's: the trimmed mean square about their median less the
    squared MAD spread, which holds the majority's noise and its own small habits (0
    with too few sectors). A lone business site's Friday (a tenth of the cells, levels
    ~2 spreads off) is what remains; one tick's faults are trimmed."""
    stride = max(1, len(level) // FLEET_SAMPLE)
    block = np.where(count[::stride] > 0, level[::stride].astype(np.float64), np.nan)
    enough = column_counts(np.isfinite(block)) >= MIN_FLEET_SECTORS
    if not enough.any():
        return np.zeros(block.shape[1])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # all-NaN columns: no scatter
        dev = block - nanmedian_fast(block)
        majority = (MEDIAN_AD_TO_SIGMA * nanmedian_fast(np.abs(dev))) ** 2
        excess = _trimmed_excess(dev, np.where(np.isfinite(dev), majority, np.nan))
    return np.where(enough & np.isfinite(excess), np.maximum(excess, 0.0), 0.0)


def _own_effect(fleet, tau2, sigma2, level, n) -> tuple[np.ndarray, np.ndarray]:
    """(a sector's own effect of ``n`` visits shrunk to the fleet's, its variance): what
    ``expect`` reads and ``update`` tests a sample against (``seasonal_kernel.own_effect``
    per cell)."""
    den = n * tau2 + sigma2
    safe = np.where(den > 0, den, 1.0)
    w = np.where(den > 0, n * tau2 / safe, 0.0)
    return fleet + w * (level - fleet), np.where(den > 0, tau2 * sigma2 / safe, 0.0)


def _contradicted(r, effect, var, n, fleet, tau2, sigma2) -> np.ndarray:
    """Where a sector's own effect of at most ``WITNESS_VISITS`` visits (``effect``, its
    variance ``var``) is beyond ``AGREE_Z`` spreads of the residual ``r`` while the fleet's
    effect (widened by ``tau2``) is within ``AGREE_Z``: one visit is a witness, and this sample
    says it saw a fault (``seasonal_kernel.contradicted_cell`` per cell)."""
    with np.errstate(invalid="ignore"):
        return ((n > 0) & (n <= WITNESS_VISITS) & (tau2 > 0)
                & (np.abs(r - effect) > AGREE_Z * np.sqrt(sigma2 + var))
                & (np.abs(r - fleet) <= AGREE_Z * np.sqrt(sigma2 + tau2)))


def _one_slot(wslot: np.ndarray) -> int | None:
    """The week slot every row shares (a live tick), or None (replay, mixed batches)."""
    if len(wslot) == 0:
        return None
    first = int(wslot[0])
    return first if bool((wslot == first).all()) else None
