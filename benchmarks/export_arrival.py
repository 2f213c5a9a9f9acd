"""End to end: an export as it arrives scores the same as the clean file of the same seed.

Not a test. For each seed, ``scripts/make_vendor_export.py`` writes the same world twice: once
as one clean UTF-8 ``export.csv``, once as an OSS report tool delivers it (one file per
local day or hour, a legacy or UTF-16 encoding, title lines above each header, a footer).
``telecom-nb detect --check`` must load every data row of the delivered one (footer lines
counted apart), and ``telecom-nb detect`` must write the same scored frame for both:

    python benchmarks/export_arrival.py --seeds 1840-1849 --work /tmp/arrival [--sites 30]

Exits 1 if any seed differs. Cell names carry non-ASCII letters (``--prefix Zür``), so a
garbled decode would show as other sector ids.
"""

from __future__ import annotations

import argparse
import re
import subprocess
import sys
from pathlib import Path

import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
#: per seed (cycled): files per, encoding, time style
LAYOUTS = (("day", "cp1252", "iso"), ("hour", "utf-16", "compact"),
           ("day", "utf-8-sig", "dotted"), ("hour", "cp1252", "iso"),
           ("day", "utf-16", "iso"))


def run(*args: str) -> str:
    done = subprocess.run([sys.executable, *args], cwd=ROOT, capture_output=True, text=True,
                          check=False)
    if done.returncode:
        raise SystemExit(f"{' '.join(args)} failed ({done.returncode}): {done.stderr[-2000:]}")
    return done.stdout


def seeds(text: str) -> list[int]:
    lo, _, hi = text.partition("-")
    return list(range(int(lo), int(hi or lo) + 1))


def one(seed: int, work: Path, sites: int, weeks: float) -> bool:
    per, encoding, style = LAYOUTS[seed % len(LAYOUTS)]
    common = ["scripts/make_vendor_export.py", "--sites", str(sites), "--weeks", str(weeks),
              "--seed", str(seed), "--prefix", "Zür", "--time-style", style]
    clean, messy = work / f"{seed}" / "clean", work / f"{seed}" / "delivered"
    run(*common, "--out", str(clean))
    run(*common, "--out", str(messy), "--files-per", per, "--encoding", encoding,
        "--preamble", "--footer")
    report = run("-m", "telecom_nb", "detect", "--source", str(messy / "source.toml"),
                 "--check")
    rows = re.search(r"rows: ([\d,]+) read = ([\d,]+) loaded \+ ([\d,]+) dropped(.*)", report)
    enc = next((line.split(": ", 1)[1] for line in report.splitlines()
                if "UTF-16" in line or "not UTF-8" in line), "UTF-8")
    scored = {}
    for name, folder in (("clean", clean), ("delivered", messy)):
        out = work / f"{seed}" / f"{name}.parquet"
        run("-m", "telecom_nb", "detect", "--source", str(folder / "source.toml"), "--out",
            str(out), "-q")
        scored[name] = pd.read_parquet(out)
    a, b = scored["clean"], scored["delivered"]
    same = a.shape == b.shape and a.equals(b)
    print(f"seed {seed}: {per} files, {encoding}, {style}: {rows.group(0) if rows else '?'}; "
          f"clean {len(a):,} rows, {int(a['is_anomaly'].sum()):,} flagged; delivered "
          f"{len(b):,}, {int(b['is_anomaly'].sum()):,} flagged; frames equal: {same}; "
          f"encoding said: {enc.split(' (')[0]}", flush=True)
    return same


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--seeds", default="1840-1849")
    ap.add_argument("--work", type=Path, required=True, help="folder for the generated data")
    ap.add_argument("--sites", type=int, default=30)
    ap.add_argument("--weeks", type=float, default=2.0)
    args = ap.parse_args(argv)
    results = [one(s, args.work, args.sites, args.weeks) for s in seeds(args.seeds)]
    print(f"{sum(results)} of {len(results)} seeds: the delivered export scores the same")
    return 0 if all(results) else 1


if __name__ == "__main__":
    raise SystemExit(main())
