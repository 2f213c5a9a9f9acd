"""Compact cells for the largest per-sector tables: float16 levels, small integer counts.

At 100k sectors the weekday table (sector x 168 week slots x series) is most of the live
state: float32 level + float32 count held 940 MB. Here a level is a float16 (2 bytes;
half a per-mille of relative precision, far below the spreads it is compared with) and a
count one byte (:data:`COUNT_UNITS` per visit, saturating at :func:`count_cap`).

numba has no float16, so compiled code sees the table as its uint16 bit patterns and
converts with :func:`f16_decode` / :func:`f16_encode`, which round exactly as numpy's
``float64 -> float16`` cast does (nearest, ties to even, overflow to inf): the numpy
and compiled paths store the same bits (``tests/test_compact.py`` checks every pattern).
The typical-day slot table counts samples in uint16 tenths (:data:`TENTHS`).
"""

from __future__ import annotations

import math

import numpy as np

try:
    import numba
except ImportError:  # pragma: no cover - numba is a dependency; numpy is the fallback
    numba = None

#: a count's resolution: 1/36 visit is a whole number of units for one sample at 5, 10,
#: 15, 20, 30 and 60 minutes on an hourly slot grid (a gated sample's tenth rounds, at
#: least one unit)
COUNT_UNITS = 36
_MAX_UNITS = 255
#: a robust table's sample count (whole samples and gated tenths) as uint16 tenths: exact
#: where float sums of 0.1 are not, saturating at 6553.5 samples (a slot's weights no
#: longer move there: n / (n + 3) is within 5e-4 of 1)
TENTHS = 10
TENTHS_MAX = 65535.0
#: float16 values at or beyond this round to inf (halfway between 65504 and 65536)
_F16_OVERFLOW = 65520.0
#: storage of the per-sector x KPI running state (levels, spreads, run lengths, counts):
#: float32 holds 7 significant digits, far below the spreads it is compared with, and
#: whole counts exactly to 2**24; every reader widens (:func:`wide`) and computes in
#: float64, a store rounds once (numpy and compiled paths alike)
STATE_FLOAT = np.float32


def count_cap(alpha: float) -> int:
    """Largest count (units) worth keeping: an EW mean of weight ``alpha`` per visit is as
    precise as ``(2 - alpha) / alpha`` visits' plain mean (7 at 0.25) however long it ran,
    so a shrinkage weight read from a larger count would overstate what it knows."""
    return int(min(_MAX_UNITS, round(COUNT_UNITS * (2.0 - alpha) / alpha)))


def count_step(visit: float, weight: float) -> int:
    """Units one learned sample adds (``visit`` of a slot, ``weight`` 1 or gated)."""
    return max(1, int(np.rint(visit * weight * COUNT_UNITS)))


#: ``2.0 ** (e - 25)`` for each float16 exponent field ``e``: a normal half's scale
#: (read only; a compiled kernel holds it as a constant)
_F16_SCALE = np.array([2.0 ** (e - 25) for e in range(32)])
_F16_SCALE.flags.writeable = False


#: float64 bit fields and float16 thresholds for :func:`f16_encode` (uint64: numba keeps
#: the arithmetic unsigned, no float promotion)
_U = np.uint64
_F64_EXP = _U(0x7FF0000000000000)
_F64_SIG = _U(0x000FFFFFFFFFFFFF)
_F64_HIDDEN = _U(0x0010000000000000)
_F16_INF_EXP = _U(0x40F0000000000000)  # 2**16
_F16_SUB_EXP = _U(0x3F00000000000000)  # 2**-15: at or below, a subnormal half
_F16_ZERO_EXP = _U(0x3E60000000000000)  # 2**-25
_F16_SUB_REST = _U(0x003FFFFFFFFFFFFF)
_F16_REST = _U(0x000007FFFFFFFFFF)  # the bits below a half's last one
_F16_HALF = _U(0x0000020000000000)  # ... and half of that last one


def f64_bits(x):
    """A float64's bits as an unsigned integer (compiled: one register move)."""
    return int(np.float64(x).view(np.uint64))


if numba is not None:
    from numba.core import types
    from numba.extending import intrinsic

    @intrinsic
    def f64_bits(typingctx, x):  # the compiled twin of the one above
        if isinstance(x, types.Float) and x.bitwidth == 64:
            def codegen(context, builder, signature, args):
                return builder.bitcast(args[0], context.get_value_type(types.uint64))
            return types.uint64(x), codegen
        return None


def f16_decode(bits):  # pragma: no cover - compiled
    """float64 value of float16 bit pattern ``bits`` (exact).

    The significand times a power of two, as a product: exact (a shift of the exponent,
    within float64's normal range) and the same bits as ``math.ldexp``, whose libm call
    was ~4x the decode's cost (a live 100k tick's run-part transform 6.1 -> 2.3 ms)."""
    b = int(bits)
    exp = (b >> 10) & 0x1F
    frac = b & 0x3FF
    if exp == 0:
        v = float(frac) * _F16_SCALE[1]  # 2**-24: a subnormal half
    elif exp == 31:
        v = np.inf if frac == 0 else np.nan
    else:
        v = float(frac + 1024) * _F16_SCALE[exp]
    return -v if b & 0x8000 else v


def f16_encode(x):  # pragma: no cover - compiled
    """float16 bit pattern of float64 ``x`` as numpy's cast rounds it (a NaN: the quiet one).

    numpy's own bit recipe (``npy_doublebits_to_halfbits``) on the float's bits: integer
    masks, a shift and one add for the rounding (nearest, ties to even; a carry moves into
    the exponent, 65520 and up to inf) instead of ``frexp``, two ``ldexp`` and ``rint``
    (libm calls: ~8.4 -> 0.7 ns a value, the same bits on 4.6M values)."""
    if x != x:
        return np.uint16(0xFE00 if math.copysign(1.0, x) < 0 else 0x7E00)
    d = f64_bits(x)
    sign = (d >> _U(48)) & _U(0x8000)
    e = d & _F64_EXP
    if e >= _F16_INF_EXP:  # |x| >= 65536
        return np.uint16(sign | _U(0x7C00))
    if e <= _F16_SUB_EXP:  # below the smallest normal half: multiples of 2**-24
        if e < _F16_ZERO_EXP:  # below 2**-25: a signed zero
            return np.uint16(sign)
        sig = (_F64_HIDDEN + (d & _F64_SIG)) << ((e >> _U(52)) - _U(998))
        if (sig & _F16_SUB_REST) != _F64_HIDDEN:  # not a tie on an even pattern
            sig += _F64_HIDDEN
        return np.uint16(sign + (sig >> _U(53)))
    sig = d & _F64_SIG
    if (sig & _F16_REST) != _F16_HALF:  # not a tie on an even pattern
        sig += _F16_HALF
    return np.uint16(sign + ((e - _F16_SUB_EXP) >> _U(42)) + (sig >> _U(42)))


def tenths_read(units, per):  # pragma: no cover - compiled
    """A stored count as float64: ``units / per`` (``per`` 0: the count is stored as is)."""
    return units / per if per > 0 else units


def tenths_store(count, per):  # pragma: no cover - compiled
    """What :func:`tenths_read` reads back as ``count`` (saturating at 65535 units)."""
    return min(np.rint(count * per), TENTHS_MAX) if per > 0 else count


if numba is not None:
    f16_decode = numba.njit(cache=True)(f16_decode)
    f16_encode = numba.njit(cache=True)(f16_encode)
    tenths_read = numba.njit(cache=True)(tenths_read)
    tenths_store = numba.njit(cache=True)(tenths_store)


def bits(table: np.ndarray) -> np.ndarray:
    """A float16 table as the uint16 view compiled code reads and writes."""
    return table.view(np.uint16)


def count_units(count: np.ndarray) -> int:
    """Units per sample of a robust table's count array (0: stored as float)."""
    return TENTHS if count.dtype.kind == "u" else 0


def read_counts(count: np.ndarray) -> np.ndarray:
    """A robust table's counts (any fancy-indexed part) as float64 samples."""
    per = count_units(count)
    return count / per if per else count.astype(np.float64, copy=False)


def store_counts(count: np.ndarray, values: np.ndarray) -> np.ndarray:
    """``values`` (float64 samples) as ``count``'s storage (numpy's :func:`tenths_store`)."""
    per = count_units(count)
    return np.minimum(np.rint(values * per), TENTHS_MAX) if per else values


def wide(table: np.ndarray) -> np.ndarray:
    """A state table's cells (any fancy-indexed part) as float64 (float32 widens exactly)."""
    return table.astype(np.float64, copy=False)
