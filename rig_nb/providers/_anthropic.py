"""Anthropic Messages: `AnthropicModel("claude-sonnet-4-5")`, key from `ANTHROPIC_API_KEY`."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any, ClassVar

from pydantic import BaseModel

from ..core import (
    AnyMessage,
    AssistantMessage,
    CompletionRequest,
    DocumentContent,
    DocumentSourceKind,
    Image,
    RawFinal,
    RawReasoning,
    RawReasoningDelta,
    RawStreamingChoice,
    RawText,
    RawToolCall,
    RawToolCallDelta,
    Reasoning,
    ReasoningEncrypted,
    ReasoningRedacted,
    ReasoningSummary,
    ReasoningText,
    SystemMessage,
    Text,
    ToolCall,
    ToolCallArgsDelta,
    ToolCallNameDelta,
    ToolChoice,
    ToolChoiceSpecific,
    ToolResult,
    Usage,
    new_internal_call_id,
)
from ..core._messages import derived
from ..errors import ProviderError, RequestError
from ._base import HttpModel, JsonFragment, Out, drive, dumps, json_object
from ._convert import (
    arguments_dict,
    document_text,
    image_mime,
    merge_params,
    source_base64,
    source_url,
)
from ._records import AnthropicBlock, AnthropicDelta, AnthropicEvent, AnthropicUsageRecord
from ._sse import ServerSentEvent, aiter_sse_batches
from ._trace import record_response

__all__ = ["AnthropicModel", "AnthropicResponse", "AnthropicUsage"]


class AnthropicUsage(BaseModel):
    """Usage as Anthropic reports it."""

    input_tokens: int = 0
    output_tokens: int = 0
    cache_creation_input_tokens: int | None = None
    cache_read_input_tokens: int | None = None


class AnthropicResponse(BaseModel):
    """The final object of a Messages stream: `{"usage": {...}}`."""

    usage: AnthropicUsage = AnthropicUsage()

    def token_usage(self) -> Usage | None:
        """Total counts cached and cache-written input too, as rig does."""
        u = self.usage
        read = u.cache_read_input_tokens or 0
        created = u.cache_creation_input_tokens or 0
        return Usage(
            input_tokens=u.input_tokens,
            output_tokens=u.output_tokens,
            total_tokens=u.input_tokens + read + created + u.output_tokens,
            cached_input_tokens=read,
            cache_creation_input_tokens=created,
        )


class AnthropicModel(HttpModel):
    """Streams `POST {base_url}/v1/messages`."""

    provider_name: ClassVar[str] = "anthropic"
    default_base_url: ClassVar[str] = "https://api.anthropic.com"
    key_env: ClassVar[str | None] = "ANTHROPIC_API_KEY"
    base_url_env: ClassVar[str | None] = "ANTHROPIC_BASE_URL"
    api_version: ClassVar[str] = "2023-06-01"
    default_max_tokens: int = 4096
    """Anthropic requires `max_tokens`; this is sent when the agent sets none."""

    def _example(self) -> str:
        return "claude-sonnet-4-5"

    def auth_headers(self, key: str) -> dict[str, str]:
        """`x-api-key` and the API version."""
        return {"x-api-key": key, "anthropic-version": self.api_version}

    def path(self, request: CompletionRequest) -> str:
        """`/v1/messages`."""
        return "/v1/messages"

    def build_body(self, request: CompletionRequest) -> dict[str, Any]:
        """System messages lifted to `system`, documents first, tool results batched."""
        system: list[dict[str, Any]] = []
        if request.preamble:
            system.append({"type": "text", "text": request.preamble})
        documents = request.normalized_documents()
        history: list[AnyMessage] = ([documents] if documents else []) + list(request.chat_history)
        turns: list[AnyMessage] = []
        for message in history:
            if isinstance(message, SystemMessage):
                if message.content:
                    system.append({"type": "text", "text": message.content})
            else:
                turns.append(message)
        body: dict[str, Any] = {
            "model": self.model_name,
            "messages": JsonFragment(lambda: _messages_json(turns)),
            "max_tokens": request.max_tokens or self.default_max_tokens,
            "stream": True,
        }
        if request.output_schema is not None:  # no native JSON-schema mode: ask for it
            schema = json.dumps(request.output_schema, ensure_ascii=False)
            system.append(
                {
                    "type": "text",
                    "text": f"Answer with JSON only, matching this JSON schema: {schema}",
                }
            )
        if system:
            body["system"] = system
        if request.tools:
            body["tools"] = [
                {"name": t.name, "description": t.description, "input_schema": t.parameters}
                for t in request.tools
            ]
            body["tool_choice"] = _tool_choice(request.tool_choice)
        if request.temperature is not None:
            body["temperature"] = request.temperature
        return merge_params(body, request.additional_params)

    async def parse(self, lines: AsyncIterator[str]) -> AsyncIterator[RawStreamingChoice]:
        """Messages events to raw choices (spec 4.3); `error` events end the stream as errors."""
        state = _StreamState()

        def handle(event: ServerSentEvent, out: Out) -> bool:
            text = event.data
            if not text or (text[0].isspace() and not text.strip()):
                return False
            data = json_object(text, self.provider_name, AnthropicEvent)
            kind = data.get("type")
            if kind == "error":
                error = data.get("error") or {}
                kind, message = error.get("type", "error"), error.get("message", "")
                raise ProviderError(f"anthropic stream error: {kind}: {message}")
            state.take(kind, data, out)
            return state.stopped

        async for raw in drive(aiter_sse_batches(lines), handle):
            yield raw
        if not state.stopped:
            raise ProviderError("the anthropic stream ended before its message_delta stop_reason")
        yield RawFinal(AnthropicResponse(usage=state.usage))


class _StreamState:
    """The blocks in progress of one Messages stream."""

    def __init__(self) -> None:
        self.usage = AnthropicUsage()
        self.stopped = False
        self.tool: dict[str, Any] | None = None
        self.thinking: list[str] | None = None
        self.signature: list[str] = []

    def take(self, kind: Any, data: AnthropicEvent, out: Out) -> None:
        """One event's raw choices into `out` (the text deltas first: most events are)."""
        if kind == "content_block_delta":
            delta: AnthropicDelta = data.get("delta") or {}
            if delta.get("type") == "text_delta" and self.tool is None:
                if text := delta.get("text"):
                    out.append(text)
            else:
                out += self._delta(delta)
        elif kind == "message_start":
            message = data.get("message") or {}
            record_response(message.get("id"), message.get("model"))
            usage = message.get("usage") or {}
            self.usage = AnthropicUsage(input_tokens=usage.get("input_tokens") or 0)
        elif kind == "content_block_start":
            out += self._start(data.get("content_block") or {})
        elif kind == "content_block_stop":
            out += self._stop()
        elif kind == "message_delta":
            usage: AnthropicUsageRecord = data.get("usage") or {}
            self.usage = AnthropicUsage(
                input_tokens=usage.get("input_tokens") or self.usage.input_tokens,
                output_tokens=usage.get("output_tokens") or 0,
                cache_creation_input_tokens=usage.get("cache_creation_input_tokens"),
                cache_read_input_tokens=usage.get("cache_read_input_tokens"),
            )
            if (data.get("delta") or {}).get("stop_reason"):
                self.stopped = True
                # A block still open (cut by max_tokens before its content_block_stop) ends too.
                if self.tool is not None or self.thinking is not None:
                    out += self._stop()

    def _start(self, block: AnthropicBlock) -> list[RawStreamingChoice]:
        kind = block.get("type")
        if kind == "tool_use":
            iid = new_internal_call_id()
            self.tool = {
                "id": block.get("id", ""),
                "name": block.get("name", ""),
                "iid": iid,
                "json": [],
            }
            name = ToolCallNameDelta(name=self.tool["name"])
            return [RawToolCallDelta(id=self.tool["id"], internal_call_id=iid, content=name)]
        if kind == "thinking":
            self.thinking, self.signature = [], []
        elif kind == "redacted_thinking":
            return [RawReasoning(None, ReasoningRedacted(data=block.get("data", "")))]
        elif kind == "text" and (text := block.get("text")):
            return [RawText(text)]
        return []

    def _delta(self, delta: AnthropicDelta) -> list[RawStreamingChoice]:
        kind = delta.get("type")
        if kind == "input_json_delta" and self.tool is not None:
            part = delta.get("partial_json") or ""
            self.tool["json"].append(part)
            if part:
                args = ToolCallArgsDelta(delta=part)
                return [
                    RawToolCallDelta(
                        id=self.tool["id"], internal_call_id=self.tool["iid"], content=args
                    )
                ]
        elif kind == "thinking_delta" and self.thinking is not None:
            text = delta.get("thinking") or ""
            self.thinking.append(text)
            return [RawReasoningDelta(None, text)] if text else []
        elif kind == "signature_delta":
            self.signature.append(delta.get("signature") or "")
        return []

    def _stop(self) -> list[RawStreamingChoice]:
        if self.tool is not None:
            tool, self.tool = self.tool, None
            text = "".join(tool["json"])
            try:
                value: Any = json.loads(text) if text.strip() else {}
            except ValueError:
                value = None
            # Input that is not a JSON object (cut off by max_tokens, malformed) is kept raw:
            # the model gets the parse error as the tool's result (rig raised JsonError).
            arguments = value if isinstance(value, dict) else text
            return [
                RawToolCall(
                    id=tool["id"],
                    name=tool["name"],
                    arguments=arguments,
                    internal_call_id=tool["iid"],
                )
            ]
        if self.thinking is not None:
            text, self.thinking = "".join(self.thinking), None
            if text:
                signature = "".join(self.signature) or None
                return [RawReasoning(None, ReasoningText(text=text, signature=signature))]
        return []


def _messages_json(turns: list[AnyMessage]) -> str:
    """The `messages` array: one message per role in a row (one user turn per tool round).

    Each history message is converted and encoded once, ever (`message_json`).
    """
    merged: list[tuple[str, list[str]]] = []
    for message in turns:
        role, blocks = derived(message, "anthropic", _json)
        if not blocks:
            continue
        if merged and merged[-1][0] == role:
            merged[-1][1].append(blocks)
        else:
            merged.append((role, [blocks]))
    items = [f'{{"role":"{role}","content":[{",".join(blocks)}]}}' for role, blocks in merged]
    return f"[{','.join(items)}]"


def _json(message: AnyMessage) -> tuple[str, str]:
    """A message's role and its content blocks as JSON text (comma-separated)."""
    role, blocks = _convert(message)
    return role, ",".join(dumps(block) for block in blocks)


def _tool_choice(choice: ToolChoice | None) -> dict[str, Any]:
    if isinstance(choice, ToolChoiceSpecific):
        return {"type": "tool", "name": choice.function_names[0]}
    return {"type": {"required": "any", "none": "none"}.get(choice or "auto", "auto")}


def _convert(message: AnyMessage) -> tuple[str, list[dict[str, Any]]]:
    if isinstance(message, AssistantMessage):
        thinking: list[dict[str, Any]] = []
        rest: list[dict[str, Any]] = []
        for item in message.content:
            if isinstance(item, Reasoning):
                thinking += _reasoning_blocks(item)
            elif isinstance(item, Text):
                if item.text:
                    rest.append({"type": "text", "text": item.text})
            elif isinstance(item, ToolCall):
                args = arguments_dict(item.function.arguments)
                rest.append(
                    {"type": "tool_use", "id": item.id, "name": item.function.name, "input": args}
                )
            else:
                rest.append(_image_block(item))
        # Anthropic wants thinking blocks first when thinking is on.
        return "assistant", thinking + rest
    if isinstance(message, SystemMessage):  # pragma: no cover - lifted before
        return "user", []
    blocks: list[dict[str, Any]] = []
    for part in message.content:
        if isinstance(part, Text):
            blocks.append({"type": "text", "text": part.text})
        elif isinstance(part, Image):
            blocks.append(_image_block(part))
        elif isinstance(part, ToolResult):
            content: list[dict[str, Any]] = [
                {"type": "text", "text": c.text} if isinstance(c, Text) else _image_block(c)
                for c in part.content
            ]
            blocks.append({"type": "tool_result", "tool_use_id": part.id, "content": content})
        elif isinstance(part, DocumentContent):
            blocks.append(_document_block(part))
        else:
            raise RequestError(f"anthropic does not take {type(part).__name__} content")
    return "user", blocks


def _reasoning_blocks(reasoning: Reasoning) -> list[dict[str, Any]]:
    blocks: list[dict[str, Any]] = []
    for item in reasoning.content:
        if isinstance(item, ReasoningText):
            block: dict[str, Any] = {"type": "thinking", "thinking": item.text}
            if item.signature:
                block["signature"] = item.signature
            blocks.append(block)
        elif isinstance(item, ReasoningSummary):
            blocks.append({"type": "thinking", "thinking": item.text})
        elif isinstance(item, ReasoningRedacted | ReasoningEncrypted):
            blocks.append({"type": "redacted_thinking", "data": item.data})
    return blocks


def _source(source: DocumentSourceKind, media_type: str) -> dict[str, Any]:
    data = source_base64(source)
    if data is not None:
        return {"type": "base64", "media_type": media_type, "data": data}
    url = source_url(source)
    if url is None:
        raise RequestError("anthropic takes media as base64 data or a URL")
    return {"type": "url", "url": url}


def _image_block(image: Image) -> dict[str, Any]:
    return {"type": "image", "source": _source(image.data, image_mime(image))}


def _document_block(document: DocumentContent) -> dict[str, Any]:
    text = document_text(document.data)
    if text is not None:
        return {"type": "text", "text": text}
    return {"type": "document", "source": _source(document.data, "application/pdf")}
