"""What ``telecom-nb bench`` prints: each size's and each replay's line, and the verdict
against issue 12's targets.

Kept apart from :mod:`telecom_nb.bench`, which runs and times: these read only a run's
figures (a dict per size or replay), so they are tested on made-up figures without running
a tick.
"""

from __future__ import annotations

import os

#: issue 12's targets: (sectors, the tick's wall ms at most, speedup over the seed at least)
TICK_TARGETS = ((500, 10.0, None), (100_000, 400.0, 2.5))
#: the live 100k stream's aged RSS at most (1.5 GB, read as 1,500 MB: the stricter)
AGED_RSS_TARGET_MB = 1500.0


def format_bench_row(r: dict) -> str:
    """One size's line: the target's figures first, CPU and spreads beside them."""
    lo, hi = r["tick_ms_iqr"]
    slo, shi = r["speedup_iqr"]
    return (f"{r['sectors']:>7} sectors: tick {r['tick_ms']:7.1f} ms (middle half "
            f"{lo:.1f}-{hi:.1f}, CPU {r['tick_cpu_ms']:.1f})  seed tick "
            f"{r['seed_tick_ms']:7.1f} ms (CPU {r['seed_tick_cpu_ms']:.1f})  "
            f"{r['speedup_vs_seed']:.2f}x (pairs' middle half {slo:.2f}-{shi:.2f}x, CPU "
            f"{r['speedup_cpu']:.2f}x)  alone {r['tick_alone_ms']:.1f} ms (CPU "
            f"{r['tick_alone_cpu_ms']:.1f})  simulate {r['simulate_ms']:.1f} ms  score "
            f"{r['score_ms']:.1f} ms  RSS {r['rss_mb']:,.0f} MB (peak {r['peak_rss_mb']:,.0f}, "
            f"every state page written {r['aged_rss_mb']:,.0f})  load {r.get('load', 0.0):.1f}")


def bench_targets(rows: list[dict]) -> list[str]:
    """What the figures mean and, for the sizes issue 12 names, whether each target is met."""
    lines = [
        "tick = median wall ms of the timed ticks run in turns with the seed's (ABBA), "
        "after the state's every page was written; Nx = median over those pairs of the "
        "seed's wall / ours (CPU: process CPU time, every thread); alone = the ticks "
        "before, without the seed (where RSS and peak are read)."]
    for r in rows:
        for sectors, most_ms, least_x in TICK_TARGETS:
            if r["sectors"] != sectors:
                continue
            checks = [f"tick {r['tick_ms']:.1f} <= {most_ms:g} ms: "
                      f"{_yes(r['tick_ms'] <= most_ms)}"]
            if least_x is not None:
                checks.append(f"{r['speedup_vs_seed']:.2f}x >= {least_x:g}x: "
                              f"{_yes(r['speedup_vs_seed'] >= least_x)}")
                checks.append(f"aged RSS {r['aged_rss_mb']:,.0f} <= {AGED_RSS_TARGET_MB:,.0f}"
                              f" MB: {_yes(r['aged_rss_mb'] <= AGED_RSS_TARGET_MB)}")
            lines.append(f"issue 12 at {sectors:,} sectors: " + "; ".join(checks))
    cores = os.cpu_count() or 1
    busy = [r for r in rows if r.get("load", 0.0) > cores]
    if busy:
        worst = max(r["load"] for r in busy)
        lines.append(f"machine load up to {worst:.1f} on {cores} cores while timing: the wall "
                     "figures read the machine's other jobs as much as the code (compare CPU, "
                     "or run again when the load is under the cores)")
    return lines


def _yes(ok: bool) -> str:
    return "met" if ok else "NOT met"


#: issue 12: a replay's peak RSS at most this many times its decoded table
REPLAY_RSS_TARGET = 3.0


def format_replay_row(r: dict) -> str:
    """One replay's line: speed, then peak RSS against the decoded table (issue 12)."""
    ratio = r["peak_rss_mb"] / max(r["table_mb"], 1e-9)
    return (f"replay {r['kind']}: {r['rows']:,} rows in {r['total_s']:.2f} s "
            f"({r['rows_per_s']:,} rows/s; read {r['read_s']:.2f} s, replay "
            f"{r['replay_s']:.2f} s incl. {r['retrains']} retrains, write "
            f"{r['write_s']:.2f} s; process CPU {r.get('cpu_s', 0.0):.1f} s); peak RSS "
            f"{r['peak_rss_mb']:,.0f} MB for a "
            f"{r['table_mb']:,.1f} MB decoded table ({r['base_rss_mb']:,.0f} MB before "
            f"reading it): {ratio:.1f}x the table, issue 12's <= {REPLAY_RSS_TARGET:g}x "
            f"{_yes(ratio <= REPLAY_RSS_TARGET)}")
