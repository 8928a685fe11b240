"""An MCP `CallToolResult` as the text a rig_nb tool returns (spec 1.3's tool output format).

* text content: the text (several blocks joined by a newline);
* image content: an image part the model and the view get (`{"response": text, "parts": [...]}`);
* an embedded text resource: its text; an embedded image blob: an image; other binaries, audio and
  resource links: one line that says what was left out;
* `structuredContent`: its JSON, when the result has no text block (a server that follows the spec
  also sends that JSON as text, and the model should not read it twice);
* `isError: true`: a `ToolError` with the result's text, so the model sees a failed tool and the
  run goes on.
"""

from __future__ import annotations

import json
from typing import Any

from mcp_types import (
    AudioContent,
    BlobResourceContents,
    CallToolResult,
    EmbeddedResource,
    ImageContent,
    ResourceLink,
    TextContent,
    TextResourceContents,
)

from rig_nb.core import Image, Text, ToolResult
from rig_nb.errors import ToolError

__all__ = ["output_of"]

_MODEL_IMAGES = frozenset({"image/png", "image/jpeg", "image/gif", "image/webp"})
"""The image types every provider reads (an SVG is markup, and may carry script)."""


def output_of(result: CallToolResult, tool: str) -> str:
    """The tool output for `result`; raises `ToolError` when the server flagged it as an error."""
    texts: list[str] = []
    images: list[dict[str, str]] = []
    for block in result.content:
        _add_block(block, texts, images)
    if not texts and result.structured_content is not None:
        texts.append(json.dumps(result.structured_content, ensure_ascii=False))
    text = "\n".join(texts)
    if result.is_error:
        raise ToolError(text or f"the MCP tool {tool} reported an error without a message")
    if images:
        body: dict[str, Any] = {"response": text} if text else {}
        body["parts"] = images
        return json.dumps(body, ensure_ascii=False)
    if ToolResult.from_tool_output(text) != [Text(text=text)]:
        # Text that happens to read as rig_nb's image format stays text.
        return json.dumps({"response": text}, ensure_ascii=False)
    return text


def _add_block(block: Any, texts: list[str], images: list[dict[str, str]]) -> None:
    if isinstance(block, TextContent):
        texts.append(block.text)
    elif isinstance(block, ImageContent):
        _add_image(block.data, block.mime_type, "an image", texts, images)
    elif isinstance(block, EmbeddedResource):
        resource = block.resource
        if isinstance(resource, TextResourceContents):
            texts.append(resource.text)
        elif isinstance(resource, BlobResourceContents):
            mime = resource.mime_type or "application/octet-stream"
            what = f"the resource {resource.uri}"
            _add_image(resource.blob, mime, what, texts, images)
    elif isinstance(block, AudioContent):
        texts.append(
            f"[audio ({block.mime_type}) left out: rig_nb tool results carry text and images]"
        )
    elif isinstance(block, ResourceLink):
        about = f" ({block.description})" if block.description else ""
        texts.append(f"[resource link] {block.name}: {block.uri}{about}")
    else:
        texts.append(f"[{getattr(block, 'type', type(block).__name__)} content left out]")


def _add_image(
    data: str, mime: str, what: str, texts: list[str], images: list[dict[str, str]]
) -> None:
    if mime.lower() in _MODEL_IMAGES and Image.media_type_from_mime(mime.lower()) is not None:
        images.append({"type": "image", "data": data, "mimeType": mime.lower()})
    else:
        texts.append(f"[{what} ({mime}) left out: not an image type models read]")
