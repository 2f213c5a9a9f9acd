"""Write a second vendor's KPI export (plus cell inventory, labels and source.toml).

An independent generator beside ``make_operator_sample.py``: 14 other KPIs (counters with
many zeros at night, ratios of small counts, a negative dBm KPI, unavailability seconds),
a single ``Start Time`` column (ISO, compact ``20260504130000`` or day-first dotted), rows
ordered by period then cell as a per-period OSS job writes them, ``NE Name``/``Cell`` ids, a
cell inventory with other column names (sector ids, ``LAT``/``LONG``, azimuth), another zone
(daylight saving possible: the repeated autumn hour is written twice, as OSS tools do),
another weekend and public holidays, traffic growth, weekly maintenance windows and event
crowds (normal life, unlabelled), and other faults (a whole site down, a cluster of
neighbouring sites degraded, uplink interference, handover failures, partial and slow
degradation, latency, VoLTE drops) labelled per row in ``labels.csv``.

    python scripts/make_vendor_export.py --out vendor/ --sites 100 --weeks 3 --seed 1
"""

from __future__ import annotations

import argparse
import sys
import time
import zoneinfo
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent))
import vendor_world as world

DAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
TIME_FORMATS = {"iso": "%Y-%m-%d %H:%M", "compact": "%Y%m%d%H%M%S", "dotted": "%d.%m.%Y %H:%M"}
SOURCE_TOML = """\
# Second-vendor export written by scripts/make_vendor_export.py (seed {seed}).
path = "export.csv"
timestamp = "Start Time"
{time_format}sector = "Cell"
timezone = "{timezone}"
sites = "cells.csv"                # Sector ID, LAT, LONG, Azimuth (deg): found by name

[kpi."RRC Connected Users"]
label = "Connected users"
unit = "users"

[kpi."Cell Unavailability (s)"]
bad = "up"
"""


def _days(text: str) -> set[int]:
    days = {d.strip()[:3].title() for d in text.split(",") if d.strip()}
    if days - set(DAYS):
        raise SystemExit(f"unknown weekday(s) {', '.join(sorted(days - set(DAYS)))}")
    return {DAYS.index(d) for d in days}


def build(sites: int, weeks: float, seed: int, rate: float, timezone: str, weekend: set[int],
          holidays: set[str], start: str, step: str, prefix: str = "KRC"
          ) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """(export, cell inventory, labels): naive local wall times in column ``Start Time``."""
    rng = np.random.default_rng(seed)
    zone = zoneinfo.ZoneInfo(timezone)
    first = pd.Timestamp(start).tz_localize(zone).tz_convert("UTC")
    utc = pd.date_range(first, first + pd.Timedelta(days=7 * weeks), freq=step,
                        inclusive="left")
    clock = world.Clock(utc, utc.tz_convert(zone), pd.Timedelta(step).total_seconds() / 3600)
    net = world.make_network(rng, sites, prefix, *rng.uniform((-30, -60), (50, 110)))
    cells = net.cells
    n_cells, n_t = len(cells), len(utc)
    lo = world.load(rng, net, clock, clock.day_off(weekend, holidays))
    causes = world.Causes(lo.shape)
    fault = world.inject(rng, net, clock, causes, rate)
    world.oddities(rng, net, clock, causes, fault)
    values = world.kpis(rng, net, clock, lo, causes)

    present = np.ones((n_cells, n_t), dtype=bool)
    late = rng.random(n_cells) < 0.03  # cells brought on air mid-export, a few removed
    ticks = np.arange(n_t)[None, :]
    present[late] &= ticks >= rng.integers(n_t // 5, n_t // 2, late.sum())[:, None]
    gone = ~late & (rng.random(n_cells) < 0.01)
    present[gone] &= ticks < rng.integers(n_t // 2, n_t, gone.sum())[:, None]
    present &= rng.random((n_cells, n_t)) > 0.002  # a row not collected
    present[:, rng.integers(0, n_t, 1 + n_t // 800)] = False  # the OSS job failed a period
    ti, ci = np.nonzero(present.T)  # per-period job: time, then cell
    walls = clock.local.tz_localize(None)
    export = pd.DataFrame({
        "Start Time": walls[ti], "Granularity Period": int(clock.hours * 60),
        "NE Name": cells["ne"].to_numpy()[ci], "Cell": cells["cell"].to_numpy()[ci],
        "Local Cell ID": (cells["sector"].to_numpy() + 10 * (cells["band"] == "L08"))[ci],
        "Reliability": np.where(rng.random(ti.size) < 0.001, "Unreliable", "Reliable"),
    })
    for name, matrix in values.items():
        column = matrix[ci, ti]
        integral = name in ("RRC Connected Users", "Cell Unavailability (s)")
        column = np.round(column, 0 if integral else 2 if abs(np.nanmedian(column)) > 5 else 4)
        column[rng.random(column.size) < 0.003] = np.nan
        export[name] = pd.array(column, dtype="Int64") if integral else column
    lt, lc = np.nonzero((fault >= 0).T & present.T)
    labels = pd.DataFrame({"Start Time": walls[lt], "Cell": cells["cell"].to_numpy()[lc],
                           "Fault": np.array([f[0] for f in world.FAULTS])[fault[lc, lt]]})
    inventory = pd.DataFrame({
        "Site Code": cells["ne"], "Sector ID": cells["cell"], "Band": cells["band"],
        "LAT": cells["lat"].round(5), "LONG": cells["lon"].round(5),
        "Azimuth (deg)": cells["azimuth"], "Height (m)": rng.integers(18, 45, n_cells),
        "Region": np.where(np.hypot(*net.site_xy[cells["site"]].T) < 6, "Metro", "Outer"),
    }).sample(frac=1.0, random_state=seed)
    return export, inventory, labels


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--out", type=Path, required=True, help="folder to write into")
    ap.add_argument("--sites", type=int, default=100, help="sites (about 3.6 cells each)")
    ap.add_argument("--weeks", type=float, default=3.0)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--fault-rate", type=float, default=0.6,
                    help="fault episodes per cell per week (default 0.6)")
    ap.add_argument("--timezone", default="Europe/Istanbul", help="IANA zone of the wall clock")
    ap.add_argument("--weekend", default="Sat,Sun", help="days off, e.g. Fri,Sat")
    ap.add_argument("--holidays", default="", help="public holidays, YYYY-MM-DD,...")
    ap.add_argument("--start", default="2026-05-04", help="first local day (YYYY-MM-DD)")
    ap.add_argument("--step", default="1h", choices=("5min", "15min", "30min", "1h"),
                    help="reporting period")
    ap.add_argument("--time-style", default="iso", choices=tuple(TIME_FORMATS),
                    help="Start Time as 2026-05-04 13:00, 20260504130000 or 04.05.2026 13:00")
    ap.add_argument("--prefix", default="KRC", help="NE name prefix")
    ap.add_argument("--semicolon", action="store_true",
                    help="European locale: ';' between fields and decimal commas")
    args = ap.parse_args(argv)
    if not 1 <= args.sites <= 20_000 or not 0 < args.weeks <= 26 or args.fault_rate < 0:
        ap.error("--sites must be 1..20000, --weeks 0..26, --fault-rate >= 0")
    try:
        zoneinfo.ZoneInfo(args.timezone)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        ap.error(f"--timezone {args.timezone!r} is not an IANA zone")
    holidays = {d.strip() for d in args.holidays.split(",") if d.strip()}
    started = time.perf_counter()
    export, inventory, labels = build(
        args.sites, args.weeks, args.seed, args.fault_rate, args.timezone, _days(args.weekend),
        holidays, args.start, args.step, args.prefix)
    fmt = TIME_FORMATS[args.time_style]
    for table in (export, labels):
        table["Start Time"] = table["Start Time"].dt.strftime(fmt)
    args.out.mkdir(parents=True, exist_ok=True)
    csv = {"sep": ";", "decimal": ","} if args.semicolon else {}
    export.to_csv(args.out / "export.csv", index=False, **csv)
    inventory.to_csv(args.out / "cells.csv", index=False, **csv)
    labels.to_csv(args.out / "labels.csv", index=False, **csv)
    time_format = "" if args.time_style == "iso" else f'time_format = "{fmt}"\n'
    (args.out / "source.toml").write_text(SOURCE_TOML.format(
        seed=args.seed, timezone=args.timezone, time_format=time_format))
    print(f"wrote {len(export):,} rows ({len(inventory)} cells on {args.sites} sites, "
          f"{args.weeks:g} weeks, {args.step}), {len(labels):,} labelled fault rows to "
          f"{args.out} in {time.perf_counter() - started:.1f} s", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
