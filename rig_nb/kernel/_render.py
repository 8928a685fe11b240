"""Any object as the model gets it (text and images) and as people see it (HTML).

* DataFrames and Series (pandas, polars): a compact description for the model, the head as an
  HTML table for people;
* matplotlib figures and axes, PIL images, image bytes: a PNG (and a caption);
* any other object with IPython's display methods (`_repr_mimebundle_`, `_repr_html_`,
  `_repr_png_`, `_repr_jpeg_`, `_repr_markdown_`): its PNG/JPEG for the model, its markdown or
  plain text (else its HTML source) as text, its HTML for people.

`rig_nb.kernel` registers `render` as a tool-output converter (`rig_nb.core.register_tool_output`):
a tool may return any of these.
"""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass
from typing import Any

from ..core import ToolDisplay, ToolOutput
from ..errors import ToolError
from ._budget import Budget, clip
from ._frames import describe_frame, frame_html, frame_kind
from ._images import Picture, image_bytes, image_kind, picture_of

__all__ = ["Rendition", "render", "tool_output"]

_MAX_HTML = 200_000
"""Characters of HTML the view is sent at most; a larger display is left out (the text stays)."""
_REPRS = (
    ("text/html", "_repr_html_"),
    ("image/png", "_repr_png_"),
    ("image/jpeg", "_repr_jpeg_"),
    ("text/markdown", "_repr_markdown_"),
)


@dataclass(frozen=True, slots=True)
class Rendition:
    """An object as the model gets it (`text`, `pictures`) and as people see it (`html`)."""

    kind: str
    """What it is: `pandas DataFrame`, `matplotlib Figure`, `object with _repr_html_`..."""
    text: str
    """What the model reads: a description, a caption, the object's text."""
    pictures: tuple[Picture, ...] = ()
    """Images for the model."""
    html: str | None = None
    """HTML for people (the view sanitises it); never sent to the model."""

    def tool_output(self) -> ToolOutput:
        """As a tool's output: text and images for the model, the HTML as the display."""
        display = None
        if self.html is not None and len(self.html) <= _MAX_HTML:
            display = ToolDisplay(mime="text/html", data=self.html)
        images = [(p.mime, p.data) for p in self.pictures]
        return ToolOutput(self.text, images=images, display=display)


def render(
    value: Any, budget: Budget | int | None = None, *, reprs: bool = True
) -> Rendition | None:
    """`value`'s rendition, or `None` when it is nothing more than text.

    Args:
        value: Any object.
        budget: The size budget (a `Budget`, a number of characters, or `None` for the defaults).
        reprs: Also use IPython's display methods (`_repr_html_`...) of other objects.
    """
    limits = Budget.of(budget)
    kind = frame_kind(value)
    if kind is not None:
        return Rendition(
            kind, describe_frame(value, kind, limits), html=frame_html(value, kind, limits)
        )
    kind = image_kind(value)
    if kind is not None:
        picture = picture_of(value, kind, limits)
        return Rendition(kind, picture.caption, (picture,))
    if isinstance(value, bytes | bytearray | memoryview):
        picture = image_bytes(bytes(value), limits, "image")
        return Rendition("image bytes", picture.caption, (picture,)) if picture else None
    return _from_reprs(value, limits) if reprs else None


def tool_output(value: Any, budget: Budget | int | None = None) -> ToolOutput | None:
    """`value` as a tool's output (`None` when it is not a rich object).

    Return it from a tool to choose the budget: `return tool_output(df, Budget(rows=20))`.
    """
    rendition = render(value, budget)
    return rendition.tool_output() if rendition is not None else None


def _convert(value: Any) -> ToolOutput | None:
    """The tool-output converter `rig_nb.kernel` registers."""
    try:
        return tool_output(value)
    except Exception as exc:
        raise ToolError(
            f"the tool returned a {type(value).__name__} that could not be rendered: "
            f"{type(exc).__name__}: {exc}"
        ) from exc


def _method(value: Any, name: str) -> Any:
    """A display method as IPython finds one: not on classes, nor on objects that answer all."""
    if isinstance(value, type):
        return None
    try:
        method = getattr(value, name, None)
        if not callable(method):
            return None
        if getattr(value, "_ipython_canary_method_should_not_exist_", None) is not None:
            return None
    except Exception:
        return None
    return method


def _bundle(value: Any) -> dict[str, Any]:
    data: dict[str, Any] = {}
    method = _method(value, "_repr_mimebundle_")
    if method is not None:
        out = method(include=None, exclude=None)
        if isinstance(out, tuple):
            out = out[0] if out else None
        if isinstance(out, dict):
            data.update({str(k): v for k, v in out.items() if v is not None})
    for mime, name in _REPRS:
        if mime in data:
            continue
        method = _method(value, name)
        if method is None:
            continue
        out = method()
        if isinstance(out, tuple):
            out = out[0] if out else None
        if out is not None:
            data[mime] = out
    return data


def _text(item: Any) -> str | None:
    if isinstance(item, list):
        return "".join(str(x) for x in item)
    return item if isinstance(item, str) else None


def _image(item: Any) -> bytes | None:
    if isinstance(item, bytes | bytearray):
        return bytes(item)
    if isinstance(item, str):
        try:
            return base64.b64decode(item, validate=False)
        except (binascii.Error, ValueError):
            return None
    return None


def _from_reprs(value: Any, budget: Budget) -> Rendition | None:
    data = _bundle(value)
    if not data:
        return None
    what = type(value).__name__
    pictures: list[Picture] = []
    for mime in ("image/png", "image/jpeg"):
        raw = _image(data.get(mime))
        picture = image_bytes(raw, budget, f"{what} ({mime})") if raw else None
        if picture is not None:
            pictures.append(picture)
    html = _text(data.get("text/html"))
    text = _text(data.get("text/markdown")) or _text(data.get("text/plain"))
    if text is None and type(value).__repr__ is not object.__repr__:
        text = repr(value)
    if text is None:
        text = html if html is not None else ", ".join(p.caption for p in pictures) or what
    methods = "/".join(sorted(m for m in data if m != "text/plain"))
    return Rendition(
        f"{what} ({methods})", clip(text, budget.chars), tuple(pictures), html=html or None
    )
