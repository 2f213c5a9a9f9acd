"""Shared machinery of our detectors: features, window, data-clock retrains, calibration.

Subclasses only say how to fit a model on a window of feature rows and how to
turn feature rows into a raw score (higher = more anomalous). Everything else --
score-before-learn, warm-up, the retrain schedule on *data* time
(:mod:`.retrain_timing`), the immutable snapshot handed to a worker thread, the atomic
install of model + calibration and explanations -- lives here once. Thresholding is the
alarm stage's (``telecom_nb.alarms``).
"""

from __future__ import annotations

import sys
from typing import Any

import numpy as np
import pandas as pd
from traitlets import Any as AnyTrait
from traitlets import observe

from telecom_nb.defaults import FEW_SERIES
from telecom_nb.detectors.base import Detector, RetrainJob, Scores, strongest
from telecom_nb.detectors.explain import contributions_frame, kpi_contributions, top_kpis
from telecom_nb.detectors.fit_inputs import FitInputs, Fitted
from telecom_nb.detectors.kpi_births import KpiBirths, unread_view
from telecom_nb.detectors.previous_rows import Prefetched, PreviousRows
from telecom_nb.detectors.retrain_jobs import RetrainJobs
from telecom_nb.detectors.retrain_timing import RetrainTiming
from telecom_nb.detectors.routine import NEW_RECORD, RoutineMemory, RoutineRows, never_routine
from telecom_nb.detectors.silence_part import SilenceRows, ZeroRuns
from telecom_nb.detectors.step_record import StepRecord
from telecom_nb.detectors.threshold_params import ThresholdParams
from telecom_nb.detectors.window import SampleWindow
from telecom_nb.detectors.window_params import WindowParams
from telecom_nb.features.base import FeatureExtractor, configure_features
from telecom_nb.features.view import BatchView

#: the window spans at least this many batches (large fleets are subsampled per batch)
MIN_BATCHES_IN_WINDOW = 20
#: batches of this many rows take their predecessors when transformed (previous_rows.py)
PREFETCH_ROWS = 4096


class WindowedDetector(WindowParams, KpiBirths, RetrainJobs, RetrainTiming, SilenceRows,
                       RoutineRows, ThresholdParams, Detector):
    """Base for detectors that retrain on a window of recent feature rows."""

    _state_added = (SilenceRows._state_added + RoutineRows._state_added
                    + KpiBirths._state_added + RetrainTiming._state_added)
    _silence_gate = NEW_RECORD

    last_retrain_ = AnyTrait(None, help="data timestamp of the installed model")
    #: fewest window rows for a first fit (one series needs this many ticks)
    min_fit_rows: int = 128
    #: keep each window row's predecessor (same sector, previous tick) for the fit
    keeps_previous: bool = False

    def __init__(self, **params: Any) -> None:
        self._fitted: Fitted | None = None
        self.features_: FeatureExtractor | None = None
        #: feature parameters by path below ``features_`` ("weekly", "seasonal.slot_alpha"):
        #: kept here because a KPI change or ``reset()`` builds a new extractor
        self.feature_params_: dict[str, Any] = {}
        super().__init__(**params)
        self._init_state()

    @observe("kpis")
    def _kpis_changed(self, change) -> None:
        self._init_state()  # new inputs: features, window and model start over

    # -- subclass hooks ----------------------------------------------------------
    def _make_features(self) -> FeatureExtractor:
        raise NotImplementedError

    def _fit_model(self, window: np.ndarray, params: dict[str, Any]) -> Any:
        raise NotImplementedError

    def _raw_score(self, model: Any, features: np.ndarray) -> np.ndarray:
        """Row by row: a row's raw score must not depend on the rows scored with it (a
        retrain scores a few rows' predecessors alone, ``fit_inputs``)."""
        raise NotImplementedError

    def _record_score(self, model: Any, features: np.ndarray,
                      loads: np.ndarray | None = None) -> np.ndarray | None:
        """Records of a value or a level, already a score (``-log10 p`` of their own, not
        calibrated with the raw score); None = none. ``loads``: :meth:`_load_view`'s."""
        return None

    def _load_view(self, view: BatchView) -> np.ndarray | None:
        """(rows,) each row's load against its sector's usual for a part that reads it."""
        return None

    def _shift_score(self, model: Any, features: np.ndarray) -> np.ndarray | None:
        """The level-shift part's score (already a score, as the records'); None = none."""
        return None

    def _zero_state_score(self, model: Any, features: np.ndarray,
                          zeros: np.ndarray | None) -> np.ndarray | None:
        """Rows in an exact-zero state (``zeros``) read on their KPIs' own null
        (:mod:`.zero_part`), already a score; None = none."""
        return None

    def _corroborated(self, fitted: Fitted, x: np.ndarray, score: np.ndarray,
                      records: np.ndarray | None, shift: np.ndarray | None
                      ) -> tuple[np.ndarray | None, np.ndarray | None]:
        """The records and the shift part's score as the final score takes them (a
        subclass may drop readings its other parts contradict: :mod:`.corroborate`)."""
        return records, shift

    def _decision(self, fitted: Fitted | None, raw: np.ndarray | None,
                  score: np.ndarray) -> np.ndarray | None:
        """A verdict of the detector's own; None leaves it to the alarm stage's threshold.

        ``fitted`` is None before the first model (warm-up), when ``score`` is all 0.
        """
        return None

    def _explain(self, fitted: Fitted | None, features: np.ndarray) -> np.ndarray:
        return kpi_contributions(features, self.features_.feature_weights())

    def set_feature_params(self, **params: Any) -> None:
        """Set feature-extractor parameters by path ("weekly", "seasonal.slot_alpha").

        All are checked on a fresh extractor first (nothing changes on an error), then kept
        for every later extractor and applied to the current one.
        """
        configure_features(self._make_features(), params)
        self.feature_params_.update(params)
        configure_features(self.features_, params)

    # -- state --------------------------------------------------------------------
    def _init_state(self) -> None:
        self.features_ = self._make_features()
        configure_features(self.features_, self.feature_params_)
        if self.kpis:
            self.features_.kpis = list(self.kpis)
        self._fitted = None
        self._window: SampleWindow | None = None
        self._previous = PreviousRows()
        self._routine = RoutineMemory()  # a few series' routine excursions (routine.py)
        self._silence = ZeroRuns()  # a few series' zero-run record (silence_part.py)
        self._steps = StepRecord()  # and step-size record (step_record.py)
        self._cache: tuple[BatchView, np.ndarray] | None = None
        self._prefetched: Prefetched | None = None
        self._rng = np.random.default_rng(self.random_state)
        self.batches_seen_ = 0
        self.first_time_: pd.Timestamp | None = None
        self.kpi_born_ = None
        self._last_attempt: pd.Timestamp | None = None
        self.ready_time_ = self.first_attempt_ = None  # RetrainTiming's
        self._pending = False
        self._pending_fit: FitInputs | None = None  # a fit asked for, not installed yet
        self.model_version_ = 0
        self.last_retrain_ = None

    def reset(self) -> None:
        """Forget everything learned (parameters stay)."""
        self._init_state()

    @property
    def kpis_(self) -> tuple[str, ...]:
        return self.features_.kpis_ or ()

    @property
    def is_ready(self) -> bool:
        return self._fitted is not None

    @property
    def warmup_progress(self) -> float:
        if self.is_ready:
            return 1.0
        rows = len(self._window) if self._window is not None else 0
        need_rows = min(self.min_fit_rows, self.window_size)
        return float(min(self.batches_seen_ / self.warmup_batches, rows / need_rows, 0.99))

    # -- protocol -----------------------------------------------------------------
    def _features_of(self, view: BatchView) -> np.ndarray:
        if self._cache is not None and self._cache[0] is view:
            return self._cache[1]
        self._prefetch(view)
        x = self._adjust(self.features_.transform_view(view))
        self._cache = (view, x)
        return x

    def _adjust(self, x: np.ndarray) -> np.ndarray:
        """The feature rows as the detector reads them (a subclass may edit them in place)."""
        return x

    def score(self, batch: pd.DataFrame) -> Scores:
        """Score ``batch`` with the installed model; learns nothing."""
        view = self.features_.view(batch)
        x = self._features_of(view)
        return self._score_features(x, batch.index,
                                    routine=self._routine_view(view, x, update=False),
                                    silence=self._silence_view(view, update=False),
                                    zeros=self._zero_view(view), loads=self._load_view(view))

    def _score_features(self, x: np.ndarray, index: pd.Index, fitted: Fitted | None = None,
                        routine: np.ndarray | None = None,
                        silence: np.ndarray | None = None,
                        explain_from: float | None = None,
                        zeros: np.ndarray | None = None, loads: np.ndarray | None = None
                        ) -> Scores:
        """The rows' scores; ``explain_from``: the alarm threshold of a caller that reads
        the contributions of flagged rows only (a replay: the top KPI), which are then
        computed for the rows scoring at least that and the detector's own flagged rows,
        0 elsewhere (a row's contributions are its own: the same numbers where kept)."""
        fitted = fitted or self._fitted
        x = unread_view(fitted, x)  # a KPI the model has not seen live reads 0
        contrib = None if explain_from is not None else self._explain(fitted, x)
        if fitted is None:
            raw, score = None, np.zeros(len(x))
        else:
            raw = self._raw_score(fitted.model, x)
            score = fitted.calibrator(raw)
            # the zero-run record (silence_part.py) and exact-zero states (zero_part.py)
            # are records too
            found, shift = self._corroborated(fitted, x, score,
                                              self._record_score(fitted.model, x, loads),
                                              self._shift_score(fitted.model, x))
            records = strongest(found, silence, self._zero_state_score(fitted.model, x, zeros))
            score = strongest(score, records, shift)
            if routine is not None:
                routine = routine & ~never_routine(score, records, shift)
        decision = self._decision(fitted, raw, score)
        if contrib is None:
            contrib = self._explain_flagged(fitted, x, score, decision, explain_from)
        frame = contributions_frame(contrib, self.kpis_, index)
        top = None if decision is None else top_kpis(contrib, self.kpis_, decision)
        return Scores(score, decision, top, frame, routine)

    def _explain_flagged(self, fitted: Fitted | None, x: np.ndarray, score: np.ndarray,
                         decision: np.ndarray | None, threshold: float) -> np.ndarray:
        """``_explain`` of the rows an alarm stage with ``threshold`` can flag (its own
        test, ``score >= threshold`` in float64, or the detector's verdict), 0 elsewhere."""
        keep = np.asarray(score, dtype=np.float64) >= threshold
        if decision is not None:
            keep |= np.asarray(decision, dtype=bool)
        rows = np.flatnonzero(keep)
        if len(rows) == len(x):
            return self._explain(fitted, x)
        part = self._explain(fitted, x[rows])
        out = np.zeros((len(x), part.shape[1]), dtype=part.dtype)
        out[rows] = part
        return out

    def learn(self, batch: pd.DataFrame) -> RetrainJob | None:
        """Learn ``batch`` (features, window); return a retrain job when one is due."""
        view = self.features_.view(batch)
        return self._learn_view(view, self._features_of(view))

    def _learn_view(self, view: BatchView, x: np.ndarray) -> RetrainJob | None:
        self.features_.update_view(view)
        self._note_births(view.raw, view.ns())
        self._routine_view(view, x, update=True)
        self._silence_view(view, update=True)
        self._cache = None
        rows = self.features_.rows(view) if self.keeps_previous else None
        replaced = self._previous.last_x_
        if self._prefetched is not None and self._prefetched.view is not view:
            self._prefetched = None  # drawn for a batch scored and not learned
        if self.batches_seen_ >= self.warmup_batches // 2:
            self._remember(x, rows)  # the first half of warm-up: features still cold, not kept
        elif rows is not None:
            self._previous.update(rows, x)
        self._prefetched = None
        if (self._previous.last_x_ is not replaced and replaced.size
                and sys.getrefcount(replaced) == 2):
            self.features_.recycle(replaced)  # only this frame and the call above hold it
        del replaced
        self.batches_seen_ += 1
        # the latest row's time as ``timestamps.max()`` gives it (an element of the index:
        # its unit and zone), found on the int64 times: pandas' max is ~0.1 ms a tick
        now = view.timestamps[int(np.argmax(view.ns()))]
        if self.first_time_ is None:
            self.first_time_ = now
        if self._pending or not self._due(now):
            return None
        return self._make_job(now)

    def _remember(self, x: np.ndarray, rows: np.ndarray | None = None) -> None:
        if self._window is None:
            self._window = SampleWindow(self.window_size, x.shape[1])
        elif self._window.capacity != self.window_size:
            self._window = self._window.resized(self.window_size)
        kept, prev = self._previous.kept_rows(self._prefetched, self._rng, len(x),
                                              self._rows_per_batch())
        self._window.append(x[kept])
        if rows is not None:
            self._previous.remember(rows, x, kept, self.window_size, prev)

    def _prefetch(self, view: BatchView) -> None:
        """A large batch's learn draw and its kept rows' predecessors, taken before it is
        transformed, so the last batch's matrix can be stacked into (previous_rows.py)."""
        self._prefetched = None
        if (not self.keeps_previous or len(view) < PREFETCH_ROWS or self._few_series()
                or self.batches_seen_ < self.warmup_batches // 2):
            return
        self._prefetched = self._previous.prefetch(view, self.features_.rows(view), self._rng,
                                                   self._rows_per_batch(),
                                                   self.features_.recycle)

    def _rows_per_batch(self) -> int:
        """Rows one batch may add to the window, so it spans ``_window_ticks`` batches."""
        return max(1, self.window_size // self._window_ticks())

    def _window_ticks(self) -> int:
        """Ticks the window spans at least: a batch adds ``window_size / this`` rows at most."""
        return MIN_BATCHES_IN_WINDOW

    def _few_series(self) -> bool:
        return len(self.features_.registry) <= FEW_SERIES

    def _heavy_tails(self) -> bool:
        """Whether calibrations read the shoulder (``heavy_tails``, None = auto).

        One series' window is its own history: bursts seen there are its normal life.
        A fleet's window pools sectors; there a fat shoulder is mostly young baselines
        and faults, and the body alone keeps the false-alarm rate meaningful.
        """
        if self.heavy_tails is not None:
            return bool(self.heavy_tails)
        return self._few_series()

    # -- replay fast path ------------------------------------------------------------
    def score_stream(self, table: pd.DataFrame, progress: bool = False,
                     explain_from: float | None = None) -> Scores:
        """Score a whole table as batches of one timestamp each, learning as it goes.

        Equivalent to ``for b in batches: s = score(b); job = learn(b); job and
        job.run_sync()`` but faster: see :mod:`telecom_nb.detectors.stream`.
        ``explain_from``: contributions only where an alarm threshold this high can
        flag (``_score_features``); None: every row's.
        """
        from telecom_nb.detectors.stream import score_stream

        return score_stream(self, table, progress, explain_from)

