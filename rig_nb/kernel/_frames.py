"""DataFrames and Series (pandas, polars) as a compact description, and their head as HTML.

Nothing here imports pandas or polars: an object can only be one of theirs when its library is
already loaded, so `sys.modules` says which it is.
"""

from __future__ import annotations

import sys
from typing import Any

from ._budget import Budget, clip

__all__ = ["describe_frame", "frame_html", "frame_kind"]


def _module(name: str) -> Any:
    return sys.modules.get(name)


def frame_kind(value: Any) -> str | None:
    """`"pandas DataFrame"`, `"polars Series"`... or `None` for anything else."""
    pd = _module("pandas")
    if pd is not None:
        if isinstance(value, pd.DataFrame):
            return "pandas DataFrame"
        if isinstance(value, pd.Series):
            return "pandas Series"
    pl = _module("polars")
    if pl is not None:
        if isinstance(value, pl.DataFrame):
            return "polars DataFrame"
        if isinstance(value, pl.Series):
            return "polars Series"
        if isinstance(value, pl.LazyFrame):
            return "polars LazyFrame"
    return None


def describe_frame(value: Any, kind: str, budget: Budget) -> str:
    """Shape, schema (with missing values), and head, within `budget.chars`."""
    if kind == "pandas DataFrame":
        text = _pandas_frame(value, budget)
    elif kind == "pandas Series":
        text = _pandas_series(value, budget)
    elif kind == "polars DataFrame":
        text = _polars_frame(value, budget)
    elif kind == "polars Series":
        text = _polars_series(value, budget)
    else:
        text = _polars_lazy(value, budget)
    return clip(text, budget.chars)


def frame_html(value: Any, kind: str, budget: Budget) -> str | None:
    """The head as an HTML table for the view (sanitised there), or `None`."""
    if kind == "pandas DataFrame":
        head = value.head(budget.rows)
        return str(head.to_html(max_cols=budget.columns, border=0))
    if kind == "pandas Series":
        return str(value.head(budget.rows).to_frame().to_html(border=0))
    if kind == "polars DataFrame":
        return str(value.head(budget.rows).select(value.columns[: budget.columns])._repr_html_())
    if kind == "polars Series":
        return str(value.head(budget.rows).to_frame()._repr_html_())
    return None


def _count(n: int, what: str) -> str:
    return f"{n:,} {what}{'' if n == 1 else 's'}"


def _schema(
    columns: list[tuple[str, str, int]], budget: Budget, total: int | None = None
) -> list[str]:
    """`name  dtype  (k missing)` lines for the first `budget.columns` columns."""
    shown = columns[: budget.columns]
    width = min(max((len(name) for name, _, _ in shown), default=0), 40)
    lines = ["columns:"]
    for name, dtype, missing in shown:
        line = f"  {name:<{width}}  {dtype}"
        if missing:
            line += f"  ({missing:,} missing)"
        lines.append(line)
    count = total if total is not None else len(columns)
    if count > len(shown):
        lines.append(f"  … and {_count(count - len(shown), 'more column')}")
    return lines


def _pandas_frame(df: Any, budget: Budget) -> str:
    rows, cols = df.shape
    lines = [f"pandas DataFrame: {_count(rows, 'row')} x {_count(cols, 'column')}"]
    index = df.index
    default = type(index).__name__ == "RangeIndex" and index.start == 0 and index.step == 1
    if not default or index.name is not None:
        named = f" {index.name!r}" if index.name is not None else ""
        lines.append(f"index{named}: {type(index).__name__} ({index.dtype})")
    shown = df.iloc[:, : budget.columns]
    missing = shown.isna().sum()
    columns = [
        (str(name), str(dtype), int(missing.iloc[i]))
        for i, (name, dtype) in enumerate(shown.dtypes.items())
    ]
    lines += _schema(columns, budget, cols)
    if rows:
        head = df.head(budget.rows).to_string(max_cols=budget.columns, max_colwidth=40)
        lines += [f"first {min(rows, budget.rows)} rows:", head]
    return "\n".join(lines)


def _pandas_series(series: Any, budget: Budget) -> str:
    name = f" {series.name!r}" if series.name is not None else ""
    missing = int(series.isna().sum())
    line = f"pandas Series{name}: {_count(len(series), 'value')}, dtype {series.dtype}"
    if missing:
        line += f" ({missing:,} missing)"
    lines = [line]
    if len(series):
        lines += [f"first {min(len(series), budget.rows)}:", series.head(budget.rows).to_string()]
    return "\n".join(lines)


def _polars_table(pl: Any, frame: Any, budget: Budget) -> str:
    with pl.Config(
        tbl_rows=budget.rows,
        tbl_cols=budget.columns,
        fmt_str_lengths=40,
        tbl_hide_dataframe_shape=True,
    ):
        return str(frame)


def _polars_frame(df: Any, budget: Budget) -> str:
    pl = sys.modules["polars"]
    rows, cols = df.shape
    lines = [f"polars DataFrame: {_count(rows, 'row')} x {_count(cols, 'column')}"]
    shown = df.select(df.columns[: budget.columns])
    nulls = shown.null_count().row(0) if cols else ()
    columns = [
        (name, str(dtype), int(nulls[i])) for i, (name, dtype) in enumerate(shown.schema.items())
    ]
    lines += _schema(columns, budget, cols)
    if rows:
        head = _polars_table(pl, df.head(budget.rows), budget)
        lines += [f"first {min(rows, budget.rows)} rows:", head]
    return "\n".join(lines)


def _polars_series(series: Any, budget: Budget) -> str:
    pl = sys.modules["polars"]
    name = f" {series.name!r}" if series.name else ""
    line = f"polars Series{name}: {_count(len(series), 'value')}, dtype {series.dtype}"
    if series.null_count():
        line += f" ({series.null_count():,} missing)"
    lines = [line]
    if len(series):
        head = _polars_table(pl, series.head(budget.rows).to_frame(), budget)
        lines += [f"first {min(len(series), budget.rows)}:", head]
    return "\n".join(lines)


def _polars_lazy(frame: Any, budget: Budget) -> str:
    schema = frame.collect_schema()
    columns = [(name, str(dtype), 0) for name, dtype in schema.items()]
    lines = [
        f"polars LazyFrame (not collected: rows unknown) with {_count(len(columns), 'column')}",
        *_schema(columns, budget),
    ]
    return "\n".join(lines)
