"""The hook an `AgentView` gives a run: your hook first, then the view's approval desk."""

from __future__ import annotations

from typing import Any

from ..core import AnyMessage, HookAction, PromptHook, ToolCallHookAction
from ._approvals import Approvals

__all__ = ["ViewHook"]


class ViewHook(PromptHook):
    """Your hook first, then the view's approvals."""

    def __init__(self, approvals: Approvals, inner: PromptHook | None) -> None:
        self.approvals = approvals
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
                self.approvals.mark(internal_call_id, "skipped", action.reason)
                return action
        return await self.approvals.decide(tool_name, internal_call_id)

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
