"""What a finished run leaves in the notebook, and what the banner says about how a run ended.

A widget saved without its state reopens as "Error displaying widget: model not found", and
JupyterLab saves no widget state by default: so a finished run's output keeps the live widget only
where the notebook saves widget state (the view reports JupyterLab's setting), and is the rendered
transcript otherwise (`SavedView`, `RIG_NB_SAVED_VIEW`).
"""

from __future__ import annotations

import asyncio
import os
from typing import Any, Literal, cast

from ..errors import PromptCancelled, RigError, UserError

__all__ = [
    "FRONT_END",
    "WIDGET_VIEW",
    "SavedDisplay",
    "SavedView",
    "ending",
    "saved_view_setting",
    "transcript_only",
]

WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"

FRONT_END: dict[str, bool | None] = {"seen": None, "saves_state": False}
"""What this kernel knows of its front end: whether a view ever rendered (`None`: no view waited
for one yet), and whether it saves widget state."""

SavedView = Literal["auto", "widget", "transcript"]
"""What a finished run's output keeps: the live widget, the transcript only, or (`auto`) the live
widget when the notebook front end saves widget state, else the transcript."""


def saved_view_setting(value: str | None) -> SavedView:
    """`value`, else `RIG_NB_SAVED_VIEW`, else `auto`; anything else is a `UserError`."""
    chosen = (value or os.environ.get("RIG_NB_SAVED_VIEW") or "auto").strip().lower()
    if chosen not in ("auto", "widget", "transcript"):
        raise UserError(
            f"the saved view must be auto, widget or transcript (RIG_NB_SAVED_VIEW); got {chosen!r}"
        )
    return cast(SavedView, chosen)


def transcript_only(
    saved_view: SavedView, *, live: bool, rendered: bool, saves_state: bool
) -> bool:
    """Whether a view's output is the transcript alone (a run ended; no live widget kept)."""
    if live or saved_view == "widget":
        return False
    if saved_view == "transcript":
        return True
    if rendered:
        return not saves_state
    # Not rendered (yet): what this kernel's front end said, if it has one.
    return not (FRONT_END["seen"] and FRONT_END["saves_state"])


class SavedDisplay:
    """How AgentView and BatchView show themselves (a mixin before `anywidget.AnyWidget`).

    Each display has an id, so it is updated when a run ends; the widget comes with a text/plain
    and a text/html rendering of the run (`_texts`), and once a run ended, without the widget
    where the notebook would not save its state (`transcript_only`).
    """

    saved_view: Any  # a SavedView: the views' traitlets
    rendered: Any  # a bool
    _handles: list[Any]
    _live: bool
    _ran: bool

    def _texts(self) -> tuple[str, str]:
        """The run as text/plain and as sanitised text/html."""
        raise NotImplementedError

    def _saves_state(self) -> bool:
        """Whether the notebook saves widget state (as this kernel's front end last said)."""
        return bool(FRONT_END["saves_state"])

    def _transcript_only(self) -> bool:
        return transcript_only(
            self.saved_view,
            live=self._live or not self._ran,
            rendered=self.rendered,
            saves_state=self._saves_state(),
        )

    def _repr_mimebundle_(self, **kwargs: Any) -> Any:
        """The widget (unless `_transcript_only`), the run as text/plain and text/html."""
        bundle: Any = super()._repr_mimebundle_(**kwargs)  # pyright: ignore[reportAttributeAccessIssue]
        data: dict[str, Any] = dict(bundle[0] if isinstance(bundle, tuple) else bundle or {})
        data["text/plain"], data["text/html"] = self._texts()
        if self._transcript_only():
            data.pop(WIDGET_VIEW, None)
        return data

    def _ipython_display_(self, **kwargs: Any) -> None:
        """Display with an id, so the output is refreshed when a run ends."""
        from IPython.display import display

        self._handles.append(display(self._repr_mimebundle_(), raw=True, display_id=True))

    def _refresh_displays(self) -> dict[str, Any]:
        """Update every display of the view; returns the bundle they show."""
        bundle = self._repr_mimebundle_()
        for handle in self._handles:
            if handle is not None:
                handle.update(bundle, raw=True)
        return bundle


def ending(error: BaseException) -> tuple[str, bool]:
    """What the view's banner says about what ended a run, and whether it was a cancel."""
    if isinstance(error, PromptCancelled):
        return f"Stopped: {error.reason}", True
    if isinstance(error, KeyboardInterrupt):
        return "Interrupted: a KeyboardInterrupt stopped the run", True
    if isinstance(error, asyncio.CancelledError):
        return "Interrupted: the kernel interrupt stopped the run", True
    if isinstance(error, RigError):
        return str(error), False
    text = " ".join(str(error).split())
    return (f"{type(error).__name__}: {text}" if text else type(error).__name__), False
