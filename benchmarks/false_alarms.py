"""What the false alarms on an operator world are: flagged rows with no label, classified.

Precision on operator exports is as close to its target as recall, and a false alarm's
cure depends on what it is: a fault's tail judged against a baseline that has not
relearned, a KPI whose null is wrong at some cadence, a calendar blind spot, or a real
change nobody labelled. This prints the unlabelled flagged rows (after the burn-in that
``operator_quality.py`` judged) grouped by the KPI that led them, the part of the score
that led them (when the results were saved with ``--parts``), the local hour and weekday,
and their distance in time from the nearest labelled fault of the same sector (and of
another sector of the same site), with the kind of that fault; rows are also counted as
*episodes* (a sector's consecutive flagged rows), since one event flags several rows::

    python benchmarks/operator_quality.py WORLD --missed --parts --save R.parquet
    python benchmarks/false_alarms.py WORLD R.parquet [--base MAIN.parquet] [--top 8]

With ``--base`` the rows flagged in one run and not in the other are classified too (what
a change added and what it removed).
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
import pandas as pd

from telecom_nb import schema
from telecom_nb.sources import load_source

#: distance classes (hours from the nearest labelled fault row of the same sector)
_EDGES = (-np.inf, -24.0, -6.0, 0.0, 6.0, 24.0, 72.0, np.inf)
_NAMES = ("before >1d", "before 6-24h", "before <6h", "after <6h", "after 6-24h",
          "after 1-3d", "after >3d")


def _nearest(rows: pd.DataFrame, faults: pd.DataFrame, by: str, prefix: str
             ) -> pd.DataFrame:
    """For each of ``rows``: hours since the last fault row and until the next one sharing
    ``by`` (NaN: none), and the nearer one's kind, as ``{prefix}_since``, ``_until``,
    ``_kind``."""
    left = rows[[by, schema.TIMESTAMP]].reset_index().sort_values(schema.TIMESTAMP)
    right = faults[[by, schema.TIMESTAMP, schema.FAULT]].sort_values(schema.TIMESTAMP)
    right = right.assign(at=right[schema.TIMESTAMP])
    hour = pd.Timedelta(hours=1)
    back = pd.merge_asof(left, right.drop(columns=schema.TIMESTAMP), left_on=schema.TIMESTAMP,
                         right_on="at", by=by, direction="backward")
    ahead = pd.merge_asof(left, right.drop(columns=schema.TIMESTAMP), left_on=schema.TIMESTAMP,
                          right_on="at", by=by, direction="forward")
    since = (back[schema.TIMESTAMP] - back["at"]) / hour
    until = (ahead["at"] - ahead[schema.TIMESTAMP]) / hour
    kind = np.where(since.fillna(np.inf) <= until.fillna(np.inf), back[schema.FAULT],
                    ahead[schema.FAULT])
    out = pd.DataFrame({f"{prefix}_since": since.to_numpy(), f"{prefix}_until": until.to_numpy(),
                        f"{prefix}_kind": kind}, index=back["index"].to_numpy())
    return out.reindex(rows.index)


def distance_class(since: pd.Series, until: pd.Series) -> pd.Series:
    """The nearer of the last and next fault as a class of :data:`_NAMES` ("none")."""
    signed = np.where(since.fillna(np.inf) <= until.fillna(np.inf), since.to_numpy(),
                      -until.to_numpy())
    cls = pd.cut(pd.Series(signed + 1e-9, index=since.index), _EDGES, labels=_NAMES)
    return cls.astype(object).fillna("none")


def classify(judged: pd.DataFrame, timezone: str) -> pd.DataFrame:
    """The unlabelled flagged rows of ``judged`` with their classes (one row each)."""
    fault = judged[schema.FAULT].fillna("")
    flagged = judged[judged[schema.IS_ANOMALY] & (fault == "")]
    faults = judged[fault != ""]
    local = flagged[schema.TIMESTAMP].dt.tz_convert(timezone)
    out = pd.DataFrame({
        "sector": flagged[schema.SECTOR], "top_kpi": flagged[schema.TOP_KPI],
        "part": flagged.get("lead_part", "?"),
        "hour": local.dt.hour, "weekday": local.dt.day_name().str[:3],
        "timestamp": flagged[schema.TIMESTAMP]}, index=flagged.index)
    out = out.join(_nearest(flagged, faults, schema.SECTOR, "own"))
    out["own"] = distance_class(out["own_since"], out["own_until"])
    if "site" in judged:
        site_faults = faults.rename(columns={schema.SECTOR: "_s"})
        other = _nearest(flagged, site_faults, "site", "site")
        out = out.join(other)
        out["site"] = distance_class(out["site_since"], out["site_until"])
    out["near"] = np.where(out["own"] != "none", "own " + out["own"],
                           "site " + out["site"] if "site" in out else "none")
    order = flagged.sort_values([schema.SECTOR, schema.TIMESTAMP])
    step = judged[schema.TIMESTAMP].drop_duplicates().sort_values().diff().median()
    new = ~((order[schema.SECTOR] == order[schema.SECTOR].shift())
            & (order[schema.TIMESTAMP] - order[schema.TIMESTAMP].shift() <= 1.5 * step))
    out["episode"] = pd.Series(np.cumsum(new.to_numpy()), index=order.index).reindex(out.index)
    return out


def _table(fa: pd.DataFrame, by: str | list[str], top: int) -> str:
    """Rows and episodes per class, largest first."""
    g = fa.groupby(by, dropna=False)
    t = pd.DataFrame({"rows": g.size(), "episodes": g["episode"].nunique()})
    return t.sort_values("rows", ascending=False).head(top).to_string()


def report(fa: pd.DataFrame, title: str, top: int) -> None:
    """Print the classes of ``fa`` (from :func:`classify`)."""
    print(f"{title}: {len(fa)} rows, {fa['episode'].nunique()} episodes")
    if not len(fa):
        return
    for by in ("part", "top_kpi", ["part", "top_kpi"], "near", ["near", "part"], "hour",
               "weekday"):
        print(f"-- by {by}")
        print(_table(fa, by, top))
    after = fa[fa["own"].str.startswith("after") | fa["own"].str.startswith("before <")]
    if len(after):
        print("-- near an own fault (<1 day), by the fault's kind")
        print(_table(after, "own_kind", top))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("folder", type=Path, help="the world (source.toml, labels.csv)")
    ap.add_argument("results", type=Path, help="judged rows (operator_quality.py --save)")
    ap.add_argument("--base", type=Path, help="a second run's judged rows: classify the "
                    "rows flagged in one and not the other")
    ap.add_argument("--top", type=int, default=8, help="classes shown per grouping")
    args = ap.parse_args()
    for path in (args.folder / "source.toml", args.results, args.base):
        if path is not None and not path.is_file():
            ap.error(f"{path}: no such file")
    loaded = load_source(args.folder / "source.toml")
    judged = pd.read_parquet(args.results)
    print(f"{args.folder} cadence={loaded.cadence} zone={loaded.spec.timezone}")
    fa = classify(judged, loaded.spec.timezone)
    report(fa, "false alarms", args.top)
    if args.base is None:
        return
    base = classify(pd.read_parquet(args.base), loaded.spec.timezone)
    key = ["sector", "timestamp"]
    merged = fa.reset_index().merge(base[key], on=key, how="left", indicator=True)
    report(fa[(merged["_merge"] == "left_only").to_numpy()], "\nadded (not in --base)", args.top)
    merged = base.reset_index().merge(fa[key], on=key, how="left", indicator=True)
    report(base[(merged["_merge"] == "left_only").to_numpy()], "\nremoved (in --base only)",
           args.top)


if __name__ == "__main__":
    main()
