"""Helpers that turn rig_nb's messages and content into the parts of request bodies."""

from __future__ import annotations

import base64
import json
from collections.abc import Mapping
from typing import Any

from ..core import (
    AnyMessage,
    AssistantMessage,
    Base64,
    DocumentSourceKind,
    Image,
    Raw,
    String,
    Text,
    ToolDefinition,
    ToolResult,
    Url,
)
from ..errors import RequestError

__all__ = [
    "arguments_dict",
    "arguments_json",
    "arguments_object",
    "document_text",
    "function_tools",
    "image_base64",
    "image_mime",
    "image_url",
    "merge_params",
    "result_images",
    "result_text",
    "source_base64",
    "source_url",
    "tool_names",
]

_MIME = {
    "jpeg": "image/jpeg",
    "png": "image/png",
    "gif": "image/gif",
    "webp": "image/webp",
    "heic": "image/heic",
    "heif": "image/heif",
    "svg": "image/svg+xml",
}


def function_tools(tools: list[ToolDefinition]) -> list[dict[str, Any]]:
    """Tool definitions in the `{"type": "function", "function": {...}}` shape (OpenAI, Ollama)."""
    return [
        {
            "type": "function",
            "function": {"name": t.name, "description": t.description, "parameters": t.parameters},
        }
        for t in tools
    ]


def merge_params(body: dict[str, Any], params: Mapping[str, Any] | None) -> dict[str, Any]:
    """`additional_params` merged into the body (nested objects merged key by key)."""
    for key, value in (params or {}).items():
        current = body.get(key)
        if isinstance(current, dict) and isinstance(value, Mapping):
            body[key] = merge_params(dict(current), value)
        else:
            body[key] = value
    return body


def image_mime(image: Image) -> str:
    """The MIME type of an image (PNG when unknown)."""
    return _MIME.get(image.media_type or "", "image/png")


def source_base64(source: DocumentSourceKind) -> str | None:
    """Inline media as base64 text, or `None` when it is a URL or text."""
    if isinstance(source, Base64):
        return source.value
    if isinstance(source, Raw):
        return base64.b64encode(bytes(source.value)).decode()
    return None


def source_url(source: DocumentSourceKind) -> str | None:
    """The URL of media given by URL."""
    return source.value if isinstance(source, Url) else None


def image_url(image: Image) -> str:
    """A URL for the image: its own, or a `data:` URL of its base64 data."""
    url = source_url(image.data)
    if url is not None:
        return url
    data = source_base64(image.data)
    if data is None:
        raise RequestError("an image needs a URL or base64 data to be sent to a model")
    return f"data:{image_mime(image)};base64,{data}"


def image_base64(image: Image) -> str | None:
    """The image's base64 data, or `None` when it is a URL."""
    return source_base64(image.data)


def document_text(data: object) -> str | None:
    """The text of a document source given as a string."""
    return data.value if isinstance(data, String) else None


def result_text(result: ToolResult) -> str:
    """A tool result's text parts joined by newlines (images are sent separately)."""
    return "\n".join(c.text for c in result.content if isinstance(c, Text))


def result_images(result: ToolResult) -> list[Image]:
    """A tool result's images."""
    return [c for c in result.content if isinstance(c, Image)]


def tool_names(messages: list[AnyMessage]) -> dict[str, str]:
    """Tool-call id -> function name, from the assistant messages of a history."""
    return {
        call.id: call.function.name
        for m in messages
        if isinstance(m, AssistantMessage)
        for call in m.tool_calls()
    }


def arguments_json(arguments: Any) -> str:
    """Tool-call arguments as JSON text (a JSON string value is already text)."""
    return arguments if isinstance(arguments, str) else json.dumps(arguments, ensure_ascii=False)


def arguments_dict(arguments: Any) -> dict[str, Any]:
    """Tool-call arguments as a JSON object, for APIs that take nothing else.

    Anthropic `input`, Gemini `args` and Ollama `arguments` must be objects: text that is not a
    JSON object (arguments that were cut off or malformed, kept raw in the history) is sent as `{}`.
    """
    value = arguments_object(arguments)
    return value if isinstance(value, dict) else {}


def arguments_object(arguments: Any) -> Any:
    """Tool-call arguments as a JSON value (text is parsed when it can be)."""
    if isinstance(arguments, str):
        try:
            return json.loads(arguments) if arguments.strip() else {}
        except ValueError:
            return arguments
    return arguments
