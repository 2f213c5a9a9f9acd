"""The kernel warm-up's command line (the warm-up itself runs first in scripts/test_suite.sh)."""

from __future__ import annotations

import pytest
from child_python import child_stdout

from telecom_nb import warm

#: a fleet past ``group_median.FLEET_SAMPLE`` / ``FEW_ROWS`` (2,000: strided ratio samples,
#: the province medians' one pass, the forest's large-batch walk) and past a day of
#: 15-minute ticks (the first day's retrain): layouts the warm-up's 64 sectors never give
LARGE_SECTORS, LARGE_TICKS = 2100, 100


def test_an_unknown_part_is_a_usage_error_that_names_the_parts(capsys):
    assert warm.main(["everything"]) == 2
    assert "fleet|series|all" in capsys.readouterr().err
    assert warm.main(["fleet", "series"]) == 2


def test_each_part_names_what_it_runs():
    assert warm.PARTS["all"] == (*warm.PARTS["fleet"], *warm.PARTS["series"])


def test_the_export_warm_up_reaches_the_layouts_only_an_export_gives(monkeypatch):
    """A user's first ``detect`` of an export compiled four kernels the simulated warm-up
    never called in these layouts (~7 s of CPU): each must be called by ``warm_export``."""
    from telecom_nb.detectors import declustered
    from telecom_nb.features import column_quantiles, fraction_kernel, robust_kernel

    seen: set[str] = set()
    spy = _spies(monkeypatch, seen)
    spy(robust_kernel, "_kernel", lambda *a: True)  # rows out of cell order
    spy(fraction_kernel, "_kernel", lambda *a: True)  # a ratio of counts
    spy(column_quantiles, "_abs_transposed", lambda x, *a: x.flags.f_contiguous
        and not x.flags.c_contiguous)
    spy(declustered, "_declustered", lambda *a: a[2].flags.f_contiguous
        and not a[2].flags.c_contiguous)
    warm.warm_export()
    assert seen == {"robust_kernel._kernel", "fraction_kernel._kernel",
                    "column_quantiles._abs_transposed", "declustered._declustered"}


def test_the_series_warm_up_reaches_a_full_windows_kernels(monkeypatch):
    """A 100k one-series replay after ``python -m telecom_nb.warm`` compiled the level-shift
    nulls' row pass on a full window (a writable copy; the warm-up's young windows are
    read-only views): ``warm_series`` calls it so, and the body fits' selection."""
    from telecom_nb.detectors import shift_part
    from telecom_nb.features import order_select

    seen: set[str] = set()
    spy = _spies(monkeypatch, seen)
    spy(shift_part, "_rows_with", lambda ref, previous, *a: ref.flags.writeable
        and previous.flags.writeable)
    spy(order_select, "_select_rows", lambda *a: True)
    warm.warm_series()
    assert seen == {"shift_part._rows_with", "order_select._select_rows"}


@pytest.mark.slow
def test_a_large_fleet_replay_reaches_no_kernel_signature_the_warm_did_not():
    """A 5,000-sector replay after ``python -m telecom_nb.warm`` compiled the ratio
    detection's decimals kernel on its strided sample (0.2-0.3 s of a user's first large
    replay; the sixtieth session's row60, found by ``benchmarks/replay_compiles.py``).

    In a fresh process the warm-up's fleet part runs (it loads its kernels from a warmed
    cache, compiles them on a cold one), then a 2,100-sector replay of a day must add no
    signature to any compiled kernel: not compiled, nor loaded from a cache that other
    tests' odd layouts filled (which is why signatures, not numba's compile events). The
    warm-up's export replay is left out: a simulated fleet needs none of its layouts, so
    the check is stricter and ~2.5 s cheaper (the child ~5.5 s CPU on a warmed cache)."""
    code = f"""
import gc
from numba.core.registry import CPUDispatcher
from telecom_nb import schema, warm
from telecom_nb.detectors import make_detector
from telecom_nb.engine.replay import replay
from telecom_nb.sources.simulator import KpiSimulator

def signatures():
    return {{f"{{d.py_func.__module__}}.{{d.py_func.__qualname__}} {{s}}"
            for d in gc.get_objects() if isinstance(d, CPUDispatcher)
            and d.py_func.__module__.startswith("telecom_nb") for s in d.signatures}}

warm.warm_export = lambda: None
warm.warm_fleet()
before = signatures()
table = KpiSimulator(n_sectors={LARGE_SECTORS}, seed=3165).run({LARGE_TICKS})
replay(table, make_detector("iforest"), list(schema.KPIS))
print("\\n".join(sorted(signatures() - before)))
"""
    assert child_stdout(code, timeout=280) == ""


def _spies(monkeypatch, seen: set[str]):
    """A spy maker: ``spy(module, name, check)`` replaces a kernel by a call that records
    ``module.name`` in ``seen`` when ``check(*args)`` holds, then runs the kernel."""

    def spy(module, name, check):
        kernel = getattr(module, name)

        def call(*args):
            if check(*args):
                seen.add(f"{module.__name__.rsplit('.', 1)[-1]}.{name}")
            return kernel(*args)

        monkeypatch.setattr(module, name, call)

    return spy
