"""Rich tool output: what a tool returns, as text and images for the model and a display for people.

A tool returns whatever it likes and `serialize_output` makes text of it (spec 1.3: a string as
it is, anything else as JSON). A `ToolOutput` is that text too, so hooks, traces and every
`-> str` contract keep working, but it also carries its parts: the text and images the model gets
(`ToolResult.from_tool_output` takes them as they are) and, for people, a richer `display` (an
HTML table, say) that the view shows and the model never sees.

```python
@tool
def chart(city: str) -> ToolOutput:
    \"\"\"A temperature chart.\"\"\"
    png = draw(city)  # base64 PNG
    return ToolOutput(f"Temperatures in {city}", images=[("image/png", png)])
```

Objects that are more than text (a DataFrame, a matplotlib figure, a PIL image, anything with
`_repr_mimebundle_` / `_repr_html_` / `_repr_png_`) become a `ToolOutput` through the converters
registered with `register_tool_output`; `rig_nb.kernel` registers rig_nb's own. Plain values
(strings, numbers, dicts, lists, pydantic models) never reach a converter: spec 1.3 holds for them.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Callable, Iterable
from typing import Any, Literal

from ._wire import Frozen, as_object

__all__ = [
    "MODEL_IMAGE_TYPES",
    "ToolDisplay",
    "ToolOutput",
    "ToolOutputConverter",
    "convert_tool_output",
    "register_tool_output",
]

MODEL_IMAGE_TYPES = frozenset({"image/png", "image/jpeg", "image/gif", "image/webp"})
"""The image types every provider reads (an SVG is markup, and may carry script)."""


class ToolDisplay(Frozen):
    """A rendition of a tool result for people (the view); the model never sees it."""

    mime: Literal["text/html", "image/png", "image/jpeg"]
    """`text/html` (sanitised by the view before it reaches the page) or a raster image type."""
    data: str
    """The HTML text, or the image as base64."""


class ToolOutput(str):
    """A tool's output: its spec 1.3 text, carrying the parts the model gets and a display.

    The string itself is the spec 1.3 form (`{"response": text, "parts": [images]}` when there are
    images, else the text), so code that only knows strings reads the same content. `text` and
    `images` are what the model gets; `display` is what people see instead of the text.
    """

    text: str
    """What the model reads ("" for none)."""
    images: tuple[tuple[str, str], ...]
    """`(mime, base64)` pairs, each a raster type models read (`MODEL_IMAGE_TYPES`)."""
    display: ToolDisplay | None
    """A richer rendition for people, if any (an HTML table for a DataFrame)."""

    def __new__(
        cls,
        text: str = "",
        *,
        images: Iterable[tuple[str, str]] = (),
        display: ToolDisplay | None = None,
    ) -> ToolOutput:
        pairs = tuple((mime.lower(), data) for mime, data in images)
        for mime, data in pairs:
            _check_image(mime, data)
        if not text and not pairs:
            text = "(no output)"
        self = super().__new__(cls, _encode(text, pairs))
        self.text = text
        self.images = pairs
        self.display = display
        return self

    def __reduce__(self) -> tuple[Any, ...]:
        return (_rebuild, (self.text, self.images, self.display))

    def __repr__(self) -> str:
        shown = self.text if len(self.text) <= 60 else self.text[:59] + "…"
        extra = f", images={len(self.images)}" if self.images else ""
        if self.display is not None:
            extra += f", display={self.display.mime!r}"
        return f"ToolOutput({shown!r}{extra})"


def _rebuild(
    text: str, images: tuple[tuple[str, str], ...], display: ToolDisplay | None
) -> ToolOutput:
    return ToolOutput(text, images=images, display=display)


def _check_image(mime: str, data: str) -> None:
    if mime not in MODEL_IMAGE_TYPES:
        raise ValueError(
            f"a tool output image must be one of {', '.join(sorted(MODEL_IMAGE_TYPES))}, "
            f"got {mime!r}"
        )
    try:
        base64.b64decode(data, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise ValueError(f"a tool output image must be base64 data: {exc}") from None


def _encode(text: str, images: tuple[tuple[str, str], ...]) -> str:
    """The spec 1.3 string whose parsing gives this text and these images back."""
    if images:
        body: dict[str, Any] = {"response": text} if text else {}
        body["parts"] = [{"type": "image", "data": d, "mimeType": m} for m, d in images]
        return json.dumps(body, ensure_ascii=False)
    if _reads_as_structured(text):
        # Text that happens to read as the image format stays text.
        return json.dumps({"response": text}, ensure_ascii=False)
    return text


def _reads_as_structured(text: str) -> bool:
    if not text.lstrip().startswith("{"):
        return False
    try:
        value = as_object(json.loads(text))
    except ValueError:
        return False
    if value is None:
        return False
    return "response" in value or "parts" in value or value.get("type") == "image"


ToolOutputConverter = Callable[[Any], ToolOutput | None]
"""Turns a tool's return value into a `ToolOutput`, or returns `None` to leave it alone."""

_converters: list[ToolOutputConverter] = []


def register_tool_output(converter: ToolOutputConverter) -> ToolOutputConverter:
    """Add a converter for tool return values (usable as a decorator); the latest is tried first.

    A converter sees every return value that is not a string, a number, a bool, `None`, a dict,
    a list, a tuple or a pydantic model, and returns `None` for values it does not handle. What it
    raises reaches the model as the tool's failure.
    """
    if converter not in _converters:
        _converters.append(converter)
    return converter


def convert_tool_output(value: Any) -> ToolOutput | None:
    """The first registered conversion of `value` (latest registration first), or `None`."""
    for converter in reversed(_converters):
        converted = converter(value)
        if converted is not None:
            return converted
    return None
