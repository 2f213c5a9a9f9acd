"""Commands on a store: a backtest that resumes where it stopped, and episode exports."""

from __future__ import annotations

import argparse
import asyncio
import sys
import time
from pathlib import Path
from typing import Any

import pandas as pd

from telecom_nb import schema
from telecom_nb.batching import progress
from telecom_nb.cli.io import output_path, write_table
from telecom_nb.errors import KpiInputError
from telecom_nb.features.day_type import day_summaries

#: ticks stepped between two progress updates
CHUNK = 50


def detect_with_store(args: argparse.Namespace, loaded: Any, detector: Any,
                      alarm_params: dict[str, Any] | None = None) -> int:
    """``detect --store``: the table as a stream through a monitor on the store.

    Every tick is committed; the detector is checkpointed every ``--checkpoint-every``
    ticks and at the end (or on Ctrl-C). A second run on the same store resumes: the
    ticks already committed are skipped (those after the last checkpoint are replayed
    to rebuild the state, not written again).
    """
    from telecom_nb.engine.monitor import Monitor
    from telecom_nb.engine.store import StoreError
    from telecom_nb.sources.replay import ReplaySource
    from telecom_nb.sources.tables import ColumnMapping

    source = ReplaySource(loaded.frame, ColumnMapping(kpis=list(loaded.kpis)))
    try:
        monitor = Monitor(source, detector, interval=0, store=args.store,
                          checkpoint_every=max(1, args.checkpoint_every), **(alarm_params or {}))
    except StoreError as exc:
        raise KpiInputError(f"--store {args.store}: {exc}") from exc
    done = source.position
    if not args.quiet:
        print(f"note: {monitor.last_message}", file=sys.stderr)
    started = time.perf_counter()
    frames: list[pd.DataFrame] = []
    bar = progress(range(source.n_batches - done), desc="detect", enabled=not args.quiet,
                   unit="tick")

    async def run() -> None:
        while True:
            before = source.position
            scored = await monitor.step(CHUNK)
            frames.extend(s.frame for s in scored)
            if hasattr(bar, "update"):
                bar.update(source.position - before)
            if source.position >= source.n_batches or monitor.status == "finished":
                return

    try:
        asyncio.run(run())
    finally:
        if monitor.persister.last_checkpoint_tick != monitor.tick:
            monitor.checkpoint()  # also on Ctrl-C: the next run continues from here
        if hasattr(bar, "close"):
            bar.close()
    scored = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(
        columns=[*loaded.frame.columns, *schema.SCORED_COLUMNS])
    out = write_table(scored, args.out)
    if not args.quiet:
        skipped = f"; {done} tick(s) already in {args.store} skipped" if done else ""
        print(f"scored {len(scored):,} rows with {args.detector!r} in "
              f"{time.perf_counter() - started:.1f} s{skipped}; "
              f"{int(scored[schema.IS_ANOMALY].sum()):,} flagged; wrote {out}", file=sys.stderr)
        for line in day_summaries(monitor.detector):  # incl. resumed ones
            print(line, file=sys.stderr)
    return 0


def export_episodes(args: argparse.Namespace) -> int:
    """``episodes STORE --out FILE``: the store's episodes with acknowledgement columns."""
    from telecom_nb.engine.store import Store, StoreError

    output_path(args.out)
    path = Path(args.store)
    if not path.is_file():
        raise FileNotFoundError(f"store {path} not found")
    try:
        store = Store.open(path)
    except StoreError as exc:
        raise KpiInputError(str(exc)) from exc
    try:
        episodes = store.episodes(open_only=args.open_only)
    finally:
        store.close()
    out = write_table(episodes, args.out)
    if not args.quiet:
        n_open = int(episodes["is_open"].sum())
        print(f"wrote {len(episodes):,} episodes ({n_open} open) to {out}", file=sys.stderr)
    return 0
