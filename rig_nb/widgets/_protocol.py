"""The messages between the kernel and the browser: the view state, and the clicks.

The kernel syncs a `ViewState` in the widget's `state` trait (the reducer in `_reducer.py`
builds it); the browser sends a `FrontEndMessage` per click. The front end's copy of these types
is the JSDoc in `js/src/protocol.js`, with the same names and keys (tests/widgets/test_protocol.py
compares them): change both together.

Every string in a state is untrusted model or tool output: the front end renders it as text or
as sanitised markdown, never as HTML.
"""

from __future__ import annotations

from typing import Literal, TypedDict

__all__ = [
    "Block",
    "CodeView",
    "DataImage",
    "FrontEndMessage",
    "ImageRef",
    "ReasoningBlock",
    "RichView",
    "RunStatus",
    "TextBlock",
    "ToolBlock",
    "ToolOutput",
    "ToolStatus",
    "TurnUsage",
    "UrlImage",
    "Usage",
    "UsageReport",
    "ViewState",
]

RunStatus = Literal["running", "waiting", "done", "error", "cancelled"]
ToolStatus = Literal["streaming", "called", "waiting", "running", "done", "skipped", "error"]


class Usage(TypedDict):
    """Token usage; 0 means the provider did not report it."""

    input_tokens: int
    output_tokens: int
    total_tokens: int
    cached_input_tokens: int
    cache_creation_input_tokens: int


class TurnUsage(Usage):
    """One model call's usage; `turn` counts from 0; `cost` in US dollars once the run ended."""

    turn: int
    cost: float | None


class UsageReport(TypedDict):
    """Usage per model call, and the run's total once known.

    `cost` is the run's cost in US dollars once it ended, `None` when unknown; `cost_note` then
    says why (`None` before the end).
    """

    turns: list[TurnUsage]
    total: Usage | None
    cost: float | None
    cost_note: str | None


class DataImage(TypedDict):
    """An image sent as data (`mime` is `image/png`...; the front end shows raster types)."""

    mime: str
    data: str


class UrlImage(TypedDict):
    """An image at an http(s) URL."""

    url: str


ImageRef = DataImage | UrlImage


class RichView(TypedDict):
    """A richer rendition of a result for people; the model got the result's text and images.

    `text/html` (an HTML table, sanitised by the front end) or a raster image as base64.
    """

    mime: str
    data: str


class ToolOutput(TypedDict):
    """A tool call's result: its text (pretty-printed when it is JSON) and its images.

    `rich` is set when the tool returned a rich object (a DataFrame: an HTML table).
    """

    text: str
    json: bool
    images: list[ImageRef]
    rich: RichView | None


class CodeView(TypedDict):
    """An argument shown as code on the card (`run_python`'s `code`), highlighted."""

    language: str
    text: str


class TextBlock(TypedDict):
    """Assistant text (markdown from the model)."""

    kind: Literal["text"]
    turn: int
    text: str


class ReasoningBlock(TypedDict):
    """Reasoning; `done` once the finished block arrived (or the run ended)."""

    kind: Literal["reasoning"]
    turn: int
    text: str
    done: bool


class ToolBlock(TypedDict):
    """One tool call's card.

    `id` is the internal call id that decision clicks name. `failed` is set when the tool failed
    (it raised, its arguments did not parse, no tool has its name): the status is then `error`
    and `decision` says what failed. `code` is set once the call arrived when the tool shows an
    argument as code (`Tool.code_argument`).
    """

    kind: Literal["tool"]
    turn: int
    id: str
    call_id: str
    name: str
    args: str
    status: ToolStatus
    failed: bool
    decision: str | None
    result: ToolOutput | None
    code: CodeView | None


Block = TextBlock | ReasoningBlock | ToolBlock


class ViewState(TypedDict):
    """The whole state of a run's view."""

    status: RunStatus
    prompt: str
    blocks: list[Block]
    usage: UsageReport
    error: str | None
    notices: list[str]
    final: str | None


class FrontEndMessage(TypedDict, total=False):
    """What the browser sends: a button click (`stop`, or a decision on the card `id`)."""

    kind: Literal["approve", "skip", "terminate", "stop", "always_allow"]
    id: str
    reason: str
