"""Helpers for driving the loop in tests and naming what it yields."""

from __future__ import annotations

from typing import Any

from rig_nb import (
    FinalResponse,
    Reasoning,
    StreamAssistantItem,
    StreamedFinal,
    StreamedReasoningDelta,
    StreamedText,
    StreamedToolCall,
    StreamedToolCallDelta,
    StreamingError,
    StreamUserItem,
)
from rig_nb.core import MultiTurnStreamItem


async def collect(request: Any) -> tuple[list[MultiTurnStreamItem], StreamingError | None]:
    """All items of a run, and the error that ended it (None on success)."""
    items: list[MultiTurnStreamItem] = []
    try:
        async for item in request:
            items.append(item)
    except StreamingError as exc:
        return items, exc
    return items, None


def kind(item: MultiTurnStreamItem) -> str:
    """A short label: Text:abc, ToolCall:name, ToolCallDelta, ToolResult, Reasoning, Final..."""
    if isinstance(item, FinalResponse):
        return "FinalResponse"
    if isinstance(item, StreamUserItem):
        return "ToolResult"
    assert isinstance(item, StreamAssistantItem)
    c = item.content
    if isinstance(c, StreamedText):
        return f"Text:{c.text}"
    if isinstance(c, StreamedToolCall):
        return f"ToolCall:{c.tool_call.function.name}"
    if isinstance(c, StreamedToolCallDelta):
        return "ToolCallDelta"
    if isinstance(c, Reasoning):
        return "Reasoning"
    if isinstance(c, StreamedReasoningDelta):
        return "ReasoningDelta"
    assert isinstance(c, StreamedFinal)
    return "Final"


def kinds(items: list[MultiTurnStreamItem]) -> list[str]:
    return [kind(i) for i in items]


def final_of(items: list[MultiTurnStreamItem]) -> FinalResponse:
    assert isinstance(items[-1], FinalResponse), kinds(items)
    return items[-1]
