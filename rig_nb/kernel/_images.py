"""Figures and images as PNG for the model: matplotlib figures and axes, PIL images, image bytes.

Nothing here imports matplotlib or Pillow up front: a figure can only exist once matplotlib is
loaded. Pillow is imported to scale down image bytes that are too large, when it is installed.
"""

from __future__ import annotations

import base64
import io
import sys
from dataclasses import dataclass
from typing import Any

from ._budget import Budget

__all__ = ["Picture", "image_bytes", "image_kind", "picture_of", "sniff_image"]

_SIGNATURES = (
    (b"\x89PNG\r\n\x1a\n", "image/png"),
    (b"\xff\xd8\xff", "image/jpeg"),
    (b"GIF87a", "image/gif"),
    (b"GIF89a", "image/gif"),
)


@dataclass(frozen=True, slots=True)
class Picture:
    """One image for the model: its type, base64 data and a caption."""

    mime: str
    data: str
    caption: str
    """What it is, for the text beside it: `matplotlib Figure, 640x480 px`."""


def sniff_image(data: bytes) -> str | None:
    """The raster type models read that `data` starts as (PNG, JPEG, GIF, WebP), else `None`."""
    for signature, mime in _SIGNATURES:
        if data.startswith(signature):
            return mime
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp"
    return None


def image_kind(value: Any) -> str | None:
    """`"matplotlib Figure"`, `"matplotlib Axes"`, `"PIL image"`, or `None`."""
    figure = sys.modules.get("matplotlib.figure")
    if figure is not None and isinstance(value, figure.Figure):
        return "matplotlib Figure"
    axes = sys.modules.get("matplotlib.axes")
    if axes is not None and isinstance(value, axes.Axes):
        return "matplotlib Axes"
    pil = sys.modules.get("PIL.Image")
    if pil is not None and isinstance(value, pil.Image):
        return "PIL image"
    return None


def picture_of(value: Any, kind: str, budget: Budget) -> Picture:
    """The PNG of a figure, axes or PIL image, no larger than `budget.image_side`."""
    if kind == "PIL image":
        return _pil_picture(value, budget)
    figure = value.figure if kind == "matplotlib Axes" else value
    return _figure_picture(figure, budget)


def _figure_picture(figure: Any, budget: Budget) -> Picture:
    width, height = (float(x) for x in figure.get_size_inches())
    dpi = min(float(figure.dpi), budget.image_side / max(width, height, 1e-6))
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=dpi)
    caption = f"matplotlib Figure, {round(width * dpi)}x{round(height * dpi)} px"
    titles = _titles(figure)
    if titles:
        caption += f", {titles}"
    return Picture("image/png", base64.b64encode(buffer.getvalue()).decode(), caption)


def _titles(figure: Any) -> str:
    """The axes and their titles and labels: `1 Axes: "Sales" (x: month, y: EUR)`."""
    axes = list(figure.get_axes())
    if not axes:
        return ""
    described: list[str] = []
    for ax in axes[:4]:
        title = ax.get_title()
        labels = [f"{a}: {t}" for a, t in (("x", ax.get_xlabel()), ("y", ax.get_ylabel())) if t]
        part = repr(title) if title else ""
        if labels:
            part += f" ({', '.join(labels)})" if part else ", ".join(labels)
        if part:
            described.append(part)
    head = f"{len(axes)} Axes"
    return f"{head}: {'; '.join(described)}" if described else head


def _pil_png(image: Any, budget: Budget) -> tuple[bytes, tuple[int, int]]:
    """PNG bytes of a PIL image no larger than `budget.image_side`, and the size sent."""
    picture = image
    if max(image.width, image.height) > budget.image_side:
        picture = image.copy()
        picture.thumbnail((budget.image_side, budget.image_side))
    if picture.mode not in ("1", "L", "LA", "P", "RGB", "RGBA"):
        picture = picture.convert("RGBA" if "A" in picture.mode else "RGB")
    buffer = io.BytesIO()
    picture.save(buffer, format="PNG")
    return buffer.getvalue(), (picture.width, picture.height)


def _pil_picture(image: Any, budget: Budget) -> Picture:
    data, size = _pil_png(image, budget)
    caption = f"PIL image, {image.width}x{image.height} {image.mode}"
    if size != (image.width, image.height):
        caption += f", sent as {size[0]}x{size[1]}"
    return Picture("image/png", base64.b64encode(data).decode(), caption)


def image_bytes(data: bytes, budget: Budget, what: str) -> Picture | None:
    """Image bytes (PNG, JPEG, GIF, WebP) as a picture, scaled down when Pillow is installed.

    `None` when the bytes are not an image type models read.
    """
    mime = sniff_image(data)
    if mime is None:
        return None
    caption = what
    try:
        from PIL import Image as PILImage
    except ImportError:  # no Pillow: the image goes as it is
        return Picture(mime, base64.b64encode(data).decode(), caption)
    try:
        with PILImage.open(io.BytesIO(data)) as image:
            caption = f"{what}, {image.width}x{image.height}"
            if max(image.width, image.height) <= budget.image_side or mime == "image/gif":
                return Picture(mime, base64.b64encode(data).decode(), caption)
            png, size = _pil_png(image, budget)
    except Exception:  # Pillow cannot read it: send the bytes, the model may
        return Picture(mime, base64.b64encode(data).decode(), caption)
    caption += f", sent as {size[0]}x{size[1]}"
    return Picture("image/png", base64.b64encode(png).decode(), caption)
