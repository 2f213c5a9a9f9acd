"""The kernel warm-up's command line (the warm-up itself runs first in scripts/test_suite.sh)."""

from __future__ import annotations

from telecom_nb import warm


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
