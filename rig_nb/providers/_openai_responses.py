"""OpenAI Responses API: `OpenAIResponsesModel("o4-mini")`, key from `OPENAI_API_KEY`.

Reasoning round-trips: with `additional_params={"reasoning": {...}}` the encrypted reasoning is
requested (`include`) and sent back on the next turn with its id.
"""

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
    Image,
    RawFinal,
    RawMessageId,
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
    ToolChoiceSpecific,
    ToolResult,
    Usage,
    new_internal_call_id,
)
from ..errors import ProviderError, RequestError
from ._base import HttpModel, Out, drive, json_object
from ._convert import (
    arguments_json,
    document_text,
    image_url,
    merge_params,
    result_images,
    result_text,
    source_base64,
)
from ._records import ResponsesEvent, ResponsesItem, ResponsesResponse
from ._sse import ServerSentEvent, aiter_sse_batches
from ._trace import record_response

__all__ = ["OpenAIResponsesModel", "OpenAIResponsesResponse", "OpenAIResponsesUsage"]


class OpenAIResponsesUsage(BaseModel):
    """Usage as the Responses API reports it."""

    input_tokens: int = 0
    output_tokens: int = 0
    total_tokens: int = 0
    input_tokens_details: dict[str, Any] | None = None


class OpenAIResponsesResponse(BaseModel):
    """The final object of a Responses stream: `{"usage": {...}}`."""

    usage: OpenAIResponsesUsage = OpenAIResponsesUsage()
    incomplete_details: dict[str, Any] | None = None
    """Why a `response.incomplete` ended the turn early (`{"reason": "max_output_tokens"}`)."""

    def token_usage(self) -> Usage | None:
        """Input, output, total and cached input tokens."""
        u = self.usage
        cached = (u.input_tokens_details or {}).get("cached_tokens") or 0
        return Usage(
            input_tokens=u.input_tokens,
            output_tokens=u.output_tokens,
            total_tokens=u.total_tokens,
            cached_input_tokens=cached if isinstance(cached, int) else 0,
        )


class OpenAIResponsesModel(HttpModel):
    """Streams `POST {base_url}/responses`."""

    provider_name: ClassVar[str] = "openai"
    default_base_url: ClassVar[str] = "https://api.openai.com/v1"
    key_env: ClassVar[str | None] = "OPENAI_API_KEY"
    base_url_env: ClassVar[str | None] = "OPENAI_BASE_URL"

    def _example(self) -> str:
        return "o4-mini"

    def path(self, request: CompletionRequest) -> str:
        """`/responses`."""
        return "/responses"

    def build_body(self, request: CompletionRequest) -> dict[str, Any]:
        """Input items (reasoning before the rest of each assistant turn), tools, settings."""
        items: list[dict[str, Any]] = []
        documents = request.normalized_documents()
        for message in ([documents] if documents else []) + list(request.chat_history):
            items += _convert(message)
        body: dict[str, Any] = {"model": self.model_name, "input": items, "stream": True}
        if request.tools:
            body["tools"] = [
                {
                    "type": "function",
                    "name": t.name,
                    "description": t.description,
                    "parameters": t.parameters,
                }
                for t in request.tools
            ]
        if request.tool_choice is not None:
            choice = request.tool_choice
            if isinstance(choice, ToolChoiceSpecific):
                body["tool_choice"] = {"type": "function", "name": choice.function_names[0]}
            else:
                body["tool_choice"] = choice
        if request.temperature is not None:
            body["temperature"] = request.temperature
        if request.max_tokens is not None:
            body["max_output_tokens"] = request.max_tokens
        if request.output_schema is not None:
            schema = {"type": "json_schema", "name": "output", "schema": request.output_schema}
            body["text"] = {"format": schema}
        body = merge_params(body, request.additional_params)
        if (request.additional_params or {}).get("reasoning") is not None:
            include: list[str] = list(body.get("include") or [])
            if "reasoning.encrypted_content" not in include:
                include.append("reasoning.encrypted_content")
            body["include"] = include
        return body

    async def parse(self, lines: AsyncIterator[str]) -> AsyncIterator[RawStreamingChoice]:
        """Responses events to raw choices (spec 4.2); function calls come at the end.

        `response.completed` and `response.incomplete` (e.g. `max_output_tokens`) both end the
        turn: an incomplete one keeps its text, and its function calls (with their arguments as
        far as they came, raw when they do not parse) go to the tools like any other.
        """
        state = _ResponsesState()

        def handle(event: ServerSentEvent, out: Out) -> bool:
            if not event.data.strip():
                return False
            data = json_object(event.data, self.provider_name, ResponsesEvent)
            kind = data.get("type", event.event)
            if kind == "error":
                code = data.get("code") or "error"
                raise ProviderError(f"OpenAI response stream error: {code}: {data.get('message')}")
            if kind in ("response.completed", "response.incomplete"):
                response: ResponsesResponse = data.get("response") or {}
                record_response(response.get("id"), response.get("model"))
                state.final = {
                    "usage": response.get("usage") or {},
                    "incomplete_details": response.get("incomplete_details"),
                }
                return True
            if kind == "response.failed":
                error = (data.get("response") or {}).get("error") or {}
                if error:
                    raise ProviderError(f"{error.get('code')}: {error.get('message')}")
                raise ProviderError("OpenAI response stream returned a failed response")
            out += state.take(kind, data)
            return False

        async for raw in drive(aiter_sse_batches(lines), handle):
            yield raw
        if state.final is None:
            raise ProviderError("the openai response stream ended before response.completed")
        for call in state.finish():
            yield call
        yield RawFinal(OpenAIResponsesResponse.model_validate(state.final))


class _ResponsesState:
    """Function calls in progress (by item id) and finished, and the final response."""

    def __init__(self) -> None:
        self.ids: dict[str, str] = {}  # item id -> internal call id
        self.open: dict[str, ResponsesItem] = {}  # item id -> added function_call item
        self.args: dict[str, list[str]] = {}  # item id -> argument deltas so far
        self.calls: list[RawToolCall] = []
        self.final: dict[str, Any] | None = None

    def iid(self, item_id: str) -> str:
        return self.ids.setdefault(item_id, new_internal_call_id())

    def finish(self) -> list[RawToolCall]:
        """The finished calls, then those the stream cut off (their arguments so far)."""
        for item_id, item in list(self.open.items()):
            self._call(item_id, item, "".join(self.args.get(item_id, [])))
        return self.calls

    def _call(self, item_id: str, item: ResponsesItem, text: str) -> None:
        self.open.pop(item_id, None)
        try:
            arguments: Any = json.loads(text) if text.strip() else {}
        except ValueError:
            arguments = text  # kept raw: the model gets the parse error as the tool's result
        self.calls.append(
            RawToolCall(
                id=item_id,
                name=item.get("name") or "",
                arguments=arguments,
                call_id=item.get("call_id"),
                internal_call_id=self.iid(item_id),
            )
        )

    def take(self, kind: Any, data: ResponsesEvent) -> list[RawStreamingChoice]:
        if kind in ("response.output_text.delta", "response.refusal.delta"):
            delta = data.get("delta") or ""
            return [RawText(delta)] if delta else []
        if kind == "response.reasoning_summary_text.delta":
            delta = data.get("delta") or ""
            return [RawReasoningDelta(None, delta)] if delta else []
        if kind == "response.reasoning_text.delta":  # gpt-oss, DeepSeek, OpenRouter
            delta = data.get("delta") or ""
            return [RawReasoningDelta(data.get("item_id") or None, delta)] if delta else []
        if kind == "response.function_call_arguments.delta":
            item_id = data.get("item_id") or ""
            delta = data.get("delta") or ""
            if not delta:
                return []
            self.args.setdefault(item_id, []).append(delta)
            return [
                RawToolCallDelta(
                    id=item_id,
                    internal_call_id=self.iid(item_id),
                    content=ToolCallArgsDelta(delta=delta),
                )
            ]
        item: ResponsesItem = data.get("item") or {}
        if kind == "response.output_item.added" and item.get("type") == "function_call":
            item_id = item.get("id") or ""
            self.open[item_id] = item
            name = ToolCallNameDelta(name=item.get("name") or "")
            return [RawToolCallDelta(id=item_id, internal_call_id=self.iid(item_id), content=name)]
        if kind != "response.output_item.done":
            return []
        if item.get("type") == "function_call":
            item_id = item.get("id") or ""
            text = item.get("arguments")
            if not isinstance(text, str):
                text = "".join(self.args.get(item_id, []))
            self._call(item_id, {**self.open.get(item_id, {}), **item}, text)
            return []
        if item.get("type") == "reasoning":
            return _reasoning(item)
        if item.get("type") == "message" and (message_id := item.get("id")):
            return [RawMessageId(message_id)]
        return []


def _reasoning(item: ResponsesItem) -> list[RawStreamingChoice]:
    """A reasoning item: its summaries, its reasoning text, its encrypted content, in order."""
    rid = item.get("id")
    out: list[RawStreamingChoice] = [
        RawReasoning(rid, ReasoningSummary(text=s.get("text", "")))
        for s in item.get("summary") or []
        if isinstance(s, dict)
    ]
    out += [
        RawReasoning(rid, ReasoningText(text=c.get("text", "")))
        for c in item.get("content") or []
        if isinstance(c, dict) and c.get("type") == "reasoning_text"
    ]
    if encrypted := item.get("encrypted_content"):
        out.append(RawReasoning(rid, ReasoningEncrypted(data=encrypted)))
    return out


def _convert(message: AnyMessage) -> list[dict[str, Any]]:
    if isinstance(message, SystemMessage):
        return [{"role": "system", "content": message.content}]
    if isinstance(message, AssistantMessage):
        return _assistant(message)
    out: list[dict[str, Any]] = []
    parts: list[dict[str, Any]] = []
    for item in message.content:
        if isinstance(item, ToolResult):
            if not item.call_id:
                raise RequestError(
                    f"the Responses API needs the call_id of tool result {item.id}; this history "
                    "was made with another provider"
                )
            out.append(
                {
                    "type": "function_call_output",
                    "call_id": item.call_id,
                    "output": _tool_output(item),
                }
            )
        elif isinstance(item, Text):
            parts.append({"type": "input_text", "text": item.text})
        elif isinstance(item, Image):
            parts.append(
                {
                    "type": "input_image",
                    "image_url": image_url(item),
                    "detail": item.detail or "auto",
                }
            )
        elif isinstance(item, DocumentContent):
            text = document_text(item.data)
            encoded = source_base64(item.data)
            if text is not None:
                parts.append({"type": "input_text", "text": text})
            elif encoded is not None:
                data = f"data:application/pdf;base64,{encoded}"
                parts.append({"type": "input_file", "filename": "document.pdf", "file_data": data})
            else:
                raise RequestError("the Responses API takes documents as text or base64 data")
    if parts:
        out.append({"role": "user", "content": parts})
    return out


def _tool_output(result: ToolResult) -> str | list[dict[str, Any]]:
    """A tool result's text; with images, a list of input_text and input_image items."""
    images = result_images(result)
    if not images:
        return result_text(result)
    text = result_text(result)
    items: list[dict[str, Any]] = [{"type": "input_text", "text": text}] if text else []
    items += [
        {"type": "input_image", "image_url": image_url(image), "detail": image.detail or "auto"}
        for image in images
    ]
    return items


def _assistant(message: AssistantMessage) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for block in message.content:
        if isinstance(block, Reasoning):
            if not block.id:
                raise RequestError(
                    "An OpenAI-generated ID is required to send reasoning back to the Responses API"
                )
            summary = [
                {"type": "summary_text", "text": c.text}
                for c in block.content
                if isinstance(c, ReasoningSummary)
            ]
            text = [
                {"type": "reasoning_text", "text": c.text}
                for c in block.content
                if isinstance(c, ReasoningText)
            ]
            item: dict[str, Any] = {"type": "reasoning", "id": block.id, "summary": summary}
            if text:
                item["content"] = text
            encrypted = next(
                (
                    c.data
                    for c in block.content
                    if isinstance(c, ReasoningEncrypted | ReasoningRedacted)
                ),
                None,
            )
            if encrypted is not None:
                item["encrypted_content"] = encrypted
            out.append(item)
    text = "".join(c.text for c in message.content if isinstance(c, Text))
    if text:
        out.append({"role": "assistant", "content": text})
    for call in message.content:
        if isinstance(call, ToolCall):
            if not call.call_id:
                raise RequestError(
                    f"the Responses API needs the call_id of tool call {call.id}; this history was "
                    "made with another provider"
                )
            out.append(
                {
                    "type": "function_call",
                    "id": call.id,
                    "call_id": call.call_id,
                    "name": call.function.name,
                    "arguments": arguments_json(call.function.arguments),
                }
            )
    return out
