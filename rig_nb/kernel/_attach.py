"""Files attached to a prompt (`-a PATH`, `attach=`): images, PDFs as documents, text.

Each provider sends these parts in its own wire format (an image block, a PDF document or file
part, text). Anything else is refused with a message that says what can be attached.
"""

from __future__ import annotations

import base64
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..core import Base64, DocumentContent, Image, String
from ..errors import UserError
from ._budget import Budget, clip
from ._images import image_bytes

__all__ = ["Attachment", "attachment"]

MAX_IMAGE_BYTES = 20_000_000
"""Providers refuse larger images (OpenAI: 20 MB; Anthropic scales down from 5 MB)."""
MAX_PDF_BYTES = 32_000_000
"""Anthropic's and Gemini's request limit for inline PDFs."""
MAX_FILE_BYTES = 64_000_000
"""Larger files are not read at all (a text file is cut far below this anyway)."""

_TEXT_TYPES: dict[str, Any] = {
    ".md": "markdown",
    ".markdown": "markdown",
    ".csv": "csv",
    ".tsv": "csv",
    ".html": "html",
    ".htm": "html",
    ".css": "css",
    ".xml": "xml",
    ".svg": "xml",
    ".js": "javascript",
    ".mjs": "javascript",
    ".py": "python",
    ".rtf": "rtf",
}


@dataclass(frozen=True, slots=True)
class Attachment:
    """One attached file: the part the model gets and the line the prompt's text gets."""

    part: Image | DocumentContent
    caption: str
    """`[attached: report.pdf (PDF document, 120 kB)]`, added to the prompt's text."""


def _size(n: int) -> str:
    if n < 1000:
        return f"{n} bytes"
    if n < 1_000_000:
        return f"{n / 1000:.1f} kB"
    return f"{n / 1_000_000:.1f} MB"


def attachment(path: str | os.PathLike[str], budget: Budget | int | None = None) -> Attachment:
    """An attachment from a file: an image, a PDF (a document part) or a UTF-8 text file.

    Raises:
        UserError: the file does not exist, cannot be read, is too large, or is of another kind.
    """
    limits = Budget.of(budget)
    file = Path(path).expanduser()
    name = file.name
    if not file.exists():
        raise UserError(f"cannot attach {str(path)!r}: no such file")
    if not file.is_file():
        raise UserError(f"cannot attach {str(path)!r}: not a file")
    try:
        if file.stat().st_size > MAX_FILE_BYTES:
            raise UserError(
                f"cannot attach {name}: {_size(file.stat().st_size)} is too large to send to a "
                "model; attach a smaller file or an excerpt"
            )
        data = file.read_bytes()
    except OSError as exc:
        raise UserError(f"cannot attach {str(path)!r}: {exc.strerror or exc}") from None
    picture = image_bytes(data, limits, "image")
    if picture is not None:
        sent = len(picture.data) * 3 // 4
        if sent > MAX_IMAGE_BYTES:
            raise UserError(
                f"cannot attach {name}: {_size(sent)} is more than providers take in one image "
                "(20 MB); scale it down first"
            )
        image = Image(data=Base64(value=picture.data), media_type=_media(picture.mime))
        return Attachment(image, f"[attached: {name} ({picture.caption})]")
    if data.startswith(b"%PDF-"):
        if len(data) > MAX_PDF_BYTES:
            raise UserError(
                f"cannot attach {name}: {_size(len(data))} is more than providers take in one "
                "PDF (32 MB)"
            )
        document = DocumentContent(
            data=Base64(value=base64.b64encode(data).decode()), media_type="pdf"
        )
        return Attachment(document, f"[attached: {name} (PDF document, {_size(len(data))})]")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        raise UserError(
            f"cannot attach {name}: it is neither an image (PNG, JPEG, GIF, WebP), a PDF nor "
            "UTF-8 text"
        ) from None
    kept = clip(text, limits.attachment_chars)
    note = "" if kept == text else f", cut to {limits.attachment_chars:,} characters"
    body = f"<file name: {name}>\n{kept}\n</file>"
    media = _TEXT_TYPES.get(file.suffix.lower(), "txt")
    document = DocumentContent(data=String(value=body), media_type=media)
    return Attachment(document, f"[attached: {name} (text, {len(text):,} characters{note})]")


def _media(mime: str) -> Any:
    return Image.media_type_from_mime(mime)
