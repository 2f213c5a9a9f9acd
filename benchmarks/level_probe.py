"""Offline probe: a *level* record (the last hour's mean beyond every hourly mean of the last
3 weeks) added to the detector's alert stream, for slow creeps inside a series' range.

Not a test, and not the detector: the part is computed beside a saved run and its onsets
are added to main's alerts where main has no episode open (no row score >= 3.0 in the 9
rows before), with the value of the part's score. The part is range novelty
(``benchmarks/nab_probe.record_score``) on the 12-row rolling mean, both sides, its
``log10(N + 1)`` taken on the *effective* count ``N / 12`` (the means of overlapping
windows are not independent: on the tuning series the raw count called 42 creeps-free
onsets records, the effective one 10)::

    python benchmarks/level_probe.py series 1650-1665      # tuning seeds (generated below)
    python benchmarks/level_probe.py nab RUN.pkl NAB_ROOT  # a run saved by nab_loss.py --save
    python benchmarks/level_probe.py faithful NAB_ROOT [routine-mutes] [SAVE.pkl]  # alarm stage
    python benchmarks/level_probe.py few lte|cdn24|cdn48 SEEDS  # few_series.py sets, both ways

``series``: one 5-minute series per seed, 21 days (AR(1) noise with a daily rhythm; kinds
by seed: plain, bursty, 70 % zeros), one normal level step of 0.3 on days 6-9 and one
labelled creep on days 12-19 (a ramp of 2-12 h to 3-6 spreads of the hourly mean, held 2-6
h); each through main's detector (``telecom_nb.engine.replay``), then main's and the
combined alert streams' creeps found and false alerts (>= 3.0, after day 4).
"""

from __future__ import annotations

import argparse
import pickle
from pathlib import Path

import numpy as np
import pandas as pd

from benchmarks.nab_probe import record_score
from telecom_nb import schema
from telecom_nb.evaluation.nab import as_ns

ROWS = 12  # the level's rows (an hour at 5 minutes)
GATE = 3.0  # the alarm stage's default threshold
KINDS = ("plain", "bursty", "zeros")


def level_part(ns: np.ndarray, y: np.ndarray, rows: int = ROWS) -> np.ndarray:
    """Per row: the level record's score on both sides, on the effective count."""
    level = pd.Series(y).rolling(rows, min_periods=rows).mean().to_numpy()
    s = np.maximum(record_score(ns, level, rows), record_score(ns, -level, rows))
    return np.where(s > 0, np.maximum(s - np.log10(rows), 0.0), 0.0)


def _recent(mask: np.ndarray, rows: int = 9) -> np.ndarray:
    return pd.Series(mask).rolling(rows, min_periods=1).max().shift(1).fillna(0).to_numpy() > 0


def combine(alerts: np.ndarray, row_scores: np.ndarray, part: np.ndarray) -> np.ndarray:
    """Main's alerts plus the part's onsets where main has no episode open."""
    above = part >= GATE
    onset = above & ~_recent(above) & ~_recent(row_scores >= GATE) & ~(alerts > 0)
    out = alerts.copy()
    out[onset] = part[onset]
    return out


def series(seed: int) -> tuple[str, pd.DatetimeIndex, np.ndarray, np.ndarray]:
    """One generated series: kind, times, values, the creep's rows."""
    rng = np.random.default_rng(seed)
    n = 21 * 288
    kind = KINDS[seed % 3]
    hours = (np.arange(n) % 288) / 12
    rhythm = rng.uniform(0, 1) * np.sin(2 * np.pi * (hours - 8) / 24)
    e = rng.normal(0, 1, n)
    phi = rng.uniform(0.5, 0.95)
    x = np.zeros(n)
    for i in range(1, n):  # generator only
        x[i] = phi * x[i - 1] + np.sqrt(1 - phi**2) * e[i]
    y = 10 + rhythm + 0.5 * x
    if kind == "bursty":
        y += (rng.random(n) < 0.02) * rng.exponential(3, n)
    if kind == "zeros":
        y = np.where(rng.random(n) < 0.7, 0.0, y)
    y[rng.integers(6 * 288, 9 * 288):] += rng.choice([-1, 1]) * 0.3
    spread = pd.Series(y[: 10 * 288]).rolling(ROWS).mean().std()
    start = rng.integers(12 * 288, 19 * 288)
    shape = np.r_[np.linspace(0, 1, rng.integers(24, 144)), np.ones(rng.integers(24, 72))]
    creep = np.zeros(n, bool)
    creep[start:start + len(shape)] = True
    y[start:start + len(shape)] += rng.uniform(3, 6) * spread * shape
    return kind, pd.date_range("2024-03-04", periods=n, freq="5min", unit="ns"), y, creep


def run_series(seeds: range) -> None:
    from telecom_nb.alarms.chain import AlarmChain
    from telecom_nb.detectors import make_detector
    from telecom_nb.engine import replay
    from telecom_nb.evaluation.nab_runner import read_nab_file

    total = {"main": [0, 0], "combined": [0, 0]}
    for seed in seeds:
        kind, ts, y, creep = series(seed)
        path = Path(f"/tmp/level_probe_{seed}.csv")
        pd.DataFrame({"timestamp": ts.strftime("%Y-%m-%d %H:%M:%S"), "value": y}).to_csv(
            path, index=False)
        frame = replay(read_nab_file(path), make_detector("iforest"), ["value"],
                       alarms=AlarmChain()).frame
        alerts = frame[schema.ALERT_SCORE].to_numpy(float)
        ns = ts.asi8
        judged = ns >= ns[0] + 4 * 86_400 * 10**9
        both = combine(alerts, frame[schema.SCORE].to_numpy(float), level_part(ns, y))
        line = [f"seed {seed} {kind:6s}"]
        for name, a in (("main", alerts), ("combined", both)):
            found = bool((a[creep] >= GATE).any())
            false = int(((a >= GATE) & ~creep & judged).sum())
            total[name][0] += found
            total[name][1] += false
            line.append(f"{name} found {found} false {false}")
        print(", ".join(line), flush=True)
    print(f"creeps found / false alerts over {len(seeds)} series: {total}")


def run_nab(run_path: Path, root: Path) -> None:
    from telecom_nb.evaluation.nab_corpus import optimize_threshold

    run = pickle.loads(run_path.read_bytes())
    scores = {}
    for f in run.files:
        y = pd.read_csv(root / "data" / f)["value"].to_numpy(float)
        scores[f] = combine(run.file_scores[f], run.row_scores[f],
                            level_part(as_ns(run.timestamps[f]), y))
    for p in run.profiles:
        c = optimize_threshold(scores, run.windows, run.profiles[p], rows=run.placed())
        print(f"{p}: {c.normalized:.2f} at {c.threshold:.3f} (main {run.scores[p]:.2f})")


def level_chain(kpis: list[str], routine_yields: bool = True, **params):
    """An ``AlarmChain`` reading ``max(score, part)``: per sector the strongest KPI's level
    record less ``log10`` of the KPIs (Bonferroni), on all rows so far (causal, whatever
    pieces the replay cuts the table in); a row the part leads is not routine when
    ``routine_yields``."""
    from dataclasses import replace

    from telecom_nb.alarms.chain import AlarmChain

    class LevelChain(AlarmChain):
        seen: tuple[pd.DataFrame, ...] = ()

        def apply_table(self, frame, scores):
            self.seen = (*self.seen, frame[[schema.TIMESTAMP, schema.SECTOR, *kpis]])
            hist = pd.concat(self.seen, ignore_index=True)
            ns = pd.DatetimeIndex(hist[schema.TIMESTAMP]).as_unit("ns").asi8
            part = np.zeros(len(hist))
            for _, rows in hist.groupby(schema.SECTOR, sort=False).indices.items():
                best = np.max([level_part(ns[rows], hist[k].to_numpy(float)[rows])
                               for k in kpis], axis=0)
                part[rows] = np.where(best > 0, np.maximum(best - np.log10(len(kpis)), 0), 0)
            part = part[-len(frame):]
            score = np.asarray(scores.score, dtype=float)
            routine = scores.routine
            if routine is not None and routine_yields:
                routine = np.asarray(routine, bool) & ~(part > score)
            return super().apply_table(frame, replace(scores, score=np.maximum(score, part),
                                                      routine=routine))

    return LevelChain(**params)


def few(name: str, seed: int) -> None:
    """A ``benchmarks/few_series.py`` set, main's alarm stage and the level chain's."""
    from benchmarks.few_series import BURN_IN, _pages, make
    from telecom_nb.alarms.chain import AlarmChain
    from telecom_nb.detectors import make_detector
    from telecom_nb.engine import replay
    from telecom_nb.evaluation.metrics import evaluate

    data, labels = make(name, seed)
    kpis = [c for c in data.columns if c not in (schema.TIMESTAMP, schema.SECTOR)]
    table = data.merge(labels, on=[schema.TIMESTAMP, schema.SECTOR], how="left")
    table[schema.FAULT] = table[schema.FAULT].fillna("")
    table[schema.TIMESTAMP] = table[schema.TIMESTAMP].dt.tz_localize("UTC")
    for label, chain in (("main", AlarmChain()), ("level", level_chain(kpis))):
        scored = replay(table, make_detector("iforest"), kpis, alarms=chain).frame
        ts = scored[schema.TIMESTAMP]
        judged = scored[ts >= ts.min() + BURN_IN]
        ev = evaluate(judged)
        print(f"{name} seed {seed} {label:5s}: ER={ev.event_recall:.3f} ({ev.events_found}/"
              f"{ev.n_events}) P={ev.precision:.3f} R={ev.recall:.3f} flagged={ev.flagged} "
              f"{_pages(judged)}", flush=True)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("what", choices=("series", "nab", "faithful", "few"))
    ap.add_argument("args", nargs="+")
    args = ap.parse_args()
    if args.what == "series":
        lo, hi = (int(v) for v in args.args[0].split("-"))
        run_series(range(lo, hi))
    elif args.what == "few":
        for seed in args.args[1].split(","):
            few(args.args[0], int(seed))
    elif args.what == "nab":
        run_nab(Path(args.args[0]), Path(args.args[1]))
    else:
        rest = args.args[1:]
        faithful_nab(Path(args.args[0]), routine_yields="routine-mutes" not in rest,
                     save=Path(rest[-1]) if rest and rest[-1].endswith(".pkl") else None)



def faithful_nab(root: Path, routine_yields: bool = True, save: Path | None = None) -> None:
    """NAB with the part max'ed into the detector's row score *before* the alarm stage
    (the real episodes, escalation and routine rule of ``replay``; a row the part leads
    is not routine when ``routine_yields``): what a detector with the part would page."""
    from telecom_nb.defaults import ALERT_CLOSE_AFTER
    from telecom_nb.detectors import make_detector
    from telecom_nb.engine import replay
    from telecom_nb.evaluation.nab import load_profiles, load_windows
    from telecom_nb.evaluation.nab_corpus import optimize_threshold
    from telecom_nb.evaluation.nab_runner import VALUE, NabResult, nab_files, read_nab_file

    windows, profiles = load_windows(root), load_profiles(root)
    alerts, stamps = {}, {}
    for rel in nab_files(root):
        frame = read_nab_file(root / "data" / rel)
        chain = level_chain([VALUE], routine_yields, close_after=ALERT_CLOSE_AFTER)
        scored = replay(frame, make_detector("iforest"), [VALUE], alarms=chain).frame
        alerts[rel] = scored[schema.ALERT_SCORE].to_numpy(float)
        stamps[rel] = frame[schema.TIMESTAMP]
    mine = {f: windows[f] for f in alerts}
    corpus = {p: optimize_threshold(alerts, mine, prof, timestamps=stamps)
              for p, prof in profiles.items()}
    for p, c in corpus.items():
        print(f"{p}: {c.normalized:.2f} at {c.threshold:.3f}", flush=True)
    if save:  # for benchmarks/nab_loss.py --load
        save.write_bytes(pickle.dumps(NabResult(
            "iforest+level", {p: c.normalized for p, c in corpus.items()},
            {p: c.threshold for p, c in corpus.items()}, {}, corpus, 0, 0.0, list(alerts),
            file_scores=alerts, timestamps=stamps, windows=mine, profiles=profiles)))


if __name__ == "__main__":
    main()
