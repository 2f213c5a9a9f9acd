"""Which labelled fault episodes could be seen at all, even with hindsight (issue 11 diagnosis).

A generator's fault is a cause (say +10 points of VoLTE drop rate for an hour); what reaches
the export is its effect on a few calls, and one dropped call of seventeen in a cell that
drops one every ninth hour is no evidence to anybody. Event recall therefore has a ceiling
below 1, and the ceiling falls with coarser cadence and lighter cells. This script puts a
figure on it with an *oracle* that may look ahead (it is no detector; nothing here feeds
detection): for each episode of ``operator_quality.py --save`` results, each KPI's rows are
compared with the same cell's fault-free rows at the same local hour (+-1 h) over the whole
judged period, both sides, as z-scores clipped at 10 and summed over the episode (Stouffer);
the best KPI and side kept. The same evidence on fault-free stretches of the same cells and
lengths (the null) sets the cut, per length class (1, 2-3, 4-7, ... rows: a day-long stretch
of normal life drifts more than sqrt(rows) allows): an episode is *visible at null rate 1 %*
when its evidence exceeds the 99 % quantile of its class's null, i.e. when it stands out
more than 99 of 100 stretches of the cells' own normal life of that length do::

    python benchmarks/visible_events.py WORLD_DIR RESULTS.parquet [--nulls 4]

It prints event recall over all episodes and over the visible ones, per fault kind, and
each visible but missed episode with its peak score and, for results saved with
``operator_quality.py --parts``, the part that led at the peak: a miss scored 2.5-3 is the
threshold's, one under 2 was never seen.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
import pandas as pd
from operator_quality import fault_episodes

from telecom_nb import schema
from telecom_nb.sources import load_source


def episode_score(rows: pd.DataFrame, normal: pd.DataFrame, kpis: list[str]) -> tuple[float, str]:
    """An episode's largest evidence over KPIs and sides, and its KPI (rows: the episode's
    rows; normal: the same cell's fault-free rows; both with an ``hour`` column). Clipping
    keeps one wild row from carrying an episode; the null calibrates the rest."""
    near = (
        np.abs(
            (normal["hour"].to_numpy()[:, None] - rows["hour"].to_numpy()[None, :] + 12) % 24 - 12
        )
        <= 1
    )
    weight = near / np.maximum(near.sum(axis=0), 1)
    best, best_kpi = -np.inf, ""
    for kpi in kpis:
        ref = np.nan_to_num(normal[kpi].to_numpy(dtype=float))
        vals = rows[kpi].to_numpy(dtype=float)
        mean = ref @ weight
        spread = np.sqrt(np.maximum((ref**2) @ weight - mean**2, 0.0))
        spread = np.maximum(spread, 1e-3 * np.abs(mean) + 1e-9)
        z = np.clip((vals - mean) / spread, -10, 10)
        z = z[np.isfinite(z)]
        if z.size == 0:
            continue
        evidence = float(np.abs(z.sum())) / np.sqrt(z.size)
        if evidence > best:
            best, best_kpi = evidence, kpi
    return best, best_kpi


def _null_rows(rows: pd.DataFrame, normal: pd.DataFrame, rng: np.random.Generator) -> pd.DataFrame:
    """A fault-free stretch of the same cell and length at a random time: the oracle's null."""
    start = int(rng.integers(0, max(1, len(normal) - len(rows))))
    return normal.iloc[start : start + len(rows)]


def visible_table(
    folder: Path, results: Path, nulls: int = 4, seed: int = 0
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """One row per fault episode (kind, sector, rows, found, oracle evidence and KPI), and
    the same evidence on ``nulls`` fault-free stretches per episode (same cell and length)."""
    loaded = load_source(folder / "source.toml")
    judged = pd.read_parquet(results)
    kpis = [k for k in loaded.kpis if k in judged and judged[k].dtype.kind in "fiu"]
    judged = judged.assign(
        hour=judged[schema.TIMESTAMP].dt.tz_convert(loaded.spec.timezone).dt.hour
    )
    faulty = fault_episodes(judged)
    normal_by_sector = dict(
        tuple(
            judged[judged[schema.FAULT].fillna("") == ""]
            .sort_values(schema.TIMESTAMP)
            .groupby(schema.SECTOR)
        )
    )
    rng = np.random.default_rng(seed)
    out, null = [], []
    for episode, rows in faulty.groupby("episode"):
        sector = rows[schema.SECTOR].iloc[0]
        normal = normal_by_sector[sector]
        score, kpi = episode_score(rows, normal, kpis)
        peak = rows[schema.SCORE].to_numpy(dtype=float)
        top = int(np.nanargmax(np.nan_to_num(peak, nan=-np.inf)))
        out.append(
            {
                "episode": episode,
                "kind": rows[schema.FAULT].iloc[0],
                "sector": sector,
                "rows": len(rows),
                "found": bool(rows[schema.IS_ANOMALY].any()),
                "evidence": score,
                "kpi": kpi,
                "peak": peak[top],
                "lead": rows["lead_part"].iloc[top] if "lead_part" in rows else "",
            }
        )
        for _ in range(nulls):
            pseudo = _null_rows(rows, normal, rng)
            null.append(
                {
                    "rows": len(rows),
                    "evidence": episode_score(pseudo, normal.drop(pseudo.index), kpis)[0],
                }
            )
    return pd.DataFrame(out), pd.DataFrame(null)


def visible(table: pd.DataFrame, null: pd.DataFrame, rate: float) -> pd.Series:
    """Episodes whose evidence beats the (1 - rate) quantile of their length class's null."""
    cls = np.floor(np.log2(table["rows"])).astype(int)
    cuts = null["evidence"].groupby(np.floor(np.log2(null["rows"])).astype(int)).quantile(1 - rate)
    return table["evidence"] > cls.map(cuts).to_numpy()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("folder", type=Path, help="the world (source.toml, labels.csv)")
    ap.add_argument("results", type=Path, help="per-row results (operator_quality.py --save)")
    ap.add_argument("--nulls", type=int, default=4, help="fault-free stretches per episode")
    args = ap.parse_args()
    table, null = visible_table(args.folder, args.results, args.nulls)
    for rate in (0.01, 0.001):
        seen = visible(table, null, rate)
        print(
            f"null rate {rate:g} ({len(null)} fault-free stretches): visible "
            f"{int(seen.sum())}/{len(table)} episodes; event recall all "
            f"{table['found'].mean():.3f}, visible {table.loc[seen, 'found'].mean():.3f} "
            f"({int((seen & ~table['found']).sum())} visible missed)"
        )
    seen = visible(table, null, 0.01)
    counts = table.assign(visible=seen, visible_found=seen & table["found"])
    by_kind = counts.groupby("kind")[["found", "visible", "visible_found"]].sum()
    by_kind.insert(0, "episodes", table.groupby("kind").size())
    print("per kind at null rate 0.01:")
    print(by_kind.to_string())
    missed = table[seen & ~table["found"]].sort_values("evidence", ascending=False)
    if len(missed):
        print(
            "visible but missed (kind, sector, rows, evidence, KPI, peak score, leading part"
            " at the peak when the results have --parts' lead_part):"
        )
        for r in missed.itertuples():
            print(
                f"  {r.kind:20s} {r.sector:16s} {r.rows:3d} {r.evidence:5.1f} {r.kpi:24s} "
                f"{r.peak:5.2f} {r.lead}"
            )
        # how far below the threshold: never scored (< 2), or near it (2.5 up)
        bins = pd.cut(
            missed["peak"], [-np.inf, 1.0, 2.0, 2.5, np.inf], labels=["<1", "1-2", "2-2.5", "2.5+"]
        )
        print("visible but missed by kind and peak score:")
        print(pd.crosstab(missed["kind"], bins).to_string())


if __name__ == "__main__":
    main()
