"""Reasoning: a block of model reasoning and its parts (spec 1.3).

Each part is *adjacently tagged* in rig's JSON: `{"type": tag, "content": payload}`.
"""

from __future__ import annotations

from typing import Annotated, Any, ClassVar

from pydantic import Discriminator, Field, Tag, model_serializer, model_validator

from ._wire import Frozen, as_object

__all__ = [
    "Reasoning",
    "ReasoningContent",
    "ReasoningEncrypted",
    "ReasoningRedacted",
    "ReasoningSummary",
    "ReasoningText",
]


class _Adjacent(Frozen):
    """A reasoning part whose JSON is `{"type": tag, "content": payload}`."""

    tag: ClassVar[str]

    def _payload(self) -> Any:
        raise NotImplementedError

    @classmethod
    def _from_payload(cls, content: Any) -> dict[str, Any]:
        raise NotImplementedError

    @model_validator(mode="before")
    @classmethod
    def _unwrap(cls, data: Any) -> Any:
        obj = as_object(data)
        if obj is not None and "content" in obj and obj.get("type") == cls.tag:
            return cls._from_payload(obj["content"])
        return data

    @model_serializer(mode="plain")
    def _wrap(self) -> dict[str, Any]:
        return {"type": self.tag, "content": self._payload()}


class ReasoningText(_Adjacent):
    """Visible reasoning text, with the provider's signature if it gave one (Anthropic, Gemini)."""

    tag: ClassVar[str] = "text"
    text: str
    signature: str | None = None

    def _payload(self) -> Any:
        body: dict[str, Any] = {"text": self.text}
        if self.signature is not None:
            body["signature"] = self.signature
        return body

    @classmethod
    def _from_payload(cls, content: Any) -> dict[str, Any]:
        return as_object(content) or {"text": content}


class ReasoningEncrypted(_Adjacent):
    """Opaque encrypted reasoning (OpenAI Responses `encrypted_content`)."""

    tag: ClassVar[str] = "encrypted"
    data: str

    def _payload(self) -> Any:
        return self.data

    @classmethod
    def _from_payload(cls, content: Any) -> dict[str, Any]:
        return {"data": content}


class ReasoningRedacted(_Adjacent):
    """Reasoning the provider redacted (Anthropic `redacted_thinking`)."""

    tag: ClassVar[str] = "redacted"
    data: str

    def _payload(self) -> Any:
        return {"data": self.data}

    @classmethod
    def _from_payload(cls, content: Any) -> dict[str, Any]:
        return as_object(content) or {"data": content}


class ReasoningSummary(_Adjacent):
    """A summary of hidden reasoning (OpenAI Responses)."""

    tag: ClassVar[str] = "summary"
    text: str

    def _payload(self) -> Any:
        return self.text

    @classmethod
    def _from_payload(cls, content: Any) -> dict[str, Any]:
        return {"text": content}


def _reasoning_tag(value: Any) -> str | None:
    obj = as_object(value)
    if obj is not None:
        tag: Any = obj.get("type")
        return tag if isinstance(tag, str) else None
    return value.tag if isinstance(value, _Adjacent) else None


ReasoningContent = Annotated[
    Annotated[ReasoningText, Tag("text")]
    | Annotated[ReasoningEncrypted, Tag("encrypted")]
    | Annotated[ReasoningRedacted, Tag("redacted")]
    | Annotated[ReasoningSummary, Tag("summary")],
    Discriminator(_reasoning_tag),
]


class Reasoning(Frozen):
    """A block of model reasoning; blocks with the same non-null `id` are merged by the loop."""

    id: str | None = None
    content: list[ReasoningContent] = Field(default_factory=list[ReasoningContent])

    @classmethod
    def multi(cls, texts: list[str], id: str | None = None) -> Reasoning:  # noqa: A002
        """One unsigned text part per string."""
        return cls(id=id, content=[ReasoningText(text=t) for t in texts])

    def display_text(self) -> str:
        """Text, summary and redacted parts joined by newlines; encrypted parts are skipped."""
        parts: list[str] = []
        for item in self.content:
            if isinstance(item, ReasoningText | ReasoningSummary):
                parts.append(item.text)
            elif isinstance(item, ReasoningRedacted):
                parts.append(item.data)
        return "\n".join(parts)

    def first_text(self) -> str | None:
        """The first text part's text."""
        return next((c.text for c in self.content if isinstance(c, ReasoningText)), None)

    def first_signature(self) -> str | None:
        """The signature of the first signed text part."""
        return next(
            (c.signature for c in self.content if isinstance(c, ReasoningText) and c.signature),
            None,
        )

    def encrypted_content(self) -> str | None:
        """The first encrypted part's data."""
        return next((c.data for c in self.content if isinstance(c, ReasoningEncrypted)), None)
