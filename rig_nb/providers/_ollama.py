"""Ollama's native API: `OllamaModel("qwen2.5")`, server from `OLLAMA_HOST` (default localhost).

For Ollama's OpenAI-compatible `/v1` endpoint use `OpenAIChatModel(..., base_url=".../v1")`.
"""

from __future__ import annotations

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
    RawReasoningDelta,
    RawStreamingChoice,
    RawText,
    RawToolCall,
    Reasoning,
    SystemMessage,
    Text,
    ToolCall,
    ToolResult,
    Usage,
)
from ..errors import ProviderError, RequestError
from ._base import HttpModel, Out, UniqueToolIds, drive
from ._convert import (
    arguments_dict,
    document_text,
    function_tools,
    image_base64,
    merge_params,
    tool_names,
)
from ._http import StreamFormat
from ._ndjson import aiter_ndjson_batches, decode_ndjson_line
from ._records import OllamaFunction, OllamaLine, OllamaMessage
from ._trace import record_response

__all__ = ["OllamaModel", "OllamaResponse"]


class OllamaResponse(BaseModel):
    """The `done` line's statistics."""

    model_config = ConfigDict(extra="allow")

    done_reason: str | None = None
    total_duration: int | None = None
    load_duration: int | None = None
    prompt_eval_count: int | None = None
    prompt_eval_duration: int | None = None
    eval_count: int | None = None
    eval_duration: int | None = None

    def token_usage(self) -> Usage | None:
        """Input `prompt_eval_count`, output `eval_count`."""
        prompt, output = self.prompt_eval_count or 0, self.eval_count or 0
        return Usage(input_tokens=prompt, output_tokens=output, total_tokens=prompt + output)


def _host() -> str | None:
    host = os.environ.get("OLLAMA_HOST")
    if not host:
        return None
    if "://" not in host:
        host = f"http://{host}"
    return host


class OllamaModel(HttpModel):
    """Streams `POST {host}/api/chat` (NDJSON)."""

    provider_name: ClassVar[str] = "ollama"
    default_base_url: ClassVar[str] = "http://localhost:11434"
    key_env: ClassVar[str | None] = "OLLAMA_API_KEY"
    requires_key: ClassVar[bool] = False
    stream_format: ClassVar[StreamFormat] = "ndjson"

    @classmethod
    def env_base_url(cls) -> str | None:
        """`OLLAMA_HOST`, with `http://` added when it has no scheme (`0.0.0.0:11434`)."""
        return _host()

    def _example(self) -> str:
        return "qwen2.5"

    def path(self, request: CompletionRequest) -> str:
        """`/api/chat`."""
        return "/api/chat"

    def build_body(self, request: CompletionRequest) -> dict[str, Any]:
        """Messages, tools, `options`, then `additional_params` (`think`, `keep_alive`...)."""
        names = tool_names(request.chat_history)
        messages: list[dict[str, Any]] = []
        documents = request.normalized_documents()
        for message in ([documents] if documents else []) + list(request.chat_history):
            messages += _convert(message, names)
        body: dict[str, Any] = {"model": self.model_name, "messages": messages, "stream": True}
        if request.tools:
            body["tools"] = function_tools(request.tools)
        options: dict[str, Any] = {}
        if request.temperature is not None:
            options["temperature"] = request.temperature
        if request.max_tokens is not None:
            options["num_predict"] = request.max_tokens
        if options:
            body["options"] = options
        if request.output_schema is not None:
            body["format"] = request.output_schema
        return merge_params(body, request.additional_params)

    async def parse(self, lines: AsyncIterator[str]) -> AsyncIterator[RawStreamingChoice]:
        """NDJSON lines to raw choices (spec 4.5); tool calls get generated ids."""
        ids = UniqueToolIds()
        done = False

        def handle(text: str, out: Out) -> bool:
            nonlocal done
            line = decode_ndjson_line(text, self.provider_name, OllamaLine)
            if line is None:
                return False
            if error := line.get("error"):
                raise ProviderError(f"ollama error: {error}")
            message: OllamaMessage = line.get("message") or {}
            thinking = message.get("thinking")
            if isinstance(thinking, str) and thinking:
                out.append(RawReasoningDelta(None, thinking))
            content = message.get("content")
            if isinstance(content, str) and content:
                out.append(RawText(content))
            for call in message.get("tool_calls") or []:
                function: OllamaFunction = call.get("function") or {}
                name = function.get("name") or ""
                out.append(
                    RawToolCall(
                        id=call.get("id") or ids.next(name),
                        name=name,
                        arguments=function.get("arguments") or {},
                    )
                )
            if line.get("done"):
                record_response(None, line.get("model"))
                fields = {k: v for k, v in line.items() if k in OllamaResponse.model_fields}
                out.append(RawFinal(OllamaResponse.model_validate(fields)))
                done = True
            return done

        async for raw in drive(aiter_ndjson_batches(lines), handle):
            yield raw
        if not done:
            raise ProviderError("the ollama stream ended before its done line")


def _convert(message: AnyMessage, names: dict[str, str]) -> list[dict[str, Any]]:
    if isinstance(message, SystemMessage):
        return [{"role": "system", "content": message.content}]
    if isinstance(message, AssistantMessage):
        out: dict[str, Any] = {
            "role": "assistant",
            "content": " ".join(c.text for c in message.content if isinstance(c, Text)),
        }
        reasoning = [c for c in message.content if isinstance(c, Reasoning)]
        if reasoning:
            out["thinking"] = reasoning[-1].display_text()
        calls = [c for c in message.content if isinstance(c, ToolCall)]
        if calls:
            out["tool_calls"] = [
                {
                    "function": {
                        "name": c.function.name,
                        "arguments": arguments_dict(c.function.arguments),
                    }
                }
                for c in calls
            ]
        return [out]
    results: list[dict[str, Any]] = []
    texts: list[str] = []
    images: list[str] = []
    for item in message.content:
        if isinstance(item, ToolResult):
            name = names.get(item.id, item.id)
            content = "\n".join(
                c.text if isinstance(c, Text) else "[Non-text content]" for c in item.content
            )
            results.append({"role": "tool", "tool_name": name, "content": content})
            pictures = [c for c in item.content if isinstance(c, Image)]
            if pictures:  # images go in the user message after the results, as OpenAI chat does
                texts.append(f"Images returned by the {name} tool:")
                images += [_image_data(picture) for picture in pictures]
        elif isinstance(item, Text):
            texts.append(item.text)
        elif isinstance(item, Image):
            images.append(_image_data(item))
        elif isinstance(item, DocumentContent):
            text = document_text(item.data)
            if text is None:
                raise RequestError("ollama takes documents as text only")
            texts.append(text)
    if texts or images:
        user: dict[str, Any] = {"role": "user", "content": "\n".join(texts)}
        if images:
            user["images"] = images
        results.append(user)
    return results


def _image_data(image: Image) -> str:
    data = image_base64(image)
    if data is None:
        raise RequestError("ollama takes images as base64 data, not URLs")
    return data
