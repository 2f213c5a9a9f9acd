"""How good is a detector: row/event metrics on labelled KPI tables, and NAB v1.0 scores."""

from telecom_nb.evaluation.metrics import Evaluation, KindStats, evaluate
from telecom_nb.evaluation.nab import (
    PROFILES,
    FileScore,
    Profile,
    load_profiles,
    load_windows,
    score_file,
)
from telecom_nb.evaluation.nab_corpus import CorpusScore, optimize_threshold, score_corpus
from telecom_nb.evaluation.nab_runner import NabResult, format_nab, run_nab
from telecom_nb.evaluation.report import format_comparison

__all__ = [
    "PROFILES",
    "CorpusScore",
    "Evaluation",
    "FileScore",
    "KindStats",
    "NabResult",
    "Profile",
    "evaluate",
    "format_comparison",
    "format_nab",
    "load_profiles",
    "load_windows",
    "optimize_threshold",
    "run_nab",
    "score_corpus",
    "score_file",
]
