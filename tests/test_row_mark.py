"""The per-row mark: a neighbourhood off on two families at once leaves every part's fit."""

from __future__ import annotations

import numpy as np
import pandas as pd

from telecom_nb.detectors import area_fit, iforest, make_detector
from telecom_nb.detectors.feature_tails import continues
from telecom_nb.detectors.row_mark import AREA_YOUNG, MARK_Z, area_rows, marked, split
from telecom_nb.engine.replay import replay
from telecom_nb.schema import KPIS
from telecom_nb.sources.simulator import KpiSimulator

PAIRS = ((0, 4), (1, 5), (2, 6), (3, 7))  # KPIs 0-1 one family, 2-3 another


def _window(n: int = 2000, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    a, b = rng.normal(size=n), rng.normal(size=n)
    season = np.c_[a, a + 0.1 * rng.normal(size=n), b, b + 0.1 * rng.normal(size=n)]
    area = np.zeros((n, 4))
    return np.c_[season, area]


def test_two_families_off_in_the_area_are_marked_one_is_not() -> None:
    w = _window()
    w[10, [4, 6]] = MARK_Z + 1.0  # both families: a cluster's cell
    w[20, [4, 5]] = -(MARK_Z + 2.0)  # two KPIs of one family: a crowd
    w[30, 4] = w[30, 7] = MARK_Z - 0.5  # two families, not far enough
    mark = marked(w, PAIRS)
    assert mark is not None
    assert np.flatnonzero(mark).tolist() == [10]


def test_nothing_marked_without_two_families_or_when_the_window_is_the_event() -> None:
    w = _window()
    assert marked(w, PAIRS) is None  # nothing off
    assert marked(w, PAIRS[:1]) is None  # one KPI: no families
    w[:, [4, 6]] = MARK_Z + 1.0  # every row: the window's normal, kept
    assert marked(w, PAIRS) is None


def test_the_fits_read_the_window_without_its_marked_rows() -> None:
    w = _window()
    w[[5, 50, 500], 4] = w[[5, 50, 500], 7] = 6.0
    prev = w + 1.0
    kept, kept_prev, rows = split(w, prev, PAIRS)
    assert len(kept) == len(w) - 3 and len(kept_prev) == len(w) - 3
    assert not np.isin(kept[:, 4], 6.0).any() and np.array_equal(kept_prev, kept + 1.0)
    assert rows is not None and rows[0] is w and rows[1] is prev  # the area part's
    plain = _window()
    same, same_prev, none = split(plain, prev, PAIRS)  # nothing marked: as given
    assert none is None and same is plain and same_prev is prev


def test_a_fleets_retrain_fits_its_parts_on_the_unmarked_rows(monkeypatch) -> None:
    """Wiring: a fleet with coordinates splits its window at its retrains once the area part
    is fitted (2 days of data time: `part_schedule.AREA_AFTER`; a few series never), and the
    parts' fits read what the split kept."""
    seen: list[tuple[int, int]] = []  # (window rows, rows kept) of splits with area pairs
    tails_rows: list[int] = []
    fit = iforest.FeatureTails.fit

    def first_rows_marked(window, pairs):  # the first 7 rows "marked"
        if not pairs:  # the area part's first 2 days: nothing to mark by
            return None
        seen.append((len(window), len(window) - 7))
        return np.arange(len(window)) < 7

    def counted(features, *args, **kwargs):
        tails_rows.append(len(features))
        return fit(features, *args, **kwargs)

    monkeypatch.setattr(iforest, "marked", first_rows_marked)
    monkeypatch.setattr(iforest.FeatureTails, "fit", staticmethod(counted))
    table = KpiSimulator(n_sectors=16, seed=2134, step="1h").run(96)
    det = make_detector("iforest")
    replay(table, det, list(KPIS))
    assert seen and det.model_version_ >= 1 and det.retrain_failures_ == 0
    kept = {k for _, k in seen}
    assert kept & set(tails_rows)  # the parts' tails were fitted on the kept rows
    seen.clear()
    few = table[table["sector_id"].isin(pd.unique(table["sector_id"])[:2])]
    replay(few, make_detector("iforest"), list(KPIS))
    assert not seen  # a few series: heavy tails, nothing is marked


def test_the_calibration_reads_every_row_as_scored(monkeypatch) -> None:
    """A retrain that left marked rows out reads the kept rows' raw scores from its fit and
    scores the marked ones: every row's raw score and continuation as the whole window's
    direct reading gives, byte for byte."""
    checked: list[bool] = []
    reference = iforest.IsolationForestDetector._reference

    def first_rows_marked(window, pairs):
        return np.arange(len(window)) < 7 if pairs else None

    def compared(self, model, ref, previous, known=None):
        whole = model.fit_ref[0] is not None and model.fit_ref[0].whole is not None
        raw, cont = reference(self, model, ref, previous, known)
        if known is None and whole:
            base = model.base
            want = continues(model.tails, base(ref), None if previous is None else base(previous))
            assert raw.tobytes() == self._raw_score(model, ref).tobytes()
            assert cont.tobytes() == want.tobytes()
            checked.append(True)
        return raw, cont

    monkeypatch.setattr(iforest, "marked", first_rows_marked)
    monkeypatch.setattr(iforest.IsolationForestDetector, "_reference", compared)
    det = make_detector("iforest")
    replay(KpiSimulator(n_sectors=16, seed=2134, step="1h").run(96), det, list(KPIS))
    assert checked and det.retrain_failures_ == 0


def test_the_area_part_is_fitted_before_the_kept_rows_are_copied(monkeypatch) -> None:
    """A retrain with marked rows fits the area part (its own copy of the rows it reads)
    while the window's kept rows are not copied yet: the two copies never coexist (a 2M
    replay's peak RSS was the area fit beside them, issue 12); the parts as before."""
    order: list[str] = []
    fit_area, split_marked = iforest.fit_area, iforest.split_marked

    def spied_area(*args, **kwargs):
        order.append("area")
        return fit_area(*args, **kwargs)

    def spied_split(window, previous, mark):
        order.append("split" if mark is not None else "none")
        return split_marked(window, previous, mark)

    monkeypatch.setattr(iforest, "marked", lambda w, pairs: np.arange(len(w)) < 7 if pairs
                        else None)
    monkeypatch.setattr(iforest, "fit_area", spied_area)
    monkeypatch.setattr(iforest, "split_marked", spied_split)
    det = make_detector("iforest")
    replay(KpiSimulator(n_sectors=16, seed=2134, step="1h").run(96), det, list(KPIS))
    marked_fits = [i for i, what in enumerate(order) if what == "split"]
    assert marked_fits and det.retrain_failures_ == 0
    assert all(order[i - 1] == "area" for i in marked_fits)
    assert order.count("area") == len(marked_fits)


def test_the_area_null_skips_only_the_youngest_marked_rows() -> None:
    kept = np.ones(3000, dtype=bool)
    kept[[5, 1500, 2100, 2999]] = False  # marked; the youngest third from row 2000
    use = area_rows(kept)
    assert np.flatnonzero(~use).tolist() == [2100, 2999]
    assert AREA_YOUNG * 3000 == 1000


def _cluster_window(at: slice, seed: int = 3) -> tuple[np.ndarray, np.ndarray]:
    """A window whose area columns are small on a third of the rows, with 60 rows of a
    cluster (area z 6-9 on both families) at ``at``; and its marks."""
    rng = np.random.default_rng(seed)
    w = _window(6000, seed)
    some = rng.random(len(w)) < 0.3
    w[some, 4:] = np.abs(rng.normal(size=(int(some.sum()), 4)))
    w[at, 4] = w[at, 6] = rng.uniform(6.0, 9.0, size=60)
    mark = marked(w, PAIRS)
    assert mark is not None and mark[at].all()
    return w, ~mark


def test_yesterdays_cluster_leaves_the_area_null_an_older_one_does_not() -> None:
    """Wiring (`area_fit.fit_area`): the same cluster rows, young, no longer set the tail
    a new cluster row is read against; older, they still do."""
    row = np.zeros((1, 8))
    row[0, 4] = row[0, 6] = 5.0  # today's cluster cell
    read = {}
    for name, at in (("old", slice(100, 160)), ("young", slice(5900, 5960))):
        w, kept = _cluster_window(at)
        part = area_fit.fit_area((w, None, kept), None, PAIRS, False, (), 0)
        assert part is not None
        read[name] = float(part(row)[0])
    assert read["young"] > read["old"] + 0.5
