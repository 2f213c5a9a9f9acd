"""A numba kernel compiled once whatever the memory layout of the arrays it is given.

numba compiles a kernel anew for each new combination of argument types, and an array's
layout (C-ordered, F-ordered or any strides: ``'A'``) is part of its type. The same state
table reaches a kernel slot-major (``'A'``, :mod:`~.layout`), C-ordered (just restored
from a checkpoint) or F-ordered (one sector of one series), and an optional input arrives
as a broadcast view (``'A'``) or a plain array (``'C'``): the one-series pass was compiled
three times (~20 s of CPU each on a cold start: a fresh clone's test suite, a first
``telecom-nb detect``), the robust-table update ten times. A kernel wrapped here is
compiled for its arrays typed ``'A'`` (the layout every array fits; the slot-major tables
were already compiled so) and numba's dispatcher then passes C or F arrays to that
compiled code as they are, as it passes a writable array where a read-only one is typed.
Only a new dtype, dimension count or read-only flag compiles another signature.
"""

from __future__ import annotations

import threading
from typing import Any

try:
    import numba
    from numba.core import errors, types
except ImportError:  # pragma: no cover - numba is a dependency; the numpy paths remain
    numba = None


#: the dispatcher's messages when no compiled signature takes the call (TypeError),
#: several take it equally well (TypingError), or it began compiling while another thread
#: had compiling enabled and the latter disabled it again (RuntimeError)
_UNMATCHED = ("No matching definition", "mbiguous", "compilation disabled")
#: one compile at a time: a large tick calls a kernel from several threads at once
#: (:mod:`~.row_split`), and one thread's re-disabling must not cut another's compile
_COMPILING = threading.Lock()


def _any(t: Any, min_ndim: int) -> Any:
    return t.copy(layout="A") if isinstance(t, types.Array) and t.ndim >= min_ndim else t


class AnyLayout:
    """``kernel`` (a numba dispatcher) called with its arrays of ``min_ndim`` or more
    dimensions typed any-layout (the tables and matrices whose layout varies). Vectors,
    and in the one-series pass its row matrices, keep their type: numba's ``np.diff`` and
    ``reshape`` need a contiguous one, and they arrive fresh, contiguous."""

    def __init__(self, kernel: Any, min_ndim: int = 2) -> None:
        self.kernel = kernel
        self.min_ndim = min_ndim
        self.__doc__ = kernel.__doc__

    def __call__(self, *args: Any) -> Any:
        kernel = self.kernel
        # ``overloads``, not ``signatures``: the latter lists them and hashes every
        # argument type (~25 us a call, ~9 calls a tick)
        if kernel.overloads:  # compiling disabled: a C or F array converts to an 'A' one
            try:
                return kernel(*args)
            except Exception as e:  # no compiled signature fits, or two fit equally
                if not any(m in str(e) for m in _UNMATCHED):
                    raise
        with _COMPILING:
            kernel.disable_compile(False)
            try:  # read from numba's cache when there (cache=True), else compiled, written
                try:
                    kernel.compile(tuple(_any(numba.typeof(a), self.min_ndim) for a in args))
                except errors.TypingError:  # code that needs a contiguous array: as given
                    kernel.compile(tuple(numba.typeof(a) for a in args))
            finally:
                kernel.disable_compile(bool(kernel.overloads))
        return kernel(*args)
