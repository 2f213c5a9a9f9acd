"""An error a user can act on shows in a notebook cell as its one line (walknb42)."""

from __future__ import annotations

import pytest

from telecom_nb.errors import KpiInputError, ParameterError


@pytest.mark.parametrize("error", [
    KpiInputError("export.csv: column 'E-RAB Drop Rate [%]' not found"),
    ParameterError("contamination must be in (0, 0.5]; got 0.9"),
])
def test_a_cell_shows_the_error_as_one_line(error, capsys):
    from IPython.core.interactiveshell import InteractiveShell

    shell = InteractiveShell.instance()
    try:
        shell.user_ns["error"] = error
        shell.run_cell("raise error")
    finally:
        InteractiveShell.clear_instance()
    shown = [line for line in capsys.readouterr().out.splitlines() if line.strip()]
    assert shown == [f"{type(error).__name__}: {error}"]
    with pytest.raises(type(error)):  # still the same exception to code that catches it
        raise error
