"""What the dashboard shows for each KPI: label, unit, bad direction, and which to chart.

Everything comes from the monitor (``kpis``, ``kpi_labels``, and ``kpi_info`` when the
source has one); a KPI without info gets its unit from its name ("E-RAB Drop Rate (%)",
``load_pct``), so the simulator's KPIs and any file's are treated alike.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from telecom_nb.sources.kpiinfo import infer_kpi_info

#: network charts drawn by default
MAX_CHARTS = 6
#: KPI kinds, by words in the name; the first match wins (order matters: "drop" before
#: "rate", "throughput" before "volume"). A KPI matching none is its own (unit, bad) kind.
KINDS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("availability", ("avail", "downtime", "outage", "uptime")),
    ("failure", ("drop", "fail", "loss", "lost", "block", "reject", "abnormal", "error")),
    ("success", ("success", "cssr", "accessib", "retainab", "integrity", "hosr")),
    ("throughput", ("throughput", "thp", "speed", "mbps", "bitrate")),
    ("utilisation", ("prb", "util", "load", "congest", "occupancy")),
    ("latency", ("latency", "delay", "rtt", "jitter")),
    ("users", ("user", "connected", "rrc conn", "subscriber", "ue ")),
    ("volume", ("traffic", "volume", "payload", "data", "bytes", "_mb", "(gb)", "(mb)")),
)


@dataclass(frozen=True)
class KpiMeta:
    """How one KPI is shown: ``label`` as the monitor gives it (with unit), ``unit`` for
    axes, ``bad`` (up / down / both) for explanations."""

    name: str
    label: str
    unit: str = ""
    bad: str = "both"

    @property
    def kind(self) -> str:
        lowered = f"{self.name} ".lower()
        for kind, words in KINDS:
            if any(word in lowered for word in words):
                return kind
        return f"{self.unit}/{self.bad}"


def _field(info: Any, name: str, default: str) -> str:
    value = info.get(name) if isinstance(info, Mapping) else getattr(info, name, None)
    return default if value is None else str(value)


def kpi_meta(monitor: Any) -> dict[str, KpiMeta]:
    """KPI -> :class:`KpiMeta`, read defensively (``kpi_info`` is optional on a monitor)."""
    kpis = tuple(monitor.kpis)
    labels = dict(getattr(monitor, "kpi_labels", None) or {})
    infos = dict(getattr(monitor, "kpi_info", None) or {})
    out = {}
    for kpi in kpis:
        guessed = infer_kpi_info(kpi)
        info = infos.get(kpi)
        unit = _field(info, "unit", guessed.unit) if info is not None else guessed.unit
        bad = _field(info, "bad", guessed.bad) if info is not None else guessed.bad
        out[kpi] = KpiMeta(kpi, str(labels.get(kpi, kpi)), unit, bad)
    return out


def choose_chart_kpis(kpis: Sequence[str], meta: Mapping[str, KpiMeta],
                      max_charts: int = MAX_CHARTS) -> tuple[str, ...]:
    """Up to ``max_charts`` KPIs, one of each kind first (volume, throughput, drop rate,
    success rate, ...), then the rest in the source's order; returned in source order."""
    chosen: list[str] = []
    seen: set[str] = set()
    for kpi in kpis:
        kind = meta[kpi].kind if kpi in meta else kpi
        if kind not in seen and len(chosen) < max_charts:
            seen.add(kind)
            chosen.append(kpi)
    for kpi in kpis:
        if len(chosen) >= max_charts:
            break
        if kpi not in chosen:
            chosen.append(kpi)
    return tuple(k for k in kpis if k in chosen)
