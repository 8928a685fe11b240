"""`AgentView`: the live view of a run, with approval buttons and a Stop button.

```python
view = AgentView(agent)
display(view)
final = await view.run("What's the weather in Paris?")     # or: request.with_hook(view.hook)
```

The kernel sends at most `max_updates_per_second` state updates (30), then one exact final state
(`_coalesce.py`). The approval buttons are answered by the view's approval desk (`_approvals.py`)
through the hook it gives each run (`_hook.py`); `_reducer.py` folds the items into the state and
`_transcript.py` renders it where no widget can show.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path
from typing import Any, cast

import anywidget
import traitlets

from ..core import (
    Agent,
    AnyMessage,
    FinalResponse,
    Message,
    MultiTurnStreamItem,
    PromptHook,
    PromptStream,
    StreamingPromptRequest,
    ToolCallHookAction,
    rag_text,
)
from ..errors import PromptCancelled, RigError, UserError
from ._approvals import ApprovalPolicy, Approvals
from ._coalesce import Coalescer
from ._hook import ViewHook
from ._protocol import FrontEndMessage
from ._reducer import ViewState, code_arguments
from ._transcript import transcript_html, transcript_text

__all__ = ["AgentView", "ending"]

_STATIC = Path(__file__).parent / "static"


class AgentView(anywidget.AnyWidget):
    """A live, sanitised view of an agent run."""

    _esm = _STATIC / "stream_view.js"
    _css = _STATIC / "stream_view.css"
    state = traitlets.Dict().tag(sync=True)
    rendered = traitlets.Bool(False).tag(sync=True)
    """Set by the browser when a view rendered: someone can click."""

    def __init__(
        self,
        agent: Agent | None = None,
        *,
        approval: ApprovalPolicy | str | None = None,
        always_allowed: set[str] | None = None,
        max_updates_per_second: float = 30.0,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.agent = agent
        policy = (
            approval if isinstance(approval, ApprovalPolicy) else ApprovalPolicy.from_env(approval)
        )
        allowed = always_allowed if always_allowed is not None else set[str]()
        self._approvals = Approvals(policy, allowed, self._flush)
        self._coalescer = Coalescer(self._flush, max_updates_per_second)
        self.view_state = ViewState()
        self.updates_sent = 0
        self._loop: asyncio.AbstractEventLoop | None = None
        self.run_stream: PromptStream | None = None
        self.last_run: PromptStream | None = None
        """The latest run: its `history`, `cancelled` and `error` stay readable after it ended."""
        self._handles: list[Any] = []
        self.listeners: list[Callable[[MultiTurnStreamItem], None]] = []
        """Called with every item (the magic's no-widget mode prints from here)."""
        self.on_msg(self._on_message)
        self.observe(self._on_rendered, names="rendered")

    # -- running -------------------------------------------------------------------------------

    async def run(
        self,
        prompt: str | Message,
        *,
        history: list[AnyMessage] | None = None,
        max_turns: int | None = None,
        hook: PromptHook | None = None,
    ) -> FinalResponse:
        """Run the view's agent on `prompt` (after `history`, if given) and show it live."""
        if self.agent is None:
            raise UserError("AgentView.run needs an agent: AgentView(agent)")
        try:
            request = (
                self.agent.stream_prompt(prompt)
                if history is None
                else self.agent.stream_chat(prompt, history)
            )
            if max_turns is not None:
                request = request.multi_turn(max_turns)
            request = request.with_hook(self.hook_for(hook or self.agent.hook))
        except BaseException as exc:  # the request could not be built: the view says why
            self.view_state = ViewState(prompt if isinstance(prompt, str) else "")
            self._end(exc)
            raise
        return await self.consume(request)

    async def consume(self, request: StreamingPromptRequest) -> FinalResponse:
        """Show any streaming request (give it `view.hook` for the approval buttons).

        Whatever ends the run (an answer, a `RigError`, a Stop, a kernel interrupt, or any other
        exception, even from a listener or the view itself) leaves the view in a final state:
        never "running" with nothing left to run.
        """
        self._loop = asyncio.get_running_loop()
        self.run_stream = None
        try:
            tools = request.agent.tools
            self.view_state = ViewState(
                rag_text(request.prompt) or "", code_arguments=code_arguments(tools)
            )
            self._approvals.begin(self.view_state, set(tools.names))
            self._approvals.asked = {t.name: t.approval for t in tools if t.approval}
            self._flush()
            async with request.stream() as run:
                self.run_stream = self.last_run = run
                try:
                    async for item in run:
                        self.view_state.apply(item)
                        self._coalescer.changed(self._loop)
                        for listener in self.listeners:
                            listener(item)
                finally:
                    self.run_stream = None
                    self._approvals.end()
                    self.view_state.total(run.usage, run.calls)
            if run.final_response is None:
                raise UserError("the run ended without an answer")  # not expected: a bug
        except BaseException as exc:
            self._end(exc)
            raise
        self._end(None)
        return run.final_response

    def _end(self, error: BaseException | None) -> None:
        """The final state, sent at once (and the saved transcript refreshed)."""
        self._coalescer.cancel()
        if error is not None:
            message, cancelled = ending(error)
            try:
                self.view_state.fail(message, cancelled=cancelled)
            except Exception:
                self.view_state.state.update(
                    status="cancelled" if cancelled else "error", error=message
                )
        try:
            self._flush()
        except Exception as exc:
            # The state could not be built (a bug in the view): send the ending on its own.
            message, cancelled = ending(error or exc)
            self.state = {
                **self.state,
                "status": "cancelled" if cancelled else "error",
                "error": message,
            }
        self._refresh_displays()

    @property
    def hook(self) -> PromptHook:
        """The approval hook, to pass to `request.with_hook(...)`."""
        return self.hook_for(None)

    def hook_for(self, inner: PromptHook | None) -> PromptHook:
        """The approval hook, calling `inner` (a hook of yours) first."""
        return ViewHook(self._approvals, inner)

    def stop(self, reason: str = "stopped by user") -> None:
        """What the Stop button does: end the run, keeping its history."""
        if self.run_stream is not None:
            self.run_stream.cancel(reason)

    # -- approvals ------------------------------------------------------------------------------

    @property
    def policy(self) -> ApprovalPolicy:
        """Who decides tool calls (`ask` / `auto` / `deny`, per tool, headless, timeout)."""
        return self._approvals.policy

    @policy.setter
    def policy(self, policy: ApprovalPolicy) -> None:
        self._approvals.policy = policy

    @property
    def always_allowed(self) -> set[str]:
        """Tools that run without asking under `ask` (the Always allow button adds to it)."""
        return self._approvals.always_allowed

    async def decide(self, tool_name: str, internal_call_id: str) -> ToolCallHookAction:
        """Run, skip or terminate one tool call, by policy or by a click."""
        return await self._approvals.decide(tool_name, internal_call_id)

    def _on_rendered(self, change: dict[str, Any]) -> None:
        self._approvals.set_rendered(bool(change["new"]))

    def _on_message(self, _widget: object, content: Any, _buffers: object) -> None:
        """Button clicks; on ipykernel 7.0-7.3 this runs in a subshell thread."""
        if not isinstance(content, dict):
            return
        message = cast(FrontEndMessage, content)
        if self._loop is not None and not self._loop.is_closed():
            self._loop.call_soon_threadsafe(self.handle_message, message)
        else:
            self.handle_message(message)

    def handle_message(self, message: FrontEndMessage) -> None:
        """Apply one click (on the event loop's thread)."""
        if message.get("kind") == "stop":
            self.stop()
        else:
            self._approvals.click(message)

    # -- updates -------------------------------------------------------------------------------

    def _flush(self) -> None:
        """Send the state now, if it changed."""
        self._coalescer.cancel()
        snapshot = self.view_state.snapshot()
        if snapshot == self.state:
            return  # nothing new: traitlets would send nothing either
        self.state = snapshot
        self.updates_sent += 1
        self._coalescer.pushed()

    # -- display -------------------------------------------------------------------------------

    def _repr_mimebundle_(self, **kwargs: Any) -> Any:
        """The widget, plus a text/plain and text/html transcript for places without widgets."""
        bundle: Any = super()._repr_mimebundle_(**kwargs)
        data: dict[str, Any] = dict(bundle[0] if isinstance(bundle, tuple) else bundle or {})
        data["text/plain"] = transcript_text(self.state) or "AgentView (no run yet)"
        data["text/html"] = transcript_html(self.state)
        return data

    def _ipython_display_(self, **kwargs: Any) -> None:
        """Display with an id, so the saved transcript is refreshed when a run ends."""
        from IPython.display import display

        self._handles.append(display(self._repr_mimebundle_(), raw=True, display_id=True))

    def _refresh_displays(self) -> None:
        for handle in self._handles:
            if handle is not None:
                handle.update(self._repr_mimebundle_(), raw=True)

    def __repr__(self) -> str:
        status = self.state.get("status", "idle") if self.state else "idle"
        return f"<AgentView {status}>"


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
