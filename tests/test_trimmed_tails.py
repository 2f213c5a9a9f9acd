"""A fleet's feature tails fitted again without the rows the max flags: a short fault kind
that fills a feature's deepest level no longer sets the tail its next spike is read on."""

from __future__ import annotations

import math

import numpy as np

from telecom_nb.detectors.feature_tails import BODY_MASS, FeatureTails
from telecom_nb.detectors.trimmed_tails import refit_unflagged


def units_of(p: float) -> float:
    """The units a tail probability ``p`` is worth (``ln(0.25 / p)``)."""
    return math.log(BODY_MASS / p)


def spiky_window(seed: int, sectors: int = 200, ticks: int = 150, features: int = 20):
    """Unit-normal features, rows in tick order with each row's predecessor; feature 0 has
    one- and two-row spikes at |z| 4.5-9 starting in 0.3 % of its rows (an hourly latency's
    spikes: more onsets than the deepest tail level's 0.2 %)."""
    rng = np.random.default_rng(seed)
    z = rng.normal(size=(ticks, sectors, features))
    n = int(0.003 * ticks * sectors)
    for t, s, length in zip(rng.integers(0, ticks - 3, n), rng.integers(0, sectors, n),
                            rng.integers(1, 3, n), strict=True):
        z[t : t + length, s, 0] = rng.uniform(4.5, 9, length) * rng.choice([-1.0, 1.0])
    previous = np.concatenate([np.full((1, sectors, features), np.nan), z[:-1]])
    return z.reshape(-1, features), previous.reshape(-1, features)


def test_a_short_fault_kind_does_not_set_the_deep_tail_its_next_spike_is_read_on():
    x, previous = spiky_window(11)
    plain = FeatureTails.fit(x, previous, free=True)
    again, out = refit_unflagged(plain, x, previous, lambda t: t, True)
    spike = np.array([[6.5] + [0.0] * 19])  # a one-row spike of 6.5 spreads (p 8e-11)
    before = plain(spike)[0]
    after = again(spike)[0]
    assert before < units_of(1e-5)  # the spikes' own tail: an everyday max over 100 features
    assert after > before + 4.0 and after > units_of(3e-6)  # the normal rows' own tail
    # a unit normal's 4.0 (p 6e-5) is read no rarer than it is
    assert again(np.array([[4.0] + [0.0] * 19]))[0] < units_of(6e-5)
    spikes = np.abs(x[:, 0]) >= 4.5
    assert out[spikes].mean() > 0.9  # the spikes were left out ...
    assert out.mean() < 0.01  # ... and few rows else
    # the other features' tails barely move (the rows left out are theirs at random)
    assert np.allclose(plain.start[:, 1:], again.start[:, 1:], rtol=0.05)


def test_nothing_flagged_keeps_the_first_fit():
    rng = np.random.default_rng(3)
    x = rng.normal(size=(2000, 3)) * 0.01  # a body only: nothing beyond the trim score
    tails = FeatureTails.fit(x, None, free=True)
    kept, out = refit_unflagged(tails, x, None, lambda t: t, True)
    assert out is None and kept is tails


def test_a_fleet_s_max_reads_its_features_on_the_refitted_tails_where_they_are_free():
    from telecom_nb.detectors import make_detector

    x, previous = spiky_window(11, sectors=100, features=6)
    det = make_detector("iforest")
    params = {"random_state": 0, "n_estimators": 10, "heavy_tails": False,
              "joint_columns": (), "previous": previous}
    spike = np.array([[6.5] + [0.0] * 5])
    capped = det._fit_model(x, {**params, "free_tails": False}).tails(spike)[0]
    free = det._fit_model(x, {**params, "free_tails": True, "trim_tails": True}).tails(spike)[0]
    plain = FeatureTails.fit(x, previous, free=True)(spike)[0]
    assert free > plain + 3.0 > capped  # the spikes' own deep tail no longer reads it
    untrimmed = det._fit_model(x, {**params, "free_tails": True}).tails(spike)[0]
    assert untrimmed == plain  # finer than hourly: the first fit's tails


def test_the_tails_are_fitted_again_only_for_hourly_or_slower_data_with_free_tails():
    import pandas as pd

    from telecom_nb.detectors import make_detector
    from telecom_nb.detectors.part_schedule import FREE_TAILS_AFTER

    det = make_detector("iforest")
    det.features_.bind(("a", "b", "c"))
    cadence = det.features_.parts_[0].cadence_
    start = pd.Timestamp("2026-05-04", tz="UTC")
    for hours in (0, 1):
        cadence.observe(pd.DatetimeIndex([start + pd.Timedelta(hours, unit="h")]))
    det.first_time_ = start
    det._fit_time = start + FREE_TAILS_AFTER - pd.Timedelta("1h")
    assert not det._trim_tails()  # no free tails yet: nothing reads the deep levels alone
    det._fit_time = start + FREE_TAILS_AFTER
    assert det._trim_tails() and det._part_params()["trim_tails"]
    for minutes in (90, 120):  # 30-minute data: free tails, fitted once
        cadence.observe(pd.DatetimeIndex([start + pd.Timedelta(minutes, unit="min")]))
    assert cadence.step == pd.Timedelta("30min")
    assert det._free_tails() and not det._trim_tails()
