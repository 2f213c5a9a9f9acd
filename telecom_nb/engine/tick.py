"""One tick: validate -> score -> alarm -> learn. The only place this order is written.

Live streams (:mod:`telecom_nb.engine.runner`), replays and NAB
(:mod:`telecom_nb.engine.replay`) and ``telecom-nb bench`` all run batches through a
:class:`Tick`. Scoring never learns, so a batch is judged by a model that has not seen
it (no look-ahead); the detector learns it only after the alarm stage has spoken.
"""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd

from telecom_nb import schema
from telecom_nb.alarms.chain import AlarmChain
from telecom_nb.detectors.base import Detector, RetrainJob, Scores
from telecom_nb.engine.scored import Counters, ScoredBatch
from telecom_nb.errors import KpiInputError
from telecom_nb.sector_index import SectorIndex
from telecom_nb.sources.validation import BatchValidator


class Tick:
    """A stream's per-batch transform, with its validator, detector and alarm chain.

    The alarm chain's :class:`SectorIndex` is the stream's: shared with whatever the
    caller hands it to (history, the monitor's sector table), so a sector has one position.
    """

    def __init__(self, detector: Detector, kpis: Sequence[str], *,
                 alarms: AlarmChain | None = None,
                 validator: BatchValidator | None = None) -> None:
        self.kpis = tuple(kpis)
        self.detector = detector
        self.alarms = alarms if alarms is not None else AlarmChain(kpis=self.kpis)
        self.alarms.bind(detector)
        self.index: SectorIndex = self.alarms.index
        self.validator = validator if validator is not None else BatchValidator(self.kpis)
        self.counters = Counters()  # running totals of the stream
        self.tick = 0
        self.timestamp: pd.Timestamp | None = None
        self.last_learn_error = ""

    def run(self, batch: pd.DataFrame) -> tuple[ScoredBatch, RetrainJob | None]:
        """Score one batch; the caller runs the retrain job the detector may ask for.

        A batch that cannot be used raises :class:`KpiInputError` after being counted
        under its reason; the tick's state is then unchanged.
        """
        try:
            validated = self.validator.validate(batch)
        except KpiInputError as exc:
            self._rejected(exc.reason, batch)
            raise
        frame = validated.frame
        timestamp = (validated.timestamp if validated.timestamp is not None
                     else pd.Timestamp(frame[schema.TIMESTAMP].iloc[0]))
        try:
            scores = self.detector.score(frame)
        except KpiInputError as exc:  # the detector refused what the validator passed
            self._rejected(f"detector: {exc.reason}", batch)
            raise
        _check_lengths(self.detector, scores, len(frame))
        known = len(self.index)
        values = validated.values  # the KPIs' numbers, read once (validator's order)
        same = values is not None and tuple(self.validator.kpis) == self.kpis
        columns = self.alarms.apply_columns(
            frame, scores, timestamp,
            values if same and tuple(self.alarms.episodes.kpis) == self.kpis else None)
        counters = Counters.of_batch(validated)
        self.tick += 1
        self.timestamp = timestamp
        scored = ScoredBatch(
            tick=self.tick,
            timestamp=timestamp,
            frame=frame,
            scored=columns,
            kpi_values=dict(zip(self.kpis, values.T, strict=True)) if same else None,
            contributions=scores.contributions,
            model_version=int(self.detector.model_version_),
            detector_ready=bool(self.detector.is_ready),
            counters=counters,
            new_sectors=self.index.ids[known:],
        )
        self.counters.add(counters)
        try:
            job = self.detector.learn(frame)
        except Exception as exc:  # the batch stays scored; the old model keeps working
            self.counters.learn_errors += 1
            self.last_learn_error = f"detector.learn failed: {type(exc).__name__}: {exc}"
            job = None
        return scored, job


    def _rejected(self, reason: str, batch: pd.DataFrame) -> None:
        """Count a rejected batch under its reason (validator's or detector's)."""
        self.counters.batches_rejected[reason] += 1
        self.counters.rows_rejected += len(batch) if isinstance(batch, pd.DataFrame) else 0


def _check_lengths(detector: Detector, scores: Scores, n: int) -> None:
    for name in ("score", "is_anomaly", "top_kpi"):
        value = getattr(scores, name)
        if value is not None and len(value) != n:
            raise ValueError(f"{type(detector).__name__}.score returned {name} of length "
                             f"{len(value)} for a batch of {n} rows")
