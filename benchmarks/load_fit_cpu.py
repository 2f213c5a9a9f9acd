"""Scratch: the per-sector load fit's CPU a tick (``LoadFit.sharpen`` + ``update``), and a
hash of everything it read and learned, on a synthetic fleet with a load group.

Not a test. The simulator's fleets form no load family, so neither ``tick_hash.py`` nor
``telecom-nb bench`` ever runs :mod:`~telecom_nb.features.load_fit`; an operator export
with a load group does (``replay_hash.py DIR``: its scored table). Here the fit alone, at
fleet sizes no export on this host reaches:

    python benchmarks/load_fit_cpu.py --sectors 1000,10000,30000 [--warm 100] [--ticks 20]

Each tick every sector (1 % missing, in a shuffled order kept from tick to tick) carries a
load (a daily curve, a per-sector level, day-to-day swings) that its family's KPIs follow
and its dependents bend with (a saturating throughput, a rising latency), 0.5 % of the
values missing and 1 % of the sectors' dependents in a fault (half their value). Printed
per size: thread CPU a tick after ``--warm`` ticks (median and mean of ``--ticks``), the
fit's state in MB, and ``hash``: sha256 of every sharpened z and the final state -- two
trees that print the same hash computed the same bits.
"""

from __future__ import annotations

import argparse
import hashlib
import time

import numpy as np

from telecom_nb.features.load_fit import LoadFit
from telecom_nb.features.time_slots import DAY_NS

HOUR = DAY_NS // 24


class Fleet:
    """A fleet's scaled KPI rows, tick by tick: ``family`` load KPIs, ``dependent`` KPIs
    that the load bends, ``other`` KPIs that ignore it."""

    def __init__(self, sectors: int, family: int, dependent: int, other: int, seed: int):
        self.rng = np.random.default_rng(seed)
        self.n, self.f, self.d = sectors, family, dependent
        self.k = family + dependent + other
        self.level = self.rng.normal(0.0, 0.5, sectors)
        self.gain = self.rng.uniform(0.6, 1.2, (sectors, family))
        self.bend = self.rng.uniform(0.05, 0.3, (sectors, dependent))
        self.order = self.rng.permutation(sectors)
        self.tick = 0

    def next(self) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """(rows, z, scaled, valid) of one tick."""
        rng, n = self.rng, self.n
        rows = self.order[rng.random(n) >= 0.01]
        hour = self.tick % 24
        load = (self.level[rows] + np.sin(2 * np.pi * (hour - 8) / 24)
                + rng.normal(0.0, 0.3, len(rows)))
        fam = self.gain[rows] * load[:, None] + rng.normal(0.0, 0.1, (len(rows), self.f))
        dep = 3.0 - self.bend[rows] * load[:, None] ** 2 + rng.normal(0.0, 0.05,
                                                                     (len(rows), self.d))
        dep[rng.random(len(rows)) < 0.01] *= 0.5  # a fault
        other = rng.normal(0.0, 1.0, (len(rows), self.k - self.f - self.d))
        scaled = np.concatenate([fam, dep, other], axis=1)
        valid = rng.random(scaled.shape) >= 0.005
        scaled[~valid] = np.nan
        z = rng.normal(0.0, 1.5, scaled.shape)
        self.tick += 1
        return rows, z, scaled, valid


def run(sectors: int, family: int, dependent: int, other: int, warm: int, ticks: int,
        seed: int) -> dict[str, float | str]:
    fleet = Fleet(sectors, family, dependent, other, seed)
    mask = np.zeros(fleet.k, dtype=bool)
    fam, dep = mask.copy(), mask.copy()
    fam[:family] = True
    dep[family:family + dependent] = True
    fit = LoadFit(fam, dep)
    digest = hashlib.sha256()
    sharpen, update = [], []
    for t in range(warm + ticks):
        rows, z, scaled, valid = fleet.next()
        t0 = time.thread_time()
        out = fit.sharpen(rows, z, scaled, valid, HOUR)
        t1 = time.thread_time()
        fit.update(rows, scaled, valid, sectors)
        t2 = time.thread_time()
        digest.update(np.ascontiguousarray(out).tobytes())
        if t >= warm:
            sharpen.append(t1 - t0)
            update.append(t2 - t1)
    state = (fit.xx_, fit.xy_, fit.n_, fit.abs_, fit.m_)
    for a in state:
        digest.update(np.ascontiguousarray(a).tobytes())
    both = np.add(sharpen, update)
    return {"sharpen_ms": 1e3 * float(np.median(sharpen)),
            "update_ms": 1e3 * float(np.median(update)),
            "tick_ms": 1e3 * float(np.median(both)), "mean_ms": 1e3 * float(both.mean()),
            "state_mb": sum(a.nbytes for a in state) / 2**20,
            "hash": digest.hexdigest()[:20]}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sectors", default="1000,10000,30000", help="fleet sizes, a,b,...")
    ap.add_argument("--family", type=int, default=5,
                    help="load KPIs (the regressors; a vendor export forms five)")
    ap.add_argument("--dependents", type=int, default=1, help="KPIs the load bends")
    ap.add_argument("--other", type=int, default=6, help="KPIs the load does not move")
    ap.add_argument("--warm", type=int, default=100, help="ticks before timing (hourly)")
    ap.add_argument("--ticks", type=int, default=20, help="ticks timed")
    ap.add_argument("--seed", type=int, default=3022)
    args = ap.parse_args()
    for n in (int(s) for s in args.sectors.split(",")):
        r = run(n, args.family, args.dependents, args.other, args.warm, args.ticks, args.seed)
        print(f"sectors {n:,}: tick {r['tick_ms']:.1f} ms (mean {r['mean_ms']:.1f}; sharpen "
              f"{r['sharpen_ms']:.1f} + update {r['update_ms']:.1f}), state "
              f"{r['state_mb']:.1f} MB, hash {r['hash']}", flush=True)


if __name__ == "__main__":
    main()
