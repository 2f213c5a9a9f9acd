"""Compiled (numba) passes of the per-sector load fit's tick: each sector's sums read and
written in place, no stacked copies.

:class:`~telecom_nb.features.load_fit.LoadFit`'s numpy lines gather every sector's normal
equations (p x p, p = 11 with a family of five), add the outer products, scatter them back
and solve the stacked systems: at 30,000 sectors ~100 ms of thread CPU a tick, half of it
copies. Here one loop a sector:

* :func:`learn_rows` adds a tick's rows to the sums with the same float64 operations in the
  same order as the numpy lines (a decay, then a product, then a sum), so the state is
  identical bit for bit (``tests/test_load_fit.py`` compares); a batch's rows must not
  repeat (a tick's never do; the numpy lines take repeats);
* :func:`fitted_rows` solves each row's sector's ridge system by Cholesky (it is
  symmetric positive definite: sums of outer products plus the ridge) straight from the
  sums, and reads the row's dependents under it. Not LAPACK's LU to the last bit (within
  ~1e-13 of the scaled values: ``benchmarks/MEASURED.md``, solve57); a system that is not
  positive definite to the float is left to LAPACK.

Without numba the callers run their numpy lines.
"""

from __future__ import annotations

import numpy as np

from telecom_nb.features.robust_kernel import numba


def _learn(xx, xy, n, ab, m, rows, x, taught, ok, resid, read, keep, forget
           ):  # pragma: no cover - compiled
    p, d = x.shape[1], taught.shape[1]
    for i in range(len(rows)):
        r, k = rows[i], keep[i]
        for a in range(p):
            xa = x[i, a]
            for b in range(p):
                xx[r, a, b] = xx[r, a, b] * k + xa * x[i, b]
            for j in range(d):
                xy[r, a, j] = xy[r, a, j] * k + xa * taught[i, j]
        for j in range(d):
            n[r, j] = n[r, j] * k + (1.0 if ok[i, j] else 0.0)
            f = forget[i, j]
            ab[r, j] = ab[r, j] * f + (abs(resid[i, j]) if read[i, j] else 0.0)
            m[r, j] = m[r, j] * f + (1.0 if read[i, j] else 0.0)


def _solve(xx, xy, rows, x, ridge, fitted, failed):  # pragma: no cover - compiled
    p, d = x.shape[1], xy.shape[2]
    low = np.zeros((p, p))  # Cholesky: xx + diag(ridge) = low low'
    inv = np.empty(p)  # 1 / low's diagonal
    w = np.empty(p)
    beta = np.empty(p)
    for i in range(len(rows)):
        r = rows[i]
        for c in range(p):
            s = xx[r, c, c] + ridge[c]
            for k in range(c):
                s -= low[c, k] * low[c, k]
            if not s > 0.0:
                failed[i] = True
                break
            inv[c] = 1.0 / np.sqrt(s)
            for q in range(c + 1, p):
                t = xx[r, q, c]
                for k in range(c):
                    t -= low[q, k] * low[c, k]
                low[q, c] = t * inv[c]
        if failed[i]:
            continue
        for j in range(d):
            for c in range(p):  # low w = xy
                t = xy[r, c, j]
                for k in range(c):
                    t -= low[c, k] * w[k]
                w[c] = t * inv[c]
            for c in range(p - 1, -1, -1):  # low' beta = w
                t = w[c]
                for k in range(c + 1, p):
                    t -= low[k, c] * beta[k]
                beta[c] = t * inv[c]
            f = 0.0
            for c in range(p):
                f += x[i, c] * beta[c]
            fitted[i, j] = f


if numba is not None:
    _learn = numba.njit(cache=True, nogil=True)(_learn)
    _solve = numba.njit(cache=True, nogil=True)(_solve)
else:  # pragma: no cover - numba is a dependency
    _learn = _solve = None


def fitted_rows(fit, rows: np.ndarray, x: np.ndarray, ridge: np.ndarray
                ) -> tuple[np.ndarray, np.ndarray] | None:
    """(each row's dependents under its sector's ridge fit, which rows' systems were not
    positive definite to the float: left 0 for the caller); None without numba."""
    if _solve is None or not (fit.xx_.flags.c_contiguous and fit.xy_.flags.c_contiguous):
        return None
    fitted = np.zeros((len(rows), fit.xy_.shape[2]))
    failed = np.zeros(len(rows), dtype=bool)
    _solve(fit.xx_, fit.xy_, np.ascontiguousarray(rows, dtype=np.int64),
           np.ascontiguousarray(x), ridge, fitted, failed)
    return fitted, failed


def learn_rows(fit, rows: np.ndarray, x: np.ndarray, taught: np.ndarray, ok: np.ndarray,
               resid: np.ndarray, read: np.ndarray, keep: np.ndarray | None,
               forget: np.ndarray | None) -> bool:
    """Add the batch's unique ``rows`` to ``fit``'s sums in place (``keep``: each row's
    decay of the normal equations and counts, ``forget``: of the residual sums; None: 1);
    False (nothing done) without numba or for arrays it does not take."""
    state = (fit.xx_, fit.xy_, fit.n_, fit.abs_, fit.m_)
    if _learn is None or not all(a.flags.c_contiguous and a.dtype == np.float64
                                 for a in state):
        return False
    one = np.ones(len(rows))
    _learn(*state, np.ascontiguousarray(rows, dtype=np.int64), np.ascontiguousarray(x),
           np.ascontiguousarray(taught), np.ascontiguousarray(ok), np.ascontiguousarray(resid),
           np.ascontiguousarray(read), one if keep is None else np.ascontiguousarray(keep),
           np.ones_like(resid) if forget is None else np.ascontiguousarray(forget))
    return True


def compile_passes() -> None:
    """Compile both passes (``python -m telecom_nb.warm``): no warm-up fleet forms a load
    family, so an operator export's first tick with one compiled them."""
    from telecom_nb.features.load_fit import LoadFit

    fit = LoadFit(np.array([True, False]), np.array([False, True]))
    fit.update(np.arange(2), np.ones((2, 2)), np.ones((2, 2), dtype=bool), 2)
