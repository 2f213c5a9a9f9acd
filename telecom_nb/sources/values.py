"""Cell values in canonical form (sector ids, KPI floats) and how bad rows are quoted."""

from __future__ import annotations

import re
from collections.abc import Callable

import numpy as np
import pandas as pd

from telecom_nb.errors import KpiInputError

MAX_EXAMPLES = 5  # bad rows quoted in one message


def examples(rows: np.ndarray, values: pd.Series, limit: int = MAX_EXAMPLES,
             where: Callable[[int], str] | None = None) -> str:
    """``row 3: 'foo', row 9: 'bar' and 12 more`` (1-based data rows; ``where`` names a
    row otherwise, e.g. ``day2.csv row 7``)."""
    shown = rows[:limit]
    name = where or (lambda i: f"row {i + 1}")
    parts = [f"{name(int(i))}: {_shown(values.iloc[int(i)])}" for i in shown]
    more = f" and {rows.size - shown.size} more" if rows.size > shown.size else ""
    return ", ".join(parts) + more


def _shown(value: object) -> str:
    try:
        blank = bool(pd.isna(value))
    except (TypeError, ValueError):
        blank = False
    return "(blank)" if blank else repr(value)


def sector_ids(values: pd.Series) -> pd.Series:
    """Sector ids as strings (NaN kept); integral floats (ids with gaps) lose the '.0';
    spaces around an id dropped (a report padding ``'C01  '`` split each cell in two, the
    second one with no history), a blank id is missing."""
    if pd.api.types.is_float_dtype(values.dtype):
        finite = values.dropna()
        if np.all(np.isfinite(finite)) and np.all(finite == np.round(finite)):
            values = values.astype("Int64")
    ids = values.astype("str").str.strip()
    return ids.where(ids != "")


#: digit groups as OSS reports and spreadsheets write them: ``12,345.6``, ``12.345,6``,
#: ``12 345,6`` (space, no-break space, thin space or apostrophe between groups)
_GROUPED = (
    (re.compile(r"[+-]?\d{1,3}(?:,\d{3})+(?:\.\d*)?"), ",", "."),
    (re.compile(r"[+-]?\d{1,3}(?:\.\d{3})+,\d*"), ".", ","),
    (re.compile(r"[+-]?\d{1,3}(?:[ \u00a0\u202f']\d{3})+(?:[.,]\d*)?"), " \u00a0\u202f'", ","),
)
#: a comma that is a decimal mark (``97,5``, ``0,0125``): the column's commas are not groups
_DECIMAL_COMMA = re.compile(r"[+-]?\d*,(?:\d{1,2}|\d{4,})")
#: in a column that writes decimal commas: a dot-grouped number (``1.234``, ``12.345,6``;
#: no group starts with 0) or a plain decimal comma (``659,9``, ``0,125``)
_COMMA_LOCALE = re.compile(r"[+-]?[1-9]\d{0,2}(?:\.\d{3})+(?:,\d*)?|[+-]?\d*,\d+")


#: Persian and Arabic-Indic digits (``۱۲٬۳۴۵٫۶``, spreadsheets in fa/ar locales) as ASCII
_EASTERN = re.compile("[\u0660-\u066c\u06f0-\u06f9]")
_WESTERN = str.maketrans({**{chr(0x0660 + d): str(d) for d in range(10)},
                          **{chr(0x06F0 + d): str(d) for d in range(10)},
                          "\u066b": ".", "\u066c": ","})


def ungrouped(values: pd.Series) -> pd.Series:
    """Text numbers with digit grouping (``"12,345"``), a percent sign (``"99.5%"``, read
    as ``99.5``, the number shown) or Persian/Arabic digits as plain numbers (``12345.0``).

    Counters and volumes in OSS reports often carry thousands separators; read as text they
    would be missing values, or the whole column "not numeric". A column whose commas are
    decimal marks somewhere (``97,5``) is not read as comma-grouped.
    """
    text = values.astype("str").str.strip()
    out = pd.to_numeric(text, errors="coerce")
    failed = out.isna() & values.notna()
    if not failed.any():
        return out
    eastern = failed & text.str.contains(_EASTERN, regex=True, na=False)
    if eastern.any():  # "۱۲۳۴": the digits read, then grouping and % as for any number
        text = text.where(~eastern, text[eastern].str.translate(_WESTERN))
        out[eastern] = pd.to_numeric(text[eastern], errors="coerce")
        failed &= out.isna()
    percent = failed & text.str.endswith("%")  # "99.5%": a spreadsheet's percent format
    if percent.any():
        text = text.where(~percent, text.str[:-1].str.rstrip())
        out[percent] = pd.to_numeric(text[percent], errors="coerce")
        failed &= out.isna()
    comma_decimal = bool(text[failed].str.fullmatch(_DECIMAL_COMMA).any())
    if comma_decimal or text[failed].str.fullmatch(_GROUPED[1][0]).any():
        # the column writes decimal commas (``12.345,6``, ``97,5``): ``659,9`` beside them
        # is 659.9 (it was missing) and ``1.234`` is 1234 (it was 1.234, in silence)
        local = values.notna() & text.str.fullmatch(_COMMA_LOCALE).fillna(False)
        plain = text[local].str.replace(".", "", regex=False).str.replace(",", ".", regex=False)
        out[local] = pd.to_numeric(plain, errors="coerce")
        failed = out.isna() & values.notna()
    for pattern, groups, decimal in _GROUPED:
        if groups == "," and comma_decimal:
            continue
        hit = failed & text.str.fullmatch(pattern)
        if hit.any():
            plain = text[hit].str.replace(f"[{groups}]", "", regex=True)
            out[hit] = pd.to_numeric(plain.str.replace(decimal, ".", regex=False),
                                     errors="coerce")
            failed &= ~hit
    if comma_decimal and percent.any():  # "97,5%" in a decimal-comma export
        hit = failed & percent & text.str.fullmatch(_DECIMAL_COMMA)
        out[hit] = pd.to_numeric(text[hit].str.replace(",", ".", regex=False), errors="coerce")
    return out


#: what vendor tools write in a KPI cell that has no value (lower case, stripped): a
#: missing value, not "non-numeric text" (pandas already reads NULL, N/A, #N/A, NaN)
NULL_TOKENS = frozenset({"", "nil", "n/a", "na", "/0", "#div/0!", "-", "--", "---", "null",
                         "none", "nan", "#n/a", "#null!", "#value!", "n.a.", "x"})


def null_tokens(text: pd.Series) -> pd.Series:
    """Which of these (non-missing) cells hold a vendor's null token."""
    return text.astype("str").str.strip().str.lower().isin(NULL_TOKENS)


def kpi_to_float(values: pd.Series) -> tuple[np.ndarray, int]:
    """KPI values as float64 (NaN where not a number) and how many were non-numeric text
    (a vendor's null token is a missing value, not text)."""
    out, non_numeric, _ = read_kpi(values)
    return out, non_numeric


def read_kpi(values: pd.Series) -> tuple[np.ndarray, int, int]:
    """KPI values as float64 (NaN where not a number), how many cells were non-numeric
    text, and how many held a vendor null token (``NIL``, ``/0``, ``#DIV/0!``, ``-``)."""
    if pd.api.types.is_bool_dtype(values.dtype) or pd.api.types.is_numeric_dtype(values.dtype):
        return values.to_numpy(dtype=float, na_value=np.nan, copy=True), 0, 0
    try:
        numbers = ungrouped(values)
    except (TypeError, ValueError, OverflowError):
        numbers = pd.to_numeric(values.astype("str"), errors="coerce")
    out = numbers.to_numpy(dtype=float, na_value=np.nan, copy=True)
    odd = numbers.isna() & values.notna()
    nulls = int(null_tokens(values[odd]).sum()) if odd.any() else 0
    return out, int(odd.sum()) - nulls, nulls


def kpi_frame(
    rows: pd.DataFrame, kpis: list[str], name: str, messages: list[str]
) -> pd.DataFrame:
    """KPIs as float64, NaN where blank, unreadable, a vendor null or infinite; each counted
    (``attrs``), each KPI's text and nulls said in ``messages``."""
    # the frame's one float64 block, filled a KPI at a time: ``pd.DataFrame`` of a dict of
    # columns stacked them into a new block beside them (+1x the KPIs at a load's peak)
    block = np.empty((len(kpis), len(rows)))
    non_numeric = infinite = null_token = 0
    blank = []
    for i, kpi in enumerate(kpis):
        values, odd, nulls = read_kpi(rows[kpi])
        if not np.isfinite(values).any():
            if odd:  # text: the wrong column named, not a counter left uncollected
                raise KpiInputError(f"{name}: KPI column {kpi!r} has no numeric value")
            blank.append(kpi)
        inf = np.isinf(values)
        values[inf] = np.nan
        non_numeric += odd
        null_token += nulls
        infinite += int(inf.sum())
        block[i] = values
        values = inf = None
        if odd:
            messages.append(f"KPI {kpi!r}: {odd:,} non-numeric value(s) read as missing")
        if nulls:
            messages.append(f"KPI {kpi!r}: {nulls:,} vendor null(s) (NIL, N/A, /0, #DIV/0!, "
                            "-) read as missing")
    if blank and len(blank) == len(kpis):
        raise KpiInputError(f"{name}: every KPI named has no values in this export "
                            f"({', '.join(map(repr, blank))})")
    # A named counter not collected in this export: kept (blank, no evidence), said.
    messages.extend(f"KPI {kpi!r} has no values in this export" for kpi in blank)
    frame = pd.DataFrame(block.T, columns=kpis, copy=False) if kpis else pd.DataFrame()
    frame.attrs.update(non_numeric=non_numeric, infinite=infinite, null_token=null_token)
    return frame


def retyped(frame: pd.DataFrame) -> pd.DataFrame:
    """Columns typed as their values alone would be read: text that is all numbers becomes
    numbers, floats without a blank that are all whole become int64. For the rows left
    after a footer line (``Total,,123``, ``Generated by``) was dropped: the line made an id
    column text or float, and the output should not depend on it."""
    out = {}
    for column in frame.columns:
        values = frame[column]
        if values.isna().any() or pd.api.types.is_bool_dtype(values.dtype):
            out[column] = values
        elif pd.api.types.is_float_dtype(values.dtype):
            whole = bool(np.all(values.to_numpy() == np.round(values.to_numpy())))
            out[column] = values.astype("int64") if whole and len(values) else values
        elif pd.api.types.is_numeric_dtype(values.dtype):
            out[column] = values
        elif len(values) and pd.to_numeric(values.iloc[:100], errors="coerce").notna().all():
            numbers = pd.to_numeric(values, errors="coerce")  # (names fail on the sample)
            out[column] = numbers if numbers.notna().all() else values
        else:
            out[column] = values
    return pd.DataFrame(out, index=frame.index)


def out_of_order_within_sector(stamps: np.ndarray, sectors: pd.Series) -> int:
    """Rows earlier than the previous row *of the same sector*, in file order.

    Exports sorted by cell then time are normal input, not disorder; only a sector whose
    own rows go back in time is worth telling the user about.
    """
    if len(stamps) < 2:
        return 0
    codes = pd.factorize(sectors)[0]
    order = np.argsort(codes, kind="stable")
    same = codes[order][1:] == codes[order][:-1]
    back = stamps[order][1:] < stamps[order][:-1]
    return int((same & back).sum())
