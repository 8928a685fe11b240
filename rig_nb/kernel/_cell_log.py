"""The cells a shell ran since `%load_ext rig_nb`, for `{In[-1]}` where IPython numbers no cells.

A notebook's cells are numbered and kept in IPython's history. A cell run with
`store_history=False` (nbval runs every cell so; `shell.run_cell(...)` does by default) is neither:
IPython keeps no input, output or traceback of it. The magics register `CellLog.record` for
IPython's `post_run_cell` event, so a negative index still finds the cells before this one.
"""

from __future__ import annotations

import re
import traceback
from collections import deque
from dataclasses import dataclass
from typing import Any

__all__ = ["CellLog", "LoggedCell", "format_error"]

_ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")
NO_OUTPUT: Any = object()


@dataclass(frozen=True, slots=True)
class LoggedCell:
    """One cell that ran: what was typed, what it returned, how it failed."""

    code: str
    output: Any = NO_OUTPUT
    """The value the cell displayed as its result (`NO_OUTPUT` for none)."""
    error: str | None = None
    """Its traceback, as IPython shows it (without colours)."""


def format_error(shell: Any, error: BaseException) -> str:
    """A traceback as IPython shows it, without colours.

    As it records it in `history_manager.exceptions` (IPython >= 9), else as its interactive
    traceback formats it; Python's own format when neither works.
    """
    lines: Any = None
    try:
        store = getattr(shell, "_format_exception_for_storage", None)
        if store is not None:
            lines = store(error).get("traceback")
        else:
            lines = shell.InteractiveTB.structured_traceback(
                type(error), error, error.__traceback__, tb_offset=1
            )
    except Exception:
        lines = None
    if not lines:
        lines = traceback.format_exception(type(error), error, error.__traceback__)
    return _ANSI.sub("", "\n".join(str(line).rstrip("\n") for line in lines)).strip("\n")


class CellLog:
    """The last `keep` cells a shell ran (its `post_run_cell` event calls `record`)."""

    def __init__(self, shell: Any, keep: int = 100) -> None:
        self.shell = shell
        self.cells: deque[LoggedCell] = deque(maxlen=keep)

    def record(self, result: Any) -> None:
        """Log one `ExecutionResult` (silent runs, with no cell text, are left out)."""
        info = getattr(result, "info", None)
        code = getattr(info, "raw_cell", None)
        if not isinstance(code, str) or getattr(info, "silent", False):
            return
        error: BaseException | None = result.error_before_exec or result.error_in_exec
        output = result.result if result.result is not None else NO_OUTPUT
        text = format_error(self.shell, error) if error is not None else None
        self.cells.append(LoggedCell(code, output, text))

    def latest(self, kind: str, back: int) -> LoggedCell | None:
        """The `back`-th latest cell (1 is the latest) that has an input, output or traceback."""
        found = [c for c in self.cells if _has(c, kind)]
        return found[-back] if 0 < back <= len(found) else None

    def count(self, kind: str) -> int:
        """How many logged cells have an input, output or traceback."""
        return sum(1 for c in self.cells if _has(c, kind))


def _has(cell: LoggedCell, kind: str) -> bool:
    if kind == "Out":
        return cell.output is not NO_OUTPUT
    if kind == "Err":
        return cell.error is not None
    return True
