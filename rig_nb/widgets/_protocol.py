"""The messages between the kernel and the browser: the view state, and the clicks.

The kernel syncs a whole `ViewState` in the widget's `state` trait when a run starts and when it
ends (the exact final state); in between it sends `DeltaMessage`s (custom comm messages): only
what changed since the last frame, numbered by `seq`. A front end that misses one (or attaches
mid-run) asks for the whole state (`request_state`) and gets a `StateMessage`. The reducer in
`_reducer.py` builds the state, `_delta.py` the deltas; the browser sends a `FrontEndMessage` per
click. The front end's copy of these types
is the JSDoc in `js/src/protocol.js`, with the same names and keys (tests/widgets/test_protocol.py
compares them): change both together.

Every string in a state is untrusted model or tool output: the front end renders it as text or
as sanitised markdown, never as HTML.
"""

from __future__ import annotations

from typing import Literal, TypedDict

__all__ = [
    "AddOp",
    "AppendOp",
    "Block",
    "BlockOp",
    "CodeView",
    "DataImage",
    "Decision",
    "DecisionKind",
    "DeltaMessage",
    "FrontEndMessage",
    "ImageRef",
    "PatchOp",
    "ReasoningBlock",
    "RichView",
    "RunStatus",
    "StateMessage",
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
ToolStatus = Literal[
    "streaming", "called", "waiting", "queued", "running", "done", "skipped", "error"
]
"""`queued`: decided to run (approved while an earlier call of the turn still waits)."""
DecisionKind = Literal[
    "approved",
    "auto",
    "always_allowed",
    "denied",
    "skipped",
    "terminated",
    "timeout",
    "headless",
    "hook",
    "not_run",
]
"""Why a tool call ran or did not: approved by you, the `auto` policy, Always allow, denied by the
policy, skipped by you, terminated by you, no answer in time, decided by the headless policy (no
front end), by your hook, or not run because the run ended first."""


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
    """An image sent as data (`mime` is `image/png`...; the front end shows raster types).

    `data` is the raw bytes: they cross the comm as a binary buffer, once (never as base64 in
    JSON); empty when the tool's base64 did not decode.
    """

    mime: str
    data: bytes


class UrlImage(TypedDict):
    """An image at an http(s) URL."""

    url: str


ImageRef = DataImage | UrlImage


class RichView(TypedDict):
    """A richer rendition of a result for people; the model got the result's text and images.

    `text/html` (an HTML table, sanitised by the front end): `data` is the HTML text. A raster
    image (`image/png`, `image/jpeg`): `data` is the raw bytes, sent as a binary buffer like a
    `DataImage`'s (empty when the tool's base64 did not decode).
    """

    mime: str
    data: str | bytes


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


class Decision(TypedDict):
    """Who or what decided a tool call, and their reason (a skip reason, the policy's detail)."""

    kind: DecisionKind
    reason: str


class ToolBlock(TypedDict):
    """One tool call's card.

    `id` is the internal call id that decision clicks name. `failed` is set when the tool failed
    (it raised, its arguments did not parse, no tool has its name): the status is then `error`
    and `error` says what failed. `args` are the arguments the model asked for; `ran_args` the
    ones the tool ran with when the user edited them before approving (else `None`);
    `edit_error` why an edit was refused (the card still waits). `code` is set once the call
    arrived when the tool shows an argument as code (`Tool.code_argument`), `ran_code` that
    argument of `ran_args` after an edit.
    """

    kind: Literal["tool"]
    turn: int
    id: str
    call_id: str
    name: str
    args: str
    status: ToolStatus
    failed: bool
    error: str | None
    decision: Decision | None
    ran_args: str | None
    ran_code: CodeView | None
    edit_error: str | None
    result: ToolOutput | None
    code: CodeView | None


Block = TextBlock | ReasoningBlock | ToolBlock


class ViewState(TypedDict):
    """The whole state of a run's view.

    `seq` is the number of the last frame it includes; `system` the agent's system prompt;
    `schemas` the JSON schema of each tool's arguments, by name (what an edit is checked against).
    """

    seq: int
    status: RunStatus
    prompt: str
    system: str
    schemas: dict[str, object]
    blocks: list[Block]
    usage: UsageReport
    error: str | None
    notices: list[str]
    final: str | None


class AddOp(TypedDict):
    """A new block, at the end (`index` is its position: the front end checks it)."""

    op: Literal["add"]
    index: int
    block: Block


class AppendOp(TypedDict):
    """Text appended to a block's `text` (text, reasoning) or `args` (a tool card)."""

    op: Literal["append"]
    index: int
    field: Literal["text", "args"]
    text: str


class PatchOp(TypedDict):
    """Fields of a block set (a card's status, decision, result...)."""

    op: Literal["patch"]
    index: int
    fields: dict[str, object]


BlockOp = AddOp | AppendOp | PatchOp


class _DeltaBase(TypedDict):
    type: Literal["delta"]
    seq: int
    ops: list[BlockOp]


class DeltaMessage(_DeltaBase, total=False):
    """What changed since frame `seq - 1`.

    Block ops in order, top-level fields set, notices and usage records appended, the usage
    total. When the total changed, the run's `cost` and `cost_note` and each usage record's cost
    (`turn_costs`, by position, after `turns` are appended) come with it. It applies only to a
    state whose `seq` is `seq - 1`.
    """

    set: dict[str, object]
    notices: list[str]
    turns: list[TurnUsage]
    total: Usage | None
    cost: float | None
    cost_note: str | None
    turn_costs: list[float | None]


class StateMessage(TypedDict):
    """The whole state (the answer to `request_state`)."""

    type: Literal["state"]
    state: ViewState


class FrontEndMessage(TypedDict, total=False):
    """What the browser sends.

    A button click (`stop`, or a decision on the card `id`), or `request_state` (a view that
    attached mid-run, or missed a delta).
    """

    kind: Literal[
        "approve",
        "skip",
        "terminate",
        "stop",
        "always_allow",
        "approve_all",
        "skip_all",
        "request_state",
    ]
    id: str
    reason: str
    arguments: str
    """Approve with these arguments (JSON text) instead of the model's: an edit."""
