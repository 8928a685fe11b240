"""How a `%%agent` cell ends on the kernel's interrupt or Ctrl-C: one line, no traceback."""

from __future__ import annotations

import asyncio

__all__ = ["RunInterrupted", "RunKeyboardInterrupt"]


class _OneLine(BaseException):
    """IPython shows `_render_traceback_()` in place of a traceback: the cell ends on one line."""

    def _render_traceback_(self) -> list[str]:
        return [str(self)]


class RunInterrupted(_OneLine, asyncio.CancelledError):
    """The kernel's interrupt ended a `%%agent` cell.

    Still a `CancelledError` (code around the cell sees a cancel), but IPython shows its one line
    instead of a traceback through rig_nb's internals.
    """


class RunKeyboardInterrupt(_OneLine, KeyboardInterrupt):
    """A `KeyboardInterrupt` ended a `%%agent` cell (Ctrl-C in a terminal): one line."""
