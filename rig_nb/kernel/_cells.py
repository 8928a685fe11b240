"""`In[n]`, `Out[n]` and `Err[n]`: a notebook's cells, outputs and tracebacks, read from IPython.

They come from IPython's history manager, never from the user's namespace (where `In` may be
rebound to anything): `input_hist_raw` (what was typed), `output_hist` (what each cell returned)
and `exceptions` (each failed cell's traceback, IPython >= 9). A number `n >= 0` is a cell's
execution count; `-1` is the latest entry before the running cell, `-2` the one before, as in
jupyter-ai. Where the running cell is not numbered (nbval runs cells with `store_history=False`),
negative numbers count back through the cells run since `%load_ext rig_nb` (`CellLog`).
"""

from __future__ import annotations

import re
import sys
import traceback
from typing import Any, Literal

from ..errors import UserError
from ._budget import Budget, clip
from ._cell_log import CellLog

__all__ = ["CellHistory", "CellKind"]

CellKind = Literal["In", "Out", "Err"]
_ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")
_WHAT = {"In": "an input", "Out": "an output", "Err": "a traceback"}


class CellHistory:
    """The inputs, outputs and tracebacks of an IPython shell's cells."""

    def __init__(
        self, shell: Any, budget: Budget | int | None = None, log: CellLog | None = None
    ) -> None:
        self.shell = shell
        self.budget = Budget.of(budget)
        self.log = log
        """The cells run since the extension loaded, for cells IPython does not number."""

    def _running(self) -> Any:
        return getattr(getattr(self.shell, "displayhook", None), "exec_result", None)

    def _numbered(self) -> bool:
        """Whether the running cell is numbered and kept in IPython's history."""
        result = self._running()
        return result is not None and bool(getattr(result.info, "store_history", False))

    def _current(self) -> int:
        """The running cell's execution count (cells below it are "before")."""
        if self._numbered():
            return int(self._running().execution_count)
        return int(getattr(self.shell, "execution_count", 1))

    def _entries(self, kind: str) -> dict[int, Any]:
        history = self.shell.history_manager
        if kind == "In":
            return dict(enumerate(history.input_hist_raw))
        if kind == "Out":
            return dict(history.output_hist)
        return dict(getattr(history, "exceptions", None) or {})

    def read(self, kind: str, index: int) -> Any:
        """`In[index]` (text), `Out[index]` (the object) or `Err[index]` (traceback text).

        Raises:
            UserError: there is no such entry (with what there is).
        """
        if kind not in _WHAT:
            raise UserError(f"{kind} is not a cell reference: use In, Out or Err")
        if index < 0 and self.log is not None and not self._numbered():
            return self._from_log(kind, index, self.log)
        if kind == "Err" and not hasattr(self.shell.history_manager, "exceptions"):
            return self._last_error(index)
        entries = self._entries(kind)
        number = index
        if index < 0:
            before = sorted((n for n in entries if 0 < n < self._current()), reverse=True)
            if -index > len(before):
                raise UserError(
                    f"there {_are(len(before))} before this cell ({_some(kind, before)})"
                )
            number = before[-index - 1]
        if number not in entries or (kind == "In" and number == 0):
            known = sorted(n for n in entries if n > 0)
            noun = _WHAT[kind].split()[-1]
            raise UserError(f"cell {index} has no {noun} ({_some(kind, known)})")
        entry = entries[number]
        if kind == "In":
            return clip(str(entry), self.budget.chars)
        if kind == "Err":
            return self._traceback(entry)
        return entry

    def _from_log(self, kind: str, index: int, log: CellLog) -> Any:
        cell = log.latest(kind, -index)
        if cell is None:
            raise UserError(
                f"there {_are(log.count(kind))} with {_WHAT[kind]} before this cell (this cell "
                "is not numbered, so cells count from where rig_nb was loaded)"
            )
        if kind == "In":
            return clip(cell.code, self.budget.chars)
        if kind == "Err":
            return clip(cell.error or "", self.budget.chars, keep="ends")
        return cell.output

    def _traceback(self, entry: Any) -> str:
        if isinstance(entry, dict):
            lines: Any = entry.get("traceback") or [f"{entry.get('ename')}: {entry.get('evalue')}"]
            text = "\n".join(str(line) for line in lines)
        else:
            text = str(entry)
        return clip(_ANSI.sub("", text).strip("\n"), self.budget.chars, keep="ends")

    def _last_error(self, index: int) -> str:
        """An IPython without `exceptions` (< 9): only the last traceback, from `sys`."""
        error: BaseException | None = getattr(sys, "last_value", None)
        if index != -1 or error is None:
            raise UserError(
                "this IPython keeps only the last traceback; use {Err[-1]}"
                if index != -1
                else "no cell has raised an exception yet"
            )
        text = "".join(traceback.format_exception(type(error), error, error.__traceback__))
        return clip(text.strip("\n"), self.budget.chars, keep="ends")


def _are(n: int) -> str:
    return "is 1 entry" if n == 1 else f"are {n} entries"


def _some(kind: str, numbers: list[int]) -> str:
    if not numbers:
        return f"no cell has {_WHAT[kind]} yet"
    shown = ", ".join(str(n) for n in sorted(numbers)[-8:])
    more = "…, " if len(numbers) > 8 else ""
    return f"cells with {_WHAT[kind]}: {more}{shown}"
