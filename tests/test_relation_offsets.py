"""Each load's relation offset in its own units: fixed from a fleet's first day, one stream."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from telecom_nb import schema
from telecom_nb.features.relation_offsets import RelationOffsets
from telecom_nb.features.relations import relation_values
from telecom_nb.features.seasonal import SeasonalResiduals
from telecom_nb.features.time_slots import DAY_NS

KPIS = ["volume", "users", "latency"]


def test_two_loads_falling_together_keep_their_ratio_on_their_own_offsets():
    """A quiet quarter hour (1.5 MB down, 0.16 up; busy: 130 / 16): ``log1p``'s fixed 1
    read a fall of 1.3; each load's offset keeps the ratio. Offsets of 1: ``log1p``."""
    raw = np.array([[130.0, 16.0], [1.5, 0.16]])
    pairs = (("dl", "ul"),)
    bare = relation_values(raw, ("dl", "ul"), pairs)
    assert bare[0, 0] - bare[1, 0] > 1.2
    assert np.array_equal(bare[:, 0], np.log1p(raw[:, 0]) - np.log1p(raw[:, 1]))
    own = relation_values(raw, ("dl", "ul"), pairs, np.array([12.0, 1.5]))
    assert abs(own[0, 0] - own[1, 0]) < 0.2
    assert np.array_equal(relation_values(raw, ("dl", "ul"), pairs, np.ones(2)), bare)


def test_offsets_are_1_for_a_few_series_and_a_fleets_are_fixed_after_its_first_day():
    """A fleet's pairs with a member whose ``c`` moved restart; all 1: none."""
    from telecom_nb.features.relation_offsets import moved_pairs

    pairs = np.array([[0, 1], [1, 2]])
    assert moved_pairs(np.array([18.5, 1.0, 1.0]), pairs).tolist() == [0]
    assert not len(moved_pairs(np.ones(3), pairs))
    few = RelationOffsets(3)
    few.begin(10, 0)  # 10 sectors: log1p for good
    assert few.key() == "" and not few.pending() and not few.decide(2 * DAY_NS, np.full(3, 9.0))
    fleet = RelationOffsets(3)
    fleet.begin(11, 5)
    assert fleet.pending() and fleet.key() == "" and fleet.offsets() is None  # log1p so far
    fleet.begin(11, 6)  # once
    assert fleet.start_ns_ == 5
    assert not fleet.decide(5 + DAY_NS - 1, np.full(3, 9.0)) and fleet.pending()
    assert fleet.decide(5 + DAY_NS, np.array([18.5, 0.4, 0.0]))
    assert fleet.offsets().tolist() == [18.5, 1.0, 1.0] and fleet.key() not in ("", "pending")
    assert not fleet.decide(5 + 2 * DAY_NS, np.full(3, 2.0))  # fixed for good


def _fleet() -> list[pd.DataFrame]:
    """12 sectors, 30 hourly batches: s0-s2 mostly idle (0.02 MB, 0 users), the rest busy."""
    rng = np.random.default_rng(5)
    n, hours = 12, 30
    t = np.repeat(pd.date_range("2026-03-02 07:00", periods=hours, freq="h", tz="UTC"), n)
    quiet = np.tile(np.arange(n) < 3, hours) & (rng.random(n * hours) < 0.8)
    frame = pd.DataFrame(
        {
            schema.TIMESTAMP: t,
            schema.SECTOR: np.tile([f"s{i}" for i in range(n)], hours),
            "volume": np.where(quiet, 0.02, np.exp(rng.normal(np.log(50), 0.3, n * hours))),
            "users": np.where(quiet, 0.0, rng.poisson(10, n * hours)),
            "latency": rng.normal(20, 1, n * hours),
        }
    )
    return [b for _, b in frame.groupby(schema.TIMESTAMP, sort=True)]


def _live(batches: list[pd.DataFrame]) -> tuple[SeasonalResiduals, np.ndarray]:
    season = SeasonalResiduals(kpis=KPIS, relations=True)
    out = []
    for batch in batches:
        view = season.view(batch)
        out.append(season.transform_view(view))
        season.update_view(view)
    return season, np.vstack(out)


def test_relations_restart_on_fixed_offsets_after_the_first_day_live_as_in_pieces():
    """The live path (a view per batch) and a replay's (a prepared view per piece, sliced
    per batch) give the same z bit for bit, whatever the pieces: the offsets are fixed
    once, after the first day (``log1p`` before); a relation of a load whose ``c`` is not
    1 then restarts in its units, the others go on."""
    batches = _fleet()
    live, z_live = _live(batches)
    c = live.rel_offsets_.offsets()
    assert c is not None and c[0] > 1.0 and c[1] == c[2] == 1.0  # the volume's own units
    names = live.feature_names
    moved, kept = names.index("volume/users:season_z"), names.index("users/latency:season_z")
    after = slice(25 * 12, 26 * 12)  # the first batch scored after the switch (batch 24)
    assert z_live[: 24 * 12, moved].any() and z_live[: 24 * 12, kept].any()
    assert not z_live[after, moved].any() and z_live[after, kept].any()
    assert z_live[27 * 12 :, moved].any()
    for piece in (7, 30):
        season, out = SeasonalResiduals(kpis=KPIS, relations=True), []
        for p in range(0, len(batches), piece):
            whole = season.view(pd.concat(batches[p : p + piece]))
            season.prepare_view(whole)  # its rows' series once, in the units of the time
            for a in range(0, len(whole), 12):
                view = whole.slice(a, a + 12)
                out.append(season.transform_view(view))
                season.update_view(view)
        assert np.array_equal(np.vstack(out), z_live), piece
        assert np.array_equal(season.rel_offsets_.offsets(), c)


def test_a_checkpoint_from_before_the_offsets_keeps_log1p_relations():
    """Relations learned on ``log1p`` (older code) stay on it after the restore: ``c`` = 1."""
    from telecom_nb.engine.snapshot import capture, restore

    batches = _fleet()
    season, _ = _live(batches[:26])
    tree, arrays = capture(season)
    same = restore(SeasonalResiduals(kpis=KPIS, relations=True), tree, arrays)
    assert np.array_equal(same.rel_offsets_.offsets(), season.rel_offsets_.offsets())
    del tree["attrs"]["rel_offsets_"]
    fresh = restore(SeasonalResiduals(kpis=KPIS, relations=True), tree, arrays)
    assert fresh.rel_offsets_.key() == "" and not fresh.rel_offsets_.pending()
    view = fresh.view(batches[26])
    fresh.update_view(view)
    assert fresh.rel_offsets_.offsets() is None  # still log1p after learning
    volume = view.raw[:, 0]
    assert fresh.series(view)[:, 3] == pytest.approx(np.log1p(volume) - np.log1p(view.raw[:, 1]))


def test_a_relations_floor_follows_its_members_offsets():
    """On ``log(c + x)`` a member's noise ``s0`` is ``s0 / (c + x)``: with ``c`` = its noise
    floor an idle pair's floor is ~1 (one quantum doubles ``c + x``), not ``log1p``'s ~s0."""
    from telecom_nb.features.count_floor import CountFloor

    s0, x = np.array([18.0, 2.0]), np.array([[0.0, 0.0], [180.0, 20.0]])
    pair = np.array([[0, 1]])
    bare = CountFloor(2).floors(x, pair, s0)
    own = CountFloor(2).floors(x, pair, s0, s0)
    assert np.array_equal(own[:, :2], bare[:, :2])  # the KPIs' own columns: log1p as before
    assert bare[0, 2] == pytest.approx(np.hypot(18.0, 2.0))
    assert own[0, 2] == pytest.approx(np.hypot(1.0, 1.0))
    fade = s0 / (s0 + x[1])
    assert own[1, 2] == pytest.approx(np.hypot(*(s0 / (s0 + x[1]) * fade)))
    assert np.array_equal(CountFloor(2).floors(x, pair, s0, np.ones(2)), bare)
