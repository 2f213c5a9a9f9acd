"""Scratch probe: what the weekday table expects for some cells at a local time of an export.

A weekend's false rows on an operator world (``operator_quality.py --save``) ask whether the
cell's own weekday effect was learned yet, and why it was or was not trusted. This replays
the export (as ``operator_quality.py`` does, no look-ahead) up to each local time given and
prints, for the week slot of that time, the fleet's effect and scatter (``fleet_``,
``sqrt(tau2_)``, :class:`~telecom_nb.features.weekly.WeekdayEffects`) and per cell whose
name starts with ``--cells``: its own effect, visits, its slot's spread (the noise the
shrinkage reads), the weight ``n tau2 / (n tau2 + sigma2)`` and the effect expected.
Series are in the seasonal model's units (log for volumes and counts). Not a test.

    PYTHONPATH=.:benchmarks python benchmarks/weekday_probe.py /tmp/lat64/o3246 \
        --at "2026-03-13 10:00" --at "2026-03-20 10:00" --cells THR0004_L \
        --kpi "DL PDCP Volume (MB)"
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
import pandas as pd
from operator_quality import labelled

from telecom_nb import schema
from telecom_nb.detectors import make_detector
from telecom_nb.detectors.param_paths import configure, parse_texts
from telecom_nb.engine import replay
from telecom_nb.engine.monitor_setup import use_source_calendar
from telecom_nb.features.compact import COUNT_UNITS
from telecom_nb.features.time_slots import time_slots
from telecom_nb.sources import load_source


def report(seasonal, at: pd.Timestamp, tz: str, prefix: str, kpis: list[str]) -> None:
    """Print the weekday table's state at ``at``'s week slot (see the module's docstring)."""
    week = seasonal.week_
    slot, wslot = time_slots(pd.DatetimeIndex([at]), seasonal.slots_per_day, tz)
    s, ws = int(slot[0]), int(wslot[0])
    ids = np.asarray(seasonal.registry.ids, dtype=str)
    rows = np.flatnonzero(np.char.startswith(ids, prefix))
    _, spread, _ = seasonal.slot_table_.get((rows, np.full(rows.size, s)))
    print(f"== {at.tz_convert(tz):%a %Y-%m-%d %H:%M} week slot {ws}, "
          f"fleet visits {week.fleet_count_[ws]:.2f}")
    for kpi in kpis:
        j = list(seasonal.kpis_).index(kpi)
        fleet, tau2 = week.fleet_[ws, j], week.tau2_[ws, j]
        print(f"  {kpi}: fleet effect {fleet:+.3f}, scatter {np.sqrt(tau2):.3f}")
        own = week.level_[rows, ws, j].astype(float)
        n = week.count_[rows, ws, j] / COUNT_UNITS
        sigma2 = spread[:, j].astype(float) ** 2
        den = n * tau2 + sigma2
        w = np.where(den > 0, n * tau2 / np.where(den > 0, den, 1.0), 0.0)
        for i, row in enumerate(rows):
            print(f"    {ids[row]}: own {own[i]:+.3f} visits {n[i]:.2f} slot spread "
                  f"{np.sqrt(sigma2[i]):.3f} weight {w[i]:.2f} "
                  f"expected {fleet + w[i] * (own[i] - fleet):+.3f}")


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("folder", type=Path, help="an export folder with source.toml, labels.csv")
    ap.add_argument("--at", action="append", required=True, help="local time, in order")
    ap.add_argument("--cells", required=True, help="prefix of the sector ids to list")
    ap.add_argument("--kpi", action="append", required=True)
    args = ap.parse_args(argv)
    loaded = load_source(args.folder / "source.toml")
    tz = loaded.spec.timezone
    table = labelled(loaded, args.folder)
    det = make_detector("iforest")
    configure(det, parse_texts(det, {"timezone": tz}))
    use_source_calendar(det, loaded.spec, given={"timezone": tz})
    ts = table[schema.TIMESTAMP]
    done = ts.min() - pd.Timedelta("1s")
    for text in args.at:
        at = pd.Timestamp(text).tz_localize(tz).tz_convert("UTC")
        replay(table[(ts > done) & (ts < at)], det, loaded.kpis)
        done = at - pd.Timedelta("1ns")
        report(det.features_.parts_[0], at, tz, args.cells, args.kpi)


if __name__ == "__main__":
    main()
