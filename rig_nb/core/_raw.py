"""What a model yields to the agent loop: raw choices (spec 1.6), and the tool-call deltas.

A model's `stream(request)` is an async iterator of `RawStreamingChoice` values: plain dataclasses,
never serialized, built once per token (so they are slotted, and `RawText` is not frozen).
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from typing import Any, Protocol, runtime_checkable

from pydantic import model_serializer, model_validator

from ._content import ToolCall, ToolFunction
from ._messages import Usage
from ._reasoning import ReasoningContent
from ._wire import Frozen, as_object

__all__ = [
    "ProviderResponse",
    "RawFinal",
    "RawMessageId",
    "RawReasoning",
    "RawReasoningDelta",
    "RawStreamingChoice",
    "RawText",
    "RawToolCall",
    "RawToolCallDelta",
    "ToolCallArgsDelta",
    "ToolCallDeltaContent",
    "ToolCallNameDelta",
    "new_internal_call_id",
]


def new_internal_call_id() -> str:
    """A fresh 21-character URL-safe id that correlates a call's deltas, call and result."""
    return secrets.token_urlsafe(16)[:21]


@runtime_checkable
class ProviderResponse(Protocol):
    """A provider's final object for one model call (usage and the like)."""

    def token_usage(self) -> Usage | None:
        """The usage of this call, or `None` when the provider reported none."""
        ...


# --- tool-call deltas: externally tagged {"Name": ..} | {"Delta": ..} ----------------------------


class ToolCallNameDelta(Frozen):
    """The tool's name arrived."""

    name: str

    @model_validator(mode="before")
    @classmethod
    def _unwrap(cls, data: Any) -> Any:
        obj = as_object(data)
        return {"name": obj["Name"]} if obj is not None and "Name" in obj else data

    @model_serializer(mode="plain")
    def _wrap(self) -> dict[str, Any]:
        return {"Name": self.name}


class ToolCallArgsDelta(Frozen):
    """A chunk of the arguments' JSON text arrived."""

    delta: str

    @model_validator(mode="before")
    @classmethod
    def _unwrap(cls, data: Any) -> Any:
        obj = as_object(data)
        return {"delta": obj["Delta"]} if obj is not None and "Delta" in obj else data

    @model_serializer(mode="plain")
    def _wrap(self) -> dict[str, Any]:
        return {"Delta": self.delta}


ToolCallDeltaContent = ToolCallNameDelta | ToolCallArgsDelta


# --- provider -> core -----------------------------------------------------------------------


@dataclass(slots=True)  # not frozen: built once per token, and frozen init costs twice as much
class RawText:
    """A chunk of assistant text."""

    text: str


@dataclass(frozen=True, slots=True, kw_only=True)
class RawToolCall:
    """A complete tool call."""

    id: str
    name: str
    arguments: Any = field(default_factory=dict[str, Any])
    internal_call_id: str = field(default_factory=new_internal_call_id)
    call_id: str | None = None
    signature: str | None = None
    additional_params: Any = None

    def to_tool_call(self) -> ToolCall:
        """The message-level tool call."""
        return ToolCall(
            id=self.id,
            call_id=self.call_id,
            function=ToolFunction(name=self.name, arguments=self.arguments),
            signature=self.signature,
            additional_params=self.additional_params,
        )


@dataclass(frozen=True, slots=True, kw_only=True)
class RawToolCallDelta:
    """Part of a tool call that is still streaming."""

    id: str
    internal_call_id: str
    content: ToolCallDeltaContent


@dataclass(frozen=True, slots=True)
class RawReasoning:
    """One complete reasoning part."""

    id: str | None
    content: ReasoningContent


@dataclass(frozen=True, slots=True)
class RawReasoningDelta:
    """A chunk of reasoning text."""

    id: str | None
    reasoning: str


@dataclass(frozen=True, slots=True)
class RawFinal:
    """The provider's final object (usage...)."""

    response: ProviderResponse


@dataclass(frozen=True, slots=True)
class RawMessageId:
    """The provider's id for the assistant message (OpenAI Responses `msg_..`)."""

    id: str


RawStreamingChoice = (
    RawText
    | RawToolCall
    | RawToolCallDelta
    | RawReasoning
    | RawReasoningDelta
    | RawFinal
    | RawMessageId
)
