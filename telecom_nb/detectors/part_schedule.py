"""Which of the detector's parts a fit includes, and on which feature columns.

A part is fitted only once the data behind it can carry it (a day before the run part, two
before the area part and the light tails, hourly data for the persistence part...); these
choices are made by data time and cadence when a retrain is asked for, and handed to the
fit as plain column tuples (:meth:`PartSchedule._fit_params`), so the fit itself stays a
function of the window.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from telecom_nb.detectors.area_part import area_columns
from telecom_nb.detectors.base import RetrainJob
from telecom_nb.detectors.drift_part import DRIFT_KIND
from telecom_nb.detectors.kpi_families import family_only, kpi_columns
from telecom_nb.detectors.persist_part import PERSIST_KIND
from telecom_nb.detectors.rate_part import rate_columns
from telecom_nb.detectors.retrain_jobs import POOLED_SERIES
from telecom_nb.detectors.run_part import dependent_run_columns, run_columns
from telecom_nb.detectors.second_kpi import kpi_groups
from telecom_nb.detectors.views_part import view_groups
from telecom_nb.features.count_cusum import MIN_STEP_NS
from telecom_nb.features.load_explained import SIDED_STEP_NS

#: the few-series columns, after every other (:meth:`PartSchedule._by_names`)
_FEW_COLUMNS = (":shift_z", ":held_z", ":smooth_z", ":record_z")
#: data time before the joint distance is fitted: deviations only have a stable
#: covariance once every time-of-day slot has a baseline of its own
JOINT_AFTER = pd.Timedelta("1D")
#: data time before the strongest feature may read light tails beyond the body's cap
#: (:mod:`~telecom_nb.detectors.feature_tails`): a younger window's deep tail is its
#: baselines' cold start (simulator: +140 false alarms on its first evening without this)
FREE_TAILS_AFTER = pd.Timedelta("2D")
#: ...and only for data this far apart: a normal excursion of 5-minute data spans many
#: rows, and the declustered rows (each cluster's first) understate the deep tails there
#: (s5, first generator: P 0.977 -> 0.931). 15-minute data are free since the window spans
#: days (``window_span``), not their last ~30 hours: second generator, P / event recall,
#: w2 0.893/0.828 -> 0.872/0.892, w5 0.912/0.807 -> 0.912/0.876
FREE_TAILS_STEP = pd.Timedelta("15min")
#: data time before a pool's KPIs may share one held null (``held_part.HeldNull``): the
#: shift z's 3 days of reference and a week of the pool's normal life. Younger, the KPIs'
#: few long wanders read a thin tail (few-series ``lte`` seed 2882, 2 minutes, day 5:
#: scale 0.20 against traffic's own 0.66 a day later, +14 false rows); an hourly pool's
#: own nulls wait ~5 weeks, a 2-15-minute one's come before this
HELD_POOL_AFTER = pd.Timedelta("10D")
#: data time before the run part is fitted: in the first day every sector's seasonal z is
#: its cold start's, off for hours alike (simulator: 519 false alarms in its first 6 hours)
RUN_AFTER = pd.Timedelta("1D")
#: data time before the area part is fitted: a sector's area reads 0 for its first day
#: (:data:`~telecom_nb.features.area.WARM_UP_NS`), and a window of mostly such rows has no
#: shoulder to calibrate on
AREA_AFTER = pd.Timedelta("2D")
#: the persistence part's slowest cadence: at 15 minutes the persistence spans 45 minutes and
#: the part found nothing more (tuning worlds 1042, 1043: 26-31 more false alarms each)
PERSIST_STEP = pd.Timedelta("1h")
#: the finest cadence whose held run reads its residual on the normal scale (part64's
#: ``RunPart.gaussian``), the bar its bad-side residual has (``load_explained``): hourly and
#: 30-minute worlds found +55 events (partials) for +123 false rows; at 15 minutes the
#: normal scale cost the lead's OSS world o303 +255 false rows for no event
HELD_GAUSSIAN_STEP = pd.Timedelta(SIDED_STEP_NS, "ns")
#: ... and the share of the fleet's sectors whose load fit must read (warm) for it
HELD_WARM_SHARE = 0.5
#: the views part's finest cadence: there a one-hour fault is one row, which the other parts
#: read on one tick's evidence alone; finer, it found 1 event more for 17 false rows (30
#: minutes, t3019) and 1 for ~130 (the simulator's 15 minutes, 10 days)
VIEWS_STEP = pd.Timedelta("1h")
#: the rate part's finest cadence: at 30 minutes, with the count runs' memory in data time
#: and their hold rule, it found VoLTE drop surges 7 -> 11 of 21 for 3 more false alarms
#: (tuning world v1311); at 15 minutes 2 handover surges more for 39 more (v1310). Finer
#: (down to the ratio CUSUM's ``MIN_STEP_NS``) it reads only the CUSUM's sums
RATE_STEP = pd.Timedelta("30min")
#: the drift part's finest cadence: its columns at 15 and 30 minutes separate a wrong
#: parameter as hourly ones do (the drift's memory is data time)
DRIFT_STEP = pd.Timedelta("15min")


class PartSchedule:
    """Mixin of :class:`~telecom_nb.detectors.iforest.IsolationForestDetector`: the parts
    a fit includes and their columns, from the detector's data clock (``first_time_``, the
    fit's ``_fit_time``), its ``joint`` switch and the features' cadence and names."""

    _fit_time: pd.Timestamp | None = None

    def _by_names(self) -> dict[str, Any]:
        """The parts' columns that the feature names and KPIs alone decide, kept while
        those stay the same (a cache: ``snapshot.TRANSIENT``): found by Python over ~700
        names at every retrain, they were ~2.5 ms of it, ~5 % of a one-series replay."""
        names = self.features_.feature_names
        key = (tuple(names), self.kpis_)
        memo = getattr(self, "_names_memo", None)
        if memo is not None and memo[0] == key:
            return memo[1]
        kpis = list(self.kpis_)
        wanted = set(kpis)
        found = {
            "joint": tuple(i for i, name in enumerate(names)
                           if name.rpartition(":")[0] in wanted
                           and name.endswith((":season_z", ":persist_z"))),
            "second": kpi_groups(names, kpis), "family": kpi_columns(names, kpis),
            "family_only": family_only(names), "run": run_columns(names),
            "area": area_columns(names, kpis),
            "persist": area_columns(names, kpis, kind=PERSIST_KIND),
            "drift": area_columns(names, kpis, kind=DRIFT_KIND),
            "novelty": tuple(i for i, name in enumerate(names) if name.endswith(":novelty_z")),
            "views": view_groups(names, kpis),
        }
        last = tuple(i for i, name in enumerate(names) if name.endswith(_FEW_COLUMNS))
        if last and last != tuple(range(len(names) - len(last), len(names))):
            raise ValueError("level-shift, smoothed-z and level-record columns must come last")
        for suffix in _FEW_COLUMNS:  # last: the forest and the tails read those before
            found[suffix] = tuple(i for i, name in enumerate(names) if name.endswith(suffix))
        self._names_memo = (key, found)
        return found

    def _joint_columns(self, found: dict[str, Any]) -> tuple[int, ...]:
        """The per-KPI seasonal and persistence z columns (none for fewer than 2 KPIs);
        ``found``: :meth:`_by_names`."""
        if not self.joint or len(set(self.kpis_)) < 2 or self.first_time_ is None:
            return ()
        if self._fit_time is None or self._fit_time - self.first_time_ < JOINT_AFTER:
            return ()
        return found["joint"]

    def _run_part(self) -> bool:
        """Whether the run part is fitted: the fit asked for has :data:`RUN_AFTER` of data
        time behind it (a fleet's run columns are read by it alone)."""
        if self.first_time_ is None or self._fit_time is None:
            return False
        return self._fit_time - self.first_time_ >= RUN_AFTER

    def _held_gaussian(self) -> bool:
        """Whether the held run reads the normal scale: :data:`HELD_GAUSSIAN_STEP` or
        slower, and the per-sector load fit reading on :data:`HELD_WARM_SHARE` of the fleet.

        The normal scale is the load residual's own (white, normal on normal rows); where
        the fit does not read, a dependent's run column holds its peer deviation instead,
        heavy-tailed, and the normal scale read its normal busy hours as faults: on the
        multi-RAT OSS worlds the load family spans KPIs no row has together (2G/3G traffic
        beside LTE PRB), so the fit never learns, and part64's held run read the fallback
        alone (``benchmarks/MEASURED.md`` sat66). There it keeps the tails' units."""
        cadence = self.features_.parts_[0].cadence_
        load = getattr(self.features_, "load_", None)
        return (cadence.step >= HELD_GAUSSIAN_STEP and load is not None
                and load.warm_share(cadence.step_ns) >= HELD_WARM_SHARE)

    def _held_run_columns(self) -> tuple[int, ...]:
        """The held run part's columns: the run columns of the load family's dependents
        (fleets, once the run part is fitted; re-read at each fit, as the family is daily)."""
        load = getattr(self.features_, "load_", None)
        if load is None or not load.ready or not self._run_part():
            return ()
        return dependent_run_columns(list(self.features_.feature_names),
                                     list(self.features_.kpis_ or ()), load.dependent_)

    def _area_part(self) -> bool:
        """Whether the area part is fitted: the fit asked for has :data:`AREA_AFTER` of
        data time behind it (and ``joint`` is on: it is one of the parts of KPIs together)."""
        if not self.joint or self.first_time_ is None or self._fit_time is None:
            return False
        return self._fit_time - self.first_time_ >= AREA_AFTER

    def _persist_part(self) -> bool:
        """Whether the persistence part is fitted: ``joint`` on, hourly or slower data,
        :data:`RUN_AFTER` of data time behind the fit (the first day's baselines are cold)."""
        if not self.joint or not self._run_part():
            return False
        return self.features_.parts_[0].cadence_.step >= PERSIST_STEP

    def _views_part(self) -> bool:
        """Whether the views part is fitted: ``joint`` on, free tails, hourly or slower data
        (:data:`VIEWS_STEP`)."""
        if not self.joint or not self._free_tails():
            return False
        return self.features_.parts_[0].cadence_.step >= VIEWS_STEP

    def _held_pool(self) -> bool:
        """Whether the fit asked for has :data:`HELD_POOL_AFTER` of data time behind it."""
        if self.first_time_ is None or self._fit_time is None:
            return False
        return self._fit_time - self.first_time_ >= HELD_POOL_AFTER

    def _drift_part(self) -> bool:
        """Whether the drift part is fitted: 15 minutes or slower (its columns are never in
        the forest or the max). At 15 minutes a drop rate's quarter hours mostly read 0, yet
        its day-long drift separates a wrong parameter as hourly (tuning t1230: normal rows'
        99.9 % at 2.0, the fault's median 1.2); the part alone was missing (wrong parameters
        14 -> 24 of 35 for 26 more false-alarm rows; the simulator 45 more, no event)."""
        return self.features_.parts_[0].cadence_.step >= DRIFT_STEP

    def _free_tails(self) -> bool:
        """Whether the max may read light tails beyond the body's cap: the fit asked for has
        :data:`FREE_TAILS_AFTER` of data time behind it, at least :data:`FREE_TAILS_STEP`
        apart."""
        if self.first_time_ is None or self._fit_time is None:
            return False
        if self.features_.parts_[0].cadence_.step < FREE_TAILS_STEP:
            return False
        return self._fit_time - self.first_time_ >= FREE_TAILS_AFTER

    def _make_job(self, now: pd.Timestamp) -> RetrainJob:
        self._fit_time = now  # the data time of the fit asked for (read by _joint_columns)
        return super()._make_job(now)

    def _fit_params(self) -> dict[str, Any]:
        params = self._part_params()
        series = len(self.features_.registry)
        if params["heavy_tails"] and series > 1:  # (one series and fleets: no such key)
            params[POOLED_SERIES] = series
        return params

    def _part_params(self) -> dict[str, Any]:
        found, heavy, joint = self._by_names(), self._heavy_tails(), self.joint
        rates = self._rate_columns()
        return {"random_state": self.random_state, "n_estimators": self.n_estimators,
                "heavy_tails": heavy, "joint_columns": self._joint_columns(found),
                # range-novelty z: a few series read it as its own p-value
                "novelty_columns": found["novelty"] if heavy else (),
                # per KPI its peer-relative columns (the second-KPI part)
                "second_groups": found["second"] if joint else (),
                # level shifts: never in the forest or the tails; a few series' own part
                "shift_columns": found[":shift_z"], "smooth_columns": found[":smooth_z"],
                # held levels (features/held_level.py): read with the shift part
                "held_columns": found[":held_z"], "held_pool": self._held_pool(),
                # level records (features/level_record.py): a few series read them directly
                "record_columns": found[":record_z"] if heavy else (),
                # per KPI its own columns for the KPI families' part
                "family_columns": found["family"] if joint else (),
                "free_tails": self._free_tails(),
                "family_only": found["family_only"] if joint else (),
                "run_columns": found["run"], "run_part": self._run_part(),
                "held_run_columns": self._held_run_columns(),
                "held_run_gaussian": self._held_gaussian(),
                # per KPI its season, peer and change columns (the views part)
                "view_groups": found["views"] if self._views_part() else (),
                "area_columns": found["area"] if self._area_part() else (),
                "persist_columns": found["persist"] if self._persist_part() else (),
                "rate_columns": rates, "rate_least": self._rate_least(rates),
                "drift_columns": found["drift"], "drift_part": self._drift_part()}

    def _rate_columns(self) -> tuple[int, ...]:
        """The rate part's columns: the seasonal z of the KPIs the data show are ratios of
        counts (``joint`` fleets after a day, as fine as the ratio CUSUM keeps its sums)."""
        lumpy = getattr(self.features_.parts_[0], "lumpy_", None)
        if lumpy is None or not self.joint or not self._run_part():
            return ()
        if self.features_.parts_[0].cadence_.step < pd.Timedelta(MIN_STEP_NS, "ns"):
            return ()
        return rate_columns(list(self.features_.feature_names), list(lumpy.kpis),
                            lumpy.counts_.ratios())

    def _rate_least(self, cols: tuple[int, ...]) -> np.ndarray | None:
        """Finer than :data:`RATE_STEP` the |z| each rate column (``cols``:
        :meth:`_rate_columns`) is read from: where the ratio's CUSUM reads a sum (a quarter
        hour's single value, 1 drop of 2 calls at a quiet cell, is no evidence there);
        None: every value (30 minutes or slower)."""
        if not cols or self.features_.parts_[0].cadence_.step >= RATE_STEP:
            return None
        lumpy = self.features_.parts_[0].lumpy_
        names = self.features_.feature_names
        kpis = [names[c].rpartition(":")[0] for c in cols]
        return lumpy.cusum_.read_level(np.array([lumpy.kpis.index(k) for k in kpis]))
