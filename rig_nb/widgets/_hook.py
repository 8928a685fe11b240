"""The hook an `AgentView` gives a run: your hook first, then the view's approval buttons."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ..core.hooks import HookAction, PromptHook, ToolCallHookAction
from ..core.messages import AnyMessage

if TYPE_CHECKING:
    from .stream_view import AgentView

__all__ = ["ViewHook"]


class ViewHook(PromptHook):
    """Your hook first, then the view's approvals."""

    def __init__(self, view: AgentView, inner: PromptHook | None) -> None:
        self.view = view
        self.inner = inner

    async def on_completion_call(
        self, prompt: AnyMessage, history: list[AnyMessage]
    ) -> HookAction | None:
        return await self.inner.on_completion_call(prompt, history) if self.inner else None

    async def on_text_delta(self, text_delta: str, aggregated_text: str) -> HookAction | None:
        return await self.inner.on_text_delta(text_delta, aggregated_text) if self.inner else None

    async def on_tool_call_delta(
        self, tool_call_id: str, internal_call_id: str, tool_name: str | None, tool_call_delta: str
    ) -> HookAction | None:
        if self.inner is None:
            return None
        return await self.inner.on_tool_call_delta(
            tool_call_id, internal_call_id, tool_name, tool_call_delta
        )

    async def on_tool_call(
        self, tool_name: str, tool_call_id: str | None, internal_call_id: str, args: str
    ) -> ToolCallHookAction | None:
        if self.inner is not None:
            action = await self.inner.on_tool_call(tool_name, tool_call_id, internal_call_id, args)
            if action is not None and action.kind != "continue":
                self.view._status(internal_call_id, "skipped", action.reason)
                return action
        return await self.view.decide(tool_name, internal_call_id)

    async def on_tool_result(
        self,
        tool_name: str,
        tool_call_id: str | None,
        internal_call_id: str,
        args: str,
        result: str,
    ) -> HookAction | None:
        if self.inner is None:
            return None
        return await self.inner.on_tool_result(
            tool_name, tool_call_id, internal_call_id, args, result
        )

    async def on_stream_completion_response_finish(
        self, prompt: AnyMessage, response: Any
    ) -> HookAction | None:
        if self.inner is None:
            return None
        return await self.inner.on_stream_completion_response_finish(prompt, response)
