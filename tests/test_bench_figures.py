"""The bench's target figures: ours and the seed's tick in turns, the ratio taken per pair."""

from __future__ import annotations

from telecom_nb.bench import _Clocks, _tick_figures, bench_engine
from telecom_nb.bench_report import bench_targets, format_bench_row


def _clocks(wall: list[float], cpu: list[float] | None = None) -> _Clocks:
    clocks = _Clocks()
    clocks.wall = list(wall)
    clocks.cpu = list(cpu if cpu is not None else wall)
    return clocks


def test_the_ratio_is_the_median_over_pairs_so_a_slow_minute_moves_it_little():
    # The machine slowed 3x for the second half: each pair slowed together.
    ours = _clocks([0.1, 0.1, 0.1, 0.3, 0.3, 0.3])
    seed = _clocks([0.26, 0.25, 0.27, 0.75, 0.78, 0.76])
    figures = _tick_figures(ours, seed)
    assert 2.5 <= figures["speedup_vs_seed"] <= 2.6
    # The ratio of the two medians would read the halves' mixture, not 2.5x.
    ratio_of_medians = figures["seed_tick_ms"] / figures["tick_ms"]
    assert ratio_of_medians != figures["speedup_vs_seed"]
    lo, hi = figures["speedup_iqr"]
    assert lo <= figures["speedup_vs_seed"] <= hi


def test_cpu_figures_are_read_from_the_cpu_clock():
    ours = _clocks([0.2, 0.2, 0.2], cpu=[0.1, 0.1, 0.1])
    seed = _clocks([0.5, 0.5, 0.5], cpu=[0.4, 0.4, 0.4])
    figures = _tick_figures(ours, seed)
    assert figures["tick_cpu_ms"] == 100.0 and figures["seed_tick_cpu_ms"] == 400.0
    assert figures["speedup_cpu"] == 4.0 and figures["speedup_vs_seed"] == 2.5


def _row(sectors: int, tick: float, speedup: float, aged: float, load: float = 0.5) -> dict:
    ours = _clocks([tick / 1000] * 3)
    seed = _clocks([tick * speedup / 1000] * 3)
    return {"sectors": sectors, "simulate_ms": 1.0, "score_ms": 1.0, **_tick_figures(ours, seed),
            "tick_alone_ms": tick, "tick_alone_cpu_ms": tick, "ticks_timed": 3, "load": load,
            "rss_mb": 500.0, "peak_rss_mb": 600.0, "aged_rss_mb": aged}


def test_targets_say_met_or_not_for_the_sizes_issue_12_names():
    lines = bench_targets([_row(500, 12.0, 1.2, 500), _row(100_000, 390.0, 2.4, 1499)])
    assert "tick = median wall ms" in lines[0]  # which figure the target reads
    small = next(line for line in lines if "at 500 sectors" in line)
    big = next(line for line in lines if "at 100,000 sectors" in line)
    assert "tick 12.0 <= 10 ms: NOT met" in small and "x >=" not in small
    assert "tick 390.0 <= 400 ms: met" in big
    assert "2.40x >= 2.5x: NOT met" in big and "aged RSS 1,499 <= 1,500 MB: met" in big
    assert len(bench_targets([_row(10_000, 50.0, 3.0, 900)])) == 1  # no target at 10k


def test_a_busy_machine_is_said_beside_the_figures():
    quiet = bench_targets([_row(500, 8.0, 1.5, 550, load=0.4)])
    busy = bench_targets([_row(500, 8.0, 1.5, 550, load=64.0)])
    assert not any("machine load" in line for line in quiet)
    assert "machine load up to 64.0" in busy[-1]


def test_a_row_prints_wall_cpu_and_spread():
    line = format_bench_row(_row(500, 8.0, 1.5, 550))
    assert "tick     8.0 ms" in line and "CPU" in line and "1.50x" in line


def test_the_bench_times_as_many_ticks_of_each_in_turns():
    row = bench_engine(40, 3, quiet=True)
    assert row["ticks_timed"] == 3
    assert row["tick_ms"] > 0 and row["seed_tick_ms"] > 0 and row["tick_cpu_ms"] > 0
    assert row["tick_ms_iqr"][0] <= row["tick_ms"] <= row["tick_ms_iqr"][1]
    assert row["aged_rss_mb"] >= row["rss_mb"] * 0.9
