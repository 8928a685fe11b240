"""The prompt of a `%%agent` cell: its text with the fields filled in, and its images and files.

`{df}` becomes a DataFrame's description, `{fig}` an image part (the text says `[image 1: fig:
matplotlib Figure, ...]`), `{In[3]}` / `{Out[3]}` / `{Err[-1]}` a cell's code, output or
traceback, and each `-a PATH` an attached file. A prompt with no image and no file stays text.
"""

from __future__ import annotations

from typing import Any

from IPython.core.error import UsageError

from ..core import UserMessage
from ..errors import UserError
from ..kernel import CellHistory, PromptParts
from ..kernel._cell_log import CellLog
from ._options import CellOptions, interpolate

__all__ = ["cell_prompt"]


def cell_prompt(
    body: str, shell: Any, options: CellOptions, cells: CellLog | None = None
) -> str | UserMessage:
    """The prompt of a cell; a `UsageError` for an empty cell or a file that cannot be attached.

    `cells` is the session's log of cells, for `{In[-1]}` where IPython numbers no cells.
    """
    parts = PromptParts(options.budget)
    history = CellHistory(shell, parts.budget, cells)

    def field(value: Any, typed: str) -> str | None:
        return parts.rich(value, typed[1:-1])

    text = interpolate(body, shell.user_ns, render=field, cells=history.read).strip()
    if not text:
        raise UsageError("the %%agent cell is empty: write the prompt under the %%agent line")
    captions: list[str] = []
    for path in options.attach:
        try:
            captions.append(parts.attach(path))
        except UserError as exc:
            raise UsageError(str(exc)) from None
    if captions:
        text += "\n\n" + "\n".join(captions)
    return parts.message(text) if parts.media else text
