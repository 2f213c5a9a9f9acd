"""NAB files' rows placed once (``corpus_rows``) and weighed per profile: the same scores,
bit for bit, and ``run_nab`` converts each file's timestamps once, not once a scoring."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from telecom_nb.errors import KpiInputError
from telecom_nb.evaluation import nab, nab_corpus
from telecom_nb.evaluation.nab import PROFILES
from telecom_nb.evaluation.nab_corpus import optimize_threshold, score_corpus
from telecom_nb.evaluation.nab_runner import run_nab
from tests.test_nab import RollingZ, _write_nab_root


def _corpus(seed: int) -> tuple[dict, dict, dict]:
    """Three files of tied scores, with a repeated timestamp and windows near the ends."""
    rng = np.random.default_rng(seed)
    scores, stamps, windows = {}, {}, {}
    for f in range(3):
        n = int(rng.integers(150, 400))
        ts = pd.Series(pd.date_range("2021-01-01", periods=n, freq="h"))
        ts[41] = ts[40]
        starts = sorted(rng.choice(np.arange(2, n - 30, 40), size=3, replace=False))
        name = f"d/file{f}.csv"
        scores[name] = np.round(rng.random(n) ** 3, 2)
        stamps[name] = ts
        windows[name] = [(ts[s], ts[s + int(rng.integers(1, 25))]) for s in starts]
    return scores, stamps, windows


@pytest.mark.parametrize("seed", [0, 1, 2, 3])
def test_prepared_rows_score_bit_for_bit_as_unprepared(seed):
    scores, stamps, windows = _corpus(seed)
    flags = {p: (s >= 0.3).astype(float) for p, s in scores.items()}
    placed = nab_corpus.corpus_rows(scores, windows, timestamps=stamps)
    for profile in PROFILES.values():
        for p in scores:  # the weighed layout is file_layout's, exactly
            fresh = nab.file_layout(stamps[p], windows[p], profile)
            again = nab.weigh(placed[p], profile)
            assert np.array_equal(fresh.sweep, again.sweep)
            assert np.array_equal(fresh.window, again.window)
            assert fresh.probation == again.probation
        want = optimize_threshold(scores, windows, profile, timestamps=stamps)
        got = optimize_threshold(scores, windows, profile, rows=placed)
        assert got.as_dict() == want.as_dict()
        for t in (0.0, 0.3, 0.5, 2.0):
            assert (score_corpus(flags, windows, profile, t, rows=placed).as_dict()
                    == score_corpus(flags, windows, profile, t, timestamps=stamps).as_dict())


def test_prepared_rows_must_match_the_scored_files():
    scores, stamps, windows = _corpus(0)
    placed = nab_corpus.corpus_rows(scores, windows, timestamps=stamps)
    with pytest.raises(KpiInputError, match="not among the prepared"):
        score_corpus({"other.csv": np.zeros(3)}, windows, "standard", 0.5, rows=placed)
    short = {"d/file0.csv": scores["d/file0.csv"][:-1]}
    with pytest.raises(KpiInputError, match="prepared rows"):
        score_corpus(short, windows, "standard", 0.5, rows=placed)
    bad = {"d/file0.csv": np.where(np.arange(len(scores["d/file0.csv"])) == 7, np.nan, 0.0)}
    with pytest.raises(KpiInputError, match="row 7 is not finite"):
        optimize_threshold(bad, windows, "standard", rows=placed)
    with pytest.raises(KpiInputError, match="no files"):
        nab_corpus.corpus_rows({}, windows)


def test_run_nab_converts_each_files_timestamps_once(tmp_path, monkeypatch):
    """Three profiles x (optimised threshold, own flags) used to place every file's rows
    six times (a ``to_datetime`` of the whole file each time): ~0.3 s of the 31 files."""
    _write_nab_root(tmp_path, n_files=2)
    converted: list[int] = []
    as_ns = nab.as_ns

    def counting(values):
        out = as_ns(values)
        if len(out) > 1:  # a file's timestamps, not one window bound
            converted.append(len(out))
        return out

    monkeypatch.setattr(nab, "as_ns", counting)
    monkeypatch.setattr(nab_corpus, "as_ns", counting, raising=False)
    result = run_nab(tmp_path, RollingZ, progress=False)
    assert converted == [400, 400]
    assert 90.0 <= result.scores["standard"] <= 100.0
