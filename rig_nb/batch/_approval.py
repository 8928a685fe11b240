"""Tool approvals for a whole batch: `auto`, `deny` or `ask`, per tool, decided once for all rows.

```python
agent.map(prompts, approval="deny")                                   # no tool runs
agent.map(prompts, approval={"search": "auto", "delete_row": "deny"})  # per tool ("*": the rest)
agent.map(prompts, approval="ask", on_approval=decide)               # ask once per tool
```

Without `approval=`, tools run under the agent's own hook, as in a single run. `auto` runs the
tool (the agent's hook, when it has one, still decides); `deny` skips it, and the model is told
why; `ask` awaits `on_approval(tool_name, args)` the first time a tool is called (one question
even when many rows call it at once), and its answer (True: approve for all rows, False: deny for
all) holds for the rest of the batch. The live view of `%%agent --over` answers it with buttons.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Mapping
from typing import Any, Literal

from ..core import AnyMessage, HookAction, PromptHook, ToolCallHookAction
from ..errors import UserError

__all__ = ["ApprovalPolicy", "BatchApprovalHook", "Decide", "approval_hook"]

ApprovalPolicy = Literal["ask", "auto", "deny"]
Decide = Callable[[str, str], Awaitable[bool]]
_POLICIES = ("ask", "auto", "deny")


class BatchApprovalHook(PromptHook):
    """Decides tool calls by policy, once per tool; every other callback goes to `inner`."""

    def __init__(
        self,
        policy: Mapping[str, ApprovalPolicy],
        inner: PromptHook | None = None,
        decide: Decide | None = None,
    ) -> None:
        self.policy = dict(policy)
        self.inner = inner
        self.decide = decide
        self.decisions: dict[str, asyncio.Future[bool]] = {}
        """Per tool: approved (True) or denied (False) for every row."""

    def policy_for(self, tool_name: str) -> ApprovalPolicy:
        """The tool's policy, else the `*` default, else `auto`."""
        return self.policy.get(tool_name, self.policy.get("*", "auto"))

    async def _approved(self, tool_name: str, args: str) -> bool:
        decision = self.decisions.get(tool_name)
        if decision is None:
            assert self.decide is not None
            decision = self.decisions[tool_name] = asyncio.get_running_loop().create_future()
            try:
                decision.set_result(bool(await self.decide(tool_name, args)))
            except BaseException as exc:
                del self.decisions[tool_name]  # the next call asks again
                decision.set_exception(exc)
                raise
        return await asyncio.shield(decision)

    async def on_tool_call(
        self, tool_name: str, tool_call_id: str | None, internal_call_id: str, args: str
    ) -> ToolCallHookAction | None:
        """Skip a denied tool; ask once for an `ask` one; let the inner hook decide the rest."""
        policy = self.policy_for(tool_name)
        if policy == "deny":
            return ToolCallHookAction.skip(f"The tool {tool_name} is denied for this batch.")
        if policy == "ask" and not await self._approved(tool_name, args):
            return ToolCallHookAction.skip(f"The tool {tool_name} was denied for every row.")
        if self.inner is None:
            return None
        return await self.inner.on_tool_call(tool_name, tool_call_id, internal_call_id, args)

    async def on_completion_call(
        self, prompt: AnyMessage, history: list[AnyMessage]
    ) -> HookAction | None:
        """The inner hook's."""
        return None if self.inner is None else await self.inner.on_completion_call(prompt, history)

    async def on_text_delta(self, text_delta: str, aggregated_text: str) -> HookAction | None:
        """The inner hook's."""
        if self.inner is None:
            return None
        return await self.inner.on_text_delta(text_delta, aggregated_text)

    async def on_tool_call_delta(
        self, tool_call_id: str, internal_call_id: str, tool_name: str | None, tool_call_delta: str
    ) -> HookAction | None:
        """The inner hook's."""
        if self.inner is None:
            return None
        return await self.inner.on_tool_call_delta(
            tool_call_id, internal_call_id, tool_name, tool_call_delta
        )

    async def on_tool_result(
        self,
        tool_name: str,
        tool_call_id: str | None,
        internal_call_id: str,
        args: str,
        result: str,
    ) -> HookAction | None:
        """The inner hook's."""
        if self.inner is None:
            return None
        return await self.inner.on_tool_result(
            tool_name, tool_call_id, internal_call_id, args, result
        )

    async def on_stream_completion_response_finish(
        self, prompt: AnyMessage, response: Any
    ) -> HookAction | None:
        """The inner hook's."""
        if self.inner is None:
            return None
        return await self.inner.on_stream_completion_response_finish(prompt, response)


def approval_hook(
    approval: ApprovalPolicy | Mapping[str, ApprovalPolicy] | None,
    inner: PromptHook | None,
    decide: Decide | None,
) -> PromptHook | None:
    """The hook a batch's rows run with (`None`: the agent's own)."""
    if approval is None:
        if decide is not None:
            raise UserError("on_approval= needs approval='ask' (or 'ask' for some tools)")
        return None
    policy: dict[str, ApprovalPolicy] = (
        {"*": approval} if isinstance(approval, str) else dict(approval)
    )
    for tool_name, value in policy.items():
        if value not in _POLICIES:
            raise UserError(f"approval for {tool_name!r} is {value!r}; use 'ask', 'auto' or 'deny'")
    if "ask" in policy.values() and decide is None:
        raise UserError(
            "approval='ask' needs on_approval=, an async function (tool_name, args) -> bool that "
            "decides for every row (the %%agent --over view gives one); headless, use 'auto' "
            "or 'deny'"
        )
    return BatchApprovalHook(policy, inner, decide)
