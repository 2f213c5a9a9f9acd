"""CPU of one live Voilà page of the dashboard: Chromium's processes and the kernel's.

Serves ``notebooks/live_monitor.ipynb`` with Voilà (the browser tests' own server helpers),
opens it in headless Chromium, and after the first tick sums the user+system CPU of every
Chromium process and of the server's children (the kernel: engine and dashboard) over
``--seconds``; per tick from the status line's tick counter. ``--trace`` also records a
Chromium trace over the same span and prints the busiest trace events' self time per tick
(script, layout, paint, raster, compositor), to tell which part of a redraw costs.

    PYTHONPATH=. python benchmarks/page_cpu.py [--seconds 60] [--sectors 400] [--interval 0.3]
"""

from __future__ import annotations

import argparse
import collections
import json
import sys
import tempfile
import time
from pathlib import Path

import psutil

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tests" / "browser"))
from conftest import free_port, jupyter_env, start_server, stop_server, voila_command  # noqa: E402

TRACE_CATEGORIES = ["devtools.timeline", "disabled-by-default-devtools.timeline", "cc", "blink",
                    "v8", "toplevel"]


def cpu_s(procs: list[psutil.Process]) -> float:
    total = 0.0
    for proc in procs:
        try:
            t = proc.cpu_times()
            total += t.user + t.system
        except psutil.NoSuchProcess:
            pass
    return total


def self_times(trace: Path) -> collections.Counter:
    """(thread, event name) -> self time in µs of the trace's complete events."""
    events = json.loads(trace.read_text())
    events = events["traceEvents"] if isinstance(events, dict) else events
    names = {(e["pid"], e["tid"]): e["args"]["name"] for e in events
             if e.get("ph") == "M" and e.get("name") == "thread_name"}
    threads: dict[tuple, list[dict]] = collections.defaultdict(list)
    for e in events:
        if e.get("ph") == "X" and "dur" in e:
            threads[(e["pid"], e["tid"])].append(e)
    out: collections.Counter = collections.Counter()
    for key, spans in threads.items():
        spans.sort(key=lambda e: (e["ts"], -e["dur"]))
        stack: list[list] = []  # [event, self time]
        for e in spans:
            while stack and stack[-1][0]["ts"] + stack[-1][0]["dur"] <= e["ts"]:
                stack.pop()
            if stack:
                stack[-1][1] -= e["dur"]
            stack.append([e, e["dur"]])
            e["_self"] = stack[-1]
        for e in spans:
            out[(names.get(key, str(key[1])), e["name"])] += e["_self"][1]
    return out


def main() -> None:
    from playwright.sync_api import sync_playwright

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--sectors", default="400")
    parser.add_argument("--interval", default="0.3", help="wall seconds per tick")
    parser.add_argument("--trace", action="store_true", help="busiest trace events per tick")
    args = parser.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="page_cpu"))
    env = jupyter_env(tmp / "home", TELECOM_NB_TICKS="1000000",
                      TELECOM_NB_INTERVAL=args.interval, TELECOM_NB_SECTORS=args.sectors)
    port = free_port()
    server = start_server(voila_command(REPO / "notebooks" / "live_monitor.ipynb", port),
                          port=port, env=env, cwd=REPO / "notebooks", log=tmp / "voila.log")
    try:
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path="/usr/bin/chromium", headless=True)
            page = browser.new_page(viewport={"width": 1400, "height": 1000})
            page.route("**/*", lambda r: r.continue_() if "127.0.0.1" in r.request.url
                       else r.abort())  # offline: no tiles, no CDN
            page.goto(server.base_url, timeout=120_000)
            page.wait_for_selector(".tnb-status-tick", timeout=120_000)

            def tick() -> int:
                return int(page.locator(".tnb-status-tick").first.text_content() or 0)

            def chromium() -> list[psutil.Process]:
                return [p for p in psutil.Process().children(recursive=True)
                        if "chrom" in p.name().lower()]

            kernel = psutil.Process(server.process.pid).children(recursive=True)
            if args.trace:
                browser.start_tracing(page=page, path=str(tmp / "trace.json"),
                                      categories=TRACE_CATEGORIES)
            c0, k0, t0, w0 = cpu_s(chromium()), cpu_s(kernel), tick(), time.monotonic()
            time.sleep(args.seconds)
            c1, k1, t1 = cpu_s(chromium()), cpu_s(kernel), tick()
            wall = time.monotonic() - w0
            if args.trace:
                browser.stop_tracing()
            browser.close()
        n = max(t1 - t0, 1)
        print(f"{args.sectors} sectors, {args.interval} s/tick: {n} ticks drawn in {wall:.0f} s; "
              f"Chromium {c1 - c0:.1f} s CPU ({(c1 - c0) / n * 1e3:.0f} ms/tick), kernel "
              f"{k1 - k0:.1f} s CPU ({(k1 - k0) / n * 1e3:.0f} ms/tick)")
        if args.trace:
            for (thread, name), us in self_times(tmp / "trace.json").most_common(20):
                print(f"  {us / n / 1e3:6.2f} ms/tick  {thread:28s} {name}")
    finally:
        stop_server(server)


if __name__ == "__main__":
    main()
