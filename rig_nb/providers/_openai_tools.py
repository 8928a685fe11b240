"""Assembling OpenAI-style streamed tool calls (spec 4.1), keyed by the chunk's `index`.

Some OpenAI-compatible servers send deltas without `index` (Gemini's OpenAI-compatible endpoint,
older Ollama `/v1`, SGLang): there a delta with a new `id` starts a call, a delta with a known
`id` continues that call, and a delta with neither continues the last call.

Arguments that are not valid JSON (malformed, or cut off by `finish_reason: "length"`) are kept
as their raw text: the tool layer then answers the model with the parse error, as the tool's
result, so the call is never lost and never run with made-up arguments.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass, field
from typing import Any

from ..core import (
    RawStreamingChoice,
    RawToolCall,
    RawToolCallDelta,
    ToolCallArgsDelta,
    ToolCallNameDelta,
    new_internal_call_id,
)
from ._records import ChatFunctionDelta, ChatToolCallDelta

__all__ = ["ToolCallAssembler"]

logger = logging.getLogger("rig_nb.providers")


@dataclass
class _Pending:
    index: int | None
    seq: int
    internal_call_id: str = field(default_factory=new_internal_call_id)
    id: str = ""
    name: str = ""
    text: str = ""
    value: Any = None


class ToolCallAssembler:
    """Feed `delta.tool_calls` entries; `flush()` emits the complete calls by ascending index."""

    def __init__(self) -> None:
        self._calls: dict[tuple[int, int], _Pending] = {}
        self._by_id: dict[str, _Pending] = {}
        self._last: _Pending | None = None
        self._seq = 0

    def _start(self, index: int | None) -> _Pending:
        self._seq += 1
        call = _Pending(index=index, seq=self._seq)
        self._calls[(0, index) if index is not None else (1, self._seq)] = call
        return call

    def feed(self, entry: ChatToolCallDelta) -> list[RawStreamingChoice]:
        """Take one tool-call delta; return the deltas (and an evicted call) to emit."""
        index: Any = entry.get("index")
        call_id = entry.get("id") or ""
        function: ChatFunctionDelta = entry.get("function") or {}
        name = function.get("name") or ""
        arguments: Any = function.get("arguments")
        out: list[RawStreamingChoice] = []
        if isinstance(index, int) and not isinstance(index, bool):
            current = self._calls.get((0, index))
            if (
                current is not None
                and current.id
                and current.name
                and call_id
                and call_id != current.id
                and name
                and (name != current.name or not arguments)
            ):
                # A new call reusing the index: emit the old one first (OpenAI profile).
                out += self._emit(self._calls.pop((0, index)))
                current = None
            if current is None:
                current = self._start(index)
        elif call_id:  # no index: the id says which call
            current = self._by_id.get(call_id)
            if current is None:
                last = self._last
                fresh = last is None or last.id or last.index is not None
                current = self._start(None) if fresh or last is None else last
        else:  # neither: more of the last call
            current = self._last if self._last is not None else self._start(None)
        self._last = current
        if call_id:
            current.id = call_id
            self._by_id[call_id] = current
        if name:
            current.name = name
            out.append(
                RawToolCallDelta(
                    id=current.id,
                    internal_call_id=current.internal_call_id,
                    content=ToolCallNameDelta(name=name),
                )
            )
        if isinstance(arguments, str) and arguments and arguments != "null":
            current.text += arguments
            out.append(
                RawToolCallDelta(
                    id=current.id,
                    internal_call_id=current.internal_call_id,
                    content=ToolCallArgsDelta(delta=arguments),
                )
            )
        elif isinstance(arguments, dict | list):
            current.value = arguments  # some compatible servers send parsed arguments
        return out

    def flush(self) -> list[RawStreamingChoice]:
        """Every pending call: indexed ones by ascending index, then the others by arrival."""
        out: list[RawStreamingChoice] = []
        for key in sorted(self._calls):
            out += self._emit(self._calls[key])
        self._calls.clear()
        self._by_id.clear()
        self._last = None
        return out

    @staticmethod
    def _emit(call: _Pending) -> list[RawStreamingChoice]:
        if not call.name:
            logger.debug("dropping a tool-call delta that never named its function: %r", call)
            return []
        if call.value is not None:
            arguments = call.value
        elif not call.text.strip():
            arguments = {}
        else:
            try:
                arguments = json.loads(call.text)
            except ValueError:
                arguments = call.text  # kept raw: the model gets the parse error back
        return [
            RawToolCall(
                id=call.id,
                name=call.name,
                arguments=arguments,
                internal_call_id=call.internal_call_id,
            )
        ]
