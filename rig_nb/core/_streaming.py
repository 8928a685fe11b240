"""What a streaming run yields (spec 1.4, 1.6): `MultiTurnStreamItem`s, whose JSON is rig's.

What a model yields to the run, the raw choices, is in `_raw.py`.

```python
async for item in agent.stream_prompt("Weather in Paris?").multi_turn(3):
    match item:
        case StreamAssistantItem(content=StreamedText(text=text)):
            print(text, end="")
        case StreamUserItem(content=StreamedToolResult(tool_result=result)):
            print("tool result:", result.content)
        case FinalResponse():
            print("usage:", item.usage)
```
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from pydantic import BaseModel, Field, PrivateAttr, model_serializer, model_validator

from ._content import ToolCall, ToolResult
from ._cost import CallUsage, total_cost
from ._messages import AnyMessage, Usage
from ._raw import ToolCallDeltaContent
from ._reasoning import Reasoning
from ._tool_output import ToolDisplay
from ._wire import Frozen, as_object

__all__ = [
    "FinalResponse",
    "MultiTurnStreamItem",
    "StreamAssistantItem",
    "StreamUserItem",
    "StreamedAssistantContent",
    "StreamedFinal",
    "StreamedReasoningDelta",
    "StreamedText",
    "StreamedToolCall",
    "StreamedToolCallDelta",
    "StreamedToolResult",
    "item_from_wire",
]


# --- core -> caller ---------------------------------------------------------------------------


class StreamedText(Frozen):
    """A chunk of assistant text."""

    text: str


class StreamedToolCall(Frozen):
    """A complete tool call, yielded as soon as it arrives (before it runs)."""

    tool_call: ToolCall
    internal_call_id: str


class StreamedToolCallDelta(Frozen):
    """Part of a tool call still streaming (name, then argument chunks)."""

    id: str
    internal_call_id: str
    content: ToolCallDeltaContent


class StreamedReasoningDelta(Frozen):
    """A chunk of reasoning text; a later `Reasoning` block is its finished form."""

    id: str | None
    reasoning: str


class StreamedFinal(Frozen):
    """The provider's final object for a turn that produced text; JSON is its own fields."""

    response: Any

    def token_usage(self) -> Usage | None:
        """The usage the provider reported for this call."""
        # What `isinstance(response, ProviderResponse)` checks, without the Protocol machinery
        # (3.7 µs a call, 0.1 µs now; once a row).
        usage: Any = getattr(self.response, "token_usage", None)
        return None if usage is None else usage()


StreamedAssistantContent = (
    StreamedText
    | StreamedToolCall
    | StreamedToolCallDelta
    | Reasoning
    | StreamedReasoningDelta
    | StreamedFinal
)


class StreamedToolResult(Frozen):
    """The result of a tool call, keyed by the call's `internal_call_id`."""

    tool_result: ToolResult
    internal_call_id: str
    error: str | None = Field(default=None, exclude=True)
    """What failed, when the tool did (`ToolCallError: disk full`, `ToolNotFoundError: f`); the
    result's text is then rig's (`Toolset error: ...`). Not part of rig's JSON."""
    display: ToolDisplay | None = Field(default=None, exclude=True)
    """A richer rendition for people (an HTML table), when the tool returned a rich object; the
    model got `tool_result`. Not part of rig's JSON."""

    @property
    def failed(self) -> bool:
        """Whether the tool failed: it raised, its arguments did not parse, or it does not exist."""
        return self.error is not None


def _dump_final(response: Any) -> dict[str, Any]:
    if isinstance(response, BaseModel):
        return response.model_dump(mode="json")
    return dict(as_object(response) or {})


def _load_assistant_content(data: dict[str, Any]) -> StreamedAssistantContent:
    """Rig's untagged order: text, tool call, tool-call delta, reasoning, reasoning delta, final."""
    if "text" in data:
        return StreamedText(text=data["text"])
    if "tool_call" in data and "internal_call_id" in data:
        return StreamedToolCall.model_validate(data)
    if "id" in data and "internal_call_id" in data and isinstance(data.get("content"), dict):
        return StreamedToolCallDelta.model_validate(data)
    if isinstance(data.get("content"), list):
        return Reasoning.model_validate(data)
    if "reasoning" in data:
        return StreamedReasoningDelta.model_validate(data)
    return StreamedFinal(response=data)


class StreamAssistantItem(Frozen):
    """Something the model produced: text, reasoning, a tool call (or its delta), a turn's final."""

    content: StreamedAssistantContent

    @model_serializer(mode="plain")
    def _flatten(self) -> dict[str, Any]:
        content = self.content
        body = (
            _dump_final(content.response)
            if isinstance(content, StreamedFinal)
            else content.model_dump(mode="json")
        )
        return {"type": "streamAssistantItem", **body}


class StreamUserItem(Frozen):
    """A tool result, sent back to the model on the next turn."""

    content: StreamedToolResult

    @model_serializer(mode="plain")
    def _flatten(self) -> dict[str, Any]:
        return {"type": "streamUserItem", **self.content.model_dump(mode="json")}


class FinalResponse(Frozen):
    """The end of a successful run: the final turn's text, the summed usage, the new messages.

    `history` holds only the messages of this run (prompt first), and only when the run was given a
    history (`with_history`, `stream_chat`); append it to your own list to continue the chat.
    `calls` has each model call's usage and dollar cost, `cost` their sum. Neither is part of
    rig's JSON, nor of equality (two answers are equal whatever they cost).
    """

    response: str
    aggregated_usage: Usage = Field(default_factory=Usage)
    """JSON key `aggregatedUsage`."""
    history: list[AnyMessage] | None = None
    _output: Any = PrivateAttr(default=None)
    _calls: tuple[CallUsage, ...] = PrivateAttr(default=())
    _pending: Callable[[], Sequence[CallUsage]] | None = PrivateAttr(default=None)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, FinalResponse):
            return NotImplemented
        return self.__dict__ == other.__dict__ and self._output == other._output

    __hash__ = Frozen.__hash__

    def __getstate__(self) -> dict[Any, Any]:
        self._resolve()  # a pickle holds the priced calls, not the means to price them
        return super().__getstate__()

    def _resolve(self) -> tuple[CallUsage, ...]:
        if self._pending is not None:
            self._calls, self._pending = tuple(self._pending()), None
        return self._calls

    @property
    def calls(self) -> list[CallUsage]:
        """Each model call of the run: its model, usage and cost (priced on first access)."""
        return list(self._resolve())

    @property
    def cost(self) -> float | None:
        """The run's cost in US dollars; `None` when a call's price is unknown (see `cost_note`)."""
        calls = self._resolve()
        return total_cost(calls)[0] if calls else None

    @property
    def cost_note(self) -> str | None:
        """Why `cost` is `None` (`"model call 1 (vllm:qwen2.5): no price for ..."`)."""
        calls = self._resolve()
        if not calls:
            return "no model calls were recorded"
        return total_cost(calls)[1]

    def with_calls(
        self, calls: Sequence[CallUsage] | Callable[[], Sequence[CallUsage]]
    ) -> FinalResponse:
        """This response carrying its model calls' usage and costs (not part of the JSON).

        A callable is called on first access: a run prices its calls only when asked.
        """
        if callable(calls):
            self._calls, self._pending = (), calls
        else:
            self._calls, self._pending = tuple(calls), None
        return self

    @property
    def output(self) -> Any:
        """The final answer validated into the agent's `output_type` (`None` without one)."""
        return self._output

    def with_output(self, output: Any) -> FinalResponse:
        """This response carrying a structured output (not part of the JSON)."""
        self._output = output
        return self

    @property
    def usage(self) -> Usage:
        """Same as `aggregated_usage`."""
        return self.aggregated_usage

    @property
    def text(self) -> str:
        """Same as `response`."""
        return self.response

    @staticmethod
    def empty() -> FinalResponse:
        """`("", Usage(), None)`."""
        return FinalResponse(response="")

    @model_validator(mode="before")
    @classmethod
    def _drop_tag(cls, data: Any) -> Any:
        obj = as_object(data)
        if obj is None:
            return data
        renamed = {"aggregatedUsage": "aggregated_usage"}
        return {renamed.get(k, k): v for k, v in obj.items() if k != "type"}

    @model_serializer(mode="plain")
    def _wire(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "type": "finalResponse",
            "response": self.response,
            "aggregatedUsage": self.aggregated_usage.model_dump(mode="json"),
        }
        if self.history is not None:
            out["history"] = [m.model_dump(mode="json") for m in self.history]
        return out


MultiTurnStreamItem = StreamAssistantItem | StreamUserItem | FinalResponse

_ITEM_CLASSES: dict[str, type[Frozen]] = {
    "streamAssistantItem": StreamAssistantItem,
    "streamUserItem": StreamUserItem,
    "finalResponse": FinalResponse,
}


def item_from_wire(data: dict[str, Any]) -> MultiTurnStreamItem:
    """Parse rig's JSON form of a stream item (a dict)."""
    tag = data.get("type")
    body = {k: v for k, v in data.items() if k != "type"}
    if tag == "streamAssistantItem":
        return StreamAssistantItem(content=_load_assistant_content(body))
    if tag == "streamUserItem":
        return StreamUserItem(content=StreamedToolResult.model_validate(body))
    if tag == "finalResponse":
        return FinalResponse.model_validate(data)
    raise ValueError(
        f"not a stream item: 'type' must be one of {list(_ITEM_CLASSES)}, got {data!r}"
    )
