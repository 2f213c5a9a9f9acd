"""Range novelty: a value beyond the weeks-long range of its series, judged causally."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

from telecom_nb import schema as S
from telecom_nb.errors import ParameterError
from telecom_nb.features import KpiFeatures
from telecom_nb.features.range_novelty import RangeNovelty
from telecom_nb.features.view import make_view


def bursty(days: int = 8, seed: int = 3, freq: str = "30min") -> pd.DataFrame:
    """A bursty single series (gamma noise on a daily cycle), one row per tick."""
    rng = np.random.default_rng(seed)
    ts = pd.date_range("2024-02-01", periods=days * pd.Timedelta("1D") // pd.Timedelta(freq),
                       freq=freq, tz="UTC")
    hod = ts.hour.to_numpy() + ts.minute.to_numpy() / 60
    v = 20 + 10 * np.sin(2 * np.pi * hod / 24) + rng.gamma(0.6, 8.0, len(ts))
    return pd.DataFrame({S.TIMESTAMP: ts, S.SECTOR: "s", S.PROVINCE: "p", "value": v})


def stream(part: RangeNovelty, frame: pd.DataFrame) -> np.ndarray:
    """The part's z of each row, scored before it is learned (as a live stream)."""
    part.bind(("value",))
    out = np.zeros(len(frame))
    for i in range(len(frame)):
        view = make_view(frame.iloc[i:i + 1], ("value",))
        out[i] = part.transform_view(view)[0, 0]
        part.update_view(view)
    return out


def test_a_value_beyond_the_weeks_range_stands_out_and_the_usual_range_does_not():
    frame = bursty()
    at = len(frame) - 20
    frame.loc[at, "value"] = frame["value"].iloc[:at].max() * 3.0  # a new extreme
    frame.loc[at + 5, "value"] = frame["value"].iloc[:at].median()  # an ordinary value
    z = stream(RangeNovelty(), frame)
    assert z[at] > 3.5  # p below 5e-4: a record, beyond the daily maxima's spread
    assert z[at + 5] == 0.0
    # nothing before two complete day blocks (a young series has no range yet)
    assert not z[: 2 * 48].any()
    # records of the normal life are rare and mild
    assert (np.abs(z[:at]) > 0).mean() < 0.02
    assert np.abs(z[:at]).max() < z[at]


def test_a_drop_below_the_range_is_negative_and_percent_kpis_use_their_physical_span():
    frame = bursty()
    at = len(frame) - 10
    frame.loc[at, "value"] = frame["value"].iloc[:at].min() / 10
    assert stream(RangeNovelty(), frame)[at] < -4.0
    # a success ratio that never left 100 %: a 0.3-point dip is within 5 % of the 0-100 span
    ratio = frame.assign(value=100.0)
    ratio.loc[at, "value"] = 99.7
    part = RangeNovelty()
    part.bind(("value",))
    part.percent_[:] = True
    z = np.zeros(len(ratio))
    for i in range(len(ratio)):
        view = make_view(ratio.iloc[i:i + 1], ("value",))
        z[i] = part.transform_view(view)[0, 0]
        part.update_view(view)
    assert abs(z[at]) < 4.0


def test_no_look_ahead_scores_of_early_rows_ignore_later_rows():
    frame = bursty(days=5)
    changed = frame.copy()
    k = 3 * 48 + 7
    changed.loc[k:, "value"] = changed["value"].iloc[k:] * 5.0
    a, b = stream(RangeNovelty(), frame), stream(RangeNovelty(), changed)
    np.testing.assert_array_equal(a[:k], b[:k])
    assert (b[k:] != a[k:]).any()


def test_blocks_expire_after_the_window():
    frame = bursty(days=10)
    frame.loc[10, "value"] = 1e4  # an old extreme, two days into the series
    at = len(frame) - 5
    frame.loc[at, "value"] = 500.0
    assert stream(RangeNovelty(blocks=3), frame)[at] > 4.0  # the old extreme has expired
    assert stream(RangeNovelty(blocks=21), frame)[at] == 0.0  # still in the window


def test_pipeline_switch_and_validated_parameters():
    feats = KpiFeatures(kpis=["value"])
    feats.bind(("value",))
    assert "value:novelty_z" in feats.feature_names
    feats.novelty = False
    assert "value:novelty_z" not in feats.feature_names
    feats.set_part_params("novelty", blocks=7, tolerance=0.1)
    for bad in ({"blocks": 0}, {"tolerance": 0.0}, {"block": "-1h"}, {"block": "soon"}):
        with pytest.raises(ParameterError):
            RangeNovelty(**bad)


def test_a_value_back_at_its_stored_maximum_is_no_record():
    """The ring keeps float32 extremes: a CPU back at 100 % (``log1p(100)`` rounds down
    when stored) must not read as beyond it, in every path (per tick, one-series pass)."""
    from tests.feature_loop import loop_features, pass_features

    frame = bursty(days=6, freq="1h")
    frame.loc[frame.index % 24 == 3, "value"] = 100.0  # a daily burst to the cap
    at = len(frame) - 4
    frame.loc[at, "value"] = 100.0 * 1.5  # beyond it: a record
    z = stream(RangeNovelty(), frame)
    capped = (frame["value"] == 100.0).to_numpy() & (np.arange(len(frame)) >= 3 * 24)
    assert capped.sum() >= 3 and not z[capped].any()
    assert z[at] > 3.0
    loop, expected = loop_features(frame, ["value"])
    _, got = pass_features(frame, ["value"], [1, len(frame) // 2, len(frame)])
    col = loop.feature_names.index("value:novelty_z")
    assert not expected[capped, col].any() and expected[at, col] > 3.0
    np.testing.assert_array_equal(got, expected)


def test_a_batch_in_any_row_order_or_with_a_sector_twice_learns_the_same():
    """Distinct sectors in registry order take plain scatters; any other batch (a sector
    twice, rows out of order) folds row by row: the same block extremes and counts."""
    rng = np.random.default_rng(5)
    ts = pd.Timestamp("2024-02-01", tz="UTC")
    frame = pd.DataFrame({S.TIMESTAMP: ts, S.SECTOR: [f"s{i}" for i in range(6)],
                          S.PROVINCE: "p", "value": rng.normal(size=6)})
    later = frame.assign(value=rng.normal(size=6))
    twice = pd.concat([later, later.iloc[[4, 1]].assign(value=[9.0, -9.0])])
    states = []
    for second in (later, later.iloc[::-1], twice):
        part = RangeNovelty()
        part.bind(("value",))
        part.update_view(make_view(frame, ("value",)))
        part.update_view(make_view(second, ("value",)))
        states.append((part.cur_max_[:6].copy(), part.cur_min_[:6].copy(),
                       part.cur_n_[:6].copy()))
    for a, b in zip(states[0], states[1], strict=True):
        np.testing.assert_array_equal(a, b)
    mx, mn, n = states[2]
    assert n.tolist() == [2, 3, 2, 2, 3, 2]
    assert mx[4] > states[0][0][4] and mn[1] < states[0][1][1]  # the extra rows' values
    np.testing.assert_array_equal(np.delete(mx, 4), np.delete(states[0][0], 4))


def test_a_tick_in_registry_order_scores_as_one_in_any_order():
    """Sectors in registry order read the state in place (a slice, no gather): the same z
    as the same ticks in reverse order, a new sector and a rolled block included."""
    rng = np.random.default_rng(9)
    ts = pd.date_range("2024-02-01", periods=4 * 4, freq="6h", tz="UTC")
    sectors = [f"s{i}" for i in range(6)]
    parts, got = [RangeNovelty(), RangeNovelty()], [[], []]
    for p in parts:
        p.bind(("value",))
    for t, stamp in enumerate(ts):
        frame = pd.DataFrame({S.TIMESTAMP: stamp, S.SECTOR: sectors, S.PROVINCE: "p",
                              "value": rng.gamma(0.6, 8.0, 6) + (40.0 if t == 13 else 0.0)})
        if t == len(ts) - 1:  # a sector never seen: not known, scored 0
            frame = pd.concat([frame, frame.iloc[:1].assign(**{S.SECTOR: "new"})])
        back = frame if t == 0 else frame.iloc[::-1]  # registered in order, then reversed
        for k, (part, batch) in enumerate(zip(parts, (frame, back), strict=True)):
            view = make_view(batch, ("value",))
            st = part.st_.copy()
            z = part.transform_view(view)[:, 0]
            np.testing.assert_array_equal(part.st_, st)  # read, never written
            got[k].append(z if k == 0 or t == 0 else z[::-1])
            part.update_view(view)
    ordered, reversed_ = np.concatenate(got[0]), np.concatenate(got[1])
    assert (ordered > 2.0).sum() >= 3 and ordered[-1] == 0.0
    np.testing.assert_array_equal(ordered, reversed_)


def test_distinct_sectors_out_of_registry_order_take_no_unbuffered_fold(monkeypatch):
    """Only a sector twice needs the row-by-row ``.at`` fold; distinct sectors in any order
    scatter (an export's rows out of registry order each tick: 0.55 s of its replay)."""
    from telecom_nb.features import range_novelty

    class NoAt:
        def __init__(self, ufunc):
            self.ufunc = ufunc

        def __call__(self, *args, **kwargs):
            return self.ufunc(*args, **kwargs)

        def at(self, *args):
            raise AssertionError("unbuffered fold")

    class Numpy:
        fmax, fmin, add = NoAt(np.fmax), NoAt(np.fmin), NoAt(np.add)

        def __getattr__(self, name):
            return getattr(np, name)

    ts = pd.Timestamp("2024-02-01", tz="UTC")
    frame = pd.DataFrame({S.TIMESTAMP: ts, S.SECTOR: [f"s{i}" for i in range(6)],
                          S.PROVINCE: "p", "value": np.arange(6.0)})
    part = RangeNovelty()
    part.bind(("value",))
    part.update_view(make_view(frame, ("value",)))
    monkeypatch.setattr(range_novelty, "np", Numpy())
    part.update_view(make_view(frame.iloc[[3, 0, 5, 1, 4, 2]], ("value",)))
    assert part.cur_n_[:6].tolist() == [2] * 6
    # rows 0..5 out of order: the first and last span them, yet no in-place slice
    swapped = frame.iloc[[0, 2, 1, 3, 4, 5]].assign(value=[9.0, 1.0, 8.0, 0.0, 0.0, 7.0])
    part.update_view(make_view(swapped, ("value",)))
    monkeypatch.undo()
    ref = RangeNovelty()
    ref.bind(("value",))
    for batch in (frame, frame, swapped.sort_values(S.SECTOR)):
        ref.update_view(make_view(batch, ("value",)))
    np.testing.assert_array_equal(part.cur_max_[:6], ref.cur_max_[:6])
    assert ref.cur_max_[1, 0] > ref.cur_max_[2, 0]  # s1's 8 and s2's own 2 (not s1's 1)
    monkeypatch.setattr(range_novelty, "np", Numpy())
    with pytest.raises(AssertionError, match="unbuffered"):  # a sector twice still folds
        part.update_view(make_view(frame.iloc[[3, 0, 3]], ("value",)))


def test_ring_medians_are_numpys_nanmedian_bit_for_bit():
    """The blocks' medians come from one sort, not numpy's masked-array nanmedian: the same
    numbers, a zero median +0.0 whichever zeros sort first, a lane of NaN only NaN."""
    from telecom_nb.features.range_novelty import lane_medians

    rng = np.random.default_rng(4)
    for t in range(60):
        shape = (int(rng.integers(1, 60)), int(rng.integers(1, 30)), int(rng.integers(1, 5)))
        a = rng.standard_normal(shape) * 10.0 ** rng.integers(-5, 5, size=shape)
        a[rng.random(shape) < 0.4] = np.nan
        a[rng.random(shape) < 0.2] = [0.0, -0.0, np.inf, 1.7e308][t % 4]
        a = np.round(a) if t % 3 == 0 else a  # ties
        a[0] = np.nan
        with np.errstate(all="ignore"), warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            want = np.nanmedian(a, axis=1)
        assert lane_medians(a).tobytes() == want.tobytes()
