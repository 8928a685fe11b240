"""The table a batch returns: a pandas or polars DataFrame, or a list of `RowResult`s.

One row per input row, in input order; a pandas table keeps the input's index, so
`df.join(results)` lines up. Columns: `status`, `prompt`, `response`, `output`, `error`,
`error_type`, `input_tokens`, `output_tokens`, `total_tokens`, `cost`, `usage`, `history`,
`attempts`, `retried`, `cached`, `elapsed` (and `row`, the label, in polars and lists).
"""

from __future__ import annotations

import importlib.util
from typing import Any, Literal

from ..errors import UserError
from ._result import RowResult

__all__ = ["COLUMNS", "Output", "build_table", "resolve_output"]

Output = Literal["auto", "pandas", "polars", "list"]

COLUMNS = (
    "status",
    "prompt",
    "response",
    "output",
    "error",
    "error_type",
    "input_tokens",
    "output_tokens",
    "total_tokens",
    "cost",
    "usage",
    "history",
    "attempts",
    "retried",
    "cached",
    "elapsed",
)
_OBJECTS = ("output", "error", "usage", "history", "retried")
_TEXT = ("status", "prompt", "response", "error_type", "cost", *_OBJECTS)
"""Object columns in pandas: `None` stays `None` (not NaN), an error stays an error."""


def resolve_output(output: str) -> Output:
    """`auto` is pandas when it is installed, else a list; an unknown name is a `UserError`."""
    if output == "auto":
        return "pandas" if importlib.util.find_spec("pandas") is not None else "list"
    if output not in ("pandas", "polars", "list"):
        raise UserError(f"output= is 'auto', 'pandas', 'polars' or 'list', not {output!r}")
    if output != "list" and importlib.util.find_spec(output) is None:
        raise UserError(f"output={output!r} needs {output}: pip install {output}")
    return output


def _cell(result: RowResult, column: str) -> Any:
    if column in ("input_tokens", "output_tokens", "total_tokens"):
        return getattr(result.usage, column)
    return getattr(result, column)


def build_table(results: list[RowResult], output: Output) -> Any:
    """The batch's table in the form asked for."""
    if output == "list":
        return results
    if output == "pandas":
        import pandas as pd  # pyright: ignore[reportMissingTypeStubs]

        index = pd.Index([r.row for r in results])
        data = {
            c: pd.Series(
                [_cell(r, c) for r in results], index=index, dtype=object if c in _TEXT else None
            )
            for c in COLUMNS
        }
        return pd.DataFrame(data, index=index)
    import polars as pl

    series = [pl.Series("row", [r.row for r in results])]
    for column in COLUMNS:
        values = [_cell(r, column) for r in results]
        if column in _OBJECTS:
            series.append(pl.Series(column, values, dtype=pl.Object))
        else:
            series.append(pl.Series(column, values))
    return pl.DataFrame(series)
