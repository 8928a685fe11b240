"""`AgentView`: the live view of a run, with approval buttons and a Stop button.

```python
view = AgentView(agent)
display(view)
final = await view.run("What's the weather in Paris?")     # or: request.with_hook(view.hook)
```

The kernel sends at most `max_updates_per_second` state updates (30), then one exact final state:
token rate is not render rate, and bursts of thousands of comm messages are dropped by the kernel's
channels (notebook-runtime.md).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, Literal, TypedDict, cast

import anywidget
import traitlets

from ..core.agent import Agent
from ..core.hooks import PromptHook, ToolCallHookAction
from ..core.messages import AnyMessage, Message, rag_text
from ..core.request import PromptStream, StreamingPromptRequest
from ..core.streaming import FinalResponse, MultiTurnStreamItem
from ..errors import PromptCancelled, RigError, UserError
from ._hook import ViewHook
from ._reducer import ViewState
from ._transcript import transcript_html, transcript_text
from .approval import ApprovalPolicy, wait_with_heartbeat

__all__ = ["AgentView", "FrontEndMessage"]

_STATIC = Path(__file__).parent / "static"
DECLINED = "The user declined to run this tool."
ALWAYS_ALLOWED = "always allowed"
"""The decision text of a card that ran because its tool is always allowed."""


class FrontEndMessage(TypedDict, total=False):
    """What the browser sends: a button click."""

    kind: Literal["approve", "skip", "terminate", "stop", "always_allow"]
    id: str
    reason: str


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
        self.policy = (
            approval if isinstance(approval, ApprovalPolicy) else ApprovalPolicy.from_env(approval)
        )
        self.always_allowed = always_allowed if always_allowed is not None else set[str]()
        self.view_state = ViewState()
        self.updates_sent = 0
        self._interval = 1.0 / max_updates_per_second
        self._last_push = float("-inf")
        self._timer: asyncio.TimerHandle | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._decisions: dict[str, asyncio.Future[ToolCallHookAction]] = {}
        self._clicked: dict[str, str] = {}
        """Decision texts of clicks that approved a card (Always allow)."""
        self._rendered_event: asyncio.Event | None = None
        self._known_tools: set[str] | None = None
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
        self._rendered_event = asyncio.Event()
        if self.rendered:
            self._rendered_event.set()
        self.run_stream = None
        try:
            self._known_tools = set(request.agent.tools.names)
            self.view_state = ViewState(rag_text(request.prompt) or "")
            self._flush()
            async with request.stream() as run:
                self.run_stream = self.last_run = run
                try:
                    async for item in run:
                        self.view_state.apply(item)
                        self._changed()
                        for listener in self.listeners:
                            listener(item)
                finally:
                    self.run_stream = None
                    self._cancel_decisions()
                    self.view_state.total(run.usage)
            if run.final_response is None:
                raise UserError("the run ended without an answer")  # not expected: a bug
        except BaseException as exc:
            self._end(exc)
            raise
        self._end(None)
        return run.final_response

    def _end(self, error: BaseException | None) -> None:
        """The final state, sent at once (and the saved transcript refreshed)."""
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
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
        return ViewHook(self, inner)

    def stop(self, reason: str = "stopped by user") -> None:
        """What the Stop button does: end the run, keeping its history."""
        if self.run_stream is not None:
            self.run_stream.cancel(reason)

    # -- approvals -----------------------------------------------------------------------------

    async def decide(self, tool_name: str, internal_call_id: str) -> ToolCallHookAction:
        """Run, skip or terminate one tool call, by policy or by a click."""
        if self._known_tools is not None and tool_name not in self._known_tools:
            # A tool the agent does not have: nothing can run, so there is nothing to approve;
            # the tool server answers the model with ToolNotFoundError.
            self._status(internal_call_id, "running")
            return ToolCallHookAction.cont()
        policy = self.policy.for_tool(tool_name)
        if policy == "ask" and tool_name in self.always_allowed:
            # "Always allow" answers the question `ask` would put; it never beats a `deny`.
            self._status(internal_call_id, "running", ALWAYS_ALLOWED)
            return ToolCallHookAction.cont()
        if policy == "ask" and not await self._front_end_present():
            policy = self.policy.headless
            verb = "ran" if policy == "auto" else "skipped"
            self._notice(
                f"No notebook front end could approve {tool_name!r}, so it was {verb} "
                f"(headless approval policy: {policy})."
            )
        if policy == "auto":
            self._status(internal_call_id, "running")
            return ToolCallHookAction.cont()
        if policy == "deny":
            why = "denied by the approval policy"
            if tool_name in self.always_allowed:
                why += " (a deny beats Always allow)"
            self._status(internal_call_id, "skipped", why)
            return ToolCallHookAction.skip(DECLINED)
        loop = asyncio.get_running_loop()
        future: asyncio.Future[ToolCallHookAction] = loop.create_future()
        self._decisions[internal_call_id] = future
        self._status(internal_call_id, "waiting")
        try:
            answered = await wait_with_heartbeat(future, self.policy.timeout)
        finally:
            self._decisions.pop(internal_call_id, None)
        if not answered:
            self._status(internal_call_id, "skipped", "no answer in time")
            self._notice(
                f"Nobody approved {tool_name!r} within {self.policy.timeout:g} s; skipped."
            )
            return ToolCallHookAction.skip(f"{DECLINED} (no answer in time)")
        action = future.result()
        if action.kind == "continue":
            self._status(internal_call_id, "running", self._clicked.pop(internal_call_id, None))
        elif action.kind == "skip":
            self._status(internal_call_id, "skipped", action.reason)
        else:
            self._status(internal_call_id, "skipped", "terminated by the user")
        return action

    async def _front_end_present(self) -> bool:
        if self.rendered or self._rendered_event is None:
            return self.rendered
        await wait_with_heartbeat(
            asyncio.ensure_future(self._rendered_event.wait()), self.policy.render_grace
        )
        return self.rendered

    def _on_rendered(self, change: dict[str, Any]) -> None:
        if change["new"] and self._loop is not None and self._rendered_event is not None:
            self._loop.call_soon_threadsafe(self._rendered_event.set)

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
        kind = message.get("kind")
        if kind == "stop":
            self.stop()
            return
        future = self._decisions.get(message.get("id", ""))
        if future is None or future.done():
            return
        reason = (message.get("reason") or "").strip()
        if kind == "approve":
            future.set_result(ToolCallHookAction.cont())
        elif kind == "always_allow":
            name = self.view_state.tool_name(message.get("id", ""))
            if name:
                self.always_allowed.add(name)
                self._clicked[message.get("id", "")] = ALWAYS_ALLOWED
            future.set_result(ToolCallHookAction.cont())
        elif kind == "skip":
            future.set_result(
                ToolCallHookAction.skip(f"{DECLINED[:-1]}: {reason}" if reason else DECLINED)
            )
        elif kind == "terminate":
            future.set_result(ToolCallHookAction.terminate(reason or "terminated by the user"))

    def _cancel_decisions(self) -> None:
        for future in self._decisions.values():
            future.cancel()
        self._decisions.clear()
        self._clicked.clear()

    # -- updates -------------------------------------------------------------------------------

    def _status(self, internal_call_id: str, status: str, decision: str | None = None) -> None:
        self.view_state.tool_status(internal_call_id, status, decision)
        self._flush()

    def _notice(self, text: str) -> None:
        self.view_state.notice(text)
        self._flush()

    def _changed(self) -> None:
        """At most one update per interval; a timer sends the last change of a quiet spell."""
        now = time.monotonic()
        if now - self._last_push >= self._interval:
            self._flush()
        elif self._timer is None and self._loop is not None:
            delay = self._interval - (now - self._last_push)
            self._timer = self._loop.call_later(delay, self._flush)

    def _flush(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        snapshot = self.view_state.snapshot()
        if snapshot == self.state:
            return  # nothing new: traitlets would send nothing either
        self.state = snapshot
        self.updates_sent += 1
        self._last_push = time.monotonic()

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
