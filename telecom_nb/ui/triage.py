"""The triage bar: filter by province and state, search a sector or site, pick the charts'
KPIs and time range, export episodes and incidents.

At 20,000 sectors hundreds are red at once; a person works one province, one site or
one state at a time. The filter is plain data (:class:`Filter`) and the matching is
pure pandas (:func:`match_sectors`, :func:`filter_incidents`), so it is tested without
widgets; the dashboard applies it to the map, the feed and the charts.
"""

from __future__ import annotations

import base64
import html
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import ipywidgets as widgets
import numpy as np
import pandas as pd

from telecom_nb.schema import PROVINCE, SECTOR

ALL_PROVINCES = "all provinces"
STATES = ("all", "anomalous", "recovering", "acknowledged")
#: time ranges offered for the charts: (label, hours)
RANGES = (("6 h", 6.0), ("12 h", 12.0), ("24 h", 24.0), ("3 days", 72.0), ("7 days", 168.0))
#: 12 h of 15-minute ticks is 48 points a line: with five charts the whole dashboard stays
#: under 10 KB per tick; longer ranges are averaged down to ``charts.MAX_POINTS``
DEFAULT_RANGE_H = 12.0
#: a file larger than this gets a path only, no in-page download link
LINK_MAX_BYTES = 5_000_000
SITE_COLUMNS = ("site", "site_id")


@dataclass(frozen=True)
class Filter:
    """What the person narrowed the dashboard to (empty = everything)."""

    province: str = ""
    state: str = "all"
    search: str = ""

    @property
    def narrows_sectors(self) -> bool:
        return bool(self.province or self.search.strip())

    def describe(self) -> str:
        """``Tehran, "THR-0001"`` (what the charts' titles and notes say)."""
        parts = [self.province] if self.province else []
        if self.search.strip():
            parts.append(f'"{self.search.strip()}"')
        return ", ".join(parts)


def match_sectors(sectors: pd.DataFrame, flt: Filter) -> pd.Index | None:
    """Sector ids the province and search keep; None when neither narrows anything.

    The search is a case-insensitive substring of the sector id or of the site id (when
    the sector table has one), so ``THR-00012`` finds the site's three sectors."""
    if not flt.narrows_sectors:
        return None
    keep = np.ones(len(sectors), bool)
    if flt.province:
        keep &= sectors[PROVINCE].astype(str).to_numpy() == flt.province
    text = flt.search.strip().lower()
    if text:
        hit = sectors[SECTOR].astype(str).str.lower().str.contains(text, regex=False)
        for column in SITE_COLUMNS:
            if column in sectors:
                hit |= sectors[column].astype(str).str.lower().str.contains(text, regex=False)
        keep &= hit.to_numpy(dtype=bool)
    return pd.Index(sectors.loc[keep, SECTOR].astype(str).to_numpy(), dtype=object)


def incident_sectors(incidents: pd.DataFrame) -> pd.Series:
    """One row per (incident, sector): the ``sector_ids`` column exploded (index = row)."""
    return incidents["sector_ids"].astype(str).str.split().explode()


def filter_incidents(incidents: pd.DataFrame, flt: Filter, matching: pd.Index | None,
                     anomalous_now: pd.Index) -> pd.DataFrame:
    """The incidents touching a matching sector, in the chosen state (order kept).

    anomalous: open, not acknowledged, some sector anomalous now; recovering: open, not
    acknowledged, none anomalous now; acknowledged: acknowledged; all: every one."""
    if incidents.empty:
        return incidents
    exploded = incident_sectors(incidents)
    keep = np.ones(len(incidents), bool)
    if matching is not None:
        touched = exploded.isin(matching).groupby(level=0).any()
        keep &= touched.reindex(incidents.index, fill_value=False).to_numpy()
    if flt.state != "all":
        acked = incidents["acknowledged"].to_numpy(dtype=bool)
        if flt.state == "acknowledged":
            keep &= acked
        else:
            hot = exploded.isin(anomalous_now).groupby(level=0).any()
            hot = hot.reindex(incidents.index, fill_value=False).to_numpy()
            open_ = incidents["is_open"].to_numpy(dtype=bool) & ~acked
            keep &= open_ & (hot if flt.state == "anomalous" else ~hot)
    return incidents[keep]


def download_link(path: Path) -> str:
    """An in-page link to the file (a ``data:`` URL: works on a Voilà page, offline)."""
    size = path.stat().st_size
    name = html.escape(path.name)
    if size > LINK_MAX_BYTES:
        return f"wrote <code>{html.escape(str(path))}</code> ({size / 1e6:.1f} MB)"
    kind = "text/csv" if path.suffix == ".csv" else "application/octet-stream"
    data = base64.b64encode(path.read_bytes()).decode("ascii")
    return (f'wrote <code>{html.escape(str(path))}</code> · <a class="tnb-download" '
            f'download="{name}" href="data:{kind};base64,{data}">download {name}</a>')


class TriageBar:
    """Province, state and search filters; chart KPIs and time range; export buttons.

    ``on_filter(Filter)`` runs on every filter change, ``on_view()`` when the charts'
    KPIs or time range change, ``on_export(what, fmt)`` returns the written file."""

    def __init__(self, provinces: Sequence[str], kpis: Sequence[str],
                 labels: Mapping[str, str], chart_kpis: Sequence[str], *,
                 on_filter: Callable[[Filter], None], on_view: Callable[[], None],
                 on_export: Callable[[str, str], Path], example_id: str = "THR-00012"):
        self._on_filter, self._on_view, self._on_export = on_filter, on_view, on_export
        narrow = widgets.Layout(width="auto")
        self.province = widgets.Dropdown(options=[ALL_PROVINCES, *sorted(set(provinces))],
                                         description="Province", layout=narrow)
        self.state = widgets.Dropdown(options=list(STATES), value="all", description="State",
                                      layout=widgets.Layout(width="200px"))
        # the example is one of the data's own ids (an export's cells are not THR-00012)
        self.example_id = example_id
        self.search = widgets.Text(placeholder=f"sector or site id, e.g. {example_id}",
                                   description="Search", continuous_update=False,
                                   layout=widgets.Layout(width="300px"))
        self.range = widgets.Dropdown(options=list(RANGES), value=DEFAULT_RANGE_H,
                                      description="Charts", layout=widgets.Layout(width="170px"))
        options = [(labels.get(k, k), k) for k in kpis]
        self.kpis = widgets.SelectMultiple(options=options, value=tuple(chart_kpis),
                                           rows=min(4, max(len(options), 1)),
                                           layout=widgets.Layout(width="230px"))
        self.note = widgets.HTML("")
        self.exports = {
            (what, fmt): widgets.Button(description=f"{what} .{fmt}", icon="download",
                                        tooltip=f"write the {what} to a .{fmt} file",
                                        layout=widgets.Layout(width="auto"))
            for what in ("episodes", "incidents") for fmt in ("csv", "parquet")}
        self.export_note = widgets.HTML("")
        for (what, fmt), button in self.exports.items():
            button.add_class(f"tnb-export-{what}-{fmt}")
            button.on_click(lambda _b, what=what, fmt=fmt: self._export(what, fmt))
        for widget, css in ((self.province, "tnb-filter-province"),
                            (self.state, "tnb-filter-state"), (self.search, "tnb-search"),
                            (self.range, "tnb-range"), (self.kpis, "tnb-chart-kpis"),
                            (self.note, "tnb-filter-note"),
                            (self.export_note, "tnb-export-note")):
            widget.add_class(css)
        for widget in (self.province, self.state, self.search):
            widget.observe(self._filter_changed, names="value")
        for widget in (self.range, self.kpis):
            widget.observe(lambda _c: self._on_view(), names="value")
        filters = widgets.HBox([self.province, self.state, self.search, self.note],
                               layout=widgets.Layout(flex_flow="row wrap", align_items="center"))
        view = widgets.HBox([self.range, widgets.HTML("KPIs"), self.kpis,
                             widgets.VBox([widgets.HBox(list(self.exports.values())),
                                           self.export_note])],
                            layout=widgets.Layout(flex_flow="row wrap", align_items="center"))
        self.widget = widgets.VBox([filters, view])
        self.widget.add_class("tnb-triage")

    @property
    def filter(self) -> Filter:
        province = "" if self.province.value == ALL_PROVINCES else str(self.province.value)
        return Filter(province, str(self.state.value), str(self.search.value))

    @property
    def hours(self) -> float:
        return float(self.range.value)

    def _filter_changed(self, _change: dict) -> None:
        self._on_filter(self.filter)

    def _export(self, what: str, fmt: str) -> None:
        try:
            path = self._on_export(what, fmt)
        except (OSError, ValueError, ImportError) as exc:
            self.export_note.value = (f'<span style="color:#b00">⚠ export failed: '
                                      f"{html.escape(str(exc))}</span>")
            return
        self.export_note.value = download_link(Path(path))
