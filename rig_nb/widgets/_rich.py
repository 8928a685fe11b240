"""What a card shows beyond text: images as bytes, a rich view of a result, code arguments, costs.

Pure helpers of the reducer (`_reducer.py`). Images (a result's images and a rich view's image)
are raw bytes in the state, so the comm sends them as binary buffers, once; a rich HTML view
(a DataFrame's table) is text the front end sanitises (DOMPurify) and the saved transcript
sanitises too (nh3, `_markdown.py`).
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from ..core import Base64, CallUsage, Image, Tool, ToolDisplay, Url
from ..core._wire import as_object
from ._protocol import CodeView, ImageRef, RichView

__all__ = [
    "CodeArguments",
    "code_arguments",
    "code_view",
    "costs",
    "image_ref",
    "rich_view",
]

CodeArguments = Mapping[str, tuple[str, str]]
"""Tool name -> (argument, language): arguments the view shows as highlighted code."""

_IMAGE_MIMES = {"png": "image/png", "jpeg": "image/jpeg", "gif": "image/gif", "webp": "image/webp"}


def code_arguments(tools: Iterable[Tool]) -> dict[str, tuple[str, str]]:
    """The code arguments of these tools (`Tool.code_argument`, `Tool.code_language`)."""
    return {t.name: (t.code_argument, t.code_language) for t in tools if t.code_argument}


def code_view(shown: CodeArguments, name: str, arguments: Any) -> CodeView | None:
    """The argument a tool shows as code (`run_python`'s `code`), when it is text."""
    argument = shown.get(name)
    if argument is None:
        return None
    value: Any = arguments
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except ValueError:
            return None
    fields = as_object(value)
    code: Any = fields.get(argument[0]) if fields is not None else None
    return {"language": argument[1], "text": code} if isinstance(code, str) else None


def _bytes(data: str) -> bytes:
    """Base64 as bytes; data that is not base64 is kept empty (the card says it is not shown)."""
    try:
        return base64.b64decode(data, validate=True)
    except (binascii.Error, ValueError):
        return b""


def rich_view(display: ToolDisplay | None) -> RichView | None:
    """A result's rich view: its HTML as text, or its image as bytes (a binary buffer)."""
    if display is None:
        return None
    if display.mime == "text/html":
        return {"mime": display.mime, "data": display.data}
    return {"mime": display.mime, "data": _bytes(display.data)}


def image_ref(image: Image) -> ImageRef | None:
    """A result's image: bytes (a binary buffer, never base64 in JSON), or an http(s) URL."""
    if isinstance(image.data, Base64):
        # Non-raster types (SVG) travel as data; the front end shows only raster ones.
        kind = image.media_type or "png"
        return {"mime": _IMAGE_MIMES.get(kind, f"image/{kind}"), "data": _bytes(image.data.value)}
    if isinstance(image.data, Url) and image.data.value.startswith(("https://", "http://")):
        return {"url": image.data.value}
    return None


def costs(calls: Sequence[CallUsage]) -> tuple[float | None, str | None, list[float | None]]:
    """The run's cost (or `None` and why: the first call without a price) and each call's."""
    per_call = [c.cost for c in calls]
    unknown = next((i for i, c in enumerate(calls) if c.cost is None), None)
    if unknown is None:
        return sum(c.cost or 0.0 for c in calls), None, per_call
    call = calls[unknown]
    return (
        None,
        f"model call {unknown + 1} ({call.model}): {call.cost_note or 'no price'}",
        per_call,
    )
