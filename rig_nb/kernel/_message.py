"""A user message made of objects from the namespace: text, DataFrame descriptions, images, files.

```python
from rig_nb import user_message

prompt = user_message("Which city is warmest? Plot it as:", df, fig, attach=["notes.pdf"])
final = await agent.stream_prompt(prompt)
```

The message is one text part (with a line in place of each image and file, so the model knows
which is which), then the images, then the documents: `rag_text` and the view read the text.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from typing import Any

from ..core import Audio, Base64, DocumentContent, Image, Text, UserMessage, Video
from ..errors import UserError
from ._attach import attachment
from ._budget import Budget
from ._render import render

__all__ = ["PromptParts", "user_message"]

_MEDIA = (Image, DocumentContent, Audio, Video)


class PromptParts:
    """Collects the images and documents of one prompt while its text is written."""

    def __init__(self, budget: Budget | int | None = None) -> None:
        self.budget = Budget.of(budget)
        self.media: list[Image | DocumentContent | Audio | Video] = []
        self.images = 0

    def value(self, value: Any, name: str | None = None) -> str:
        """The text for one value.

        A DataFrame's description, an image's line (the image itself goes after the text), or
        `str(value)` for anything else.
        """
        text = self.rich(value, name)
        return str(value) if text is None else text

    def rich(self, value: Any, name: str | None = None) -> str | None:
        """Like `value`, but `None` for a value that is nothing more than text."""
        rendition = render(value, self.budget, reprs=False)
        if rendition is None:
            return None
        if not rendition.pictures:
            return rendition.text
        lines: list[str] = []
        for picture in rendition.pictures:
            self.images += 1
            media_type = Image.media_type_from_mime(picture.mime)
            self.media.append(Image(data=Base64(value=picture.data), media_type=media_type))
            label = f"{name}: " if name else ""
            lines.append(f"[image {self.images}: {label}{picture.caption}]")
        return " ".join(lines)

    def attach(self, path: str | os.PathLike[str]) -> str:
        """Attach a file; the line for the text (`[attached: notes.pdf (PDF document, 12 kB)]`)."""
        found = attachment(path, self.budget)
        self.media.append(found.part)
        return found.caption

    def message(self, text: str) -> UserMessage:
        """The user message: the text, then the images and documents in order."""
        content = [Text(text=text)] if text else []
        if not content and not self.media:
            raise UserError("a user message needs some text, an object or a file")
        return UserMessage(content=[*content, *self.media])


def user_message(
    *parts: Any,
    attach: Iterable[str | os.PathLike[str]] = (),
    budget: Budget | int | None = None,
) -> UserMessage:
    """A user message from text and objects, joined by newlines, with files attached.

    Args:
        *parts: Strings (sent as they are); DataFrames and Series (pandas, polars: a compact
            description); matplotlib figures or axes and PIL images (image parts); rig_nb
            `Text`, `Image` or `DocumentContent` parts (as they are); anything else as `str()`.
        attach: Files: images, PDFs (sent as documents) and UTF-8 text files.
        budget: The size budget of each object (a `Budget`, or a number of characters).

    Raises:
        UserError: a file cannot be attached (missing, too large, not an image, PDF or text).
    """
    builder = PromptParts(budget)
    texts: list[str] = []
    for part in parts:
        if isinstance(part, str):
            texts.append(part)
        elif isinstance(part, Text):
            texts.append(part.text)
        elif isinstance(part, _MEDIA):
            builder.media.append(part)
        else:
            texts.append(builder.value(part))
    texts += [builder.attach(path) for path in attach]
    return builder.message("\n".join(texts))
