"""Incidents without widgets: grouping (site, province-wide event), stable ids, ranking,
acknowledgements and their store hook, severity words and odds, exports."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from telecom_nb import schema
from telecom_nb.alarms.incidents import IncidentBook, format_duration, group_episodes, rank
from telecom_nb.alarms.severity import explain_score, one_in, severities, severity
from telecom_nb.engine.exports import prepare, write_table

T0 = pd.Timestamp("2026-01-05 10:00", tz="UTC")
STEP = pd.Timedelta("15min")


def _sectors() -> pd.DataFrame:
    """Site A (3 sectors, one position) and 40 lone sectors in Fars, 10 in Tehran."""
    rows = [(f"A-{i}", "Tehran", 35.7, 51.4) for i in (1, 2, 3)]
    rows += [(f"F{i:02d}", "Fars", 29.0 + i / 100, 52.0) for i in range(40)]
    rows += [(f"T{i:02d}", "Tehran", 35.0 + i / 100, 51.0) for i in range(10)]
    return pd.DataFrame(rows, columns=[schema.SECTOR, schema.PROVINCE, schema.LAT, schema.LON])


def _episodes(spec: list[tuple[str, int, int | None, float]]) -> pd.DataFrame:
    """(sector, start tick, end tick or None = open, peak score) -> an episodes frame."""
    rows = []
    for i, (sid, start, end, peak) in enumerate(spec, start=1):
        rows.append({"episode_id": i, schema.SECTOR: sid,
                     schema.PROVINCE: "Fars" if sid.startswith("F") else "Tehran",
                     "start": T0 + start * STEP,
                     "end": pd.NaT if end is None else T0 + end * STEP,
                     "duration_ticks": (end if end is not None else start) - start + 1,
                     "peak_score": peak, schema.TOP_KPI: "availability_pct",
                     "is_open": end is None})
    frame = pd.DataFrame(rows)
    frame["end"] = pd.to_datetime(frame["end"], utc=True)
    return frame


NOW = T0 + 20 * STEP


def test_site_sectors_and_a_province_event_become_two_incidents():
    spec = [("A-1", 0, None, 8.5), ("A-2", 1, None, 6.0), ("A-3", 2, 4, 4.0)]
    spec += [(f"F{i:02d}", 5, None, 7.5) for i in range(12)]  # 12 of 40 Fars sectors at once
    spec += [("T01", 3, None, 3.5)]
    book = IncidentBook(cadence=STEP)
    incidents = book.frame(_episodes(spec), _sectors(), NOW)
    assert len(incidents) == 3
    kinds = dict(zip(incidents["kind"], incidents["n_sectors"], strict=True))
    assert kinds == {"province": 12, "site": 3, "sector": 1}
    fars = incidents[incidents["kind"] == "province"].iloc[0]
    assert fars["title"] == "Fars: province event" and fars["severity"] == "critical"
    site = incidents[incidents["kind"] == "site"].iloc[0]
    assert site["title"] == "site A" and site["peak_score"] == 8.5
    assert site["worst_sector"] == "A-1" and site["n_open"] == 2
    assert site["start"] == T0 and site["is_open"]
    # ranked: both critical and open; the site's higher peak... the event has more sectors
    assert list(incidents["kind"]) == ["province", "site", "sector"]


def test_a_trickle_of_unrelated_faults_is_no_province_event():
    # one Fars sector every tick for 20 ticks: never 5 in one 30-minute bin
    spec = [(f"F{i:02d}", i, None, 7.0) for i in range(20)]
    incidents = IncidentBook().frame(_episodes(spec), _sectors(), NOW)
    assert (incidents["kind"] == "sector").all() and len(incidents) == 20


def test_province_event_needs_a_share_of_a_big_province():
    sectors = _sectors()
    big = pd.DataFrame({schema.SECTOR: [f"X{i}" for i in range(1000)], schema.PROVINCE: "Fars",
                        schema.LAT: np.linspace(28, 30, 1000), schema.LON: 53.0})
    spec = [(f"F{i:02d}", 5, None, 7.0) for i in range(6)]  # 6 of 1,040: a coincidence
    out = group_episodes(_episodes(spec), pd.concat([sectors, big]), NOW)
    assert (out["kind"] == "sector").all()


def test_ids_are_stable_as_sectors_join_and_acknowledgements_stay():
    book = IncidentBook(cadence=STEP)
    first = book.frame(_episodes([("A-1", 0, None, 8.0)]), _sectors(), NOW)
    (incident_id,) = first["incident_id"]
    seen = []
    book.listeners.append(seen.append)  # the store's hook
    ack = book.acknowledge(incident_id, "  power work at site A ", who="noc-1")
    assert ack.comment == "power work at site A" and ack.episode_ids == (1,)
    assert seen == [ack] and book.version == 1
    later = book.frame(_episodes([("A-1", 0, None, 8.0), ("A-2", 3, None, 5.0)]), _sectors(),
                       NOW)
    row = later.iloc[0]
    assert row["incident_id"] == incident_id and row["n_sectors"] == 2
    assert not row["acknowledged"] and row["n_unacknowledged"] == 1  # A-2 is new since
    assert row["ack_comment"] == "power work at site A" and row["ack_who"] == "noc-1"
    book.acknowledge(incident_id, "still on it")
    again = book.frame(_episodes([("A-1", 0, None, 8.0), ("A-2", 3, None, 5.0)]), _sectors(),
                       NOW).iloc[0]
    assert again["acknowledged"] and again["ack_comment"] == "still on it"
    table = book.acknowledgements_frame()
    assert sorted(table["episode_id"]) == [1, 2] and set(table["incident_id"]) == {incident_id}


def test_acknowledged_incidents_rank_after_open_ones_and_restore_reads_them_back():
    spec = [("A-1", 0, None, 8.0), ("T01", 1, None, 3.2), ("T05", 1, 2, 9.0)]
    book = IncidentBook(cadence=STEP)
    incidents = book.frame(_episodes(spec), _sectors(), NOW)
    assert list(incidents["worst_sector"]) == ["A-1", "T01", "T05"]  # closed last
    book.acknowledge(int(incidents["incident_id"].iloc[0]), "known")
    incidents = book.frame(_episodes(spec), _sectors(), NOW)
    assert list(incidents["worst_sector"]) == ["T01", "A-1", "T05"]
    other = IncidentBook()
    assert other.restore(book.acknowledgements_frame()) == 1
    restored = other.frame(_episodes(spec), _sectors(), NOW)
    assert restored.set_index("worst_sector").loc["A-1", "acknowledged"]
    with pytest.raises(KeyError, match="no incident 999"):
        book.acknowledge(999, "x")


def test_durations_are_minutes_and_hours():
    book = IncidentBook(cadence=STEP)
    row = book.frame(_episodes([("T01", 0, 8, 5.0)]), _sectors(), NOW).iloc[0]
    assert row["duration"] == pd.Timedelta("2h15min")  # ticks 0..8
    assert format_duration(row["duration"]) == "2 h 15 min"
    assert format_duration(pd.Timedelta("50min")) == "50 min"
    assert format_duration(pd.Timedelta("2 days 4h")) == "2 d 4 h"
    assert format_duration(pd.NaT) == "–"


def test_severity_words_and_odds():
    assert [severity(s) for s in (1.0, 3.0, 5.5, 8.7)] == ["low", "minor", "major", "critical"]
    assert list(severities(pd.Series([np.nan, 7.2]))) == ["low", "critical"]
    assert one_in(3) == "1,000" and one_in(8.7) == "500 million" and one_in(9.3) == "2 billion"
    assert explain_score(8.7) == ("critical (score 8.7): about 1 in 500 million normal ticks "
                                  "score this high")


def test_an_ordinary_score_is_not_read_as_one_in_one():
    """walknb42: hovering a normal sector read "about 1 in 1 normal ticks score this high"."""
    assert explain_score(0.0) == ("low (score 0.0): an ordinary score: most normal ticks "
                                  "score this high")
    assert "ordinary" in explain_score(0.2) and "about 1 in 3 normal" in explain_score(0.5)


def test_rank_of_nothing_and_group_of_nothing():
    book = IncidentBook()
    empty = book.frame(_episodes([("T01", 0, None, 5.0)]).iloc[:0], _sectors(), NOW)
    assert empty.empty and rank(empty).empty


def test_exports_write_csv_and_parquet_with_local_times(tmp_path):
    book = IncidentBook(cadence=STEP)
    incidents = book.frame(_episodes([("A-1", 0, None, 8.0)]), _sectors(), NOW)
    table = prepare(incidents, "Asia/Tehran")
    assert table["start_local"].iloc[0] == "2026-01-05 13:30"  # UTC+03:30
    assert table["duration_min"].iloc[0] == 15.0 and "duration" not in table
    csv = write_table(incidents, "incidents", "csv", tmp_path, "Asia/Tehran")
    parquet = write_table(incidents, "incidents", "parquet", tmp_path)
    assert csv.parent == tmp_path and csv.name.startswith("incidents-")
    assert pd.read_csv(csv)["title"].iloc[0] == "A-1"
    assert pd.read_parquet(parquet)["n_sectors"].iloc[0] == 1
    again = write_table(incidents, "incidents", "csv", tmp_path)
    assert again != csv  # never overwrites
    with pytest.raises(ValueError, match="csv, parquet"):
        write_table(incidents, "incidents", "xlsx", tmp_path)


def _reference_groups(ep: pd.DataFrame, sectors: pd.DataFrame, now: pd.Timestamp,
                      window: pd.Timedelta, min_sectors: int, share: float) -> list[set[int]]:
    """The two grouping rules written row by row (slow and plain): the episode ids of each
    incident."""
    size = sectors[schema.PROVINCE].value_counts()
    width = window.value
    rows = []
    for r in ep.itertuples(index=False):
        start = r.start.value
        last = now.value if r.is_open else max(r.end.value, start)
        rows.append((r.episode_id, r.sector_id, r.province, start, last, start // width))
    cells: dict[tuple[str, int], set[str]] = {}
    for _eid, sid, prov, *_, b in rows:
        cells.setdefault((prov, b), set()).add(sid)
    event = {k for k, s in cells.items()
             if len(s) >= max(min_sectors, np.ceil(share * size.get(k[0], 0)))}
    groups: dict[object, set[int]] = {}
    for eid, _sid, prov, *_, b in rows:  # consecutive event bins of a province chain
        if (prov, b) in event:
            first = b
            while (prov, first - 1) in event:
                first -= 1
            groups.setdefault(("P", prov, first), set()).add(eid)
    site = ep[schema.SECTOR].map(sectors.set_index(schema.SECTOR)["site"])
    by_site: dict[str, list] = {}
    for (eid, _sid, prov, start, last, b), s in zip(rows, site, strict=True):
        if (prov, b) not in event:
            by_site.setdefault(s, []).append((start, last, eid))
    for s, spans in by_site.items():
        reach, current = None, None
        for start, last, eid in sorted(spans, key=lambda x: x[0]):
            if reach is None or start > reach:
                current = ("S", s, eid)
            groups.setdefault(current, set()).add(eid)
            reach = last + window.value if reach is None else max(reach, last + window.value)
    return list(groups.values())


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_grouping_matches_the_rules_written_row_by_row(seed):
    """The vectorised grouping (integer codes, numpy reductions) against the rules written
    plainly, on random sites, provinces, bins and spans."""
    rng = np.random.default_rng(seed)
    n_sites, n = 30, 160
    sectors = pd.DataFrame({schema.SECTOR: [f"X{i:03d}-{j}" for i in range(n_sites)
                                            for j in range(3)]})
    sectors["site"] = sectors[schema.SECTOR].str[:4]
    sectors[schema.PROVINCE] = np.where(sectors["site"] < "X015", "Fars", "Tehran")
    pick = rng.integers(0, len(sectors), n)
    start = T0 + pd.to_timedelta(rng.integers(0, 40, n) * 15, unit="min")
    closed = rng.random(n) < 0.6
    end = start + pd.to_timedelta(rng.integers(0, 8, n) * 15, unit="min")
    ep = pd.DataFrame({"episode_id": np.arange(1, n + 1),
                       schema.SECTOR: sectors[schema.SECTOR].to_numpy()[pick],
                       schema.PROVINCE: sectors[schema.PROVINCE].to_numpy()[pick],
                       "start": start, "end": end.where(closed, pd.NaT), "is_open": ~closed})
    # a burst: many Fars sectors opening in one bin (a province event), then another
    burst = ep.index[(ep[schema.PROVINCE] == "Fars")][:12]
    ep.loc[burst, "start"] = T0 + pd.Timedelta("5h")
    now = T0 + pd.Timedelta("12h")
    out = group_episodes(ep, sectors, now, min_province_sectors=5, province_share=0.1)
    got = [set(g) for g in out.groupby("group")["episode_id"].agg(set)]
    want = _reference_groups(ep, sectors, now, pd.Timedelta("30min"), 5, 0.1)
    assert sorted(map(sorted, got)) == sorted(map(sorted, want))
    assert (out["kind"] == "province").any()
    n_sectors = out.groupby("group")[schema.SECTOR].transform("nunique")
    expected = np.where(out["kind"] == "province", "province",
                        np.where(n_sectors > 1, "site", "sector"))
    assert (out["kind"].to_numpy() == expected).all()


def test_regrouping_does_not_cost_more_per_incident():
    """A redraw regroups every incident on each tick: its Python-level work must not grow
    with their number (a groupby ``agg`` built a Series per incident: 1.7x the calls for
    10x the incidents)."""
    import sys

    def calls(n: int) -> int:
        ids = [f"S{i:04d}" for i in range(n)]
        sectors = pd.DataFrame({schema.SECTOR: ids, schema.PROVINCE: "Fars",
                                schema.LAT: 29 + np.arange(n) / 100, schema.LON: 52.0})
        ep = pd.DataFrame({"episode_id": np.arange(1, n + 1), schema.SECTOR: ids,
                           schema.PROVINCE: "Fars", "start": T0 + (np.arange(n) % 7) * STEP,
                           "end": pd.Series(pd.NaT, index=range(n), dtype="datetime64[ns, UTC]"),
                           "duration_ticks": 1, "peak_score": 3.0 + np.arange(n) % 5,
                           schema.TOP_KPI: "availability_pct", "is_open": True})
        book = IncidentBook(cadence=STEP, min_province_sectors=10**6)
        assert len(book.frame(ep, sectors, NOW)) == n  # one incident per sector
        count = [0]

        def profile(_frame, event, _arg):
            count[0] += event == "call"

        sys.setprofile(profile)
        try:
            book.frame(ep, sectors, NOW)
        finally:
            sys.setprofile(None)
        return count[0]

    assert calls(500) < 1.2 * calls(50)


@pytest.mark.parametrize("seed", [0, 2])
def test_summaries_match_each_incident_summed_up_plainly(seed):
    """``summarise`` (numpy reductions over runs, framed once in rank order) against each
    incident's row written plainly from its episodes and ranked by the documented keys."""
    from telecom_nb.alarms.severity import SEVERITY_RANK

    rng = np.random.default_rng(seed)
    n = 120
    sectors = pd.DataFrame({schema.SECTOR: [f"X{i:03d}-{j}" for i in range(25) for j in (1, 2)]})
    sectors["site"] = np.where(np.arange(50) % 4 == 0, None, sectors[schema.SECTOR].str[:4])
    sectors[schema.PROVINCE] = np.where(np.arange(50) < 19, "Fars", "Tehran")  # X009 in both
    pick = rng.integers(0, len(sectors), n)
    start = T0 + pd.to_timedelta(rng.integers(0, 30, n) * 15, unit="min")
    closed = rng.random(n) < 0.5
    ticks = rng.integers(1, 6, n)
    ep = pd.DataFrame({"episode_id": np.arange(1, n + 1),
                       schema.SECTOR: sectors[schema.SECTOR].to_numpy()[pick],
                       schema.PROVINCE: sectors[schema.PROVINCE].to_numpy()[pick],
                       "start": start, "end": (start + (ticks - 1) * STEP).where(closed, pd.NaT),
                       "duration_ticks": ticks, "is_open": ~closed,
                       "peak_score": rng.choice([2.0, 3.5, 5.0, 6.5, 9.0, np.nan], n),
                       schema.TOP_KPI: rng.choice(["prb_pct", "availability_pct"], n)})
    ep.loc[ep.index[ep[schema.PROVINCE] == "Fars"][:8], "start"] = T0 + pd.Timedelta("4h")
    book = IncidentBook(cadence=STEP, min_province_sectors=5, province_share=0.1)
    members = book.episodes(ep, sectors, T0 + pd.Timedelta("12h"))
    book.acknowledge(int(members["incident_id"].iloc[0]), "power", "ops", time=T0)
    members = book.episodes(ep, sectors, T0 + pd.Timedelta("12h"))
    got = book.summarise(members)

    rows = []
    for iid, m in members.groupby("incident_id", sort=True):
        m = m.assign(_p=m["peak_score"].fillna(-np.inf))
        m = m.sort_values("_p", ascending=False, kind="stable")
        seen = np.where(m["is_open"], m["start"] + (m["duration_ticks"] - 1) * STEP,
                        m["last_seen"])
        w = m.iloc[0]
        ids = set(m[schema.SECTOR])
        site = w["site"]  # named sites here (a site of positions: the first test)
        province = w[schema.PROVINCE] if m[schema.PROVINCE].nunique() == 1 else "several"
        title = {"province": f"{province}: province event", "site": f"site {site}"}.get(
            w["kind"], w[schema.SECTOR])
        rows.append({"incident_id": iid, "kind": w["kind"], "title": title,
                     schema.PROVINCE: province, "n_sectors": len(ids),
                     "n_open": int(m["is_open"].sum()), "start": m["start"].min(),
                     "last_seen": pd.Series(seen).max(), "peak_score": w["peak_score"],
                     "worst_sector": w[schema.SECTOR], "worst_kpi": w[schema.TOP_KPI],
                     "acknowledged": bool(m["acknowledged"].all()),
                     "sector_ids": " ".join(m[schema.SECTOR]),
                     "episode_ids": " ".join(m["episode_id"].astype(str))})
    want = pd.DataFrame(rows)
    is_open = want["n_open"] > 0
    sev = want["peak_score"].map(lambda s: SEVERITY_RANK[severity(s)] if s == s else 0)
    keys = list(zip(~is_open, want["acknowledged"], -np.where(is_open, sev, 0),
                    -np.where(is_open, want["n_sectors"], 0),
                    -np.where(is_open, want["peak_score"].fillna(-np.inf), 0),
                    -want["last_seen"].astype("int64"), -want["start"].astype("int64"),
                    strict=True))
    want = want.iloc[sorted(range(len(want)), key=keys.__getitem__)].reset_index(drop=True)
    assert want["acknowledged"].any() and (want["kind"] == "province").any()
    assert {"site", "sector"} <= set(want["kind"]) and (want[schema.PROVINCE] == "several").any()
    pd.testing.assert_frame_equal(got[list(want.columns)], want, check_dtype=False)
    assert (got["end"].isna() == got["is_open"]).all()
    assert (got["duration"] == got["last_seen"] - got["start"] + STEP).all()
    assert (got["ack_comment"] != "").sum() == 1 and got["ack_time"].notna().sum() == 1


def test_a_network_without_provinces_titles_its_wide_event_from_what_is_known():
    spec = [(f"F{i:02d}", 5, None, 7.5) for i in range(12)]
    episodes = _episodes(spec).assign(**{schema.PROVINCE: schema.UNKNOWN_PROVINCE})
    sectors = _sectors().assign(**{schema.PROVINCE: schema.UNKNOWN_PROVINCE})
    incidents = IncidentBook(cadence=STEP).frame(episodes, sectors, NOW)
    assert incidents["kind"].tolist() == ["province"]
    assert incidents["title"].iloc[0] == "network event (12 sites)"  # not "unknown: province event"
    placed = IncidentBook(cadence=STEP).frame(episodes, _sectors(), NOW)  # others have one
    assert placed["title"].iloc[0] == "sectors without a province (12 sites)"
