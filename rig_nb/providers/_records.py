"""What each provider family streams, as typed records: one section per family.

A chunk is decoded at one place in its family's `parse` (`json_object(data, provider, Record)`)
and read through these types from then on. They cost nothing at run time: a TypedDict is the
dict `json.loads` made. They say what a well-behaved server sends; values from the wire are still
checked wherever a wrong type would break the parser (tests/providers/test_fault_matrix.py sends
the wrong ones).
"""

from __future__ import annotations

from typing import Any, TypedDict

__all__ = [
    "AnthropicBlock",
    "AnthropicDelta",
    "AnthropicEvent",
    "AnthropicUsageRecord",
    "ChatChunk",
    "ChatDelta",
    "ChatFunctionDelta",
    "ChatToolCallDelta",
    "GeminiCandidate",
    "GeminiChunk",
    "GeminiPart",
    "OllamaFunction",
    "OllamaLine",
    "OllamaMessage",
    "ResponsesEvent",
    "ResponsesItem",
    "ResponsesResponse",
]


# -- OpenAI chat completions (and every compatible server) ---------------------------------------


class ChatFunctionDelta(TypedDict, total=False):
    name: str | None
    arguments: str | dict[str, Any] | list[Any] | None
    """Text to append; a few compatible servers send parsed JSON."""


class ChatToolCallDelta(TypedDict, total=False):
    index: int
    id: str | None
    type: str
    function: ChatFunctionDelta | None


class ChatDelta(TypedDict, total=False):
    role: str
    content: str | None
    reasoning_content: str | None
    """DeepSeek, vLLM, llama.cpp."""
    reasoning: str | None
    """OpenRouter, Ollama's `/v1`."""
    tool_calls: list[ChatToolCallDelta] | None


class ChatChoice(TypedDict, total=False):
    index: int
    delta: ChatDelta | None
    finish_reason: str | None


class ChatChunk(TypedDict, total=False):
    id: str
    model: str
    choices: list[ChatChoice]
    usage: dict[str, Any] | None
    """Validated by `OpenAIChatUsage`."""
    error: dict[str, Any] | str


# -- OpenAI Responses ----------------------------------------------------------------------------


class ResponsesItem(TypedDict, total=False):
    type: str
    """`message`, `function_call`, `reasoning`..."""
    id: str
    name: str
    call_id: str | None
    arguments: str
    summary: list[dict[str, Any]]
    content: list[dict[str, Any]]
    encrypted_content: str | None


class ResponsesResponse(TypedDict, total=False):
    id: str
    model: str
    usage: dict[str, Any] | None
    incomplete_details: dict[str, Any] | None
    error: dict[str, Any] | None


class ResponsesEvent(TypedDict, total=False):
    type: str
    delta: str
    item_id: str
    item: ResponsesItem
    response: ResponsesResponse
    code: str | None
    message: str


# -- Anthropic Messages --------------------------------------------------------------------------


class AnthropicUsageRecord(TypedDict, total=False):
    input_tokens: int | None
    output_tokens: int | None
    cache_creation_input_tokens: int | None
    cache_read_input_tokens: int | None


class AnthropicMessage(TypedDict, total=False):
    id: str
    model: str
    usage: AnthropicUsageRecord


class AnthropicBlock(TypedDict, total=False):
    type: str
    """`text`, `tool_use`, `thinking`, `redacted_thinking`."""
    id: str
    name: str
    text: str
    data: str


class AnthropicDelta(TypedDict, total=False):
    type: str
    """`text_delta`, `input_json_delta`, `thinking_delta`, `signature_delta`; none on a
    `message_delta`, whose delta carries `stop_reason`."""
    text: str
    partial_json: str
    thinking: str
    signature: str
    stop_reason: str | None


class AnthropicError(TypedDict, total=False):
    type: str
    message: str


class AnthropicEvent(TypedDict, total=False):
    type: str
    message: AnthropicMessage
    content_block: AnthropicBlock
    delta: AnthropicDelta
    usage: AnthropicUsageRecord
    error: AnthropicError


# -- Gemini --------------------------------------------------------------------------------------


class GeminiFunctionCall(TypedDict, total=False):
    id: str
    name: str
    args: dict[str, Any]


class GeminiPart(TypedDict, total=False):
    text: str
    thought: bool
    thoughtSignature: str
    functionCall: GeminiFunctionCall


class GeminiContent(TypedDict, total=False):
    role: str
    parts: list[GeminiPart]


class GeminiCandidate(TypedDict, total=False):
    content: GeminiContent
    finishReason: str


class GeminiChunk(TypedDict, total=False):
    candidates: list[GeminiCandidate]
    usageMetadata: dict[str, Any]
    """Running totals (`promptTokenCount`...), validated by `GeminiResponse`."""
    responseId: str
    modelVersion: str
    error: dict[str, Any]


# -- Ollama (native /api/chat, NDJSON) ------------------------------------------------------------


class OllamaFunction(TypedDict, total=False):
    name: str
    arguments: dict[str, Any]


class OllamaToolCall(TypedDict, total=False):
    id: str
    function: OllamaFunction


class OllamaMessage(TypedDict, total=False):
    role: str
    content: str
    thinking: str
    tool_calls: list[OllamaToolCall]


class OllamaLine(TypedDict, total=False):
    model: str
    message: OllamaMessage
    done: bool
    done_reason: str
    error: str
