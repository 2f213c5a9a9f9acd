"""Replay a NAB-layout folder through a detector and score it with NAB's rules.

Each CSV under ``<root>/data/`` (``timestamp,value``) is one series. It becomes a
KPI-schema frame (one row per timestamp, ``sector_id = "series"``, the reading in a
``value`` column that the detector is told to use via its ``kpis`` parameter when it
has one) and streams through a *fresh* detector: every row is scored before the
detector learns from it, so there is no look-ahead.

Every file is replayed through the engine (:func:`telecom_nb.engine.replay`): the same
validator, detector and alarm chain as the live monitor. What NAB scores
(``alerts=True``, the default) is the stream of *alerts* the live monitor raises: a row
carries its episode's ``alert_score`` (the episode's peak score when it opens an episode
or raises its peak, 0 otherwise). Thresholded at ``t``, that fires once per episode,
when it first reaches ``t``: what an operator is paged with. NAB counts every detection
after a window as a false positive, so scoring every anomalous *row* of a lasting fault
(``alerts=False``) punishes a detector for still seeing the fault.

NAB only needs a monotone score: its result depends on the order of the scores alone
(a row is a detection when ``score >= threshold`` and the threshold is swept over every
distinct value). Rows scored before the detector is ready carry its warm-up score
(usually 0). We also report the score of the detector's *own* flags (no threshold
tuning), which is what a user of the live monitor actually gets.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from telecom_nb import schema
from telecom_nb.alarms.chain import AlarmChain
from telecom_nb.batching import progress as progress_bar
from telecom_nb.defaults import ALERT_CLOSE_AFTER
from telecom_nb.detectors.base import Detector
from telecom_nb.engine.replay import replay
from telecom_nb.errors import KpiInputError
from telecom_nb.evaluation.nab import FileRows, Profile, Window, load_profiles, load_windows
from telecom_nb.evaluation.nab_corpus import (
    CorpusScore,
    corpus_rows,
    optimize_threshold,
    score_corpus,
)
from telecom_nb.evaluation.nab_loss import corpus_loss

VALUE = "value"  # the single reading of a NAB file


@dataclass
class NabResult:
    """One detector on a NAB corpus: normalised score and threshold per profile."""

    detector: str
    scores: dict[str, float]  # profile -> normalised score at the optimised threshold
    thresholds: dict[str, float]  # profile -> optimised threshold (detector score units)
    own_flags: dict[str, float]  # profile -> normalised score of the detector's own flags
    corpus: dict[str, CorpusScore]  # profile -> full corpus score (raw, null, perfect, files)
    rows: int
    seconds: float
    files: list[str] = field(default_factory=list)
    unit: str = "alerts"  # "alerts" (episode onsets) or "rows" (every anomalous row)
    #: what the thresholds were swept over: each file's scores, timestamps and windows,
    #: and the profiles (read by :meth:`loss`)
    file_scores: dict[str, np.ndarray] = field(default_factory=dict, repr=False)
    timestamps: dict[str, pd.Series] = field(default_factory=dict, repr=False)
    windows: dict[str, list[Window]] = field(default_factory=dict, repr=False)
    profiles: dict[str, Profile] = field(default_factory=dict, repr=False)
    #: each file's per-row detector score (``keep_rows=True`` only): what an alert's
    #: episode peaked at and how close a missed window came (analysis)
    row_scores: dict[str, np.ndarray] = field(default_factory=dict, repr=False)
    #: each file's rows placed against its windows, once for every scoring of these
    #: files (read through :meth:`placed`)
    placed_rows: dict[str, FileRows] = field(default_factory=dict, repr=False, compare=False)

    def placed(self) -> dict[str, FileRows]:
        """Each file's rows placed against its windows (:func:`.nab_corpus.corpus_rows`):
        the ``rows`` of any scoring of this run's files (``optimize_threshold``,
        ``corpus_loss``, ...), so a probe that scores them many times places them once."""
        rows = getattr(self, "placed_rows", None)  # (a run pickled before it: none)
        if not rows:
            rows = self.placed_rows = corpus_rows(self.file_scores, self.windows,
                                                  timestamps=self.timestamps)
        return rows

    def loss(self, profile: str) -> pd.DataFrame:
        """Per file, the score lost to false alarms, late and missed windows at the
        profile's corpus threshold (:func:`~telecom_nb.evaluation.nab_loss.corpus_loss`)."""
        return corpus_loss(self.file_scores, self.windows, self.profiles[profile],
                           self.thresholds[profile], timestamps=self.timestamps,
                           rows=self.placed())

    @property
    def rows_per_s(self) -> float:
        return self.rows / self.seconds if self.seconds > 0 else float("inf")

    def as_dict(self) -> dict[str, Any]:
        """JSON form: one key per profile, plus ``per_file`` raw scores and ``thresholds``."""
        out: dict[str, Any] = {"detector": self.detector, "unit": self.unit}
        out.update({name: score for name, score in self.scores.items()})
        out["thresholds"] = dict(self.thresholds)
        out["own_flags"] = dict(self.own_flags)
        out["raw"] = {name: c.raw for name, c in self.corpus.items()}
        out["null"] = {name: c.null for name, c in self.corpus.items()}
        out["perfect"] = {name: c.perfect for name, c in self.corpus.items()}
        out["per_file"] = {
            path: {name: c.per_file[path].score for name, c in self.corpus.items()}
            for path in self.files
        }
        out["rows"] = self.rows
        out["seconds"] = self.seconds
        out["rows_per_s"] = self.rows_per_s if self.seconds > 0 else None
        return out


def read_nab_file(path: Path) -> pd.DataFrame:
    """A NAB CSV as a KPI-schema frame (one series), in file order."""
    raw = pd.read_csv(path)
    missing = [c for c in ("timestamp", VALUE) if c not in raw.columns]
    if missing:
        raise KpiInputError(f"{path}: column(s) {', '.join(missing)} not found (NAB layout)")
    ts = pd.to_datetime(raw["timestamp"], errors="coerce")
    if ts.isna().any():
        row = int(np.flatnonzero(ts.isna().to_numpy())[0])
        raise KpiInputError(f"{path}: row {row} has an unreadable timestamp")
    values = pd.to_numeric(raw[VALUE], errors="coerce")
    if values.isna().any():
        row = int(np.flatnonzero(values.isna().to_numpy())[0])
        raise KpiInputError(f"{path}: row {row} has a non-numeric value {raw[VALUE].iloc[row]!r}")
    ts = ts.dt.tz_localize("UTC") if ts.dt.tz is None else ts.dt.tz_convert("UTC")
    return pd.DataFrame(
        {
            schema.TIMESTAMP: ts,
            schema.SECTOR: schema.SINGLE_SERIES_ID,
            schema.PROVINCE: schema.UNKNOWN_PROVINCE,
            schema.LAT: np.nan,
            schema.LON: np.nan,
            VALUE: values.astype(float),
        }
    )


def _factory(detector_factory: Callable[[], Detector] | str) -> tuple[Callable[[], Detector], str]:
    if callable(detector_factory):
        return detector_factory, ""
    name = str(detector_factory)

    def make() -> Detector:
        from telecom_nb.detectors import make_detector

        return make_detector(name)

    return make, name


def nab_files(nab_root: Path, files: Iterable[str] | None = None) -> list[str]:
    """Relative paths (``realKnownCause/nyc_taxi.csv``) of the CSVs to run."""
    data = nab_root / "data"
    if not data.is_dir():
        raise FileNotFoundError(f"NAB data folder {data} not found")
    available = sorted(p.relative_to(data).as_posix() for p in data.rglob("*.csv"))
    if files is None:
        return available
    wanted = list(files)
    unknown = [f for f in wanted if f not in available]
    if unknown:
        raise KpiInputError(f"NAB file(s) not found under {data}: {', '.join(unknown)}")
    return wanted


def run_nab(
    nab_root: str | Path,
    detector_factory: Callable[[], Detector] | str = "iforest",
    *,
    files: Iterable[str] | None = None,
    progress: bool = True,
    alerts: bool = True,
    close_after: int = ALERT_CLOSE_AFTER,
    alarm_params: dict[str, Any] | None = None,
    keep_rows: bool = False,
) -> NabResult:
    """Stream every NAB file through a fresh detector and score the corpus per profile.

    ``alerts=True`` scores the alert stream (episode onsets and escalations, episodes
    closing after ``close_after`` normal rows); ``alerts=False`` scores every row.
    ``alarm_params`` set the rest of the alarm stage (``escalate_by``, ...), or
    ``close_after`` too. ``keep_rows`` keeps each file's per-row score as well
    (``NabResult.row_scores``, for :mod:`benchmarks.nab_loss`).
    """
    alarm_params = {"close_after": close_after, **(alarm_params or {})}
    AlarmChain(**alarm_params)  # validated before the long run
    root = Path(nab_root)
    make, name = _factory(detector_factory)
    windows = load_windows(root)
    profiles = load_profiles(root)
    paths = nab_files(root, files)
    unlabelled = [p for p in paths if p not in windows]
    if unlabelled:
        raise KpiInputError(f"no label windows for: {', '.join(unlabelled)}")

    iterator = progress_bar(paths, desc="nab", enabled=progress)

    scores: dict[str, np.ndarray] = {}
    flags: dict[str, np.ndarray] = {}
    stamps: dict[str, pd.Series] = {}
    kept: dict[str, np.ndarray] = {}
    rows = 0
    seconds = 0.0
    for rel in iterator:
        frame = read_nab_file(root / "data" / rel)
        detector = make()
        name = name or getattr(detector, "name", type(detector).__name__)
        started = time.perf_counter()
        scored = replay(frame, detector, [VALUE], alarms=AlarmChain(**alarm_params)).frame
        seconds += time.perf_counter() - started
        rows += len(frame)
        if alerts:
            score = scored[schema.ALERT_SCORE].to_numpy(dtype=float)
            flag = score > 0
        else:
            score = scored[schema.SCORE].to_numpy(dtype=float)
            flag = scored[schema.IS_ANOMALY].to_numpy(dtype=bool)
        scores[rel] = score
        if keep_rows:
            kept[rel] = scored[schema.SCORE].to_numpy(dtype=float)
        flags[rel] = flag.astype(float)
        stamps[rel] = frame[schema.TIMESTAMP]

    corpus: dict[str, CorpusScore] = {}
    own: dict[str, float] = {}
    placed = corpus_rows(scores, windows, timestamps=stamps)  # once for the six scorings
    for pname, profile in profiles.items():
        corpus[pname] = optimize_threshold(scores, windows, profile, rows=placed)
        own[pname] = score_corpus(flags, windows, profile, 0.5, rows=placed).normalized
    return NabResult(
        detector=name,
        scores={p: c.normalized for p, c in corpus.items()},
        thresholds={p: c.threshold for p, c in corpus.items()},
        own_flags=own,
        corpus=corpus,
        rows=rows,
        seconds=seconds,
        files=paths,
        unit="alerts" if alerts else "rows",
        file_scores=scores,
        timestamps=stamps,
        windows={p: windows[p] for p in paths},
        profiles=profiles,
        row_scores=kept,
        placed_rows=placed,
    )


def format_nab(result: NabResult) -> str:
    """A terminal summary: per-profile scores, thresholds, speed, and the per-file table."""
    profiles = list(result.scores)
    lines = [
        f"NAB v1.0 scores of {result.detector!r} on {len(result.files)} files "
        f"({result.rows:,} rows, {result.rows_per_s:,.0f} rows/s), scoring its {result.unit}",
        "0 = null detector, 100 = perfect; threshold optimised over the corpus per profile",
        "",
    ]
    w = max(len(p) for p in profiles)
    lines.append(f"{'profile'.ljust(w)}  {'score':>7}  {'own flags':>9}  {'threshold':>10}")
    for p in profiles:
        lines.append(
            f"{p.ljust(w)}  {result.scores[p]:7.1f}  {result.own_flags[p]:9.1f}  "
            f"{result.thresholds[p]:10.4g}"
        )
    lines.append("")
    fw = max((len(f) for f in result.files), default=4)
    lines.append("raw score per file (at each profile's threshold)")
    lines.append(f"{'file'.ljust(fw)}  " + "  ".join(f"{p[:18]:>18}" for p in profiles))
    for f in result.files:
        cells = "  ".join(f"{result.corpus[p].per_file[f].score:18.3f}" for p in profiles)
        lines.append(f"{f.ljust(fw)}  {cells}")
    return "\n".join(lines)
