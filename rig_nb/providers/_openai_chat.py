"""OpenAI Chat Completions, and every server that speaks it.

vLLM, llama.cpp, LM Studio, Ollama's `/v1`, OpenRouter...: `OpenAIChatModel("gpt-4o-mini")`, or
`OpenAIChatModel("qwen2.5", base_url="http://localhost:8000/v1")`.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from typing import Any, ClassVar

from pydantic import BaseModel

from ..core import (
    AnyMessage,
    AssistantMessage,
    Audio,
    Base64,
    CompletionRequest,
    DocumentContent,
    Image,
    RawFinal,
    RawReasoningDelta,
    RawStreamingChoice,
    Reasoning,
    SystemMessage,
    Text,
    ToolCall,
    ToolChoiceSpecific,
    ToolResult,
    Usage,
)
from ..core._messages import derived
from ..errors import ProviderError, RequestError
from ._base import HttpModel, JsonFragment, Out, drive, dumps, json_object
from ._convert import (
    arguments_json,
    document_text,
    function_tools,
    image_url,
    merge_params,
    result_images,
    result_text,
)
from ._lines import BufferedLines
from ._openai_tools import ToolCallAssembler
from ._records import ChatChunk, ChatDelta
from ._sse import ServerSentEvent, aiter_sse_batches
from ._trace import record_response

__all__ = ["OpenAIChatModel", "OpenAIChatResponse", "OpenAIChatUsage"]


class OpenAIChatUsage(BaseModel):
    """The `usage` object of a chat completion (`null` counts read as 0)."""

    prompt_tokens: int | None = 0
    completion_tokens: int | None = None
    total_tokens: int | None = 0
    prompt_tokens_details: dict[str, Any] | None = None


class OpenAIChatResponse(BaseModel):
    """The final object of a chat completion stream: `{"usage": {...}}`."""

    usage: OpenAIChatUsage = OpenAIChatUsage()

    def token_usage(self) -> Usage | None:
        """Output is `total - prompt` tokens, as rig computes it (spec 4.1).

        On OpenAI `total = prompt + completion`, so this is `completion_tokens`; a compatible
        server that leaves reasoning tokens out of `completion_tokens` but counts them in
        `total_tokens` has them counted as output, as they are billed. A server that reports no
        total gets `completion_tokens` as output and `prompt + completion` as total.
        """
        u = self.usage
        prompt, total = u.prompt_tokens or 0, u.total_tokens or 0
        cached = (u.prompt_tokens_details or {}).get("cached_tokens") or 0
        if not total and u.completion_tokens:
            output, total = u.completion_tokens, prompt + u.completion_tokens
        else:
            output = max(total - prompt, 0)
        return Usage(
            input_tokens=prompt,
            output_tokens=output,
            total_tokens=total,
            cached_input_tokens=cached if isinstance(cached, int) else 0,
        )


class OpenAIChatModel(HttpModel):
    """Streams `POST {base_url}/chat/completions`."""

    provider_name: ClassVar[str] = "openai"
    default_base_url: ClassVar[str] = "https://api.openai.com/v1"
    key_env: ClassVar[str | None] = "OPENAI_API_KEY"
    base_url_env: ClassVar[str | None] = "OPENAI_BASE_URL"

    def _example(self) -> str:
        return "gpt-4o-mini"

    def path(self, request: CompletionRequest) -> str:
        """`/chat/completions`."""
        return "/chat/completions"

    def build_body(self, request: CompletionRequest) -> dict[str, Any]:
        """Messages (documents first), tools, settings, then `additional_params`."""
        documents = request.normalized_documents()
        first = _user_messages(documents.content) if documents is not None else []
        history = request.chat_history

        def messages() -> str:  # each history message converted and encoded once, ever
            parts = [dumps(m) for m in first]
            parts += [derived(message, "openai-chat", _json) for message in history]
            return f"[{','.join(p for p in parts if p)}]"

        body: dict[str, Any] = {
            "model": self.model_name,
            "messages": JsonFragment(messages),
            "stream": True,
            "stream_options": {"include_usage": True},
        }
        if request.tools:
            body["tools"] = function_tools(request.tools)
        if request.tool_choice is not None:
            body["tool_choice"] = _tool_choice(request.tool_choice)
        if request.temperature is not None:
            body["temperature"] = request.temperature
        if request.max_tokens is not None:
            # OpenAI's own API wants max_completion_tokens (its reasoning models reject
            # max_tokens); OpenAI-compatible servers (vLLM, llama.cpp...) read max_tokens.
            own = self.base_url == self.default_base_url
            body["max_completion_tokens" if own else "max_tokens"] = request.max_tokens
        if request.output_schema is not None:
            body["response_format"] = {
                "type": "json_schema",
                "json_schema": {"name": "output", "schema": request.output_schema},
            }
        return merge_params(body, request.additional_params)

    def _chunk(
        self,
        chunk: ChatChunk,
        calls: ToolCallAssembler,
        expect_end: Callable[[], None],
        out: Out,
    ) -> bool:
        """One chunk into `out`; True when it carries a `finish_reason`.

        Tool-call deltas, reasoning, text, then the calls flushed on `tool_calls`. A
        `finish_reason` makes the answer whole: only the usage chunk and `[DONE]` may follow, so
        `expect_end()` lets a server that then stalls or drops the connection end it.
        """
        error = chunk.get("error")
        if error:
            message = error.get("message") if isinstance(error, dict) else error
            raise ProviderError(f"{self.provider_name} stream error: {message}")
        choices: Any = chunk.get("choices")
        choice: Any = choices[0] if choices else None
        if not isinstance(choice, dict):
            return False
        delta: ChatDelta = choice.get("delta") or {}
        if "tool_calls" in delta:
            for entry in delta.get("tool_calls") or []:
                out += calls.feed(entry)
        reasoning = delta.get("reasoning_content") or delta.get("reasoning")
        if isinstance(reasoning, str) and reasoning:
            out.append(RawReasoningDelta(None, reasoning))
        content = delta.get("content")
        if isinstance(content, str) and content:
            out.append(content)
        finish = choice.get("finish_reason")
        if not finish:
            return False
        if finish == "tool_calls":
            out += calls.flush()
        expect_end()
        return True

    async def parse(self, lines: AsyncIterator[str]) -> AsyncIterator[RawStreamingChoice]:
        """SSE chunks to raw choices (spec 4.1); tool calls are flushed in index order."""
        calls = ToolCallAssembler()
        usage: dict[str, Any] | None = None
        complete = seen_id = False
        expect_end = lines.expect_end if isinstance(lines, BufferedLines) else _nothing

        def handle(event: ServerSentEvent, out: Out) -> bool:
            nonlocal usage, complete, seen_id
            data = event.data
            if not data or data[0].isspace():
                data = data.strip()
                if not data:
                    return False
            if data == "[DONE]":
                complete = True
                return True
            chunk = json_object(data, self.provider_name, ChatChunk)
            if not seen_id and chunk.get("id"):
                record_response(chunk.get("id"), chunk.get("model"))
                seen_id = True
            reported = chunk.get("usage")
            if isinstance(reported, dict):
                usage = reported
            if self._chunk(chunk, calls, expect_end, out):
                complete = True
            return False

        async for raw in drive(aiter_sse_batches(lines), handle):
            yield raw
        if not complete:
            raise ProviderError(
                f"the {self.provider_name} stream ended before it was complete "
                "(no finish_reason and no [DONE])"
            )
        for raw in calls.flush():
            yield raw
        yield RawFinal(OpenAIChatResponse.model_validate({"usage": usage or {}}))


def _nothing() -> None:
    pass


def _tool_choice(choice: Any) -> Any:
    if isinstance(choice, ToolChoiceSpecific):
        if len(choice.function_names) == 1:
            return {"type": "function", "function": {"name": choice.function_names[0]}}
        return "required"
    return choice


def _json(message: AnyMessage) -> str:
    """A message's wire messages, as JSON text (comma-separated; empty for none)."""
    return ",".join(dumps(m) for m in _convert(message))


def _convert(message: AnyMessage) -> list[dict[str, Any]]:
    if isinstance(message, SystemMessage):
        return [{"role": "system", "content": message.content}]
    if isinstance(message, AssistantMessage):
        return _assistant(message)
    return _user_messages(message.content)


def _user_messages(content: list[Any]) -> list[dict[str, Any]]:
    """Tool results become `tool` messages; the rest one `user` message (after them)."""
    out: list[dict[str, Any]] = []
    parts: list[dict[str, Any]] = []
    for item in content:
        if isinstance(item, ToolResult):
            out.append({"role": "tool", "tool_call_id": item.id, "content": result_text(item)})
            images = result_images(item)
            if images:
                parts.append({"type": "text", "text": f"Images returned by tool call {item.id}:"})
                parts += [_image_part(image) for image in images]
        elif isinstance(item, Text):
            parts.append({"type": "text", "text": item.text})
        elif isinstance(item, Image):
            parts.append(_image_part(item))
        elif isinstance(item, Audio):
            if not isinstance(item.data, Base64):
                raise RequestError("OpenAI chat takes audio as base64 data only")
            audio = {"data": item.data.value, "format": item.media_type or "wav"}
            parts.append({"type": "input_audio", "input_audio": audio})
        elif isinstance(item, DocumentContent):
            parts.append(_document_part(item))
    if parts:
        only_text = all(p["type"] == "text" for p in parts)
        text = "\n".join(p["text"] for p in parts) if only_text and len(parts) == 1 else None
        out.append({"role": "user", "content": text if text is not None else parts})
    return out


def _image_part(image: Image) -> dict[str, Any]:
    url: dict[str, Any] = {"url": image_url(image)}
    if image.detail:
        url["detail"] = image.detail
    return {"type": "image_url", "image_url": url}


def _document_part(document: DocumentContent) -> dict[str, Any]:
    text = document_text(document.data)
    if text is not None:
        return {"type": "text", "text": text}
    if not isinstance(document.data, Base64):
        raise RequestError("OpenAI chat takes documents as text or base64 data")
    kind = document.media_type or "pdf"
    data_url = f"data:application/{kind};base64,{document.data.value}"
    return {"type": "file", "file": {"filename": f"document.{kind}", "file_data": data_url}}


def _assistant(message: AssistantMessage) -> list[dict[str, Any]]:
    text = "".join(c.text for c in message.content if isinstance(c, Text))
    calls = [c for c in message.content if isinstance(c, ToolCall)]
    reasoning = "".join(c.display_text() for c in message.content if isinstance(c, Reasoning))
    if not text and not calls:
        return []  # reasoning alone is not sent back
    out: dict[str, Any] = {"role": "assistant", "content": text or None}
    if calls:
        out["tool_calls"] = [
            {
                "id": call.id,
                "type": "function",
                "function": {
                    "name": call.function.name,
                    "arguments": arguments_json(call.function.arguments),
                },
            }
            for call in calls
        ]
    if reasoning:
        out["reasoning_content"] = reasoning
    return [out]
