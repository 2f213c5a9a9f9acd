"""The ``telecom-nb`` command line: simulate, detect, evaluate, nab, bench.

Every sub-command is a thin shell over the library, so what the CLI measures is what the
notebook runs. Errors a user can act on (bad file, column, parameter) print one line and
exit with status 2; nothing prints a traceback from deep inside pandas.

Layout, imports pointing one way only (``__init__ -> parser``; ``__init__ -> commands ->
io`` when a command runs):

- :mod:`~telecom_nb.cli.parser`: the argparse tree, standard library only, so ``--help``
  is instant;
- :mod:`~telecom_nb.cli.commands`: one ``run_<command>(args)`` per sub-command;
- :mod:`~telecom_nb.cli.io`: reading and writing tables, JSON on stdout, ``--out`` checks.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence

from telecom_nb.cli.parser import build_parser

__all__ = ["build_parser", "main"]


def main(argv: Sequence[str] | None = None) -> int:
    """Run one sub-command; 2 for an error the user can fix, 130 for Ctrl-C."""
    args = build_parser().parse_args(argv)
    # Imported after parsing: `--help` and usage errors never load the engine.
    from telecom_nb.cli import commands
    from telecom_nb.errors import KpiInputError, ParameterError

    handler = getattr(commands, f"run_{args.command}")
    try:
        return int(handler(args) or 0)
    except (KpiInputError, ParameterError, FileNotFoundError, IsADirectoryError) as exc:
        print(f"telecom-nb {args.command}: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
