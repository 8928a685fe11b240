"""What one turn of the loop produces, and how it becomes history (spec 2.2 T7-T10, 2.5)."""

from __future__ import annotations

import json
from typing import Any

from ._content import Text, ToolCall, ToolResult
from ._messages import AnyMessage, AssistantMessage, UserMessage
from ._reasoning import Reasoning, ReasoningText

__all__ = ["Turn", "merge_reasoning_blocks", "result_message", "value_to_json_string"]


def merge_reasoning_blocks(acc: list[Reasoning], incoming: Reasoning) -> None:
    """Extend the last block with the same non-null id, or append `incoming` (spec 2.5)."""
    if incoming.id is not None:
        for i in range(len(acc) - 1, -1, -1):
            if acc[i].id == incoming.id:
                acc[i] = Reasoning(id=incoming.id, content=[*acc[i].content, *incoming.content])
                return
    acc.append(incoming)


def value_to_json_string(value: Any) -> str:
    """Tool arguments as text: a JSON string value is passed raw, anything else as compact JSON."""
    if isinstance(value, str):
        return value
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


def result_message(tool_id: str, call_id: str | None, result: str) -> UserMessage:
    """One tool result as its own user message (spec T10b)."""
    content = ToolResult.from_tool_output(result)
    return UserMessage(content=[ToolResult(id=tool_id, call_id=call_id, content=content)])


class Turn:
    """What one turn has produced so far.

    `calls` and `results` hold only the tool calls that ran (or were skipped) and their results,
    so the history of a turn cut short (a Stop, a hook's Terminate, an error) stays well formed:
    every tool call in it has its result.
    """

    def __init__(self) -> None:
        self.text: list[str] = []
        self.reasoning: list[Reasoning] = []
        self.delta_text: list[str] = []
        self.delta_id: str | None = None
        """The first non-null id of the turn's reasoning deltas (spec T8: first one wins)."""
        self.calls: list[ToolCall] = []
        self.results: list[tuple[str, str | None, str]] = []
        self.message_id: str | None = None

    def record(self, call: ToolCall, result: str) -> None:
        """A tool call and its result (the text the model gets)."""
        self.calls.append(call)
        self.results.append((call.id, call.call_id, result))

    def all_reasoning(self) -> list[Reasoning]:
        """Full blocks; or, when none came, the deltas as one unsigned block (spec T9)."""
        if self.reasoning or not self.delta_text:
            return list(self.reasoning)
        return [Reasoning(id=self.delta_id, content=[ReasoningText(text="".join(self.delta_text))])]

    def messages(self) -> list[AnyMessage]:
        """The assistant message (text, reasoning, tool calls) and one user message per result."""
        text = "".join(self.text)
        content: list[Any] = [Text(text=text)] if text else []
        content += self.all_reasoning()
        content += self.calls
        out: list[AnyMessage] = []
        if content:
            out.append(AssistantMessage(id=self.message_id, content=content))
        out += [result_message(tid, cid, result) for tid, cid, result in self.results]
        return out
