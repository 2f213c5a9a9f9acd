"""Probe: would a label-free "crowd" rule take the false rows a saved run flags on crowds?

Not a test, not the detector: an offline count on ``operator_quality.py W --save S.parquet``.
A crowd (a match, a concert) raises the demand on every cell of a site for hours; the
congestion it brings moves throughput, PRB, latency and UL interference as a fault would,
but the quality a subscriber feels on the counters the operator alarms on -- setup success,
drops, handover success, availability -- stays where it was. The rule read here, per row:

* the row's load z above ``L``: the median of its load KPIs' (volumes, users, Erlangs;
  log1p) causal seasonal z, each against the same local slot's median over the previous 7
  days, spread 1.4826 MAD of those days (floored at a quarter of the KPI's spread);
* the same site's other cells' (identical coordinates in the inventory) median load z above
  ``L`` too: the whole site's demand rose, not one cell's counters;
* no quality KPI beyond ``Q`` on its bad side (same z) and no unavailability.

Rows the rule holds on are counted as unflagged (no state effects: the detector would learn
differently); prints the false rows it takes (on crowds), the fault rows and events it would
lose, and the precision left. Usage:

    python benchmarks/crowd_rule.py W W.main.parquet [--load 1.5] [--quality 2.0] [--show]
"""

from __future__ import annotations

import argparse
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

from telecom_nb import schema
from telecom_nb.sources import load_source

#: quality KPIs of the vendor export and their bad side's sign (OSS names by their words)
QUALITY = {"CSSR (%)": -1.0, "Call Drop Rate (%)": 1.0, "HO Success Rate (%)": -1.0,
           "VoLTE Drop Rate (%)": 1.0}


def kpi_groups(kpis: list[str]) -> tuple[list[str], dict[str, float], list[str]]:
    """The load KPIs, the quality KPIs with their bad sign and the unavailability KPIs."""
    low = {k: k.lower() for k in kpis}
    load = [k for k in kpis if any(w in low[k] for w in ("volume", "users", "(erl)", "traffic"))
            and "drop" not in low[k]]
    quality = {k: s for k, s in QUALITY.items() if k in kpis} or {  # OSS: the rates, not counters
        k: (1.0 if "drop" in low[k] else -1.0) for k in kpis if "%" in k
        and any(w in low[k] for w in ("drop", " sr ", "success", "availability"))}
    unavailable = [k for k in kpis if "unavail" in low[k]]
    return load, quality, unavailable


def seasonal_z(v: np.ndarray, per_day: int) -> np.ndarray:
    """(ticks x cells) z against the same slot of the previous 7 days (causal)."""
    n = len(v)
    lag = np.stack([np.vstack([np.full((d * per_day, v.shape[1]), np.nan), v[: n - d * per_day]])
                    for d in range(1, 8)])
    med = np.nanmedian(lag, axis=0)
    mad = 1.4826 * np.nanmedian(np.abs(lag - med), axis=0)
    return (v - med) / np.maximum(mad, 0.25 * np.nanstd(v) + 1e-6)


def rule_table(folder: Path, load_above: float, quality_below: float) -> pd.DataFrame:
    """Per (tick, cell): own load z, the site's other cells' median load z, the worst
    quality z and whether the rule holds."""
    loaded = load_source(folder / "source.toml")
    f = loaded.frame
    load, quality, unavailable = kpi_groups(list(loaded.kpis))
    cells = np.unique(f[schema.SECTOR].to_numpy())
    times = np.sort(f[schema.TIMESTAMP].unique())
    per_day = int(pd.Timedelta("1D") / pd.Series(times).diff().median())

    def grid(col: str) -> np.ndarray:
        g = f.pivot_table(index=schema.TIMESTAMP, columns=schema.SECTOR, values=col,
                          aggfunc="first")
        return g.reindex(index=times, columns=cells).to_numpy(float)

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        lz = np.nanmedian(np.stack([seasonal_z(np.log1p(np.clip(grid(k), 0, None)), per_day)
                                    for k in load]), axis=0)
        qz = np.nanmax(np.stack([s * seasonal_z(grid(k), per_day) for k, s in quality.items()]),
                       axis=0)
        down = np.nanmax(np.stack([grid(k) for k in unavailable]), axis=0) if unavailable \
            else np.zeros_like(lz)
        at = f.groupby(schema.SECTOR)[["lat", "lon"]].first().reindex(cells)
        site = at["lat"].round(5).astype(str) + "," + at["lon"].round(5).astype(str)
        key = site.to_numpy()
        same = (key[:, None] == key[None, :]) & ~np.eye(len(cells), dtype=bool)
        site_z = np.nanmedian(np.where(same[None], lz[:, None, :], np.nan), axis=2)
    holds = (lz > load_above) & (site_z > load_above) & ~(qz > quality_below) & ~(down > 0)
    return pd.DataFrame({schema.TIMESTAMP: np.repeat(times, len(cells)),
                         schema.SECTOR: np.tile(cells, len(times)), "load_z": lz.ravel(),
                         "site_z": site_z.ravel(), "quality_z": qz.ravel(), "rule": holds.ravel()})


def report(j: pd.DataFrame, show: bool) -> None:
    """Print what the rule takes from the saved run's flagged rows."""
    flag = j[schema.IS_ANOMALY].astype(bool).to_numpy()
    clean = (j[schema.FAULT] == "").to_numpy()
    crowd = (j["oddity"] == "crowd").to_numpy() if "oddity" in j else np.zeros(len(j), bool)
    rule = j["rule"].to_numpy()
    tp, fp = int((flag & ~clean).sum()), int((flag & clean).sum())
    tp2, fp2 = int((flag & ~clean & ~rule).sum()), int((flag & clean & ~rule).sum())
    print(f"  false rows {fp} (crowd {int((flag & clean & crowd).sum())} of "
          f"{int((clean & crowd).sum())}); the rule takes {fp - fp2} "
          f"(crowd {int((flag & clean & crowd & rule).sum())}), fault rows {tp - tp2} of {tp}; "
          f"P {tp / max(tp + fp, 1):.3f} -> {tp2 / max(tp2 + fp2, 1):.3f}")
    r = j.assign(keep=flag & ~rule).sort_values([schema.SECTOR, schema.TIMESTAMP])
    k, s = r[schema.FAULT].to_numpy(), r[schema.SECTOR].to_numpy()
    new = (k != "") & ~(np.r_[False, s[1:] == s[:-1]] & np.r_[False, k[1:] == k[:-1]])
    ep = r.assign(ep=np.cumsum(new))[k != ""].groupby("ep").agg(
        kind=(schema.FAULT, "first"), found=(schema.IS_ANOMALY, "any"), kept=("keep", "any"))
    lost = ep[ep.found & ~ep.kept].kind.value_counts().to_dict()
    taken = j[flag & ~clean & rule][schema.FAULT].value_counts().to_dict()
    print(f"  events found {int(ep.found.sum())}/{len(ep)} -> {int(ep.kept.sum())}; lost {lost}; "
          f"fault rows taken by kind {taken}")
    c = j[flag & clean & crowd]
    if len(c) and "lead_part" in c:
        print(f"  flagged crowd rows by lead part {c.lead_part.value_counts().to_dict()}, top KPI "
              f"{c[schema.TOP_KPI].value_counts().head(4).to_dict()}")
    if show and len(c):
        print(c[[schema.SECTOR, schema.TIMESTAMP, "load_z", "site_z", "quality_z", "rule",
                 schema.TOP_KPI]].sort_values(schema.TIMESTAMP).to_string())


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("folder", type=Path)
    ap.add_argument("saved")
    ap.add_argument("--load", type=float, default=1.5, help="load z above which demand rose")
    ap.add_argument("--quality", type=float, default=2.0, help="quality z still normal below")
    ap.add_argument("--show", action="store_true", help="list the flagged crowd rows")
    args = ap.parse_args()
    table = rule_table(args.folder, args.load, args.quality)
    j = pd.read_parquet(args.saved).merge(table, on=[schema.SECTOR, schema.TIMESTAMP], how="left")
    j["rule"] = j["rule"].fillna(False).astype(bool)
    print(f"{args.folder} load > {args.load}, quality < {args.quality}:")
    report(j, args.show)


if __name__ == "__main__":
    main()
