"""The dashboard built from an operator's own data: its KPIs, units, clock and sites.

Driven with ``tests/ui_fake.py`` (vendor KPI names, co-located sectors, sectors without a
position) and once with a real monitor replaying the operator-style sample.
"""

from __future__ import annotations

import asyncio
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from ui_fake import FakeMonitor

from telecom_nb import schema
from telecom_nb.sources.kpiinfo import infer_kpi_info
from telecom_nb.ui import Dashboard
from telecom_nb.ui.clock import NetworkClock
from telecom_nb.ui.fan import fan_at, fan_geometry
from telecom_nb.ui.kpis import choose_chart_kpis, kpi_meta
from telecom_nb.ui.placement import (
    IRAN_CENTER,
    IRAN_ZOOM,
    METRES_PER_DEG,
    data_bounds,
    initial_view,
)
from telecom_nb.ui.triage import Filter

REPO = Path(__file__).resolve().parents[1]
SQUARE = {"type": "FeatureCollection", "features": []}
VENDOR_KPIS = (
    "DL Traffic Volume (GB)", "UL Traffic Volume (GB)", "Avg DL User Throughput (Mbps)",
    "PRB DL Utilization (%)", "RRC Setup Success Rate (%)", "E-RAB Drop Rate (%)",
    "Cell Availability (%)", "Avg Connected Users",
)
LABELS = {"E-RAB Drop Rate (%)": "E-RAB drop rate (%)", "Avg Connected Users": "Connected users"}
INFO = {k: infer_kpi_info(k) for k in VENDOR_KPIS}
INFO["Avg Connected Users"] = infer_kpi_info("Avg Connected Users", unit="users")


def _sites() -> pd.DataFrame:
    """Two Tehran sites of three sectors (one with azimuths, one without), a lone sector,
    and two sectors the inventory lacks (no position)."""
    ids = ["T1A", "T1B", "T1C", "T2A", "T2B", "T2C", "K1A", "NEW1", "NEW2"]
    lat = [35.70, 35.70, 35.70, 35.74, 35.74, 35.74, 35.80, np.nan, np.nan]
    lon = [51.40, 51.40, 51.40, 51.45, 51.45, 51.45, 51.30, np.nan, np.nan]
    azimuth = [0, 120, 240, np.nan, np.nan, np.nan, np.nan, np.nan, np.nan]
    return pd.DataFrame({schema.SECTOR: ids, schema.PROVINCE: "Tehran", schema.LAT: lat,
                         schema.LON: lon, "azimuth": azimuth})


def _operator_monitor(**kwargs) -> FakeMonitor:
    return FakeMonitor(kpis=VENDOR_KPIS, labels=LABELS, kpi_info=INFO, sectors=_sites(),
                       **kwargs)


def _drawn(layer) -> dict[str, tuple[float, float]]:
    return {f["properties"]["sector_id"]: tuple(f["geometry"]["coordinates"])
            for f in layer.data["features"]}


def _metres(a: tuple[float, float], b: tuple[float, float], lat: float) -> float:
    dx = (a[0] - b[0]) * METRES_PER_DEG * np.cos(np.radians(lat))
    return float(np.hypot(dx, (a[1] - b[1]) * METRES_PER_DEG))


# -- KPIs: names, labels, units, which to chart -------------------------------------------
def test_charts_feed_hover_and_drilldown_use_the_sources_kpis_and_units():
    monitor = _operator_monitor()
    dash = Dashboard(monitor, provinces=SQUARE)
    for _ in range(3):
        monitor.emit(anomalous=[0, 6], recovering=[3])
    # six charts, one of each kind of KPI (the second traffic volume waits), + anomalies
    assert dash.chart_kpis == ("DL Traffic Volume (GB)", "Avg DL User Throughput (Mbps)",
                               "PRB DL Utilization (%)", "RRC Setup Success Rate (%)",
                               "E-RAB Drop Rate (%)", "Cell Availability (%)")
    assert dash.charts.shown == {*dash.chart_kpis, "n_anomalies"}
    units = {k: fig.axes[1].label for k, fig in dash.charts.figures.items()}
    assert units["DL Traffic Volume (GB)"] == "GB"
    assert units["Avg DL User Throughput (Mbps)"] == "Mbps"
    assert units["E-RAB Drop Rate (%)"] == "%"
    assert "E-RAB drop rate (%), mean" in [f.title for f in dash.charts.figures.values()]
    assert all(len(dash.charts.lines[k].y) == 3 for k in dash.chart_kpis)
    feed = dash.feed.table.value
    assert "Connected users" in feed  # the incident's worst KPI, by its label
    assert not any(k in feed for k in schema.KPIS)
    dash.map.select("T1A")
    assert "Connected users" in dash.map.info.value
    assert [v for _, v in dash.drill.kpi.options] == list(VENDOR_KPIS)
    dash.drill.kpi.value = "Avg Connected Users"  # the drill-down's axis follows the KPI
    assert dash.drill.axes[1].label == "users" and len(dash.drill.line.y) == 3
    assert "Connected users" in dash.drill.figure.title


def test_chart_choice_can_be_given_and_is_checked():
    monitor = _operator_monitor()
    dash = Dashboard(monitor, provinces=SQUARE, chart_kpis=["Avg Connected Users"])
    assert dash.charts.shown == {"Avg Connected Users", "n_anomalies"}
    with pytest.raises(ValueError, match="throughput_mbps"):
        Dashboard(monitor, provinces=SQUARE, chart_kpis=["throughput_mbps"])


def test_simulator_kpis_are_all_charted_and_units_come_from_names():
    meta = kpi_meta(FakeMonitor())  # no kpi_info: units read from the names
    assert {k: m.unit for k, m in meta.items()} == {
        schema.PAYLOAD: "MB", schema.THROUGHPUT: "Mbps", schema.PRB: "%",
        schema.AVAILABILITY: "%"}
    assert choose_chart_kpis(schema.KPIS, meta) == schema.KPIS


def test_no_kpi_is_hard_coded_in_the_ui():
    import telecom_nb.ui as ui

    source = "\n".join(p.read_text() for p in Path(ui.__file__).parent.glob("*.py"))
    for name in ("schema.KPIS", "PAYLOAD", "THROUGHPUT", "AVAILABILITY", "schema.PRB",
                 *schema.KPIS):
        assert name not in source, name


# -- time: the network's wall clock, zone named ---------------------------------------------
def test_times_are_shown_in_the_networks_zone():
    monitor = _operator_monitor(timezone="Asia/Tehran")
    monitor.sim_time = "2026-04-05T10:30:00+00:00"
    dash = Dashboard(monitor, provinces=SQUARE)
    monitor.emit(anomalous=[0])
    status = dash.status.widget.value
    assert "2026-04-05 14:00 +0330" in status and "Asia/Tehran" in status
    assert "start (Asia/Tehran)" in dash.feed.table.value
    start = monitor.recent_episodes()["start"].iloc[0]
    local = pd.Timestamp(start).tz_convert("Asia/Tehran").strftime("%m-%d %H:%M")
    assert local in dash.feed.table.value
    x_axis = dash.charts.figures["n_anomalies"].axes[0]
    assert x_axis.label == "Asia/Tehran (+0330)" and "%H:%M" in x_axis.tick_format
    # the chart's times are local wall-clock times (bqplot's date axes format in UTC)
    last = pd.Timestamp(dash.charts.lines["n_anomalies"].x[-1])
    assert last == pd.Timestamp(start).tz_convert("Asia/Tehran").tz_localize(None)


def test_without_a_zone_times_say_utc():
    monitor = _operator_monitor()
    monitor.sim_time = "2026-04-05T10:30:00+00:00"
    dash = Dashboard(monitor, provinces=SQUARE)
    monitor.emit(anomalous=[0])
    assert "2026-04-05 10:30 UTC" in dash.status.widget.value
    assert "start (UTC)" in dash.feed.table.value
    assert dash.charts.figures["n_anomalies"].axes[0].label == "UTC"
    assert NetworkClock("Not/AZone").name == "UTC"


# -- the map: extent, fan-out, unplaced sectors -----------------------------------------------
def test_map_zooms_to_the_datas_extent_but_keeps_the_iran_view_for_iran_wide_data():
    dash = Dashboard(_operator_monitor(), provinces=SQUARE)
    (south, west), (north, east) = data_bounds(_sites())
    assert south < 35.70 and north > 35.80 and west < 51.30 and east > 51.45
    center, zoom = tuple(dash.map.map.center), dash.map.map.zoom
    assert south < center[0] < north and west < center[1] < east
    assert zoom >= 10, "a city's sites are shown at city zoom, not all of Iran"
    assert initial_view(FakeMonitor().sectors) == (IRAN_CENTER, IRAN_ZOOM)
    no_positions = _sites().iloc[7:]
    assert initial_view(no_positions) == (IRAN_CENTER, IRAN_ZOOM)


def test_co_located_sectors_are_fanned_out_and_each_can_be_clicked():
    monitor = _operator_monitor()
    dash = Dashboard(monitor, provinces=SQUARE)
    drawn = _drawn(dash.map.base)
    assert set(drawn) == {"T1A", "T1B", "T1C", "T2A", "T2B", "T2C", "K1A"}
    assert len(set(drawn.values())) == 7, "two sectors drawn on one spot"
    site1, site2 = (51.40, 35.70), (51.45, 35.74)
    # by azimuth: A north of its site, B to the east-south-east, C west-south-west
    assert drawn["T1A"][1] > site1[1] and drawn["T1A"][0] == pytest.approx(site1[0], abs=1e-4)
    assert drawn["T1B"][0] > site1[0] and drawn["T1C"][0] < site1[0]
    for sid, site in [("T1A", site1), ("T1B", site1), ("T2A", site2), ("T2C", site2)]:
        assert 100 < _metres(drawn[sid], site, 35.7) < 1000, sid  # a few hundred metres
    assert drawn["K1A"] == pytest.approx((51.30, 35.80))  # alone, no azimuth: on its site
    monitor.emit(anomalous=[1], recovering=[4])
    assert _drawn(dash.map.alerts)["T1B"] == drawn["T1B"]  # overlays reuse the fan
    assert _drawn(dash.map.alerts)["T2B"] == drawn["T2B"]
    for layer, sid in [(dash.map.base, "T1A"), (dash.map.alerts, "T1B"),
                       (dash.map.base, "T1C")]:
        layer._handle_mouse_events(None, {"event": "click", "type": "Feature",
                                          "properties": {"sector_id": sid}}, [])
        assert dash.map.selected == sid and dash.drill.figure.title.startswith(sid)
        assert len(dash.drill.line.y) == 1


def test_sectors_without_a_position_are_listed_and_their_drilldown_works():
    monitor = _operator_monitor()
    dash = Dashboard(monitor, provinces=SQUARE)
    note = dash.map.unplaced_note.value
    assert "2 sectors have no position" in note and "NEW1" in note and "NEW2" in note
    assert "tnb-unplaced" in dash.map.unplaced_note._dom_classes
    dash.map.select("NEW1")  # known, never streamed yet: no KeyError, says so
    assert "no data yet" in dash.drill.figure.title
    monitor.emit()
    json_text = str(dash.map.alerts.data) + str(dash.map.base.data)
    assert "nan" not in json_text.lower()


def test_unplaced_list_is_cut_after_five():
    sectors = _sites().iloc[:1]
    sectors = pd.concat([sectors, pd.DataFrame({schema.SECTOR: [f"X{i}" for i in range(8)],
                                                schema.LAT: np.nan, schema.LON: np.nan})])
    dash = Dashboard(FakeMonitor(kpis=VENDOR_KPIS, sectors=sectors), provinces=SQUARE)
    assert "8 sectors have no position" in dash.map.unplaced_note.value
    assert "X4" in dash.map.unplaced_note.value and "X5" not in dash.map.unplaced_note.value
    assert "and 3 more" in dash.map.unplaced_note.value


def test_fan_out_spreads_sectors_without_azimuth_and_steps_out_shared_bearings():
    sectors = pd.DataFrame({schema.SECTOR: list("abcdef"), schema.LAT: 30.0,
                            schema.LON: [50.0] * 4 + [51.0] * 2,
                            "azimuth": [np.nan] * 4 + [90.0, 90.0]})
    out = fan_at(fan_geometry(sectors), 12)
    even = out.loc[list("abcd")]
    assert len({(round(a, 6), round(b, 6)) for a, b in even.to_numpy()}) == 4
    east = out.loc[["e", "f"]]  # two bands on one bearing: same line, different distance
    assert (east[schema.LON] > 51.0).all() and east[schema.LAT].tolist() == [30.0, 30.0]
    assert east[schema.LON].iloc[1] > east[schema.LON].iloc[0]


# -- a real monitor replaying the operator-style sample -------------------------------------
@pytest.fixture(scope="module")
def operator_sample(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("operator")
    subprocess.run([sys.executable, str(REPO / "scripts" / "make_operator_sample.py"),
                    "--out", str(out), "--cells", "30", "--weeks", "1", "--seed", "3"],
                   check=True, capture_output=True)
    return out / "source.toml"


def test_replayed_operator_sample_drives_the_dashboard(operator_sample):
    from telecom_nb.engine.monitor import Monitor
    from telecom_nb.sources.replay import ReplaySource

    source = ReplaySource.from_source(operator_sample)
    assert source.kpi_labels["E-RAB Drop Rate (%)"] == "E-RAB drop rate (%)"
    assert source.kpi_labels["Avg Connected Users"] == "Connected users"
    assert source.kpi_labels["DL Traffic Volume (GB)"] == "DL Traffic Volume (GB)"
    monitor = Monitor(source, "robust_z", interval=0)
    assert "azimuth" in monitor.sectors  # the map fans out by it
    dash = Dashboard(monitor)
    asyncio.run(monitor.step(30))
    dash.refresh()
    assert "E-RAB drop rate (%), mean" in [f.title for f in dash.charts.figures.values()]
    drawn = _drawn(dash.map.base)
    assert len(drawn) == 30 and len(set(drawn.values())) == 30
    site = monitor.sectors.iloc[:3][schema.SECTOR].tolist()  # three cells of one site
    for sid in site:
        dash.map.select(sid)
        assert dash.drill.figure.title.startswith(sid)
        assert len(dash.drill.line.y) >= 25  # 30 ticks, a few hours missing
    dash.close()


def test_the_fake_says_what_its_kpis_are_and_where_its_clock_is():
    from telecom_nb.engine.view import MonitorView

    monitor = _operator_monitor(timezone="Asia/Tehran")
    assert isinstance(monitor, MonitorView)
    assert kpi_meta(monitor)["Avg Connected Users"].unit == "users"
    assert kpi_meta(monitor)["E-RAB Drop Rate (%)"].bad == "up"


# -- exports unlike our generators (walkui41) ----------------------------------------------
def test_no_sector_with_a_position_still_draws_alerts_charts_and_status():
    """An export without a sites file: the map has no dot, yet an anomalous sector's tick
    must not break the redraw (it did: IndexError in the map, charts never drawn)."""
    sites = _sites().assign(**{schema.LAT: np.nan, schema.LON: np.nan})
    monitor = FakeMonitor(kpis=VENDOR_KPIS, labels=LABELS, kpi_info=INFO, sectors=sites)
    dash = Dashboard(monitor, provinces=SQUARE)
    for _ in range(2):
        monitor.emit(anomalous=[0, 3], recovering=[5])
    assert dash.map.base.data["features"] == [] and dash.map.alerts.data["features"] == []
    assert "9 sectors have no position" in dash.map.unplaced_note.value
    assert all(len(dash.charts.lines[k].y) == 2 for k in dash.chart_kpis)
    assert "tick <span class=\"tnb-status-tick\">2" in dash.status.widget.value


def test_a_network_across_the_date_line_is_one_place_on_the_map():
    """Fiji: sites at 179.99 and -179.99 are 2 km apart, not the width of the world."""
    sites = pd.DataFrame({schema.SECTOR: ["F1A", "F1B", "F2A", "F3A"],
                          schema.PROVINCE: "Fiji", schema.LAT: [-17.80, -17.80, -17.81, -16.5],
                          schema.LON: [179.995, 179.995, -179.99, 179.40],
                          "azimuth": [0, 120, -120, np.nan]})
    dash = Dashboard(FakeMonitor(kpis=VENDOR_KPIS, sectors=sites), provinces=SQUARE)
    center, zoom = tuple(dash.map.map.center), dash.map.map.zoom
    assert zoom >= 7 and 179.3 < center[1] < 180.1, (center, zoom)
    drawn = _drawn(dash.map.base)
    assert drawn["F2A"][0] == pytest.approx(180.0, abs=0.02)  # just east of 180, not -180
    assert len(set(drawn.values())) == 4
    assert _metres(drawn["F1A"], drawn["F2A"], -17.8) < 5_000
    mid = initial_view(sites.iloc[:1])  # one site: no crossing, no shift
    assert mid[0][1] == pytest.approx(179.995)
    iran = initial_view(_sites())  # a network away from the date line is unchanged
    assert 51.2 < iran[0][1] < 51.5


def test_one_sector_is_called_one_sector():
    sites = _sites().iloc[:1]
    dash = Dashboard(FakeMonitor(kpis=VENDOR_KPIS, sectors=sites), provinces=SQUARE)
    dash.status.refresh()
    text = dash.status.widget.value
    assert "1 sector" in text and "1 sectors" not in text


def test_forty_kpis_keep_the_kpis_control_short_and_labelled():
    kpis = tuple(f"Vendor Derived Metric {i:02d} [ms]" for i in range(40))
    labels = {k: k.replace("[ms]", "(ms)") for k in kpis}
    dash = Dashboard(FakeMonitor(kpis=kpis, labels=labels), provinces=SQUARE)
    control = dash.controls.params["kpis"]
    assert control.rows <= 8  # not a 40-row box down the side panel
    assert control.options[0] == ("Vendor Derived Metric 00 (ms)", kpis[0])
    control.value = kpis[3:5]
    assert dash.monitor.detector.kpis == list(kpis[3:5])


def test_sites_in_one_city_block_get_dots_apart_at_the_first_view():
    """Four rooftop sites 30-45 m apart, three sectors each: at the first view every dot
    is at least a dot's width from the next (they overlapped at zoom 14)."""
    from telecom_nb.ui.map import DOT_RADIUS
    from telecom_nb.ui.placement import metres_per_pixel

    site_lat = np.repeat(48.8566 + 0.0003 * np.array([0, 1, 0, 1]), 3)
    site_lon = np.repeat(2.3522 + 0.0004 * np.array([0, 0, 1, 1]), 3)
    sites = pd.DataFrame({schema.SECTOR: [f"P{i}" for i in range(12)], schema.PROVINCE: "IDF",
                          schema.LAT: site_lat, schema.LON: site_lon,
                          "azimuth": np.tile([30.0, 150.0, 270.0], 4)})
    dash = Dashboard(FakeMonitor(kpis=VENDOR_KPIS, sectors=sites), provinces=SQUARE)
    center, zoom = tuple(dash.map.map.center), dash.map.map.zoom
    xy = np.array(list(_drawn(dash.map.base).values()))
    metres = np.hypot((xy[:, None, 0] - xy[None, :, 0]) * METRES_PER_DEG
                      * np.cos(np.radians(center[0])),
                      (xy[:, None, 1] - xy[None, :, 1]) * METRES_PER_DEG)
    np.fill_diagonal(metres, np.inf)
    assert metres.min() / metres_per_pixel(center[0], zoom) >= 2 * DOT_RADIUS
    lon, lat = xy[:, 0], xy[:, 1]  # and every dot is inside the first view (640 x 440 px)
    half_w = 320 * metres_per_pixel(center[0], zoom) / (METRES_PER_DEG
                                                        * np.cos(np.radians(center[0])))
    assert (np.abs(lon - center[1]) < half_w).all()
    assert (np.abs(lat - center[0]) < 220 * metres_per_pixel(center[0], zoom)
            / METRES_PER_DEG).all()


def test_the_search_hint_names_one_of_the_networks_own_ids():
    dash = Dashboard(_operator_monitor(), provinces=SQUARE)
    assert "T1A" in dash.triage.search.placeholder and "THR-" not in dash.triage.search.placeholder
    dash.triage.search.value = "nothing-like-this"
    assert "no sector matches" in dash.triage.note.value and "e.g. T1A" in dash.triage.note.value


def test_a_kpi_blank_over_the_range_says_so_in_its_charts():
    """5G users blank network-wide until launch: the chart's title says why it is empty,
    and stops saying it once values arrive; the drill-down too."""
    monitor = _operator_monitor()
    dash = Dashboard(monitor, provinces=SQUARE,
                     chart_kpis=["Avg Connected Users", "E-RAB Drop Rate (%)"])
    for _ in range(2):
        monitor.emit(blank=("Avg Connected Users",))
    users = dash.charts.figures["Avg Connected Users"]
    assert users.title.endswith("no values in this range")
    assert not dash.charts.figures["E-RAB Drop Rate (%)"].title.endswith("range")
    dash.map.select("T1A")
    dash.drill.kpi.value = "Avg Connected Users"
    assert "no values in this range" in dash.drill.figure.title
    dash.set_filter(Filter(search="T1"))  # the scope and the note together
    assert users.title.endswith("3 sectors · no values in this range"), users.title
    dash.set_filter(Filter())
    monitor.emit()
    assert users.title == "Connected users, mean"


def test_forty_kpis_on_hover_scroll_and_lead_with_the_flagged_one():
    kpis = tuple(f"Vendor Derived Metric {i:02d} (ms)" for i in range(40))
    monitor = FakeMonitor(kpis=kpis, sectors=_sites())
    dash = Dashboard(monitor, provinces=SQUARE)
    monitor.emit(anomalous=[0])  # the fake's top KPI is the last one
    dash.map.select("T1A")
    rows = dash.map.info.value.split("<tr>")
    assert kpis[-1] in rows[2] and "◀" in rows[2]  # first row after the header
    assert dash.map.info.layout.max_height and dash.map.info.layout.overflow == "auto"
    few = FakeMonitor(kpis=VENDOR_KPIS, sectors=_sites())
    dash = Dashboard(few, provinces=SQUARE)
    few.emit(anomalous=[0])
    dash.map.select("T1A")
    assert VENDOR_KPIS[0] in dash.map.info.value.split("<tr>")[2]  # few: source order


def test_a_long_vendor_kpi_name_is_clipped_in_chart_titles_only():
    long = "Average number of simultaneously connected RRC users in the cell during the period"
    monitor = FakeMonitor(kpis=(long, "E-RAB Drop Rate (%)"), sectors=_sites())
    dash = Dashboard(monitor, provinces=SQUARE)
    monitor.emit()
    title = dash.charts.figures[long].title
    assert title.endswith("…, mean") and len(title) <= 70 and title.startswith("Average number")
    dash.map.select("T1A")
    dash.drill.kpi.value = long
    assert long not in dash.drill.figure.title and "…" in dash.drill.figure.title
    assert long in dash.map.info.value and long in dict(dash.triage.kpis.options)


def test_hover_does_not_call_a_sector_unknown_when_the_export_has_no_province():
    sites = _sites().assign(**{schema.PROVINCE: schema.UNKNOWN_PROVINCE})
    monitor = FakeMonitor(kpis=VENDOR_KPIS, sectors=sites)
    dash = Dashboard(monitor, provinces=SQUARE)
    monitor.emit()
    dash.map.select("T1A")
    assert "<b>T1A</b> · 2026-01-01" in dash.map.info.value
    assert schema.UNKNOWN_PROVINCE not in dash.map.info.value
    dash = Dashboard(_operator_monitor(), provinces=SQUARE)
    dash.monitor.emit()
    dash.map.select("T1A")
    assert "<b>T1A</b> · Tehran · " in dash.map.info.value


def test_unplaced_ids_with_commas_stay_readable_in_the_list():
    sites = pd.DataFrame({schema.SECTOR: ["Tehran, Azadi 1", "Isfahan;B"],
                          schema.PROVINCE: "unknown", schema.LAT: np.nan, schema.LON: np.nan})
    dash = Dashboard(FakeMonitor(kpis=VENDOR_KPIS, sectors=sites), provinces=SQUARE)
    note = dash.map.unplaced_note.value
    assert "<code>Tehran, Azadi 1</code>, <code>Isfahan;B</code>" in note


def test_the_charts_heading_says_how_long_a_sectors_history_is_at_this_cadence():
    """96 ticks are a day only at 15 minutes: the heading said "a day at 15 minutes" for
    5-minute (8 h) and hourly (4 days) exports alike."""
    from types import SimpleNamespace

    monitor = _operator_monitor()
    monitor.sector_buffer = SimpleNamespace(k=32)  # the fake's ticks are 15 min apart
    dash = Dashboard(monitor, provinces=SQUARE)
    assert "the last 32 ticks each sector keeps)" in dash.charts_title.value
    monitor.emit()
    monitor.emit()
    assert "the last 32 ticks each sector keeps, 8h here)" in dash.charts_title.value
    assert "15 minutes" not in dash.charts_title.value


def test_time_axes_name_the_offset_of_the_data_shown_not_of_today():
    """walknb42: a replayed Warsaw export of 16 March - 2 April was labelled with the
    offset of the day it was replayed (+0100 in December) on every chart."""
    from telecom_nb.ui.charts import NetworkCharts, SectorChart

    clock = NetworkClock("Europe/Warsaw")
    stamps = pd.Series(pd.date_range("2026-03-28 12:00", periods=96, freq="15min", tz="UTC"))
    history = pd.DataFrame({schema.TIMESTAMP: stamps, "load_mean": 1.0, "n_anomalies": 0,
                            "load": 1.0, schema.IS_ANOMALY: False})
    charts = NetworkCharts(["load"], clock=clock, window=96)
    charts.update(history)
    assert charts.time_axis.label == "Europe/Warsaw (+0100 → +0200)"  # DST on 29 March
    charts.update(history.tail(8))
    assert charts.time_axis.label == "Europe/Warsaw (+0200)"
    drill = SectorChart(lambda _sid: history.head(8), ["load"], clock=clock)
    drill.show("S1")
    assert drill.axes[0].label == "Europe/Warsaw (+0100)"
