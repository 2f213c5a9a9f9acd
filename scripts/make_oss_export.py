"""Write a third, independent operator export: a multi-RAT OSS cell report (+ site DB, labels).

Designed from an RF/NOC engineer's view of a network, not from the detector: one report
for the 2G, 3G and 4G layers (each with its own KPI set, blank where a layer has no such
KPI), raw PM counters (``pmRrcConnEstabAtt``/``Succ``...) beside the derived KPIs ("RRC
Setup SR (%)", "ERAB Drop Rate (%)", "DL PDCP Volume (MB)", "Avg CQI", "UL RSSI (dBm)",
"DL User Thp (Mbps)", "PRB Util DL (%)", availability, delay and loss), columns another
export would not have (``RAT``, ``Band``, ``Granularity Period``, ``LAC/TAC``), counters
and volumes with thousands separators (``"12,345"``), time as ``DATETIME_ID``, as
``DATE_ID``+``HOUR_ID``+``MIN_ID`` or as a US ``03/16/2026 02:15:00 PM``; rows in one block
per RAT, then by period and cell. Normal life: OSS collection gaps (a whole period missing
for every cell, one node's rows missing for hours, a period exported twice), sites switched
on mid-export, a 2G layer switched off, the local weekend (and a half day), a long holiday
(Nowruz) or Ramadan's evening shift followed by Eid. Incidents labelled per row in
``labels.csv`` (the export's time columns, ``Cell Name``, ``Fault``): sleeping cell,
transport congestion (every cell of a site), RRC/E-RAB setup failure surge, PRB saturation
with throughput collapse, uplink interference, site outage, a wrong parameter change held
for days until rolled back.

    python scripts/make_oss_export.py --out oss/ --sites 60 --weeks 3 --seed 1120
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
import oss_kpis
import oss_world as world

DAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
STYLES = {  # time columns and the format of their joined text
    "iso": (("DATETIME_ID",), "%Y-%m-%d %H:%M:%S"),
    "split": (("DATE_ID", "HOUR_ID", "MIN_ID"), "%d-%b-%Y %H %M"),
    "ampm": (("Period Start Time",), "%m/%d/%Y %I:%M:%S %p"),
}
SOURCE_TOML = """\
# Multi-RAT OSS cell report written by scripts/make_oss_export.py (seed {seed}).
path = "cell_report.csv"
timestamp = {timestamp}
time_format = "{time_format}"
sector = "Cell Name"
timezone = "{timezone}"
sites = "site_db.csv"

[kpi."UL RSSI (dBm)"]
bad = "up"

[kpi."DL Latency (ms)"]
bad = "up"

[kpi."DL Pkt Loss (%)"]
bad = "up"

[kpi."Avg CQI"]
bad = "down"
"""


def _days(text: str) -> set[int]:
    days = {d.strip()[:3].title() for d in text.split(",") if d.strip()}
    if days - set(DAYS):
        raise SystemExit(f"unknown weekday(s) {', '.join(sorted(days - set(DAYS)))}")
    return {DAYS.index(d) for d in days}


def periods(start: str, weeks: float, step: str, timezone: str) -> pd.DatetimeIndex:
    """UTC period starts from local midnight of ``start`` for ``weeks`` (DST: the skipped
    hour is absent, the repeated one present twice in wall time)."""
    zone = zoneinfo.ZoneInfo(timezone)
    first = pd.Timestamp(start).tz_localize(zone).tz_convert("UTC")
    last = (pd.Timestamp(start) + pd.Timedelta(days=7 * weeks)).tz_localize(zone)
    return pd.date_range(first, last.tz_convert("UTC"), freq=step, inclusive="left")


def day_kinds(local: pd.DatetimeIndex, weekend: set[int], half: set[int], holiday: str,
              holiday_start: str | None) -> tuple[np.ndarray, np.ndarray]:
    """Per period: 0 working day, 1 half day, 2 weekend, 3 long holiday; and Ramadan."""
    dates = local.tz_localize(None).normalize()
    kind = np.where(local.day_of_week.isin(list(weekend)), 2,
                    np.where(local.day_of_week.isin(list(half)), 1, 0))
    ramadan = np.zeros(len(local), bool)
    if holiday == "nowruz":  # 1 Farvardin ~ 20/21 March; schools and offices closed to the 13th
        begin = pd.Timestamp(holiday_start or f"{dates[0].year}-03-20")
        kind = np.where((dates >= begin) & (dates < begin + pd.Timedelta(days=14)), 3, kind)
    elif holiday == "ramadan":
        begin = pd.Timestamp(holiday_start or dates[0] + pd.Timedelta(days=9))
        end = begin + pd.Timedelta(days=29)
        ramadan = np.asarray((dates >= begin) & (dates < end))
        kind = np.where((dates >= end) & (dates < end + pd.Timedelta(days=3)), 3, kind)
    return kind, ramadan


def gaps(rng: np.random.Generator, net: world.Network, t: int, per_day: int
         ) -> tuple[np.ndarray, np.ndarray]:
    """Rows the OSS delivers: (present (cells, T), duplicated (cells, T))."""
    n = net.site.size
    steps = np.arange(t)
    present = (steps >= net.on_from[:, None]) & (steps < net.off_from[:, None])
    weeks = t / (7 * per_day)
    present[:, rng.choice(t, rng.poisson(1.5 * weeks), replace=False)] = False  # mediation
    for _ in range(rng.poisson(2 * weeks)):  # one node not collected for hours
        s = rng.integers(net.n_sites)
        start = rng.integers(t)
        present[net.site == s, start:start + max(1, rng.integers(1, 7) * per_day // 24)] = False
    duplicated = np.zeros((n, t), bool)
    for _ in range(rng.poisson(1 * weeks)):  # a node's period collected and exported twice
        duplicated[net.site == rng.integers(net.n_sites), rng.integers(t)] = True
    return present, duplicated & present


def _text(values: np.ndarray, decimals: int | None, thousands: bool) -> np.ndarray:
    """KPI values as the report writes them: blank, ``12,345`` or ``1,234.56``."""
    rounded = np.round(values, decimals or 0)
    spec = f"{{:{',' if thousands else ''}.{decimals or 0}f}}"
    out = np.array([spec.format(v) if v == v else "" for v in rounded.tolist()], dtype=object)
    return out


def build(args: argparse.Namespace) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """(cell report, site DB, labels) with naive local times in the style's columns."""
    rng = np.random.default_rng(args.seed)
    step_min = pd.Timedelta(args.step).total_seconds() / 60
    per_day = round(24 * 60 / step_min)
    utc = periods(args.start, args.weeks, args.step, args.timezone)
    local = utc.tz_convert(args.timezone)
    t = len(utc)
    kind, ramadan = day_kinds(local, _days(args.weekend), _days(args.half_day), args.holiday,
                              args.holiday_start)
    hour = np.asarray(local.hour + local.minute / 60 + step_min / 120)
    level = world.calendar_level(hour, kind, ramadan)
    net = world.network(rng, args.sites, t, per_day)
    users = world.users(rng, net, level, step_min, growth=rng.uniform(0.0, 0.05))
    present, duplicated = gaps(rng, net, t, per_day)
    fl = world.faults(rng, net, level, args.fault_rate, per_day, present)
    values = oss_kpis.kpis(rng, net, users, fl, step_min)
    blank = rng.random((net.site.size, t)) < 0.002  # one KPI left blank now and then
    blocks = [np.flatnonzero(net.rat == r) for r in (world.LTE, world.UMTS, world.GSM)]
    keep = [present[cs].T.ravel() for cs in blocks]  # per RAT: period-major, then cell
    cell_idx = np.concatenate([np.tile(cs, t)[m] for cs, m in zip(blocks, keep, strict=True)])
    time_idx = np.concatenate([np.repeat(np.arange(t), cs.size)[m]
                               for cs, m in zip(blocks, keep, strict=True)])
    dup = duplicated[cell_idx, time_idx]
    cell_idx = np.r_[cell_idx, cell_idx[dup]]
    time_idx = np.r_[time_idx, time_idx[dup]]
    walls = local.tz_localize(None)[time_idx]
    names = np.array([f"{args.prefix}{s:04d}_{b}_{'ABC'[q]}" for s, b, q in
                      zip(net.site, net.band, net.sector, strict=True)])
    site_ids = np.array([f"{args.prefix}{s:04d}" for s in range(net.n_sites)])
    report = _time_columns(walls, args.time_style)
    region = np.array(["North", "East", "South", "West"])[
        (np.degrees(np.arctan2(*net.site_xy[:, ::-1].T)) % 360 // 90).astype(int)]
    report |= {
        "Region": region[net.site][cell_idx], "Site ID": site_ids[net.site][cell_idx],
        "Cell Name": names[cell_idx], "Cell ID": (net.site * 10 + net.sector + 1)[cell_idx]
        * 100 + (net.band != "L1800")[cell_idx],
        "LAC/TAC": (4100 + net.site // 12)[cell_idx],
        "RAT": np.array(world.RATS)[net.rat][cell_idx], "Band": net.band[cell_idx],
        "Granularity Period": np.full(cell_idx.size, int(step_min)),
    }
    for name, decimals in oss_kpis.COLUMNS:
        col = values[name][cell_idx, time_idx]
        if name != "Cell Availability (%)":
            col = np.where(blank[cell_idx, time_idx] & (rng.random(col.size) < 0.1), np.nan, col)
        big = args.thousands and (decimals is None or "Volume" in name)
        report[name] = _text(col, decimals, big) if big else np.round(col, decimals or 0)
    export = pd.DataFrame(report)
    lc, lt = np.nonzero((fl.kind >= 0) & present)
    labels = pd.DataFrame(_time_columns(local.tz_localize(None)[lt], args.time_style)
                          | {"Cell Name": names[lc],
                             "Fault": np.array([f[0] for f in world.FAULTS])[fl.kind[lc, lt]]})
    angle = np.array([0, 120, 240])[net.sector] + rng.integers(-25, 26, net.n_sites)[net.site]
    lat0, lon0 = args.centre
    site_db = pd.DataFrame({
        "SITE_ID": site_ids[net.site], "CELLNAME": names, "RAT": np.array(world.RATS)[net.rat],
        "LATITUDE": np.round(lat0 + net.site_xy[net.site, 1] / 111.0, 5),
        "LONGITUDE": np.round(lon0 + net.site_xy[net.site, 0] / (111.0 * np.cos(np.radians(
            lat0))), 5),
        "AZIMUTH": angle % 360, "ANT_HEIGHT": rng.integers(15, 40, net.n_sites)[net.site],
        "CLUTTER": np.array(world.AREAS)[net.area], "PROVINCE": region[net.site],
    })
    return export, site_db, labels


def _time_columns(walls: pd.DatetimeIndex, style: str) -> dict[str, np.ndarray]:
    columns, fmt = STYLES[style]
    if style == "split":
        return {"DATE_ID": walls.strftime("%d-%b-%Y").to_numpy(),
                "HOUR_ID": np.asarray(walls.hour), "MIN_ID": np.asarray(walls.minute)}
    return {columns[0]: walls.strftime(fmt).to_numpy()}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--out", type=Path, required=True, help="folder to write into")
    ap.add_argument("--sites", type=int, default=60, help="sites (about 7 cells each)")
    ap.add_argument("--weeks", type=float, default=3.0)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--fault-rate", type=float, default=0.35,
                    help="incidents per cell per week (site incidents count once per site)")
    ap.add_argument("--timezone", default="Asia/Tehran", help="IANA zone of the wall clock")
    ap.add_argument("--weekend", default="Fri", help="days off, e.g. Sat,Sun")
    ap.add_argument("--half-day", default="Thu", help="half working days ('' for none)")
    ap.add_argument("--holiday", default="none", choices=("none", "nowruz", "ramadan"),
                    help="a long holiday (Nowruz: 14 days off) or Ramadan (29 days + Eid)")
    ap.add_argument("--holiday-start", default=None,
                    help="first day of it (default: Nowruz 20 March, Ramadan day 10)")
    ap.add_argument("--start", default="2026-03-02", help="first local day (YYYY-MM-DD)")
    ap.add_argument("--step", default="1h", choices=("15min", "30min", "1h"))
    ap.add_argument("--time-style", default="split", choices=tuple(STYLES),
                    help="DATETIME_ID, DATE_ID+HOUR_ID+MIN_ID, or US 12-hour time")
    ap.add_argument("--thousands", action="store_true",
                    help="counters and volumes with thousands separators (\"12,345\")")
    ap.add_argument("--prefix", default="THR", help="site id prefix")
    ap.add_argument("--centre", type=float, nargs=2, default=(35.70, 51.40),
                    metavar=("LAT", "LON"))
    args = ap.parse_args(argv)
    if not 1 <= args.sites <= 5000 or not 0 < args.weeks <= 12 or args.fault_rate < 0:
        ap.error("--sites must be 1..5000, --weeks 0..12, --fault-rate >= 0")
    try:
        zoneinfo.ZoneInfo(args.timezone)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        ap.error(f"--timezone {args.timezone!r} is not an IANA zone")
    started = time.perf_counter()
    export, site_db, labels = build(args)
    args.out.mkdir(parents=True, exist_ok=True)
    export.to_csv(args.out / "cell_report.csv", index=False)
    site_db.to_csv(args.out / "site_db.csv", index=False)
    labels.to_csv(args.out / "labels.csv", index=False)
    columns, fmt = STYLES[args.time_style]
    stamp = f'"{columns[0]}"' if len(columns) == 1 else "[" + ", ".join(
        f'"{c}"' for c in columns) + "]"
    (args.out / "source.toml").write_text(SOURCE_TOML.format(
        seed=args.seed, timestamp=stamp, time_format=fmt, timezone=args.timezone))
    print(f"wrote {len(export):,} rows ({len(site_db)} cells on {args.sites} sites, "
          f"{args.weeks:g} weeks, {args.step}), {len(labels):,} labelled incident rows to "
          f"{args.out} in {time.perf_counter() - started:.1f} s", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
