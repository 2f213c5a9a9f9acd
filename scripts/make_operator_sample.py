"""Write an operator-style KPI export (plus site inventory, labels and source.toml).

The simulator's tables already speak the project schema; real OSS/PM exports do not. This
writes what an operator hands over (see "What operator KPI exports look like" in the shared
notes): hourly rows per cell sorted by cell then time, separate ``Date``/``Time`` columns in
local time without an offset, vendor KPI names with units, blank cells, missing hours, a
cell coming on air mid-export, a local weekly rhythm (Friday weekend, Thursday partly),
coordinates only in a separate ``sites.csv``, and labelled faults in ``labels.csv`` (never a
column of the export), so ingest, detection and evaluation can be tested on held-out data
that differs per ``--seed``/``--cells``/``--weekend``.

    python scripts/make_operator_sample.py --out sample/ --cells 300 --weeks 3 --seed 7
"""

from __future__ import annotations

import argparse
import sys
import time
import zoneinfo
from pathlib import Path

import numpy as np
import pandas as pd

DAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
FAULT_KINDS = ("outage", "throughput_collapse", "drop_rate_surge", "traffic_collapse")
KPIS = (
    "DL Traffic Volume (GB)", "UL Traffic Volume (GB)", "Avg DL User Throughput (Mbps)",
    "PRB DL Utilization (%)", "RRC Setup Success Rate (%)", "E-RAB Drop Rate (%)",
    "Cell Availability (%)", "Avg Connected Users",
)
SECTORS = (("A", 0), ("B", 120), ("C", 240))
# Share of a cell's daily peak per local hour: residential evening peak, business daytime.
_RESIDENTIAL = np.array([.55, .40, .28, .18, .12, .10, .12, .20, .32, .42, .50, .55,
                         .58, .60, .60, .62, .66, .72, .80, .88, .95, 1.0, .95, .78])
_BUSINESS = np.array([.15, .10, .07, .05, .05, .07, .15, .35, .70, .92, 1.0, .98,
                      .90, .95, .97, .92, .82, .70, .55, .45, .38, .32, .26, .20])
# Weekend: late mornings, long evenings, little business traffic; the night *before* a
# weekend day (its first hours) stays busy.
_WEEKEND_SHIFT = np.array([.95, .85, .65, .45, .25, .12, .08, .10, .15, .25, .40, .55,
                           .65, .70, .72, .74, .78, .82, .88, .94, 1.0, 1.0, .96, .85])


def _weekday_sets(text: str) -> set[int]:
    days = {d.strip()[:3].title() for d in text.split(",") if d.strip()}
    unknown = days - set(DAYS)
    if unknown:
        raise SystemExit(f"unknown weekday(s) {', '.join(sorted(unknown))}; use {', '.join(DAYS)}")
    return {DAYS.index(d) for d in days}


def build(cells: int, weeks: float, seed: int, fault_rate: float, timezone: str,
          weekend: set[int], half_weekend: set[int], start: str, step: str = "1h"
          ) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """(export rows, site inventory, fault labels); all times local wall clock, naive.

    ``step`` is the reporting period (5min, 15min, 30min or 1h): volumes are per period,
    faults last whole hours, the daily shape is the hourly one.
    """
    from telecom_nb.geo.placement import place_sites

    rng = np.random.default_rng(seed)
    n_sites = -(-cells // 3)
    sites = place_sites(n_sites, seed=seed)
    site_no = rng.choice(np.arange(100_000, 999_999), n_sites, replace=False)
    cell_site = np.arange(cells) // 3
    letter = np.array([s[0] for s in SECTORS])[np.arange(cells) % 3]
    band = np.where(rng.random(n_sites) < 0.8, "L1800", "L2600")[cell_site]
    cell_name = np.char.add(np.char.add(site_no[cell_site].astype(str), letter),
                            np.char.add("_", band))
    enodeb = np.char.add("ENB_", site_no[cell_site].astype(str))

    per_hour = round(pd.Timedelta("1h") / pd.Timedelta(step))
    hours = pd.date_range(start, periods=round(weeks * 7 * 24 * per_hour), freq=step)
    n_t = len(hours)
    hour, weekday = hours.hour.to_numpy(), hours.day_of_week.to_numpy()
    day_kind = np.where(np.isin(weekday, list(weekend)), 1.0,
                        np.where(np.isin(weekday, list(half_weekend)), 0.5, 0.0))
    # Hours 0-3 belong to the previous evening: a weekend *night* starts the day before.
    night_kind = np.roll(day_kind, 4 * per_hour)
    kind = np.where(hour < 4, night_kind, day_kind)

    business = np.clip(rng.beta(2, 3, cells) * 1.5, 0, 1)[:, None]
    work = (1 - business) * _RESIDENTIAL[hour] + business * _BUSINESS[hour]
    rest = (1 - business * 0.7) * _WEEKEND_SHIFT[hour]
    load = (1 - kind) * work + kind * rest  # cells x hours, about 0..1
    load = load * rng.lognormal(0, 0.08, (cells, n_t)) * rng.uniform(0.4, 1.0, (cells, 1))

    peak_gb = rng.lognormal(np.log(6.0), 0.5, (cells, 1))
    dl = peak_gb * load / per_hour
    users = rng.poisson(rng.lognormal(np.log(60), 0.4, (cells, 1)) * load + 1).astype(float)
    prb = np.clip(8 + 85 * load ** 0.9 + rng.normal(0, 3, load.shape), 0, 100)
    thp = np.clip(rng.uniform(25, 60, (cells, 1)) * (1 - 0.72 * prb / 100)
                  + rng.normal(0, 1.5, load.shape), 0.5, None)
    rrc = np.clip(99.7 - 0.6 * (prb / 100) ** 3 - rng.gamma(1, 0.08, load.shape), 0, 100)
    drop = np.clip(0.12 + 0.35 * (prb / 100) ** 2 + rng.gamma(1.2, 0.06, load.shape), 0, 100)
    avail = np.where(rng.random(load.shape) < 0.003, rng.uniform(90, 99.9, load.shape), 100.0)
    values = {KPIS[0]: dl, KPIS[1]: dl * rng.uniform(0.08, 0.16, (cells, 1)),
              KPIS[2]: thp, KPIS[3]: prb, KPIS[4]: rrc, KPIS[5]: drop, KPIS[6]: avail,
              KPIS[7]: users}
    fault = _inject_faults(rng, values, fault_rate, cells, n_t, per_hour)

    present = np.ones((cells, n_t), bool)
    late = rng.choice(cells, max(1, cells // 50), replace=False)  # on air mid-export
    on_air = rng.integers(n_t // 4, 3 * n_t // 4, late.size)
    present[late] = np.arange(n_t)[None, :] >= on_air[:, None]
    present &= rng.random((cells, n_t)) > 0.002  # hours the OSS did not export

    rows = present.ravel()
    ci, ti = np.divmod(np.flatnonzero(rows), n_t)
    rank = np.argsort(np.argsort(cell_name, kind="stable"), kind="stable")
    by_cell = np.lexsort((ti, rank[ci]))  # OSS order: by cell name, then time
    ci, ti = ci[by_cell], ti[by_cell]
    export = pd.DataFrame({
        "Date": hours.strftime("%Y-%m-%d").to_numpy()[ti],
        "Time": hours.strftime("%H:%M").to_numpy()[ti],
        "eNodeB Name": enodeb[ci],
        "Cell Name": cell_name[ci],
        "Cell ID": (site_no[cell_site] * 256 + np.arange(cells) % 3 + 1)[ci],
        "TAC": (1000 + cell_site // 40)[ci],
    })
    for name, matrix in values.items():
        column = np.round(matrix[ci, ti], 3)
        column[rng.random(column.size) < 0.004] = np.nan  # counters not reported
        export[name] = column
    labelled = (fault.ravel() >= 0) & rows
    lc, lt = np.divmod(np.flatnonzero(labelled), n_t)
    labels = pd.DataFrame({
        "Date": hours.strftime("%Y-%m-%d").to_numpy()[lt],
        "Time": hours.strftime("%H:%M").to_numpy()[lt],
        "Cell Name": cell_name[lc],
        "Fault": np.array(FAULT_KINDS)[fault.ravel()[labelled]],
    })
    inventory = pd.DataFrame({
        "Site ID": site_no[cell_site], "Cell Name": cell_name,
        "Latitude": sites["lat"].to_numpy()[cell_site],
        "Longitude": sites["lon"].to_numpy()[cell_site],
        "Azimuth": np.array([s[1] for s in SECTORS])[np.arange(cells) % 3],
        "Province": sites["province"].to_numpy()[cell_site],
    })
    zoneinfo.ZoneInfo(timezone)  # fail early on a bad name
    return export, inventory, labels


def _inject_faults(rng: np.random.Generator, values: dict[str, np.ndarray], rate: float,
                   cells: int, n_t: int, per_hour: int = 1) -> np.ndarray:
    """Fault episodes of 1-8 h (``rate`` per cell per week); returns kind index, -1 = none."""
    fault = np.full((cells, n_t), -1, dtype=int)
    n_faults = rng.poisson(rate * cells * n_t / (7 * 24 * per_hour))
    cell = rng.integers(0, cells, n_faults)
    begin = rng.integers(0, n_t, n_faults)
    length = rng.integers(1, 9, n_faults) * per_hour
    kind = rng.integers(0, len(FAULT_KINDS), n_faults)
    offsets = np.arange(8 * per_hour)
    hit_t = begin[:, None] + offsets[None, :]
    valid = (offsets[None, :] < length[:, None]) & (hit_t < n_t)
    fc, ft = np.broadcast_to(cell[:, None], hit_t.shape)[valid], hit_t[valid]
    fault[fc, ft] = np.broadcast_to(kind[:, None], hit_t.shape)[valid]
    dl, ul, thp, prb, rrc, drop, avail, users = (values[k] for k in KPIS)
    m = fault == 0  # outage: the cell is down
    avail[m] = rng.uniform(0, 20, m.sum())
    for matrix in (dl, ul, users):
        matrix[m] *= avail[m] / 100 * 0.3
    prb[m] *= 0.1
    rrc[m] = rng.uniform(0, 60, m.sum())
    m = fault == 1  # throughput collapse: users stay, speed goes
    thp[m] *= rng.uniform(0.05, 0.25, m.sum())
    prb[m] = np.clip(prb[m] * 1.4 + 20, 0, 100)
    m = fault == 2  # drop-rate surge
    drop[m] = rng.uniform(4, 25, m.sum())
    m = fault == 3  # traffic collapse with the cell nominally up (sleeping cell)
    for matrix in (dl, ul, users):
        matrix[m] *= rng.uniform(0.0, 0.1, m.sum())
    return fault


SOURCE_TOML = """\
# Operator-style sample export written by scripts/make_operator_sample.py (seed {seed}).
path = "export.csv"
timestamp = ["Date", "Time"]
{time_format}sector = "Cell Name"
timezone = "{timezone}"
sites = "sites.csv"

[kpi."E-RAB Drop Rate (%)"]
label = "E-RAB drop rate"
bad = "up"

[kpi."Avg Connected Users"]
label = "Connected users"
unit = "users"
"""


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, required=True, help="folder to write into")
    parser.add_argument("--cells", type=int, default=300)
    parser.add_argument("--weeks", type=float, default=3.0)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--fault-rate", type=float, default=0.5,
                        help="fault episodes per cell per week (default 0.5)")
    parser.add_argument("--timezone", default="Asia/Tehran", help="IANA zone of the wall clock")
    parser.add_argument("--weekend", default="Fri", help="weekend days, e.g. Fri or Sat,Sun")
    parser.add_argument("--half-weekend", default="Thu", help="days partly off ('' for none)")
    parser.add_argument("--start", default="2026-04-04", help="first local day (YYYY-MM-DD)")
    parser.add_argument("--step", default="1h", choices=("5min", "15min", "30min", "1h"),
                        help="reporting period (default 1h)")
    parser.add_argument("--day-first", action="store_true",
                        help="write dates as DD/MM/YYYY (source.toml gets a time_format)")
    args = parser.parse_args(argv)
    if not 1 <= args.cells <= 100_000 or not 0 < args.weeks <= 52 or args.fault_rate < 0:
        parser.error("--cells must be 1..100000, --weeks 0..52, --fault-rate >= 0")
    started = time.perf_counter()
    export, inventory, labels = build(
        args.cells, args.weeks, args.seed, args.fault_rate, args.timezone,
        _weekday_sets(args.weekend), _weekday_sets(args.half_weekend), args.start,
        args.step,
    )
    time_format = ""
    if args.day_first:
        for table in (export, labels):
            table["Date"] = pd.to_datetime(table["Date"]).dt.strftime("%d/%m/%Y")
        time_format = 'time_format = "%d/%m/%Y %H:%M"\n'
    args.out.mkdir(parents=True, exist_ok=True)
    export.to_csv(args.out / "export.csv", index=False)
    inventory.to_csv(args.out / "sites.csv", index=False)
    labels.to_csv(args.out / "labels.csv", index=False)
    (args.out / "source.toml").write_text(SOURCE_TOML.format(
        seed=args.seed, timezone=args.timezone, time_format=time_format))
    print(f"wrote {len(export):,} rows ({args.cells} cells, {args.weeks:g} weeks, {args.step}), "
          f"{len(labels):,} labelled fault hours, sites.csv, source.toml to {args.out} "
          f"in {time.perf_counter() - started:.1f} s", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
