"""Isolation Forest on features that remove the expected (the default detector)."""

from __future__ import annotations

import dataclasses
import functools
from typing import Any

import numpy as np
from traitlets import Bool

from telecom_nb.detectors.area_fit import fit_area
from telecom_nb.detectors.area_part import AreaPart
from telecom_nb.detectors.base import strongest
from telecom_nb.detectors.calendar_params import CalendarParams
from telecom_nb.detectors.calibration import SHOULDER, TailCalibrator
from telecom_nb.detectors.calibration_sample import calibration_sample
from telecom_nb.detectors.corroborate import corroborated
from telecom_nb.detectors.crowd_rule import CrowdRule
from telecom_nb.detectors.drift_part import DriftPart
from telecom_nb.detectors.feature_tails import FeatureTails, continues
from telecom_nb.detectors.forest_model import FitReference, ForestAndZ, columns_of, forest_input
from telecom_nb.detectors.forest_params import ForestParams
from telecom_nb.detectors.good_side import BadSides, clip_good_side, good_side_columns
from telecom_nb.detectors.held_part import HeldNull, shift_trim
from telecom_nb.detectors.joint_fit import fit_distances
from telecom_nb.detectors.kpi_families import KpiFamilies, others, without
from telecom_nb.detectors.part_schedule import PartSchedule
from telecom_nb.detectors.persist_part import PersistPart, trimmed
from telecom_nb.detectors.rate_part import RatePart
from telecom_nb.detectors.ratio_switch import RatioSwitch
from telecom_nb.detectors.retrain_jobs import POOLED_SERIES, ROW_KEYS
from telecom_nb.detectors.rolling_forest import KEPT, RollingForestParams, kept_trees, rolled_forest
from telecom_nb.detectors.row_cache import RowCache, kept_rows
from telecom_nb.detectors.row_mark import marked, split_marked
from telecom_nb.detectors.run_part import RunPart
from telecom_nb.detectors.second_kpi import SecondKpi
from telecom_nb.detectors.shift_part import bonferroni, shift_null, shift_score
from telecom_nb.detectors.views_part import ViewsPart
from telecom_nb.detectors.window_span import WindowSpanParams
from telecom_nb.detectors.windowed import WindowedDetector
from telecom_nb.features.base import FeatureExtractor
from telecom_nb.features.pipeline import KpiFeatures
from telecom_nb.features.range_novelty import log_p_of_z
from telecom_nb.params import param_trait


class IsolationForestDetector(CrowdRule, RatioSwitch, PartSchedule, CalendarParams, ForestParams,
                              RollingForestParams, WindowSpanParams, WindowedDetector):
    """sklearn ``IsolationForest`` on bounded seasonal/relation/peer/change z-scores.

    The features already say "unlike itself at this time of day", so the forest
    only has to learn which *combinations* of deviations are rare. A forest isolates
    everything beyond its training range at about the same depth, so a single KPI far
    out is better told by its own z. Several KPIs moving together moderately (traffic
    collapsing with modulation at zero, an incident moving a dozen service KPIs) is told
    by neither: the joint part (:mod:`~telecom_nb.detectors.joint`) adds them up; in a fleet,
    two KPIs that do not move together in normal life both off their own history (a backhaul
    fault's throughput and latency) is a part of its own
    (:mod:`~telecom_nb.detectors.kpi_families`; it and the area part read the area
    columns, the nearest sites' deviations: :mod:`~telecom_nb.features.area`, the area
    part on their own, :mod:`~telecom_nb.detectors.area_part`); for a few series, the
    KPIs' smoothed seasonal z (:mod:`~telecom_nb.features.smoothed_z`: the last minutes
    of an incident too short for the hour's shift) is a distance with its own null. The raw
    score is the strongest of these evidences, each as ``-log10(p)`` under its robust null
    (the minimum p-value).
    """

    name = "iforest"
    keeps_previous = True  # each feature's tail is fitted declustered
    caches_rows = True  # a few series' window transforms (row_cache.py)

    joint = param_trait(Bool(True, help=(
        "also score how far the KPIs' seasonal and persistent deviations are together "
        "(a robust Mahalanobis distance; needs 2+ KPIs) and, in a fleet, the second "
        "KPI far from its peers and two uncorrelated KPI families off at once")))
    good_side = param_trait(Bool(True, help=(
        "read the own-history deviations of KPIs whose name says which side is bad "
        "(latency up, throughput down) on that side only")))
    bad_sides = param_trait(BadSides(help=(
        "KPI=up|down|both pairs (';'-separated) that override the bad side the name gives "
        "good_side: a source's declared directions; empty = from the names")))

    def _make_features(self) -> FeatureExtractor:
        return KpiFeatures(**self._calendar())

    def _adjust(self, x: np.ndarray) -> np.ndarray:
        """The good side of named KPIs' own-history deviations read 0 in a fleet
        (:mod:`~telecom_nb.detectors.good_side`; a few series keep both: on the
        ``few_series.py`` sets it cost row precision, lte seed 1876 0.799 -> 0.783)."""
        if not self.good_side or self._heavy_tails():
            return x
        key = (tuple(self.features_.feature_names), self.kpis_, tuple(self.bad_sides.items()))
        cached = getattr(self, "_good_side", None)  # a cache (snapshot.TRANSIENT), not state
        if cached is None or cached[0] != key:
            columns = good_side_columns(list(key[0]), list(key[1]), self.bad_sides)
            cached = self._good_side = (key, columns)
        return clip_good_side(x, *cached[1])

    def _fit_params(self) -> dict[str, Any]:
        params = super()._fit_params()
        model = None if self._fitted is None else self._fitted.model
        kept = None if model is None else kept_trees(model.forest, model.forest_columns,
                                                     self.n_estimators, self.forest_refresh)
        if kept is not None:  # a rolling forest: the installed model's newest trees
            params[KEPT] = kept
        return params

    def _fit_model(self, window: np.ndarray, params: dict[str, Any]) -> ForestAndZ:
        params = dict(params)
        heavy = params.pop("heavy_tails", False)  # the parts' nulls, as the final one's
        columns = params.pop("joint_columns", ())
        novelty = params.pop("novelty_columns", ())
        groups = params.pop("second_groups", ())
        family_columns = params.pop("family_columns", ())
        hidden = params.pop("family_only", ())
        free = params.pop("free_tails", False)
        run = tuple(params.pop("run_columns", ()))
        run_fitted = params.pop("run_part", True)
        held_run = tuple(params.pop("held_run_columns", ()))  # (older pending fits: no key)
        held_gaussian = bool(params.pop("held_run_gaussian", False))
        groups_of_views = params.pop("view_groups", ())
        area_pairs = params.pop("area_columns", ())
        persist_pairs = params.pop("persist_columns", ())
        rate_cols = tuple(params.pop("rate_columns", ()))
        rate_least = params.pop("rate_least", None)
        drift_pairs = tuple(params.pop("drift_columns", ()))
        drift_cols = tuple(int(p[1]) for p in drift_pairs)
        drift_fitted = params.pop("drift_part", True)
        previous = params.pop("previous", None)
        kept_forest = params.pop(KEPT, None)
        pooled = params.pop(POOLED_SERIES, 1) > 1
        keys = params.pop(ROW_KEYS, None) or (None, None)
        # a few series' window mostly holds the last retrain's rows (a fleet's turns over)
        cache = self._row_cache_of() if heavy else None
        shift = np.asarray(params.pop("shift_columns", ()), dtype=np.intp)
        smooth_cols = np.asarray(params.pop("smooth_columns", ()), dtype=np.intp)
        record = np.asarray(params.pop("record_columns", ()), dtype=np.intp)
        held = np.asarray(params.pop("held_columns", ()), dtype=np.intp)
        held_pool = params.pop("held_pool", False)  # (older pending fits: no key)
        few = np.r_[shift, held, smooth_cols, record]
        n_base = int(few.min()) if len(few) else None
        # one mark per row (a neighbourhood off together): out of every fit but the area's
        all_rows = area = None
        if not heavy:
            mark = marked(window, area_pairs)
            if mark is not None:  # the area part first, before the kept rows' copies
                # below exist (with its own rows' copies, a 2M replay's peak: ~18 MB less)
                area = fit_area((window, previous, ~mark), n_base, area_pairs, free,
                                tuple(hidden) + run + drift_cols, params["random_state"])
            window, previous, all_rows = split_marked(window, previous, mark)
        full_window, full_previous = window, previous
        if n_base is not None:  # the parts below read the columns before the shift ones
            window = window[:, :n_base]
            previous = None if previous is None else previous[:, :n_base]
        # the forest reads float32: the fit and the window's scores take bounded32 (same)
        # a few series' area columns read 0: the forest as without them (same trees); the
        # run columns are a part of their own (the forest as without them: same trees)
        unread = (tuple(hidden) if heavy else ()) + run + drift_cols
        keep = others(window.shape[1], unread) if len(unread) else None
        x = kept_rows(cache, "forest", (n_base, None if keep is None else tuple(keep)),
                       keys[0], window, lambda w: forest_input(columns_of(w, keep)))
        forest = rolled_forest(x, kept_forest, keep, **params)
        ref, kept = window, calibration_sample(len(window), params["random_state"])
        shift_ref, shift_prev = full_window, full_previous
        if kept is not None:
            ref = ref[kept]
            previous = None if previous is None else previous[kept]
            shift_ref = shift_ref[kept]
            shift_prev = None if shift_prev is None else shift_prev[kept]
        # a fleet's features get their own tails; one series' shoulder is read by the nulls
        every = FeatureTails.fit(ref, previous, tails=not heavy, free=free)
        # the max skips what only KPI families read, and the run columns (a part)
        tails = without(every, tuple(hidden) + run + drift_cols)
        zref = tails(ref)
        filled = None if kept is not None or previous is None else kept_rows(
            cache, "filled", n_base, keys[1], previous, lambda p: np.nan_to_num(p, nan=0.0))
        cont = continues(tails, ref, previous, zref, filled)
        dist = fit_distances(full_window, columns, shift, smooth_cols, heavy, kept, cont, cache,
                             keys[0])
        joint, units = dist.joint, dist.units
        second = None if heavy else SecondKpi.fit(tails, ref, groups, cont)
        families = None if heavy else KpiFamilies.fit(every, ref, family_columns, cont)
        run_part = None if heavy or not run_fitted else RunPart.fit(every, ref, run)
        # the held run's null declustered (a held residual lasts hours), its statistic the
        # residual's normal -ln p at 30 minutes or slower (run_part.RunPart.fit,
        # part_schedule.HELD_GAUSSIAN_STEP); the run part's neither
        held_part = None if heavy or not run_fitted else RunPart.fit(
            every, ref, held_run, previous, gaussian=held_gaussian)
        if not heavy and all_rows is None:  # (marked rows: fitted above, on all but the
            area = AreaPart.fit(every, ref, area_pairs, cont)  # youngest: its own evidence)
        rates = None if heavy else RatePart.fit(every, ref, rate_cols, cont, rate_least)
        drift = None if heavy or not drift_fitted else DriftPart.fit(ref, drift_pairs)
        views = None if heavy else ViewsPart.fit(every, ref, groups_of_views, cont)
        if joint is not None and not heavy:
            zref = np.maximum(zref, units)
        forest_raw = -forest.score_samples(x if kept is None else x[kept])
        nulls = shift_null(shift_ref, shift_prev, shift, pooled) if heavy and len(shift) else None
        held_null = None
        if heavy and pooled and len(held):  # its sample without the shifts the nulls read
            held_null = HeldNull.fit(shift_ref, shift_prev, held, shift, SHOULDER, held_pool,
                                     shift_trim(shift, nulls, shift_ref, shift_prev))
        model = ForestAndZ(
            forest, TailCalibrator.fit(forest_raw, heavy_tails=heavy, continues=cont),
            tails, TailCalibrator.fit(zref, heavy_tails=heavy, continues=cont),
            joint, dist.joint_tail, dist.joint_null,
            np.asarray(novelty, dtype=np.intp) if len(novelty) else None, second, n_base,
            shift if heavy and len(shift) else None,
            nulls,
            families, dist.smooth, dist.smooth_tail, dist.smooth_null, keep, run_part, area=area,
            rates=rates, drift=drift, views=views, record=record if len(record) else None,
            held=held if heavy and pooled and len(held) else None, held_null=held_null,
            held_run=held_part)
        other_raw = None
        if len(persist_pairs) and not heavy:  # its nulls without what the other parts flag
            other_raw = _max_of(self._parts(model, ref, forest_raw, zref, units))
            trim = trimmed(other_raw, cont)
            persist = PersistPart.fit(every, ref, persist_pairs, cont, trim, previous)
            model = dataclasses.replace(model, persist=persist)
        # the calibration reads the very window (unsliced) when no rows were picked; with
        # marked rows left out, the window as given and the kept rows (it scores the rest)
        whole = None if all_rows is None or kept is not None else all_rows
        model.fit_ref[0] = FitReference(
            shift_ref, shift_prev, forest_raw, zref, units, cont, dist.smooth_units, other_raw,
            None if whole is None else whole[:2], None if whole is None else whole[2])
        return model

    def _row_cache_of(self) -> RowCache:
        """The fits' kept row-wise transforms (a cache: ``snapshot.TRANSIENT``; one fit runs
        at a time, so the worker thread has it alone)."""
        cache = getattr(self, "_row_cache", None)
        if cache is None:
            cache = self._row_cache = RowCache()
        return cache

    def _record_score(self, model: ForestAndZ, features: np.ndarray,
                      loads: np.ndarray | None = None) -> np.ndarray | None:
        """The strongest record of a value (range novelty) or of a level (the level
        record), or a fleet's views part (:mod:`.views_part`), as a score; None: none.
        The views part is read here, not in the max of parts: the final calibration of
        that max reads one more part's rows as its body's and discounts them (t3017, an
        hourly world: in the max, events and false rows exactly main's); ``loads``: the
        rows' loads (:meth:`_load_view`), which it reads."""
        out = None
        if model.novelty is not None:
            # the strongest of 2 x k one-sided records: Bonferroni over them (a record of
            # one of 48 KPIs is 96 times likelier than of one)
            log_p = log_p_of_z(features[:, model.novelty]).max(axis=1)
            out = bonferroni(log_p, 2 * len(model.novelty))
        if model.record is not None:  # the strongest KPI's level record, Bonferroni over
            # the KPIs (its sides are not counted apart: the effective count is cautious)
            log_p = log_p_of_z(features[:, model.record]).max(axis=1)
            out = strongest(out, bonferroni(log_p, len(model.record)))
        if model.views is not None:  # a fleet's views part, read on its own null
            out = strongest(out, model.views(model.base(features), loads))
        return out

    def _corroborated(self, fitted, x: np.ndarray, score: np.ndarray,
                      records: np.ndarray | None, shift: np.ndarray | None
                      ) -> tuple[np.ndarray | None, np.ndarray | None]:
        """One series of several KPIs: its records and shifts where the joint distances
        corroborate them (:mod:`.corroborate`); a pool, a fleet, one KPI: as they are."""
        if len(self.features_.registry) != 1 or not self._heavy_tails():
            return records, shift
        return corroborated(fitted.model, fitted.calibrator, x, score, records, shift)

    def _load_view(self, view) -> np.ndarray | None:
        """Each row's load against its sector's usual where the views part is fitted."""
        return self.features_.load_level(view) if self._views_part() else None

    def _zero_state_score(self, model: ForestAndZ, features: np.ndarray,
                          zeros: np.ndarray | None) -> np.ndarray | None:
        """The max-units part's own reading of rows in an exact-zero state
        (:mod:`.zero_part`; their rows alone: a row's parts are its own)."""
        if zeros is None or not zeros.any():
            return None
        rows = np.flatnonzero(zeros)
        out = np.zeros(len(features))
        out[rows] = self.part_scores(model, features[rows])["max_z"]
        return out

    def _shift_score(self, model: ForestAndZ, features: np.ndarray) -> np.ndarray | None:
        """The level-shift part's (:mod:`.shift_part`, a pool's held level within)."""
        return shift_score(model, features)

    def _reference(self, model: ForestAndZ, ref: np.ndarray, previous: np.ndarray | None,
                   known: FitReference | None = None) -> tuple[np.ndarray, np.ndarray | None]:
        if known is None:
            known, model.fit_ref[0] = model.fit_ref[0], None
        if known is None or known.ref is not ref or known.previous is not previous:
            raw = None
            if known is not None and known.whole is not None and known.whole[0] is ref and (
                    known.whole[1] is previous):  # the fit's rows known, the marked ones not
                raw = np.empty(len(ref))
                raw[known.kept] = self._reference(model, known.ref, known.previous, known)[0]
                raw[~known.kept] = self._raw_score(model, ref[~known.kept])  # row by row
            return self._raw_score(model, ref) if raw is None else raw, continues(
                model.tails, model.base(ref), None if previous is None else model.base(previous))
        if known.others is not None:  # the other parts were read for the trim: add persist
            persist = model.persist
            raw = (known.others if persist is None
                   else np.maximum(known.others, persist(model.base(ref))))
            return raw, known.continues
        return self._combine(model, model.base(ref), known.forest_raw, known.z,
                             known.joint_units, known.smooth_units), known.continues

    def _raw_score(self, model: ForestAndZ, features: np.ndarray) -> np.ndarray:
        return _max_of(self.part_scores(model, features))

    def part_scores(self, model: ForestAndZ, features: np.ndarray) -> dict[str, np.ndarray]:
        """Each part's raw score by name; the raw score is their max (which part led a
        row: ``benchmarks/lead_part.py``)."""
        units = None if model.joint is None else model.joint_units(features)
        smooth = model.smooth_units(features)
        features = model.base(features)
        plan = model.tail_plan
        stats = None if plan is None else plan(features)  # the tail-units parts in one pass
        z = model.tails(features) if stats is None else stats["tails"]
        if units is not None and model.joint_null is None:  # a fleet: one more feature
            z = np.maximum(z, units)
        return self._parts(model, features,
                           -model.forest.score_samples(forest_input(
                               model.forest_view(features))), z, units,
                           smooth, stats)

    @staticmethod
    def _combine(model: ForestAndZ, features: np.ndarray, forest_raw: np.ndarray,
                 z: np.ndarray, joint_units: np.ndarray | None,
                 smooth_units: np.ndarray | None = None,
                 stats: dict[str, np.ndarray] | None = None) -> np.ndarray:
        """The raw score from its parts (the forest's raw score, max units); ``stats``:
        parts' statistics already computed (:class:`~.tail_parts.TailPlan`)."""
        return _max_of(IsolationForestDetector._parts(model, features, forest_raw, z,
                                                      joint_units, smooth_units, stats))

    @staticmethod
    def _parts(model: ForestAndZ, features: np.ndarray, forest_raw: np.ndarray,
               z: np.ndarray, joint_units: np.ndarray | None,
               smooth_units: np.ndarray | None = None,
               stats: dict[str, np.ndarray] | None = None) -> dict[str, np.ndarray]:
        """The parts :meth:`_combine` takes the max of, by name, in its order."""
        stats = {} if stats is None else stats
        out = {"forest": model.forest_null(forest_raw), "max_z": model.z_null(z)}
        if model.joint_null is not None:  # a few series: a part of its own
            out["joint"] = model.joint_null(joint_units)
        if model.smooth_null is not None:
            out["smooth"] = model.smooth_null(smooth_units)
        for name in ("second", "families", "run", "held_run", "area"):  # (features, statistic)
            part = getattr(model, name)
            if part is not None:
                out[name] = part(features, stats.get(name))
        for name in ("persist", "rates", "drift"):
            part = getattr(model, name)
            if part is not None:
                out[name] = part(features)
        return out


def _max_of(parts: dict[str, np.ndarray]) -> np.ndarray:
    """The parts' elementwise max, in their order."""
    return functools.reduce(np.maximum, parts.values())
