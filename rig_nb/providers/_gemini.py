"""Google Gemini: `GeminiModel("gemini-2.5-flash")`, key `GEMINI_API_KEY` or `GOOGLE_API_KEY`."""

from __future__ import annotations

import json
import os
from collections.abc import AsyncIterator
from typing import Any, ClassVar

from pydantic import BaseModel, ConfigDict

from ..core import (
    AnyMessage,
    AssistantMessage,
    CompletionRequest,
    DocumentContent,
    Image,
    RawFinal,
    RawReasoning,
    RawReasoningDelta,
    RawStreamingChoice,
    RawText,
    RawToolCall,
    Reasoning,
    ReasoningText,
    SystemMessage,
    Text,
    ToolCall,
    ToolChoiceSpecific,
    ToolResult,
    Usage,
)
from ..errors import ProviderError
from ._base import HttpModel, Out, UniqueToolIds, drive, json_object
from ._convert import (
    arguments_dict,
    document_text,
    image_mime,
    merge_params,
    result_images,
    result_text,
    source_base64,
    source_url,
    tool_names,
)
from ._records import GeminiCandidate, GeminiChunk, GeminiPart
from ._sse import ServerSentEvent, aiter_sse_batches
from ._trace import record_response

__all__ = ["GeminiModel", "GeminiResponse"]


class GeminiResponse(BaseModel):
    """The final object of a Gemini stream: `{"usage_metadata": {...}}` (Gemini's own keys)."""

    model_config = ConfigDict(extra="allow")

    usage_metadata: dict[str, Any] = {}

    def token_usage(self) -> Usage | None:
        """Output counts the answer and the thoughts (both are billed as output)."""
        u = self.usage_metadata
        output = (u.get("candidatesTokenCount") or 0) + (u.get("thoughtsTokenCount") or 0)
        return Usage(
            input_tokens=u.get("promptTokenCount") or 0,
            output_tokens=output,
            total_tokens=u.get("totalTokenCount") or 0,
            cached_input_tokens=u.get("cachedContentTokenCount") or 0,
        )


class GeminiModel(HttpModel):
    """Streams `POST {base_url}/models/{model}:streamGenerateContent?alt=sse`."""

    provider_name: ClassVar[str] = "gemini"
    default_base_url: ClassVar[str] = "https://generativelanguage.googleapis.com/v1beta"
    key_env: ClassVar[str | None] = "GEMINI_API_KEY"
    base_url_env: ClassVar[str | None] = "GEMINI_BASE_URL"

    @classmethod
    def env_key(cls) -> str | None:
        """`GEMINI_API_KEY`, else `GOOGLE_API_KEY`."""
        return os.environ.get("GEMINI_API_KEY") or os.environ.get("GOOGLE_API_KEY")

    def _example(self) -> str:
        return "gemini-2.5-flash"

    def auth_headers(self, key: str) -> dict[str, str]:
        """`x-goog-api-key` (the key stays out of the URL, so out of logs)."""
        return {"x-goog-api-key": key}

    def path(self, request: CompletionRequest) -> str:
        """`/models/{model}:streamGenerateContent`."""
        return f"/models/{self.model_name}:streamGenerateContent"

    def query(self) -> dict[str, str] | None:
        """`alt=sse`."""
        return {"alt": "sse"}

    def build_body(self, request: CompletionRequest) -> dict[str, Any]:
        """Contents, system instruction, function declarations (JSON Schema), generation config."""
        names = tool_names(request.chat_history)
        system: list[dict[str, Any]] = []
        contents: list[dict[str, Any]] = []
        documents = request.normalized_documents()
        for message in ([documents] if documents else []) + list(request.chat_history):
            if isinstance(message, SystemMessage):
                system.append({"text": message.content})
                continue
            role, parts = _convert(message, names)
            if contents and contents[-1]["role"] == role:
                contents[-1]["parts"] += parts
            elif parts:
                contents.append({"role": role, "parts": parts})
        body: dict[str, Any] = {"contents": contents}
        if system:
            body["systemInstruction"] = {"parts": system}
        if request.tools:
            body["tools"] = [
                {
                    "functionDeclarations": [
                        {
                            "name": t.name,
                            "description": t.description,
                            "parametersJsonSchema": t.parameters,
                        }
                        for t in request.tools
                    ]
                }
            ]
        if request.tool_choice is not None:
            body["toolConfig"] = {"functionCallingConfig": _calling_config(request.tool_choice)}
        config: dict[str, Any] = {}
        if request.temperature is not None:
            config["temperature"] = request.temperature
        if request.max_tokens is not None:
            config["maxOutputTokens"] = request.max_tokens
        if request.output_schema is not None:
            config["responseMimeType"] = "application/json"
            config["responseJsonSchema"] = request.output_schema
        if config:
            body["generationConfig"] = config
        return merge_params(body, request.additional_params)

    async def parse(self, lines: AsyncIterator[str]) -> AsyncIterator[RawStreamingChoice]:
        """Chunks to raw choices (spec 4.4); unique call ids; the finish chunk's usage is kept."""
        ids = UniqueToolIds()
        usage: dict[str, Any] = {}
        finished = False

        def handle(event: ServerSentEvent, out: Out) -> bool:
            nonlocal usage, finished
            if not event.data.strip():
                return False
            chunk = json_object(event.data, self.provider_name, GeminiChunk)
            error = chunk.get("error")
            if isinstance(error, dict):
                raise ProviderError(
                    f"gemini stream error: {error.get('status')}: {error.get('message')}"
                )
            meta = chunk.get("usageMetadata")
            if isinstance(meta, dict) and (not usage or _counts(meta)):
                usage = meta  # running totals; one without counts does not erase them
            record_response(chunk.get("responseId"), chunk.get("modelVersion"))
            candidates = chunk.get("candidates") or []
            candidate: GeminiCandidate = candidates[0] if candidates else {}
            for part in (candidate.get("content") or {}).get("parts") or []:
                raw = _part(part, ids)
                if raw is not None:
                    out.append(raw)
            finished = bool(candidate.get("finishReason"))
            return finished

        async for raw in drive(aiter_sse_batches(lines), handle):
            yield raw
        if not finished:
            raise ProviderError("the gemini stream ended before a finishReason")
        yield RawFinal(GeminiResponse(usage_metadata=usage))


def _counts(meta: dict[str, Any]) -> bool:
    return any(key.endswith("TokenCount") for key in meta)


def _part(part: GeminiPart, ids: UniqueToolIds) -> RawStreamingChoice | None:
    signature = part.get("thoughtSignature")
    call = part.get("functionCall")
    if isinstance(call, dict):
        name = call.get("name") or ""
        return RawToolCall(
            id=call.get("id") or ids.next(name),
            name=name,
            arguments=call.get("args") or {},
            signature=signature,
        )
    text = part.get("text")
    if not isinstance(text, str) or not text:
        return None
    if part.get("thought"):
        if signature:
            return RawReasoning(None, ReasoningText(text=text, signature=signature))
        return RawReasoningDelta(None, text)
    return RawText(text)


def _calling_config(choice: Any) -> dict[str, Any]:
    if isinstance(choice, ToolChoiceSpecific):
        return {"mode": "ANY", "allowedFunctionNames": list(choice.function_names)}
    return {"mode": {"required": "ANY", "none": "NONE"}.get(choice, "AUTO")}


def _media(image: Image | DocumentContent, mime: str) -> dict[str, Any]:
    data = source_base64(image.data)
    if data is not None:
        return {"inlineData": {"mimeType": mime, "data": data}}
    return {"fileData": {"mimeType": mime, "fileUri": source_url(image.data) or ""}}


def _convert(message: AnyMessage, names: dict[str, str]) -> tuple[str, list[dict[str, Any]]]:
    parts: list[dict[str, Any]] = []
    if isinstance(message, AssistantMessage):
        for item in message.content:
            if isinstance(item, Text):
                parts.append({"text": item.text})
            elif isinstance(item, Reasoning):
                thought: dict[str, Any] = {"thought": True, "text": item.display_text()}
                if item.first_signature():
                    thought["thoughtSignature"] = item.first_signature()
                parts.append(thought)
            elif isinstance(item, ToolCall):
                call: dict[str, Any] = {
                    "functionCall": {
                        "name": item.function.name,
                        "args": arguments_dict(item.function.arguments),
                    }
                }
                if item.signature:
                    call["thoughtSignature"] = item.signature
                parts.append(call)
            else:
                parts.append(_media(item, image_mime(item)))
        return "model", parts
    assert not isinstance(message, SystemMessage)
    for item in message.content:
        if isinstance(item, Text):
            parts.append({"text": item.text})
        elif isinstance(item, Image):
            parts.append(_media(item, image_mime(item)))
        elif isinstance(item, ToolResult):
            parts.append({"functionResponse": _function_response(item, names)})
        elif isinstance(item, DocumentContent):
            text = document_text(item.data)
            parts.append({"text": text} if text is not None else _media(item, "application/pdf"))
    return "user", parts


def _function_response(result: ToolResult, names: dict[str, str]) -> dict[str, Any]:
    text = result_text(result)
    try:
        value: Any = json.loads(text)
    except ValueError:
        value = text
    response: dict[str, Any] = {
        "name": names.get(result.id, result.id),
        "response": {"result": value},
    }
    images = result_images(result)
    if images:
        response["parts"] = [_media(image, image_mime(image)) for image in images]
    return response
