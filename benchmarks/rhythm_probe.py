"""Probe: a rhythm / distribution-change part, offline, on NAB and the few-series sets.

Not a test; analysis only (issue 13). The detector runs as it is (``replay``); a candidate
part is computed beside it from the raw values, causally, max'ed into the calibrated score,
and the alarm stage is run again over the table (``AlarmChain.apply_table``, the live rule),
so a part can be judged on NAB's alert stream and the few-series metrics before it is built
into the engine. The part probed here, per series and KPI:

* the last ``W`` hours' histogram on the deciles of the 7 days before them, against the
  closest of those days' own histograms (G statistic, ``2 sum O ln(O / E)``: a rhythm the
  series showed on one of the last days is no change);
* in units of its own null: ``log1p(G)``'s heavy-tailed null (the shoulder and the 95-99 %
  spacing, declustered at its 95 % quantile), refitted once a day on the statistic so far;
* only as far as the window's last quarter shows the change too (its memory must not
  outlive a fault), Bonferroni over the windows and KPIs, minus ``--offset``::

    python benchmarks/rhythm_probe.py nab NAB_ROOT [--hours 12,24,48] [--offset 0]
    python benchmarks/rhythm_probe.py few [--sets lte,cdn24,cdn48] [--seeds 30,31]
"""

from __future__ import annotations

import argparse
import math
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

from telecom_nb import schema
from telecom_nb.alarms.chain import AlarmChain
from telecom_nb.defaults import ALERT_CLOSE_AFTER
from telecom_nb.detectors import make_detector
from telecom_nb.detectors.base import Scores
from telecom_nb.detectors.calibration import DEEP_SHOULDER, TailCalibrator, soft_cap
from telecom_nb.engine import replay
from telecom_nb.evaluation.nab import load_profiles, load_windows
from telecom_nb.evaluation.nab_corpus import optimize_threshold
from telecom_nb.evaluation.nab_loss import corpus_loss
from telecom_nb.evaluation.nab_runner import VALUE, nab_files, read_nab_file

DAY = 86_400 * 10**9
HOUR = 3_600 * 10**9
REF_DAYS = 7  # days of reference before the recent window
MIN_REF_DAYS = 2  # data time before the statistic is computed
BINS = 10  # the reference's deciles (ties merged: a series of zeros has a zero bin)
MIN_NULL_ROWS = 500  # statistic rows before it has a null
SCORED = (schema.SCORE, schema.IS_ANOMALY, schema.TOP_KPI, schema.STATE, schema.ALERT_SCORE)


def divergence(v: np.ndarray, ns: np.ndarray, rows: int, block: int) -> np.ndarray:
    """G of each row's last ``rows`` values against the closest of the previous days'
    histograms (reference bins and days fixed per ``block`` of rows; NaN before)."""
    g = np.full(len(v), np.nan)
    for b0 in range(0, len(v), block):
        if b0 < rows or ns[b0] - ns[0] < MIN_REF_DAYS * DAY:
            continue
        b1 = min(len(v), b0 + block)
        r1 = b0 - rows + 1  # the recent window of row b0 starts here
        r0 = int(np.searchsorted(ns, ns[r1] - REF_DAYS * DAY))
        ref = v[r0:r1]
        if len(ref) < 5 * rows:
            continue
        edges = np.unique(np.quantile(ref, np.linspace(0, 1, BINS + 1)[1:-1]))
        nb = len(edges) + 1
        day = (ns[r1] - ns[r0:r1]) // DAY
        codes = np.searchsorted(edges, ref, side="right")
        hist = np.zeros((int(day.max()) + 1, nb))
        np.add.at(hist, (day, codes), 1.0)
        hist = hist[hist.sum(axis=1) >= rows] + 0.5  # days holding a window's worth
        if not len(hist):  # no such day: the reference pooled
            hist = np.bincount(codes, minlength=nb)[None] + 0.5
        p = hist / hist.sum(axis=1, keepdims=True)
        seg = np.searchsorted(edges, v[r1:b1], side="right")
        counts = np.zeros((len(seg) + 1, nb))
        counts[np.arange(1, len(seg) + 1), seg] = 1.0
        counts = np.cumsum(counts, axis=0)
        at = np.arange(b0, b1) - r1 + 1
        o = (counts[at] - counts[at - rows])[:, None, :]
        with np.errstate(divide="ignore", invalid="ignore"):
            t = np.where(o > 0, o * np.log(o / (rows * p[None])), 0.0)
        g[b0:b1] = 2.0 * t.sum(axis=2).min(axis=1)
    return g


def null_log_p(g: np.ndarray, ns: np.ndarray) -> np.ndarray:
    """``-log10 p`` of ``log1p(g)`` under its null of the rows before each day (0 before)."""
    x = np.log1p(g)
    out = np.zeros(len(x))
    days = np.searchsorted(ns, np.arange(ns[0], ns[-1] + DAY, DAY))
    for a, b in zip(days, np.r_[days[1:], len(x)], strict=True):
        hist = x[:a]
        ok = np.isfinite(hist)
        if a >= b or ok.sum() < MIN_NULL_ROWS:
            continue
        prev = np.nan_to_num(np.r_[-np.inf, hist[:-1]][ok], nan=-np.inf)
        cont = prev > np.quantile(hist[ok], 0.95)
        null = TailCalibrator.fit(
            hist[ok], heavy_tails=True, continues=cont, spacings=DEEP_SHOULDER
        )
        now = x[a:b]
        p = null.p_value(np.where(np.isfinite(now), now, -np.inf))
        out[a:b] = np.where(np.isfinite(now), -np.log10(np.maximum(p, 1e-300)), 0.0)
    return out


def rhythm_log_p(v: np.ndarray, ns: np.ndarray, hours: tuple[float, ...]) -> list[np.ndarray]:
    """Per window: its ``-log10 p``, no higher than its last quarter's."""
    step = float(np.median(np.diff(ns[:200])))
    block = max(1, round(HOUR / step))

    def lp(h: float) -> np.ndarray:
        return null_log_p(divergence(v, ns, max(6, round(h * HOUR / step)), block), ns)

    return [np.minimum(lp(h), lp(h / 4)) for h in hours]


def rhythm_part(
    frame: pd.DataFrame, kpis: list[str], hours: tuple[float, ...], offset: float
) -> np.ndarray:
    """The part per row: the strongest KPI and window of its sector, Bonferroni."""
    out = np.zeros(len(frame))
    for _, idx in frame.groupby(schema.SECTOR).indices.items():
        sub = frame.iloc[idx]
        ns = pd.DatetimeIndex(sub[schema.TIMESTAMP]).as_unit("ns").asi8
        lps = []
        for k in kpis:
            v = sub[k].to_numpy(float)
            lps += rhythm_log_p(np.where(np.isfinite(v), v, np.nanmedian(v)), ns, hours)
        lp = np.max(lps, axis=0) - math.log10(len(lps)) - offset
        out[idx] = soft_cap(np.maximum(lp, 0.0))
    return out


def realarm(
    scored: pd.DataFrame, score: np.ndarray, kpis: list[str], **alarm: object
) -> pd.DataFrame:
    """The scored table again through the alarm stage with ``score``."""
    base = scored.drop(columns=[c for c in SCORED if c in scored])
    return AlarmChain(kpis=kpis, **alarm).apply_table(base, Scores(score=score))


def nab_replay(root: Path, rel: str) -> tuple[pd.DataFrame, pd.DataFrame, np.ndarray]:
    """One NAB file replayed by main's detector as ``telecom-nb nab`` does: the file, the
    scored frame and its score."""
    frame = read_nab_file(root / "data" / rel)
    scored = replay(frame, make_detector("iforest"), [VALUE],
                    alarms=AlarmChain(close_after=ALERT_CLOSE_AFTER)).frame
    return frame, scored, scored[schema.SCORE].to_numpy(float)


def nab(root: Path, hours: tuple[float, ...], offset: float) -> None:
    """NAB's three profiles without and with the part, and the per-file deltas."""
    windows, profiles = load_windows(root), load_profiles(root)
    alerts: dict[str, dict[str, np.ndarray]] = {"main": {}, "probe": {}}
    stamps = {}
    for rel in nab_files(root):
        frame, scored, score = nab_replay(root, rel)
        part = rhythm_part(scored, [VALUE], hours, offset)
        for name, s in (("main", score), ("probe", np.maximum(score, part))):
            out = realarm(scored, s, [VALUE], close_after=ALERT_CLOSE_AFTER)
            alerts[name][rel] = out[schema.ALERT_SCORE].to_numpy(float)
        stamps[rel] = frame[schema.TIMESTAMP]
    for pname in ("standard", "reward_low_FP_rate", "reward_low_FN_rate"):
        loss = {}
        for name, sc in alerts.items():
            c = optimize_threshold(sc, windows, profiles[pname], timestamps=stamps)
            print(f"{pname} {name}: {c.normalized:.2f} at {c.threshold:.3f}")
            loss[name] = corpus_loss(
                sc, {k: windows[k] for k in sc}, profiles[pname], c.threshold, timestamps=stamps
            )
        if pname == "reward_low_FN_rate":
            continue
        before, after = loss["main"], loss["probe"].reindex(loss["main"].index)
        delta = (after - before)[["fp", "late", "missed", "loss"]].round(2)
        delta["n_fp"] = after["n_fp"].astype(str) + " <- " + before["n_fp"].astype(str)
        delta["n_missed"] = after["n_missed"].astype(str) + " <- " + before["n_missed"].astype(str)
        print(delta[delta["loss"].abs() > 0.005].sort_values("loss").to_string())


def few_replay(name: str, seed: int) -> tuple[pd.DataFrame, np.ndarray, list[str]]:
    """One few-series set replayed by main's detector: the scored frame, score and KPIs."""
    from few_series import make  # this folder's benchmark

    data, labels = make(name, seed)
    kpis = [c for c in data.columns if c not in (schema.TIMESTAMP, schema.SECTOR)]
    table = data.merge(labels, on=[schema.TIMESTAMP, schema.SECTOR], how="left")
    table[schema.FAULT] = table[schema.FAULT].fillna("")
    table[schema.TIMESTAMP] = table[schema.TIMESTAMP].dt.tz_localize("UTC")
    scored = replay(table, make_detector("iforest"), kpis).frame
    return scored, scored[schema.SCORE].to_numpy(float), kpis


def few_line(tag: str, scored: pd.DataFrame, score: np.ndarray, kpis: list[str]) -> str:
    """``score`` through the alarm stage again, judged after the burn-in: one result."""
    from few_series import BURN_IN, _pages  # this folder's benchmark

    from telecom_nb.evaluation.metrics import evaluate

    out = realarm(scored, score, kpis)
    judged = out[out[schema.TIMESTAMP] >= out[schema.TIMESTAMP].min() + BURN_IN]
    ev = evaluate(judged)
    return (f"{tag} ER={ev.event_recall:.3f} ({ev.events_found}/{ev.n_events}) "
            f"P={ev.precision:.3f} R={ev.recall:.3f} flagged={ev.flagged} {_pages(judged)}")


def few(sets: list[str], seeds: list[int], hours: tuple[float, ...], offset: float) -> None:
    """Event recall, row precision / recall and pages per few-series set, without / with."""
    for name in sets:
        for seed in seeds:
            scored, score, kpis = few_replay(name, seed)
            part = rhythm_part(scored, kpis, hours, offset)
            res = [few_line(tag, scored, s, kpis)
                   for tag, s in (("main", score), ("probe", np.maximum(score, part)))]
            print(f"{name} seed {seed}: " + " | ".join(res), flush=True)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("what", choices=("nab", "few"))
    ap.add_argument("root", type=Path, nargs="?")
    ap.add_argument("--hours", default="12,24,48")
    ap.add_argument("--offset", type=float, default=0.0)
    ap.add_argument("--sets", default="lte,cdn24,cdn48")
    ap.add_argument("--seeds", default="30,31")
    args = ap.parse_args()
    hours = tuple(float(h) for h in args.hours.split(","))
    warnings.simplefilter("ignore", RuntimeWarning)
    if args.what == "nab":
        if args.root is None:
            ap.error("nab needs NAB_ROOT")
        nab(args.root, hours, args.offset)
    else:
        few(args.sets.split(","), [int(s) for s in args.seeds.split(",")], hours, args.offset)


if __name__ == "__main__":
    main()
