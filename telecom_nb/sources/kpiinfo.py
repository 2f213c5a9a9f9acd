"""What a KPI is: a display label, its unit, and which direction of change is bad.

The detector flags both directions; the UI and the explanations need to know that a
success rate *falling* is the fault and a drop rate *rising* is. Vendor KPI names say it
("RRC Setup Success Rate (%)", "E-RAB Drop Rate (%)"), so it is read from the name unless
``source.toml`` says otherwise.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

from telecom_nb.errors import KpiInputError

BadDirection = Literal["up", "down", "both"]
BAD_DIRECTIONS: tuple[str, ...] = ("up", "down", "both")

_UNIT_IN_BRACKETS = re.compile(r"\s*[(\[]\s*([^()\[\]]{1,12}?)\s*[)\]]\s*$")
#: a counter or KPI id closing a vendor's name, not a unit: Nokia ``(M8013C17)``,
#: ``(LTE_5025h)``, ``(NR_5100a)``, Huawei's ``(1526726658)``
_ID_IN_BRACKETS = re.compile(
    r"\s*[(\[]\s*(?:M\d{4,5}C\d{1,3}|(?:LTE|NR|RNC|WCDMA|GSM|SRAN|5G)_\d+[a-z]?|\d{8,10})"
    r"\s*[)\]]\s*$", re.IGNORECASE)
#: Unit suffixes of snake_case names (the simulator's ``payload_mb``, ``prb_pct``).
_UNIT_SUFFIXES = {"pct": "%", "percent": "%", "mb": "MB", "gb": "GB", "kb": "KB",
                  "mbps": "Mbps", "kbps": "kbps", "gbps": "Gbps", "ms": "ms", "s": "s",
                  "dbm": "dBm", "db": "dB", "erl": "Erl"}
#: Fragments that make a rise the fault; checked first ("Setup Failure Rate" is up).
_BAD_UP = ("unavail", "drop", "fail", "loss", "lost", "latency", "delay", "error", "block",
           "congest", "bler", "jitter", "interference", "downtime", "outage", "reject",
           "abnormal", "retrans", "rtwp", "timeout",
           # Spanish, Portuguese, French exports: drop, failure, loss, unavailability
           "caída", "caida", "queda", "fallo", "falha", "échec", "echec", "coupure",
           "pérdida", "perdida", "perda", "indispon", "latenc", "bloqueo", "bloqueio")
#: Fragments that make a fall the fault.
_BAD_DOWN = ("success", "avail", "throughput", "thp", "cssr", "setup", "accessib",
             "retainab", "integrity", "hosr", "uptime", "cqi", "speed",
             "éxito", "exito", "sucesso", "succès", "réussite", "disponib", "débit")


@dataclass(frozen=True)
class KpiInfo:
    """One KPI's display metadata; ``bad`` is the direction of change that means trouble."""

    name: str  # the column name in the loaded frame
    label: str
    unit: str = ""
    bad: BadDirection = "both"

    @property
    def display(self) -> str:
        """What a person reads: ``"E-RAB drop rate (%)"``, the label with its unit."""
        unit = self.unit.strip()
        shown = unit and unit.lower() not in self.label.lower()
        return f"{self.label} ({unit})" if shown else self.label

    def __post_init__(self) -> None:
        if self.bad not in BAD_DIRECTIONS:
            raise KpiInputError(
                f"KPI {self.name!r}: bad must be one of up, down, both; got {self.bad!r}"
            )


def split_unit(name: str) -> tuple[str, str]:
    """``"DL Traffic Volume (GB)"`` -> ``("DL Traffic Volume", "GB")``; also ``x %``, ``x_pct``.
    A counter id at the end (``HO SR [%] (LTE_5043a)``) is no unit: the unit is read
    before it (``%``) and the label keeps the id (``HO SR (LTE_5043a)``: two counters of
    one name stay apart)."""
    text = name.strip()
    if (ident := _ID_IN_BRACKETS.search(text)) and ident.start() > 0:
        label, unit = split_unit(text[: ident.start()])
        return f"{label} {ident.group(0).strip()}", unit
    if match := _UNIT_IN_BRACKETS.search(text):
        label = text[: match.start()].strip() or text
        if (ident := _ID_IN_BRACKETS.search(label)) and ident.start() > 0:
            # Huawei's "L.Thrp.bits.DL(1526728261) (kbit)": the id spaced as any other's
            label = f"{label[: ident.start()].strip()} {ident.group(0).strip()}"
        return label, match.group(1)
    if text.endswith("%") and len(text) > 1:
        return text[:-1].strip(" _-"), "%"
    head, sep, tail = text.rpartition("_")
    if sep and head and tail.lower() in _UNIT_SUFFIXES:
        return head.replace("_", " "), _UNIT_SUFFIXES[tail.lower()]
    return text, ""


def bad_direction(name: str) -> BadDirection:
    """Which change of this KPI is bad, from words in its name (``both`` when unsure)."""
    lowered = name.lower()
    if any(word in lowered for word in _BAD_UP):
        return "up"
    tokens = set(re.split(r"[^0-9a-z]+", lowered))
    if any(word in lowered for word in _BAD_DOWN) or "sr" in tokens:
        return "down"
    if "dr" in tokens:  # Nokia's "E-RAB DR" (drop ratio), read after any success word
        return "up"
    return "both"  # traffic, volume, users, utilisation: a collapse and a surge both matter


def infer_kpi_info(
    name: str, *, label: str | None = None, unit: str | None = None,
    bad: str | None = None,
) -> KpiInfo:
    """KpiInfo from the name, each field overridable (``source.toml``'s ``[kpi."name"]``)."""
    base, found_unit = split_unit(name)
    return KpiInfo(
        name=name,
        label=label if label is not None else base,
        unit=unit if unit is not None else found_unit,
        bad=bad if bad is not None else bad_direction(name),  # type: ignore[arg-type]
    )
