"""Numeric sector ids between an export and its inventory (walk43): the inventory is read
once, its id column as text; an id one file wrote with a leading zero the other dropped
(``040110231`` / ``40110231``) joins by number when one inventory id is that number, and
the ids left unmatched are counted."""

from __future__ import annotations

import numpy as np
import pandas as pd

from telecom_nb import schema
from telecom_nb.sources import sites as sites_module
from telecom_nb.sources.ingest import load_source
from telecom_nb.sources.spec import SitesSpec, SourceSpec


def _files(tmp_path, export_ids: list[str], inventory_ids: list) -> SourceSpec:
    stamps = pd.date_range("2026-06-01", periods=6, freq="h").strftime("%Y-%m-%d %H:%M")
    rng = np.random.default_rng(2412)
    n = len(export_ids)
    pd.DataFrame({"Start Time": np.repeat(stamps, n), "Cell ID": export_ids * 6,
                  "CSSR (%)": np.round(99.5 - rng.exponential(0.2, 6 * n), 2)}
                 ).to_csv(tmp_path / "e.csv", index=False)
    pd.DataFrame({"CELL_ID": inventory_ids, "LAT": 35.0 + np.arange(len(inventory_ids)) / 100,
                  "LON": 51.0}).to_csv(tmp_path / "s.csv", index=False)
    return SourceSpec(path=tmp_path / "e.csv", timestamp="Start Time", sector="Cell ID",
                      sites=SitesSpec(tmp_path / "s.csv"))


def test_an_id_with_a_leading_zero_joins_the_inventory_number(tmp_path, monkeypatch):
    reads = []
    real = sites_module.read_file
    monkeypatch.setattr(sites_module, "read_file", lambda *a, **k: reads.append(a) or real(*a, **k))
    loaded = load_source(_files(tmp_path, ["040110231", "40110232", "40110299"],
                                [40110231, 40110232, 40110233]))
    frame = loaded.frame.drop_duplicates(schema.SECTOR).set_index(schema.SECTOR)
    assert frame.loc["040110231", schema.LAT] == 35.0  # was unmatched: no position
    assert frame.loc["40110232", schema.LAT] == 35.01
    assert np.isnan(frame.loc["40110299", schema.LAT])
    assert loaded.counters.sectors_without_site == 1
    assert any("found by number" in m and "'040110231' -> '40110231'" in m
               for m in loaded.messages)
    assert len(reads) == 1  # the inventory was read twice (as numbers, then as text)


def test_inventory_ids_keep_their_zeros_and_a_number_two_ids_share_is_not_guessed(tmp_path):
    loaded = load_source(_files(tmp_path, ["0123", "123", "77"], ["0123", "00123", "077"]))
    frame = loaded.frame.drop_duplicates(schema.SECTOR).set_index(schema.SECTOR)
    assert frame.loc["0123", schema.LAT] == 35.0  # read as text: "0123" is its own id
    assert np.isnan(frame.loc["123", schema.LAT])  # 0123 or 00123: ambiguous, unmatched
    assert frame.loc["77", schema.LAT] == 35.02
    assert loaded.counters.sectors_without_site == 1
