"""Raw choices and model requests as JSON, for cassettes of models that are not HTTP models."""

from __future__ import annotations

import json
from typing import Any

from pydantic import BaseModel

from ..core import (
    CompletionRequest,
    RawFinal,
    RawMessageId,
    RawReasoning,
    RawReasoningDelta,
    RawStreamingChoice,
    RawText,
    RawToolCall,
    RawToolCallDelta,
    Reasoning,
    ToolCallArgsDelta,
    ToolCallNameDelta,
    Usage,
    history_to_json,
)
from ._scripted import ScriptedResponse

__all__ = ["choice_from_json", "choice_to_json", "request_to_json"]


def _dump(value: Any) -> Any:
    return value.model_dump(mode="json") if isinstance(value, BaseModel) else value


def request_to_json(request: CompletionRequest) -> dict[str, Any]:
    """What a model was asked: the history, documents, tools and parameters."""
    return {
        "history": json.loads(history_to_json(request.chat_history)),
        "documents": [[d.id, d.text] for d in request.documents],
        "tools": [
            {"name": t.name, "description": t.description, "parameters": t.parameters}
            for t in request.tools
        ],
        "temperature": request.temperature,
        "max_tokens": request.max_tokens,
        "tool_choice": _dump(request.tool_choice),
        "additional_params": request.additional_params,
        "output_schema": request.output_schema,
    }


def choice_to_json(choice: RawStreamingChoice) -> dict[str, Any]:
    """One raw choice as JSON."""
    if isinstance(choice, RawText):
        return {"text": choice.text}
    if isinstance(choice, RawToolCall):
        return {
            "tool_call": {
                "id": choice.id,
                "name": choice.name,
                "arguments": choice.arguments,
                "internal_call_id": choice.internal_call_id,
                "call_id": choice.call_id,
                "signature": choice.signature,
                "additional_params": choice.additional_params,
            }
        }
    if isinstance(choice, RawToolCallDelta):
        delta = choice.content
        name = delta.name if isinstance(delta, ToolCallNameDelta) else None
        args = delta.delta if isinstance(delta, ToolCallArgsDelta) else None
        return {
            "tool_call_delta": {
                "id": choice.id,
                "internal_call_id": choice.internal_call_id,
                "name": name,
                "delta": args,
            }
        }
    if isinstance(choice, RawReasoning):
        return {"reasoning": {"id": choice.id, "content": _dump(choice.content)}}
    if isinstance(choice, RawReasoningDelta):
        return {"reasoning_delta": {"id": choice.id, "reasoning": choice.reasoning}}
    if isinstance(choice, RawMessageId):
        return {"message_id": choice.id}
    usage = choice.response.token_usage()
    return {"final": {"usage": None if usage is None else usage.model_dump(mode="json")}}


def choice_from_json(data: dict[str, Any]) -> RawStreamingChoice:
    """The raw choice `choice_to_json` wrote (a final's provider object becomes its usage)."""
    if "text" in data:
        return RawText(str(data["text"]))
    if "tool_call" in data:
        call: dict[str, Any] = data["tool_call"]
        return RawToolCall(**call)
    if "tool_call_delta" in data:
        delta: dict[str, Any] = data["tool_call_delta"]
        name: str | None = delta.get("name")
        content = (
            ToolCallNameDelta(name=name)
            if name is not None
            else ToolCallArgsDelta(delta=str(delta.get("delta") or ""))
        )
        return RawToolCallDelta(
            id=str(delta["id"]), internal_call_id=str(delta["internal_call_id"]), content=content
        )
    if "reasoning" in data:
        part: dict[str, Any] = data["reasoning"]
        block = Reasoning.model_validate({"id": part.get("id"), "content": [part["content"]]})
        return RawReasoning(part.get("id"), block.content[0])
    if "reasoning_delta" in data:
        part = data["reasoning_delta"]
        return RawReasoningDelta(part.get("id"), str(part.get("reasoning") or ""))
    if "message_id" in data:
        return RawMessageId(str(data["message_id"]))
    if "final" in data:
        usage: Any = data["final"].get("usage")
        return RawFinal(ScriptedResponse(usage=Usage.model_validate(usage or {})))
    raise ValueError(f"not a recorded choice: {data!r}")
