"""The kernel warm-up's command line (the warm-up itself runs first in scripts/test_suite.sh)."""

from __future__ import annotations

from telecom_nb import warm


def test_an_unknown_part_is_a_usage_error_that_names_the_parts(capsys):
    assert warm.main(["everything"]) == 2
    assert "fleet|series|all" in capsys.readouterr().err
    assert warm.main(["fleet", "series"]) == 2


def test_each_part_names_what_it_runs():
    assert warm.PARTS["all"] == (*warm.PARTS["fleet"], *warm.PARTS["series"])
