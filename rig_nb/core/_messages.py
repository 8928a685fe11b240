"""Messages, usage and the other request-level values (spec 1.1, 1.2, 1.5).

```python
from rig_nb import Message, history_to_json, history_from_json

history = [Message.user("Hi"), Message.assistant("Hello!")]
assert history_from_json(history_to_json(history)) == history
```
"""

from __future__ import annotations

import os
import weakref
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Annotated, Any, ClassVar, Literal, TypeVar, cast

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    TypeAdapter,
    field_serializer,
    field_validator,
    model_serializer,
    model_validator,
)
from pydantic_core import to_json

from ._content import Audio, DocumentContent, Image, String, Text, ToolCall, ToolResult, Video
from ._reasoning import Reasoning
from ._wire import Frozen, as_object, dump_tagged, load_tagged

__all__ = [
    "AnyMessage",
    "AssistantContent",
    "AssistantMessage",
    "Document",
    "Message",
    "SystemMessage",
    "ToolChoice",
    "ToolChoiceSpecific",
    "Usage",
    "UserContent",
    "UserMessage",
    "history_from_json",
    "history_to_json",
    "load_history",
    "rag_text",
    "save_history",
]


class Usage(Frozen):
    """Token usage; 0 means the provider did not report it. `+` adds field by field."""

    input_tokens: int = 0
    output_tokens: int = 0
    total_tokens: int = 0
    cached_input_tokens: int = 0
    """Input tokens read from the provider's cache."""
    cache_creation_input_tokens: int = 0
    """Input tokens written to the provider's cache."""

    def __add__(self, other: Usage) -> Usage:
        return Usage(
            input_tokens=self.input_tokens + other.input_tokens,
            output_tokens=self.output_tokens + other.output_tokens,
            total_tokens=self.total_tokens + other.total_tokens,
            cached_input_tokens=self.cached_input_tokens + other.cached_input_tokens,
            cache_creation_input_tokens=self.cache_creation_input_tokens
            + other.cache_creation_input_tokens,
        )


UserContent = Text | ToolResult | Image | Audio | Video | DocumentContent
_USER_TAGS: dict[type[BaseModel], str] = {
    Text: "text",
    ToolResult: "toolresult",
    Image: "image",
    Audio: "audio",
    Video: "video",
    DocumentContent: "document",
}
_USER_CLASSES: dict[str, type[BaseModel]] = {tag: cls for cls, tag in _USER_TAGS.items()}

AssistantContent = Text | ToolCall | Reasoning | Image


def _assistant_part(item: Any) -> Any:
    """Rig's AssistantContent is untagged: recognise a dict by its keys, in rig's order."""
    obj = as_object(item)
    if obj is None:
        return item
    if "text" in obj:
        return Text.model_validate({"text": obj["text"]})
    if "function" in obj and "id" in obj:
        return ToolCall.model_validate(obj)
    if isinstance(obj.get("content"), list):
        return Reasoning.model_validate(obj)
    if "data" in obj:
        return Image.model_validate(obj)
    raise ValueError(
        f"not an assistant content item (text, tool call, reasoning or image): {item!r}"
    )


class Message(Frozen):
    """Base of the three message kinds; also the place of the constructors.

    Annotate pydantic fields with `AnyMessage` (the discriminated union), not with this base.
    """

    role: ClassVar[str]

    @staticmethod
    def user(text: str) -> UserMessage:
        """A user message holding one text part."""
        return UserMessage(content=[Text(text=text)])

    @staticmethod
    def assistant(text: str, id: str | None = None) -> AssistantMessage:  # noqa: A002
        """An assistant message holding one text part."""
        return AssistantMessage(id=id, content=[Text(text=text)])

    @staticmethod
    def system(text: str) -> SystemMessage:
        """A system message."""
        return SystemMessage(content=text)

    @staticmethod
    def tool_result(id: str, output: str, call_id: str | None = None) -> UserMessage:  # noqa: A002
        """A user message carrying one tool result, its content parsed by `from_tool_output`."""
        result = ToolResult(id=id, call_id=call_id, content=ToolResult.from_tool_output(output))
        return UserMessage(content=[result])

    @staticmethod
    def from_wire(data: Any) -> AnyMessage:
        """Parse rig's JSON form (a dict) of any message."""
        return _MESSAGE.validate_python(data)

    @staticmethod
    def coerce(value: str | Message) -> AnyMessage:
        """A bare string becomes a user text message."""
        if isinstance(value, str):
            return Message.user(value)
        if isinstance(value, SystemMessage | UserMessage | AssistantMessage):
            return value
        raise TypeError(f"expected a str or a Message, got {type(value).__name__}")

    def to_wire(self) -> dict[str, Any]:
        """Rig's JSON form, as a dict."""
        return self.model_dump(mode="json")


class SystemMessage(Message):
    """A system prompt."""

    role: Literal["system"] = "system"  # pyright: ignore[reportIncompatibleVariableOverride]
    content: str


class UserMessage(Message):
    """A user turn: text, media, documents or tool results."""

    role: Literal["user"] = "user"  # pyright: ignore[reportIncompatibleVariableOverride]
    content: list[UserContent] = Field(min_length=1)

    @field_validator("content", mode="before")
    @classmethod
    def _load_content(cls, raw: Any) -> Any:
        return load_tagged(raw, _USER_CLASSES, "user content")

    @field_serializer("content", mode="wrap")
    def _dump_content(self, value: list[UserContent], handler: Any) -> list[Any]:
        return dump_tagged(value, handler(value), _USER_TAGS)


class AssistantMessage(Message):
    """A model turn: text, reasoning, tool calls, images. `id` is always serialized."""

    role: Literal["assistant"] = "assistant"  # pyright: ignore[reportIncompatibleVariableOverride]
    id: str | None = None
    content: list[AssistantContent] = Field(min_length=1)

    @field_validator("content", mode="before")
    @classmethod
    def _load_content(cls, raw: Any) -> Any:
        if isinstance(raw, list):
            return [_assistant_part(item) for item in cast(list[Any], raw)]
        return raw

    def text(self) -> str:
        """The text parts, concatenated."""
        return "".join(c.text for c in self.content if isinstance(c, Text))

    def tool_calls(self) -> list[ToolCall]:
        """The tool calls, in order."""
        return [c for c in self.content if isinstance(c, ToolCall)]


AnyMessage = Annotated[SystemMessage | UserMessage | AssistantMessage, Field(discriminator="role")]
_MESSAGE: TypeAdapter[AnyMessage] = TypeAdapter(AnyMessage)
_HISTORY: TypeAdapter[list[AnyMessage]] = TypeAdapter(list[AnyMessage])


T = TypeVar("T")
M = TypeVar("M", bound="Message")
_DERIVED: dict[int, tuple[weakref.ReferenceType[Message], dict[str, Any]]] = {}


def derived(message: M, key: str, build: Callable[[M], T]) -> T:
    """`build(message)`, computed once per message and `key` while the message lives.

    A turn sends the whole history again; its messages are frozen, so what a provider makes of
    one (its wire dicts, their JSON) is made once. At 10k messages a turn's cost went from 6.5 µs
    to 0.75 µs a message (bench/turns.py). The entry goes when the message does.
    """
    at = id(message)
    entry = _DERIVED.get(at)
    if entry is None or entry[0]() is not message:
        ref: weakref.ReferenceType[Message] = weakref.ref(message, lambda dead: _forget(at, dead))
        entry = _DERIVED[at] = (ref, {})
    values = entry[1]
    if key in values:
        found: T = values[key]
        return found
    value = values[key] = build(message)
    return value


def _forget(at: int, dead: weakref.ReferenceType[Message]) -> None:
    entry = _DERIVED.get(at)
    if entry is not None and entry[0] is dead:
        del _DERIVED[at]


def history_to_json(history: Iterable[Message], *, indent: int | None = None) -> str:
    """Serialize a list of messages to rig's JSON."""
    return to_json([m.to_wire() for m in history], indent=indent).decode()


def history_from_json(data: str | bytes | list[Any]) -> list[AnyMessage]:
    """Parse a JSON array of messages (as written by `history_to_json` or by rig).

    `data` is the JSON text, or the array already parsed (`json.loads`): a batch's cache lines
    hold their history inside a bigger JSON object.
    """
    if isinstance(data, list):
        return _HISTORY.validate_python(data)
    return _HISTORY.validate_json(data)


def save_history(path: str | os.PathLike[str], history: Iterable[Message]) -> None:
    """Write a history to a JSON file (rig's format)."""
    Path(path).write_text(history_to_json(history, indent=2) + "\n", encoding="utf-8")


def load_history(path: str | os.PathLike[str]) -> list[AnyMessage]:
    """Read a history written by `save_history` (or by rig)."""
    return history_from_json(Path(path).read_bytes())


def rag_text(message: Message) -> str | None:
    """The first text of a user message; `None` for other messages and text-less user messages."""
    if isinstance(message, UserMessage):
        return next((c.text for c in message.content if isinstance(c, Text)), None)
    return None


def message_text(message: Message) -> str:
    """A message as readable text, a line per part.

    Its text, `[reasoning] ...`, `[tool call] name(arguments)`, `[tool result] text` (an image as
    `[image]`), `[kind]` for other parts. What `%agent history` prints and a batch view's failure
    shows.
    """
    if isinstance(message, SystemMessage):
        return message.content
    parts: list[str] = []
    content: list[Any] = getattr(message, "content", [])
    for part in content:
        if isinstance(part, Text):
            parts.append(part.text)
        elif isinstance(part, Reasoning):
            parts.append(f"[reasoning] {part.display_text()}")
        elif isinstance(part, ToolCall):
            parts.append(f"[tool call] {part.function.name}({part.function.arguments})")
        elif isinstance(part, ToolResult):
            texts = " ".join(getattr(c, "text", "[image]") for c in part.content)
            parts.append(f"[tool result] {texts}")
        else:
            parts.append(f"[{type(part).__name__.lower()}]")
    return "\n".join(parts)


class ToolChoiceSpecific(Frozen):
    """Force a call of one of these functions. JSON: `{"specific": {"function_names": [...]}}`."""

    function_names: list[str]

    @model_validator(mode="before")
    @classmethod
    def _unwrap(cls, data: Any) -> Any:
        obj = as_object(data)
        return obj["specific"] if obj is not None and "specific" in obj else data

    @model_serializer(mode="plain")
    def _wrap(self) -> dict[str, Any]:
        return {"specific": {"function_names": list(self.function_names)}}


ToolChoice = Literal["auto", "none", "required"] | ToolChoiceSpecific


class Document(Frozen):
    """A RAG context document; `additional_props` are flattened into the JSON."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    id: str
    text: str
    additional_props: dict[str, str] = Field(default_factory=dict[str, str])

    @model_validator(mode="before")
    @classmethod
    def _gather_props(cls, data: Any) -> Any:
        obj = as_object(data)
        if obj is not None and "additional_props" not in obj:
            props = {k: v for k, v in obj.items() if k not in ("id", "text")}
            return {"id": obj.get("id"), "text": obj.get("text"), "additional_props": props}
        return data

    @model_serializer(mode="plain")
    def _flatten(self) -> dict[str, Any]:
        return {"id": self.id, "text": self.text, **self.additional_props}

    def render(self) -> str:
        """The text the model sees: `<file id: ..>` with a metadata line when there are props."""
        body = self.text
        if self.additional_props:
            meta = " ".join(
                f"{k}: {to_json(v).decode()}" for k, v in sorted(self.additional_props.items())
            )
            body = f"<metadata {meta} />\n{self.text}"
        return f"<file id: {self.id}>\n{body}\n</file>\n"

    @staticmethod
    def normalize(documents: Iterable[Document]) -> UserMessage | None:
        """All documents as one user message of text documents (`None` when there are none)."""
        parts = [
            DocumentContent(data=String(value=d.render()), media_type="txt") for d in documents
        ]
        return UserMessage(content=list(parts)) if parts else None
