"""The detector protocol: score a batch, then learn from it (river-style).

Scores are *higher = more anomalous*. Scoring never learns, so a pipeline that
calls ``score(batch)`` and then ``learn(batch)`` has no look-ahead.

Retraining is split so that it never blocks an event loop: ``learn`` returns a
:class:`RetrainJob` whose ``fit`` is pure (runs in a worker thread) and whose
``install`` swaps the fitted model in with one reference assignment (runs on the
loop thread). A failing ``fit`` goes to ``fail`` and the old model stays.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, ClassVar

import numpy as np
import pandas as pd
from traitlets import Int, Unicode

from telecom_nb.params import Parametrized


def strongest(*parts: np.ndarray | None) -> np.ndarray | None:
    """Row by row the largest of the parts that read (each already a ``-log10 p``);
    None when none does: a part that is not fitted is absent, not 0."""
    read = [p for p in parts if p is not None]
    if not read:
        return None
    out = read[0]
    for part in read[1:]:
        out = np.maximum(out, part)
    return out


@dataclass
class Scores:
    """What a detector says about one batch (arrays aligned with the batch rows).

    ``is_anomaly`` is ``None`` when the detector leaves the verdict to the alarm stage
    (its score is calibrated: ``telecom_nb.alarms`` thresholds it); a detector with a
    decision rule of its own (the seed's forest ``predict``, a plug-in) fills it, and
    ``top_kpi`` with it.
    """

    score: np.ndarray  # float64, finite, higher = more anomalous
    is_anomaly: np.ndarray | None = None  # bool: the detector's own verdict, if it has one
    top_kpi: np.ndarray | None = None  # object array of str, "" where not flagged
    contributions: pd.DataFrame | None = None  # per-KPI contributions, index = batch index
    #: bool: rows whose every excursion the series reached before (a few series; the
    #: alarm stage lets them open no episode: :mod:`~telecom_nb.detectors.routine`)
    routine: np.ndarray | None = None

    @classmethod
    def empty(cls, n: int) -> Scores:
        """Scores for a batch seen before the detector is ready: 0, below any threshold."""
        return cls(score=np.zeros(n))


@dataclass
class RetrainJob:
    """A retrain the caller runs: ``fit`` off the loop, then ``install`` or ``fail`` on it."""

    fit: Callable[[], Any]
    install: Callable[[Any], None]
    fail: Callable[[BaseException], None]
    data_time: pd.Timestamp | None = None
    meta: dict[str, Any] = field(default_factory=dict)
    #: the fit's result will never be installed (a stopped stream): the detector may ask again
    discard: Callable[[], None] = lambda: None

    def run_sync(self) -> bool:
        """Fit and install in the calling thread (deterministic mode). True on success."""
        try:
            model = self.fit()
        except Exception as exc:  # a failed retrain keeps the old model
            self.fail(exc)
            return False
        self.install(model)
        return True


class Detector(Parametrized):
    """Tiny base class: subclasses implement ``score`` and ``learn``.

    Fitted state carries a trailing underscore (sklearn convention); parameters are
    traits tagged ``param=True`` so widgets can link to them.
    """

    name: ClassVar[str] = "detector"

    # Observable fitted state (read-only for users; traits so the UI can observe).
    model_version_ = Int(0, help="increments at every installed retrain")
    last_error_ = Unicode("", help="message of the last failed retrain, '' if none")
    retrain_failures_ = Int(0)

    def set_params(self, **params: Any) -> Detector:
        """Set parameters atomically. A name that is not the detector's own (a feature's:
        ``features__seasonal__slot_alpha``, scikit-learn's spelling, or a bare unique leaf
        such as ``slot_alpha``) is set as ``--set`` and the constructors set it, so a notebook
        cell tunes a running detector by the names ``telecom-nb detectors`` lists."""
        if set(params) <= set(self.param_names()):
            return super().set_params(**params)
        from telecom_nb.detectors.param_paths import configure  # it imports this module

        configure(self, params)  # validates all, then sets the own ones through this method
        return self

    def score(self, batch: pd.DataFrame) -> Scores:
        """Score a batch without learning from it."""
        raise NotImplementedError

    def learn(self, batch: pd.DataFrame) -> RetrainJob | None:
        """Update state from a batch already scored; maybe ask for a retrain."""
        raise NotImplementedError

    @property
    def is_ready(self) -> bool:
        """True once warm-up is over and scores mean something."""
        return self.model_version_ > 0

    @property
    def warmup_progress(self) -> float:
        """0..1, for a progress bar while the first model is not yet trained."""
        return 1.0 if self.is_ready else 0.0

    def _record_failure(self, exc: BaseException) -> None:
        self.retrain_failures_ += 1
        self.last_error_ = f"{type(exc).__name__}: {exc}"
