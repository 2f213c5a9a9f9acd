"""The fleet's typical day (``features/fleet_profile.py``) survives a checkpoint: a sector
first seen after the restart reads its cold slots from the restored profile exactly as
it would have without the restart (the state the profile keeps is not a cache)."""

from __future__ import annotations

import numpy as np
from test_compact import _fleet

from telecom_nb import schema as S
from telecom_nb.engine.snapshot import capture, restore
from telecom_nb.features import SeasonalResiduals, fleet_profile

KPIS = [S.PAYLOAD, S.THROUGHPUT]


def _newcomer_z(season: SeasonalResiduals, table, times) -> np.ndarray:
    """Payload z of a sector that joins at ``times[0]`` (rows of sector s0 renamed)."""
    out = []
    for t in times:
        batch = table[table[S.TIMESTAMP] == t].copy()
        batch[S.SECTOR] = batch[S.SECTOR].replace({"s0": "new"})
        z = season.transform(batch)[f"{S.PAYLOAD}:season_z"].to_numpy()
        out.append(z[(batch[S.SECTOR] == "new").to_numpy()])
        season.update(batch)
    return np.concatenate(out)


def test_a_sector_first_seen_after_a_restart_reads_the_restored_fleet_profile():
    table = _fleet(days=4)
    times = table[S.TIMESTAMP].unique()
    learned = SeasonalResiduals(kpis=KPIS)
    for t in times[:48]:
        learned.update(table[(table[S.TIMESTAMP] == t) & (table[S.SECTOR] != "s0")])
    assert (learned.fleet_count_ > 0).all() and np.isfinite(learned.fleet_spread_).all()
    tree, arrays = capture(learned)
    fresh = restore(SeasonalResiduals(kpis=KPIS), tree, arrays)
    for name in ("fleet_offset_", "fleet_count_", "fleet_spread_"):
        assert np.array_equal(getattr(fresh, name), getattr(learned, name))
    # the same profile read through the module on both sides
    slot = np.arange(24)
    offset, has = np.zeros((24, 3)), np.ones((24, 3), dtype=bool)
    np.testing.assert_array_equal(fleet_profile.expected_offset(fresh, slot, offset, has)[0],
                                  fleet_profile.expected_offset(learned, slot, offset, has)[0])
    later = times[48:72]
    z = _newcomer_z(learned, table, later)
    assert np.array_equal(_newcomer_z(fresh, table, later), z)
    # without the profile the newcomer's day reads differently: the restore carried it
    blank = restore(SeasonalResiduals(kpis=KPIS), tree, arrays)
    blank.fleet_count_[:] = 0.0
    blank.fleet_offset_[:] = 0.0
    assert not np.array_equal(_newcomer_z(blank, table, later), z)


def test_a_cold_slot_with_an_empty_series_computes_no_all_nan_median(monkeypatch):
    """A series with no value in the slot's rows (a KPI added live to the dashboard) stays
    unknown without an all-NaN median: no RuntimeWarning, and no process-wide warning
    filter set around it (they leak across the monitor's threads). A series present in
    enough rows but in none of the sampled ones stays unknown too (it read NaN as known)."""
    import warnings

    def no_filters(*args, **kwargs):
        raise AssertionError("warning filters changed")

    n = 4_001  # two rows a sample step: the sample is the even rows
    offset = np.zeros((n, 3))
    offset[:, 0] = np.arange(n) % 7
    offset[:, 1] = np.nan  # the empty series
    offset[0::2, 2] = np.nan  # values only in rows the sample skips
    has = np.ones((n, 3), dtype=bool)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        monkeypatch.setattr(warnings, "catch_warnings", no_filters)
        med, known = fleet_profile._cross_section(np.zeros(3), has, offset)
        monkeypatch.undo()
    assert known.tolist() == [True, False, False]
    assert np.isfinite(med).all() and med[0] == np.median(offset[::2, 0])
