"""A fleet's run part: some KPI of the sector off for every tick of the last hour.

The run columns (:mod:`~telecom_nb.features.run_min`) hold, per KPI, the weakest of its
deviations from its peers over the last hour's ticks. Each is put in units of its own tail
(declustered, as every feature's), the strongest KPI is the statistic, and its null is the
window's own *shoulder* (90-95 %: :class:`~telecom_nb.detectors.calibration.TailCalibrator`
with ``heavy_tails``), its p doubled for being one more evidence in the max of parts (as the
second KPI's). The shoulder, not the body: a run's minimum sits at 0 on most rows, so the
body's 50-75 % spacing is narrow and extrapolated it made the rare long normal runs extreme
(offline, 15-minute world 940 with 8-tick runs: 41,000 false alarms).

Not in the max over features nor the forest: there 14 more columns dilute what is there
(offline, such run columns in the max: 15-minute world 940's VoLTE drop surges 5 -> 1 of 18).
Second generator's tuning worlds 940-943 (``benchmarks/operator_quality.py``, P / event
recall): 0.896 / 0.900 -> 0.904 / 0.912, 0.839 / 0.893 -> 0.848 / 0.897, 0.924 / 0.856 ->
0.920 / 0.869, 0.913 / 0.856 -> 0.923 / 0.865 (README "Measured", rec11).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from scipy.special import log_ndtr

from telecom_nb.detectors import score_kernels
from telecom_nb.detectors.calibration import SHOULDER, TailCalibrator
from telecom_nb.detectors.feature_tails import FeatureTails
from telecom_nb.detectors.shift_part import declustered_null

#: the feature kind read
RUN_KIND = "run_z"
#: ``-log10`` of a Bonferroni factor 2 (one more evidence in the max of parts)
PENALTY = math.log10(2.0)
#: ln 2: a two-sided normal tail's ``-ln p`` is ``-(LN2 + log_ndtr(-|x|))``
LN2 = math.log(2.0)


def run_columns(names: list[str]) -> tuple[int, ...]:
    """The columns of the :data:`RUN_KIND` kind."""
    return tuple(i for i, name in enumerate(names) if name.rpartition(":")[2] == RUN_KIND)


def dependent_run_columns(names: list[str], kpis: list[str],
                          dependent: np.ndarray) -> tuple[int, ...]:
    """The run columns of the load-explained dependents (``dependent``: per KPI of ``kpis``).

    A warm dependent's run column holds its residual against its own row's load, held over
    the hour (:meth:`~telecom_nb.features.pipeline.KpiFeatures._run_deviation`). In the run
    part it competes with every KPI's run on one shoulder null; read alone, on its own
    (the *held run* part: a second :class:`RunPart` over these columns), a missed partial
    degradation's hour at 3-4.6 spreads stands beyond every normal hour's (hourly tuning
    world v3172 offline: normal rows' max 2.78, ``benchmarks/MEASURED.md`` part61, held61)."""
    held = {k for k, d in zip(kpis, dependent, strict=False) if d}
    return tuple(i for i in run_columns(names) if names[i].rpartition(":")[0] in held)


@dataclass(frozen=True)
class RunPart:
    """The strongest run column's tail units, calibrated on the window's shoulder."""

    columns: np.ndarray  # (C,) the run columns
    tails: FeatureTails  # their tails (a slice of the fit's)
    null: TailCalibrator
    #: read the columns as residuals in their own spreads (the held run's): the statistic
    #: is the strongest column's two-sided normal ``-ln p``, not its tail units
    gaussian: bool = False

    @classmethod
    def fit(cls, tails: FeatureTails, ref: np.ndarray, columns: tuple[int, ...],
            previous: np.ndarray | None = None, gaussian: bool = False) -> RunPart | None:
        """None without run columns. ``previous`` (the window rows' sectors' previous rows,
        NaN: none): the shoulder is read on the rows that open a run, those whose sector's
        previous row's statistic was not beyond the window's 95 %
        (:func:`~.shift_part.declustered_null`, the pools' held null's): a held residual
        lasts hours, and its long normal runs counted row by row widened the null the held
        run part reads (``benchmarks/MEASURED.md`` hold62). ``gaussian``: :attr:`gaussian`.

        Why the held run reads ``gaussian``: its columns are a warm dependent's load
        residual in its own spreads, held over the hour, and those residuals are white and
        normal on normal rows (hourly v3231: sd 0.95, lag-1 r 0.02, q0.01 % -3.72; the
        hour's minimum of two q99.99 % 2.34, a normal's squared tail's). Exponentials
        beyond the shoulder (the tails' units, then the shoulder null) read such a light
        tail too heavy: a partial degradation's hour at 3 spreads read ~3.5 (``-log10 p``)
        where the normal's squared tail says ~5.1. On ``-ln p`` of one tick a minimum of ``k`` ticks
        has an exponential tail (rate ``k``), which the shoulder null then fits as it is
        (``benchmarks/MEASURED.md`` part64)."""
        if not columns:
            return None
        cols = np.asarray(columns, dtype=np.int64)
        part = cls(cols, tails.select(cols), TailCalibrator.fit(np.zeros(1)), gaussian)
        stat = part.statistic(ref)
        if previous is None:
            return cls(cols, part.tails, TailCalibrator.fit(stat, heavy_tails=True), gaussian)
        before = part.statistic(np.nan_to_num(previous, nan=0.0))
        return cls(cols, part.tails, declustered_null(stat, before, SHOULDER), gaussian)

    def statistic(self, features: np.ndarray) -> np.ndarray:
        """Per row: the strongest run column's (capped) tail units, or with
        :attr:`gaussian` its two-sided normal ``-ln p``."""
        t = self.tails
        x = features[:, self.columns]
        n = len(self.columns)
        if self.gaussian:
            return -(LN2 + log_ndtr(-np.abs(np.nan_to_num(x, nan=0.0)).max(axis=1)))
        compiled = score_kernels.tail_max(
            x,
            t.anchor,
            t.scale,
            t.reach,
            t.start,
            t.base,
            t.tail_scale,
            np.zeros(n, bool),
            np.zeros(n),
        )
        if compiled is not None:  # the same numbers without a rows x columns temporary
            return compiled
        return t.units(x).max(axis=1)

    def __call__(self, features: np.ndarray, stat: np.ndarray | None = None) -> np.ndarray:
        """``-log10(2 p)`` of each row's statistic under the window's shoulder."""
        return self.null(self.statistic(features) if stat is None else stat) - PENALTY
