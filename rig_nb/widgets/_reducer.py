"""Pure: stream items in, view state out. No IPython, no widgets; unit-tested on every item kind.

The state is a `_ViewStateData`: plain JSON (images as bytes), synced to the browser whole when a
run starts and ends, and as deltas in between: every change is reported to a `Changes` (`_delta.py`)
so a frame sends only what changed. A tool card's `failed` flag comes from the loop
(`StreamedToolResult.error`), never from the result's text.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Iterable, Sequence
from typing import Any

from ..core import (
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
    Usage,
)
from ..core._hooks import EDITED_PREFIX
from ._delta import Changes
from ._protocol import (
    Decision,
    DecisionKind,
    DeltaMessage,
    ReasoningBlock,
    RunStatus,
    TextBlock,
    ToolBlock,
    ToolStatus,
    TurnUsage,
)
from ._protocol import Usage as UsageData
from ._protocol import ViewState as ViewStateData
from ._rich import CodeArguments, code_arguments, code_view, costs, image_ref, rich_view

__all__ = ["ViewState", "decision", "usage_dict"]

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

    def __init__(
        self,
        prompt: str = "",
        *,
        system: str = "",
        schemas: dict[str, object] | None = None,
        seq: int = 0,
        code_arguments: CodeArguments | None = None,
    ) -> None:
        """`code_arguments`: tool name -> (argument, language) shown as code on its cards."""
        self.code_arguments: CodeArguments = dict(code_arguments or {})
        self.state: ViewStateData = {
            "seq": seq,
            "status": "running",
            "prompt": prompt,
            "system": system,
            "schemas": schemas or {},
            "blocks": [],
            "usage": {"turns": [], "total": None, "cost": None, "cost_note": None},
            "error": None,
            "notices": [],
            "final": None,
        }
        self._turn = 0
        self._after_results = False
        self._tools: dict[str, ToolBlock] = {}
        self._index: dict[str, int] = {}
        """Each card's position in `blocks`, by internal call id."""
        self._waiting: set[str] = set()
        self._by_turn: dict[int, list[str]] = {}
        self.changes = Changes()
        self.changes.seq = seq

    @classmethod
    def for_run(cls, prompt: str, system: str, tools: Iterable[Tool], *, seq: int = 0) -> ViewState:
        """A run's state: the agent's system prompt, its tools' schemas and code arguments."""
        tools = list(tools)
        return cls(
            prompt,
            system=system,
            schemas={t.name: t.definition().parameters for t in tools},
            code_arguments=code_arguments(tools),
            seq=seq,
        )

    # -- items ---------------------------------------------------------------------------------

    def apply(self, item: MultiTurnStreamItem) -> None:
        """Fold one stream item into the state."""
        if isinstance(item, FinalResponse):
            self.state["status"] = "done"
            self.state["final"] = item.response
            self.changes.set_top("status", "final")
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
            iid = content.internal_call_id
            block = self._tool(iid, content.id)
            if isinstance(content.content, ToolCallNameDelta):
                block["name"] = content.content.name
                self.changes.set_field(self._index[iid], "name")
            else:
                block["args"] += content.content.delta
                self.changes.grow_args(self._index[iid])
        elif isinstance(content, StreamedToolCall):
            call, iid = content.tool_call, content.internal_call_id
            block = self._tool(iid, call.id)
            block["name"] = call.function.name
            block["args"] = _pretty(call.function.arguments)
            block["status"] = "called"
            block["code"] = code_view(
                self.code_arguments, call.function.name, call.function.arguments
            )
            self.changes.set_field(self._index[iid], "name", "args", "status", "code")
        else:  # StreamedFinal: the turn's usage
            usage = content.token_usage()
            if usage is not None:
                turn: TurnUsage = {"turn": self._turn, **usage_dict(usage), "cost": None}
                self.state["usage"]["turns"].append(turn)

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
        self.changes.grow_text(len(self.state["blocks"]) - 1, text)

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
                self.changes.set_text(index, text)
                self.changes.set_field(index, "done")
                return
        block = self._last_reasoning()
        if block is not None and block["done"] and text == _ENCRYPTED:
            return  # the encrypted part of a block already shown by its summary
        blocks.append({"kind": "reasoning", "turn": self._turn, "text": text, "done": True})

    def _tool(self, internal_call_id: str, call_id: str) -> ToolBlock:
        block = self._tools.get(internal_call_id)
        if block is None:
            block = self._tools[internal_call_id] = _new_card(self._turn, internal_call_id)
            self._index[internal_call_id] = len(self.state["blocks"])
            self._by_turn.setdefault(self._turn, []).append(internal_call_id)
            self.state["blocks"].append(block)
        if call_id and block["call_id"] != call_id:
            block["call_id"] = call_id
            self.changes.set_field(self._index[internal_call_id], "call_id")
        return block

    def _result(self, streamed: StreamedToolResult) -> None:
        result = streamed.tool_result
        block = self._tool(streamed.internal_call_id, result.id)
        parts = result.content
        if parts and isinstance(parts[0], Text) and parts[0].text.startswith(EDITED_PREFIX):
            parts = parts[1:]  # what the model is told about an edit: the card shows `ran_args`
        texts = [c.text for c in parts if isinstance(c, Text)]
        text = "\n".join(texts)
        is_json = False
        try:
            parsed = json.loads(text)
            is_json = isinstance(parsed, dict | list)
            if is_json:
                text = json.dumps(parsed, indent=2, ensure_ascii=False)
        except ValueError:
            pass
        images = [image for c in parts if isinstance(c, Image) if (image := image_ref(c))]
        rich = rich_view(streamed.display)
        block["result"] = {"text": text, "json": is_json, "images": images, "rich": rich}
        index = self._index[streamed.internal_call_id]
        self.changes.set_field(index, "result")
        if block["status"] == "skipped":
            return
        if streamed.error is not None:
            # A tool that raised, bad arguments, or no such tool: the loop says so and what.
            block["status"], block["failed"], block["error"] = "error", True, streamed.error
            self.changes.set_field(index, "status", "failed", "error")
        else:
            block["status"] = "done"
            self.changes.set_field(index, "status")

    # -- approvals and endings -------------------------------------------------------------------

    def tool_status(
        self, internal_call_id: str, status: ToolStatus, decision: Decision | None = None
    ) -> None:
        """Mark a tool card: waiting for approval, queued, running, skipped (with why)."""
        block = self._tools.get(internal_call_id)
        if block is None:
            return
        block["status"] = status
        index = self._index[internal_call_id]
        self.changes.set_field(index, "status")
        if decision is not None:
            block["decision"] = decision
            self.changes.set_field(index, "decision")
        if status == "waiting":
            self._waiting.add(internal_call_id)
        else:
            self._waiting.discard(internal_call_id)
        if self.state["status"] in ("running", "waiting"):
            self._set_status("waiting" if self._waiting else "running")

    def _set_status(self, status: RunStatus) -> None:
        if self.state["status"] != status:
            self.state["status"] = status
            self.changes.set_top("status")

    def tool_edit(
        self, internal_call_id: str, *, ran_args: str | None = None, edit_error: str | None = None
    ) -> None:
        """The arguments a card's tool will run with (edited), or why an edit was refused."""
        block = self._tools.get(internal_call_id)
        if block is None:
            return
        block["ran_args"], block["edit_error"] = ran_args, edit_error
        code = code_view(self.code_arguments, block["name"], ran_args) if ran_args else None
        block["ran_code"] = code
        self.changes.set_field(self._index[internal_call_id], "ran_args", "ran_code", "edit_error")

    def pending_calls(self) -> list[tuple[str, str]]:
        """`(internal call id, tool name)` of this turn's cards that wait for a decision."""
        turn = [(iid, self._tools[iid]) for iid in self._by_turn.get(self._turn, [])]
        return [(iid, b["name"]) for iid, b in turn if b["status"] == "called"]

    def card(self, internal_call_id: str) -> ToolBlock | None:
        """A tool card, by its internal call id."""
        return self._tools.get(internal_call_id)

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
        self.changes.set_top("status", "error")
        for iid, block in self._tools.items():
            if block["status"] in ("streaming", "called", "waiting", "queued", "running"):
                # A call that was running keeps who approved it; any other did not run.
                if block["decision"] is None or block["status"] != "running":
                    block["decision"] = decision("not_run", "the run ended")
                block["status"] = "skipped"
                self.changes.set_field(self._index[iid], "status", "decision")
        self._waiting.clear()
        for index, block in enumerate(self.state["blocks"]):
            if block["kind"] == "reasoning" and not block["done"]:
                block["done"] = True
                self.changes.set_field(index, "done")

    def total(self, usage: Usage, calls: Sequence[CallUsage] = ()) -> None:
        """The summed usage so far (also for runs that ended early), and the calls' costs.

        A delta sends the total again only when it (or a cost) changed.
        """
        report = self.state["usage"]
        changed = False
        total = usage_dict(usage)
        if total != report["total"]:
            report["total"], changed = total, True
        if calls:
            cost, note, per_call = costs(calls)
            if (cost, note) != (report["cost"], report["cost_note"]):
                report["cost"], report["cost_note"], changed = cost, note, True
            for turn in report["turns"]:
                if 0 <= turn["turn"] < len(per_call) and turn["cost"] != per_call[turn["turn"]]:
                    turn["cost"], changed = per_call[turn["turn"]], True
        if changed:
            self.changes.set_top("total")

    def snapshot(self) -> ViewStateData:
        """The whole state, as a copy, numbered as the next frame: all of it counts as sent."""
        return copy.deepcopy(self.changes.whole(self.state))

    def delta(self) -> DeltaMessage | None:
        """What changed since the last frame (`None`: nothing).

        Its values are the live state's own objects: serialize it before the next item comes.
        """
        return self.changes.delta(self.state)

    def current(self) -> ViewStateData:
        """The live state, text joined (not a copy: read it, don't keep it)."""
        self.changes.materialize(self.state)
        return self.state

    def text(self) -> str:
        """All streamed assistant text, in order."""
        self.changes.materialize(self.state)
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
        "error": None,
        "decision": None,
        "ran_args": None,
        "ran_code": None,
        "edit_error": None,
        "result": None,
        "code": None,
    }


def decision(kind: DecisionKind, reason: str = "") -> Decision:
    """A card's decision."""
    return {"kind": kind, "reason": reason}


def _pretty(arguments: Any) -> str:
    if isinstance(arguments, str):
        return arguments
    return json.dumps(arguments, indent=2, ensure_ascii=False)
