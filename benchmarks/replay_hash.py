"""A replay's scored output hashed column by column, to show a speed change moves nothing.

The table is replayed as ``telecom-nb detect`` replays it (``engine.replay.replay``, the
iforest detector), and every output column's values are hashed (text as str). Run two trees
on the same table and compare the lines:

    python -c "from telecom_nb.bench import make_replay_table as m; \\
        m(200000, one_series=False, seed=7).to_parquet('/tmp/f200k.parquet', index=False)"
    for tree in ../main .; do
        PYTHONPATH=$tree python benchmarks/replay_hash.py /tmp/f200k.parquet
    done

An operator export's folder (its ``source.toml``, e.g. ``scripts/make_vendor_export.py``'s)
is replayed as ``benchmarks/operator_quality.py`` replays it (the source's calendar): its
fleet has a load group, which the generated tables and the simulator never form, so this is
the scored table that shows a change to :mod:`~telecom_nb.features.load_fit` moves nothing.
"""

from __future__ import annotations

import argparse
import hashlib
from pathlib import Path

import numpy as np

from telecom_nb.detectors import make_detector
from telecom_nb.engine.monitor_setup import use_source_calendar
from telecom_nb.engine.replay import replay
from telecom_nb.sources import load_source
from telecom_nb.sources.tables import load_table


def column_hashes(path: str, detector: str = "iforest") -> dict[str, str]:
    """``{column: hash}`` of the replay's output frame, and ``"TOTAL"`` over them all
    (``path``: a table, or an export's folder or ``source.toml``)."""
    source = Path(path) / "source.toml" if Path(path).is_dir() else Path(path)
    det = make_detector(detector)
    if source.suffix == ".toml":
        loaded = load_source(source)
        use_source_calendar(det, loaded.spec)
    else:
        loaded = load_table(path)
    frame = replay(loaded.frame, det, loaded.kpis).frame
    total, out = hashlib.sha256(), {}
    for name in frame.columns:
        a = frame[name].to_numpy()
        data = (a.astype(str).tobytes() if a.dtype == object or a.dtype.kind in "OUT"
                else np.ascontiguousarray(a).tobytes())
        out[name] = hashlib.sha256(str(name).encode() + data).hexdigest()[:16]
        total.update(out[name].encode())
    out["TOTAL"] = f"{total.hexdigest()[:20]} ({len(frame):,} rows)"
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("table", help="a Parquet or CSV KPI table, or an export's folder "
                        "(its source.toml)")
    parser.add_argument("--detector", default="iforest")
    args = parser.parse_args()
    for name, digest in column_hashes(args.table, args.detector).items():
        print(f"{name} {digest}")


if __name__ == "__main__":
    main()
