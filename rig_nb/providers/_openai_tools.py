"""Assembling OpenAI-style streamed tool calls (spec 4.1), keyed by the chunk's `index`."""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass, field
from typing import Any

from ..core.streaming import (
    RawStreamingChoice,
    RawToolCall,
    RawToolCallDelta,
    ToolCallArgsDelta,
    ToolCallNameDelta,
    new_internal_call_id,
)

__all__ = ["ToolCallAssembler"]

logger = logging.getLogger("rig_nb.providers")


@dataclass
class _Pending:
    internal_call_id: str = field(default_factory=new_internal_call_id)
    id: str = ""
    name: str = ""
    text: str = ""
    value: Any = None


class ToolCallAssembler:
    """Feed `delta.tool_calls` entries; `flush()` emits the complete calls by ascending index."""

    def __init__(self) -> None:
        self._calls: dict[int, _Pending] = {}

    def feed(self, entry: dict[str, Any]) -> list[RawStreamingChoice]:
        """Take one tool-call delta; return the deltas (and an evicted call) to emit."""
        index = entry.get("index")
        index = index if isinstance(index, int) else len(self._calls)
        call_id = entry.get("id") or ""
        function: dict[str, Any] = entry.get("function") or {}
        name = function.get("name") or ""
        arguments: Any = function.get("arguments")
        out: list[RawStreamingChoice] = []
        current = self._calls.get(index)
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
            out += self._emit(self._calls.pop(index))
            current = None
        if current is None:
            current = self._calls[index] = _Pending()
        if call_id:
            current.id = call_id
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
        """Every pending call, by ascending index; nameless or unparseable calls are dropped."""
        out: list[RawStreamingChoice] = []
        for index in sorted(self._calls):
            out += self._emit(self._calls[index])
        self._calls.clear()
        return out

    @staticmethod
    def _emit(call: _Pending) -> list[RawStreamingChoice]:
        if not call.name:
            return []
        if call.value is not None:
            arguments = call.value
        elif not call.text.strip():
            arguments = {}
        else:
            try:
                arguments = json.loads(call.text)
            except ValueError:
                logger.debug(
                    "dropping tool call %s: arguments do not parse: %r", call.name, call.text
                )
                return []
        return [
            RawToolCall(
                id=call.id,
                name=call.name,
                arguments=arguments,
                internal_call_id=call.internal_call_id,
            )
        ]
