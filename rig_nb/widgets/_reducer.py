"""Pure: stream items in, view state out. No IPython, no widgets; unit-tested on every item kind.

The state is a `_ViewStateData`: plain JSON, synced to the browser as is. A tool card's
`failed` flag comes from the loop (`StreamedToolResult.error`), never from the result's text.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from ..core import (
    Base64,
    CallUsage,
    FinalResponse,
    Image,
    MultiTurnStreamItem,
    Reasoning,
    StreamedReasoningDelta,
    StreamedText,
    StreamedToolCall,
    StreamedToolCallDelta,
    StreamedToolResult,
    StreamUserItem,
    Text,
    Tool,
    ToolCallNameDelta,
    Url,
    Usage,
)
from ..core._wire import as_object
from ._protocol import (
    CodeView,
    ImageRef,
    ReasoningBlock,
    RichView,
    TextBlock,
    ToolBlock,
    ToolStatus,
    TurnUsage,
)
from ._protocol import Usage as UsageData
from ._protocol import ViewState as ViewStateData

__all__ = ["CodeArguments", "ViewState", "code_arguments", "usage_dict"]

CodeArguments = Mapping[str, tuple[str, str]]
"""Tool name -> (argument, language): arguments the view shows as highlighted code."""


def code_arguments(tools: Iterable[Tool]) -> dict[str, tuple[str, str]]:
    """The code arguments of these tools (`Tool.code_argument`, `Tool.code_language`)."""
    return {t.name: (t.code_argument, t.code_language) for t in tools if t.code_argument}


_IMAGE_MIMES = {"png": "image/png", "jpeg": "image/jpeg", "gif": "image/gif", "webp": "image/webp"}
_ENCRYPTED = "(encrypted reasoning)"


def usage_dict(usage: Usage) -> UsageData:
    """Usage as plain JSON."""
    return {
        "input_tokens": usage.input_tokens,
        "output_tokens": usage.output_tokens,
        "total_tokens": usage.total_tokens,
        "cached_input_tokens": usage.cached_input_tokens,
        "cache_creation_input_tokens": usage.cache_creation_input_tokens,
    }


class ViewState:
    """The state of one run's view, built item by item."""

    def __init__(self, prompt: str = "", *, code_arguments: CodeArguments | None = None) -> None:
        """`code_arguments`: tool name -> (argument, language) shown as code on its cards."""
        self.code_arguments: CodeArguments = dict(code_arguments or {})
        self.state: ViewStateData = {
            "status": "running",
            "prompt": prompt,
            "blocks": [],
            "usage": {"turns": [], "total": None, "cost": None, "cost_note": None},
            "error": None,
            "notices": [],
            "final": None,
        }
        self._turn = 0
        self._after_results = False
        self._tools: dict[str, ToolBlock] = {}
        self._chunks: dict[int, list[str]] = {}
        """Text of growing blocks (by index), joined only when a snapshot is taken: appending
        to a block's string for each token would be quadratic on long answers."""
        self._stale: set[int] = set()

    # -- items ---------------------------------------------------------------------------------

    def apply(self, item: MultiTurnStreamItem) -> None:
        """Fold one stream item into the state."""
        if isinstance(item, FinalResponse):
            self.state["status"] = "done"
            self.state["final"] = item.response
            self.total(item.aggregated_usage, item.calls)
            return
        if isinstance(item, StreamUserItem):
            self._result(item.content)
            self._after_results = True
            return
        if self._after_results:
            self._turn += 1
            self._after_results = False
        content = item.content
        if isinstance(content, StreamedText):
            self._text(content.text)
        elif isinstance(content, StreamedReasoningDelta):
            self._reasoning_delta(content.reasoning)
        elif isinstance(content, Reasoning):
            self._reasoning(content)
        elif isinstance(content, StreamedToolCallDelta):
            block = self._tool(content.internal_call_id, content.id)
            if isinstance(content.content, ToolCallNameDelta):
                block["name"] = content.content.name
            else:
                block["args"] += content.content.delta
        elif isinstance(content, StreamedToolCall):
            call = content.tool_call
            block = self._tool(content.internal_call_id, call.id)
            block["name"] = call.function.name
            block["args"] = _pretty(call.function.arguments)
            block["status"] = "called"
            block["code"] = self._code(call.function.name, call.function.arguments)
        else:  # StreamedFinal: the turn's usage
            usage = content.token_usage()
            if usage is not None:
                turn: TurnUsage = {"turn": self._turn, **usage_dict(usage), "cost": None}
                self.state["usage"]["turns"].append(turn)

    def _code(self, name: str, arguments: Any) -> CodeView | None:
        """The argument a tool shows as code (`run_python`'s `code`), when it is text."""
        shown = self.code_arguments.get(name)
        if shown is None:
            return None
        value: Any = arguments
        if isinstance(value, str):
            try:
                value = json.loads(value)
            except ValueError:
                return None
        fields = as_object(value)
        code: Any = fields.get(shown[0]) if fields is not None else None
        return {"language": shown[1], "text": code} if isinstance(code, str) else None

    def _last_text(self) -> TextBlock | None:
        block = self.state["blocks"][-1] if self.state["blocks"] else None
        if block is not None and block["kind"] == "text" and block["turn"] == self._turn:
            return block
        return None

    def _last_reasoning(self) -> ReasoningBlock | None:
        block = self.state["blocks"][-1] if self.state["blocks"] else None
        if block is not None and block["kind"] == "reasoning" and block["turn"] == self._turn:
            return block
        return None

    def _grow(self, text: str) -> None:
        """Append to the last block's text."""
        index = len(self.state["blocks"]) - 1
        self._chunks.setdefault(index, []).append(text)
        self._stale.add(index)

    def _text(self, text: str) -> None:
        if self._last_text() is None:
            self.state["blocks"].append({"kind": "text", "turn": self._turn, "text": ""})
        self._grow(text)

    def _reasoning_delta(self, text: str) -> None:
        block = self._last_reasoning()
        if block is None or block["done"]:
            self.state["blocks"].append(
                {"kind": "reasoning", "turn": self._turn, "text": "", "done": False}
            )
        self._grow(text)

    def _materialize(self) -> None:
        blocks = self.state["blocks"]
        for index in self._stale:
            block = blocks[index]
            if block["kind"] != "tool":
                block["text"] = "".join(self._chunks[index])
        self._stale.clear()

    def _reasoning(self, reasoning: Reasoning) -> None:
        """A full block is the finished form of the deltas before it: shown once, not twice."""
        text = reasoning.display_text() or _ENCRYPTED
        blocks = self.state["blocks"]
        for index in range(len(blocks) - 1, -1, -1):
            block = blocks[index]
            if block["turn"] != self._turn:
                break
            if block["kind"] == "reasoning" and not block["done"]:
                block["text"], block["done"] = text, True
                self._chunks[index] = [text]
                self._stale.discard(index)
                return
        block = self._last_reasoning()
        if block is not None and block["done"] and text == _ENCRYPTED:
            return  # the encrypted part of a block already shown by its summary
        blocks.append({"kind": "reasoning", "turn": self._turn, "text": text, "done": True})

    def _tool(self, internal_call_id: str, call_id: str) -> ToolBlock:
        block = self._tools.get(internal_call_id)
        if block is None:
            block = self._tools[internal_call_id] = _new_card(self._turn, internal_call_id)
            self.state["blocks"].append(block)
        if call_id:
            block["call_id"] = call_id
        return block

    def _result(self, streamed: StreamedToolResult) -> None:
        result = streamed.tool_result
        block = self._tool(streamed.internal_call_id, result.id)
        texts = [c.text for c in result.content if isinstance(c, Text)]
        text = "\n".join(texts)
        is_json = False
        try:
            parsed = json.loads(text)
            is_json = isinstance(parsed, dict | list)
            if is_json:
                text = json.dumps(parsed, indent=2, ensure_ascii=False)
        except ValueError:
            pass
        images = [image for c in result.content if isinstance(c, Image) if (image := _image(c))]
        rich: RichView | None = None
        if streamed.display is not None:
            rich = {"mime": streamed.display.mime, "data": streamed.display.data}
        block["result"] = {"text": text, "json": is_json, "images": images, "rich": rich}
        if block["status"] == "skipped":
            return
        if streamed.error is not None:
            # A tool that raised, bad arguments, or no such tool: the loop says so and what.
            block["status"], block["failed"], block["decision"] = "error", True, streamed.error
        else:
            block["status"] = "done"

    # -- approvals and endings -------------------------------------------------------------------

    def tool_status(
        self, internal_call_id: str, status: ToolStatus, decision: str | None = None
    ) -> None:
        """Mark a tool card: waiting for approval, running, skipped (with why)."""
        block = self._tools.get(internal_call_id)
        if block is None:
            return
        block["status"] = status
        if decision is not None:
            block["decision"] = decision
        waiting = any(b["status"] == "waiting" for b in self._tools.values())
        if self.state["status"] in ("running", "waiting"):
            self.state["status"] = "waiting" if waiting else "running"

    def tool_name(self, internal_call_id: str) -> str | None:
        """The name of a tool card's tool."""
        block = self._tools.get(internal_call_id)
        return block["name"] if block is not None else None

    def notice(self, text: str) -> None:
        """A line the user should read (a headless decision, a timeout)."""
        self.state["notices"].append(text)

    def fail(self, message: str, *, cancelled: bool = False) -> None:
        """The run ended without an answer."""
        self.state["status"] = "cancelled" if cancelled else "error"
        self.state["error"] = message
        for block in self._tools.values():
            if block["status"] in ("streaming", "called", "waiting", "running"):
                block["status"] = "skipped"
                block["decision"] = block["decision"] or "not run: the run ended"
        for block in self.state["blocks"]:
            if block["kind"] == "reasoning":
                block["done"] = True

    def total(self, usage: Usage, calls: Sequence[CallUsage] = ()) -> None:
        """The summed usage so far (also for runs that ended early), and the calls' costs."""
        report = self.state["usage"]
        report["total"] = usage_dict(usage)
        if calls:
            unknown = next((i for i, c in enumerate(calls) if c.cost is None), None)
            if unknown is None:
                report["cost"], report["cost_note"] = sum(c.cost or 0.0 for c in calls), None
            else:
                call = calls[unknown]
                note = f"model call {unknown + 1} ({call.model}): {call.cost_note or 'no price'}"
                report["cost"], report["cost_note"] = None, note
            for turn in report["turns"]:
                if 0 <= turn["turn"] < len(calls):
                    turn["cost"] = calls[turn["turn"]].cost

    def snapshot(self) -> ViewStateData:
        """A copy to hand to the widget (traitlets compares by value)."""
        self._materialize()
        return copy.deepcopy(self.state)

    def text(self) -> str:
        """All streamed assistant text, in order."""
        self._materialize()
        return "".join(b["text"] for b in self.state["blocks"] if b["kind"] == "text")


def _new_card(turn: int, internal_call_id: str) -> ToolBlock:
    return {
        "kind": "tool",
        "turn": turn,
        "id": internal_call_id,
        "call_id": "",
        "name": "",
        "args": "",
        "status": "streaming",
        "failed": False,
        "decision": None,
        "result": None,
        "code": None,
    }


def _pretty(arguments: Any) -> str:
    if isinstance(arguments, str):
        return arguments
    return json.dumps(arguments, indent=2, ensure_ascii=False)


def _image(image: Image) -> ImageRef | None:
    if isinstance(image.data, Base64):
        # Non-raster types (SVG) travel as data; the front end shows only raster ones.
        kind = image.media_type or "png"
        return {"mime": _IMAGE_MIMES.get(kind, f"image/{kind}"), "data": image.data.value}
    if isinstance(image.data, Url) and image.data.value.startswith(("https://", "http://")):
        return {"url": image.data.value}
    return None
