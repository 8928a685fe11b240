"""Hooks: callbacks the agent loop awaits at each step, able to skip a tool or end the run (spec 3).

```python
class Approve(PromptHook):
    async def on_tool_call(self, tool_name, tool_call_id, internal_call_id, args):
        if tool_name == "delete_file":
            return ToolCallHookAction.skip("Deleting files is not allowed.")
        return ToolCallHookAction.cont()
```

Every callback is optional; returning `None` means continue. A Terminate ends the run with
`PromptCancelled`, keeping what a Stop keeps (the partial turn, with the tool calls that already
ran). An exception raised in a callback ends the run with a `HookError` (or, for a rig_nb error
such as `UserError`, with that error), also carrying the history.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from ._messages import AnyMessage

__all__ = ["HookAction", "PromptHook", "ToolCallHookAction"]


@dataclass(frozen=True, slots=True)
class HookAction:
    """Go on (`cont()`) or end the run with a reason (`terminate(reason)`)."""

    kind: Literal["continue", "terminate"] = "continue"
    reason: str = ""

    @staticmethod
    def cont() -> HookAction:
        """Go on."""
        return _CONTINUE

    @staticmethod
    def terminate(reason: str) -> HookAction:
        """End the run: the stream raises `PromptCancelled(reason)`."""
        return HookAction("terminate", reason)


_CONTINUE = HookAction()


@dataclass(frozen=True, slots=True)
class ToolCallHookAction:
    """Run the tool (`cont()`), skip it (`skip(reason)`) or end the run (`terminate(reason)`)."""

    kind: Literal["continue", "skip", "terminate"] = "continue"
    reason: str = ""

    @staticmethod
    def cont() -> ToolCallHookAction:
        """Run the tool."""
        return _TOOL_CONTINUE

    @staticmethod
    def skip(reason: str) -> ToolCallHookAction:
        """Do not run the tool; `reason` is sent to the model as its result."""
        return ToolCallHookAction("skip", reason)

    @staticmethod
    def terminate(reason: str) -> ToolCallHookAction:
        """Do not run the tool and end the run."""
        return ToolCallHookAction("terminate", reason)


_TOOL_CONTINUE = ToolCallHookAction()


class PromptHook:
    """Subclass and override the callbacks you need; all are async and default to continue."""

    async def on_completion_call(
        self, prompt: AnyMessage, history: list[AnyMessage]
    ) -> HookAction | None:
        """Before each model call. `prompt` is the turn's prompt, `history` what precedes it."""
        return None

    async def on_text_delta(self, text_delta: str, aggregated_text: str) -> HookAction | None:
        """For each text chunk, before it is yielded; `aggregated_text` is the text so far."""
        return None

    async def on_tool_call_delta(
        self,
        tool_call_id: str,
        internal_call_id: str,
        tool_name: str | None,
        tool_call_delta: str,
    ) -> HookAction | None:
        """For each streamed piece of a tool call: its name (`tool_name` set), then arguments."""
        return None

    async def on_tool_call(
        self,
        tool_name: str,
        tool_call_id: str | None,
        internal_call_id: str,
        args: str,
    ) -> ToolCallHookAction | None:
        """Before a tool runs. `tool_call_id` is the call's `call_id` (OpenAI Responses only)."""
        return None

    async def on_tool_result(
        self,
        tool_name: str,
        tool_call_id: str | None,
        internal_call_id: str,
        args: str,
        result: str,
    ) -> HookAction | None:
        """After a tool ran (not after a skip); `result` may be an error text."""
        return None

    async def on_stream_completion_response_finish(
        self, prompt: AnyMessage, response: Any
    ) -> HookAction | None:
        """When a turn that produced text ends; `response` is the provider's final object."""
        return None
