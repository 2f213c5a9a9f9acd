"""Probe: what a false alert is, and a "routine excursion" rule, offline (issue 13).

Not a test; analysis only. The detector runs as it is (``replay``). Two things are read
beside it, causally, from the raw values:

* ``nab``: main's false alerts at the standard corpus threshold (and the first detection
  of every detected window, for comparison) sorted by what the series does there: just
  after or before a label window, the file's first 3 days, after a gap, a level that stays
  (the next 6 h; look-ahead, for the table only), an excursion the series reached before
  (distinct excursions over the previous 7 days), or a new one;
* a candidate rule, run through the alarm stage again (``rhythm_probe.realarm``): a row is
  *routine* when, for every KPI of its sector, the current excursion (the value less its
  baseline: the same time of day's median over the previous 7 days when the series has a
  day pattern, else the last day's median; the largest of the last 4 rows) was reached or
  passed by at least ``k`` distinct excursions of the same sign over the previous 7 days
  (the last hour left out); a routine row opens no alert episode (its score is set to 0
  unless an episode is already open: a lasting incident is not cut into many); ``--joint``
  also asks the KPIs' joint excursion (their squared residuals in MAD units summed) to be
  routine. k = 2 is ``calibration.SEEN_FLOOR``; README "Measured" has the results::

    python benchmarks/routine_probe.py nab NAB_ROOT [--ks 2,3,5,8,14]
    python benchmarks/routine_probe.py few [--sets lte,cdn24,cdn48] [--seeds 30,31] [--ks 2]
        [--joint]
"""

from __future__ import annotations

import argparse
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
from rhythm_probe import few_line, few_replay, nab_replay, realarm  # this folder's benchmark

from telecom_nb import schema
from telecom_nb.alarms.episodes import CLOSE_AFTER
from telecom_nb.defaults import ALERT_CLOSE_AFTER
from telecom_nb.evaluation.nab import file_layout, load_profiles, load_windows
from telecom_nb.evaluation.nab_corpus import optimize_threshold
from telecom_nb.evaluation.nab_loss import corpus_loss
from telecom_nb.evaluation.nab_runner import VALUE, nab_files

DAY = pd.Timedelta("1D")
#: rows scored below this are never alerts (the alarm stage's threshold is 3)
GATE = 3.0


def residuals(ts: pd.Series, v: np.ndarray, i: int) -> tuple[np.ndarray, np.ndarray, bool] | None:
    """Row ``i``'s previous 7 days: the value less its baseline (the same time of day's
    median when the series has a day pattern, else the last day's median), which of those
    rows are past (the last hour left out), and whether it has a day pattern (None: too
    young)."""
    t = ts.iloc[i]
    if t - ts.iloc[0] < 2 * DAY:
        return None
    step = ts.iloc[max(0, i - 500) : i + 1].diff().median()
    idx = np.flatnonzero(((ts >= t - 7 * DAY) & (ts <= t)).to_numpy())
    tt, vv = ts.iloc[idx], v[idx]
    past = (tt < t - pd.Timedelta("1h")).to_numpy() & np.isfinite(vv)
    if past.sum() < 10:
        return None
    slot = ((tt - tt.dt.normalize()) // step).to_numpy()
    n_slots = max(1, round(DAY / step))
    med = pd.Series(vv[past]).groupby(slot[past]).median().reindex(range(n_slots))
    med = med.interpolate(limit_direction="both").to_numpy()
    daily = bool(np.nanstd(med) > 0.5 * np.std(vv[past]))
    base = med[np.clip(slot, 0, n_slots - 1)] if daily else np.median(vv[past][-n_slots:])
    return vv - base, past, daily


def reached(r: np.ndarray, past: np.ndarray, signed: bool = True) -> tuple[int, float]:
    """Distinct past excursions of ``r`` that reached its last 4 rows' largest (the same
    sign when ``signed``), and that largest in MAD units of the past."""
    last = np.nan_to_num(r[max(0, len(r) - 4) :])
    peak = last[np.argmax(np.abs(last))]
    pr = r[past]
    mad = 1.4826 * np.median(np.abs(pr - np.median(pr)))
    beyond = (np.sign(peak) * pr if signed else pr) >= abs(peak)
    n = int(np.sum(beyond[1:] & ~beyond[:-1]) + beyond[0])
    return n, abs(peak) / mad if mad > 0 else np.inf


def excursions(ts: pd.Series, v: np.ndarray, i: int) -> tuple[int, float, bool]:
    """Row ``i``: distinct same-sign excursions of the previous 7 days (last hour left
    out) that reached its excursion, the excursion in the series' MAD units, and whether
    the series has a day pattern."""
    res = residuals(ts, v, i)
    if res is None:
        return 0, np.nan, False
    r, past, daily = res
    return (*reached(r, past), daily)


def joint_excursions(ts: pd.Series, values: list[np.ndarray], i: int) -> int:
    """The same count for the KPIs together: the sum of their squared residuals in MAD
    units (many KPIs off moderately at once is an excursion of its own)."""
    total = None
    for v in values:
        res = residuals(ts, v, i)
        if res is None:
            return 0
        r, past, _ = res
        pr = r[past]
        mad = 1.4826 * np.median(np.abs(pr - np.median(pr)))
        z2 = np.nan_to_num((r / mad) ** 2 if mad > 0 else np.zeros_like(r))
        total = z2 if total is None else total + z2
    return reached(total, past, signed=False)[0]


def sector_rows(frame: pd.DataFrame) -> list[np.ndarray]:
    """Each sector's row positions in time order."""
    ns = pd.DatetimeIndex(frame[schema.TIMESTAMP]).as_unit("ns").asi8
    groups = frame.groupby(schema.SECTOR).indices.values()
    return [idx[np.argsort(ns[idx], kind="stable")] for idx in groups]


def routine_counts(
    frame: pd.DataFrame, kpis: list[str], score: np.ndarray, joint: bool = False
) -> np.ndarray:
    """Per row scored at :data:`GATE` or more, the fewest excursions over its sector's KPIs
    (the rule's count) and, with ``joint`` and 2+ KPIs, their joint excursion's; -1
    elsewhere."""
    out = np.full(len(frame), -1)
    for idx in sector_rows(frame):
        sub = frame.iloc[idx]
        ts = sub[schema.TIMESTAMP].reset_index(drop=True)
        values = [sub[k].to_numpy(float) for k in kpis]
        for j in np.flatnonzero(score[idx] >= GATE):
            out[idx[j]] = min(excursions(ts, v, j)[0] for v in values)
            if joint and len(values) > 1 and out[idx[j]] > 0:
                out[idx[j]] = min(out[idx[j]], joint_excursions(ts, values, j))
    return out


def mute(
    frame: pd.DataFrame, score: np.ndarray, counts: np.ndarray, k: int, close: int | pd.Timedelta
) -> np.ndarray:
    """``score`` with the routine rows that would open an episode set to 0 (the alarm
    stage's rule replayed: anomalous at :data:`GATE`, closed after ``close`` normal ticks
    or that long without an anomalous tick)."""
    out = score.copy()
    for idx in sector_rows(frame):
        ns = pd.DatetimeIndex(frame[schema.TIMESTAMP].iloc[idx]).as_unit("ns").asi8
        is_open, last, normal = False, 0, 0
        for j, i in enumerate(idx):  # one sector's rows in time order (scratch speed)
            if is_open and (
                normal >= close if isinstance(close, int) else ns[j] - last >= close.value
            ):
                is_open = False
            if score[i] >= GATE and (is_open or counts[i] < k):
                is_open, last, normal = True, ns[j], 0
                continue
            if score[i] >= GATE:
                out[i] = 0.0
            normal += 1
    return out


def classify(ts: pd.Series, v: np.ndarray, i: int, windows: list) -> str:
    """What the series does at row ``i`` (see the module docstring)."""
    t = ts.iloc[i]
    for a, b in windows:
        a, b = pd.Timestamp(a, tz="UTC"), pd.Timestamp(b, tz="UTC")
        if b < t <= b + (b - a):
            return "A after a window (<= its length)"
        if a - (b - a) / 2 <= t < a:
            return "B early (<= half a window before it)"
    if t - ts.iloc[0] < 3 * DAY:
        return "C the file's first 3 days"
    step = ts.iloc[max(0, i - 500) : i + 1].diff().median()
    if i >= 3 and ts.iloc[i] - ts.iloc[i - 3] > 6 * step:
        return "D after a gap (3 rows span > 6 steps)"
    n, _, daily = excursions(ts, v, i)
    later = ((ts > t) & (ts <= t + pd.Timedelta("6h"))).to_numpy()
    if later.sum() > 3:
        near = (ts > t - DAY).to_numpy() & (ts < t).to_numpy()
        ref = np.median(v[near]) if near.any() else v[i]
        mad = 1.4826 * np.median(np.abs(v[near] - ref)) if near.sum() > 4 else 0.0
        shift = np.median(v[later]) - ref
        if mad > 0 and abs(shift) > 3 * mad and np.sign(shift) == np.sign(v[i] - ref):
            return "E a level that stays (next 6 h's median > 3 MAD off)"
    tag = ", day pattern" if daily else ""
    if n >= 14:
        return f"F1 excursion reached >= 14x in 7 days{tag}"
    if n >= 2:
        return f"F2 excursion reached 2-13x in 7 days{tag}"
    if n == 1:
        return f"G excursion reached once in 7 days{tag}"
    return f"H new excursion{tag}"


def mechanism_table(
    alerts: dict, stamps: dict, values: dict, windows: dict, profiles: dict, threshold: float
) -> None:
    """Main's false alerts at ``threshold`` and each window's first detection, by class."""
    std, low = profiles["standard"], profiles["reward_low_FP_rate"]
    fp, tp = [], []
    for rel, sc in alerts.items():
        lay = file_layout(stamps[rel], windows[rel], std)
        sweep_low = file_layout(stamps[rel], windows[rel], low).sweep
        ts = stamps[rel].reset_index(drop=True).dt.as_unit("ns")
        det = (sc >= threshold) & lay.scored
        for i in np.flatnonzero(det & (lay.window < 0)):
            fp.append(
                {
                    "file": rel,
                    "class": classify(ts, values[rel], i, windows[rel]),
                    "standard": -lay.sweep[i],
                    "low_FP": -sweep_low[i],
                }
            )
        for w in lay.scorable_windows:
            hit = np.flatnonzero(det & (lay.window == w))
            if len(hit):
                tp.append(
                    {
                        "file": rel,
                        "class": classify(ts, values[rel], hit[0], []),
                        "value": lay.sweep[hit[0]],
                    }
                )
    fp, tp = pd.DataFrame(fp), pd.DataFrame(tp)
    print(
        f"== false alerts at {threshold:.3f}: {len(fp)}, cost {fp['standard'].sum():.2f} "
        f"standard / {fp['low_FP'].sum():.2f} low-FP (raw)"
    )
    print(
        fp.groupby("class")
        .agg(
            n=("file", "size"),
            standard=("standard", "sum"),
            low_FP=("low_FP", "sum"),
            files=("file", "nunique"),
        )
        .round(2)
        .to_string()
    )
    print(f"== first detections of the {len(tp)} detected windows (value {tp['value'].sum():.2f})")
    print(tp.groupby("class").agg(n=("file", "size"), value=("value", "sum")).round(2).to_string())


def nab(root: Path, ks: list[int]) -> None:
    """The mechanism table, then NAB's three profiles with the rule at each ``k``."""
    windows, profiles = load_windows(root), load_profiles(root)
    alerts: dict[str, dict[str, np.ndarray]] = {"main": {}} | {f"k={k}": {} for k in ks}
    stamps, values = {}, {}
    for rel in nab_files(root):
        frame, scored, score = nab_replay(root, rel)
        counts = routine_counts(scored, [VALUE], score)
        alerts["main"][rel] = scored[schema.ALERT_SCORE].to_numpy(float)
        for k in ks:
            muted = mute(scored, score, counts, k, ALERT_CLOSE_AFTER)
            out = realarm(scored, muted, [VALUE], close_after=ALERT_CLOSE_AFTER)
            alerts[f"k={k}"][rel] = out[schema.ALERT_SCORE].to_numpy(float)
        stamps[rel], values[rel] = frame[schema.TIMESTAMP], frame[VALUE].to_numpy(float)
    wins = {k: windows[k] for k in stamps}
    base = optimize_threshold(alerts["main"], wins, profiles["standard"], timestamps=stamps)
    mechanism_table(alerts["main"], stamps, values, wins, profiles, base.threshold)
    losses = {}
    for name, sc in alerts.items():
        row = []
        for pname in ("standard", "reward_low_FP_rate", "reward_low_FN_rate"):
            c = optimize_threshold(sc, wins, profiles[pname], timestamps=stamps)
            row.append(f"{c.normalized:.2f}")
            if pname == "standard":
                losses[name] = corpus_loss(
                    sc, wins, profiles[pname], c.threshold, timestamps=stamps
                )
        lost = losses[name][["fp", "late", "missed", "n_fp", "n_missed"]].sum()
        print(
            f"{name}: NAB {' / '.join(row)} (standard / low-FP / low-FN); standard false "
            f"alerts {int(lost['n_fp'])} ({lost['fp']:.2f}), late {lost['late']:.2f}, "
            f"missed {int(lost['n_missed'])}",
            flush=True,
        )
    for name in alerts:
        if name == "main":
            continue
        before, after = losses["main"], losses[name].reindex(losses["main"].index)
        delta = (after - before)[["fp", "late", "missed", "loss"]].round(2)
        delta["n_fp"] = after["n_fp"].astype(str) + " <- " + before["n_fp"].astype(str)
        print(f"-- {name}, per file (standard, raw)")
        print(delta[delta["loss"].abs() > 0.005].sort_values("loss").to_string())


def few(sets: list[str], seeds: list[int], ks: list[int], joint: bool) -> None:
    """Event recall, row precision / recall and pages per few-series set, main and each k."""
    for name in sets:
        for seed in seeds:
            scored, score, kpis = few_replay(name, seed)
            counts = routine_counts(scored, kpis, score, joint)
            res = [few_line(tag, scored, score if k is None
                            else mute(scored, score, counts, k, CLOSE_AFTER), kpis)
                   for tag, k in [("main", None)] + [(f"k={k}", k) for k in ks]]
            print(f"{name} seed {seed}: " + " | ".join(res), flush=True)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("what", choices=("nab", "few"))
    ap.add_argument("root", type=Path, nargs="?")
    ap.add_argument("--ks", default="2", help="excursion counts that make a row routine")
    ap.add_argument("--sets", default="lte,cdn24,cdn48")
    ap.add_argument("--seeds", default="30,31")
    ap.add_argument("--joint", action="store_true", help="the KPIs' joint excursion too")
    args = ap.parse_args()
    ks = [int(k) for k in args.ks.split(",")]
    warnings.simplefilter("ignore", RuntimeWarning)
    if args.what == "nab":
        if args.root is None:
            ap.error("nab needs NAB_ROOT")
        nab(args.root, ks)
    else:
        few(args.sets.split(","), [int(s) for s in args.seeds.split(",")], ks, args.joint)


if __name__ == "__main__":
    main()
