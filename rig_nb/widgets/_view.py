"""`AgentView`: the live view of a run, with approval buttons and a Stop button.

```python
view = AgentView(agent)
display(view)
final = await view.run("What's the weather in Paris?")     # or: request.with_hook(view.hook)
```

The kernel syncs the whole state (the `_state` trait) when a run starts and one exact final state
when it ends; in between it sends at most `max_updates_per_second` (30) delta messages, each only
what changed since the last (`_delta.py`, `_coalesce.py`), images as binary buffers. The
approval buttons are answered by the view's approval desk (`_approvals.py`) through the hook it
gives each run (`_hook.py`); `_reducer.py` folds the items into the state and `_transcript.py`
renders it where no widget can show.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any, cast

import anywidget
import traitlets
from ipywidgets.widgets.widget import _remove_buffers

from ..core import (
    Agent,
    AnyMessage,
    FinalResponse,
    Message,
    MultiTurnStreamItem,
    PromptHook,
    PromptStream,
    StreamingPromptRequest,
    Tool,
    ToolCallHookAction,
    rag_text,
)
from ..errors import UserError
from ._approvals import ApprovalPolicy, Approvals, Policy
from ._coalesce import Coalescer
from ._hook import ViewHook
from ._module import view_module
from ._policy import on_loop
from ._protocol import DeltaMessage, FrontEndMessage, StateMessage
from ._protocol import ViewState as ViewStateData
from ._reducer import ViewState
from ._saved import FRONT_END, WIDGET_VIEW, SavedDisplay, SavedView, ending, saved_view_setting
from ._transcript import transcript_html, transcript_text

__all__ = ["AgentView", "SavedView", "ending"]

_STATIC = Path(__file__).parent / "static"


class AgentView(SavedDisplay, anywidget.AnyWidget):
    """A live, sanitised view of an agent run."""

    _esm = _STATIC / "loader.js"
    """A 1 KiB loader: the view itself comes once per kernel from `_module` (`_module.py`)."""
    _module = traitlets.Unicode("").tag(sync=True)
    _view_id = traitlets.Unicode("").tag(sync=True)
    """This widget's own id: its live view hides the transcript output that repeats it."""
    _state = traitlets.Dict().tag(sync=True)
    """The whole state, as of the start or the end of a run (deltas bring it up to date)."""
    rendered = traitlets.Bool(False).tag(sync=True)
    """Set by the browser when a view rendered: someone can click."""
    saves_state = traitlets.Bool(False).tag(sync=True)
    """Set by the browser: its notebook saves widget state (JupyterLab's "Save Widget State
    Automatically"), so a saved notebook can show the live view again."""

    def __init__(
        self,
        agent: Agent | None = None,
        *,
        approval: ApprovalPolicy | str | None = None,
        always_allowed: set[str] | None = None,
        max_updates_per_second: float = 30.0,
        saved_view: SavedView | None = None,
        **kwargs: Any,
    ) -> None:
        self.saved_view: SavedView = saved_view_setting(saved_view)
        """What a finished run's output keeps (`auto` / `widget` / `transcript`): `_saved.py`."""
        super().__init__(_module=f"IPY_MODEL_{view_module().model_id}", **kwargs)
        self._view_id = self.model_id
        self.agent = agent
        policy = (
            approval if isinstance(approval, ApprovalPolicy) else ApprovalPolicy.from_env(approval)
        )
        allowed = always_allowed if always_allowed is not None else set[str]()
        self._approvals = Approvals(policy, allowed, self._changed)
        self._coalescer = Coalescer(self._send_delta, max_updates_per_second)
        self.view_state = ViewState()
        self._live = self._ran = False
        self.updates_sent = 0
        """State and delta messages sent (the initial, final and requested states included)."""
        self._loop: asyncio.AbstractEventLoop | None = None
        self.run_stream: PromptStream | None = None
        self.last_run: PromptStream | None = None
        """The latest run: its `history`, `cancelled` and `error` stay readable after it ended."""
        self._handles: list[Any] = []
        self._twin: Any = None  # the transcript output beside a kept live view
        self.listeners: list[Callable[[MultiTurnStreamItem], None]] = []
        """Called with every item (the magic's no-widget mode prints from here)."""
        self.on_msg(self._on_message)
        self.observe(self._on_rendered, names="rendered")
        self.observe(lambda c: FRONT_END.update(saves_state=c["new"]), names="saves_state")

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
            self.view_state = self._new_state(prompt if isinstance(prompt, str) else "")
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
            agent = request.agent
            prompt = rag_text(request.prompt) or ""
            self.view_state = self._new_state(prompt, agent.preamble or "", agent.tools)
            schemas = self.view_state.state["schemas"]
            asked: dict[str, Policy] = {t.name: t.approval for t in agent.tools if t.approval}
            limits = request.effective_usage_limits
            most = limits.max_tool_calls if limits is not None else None
            self._approvals.begin(
                self.view_state, set(agent.tools.names), schemas, asked, max_tool_calls=most
            )
            self._live = self._ran = True
            self._send_whole()
            self._refresh_displays()  # a view shown as a transcript after a run is live again
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
                    self._approvals.end()
                    self.view_state.total(run.usage, run.calls)
            if run.final_response is None:
                raise UserError("the run ended without an answer")  # not expected: a bug
        except Exception as exc:
            try:
                await self._front_end_settled()  # (an interrupt or a cancel does not wait)
            finally:
                self._end(exc)
            raise
        except BaseException as exc:
            self._end(exc)
            raise
        await self._front_end_settled()
        self._end(None)
        return run.final_response

    async def _front_end_settled(self) -> None:
        """Give a shown view `render_grace` to render (and say if its notebook saves state)."""
        if (
            self.saved_view != "auto"
            or not self._handles
            or self.rendered
            or FRONT_END["seen"] is False
        ):
            return
        if not await self._approvals.front_end_present() and FRONT_END["seen"] is None:
            FRONT_END["seen"] = False

    def _new_state(self, prompt: str, system: str = "", tools: Iterable[Tool] = ()) -> ViewState:
        """A run's state, numbered on from the last frame this view sent."""
        return ViewState.for_run(prompt, system, tools, seq=self.view_state.changes.seq)

    def _end(self, error: BaseException | None) -> None:
        """The final state, sent at once (and the saved transcript refreshed)."""
        self._coalescer.cancel()
        self._live = False
        if error is not None:
            message, cancelled = ending(error)
            try:
                self.view_state.fail(message, cancelled=cancelled)
            except Exception:
                self.view_state.state.update(
                    status="cancelled" if cancelled else "error", error=message
                )
        try:
            self._send_whole()
        except Exception as exc:
            # The state could not be built (a bug in the view): send the ending on its own.
            message, cancelled = ending(error or exc)
            self._state = {
                **self._state,
                "seq": self.view_state.changes.seq + 1,
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
        if change["new"]:
            FRONT_END["seen"] = True

    def _on_message(self, _widget: object, content: Any, _buffers: object) -> None:
        """Button clicks; on ipykernel 7.0-7.3 this runs in a subshell thread."""
        if not isinstance(content, dict):
            return
        on_loop(self._loop, self.handle_message, cast(FrontEndMessage, content))

    def handle_message(self, message: FrontEndMessage) -> None:
        """Apply one click (on the event loop's thread)."""
        kind = message.get("kind")
        if kind == "stop":
            self.stop()
        elif kind == "request_state":
            self._answer_state()
        else:
            self._approvals.click(message)

    # -- state and updates -----------------------------------------------------------------------

    @property
    def state(self) -> ViewStateData:
        """The view's state: the live one while a run goes on, else the last one sent."""
        if self._live:
            return self.view_state.current()
        return cast(ViewStateData, self._state)

    @state.setter
    def state(self, value: ViewStateData) -> None:
        """Show a state of your own (a crafted view: the run's own state replaces it)."""
        self._state = cast(dict[str, Any], value)

    def _changed(self) -> None:
        """The state changed: a delta goes out now, or at the end of the coalescing interval."""
        self._coalescer.changed(self._loop)

    def _send_delta(self) -> None:
        """Send what changed since the last frame, if anything did."""
        self._coalescer.cancel()
        delta = self.view_state.delta()
        if delta is not None:
            self._send_message(delta)
        self._coalescer.pushed()

    def _send_whole(self) -> None:
        """Sync the whole state (numbered as the next frame) in the `_state` trait."""
        self._coalescer.cancel()
        self._state = cast(dict[str, Any], self.view_state.snapshot())
        self.updates_sent += 1
        self._coalescer.pushed()

    def _answer_state(self) -> None:
        """A front end asks for the whole state.

        What changed goes out first (to every front end), then the whole state, so each front
        end is whole again whichever frame it had.
        """
        if self._live:
            self._send_delta()
            message: StateMessage = {"type": "state", "state": self.view_state.snapshot()}
        else:
            message = {"type": "state", "state": cast(ViewStateData, self._state)}
        self._send_message(message)

    def _send_message(self, message: DeltaMessage | StateMessage) -> None:
        """A custom comm message; bytes (images) go as binary buffers, their paths beside them."""
        removed: Any = _remove_buffers(cast(dict[str, Any], message))
        content: dict[str, Any] = removed[0]
        paths, buffers = removed[1], removed[2]
        if paths:
            content["buffer_paths"] = paths
        self.send(content, buffers or None)
        self.updates_sent += 1

    # -- display -------------------------------------------------------------------------------

    def _texts(self) -> tuple[str, str]:
        return transcript_text(self.state) or "AgentView (no run yet)", transcript_html(self.state)

    def _saves_state(self) -> bool:
        return self.saves_state

    def _refresh_displays(self) -> dict[str, Any]:
        """Update every display of the view; beside a kept live widget, show the transcript too.

        After a run whose output keeps the live widget, the transcript is an output of its own
        (shown once, then updated). Where widgets render, the live view hides that output (a CSS
        rule it adds while it lives); where they do not (nbconvert's HTML with widget state but
        no network, GitHub), the transcript is there to read instead of a blank widget output.
        """
        bundle = super()._refresh_displays()
        if not self._handles or self._live or WIDGET_VIEW not in bundle:
            return bundle
        twin = {"text/html": transcript_html(self.state, view_id=self.model_id)}
        if self._twin is None:
            from IPython.display import display

            self._twin = display(twin, raw=True, display_id=True)
        else:
            self._twin.update(twin, raw=True)
        return bundle

    def __repr__(self) -> str:
        status = self.state.get("status", "idle") if self.state else "idle"
        return f"<AgentView {status}>"
