"""The parts a message is made of: text, media, tool calls and results (spec 1.2, 1.3).

Reasoning, the last kind of part, is in `_reasoning.py`.

Every class here is a frozen pydantic model whose JSON is rig's serde JSON, so a history written by
rig_nb can be read by rig and the other way round.
"""

from __future__ import annotations

import json
from typing import Annotated, Any, ClassVar, Literal, cast

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    field_serializer,
    field_validator,
)

from ._tool_output import ToolOutput
from ._wire import Frozen, Wire, as_object, dump_tagged, load_tagged

__all__ = [
    "Audio",
    "Base64",
    "DocumentContent",
    "DocumentSourceKind",
    "Image",
    "ImageMediaType",
    "Raw",
    "String",
    "Text",
    "ToolCall",
    "ToolFunction",
    "ToolResult",
    "ToolResultContent",
    "Unknown",
    "Url",
    "Video",
]


# --- where media data lives: adjacently tagged {"type": ..., "value": ...} -------------------


class Url(Frozen):
    """Media referenced by URL."""

    type: Literal["url"] = "url"
    value: str


class Base64(Frozen):
    """Media inlined as base64 text."""

    type: Literal["base64"] = "base64"
    value: str


class Raw(Frozen):
    """Media inlined as raw bytes (a JSON array of integers)."""

    type: Literal["raw"] = "raw"
    value: list[int]


class String(Frozen):
    """A document given as plain text."""

    type: Literal["string"] = "string"
    value: str


class Unknown(Frozen):
    """A source rig_nb cannot describe."""

    type: Literal["unknown"] = "unknown"


DocumentSourceKind = Annotated[Url | Base64 | Raw | String | Unknown, Field(discriminator="type")]

ImageMediaType = Literal["jpeg", "png", "gif", "webp", "heic", "heif", "svg"]
_IMAGE_MIME: dict[str, ImageMediaType] = {
    "image/jpeg": "jpeg",
    "image/png": "png",
    "image/gif": "gif",
    "image/webp": "webp",
    "image/heic": "heic",
    "image/heif": "heif",
    "image/svg+xml": "svg",
}


class Text(Frozen):
    """Plain text."""

    text: str


class Image(Wire):
    """An image; extra keys are kept (rig's flattened `additional_params`)."""

    model_config = ConfigDict(frozen=True, extra="allow")
    omit_if_none: ClassVar[tuple[str, ...]] = ("media_type", "detail")

    data: DocumentSourceKind
    media_type: ImageMediaType | None = None
    detail: Literal["low", "high", "auto"] | None = None

    @staticmethod
    def media_type_from_mime(mime: str) -> ImageMediaType | None:
        """`image/png` -> `"png"`; a MIME type rig does not know -> `None`."""
        return _IMAGE_MIME.get(mime)


class Audio(Wire):
    """An audio clip."""

    model_config = ConfigDict(frozen=True, extra="allow")
    omit_if_none: ClassVar[tuple[str, ...]] = ("media_type",)

    data: DocumentSourceKind
    media_type: (
        Literal["wav", "mp3", "aiff", "aac", "ogg", "flac", "m4a", "pcm16", "pcm24"] | None
    ) = None


class Video(Wire):
    """A video clip."""

    model_config = ConfigDict(frozen=True, extra="allow")
    omit_if_none: ClassVar[tuple[str, ...]] = ("media_type",)

    data: DocumentSourceKind
    media_type: Literal["avi", "mp4", "mpeg", "mov", "webm"] | None = None


class DocumentContent(Wire):
    """A document attached to a user message (not the RAG `Document`)."""

    model_config = ConfigDict(frozen=True, extra="allow")
    omit_if_none: ClassVar[tuple[str, ...]] = ("media_type",)

    data: DocumentSourceKind
    media_type: (
        Literal[
            "pdf", "txt", "rtf", "html", "css", "markdown", "csv", "xml", "javascript", "python"
        ]
        | None
    ) = None


# --- tool calls and results --------------------------------------------------------------------


class ToolFunction(Frozen):
    """The function a tool call names, with its arguments (any JSON value)."""

    name: str
    arguments: Any = Field(default_factory=dict[str, Any])


class ToolCall(Frozen):
    """A tool call requested by the model. All five keys are always serialized."""

    id: str
    """The provider's id (`toolu_..`, `call_..`, `fc_..`)."""
    call_id: str | None = None
    """Only OpenAI Responses sets it (`call_..`)."""
    function: ToolFunction
    signature: str | None = None
    """Gemini's thought signature on function-call parts."""
    additional_params: Any = None


ToolResultContent = Text | Image
_TOOL_RESULT_TAGS: dict[type[BaseModel], str] = {Text: "text", Image: "image"}
_TOOL_RESULT_CLASSES: dict[str, type[BaseModel]] = {"text": Text, "image": Image}


class ToolResult(Wire):
    """The result of one tool call, as sent back to the model."""

    omit_if_none: ClassVar[tuple[str, ...]] = ("call_id",)

    id: str
    call_id: str | None = None
    content: list[ToolResultContent] = Field(min_length=1)

    @field_validator("content", mode="before")
    @classmethod
    def _load_content(cls, raw: Any) -> Any:
        return load_tagged(raw, _TOOL_RESULT_CLASSES, "tool result content")

    @field_serializer("content", mode="wrap")
    def _dump_content(self, value: list[ToolResultContent], handler: Any) -> list[Any]:
        return dump_tagged(value, handler(value), _TOOL_RESULT_TAGS)

    @staticmethod
    def from_tool_output(output: str) -> list[ToolResultContent]:
        """Turn a tool's output string into result content, images included (spec 1.3).

        A `ToolOutput` gives its own parts: its text as it is, then its images.
        """
        if isinstance(output, ToolOutput):
            return _parts_of(output)
        try:
            value: Any = json.loads(output)
        except ValueError:
            return [Text(text=output)]
        obj = as_object(value)
        if obj is not None:
            if "response" in obj or "parts" in obj:
                items: list[ToolResultContent] = []
                if "response" in obj:
                    items.append(Text(text=_compact_json(obj["response"])))
                parts: Any = obj.get("parts")
                if isinstance(parts, list):
                    for part in cast(list[Any], parts):
                        image = _image_part(part)
                        if image is not None:
                            items.append(image)
                if items:
                    return items
            image = _image_part(obj)
            if image is not None:
                return [image]
        return [Text(text=output)]


def _parts_of(output: ToolOutput) -> list[ToolResultContent]:
    items: list[ToolResultContent] = [Text(text=output.text)] if output.text else []
    for mime, data in output.images:
        items.append(Image(data=Base64(value=data), media_type=Image.media_type_from_mime(mime)))
    return items


def _compact_json(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


def _image_part(part: Any) -> Image | None:
    obj = as_object(part)
    if obj is None or obj.get("type") != "image":
        return None
    data: Any = obj.get("data")
    mime: Any = obj.get("mimeType")
    if not isinstance(data, str) or not isinstance(mime, str):
        return None
    source = Url(value=data) if data.startswith(("http://", "https://")) else Base64(value=data)
    return Image(data=source, media_type=Image.media_type_from_mime(mime))
