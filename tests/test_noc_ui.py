"""The NOC dashboard without a browser: triage filters, search, incidents with
acknowledgement, explanations beside each KPI, exports, stable status, unclipped axes."""

from __future__ import annotations

import asyncio
import statistics

import pandas as pd
import pytest
from ui_fake import FakeMonitor

from telecom_nb import schema
from telecom_nb.ui import Dashboard
from telecom_nb.ui.charts import FIG_MARGIN, MAX_POINTS
from telecom_nb.ui.traffic import count_widget_traffic
from telecom_nb.ui.triage import Filter, match_sectors

SQUARE = {"type": "FeatureCollection", "features": [{
    "type": "Feature", "properties": {"name:en": "Test"},
    "geometry": {"type": "Polygon", "coordinates": [[[44, 25], [63, 25], [63, 40], [44, 25]]]},
}]}


def _ids(layer) -> set[str]:
    return {f["properties"]["sector_id"] for f in layer.data["features"]}


def _shown(dash, state: str) -> set[str]:
    return {sid for sid, st in dash.map.alert_states().items() if st == state}


@pytest.fixture
def monitor():
    return FakeMonitor(n_sectors=60, seed=2)


@pytest.fixture
def dash(monitor):
    return Dashboard(monitor, provinces=SQUARE)


def _province_of(monitor, position: int) -> str:
    return str(monitor.sectors[schema.PROVINCE].iloc[position])


def test_province_filter_narrows_map_feed_and_charts(dash, monitor):
    monitor.emit(anomalous=list(range(12)), recovering=[20, 21])
    province = _province_of(monitor, 0)
    ids = set(monitor.sectors.loc[monitor.sectors[schema.PROVINCE] == province, schema.SECTOR])
    dash.triage.province.value = province
    assert _ids(dash.map.highlight) == ids  # only its sectors bright
    assert dash.map.base.style["fillColor"] == "#9a9a9a"  # the rest dimmed, not per sector
    assert _shown(dash, "anomalous") <= ids and _shown(dash, "anomalous")
    shown = dash.feed.table.value
    others = set(monitor.sectors[schema.SECTOR]) - ids
    assert not any(f">{s}<" in shown for s in others)
    assert f"{len(ids)} sectors match" in dash.triage.note.value
    assert province in dash.charts.figures["n_anomalies"].title
    dash.triage.province.value = "all provinces"
    assert dash.map.highlight.data["features"] == [] and dash.map.base.style["opacity"] == 0.7


def test_search_selects_a_sector_and_says_when_nothing_matches(dash, monitor):
    monitor.emit(anomalous=[5])
    assert "tnb-drill-placeholder" in dash.drill.placeholder.value
    assert dash.drill.widget.children == (dash.drill.placeholder,)  # no empty chart yet
    dash.triage.search.value = "s00005"  # any case, part of an id
    assert dash.map.selected == "S00005" and "S00005" in dash.map.info.value
    assert dash.drill.widget.children == (dash.drill.kpi, dash.drill.figure)
    dash.triage.search.value = "NOPE"
    assert "no sector matches" in dash.triage.note.value
    assert dash.map.highlight.data["features"] == [] and _shown(dash, "anomalous") == set()


def test_match_sectors_reads_site_ids_too():
    sectors = pd.DataFrame({schema.SECTOR: ["106544A_L1800", "106544B_L1800", "9A"],
                            schema.PROVINCE: ["Tehran", "Tehran", "Fars"],
                            "site": ["SITE-106544", "SITE-106544", "SITE-9"]})
    assert list(match_sectors(sectors, Filter(search="site-1065"))) == ["106544A_L1800",
                                                                         "106544B_L1800"]
    assert list(match_sectors(sectors, Filter(province="Fars"))) == ["9A"]
    assert match_sectors(sectors, Filter(state="anomalous")) is None


def test_acknowledge_an_incident_from_the_feed(dash, monitor):
    monitor.emit(anomalous=[3, 4])
    monitor.emit(anomalous=[3, 4])
    incidents = dash.incidents_frame()
    target = int(incidents["incident_id"].iloc[0])
    sectors = set(incidents["sector_ids"].iloc[0].split())
    dash.feed.ack.click()  # nothing picked: says what to do
    assert "Incident #" in dash.feed.message.value
    dash.feed.picker.value = f"#{target}"
    assert "tnb-member" in dash.feed.table.value  # the picked incident expands to sectors
    dash.feed.comment.value = "fibre cut, ticket 4711"
    dash.feed.who.value = "noc-1"
    dash.feed.ack.click()
    assert f"incident #{target} acknowledged" in dash.feed.message.value
    assert "tnb-incident-acked" in dash.feed.table.value
    assert "acknowledged by noc-1: fibre cut, ticket 4711" in dash.feed.table.value
    monitor.emit(anomalous=[3, 4])
    assert sectors <= _shown(dash, "acknowledged") and not sectors & _shown(dash, "anomalous")
    dash.triage.state.value = "acknowledged"
    assert dash.feed.table.value.count('class="tnb-incident-acked') == 1
    dash.triage.state.value = "anomalous"
    assert "tnb-incident-acked" not in dash.feed.table.value
    assert "not acknowledged" in dash.status.widget.value


def test_hover_explains_kpis_with_units_normals_and_bad_direction():
    kpis = ("Cell Availability (%)", "DL Traffic Volume (GB)")
    monitor = FakeMonitor(n_sectors=20, kpis=kpis, timezone="Asia/Tehran")
    dash = Dashboard(monitor, provinces=SQUARE)
    for _ in range(10):
        monitor.emit()
    monitor.emit(anomalous=[2])
    text = dash.map.describe("S00002")
    assert "bad when ↓" in text and "bad either way" in text
    assert "<td>%</td>" in text and "<td>GB</td>" in text
    assert "normal = this sector&#x27;s median" in text  # its own history, not the fleet's
    assert "minor" not in text and "low (score 0.9)" in text and "1 in 8 normal ticks" in text
    assert "+0330" in text  # the row's time on the network's clock


def test_status_bar_has_two_fixed_lines_unfolding_on_hover(dash, monitor):
    monitor.emit(anomalous=[1])
    value = dash.status.widget.value
    assert value.count('class="tnb-status-line') == 2 and 'title="' not in value
    assert "contamination 0.01" in value.split("tnb-status-detail")[1]
    css = dash.widget.children[0].value  # CSS sent once
    assert "white-space:nowrap" in css and ".tnb-status-detail:hover{white-space:normal" in css


def test_time_axes_leave_room_for_the_last_label_and_long_ranges_are_decimated():
    assert FIG_MARGIN["right"] >= 36
    monitor = FakeMonitor(n_sectors=10)
    dash = Dashboard(monitor, provinces=SQUARE)
    for _ in range(MAX_POINTS + 28):  # more ticks than a chart draws
        monitor.emit()
    assert len(dash.charts.lines[schema.PRB].x) == 48  # 12 h of 15-minute ticks
    dash.triage.range.value = 168.0  # 7 days: the 100 ticks kept, averaged to MAX_POINTS
    assert len(dash.charts.lines[schema.PRB].x) <= MAX_POINTS
    x = pd.DatetimeIndex(dash.charts.lines[schema.PRB].x)
    assert x[-1] == monitor.history_frame()["timestamp"].iloc[-1].tz_convert(None)
    dash.triage.kpis.value = (schema.PRB,)
    assert dash.charts.figures[schema.PAYLOAD] not in dash.charts.widget.children
    assert len(dash.charts.widget.children) == 2  # PRB and the anomaly count


def test_export_buttons_write_files_and_offer_a_download(dash, monitor, tmp_path,
                                                         monkeypatch):
    monkeypatch.setenv("TELECOM_NB_EXPORT_DIR", str(tmp_path))
    monitor.emit(anomalous=[1, 2])
    dash.triage.exports[("incidents", "csv")].click()
    (written,) = tmp_path.glob("incidents-*.csv")
    note = dash.triage.export_note.value
    assert str(written) in note and 'download="' in note and "base64," in note
    assert len(pd.read_csv(written)) == 2
    path = dash.export("episodes", "parquet")
    assert path.parent == tmp_path and len(pd.read_parquet(path)) == 2


def test_real_monitor_incidents_subset_history_and_traffic():
    from telecom_nb.engine.monitor import Monitor

    monitor = Monitor.simulated(n_sectors=500, seed=0, interval=0.0)
    with count_widget_traffic() as traffic:
        dash = Dashboard(monitor, provinces=SQUARE)
        # every tick drawn, in step with the stream: on the loop, refreshes are coalesced by
        # wall time (min_refresh_s), so which ticks were drawn (and how far the axes had
        # moved) would depend on the machine's load
        monitor.remove_sink(dash._on_batch)
        for _ in range(61):  # charts full: 48 points of 12 h
            (batch,) = asyncio.run(monitor.step(1))
        # the warm-up drawn once, at its last tick, as a loop that fell behind coalesces
        # ticks (the charts read the monitor's history: the same points either way); drawing
        # each of the 61 was ~2/3 of this test's CPU, and the first measured tick after a
        # lone draw moves as many axes as one after 61
        dash._on_batch(batch)
        sizes, messages = [], []
        # 15 ticks: single ticks vary (7-10 messages here) with how many axes change: an
        # axis that moves adds two small messages, at most one narrowing a tick; all alert
        # dots are one layer
        for _ in range(15):
            (batch,) = asyncio.run(monitor.step(1))
            traffic.reset()
            dash._on_batch(batch)
            sizes.append(traffic.bytes)
            messages.append(traffic.messages)
    assert max(sizes) <= 10_000 and statistics.median(messages) <= 9 and max(messages) <= 10
    assert dash.book is monitor.incidents  # acknowledgements are the monitor's state
    incidents = monitor.incidents_frame()
    assert len(incidents) <= len(monitor.episodes_frame())
    province = str(monitor.sectors[schema.PROVINCE].iloc[0])
    dash.triage.province.value = province
    ids = monitor.sectors.loc[monitor.sectors[schema.PROVINCE] == province, schema.SECTOR]
    expected = monitor.subset_history(ids)
    assert len(expected) and (expected["n_rows"] == len(ids)).all()
    assert dash.charts.lines["n_anomalies"].y[-1] == expected["n_anomalies"].iloc[-1]
    ack = monitor.acknowledge(int(incidents["incident_id"].iloc[0]), "seen")
    assert monitor.incidents_frame()["acknowledged"].any() and ack.comment == "seen"


def test_the_time_axis_leaves_room_for_the_next_tick_so_a_move_can_wait_one():
    """A tick whose value axis must widen keeps the time domain (message budget): the
    domain always holds the next tick, so waiting never leaves the newest point out."""
    import numpy as np

    from telecom_nb.ui.axes import fit_time_scale, new_time_scale

    step = np.timedelta64(15, "m")
    t = np.arange(np.datetime64("2026-01-01T00:00"), np.datetime64("2026-01-01T06:00"),
                  step).astype("datetime64[ms]")
    scale = new_time_scale()
    moves = 0
    for k in range(40):  # a sliding 6-hour window, tick by tick
        window = t + k * step
        before = (scale.min, scale.max)
        assert not fit_time_scale(scale, window, wait=True) or k == 0
        assert (scale.min, scale.max) == before or k == 0  # waited
        moves += fit_time_scale(scale, window)
        low, high = np.datetime64(scale.min, "ms"), np.datetime64(scale.max, "ms")
        assert low <= window[0] and window[-1] + step <= high
    assert 5 <= moves <= 20  # a few moves, not one per tick
