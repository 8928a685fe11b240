"""How much of an object the model gets: characters, rows, columns, image size."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from ..errors import UserError

__all__ = ["Budget", "clip"]


@dataclass(frozen=True, slots=True, kw_only=True)
class Budget:
    """The size budget of one object's rendition for the model.

    ```python
    user_message("Which city is warmest?", df, budget=Budget(chars=2000, rows=10))
    ```
    """

    chars: int = 4000
    """At most this many characters of text per object (a DataFrame's description, a repr, a
    traceback, a cell's code); longer text is cut, and says so."""
    rows: int = 5
    """Rows of a DataFrame's head (and items of a Series)."""
    columns: int = 20
    """Columns of a DataFrame described and shown; the rest are counted."""
    image_side: int = 1024
    """The longest side of an image, in pixels: figures are drawn at that size at most, and
    larger images are scaled down (where Pillow is installed)."""
    attachment_chars: int = 100_000
    """At most this many characters of an attached text file."""

    def __post_init__(self) -> None:
        for name in ("chars", "rows", "columns", "image_side", "attachment_chars"):
            value = getattr(self, name)
            if not isinstance(value, int) or isinstance(value, bool) or value < 1:
                raise UserError(f"Budget.{name} must be a positive whole number, got {value!r}")
        if self.chars < 200:
            raise UserError(f"Budget.chars must be at least 200, got {self.chars}")

    @staticmethod
    def of(value: Budget | int | None) -> Budget:
        """A budget from a `Budget`, a number of characters, or `None` (the defaults)."""
        if value is None:
            return Budget()
        if isinstance(value, Budget):
            return value
        return Budget(chars=value)


def clip(text: str, limit: int, *, keep: Literal["head", "tail", "ends"] = "head") -> str:
    """`text` cut to about `limit` characters, saying how much was left out.

    `keep="tail"` keeps the end (what a program printed last); `keep="ends"` a third from the
    start and the rest from the end (a traceback: the cell's own frame, and what went wrong).
    """
    if len(text) <= limit:
        return text
    left = len(text) - limit
    note = f"[… {left:,} more characters cut]"
    if keep == "tail":
        return f"{note}\n{text[-limit:]}"
    if keep == "ends":
        head = limit // 3
        return f"{text[:head]}\n{note}\n{text[-(limit - head) :]}"
    return f"{text[:limit]}\n{note}"
