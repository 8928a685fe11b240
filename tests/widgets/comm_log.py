"""A recorder for what an `AgentView` publishes on its comm, and a reference fold of it.

`CommLog(view)` replaces the widget's comm publisher (no kernel is needed): every trait update and
custom message is kept as a front end would receive it, binary buffers put back in place, with its
size on the wire (`jupyter_client`'s JSON packer plus the buffers). `fold` is what the front end's
reducer (js/src/state.js) does with those messages, in Python, to check the deltas add up.
"""

from __future__ import annotations

import copy
import time
from typing import Any

from jupyter_client.session import json_packer


def _put_buffers(content: dict[str, Any], paths: list[list[Any]], buffers: list[Any]) -> None:
    for path, buffer in zip(paths, buffers, strict=True):
        node: Any = content
        for key in path[:-1]:
            node = node[key]
        node[path[-1]] = bytes(buffer)


class CommLog:
    """Messages a view sent, as the browser gets them: `("state" | "delta", message)`."""

    def __init__(self, view: Any) -> None:
        self.messages: list[dict[str, Any]] = []
        self.sizes: list[int] = []
        self.times: list[float] = []
        self.buffers: list[list[bytes]] = []
        self.live: list[dict[str, Any] | None] = []
        """For each delta, the kernel's live state when it was sent (what it must fold into)."""
        self._view = view
        view.comm.publish_msg = self._publish

    def _publish(
        self, msg_type: str, data: Any = None, metadata: Any = None, buffers: Any = None, **_: Any
    ) -> None:
        data = data or {}
        raw = [bytes(memoryview(b).cast("B")) for b in buffers or []]
        size = len(json_packer(data)) + sum(len(b) for b in raw)
        if data.get("method") == "update" and "_state" in data.get("state", {}):
            message = {"type": "state", "state": copy.deepcopy(data["state"]["_state"])}
            paths = [p[1:] for p in data.get("buffer_paths", []) if p[0] == "_state"]
            _put_buffers(message["state"], paths, raw)
        elif data.get("method") == "custom":
            message = copy.deepcopy(data["content"])
            _put_buffers(message, message.pop("buffer_paths", []), raw)
        else:
            return  # other traits (rendered...)
        self.messages.append(message)
        self.sizes.append(size)
        self.times.append(time.monotonic())
        self.buffers.append(raw)
        live = None
        if message["type"] == "delta":
            live = copy.deepcopy(self._view.view_state.current())
            live["seq"] = message["seq"]
        self.live.append(live)

    @property
    def total(self) -> int:
        """Bytes sent in all."""
        return sum(self.sizes)

    def kinds(self) -> list[str]:
        return [m["type"] for m in self.messages]


def fold(state: dict[str, Any], message: dict[str, Any]) -> dict[str, Any]:
    """The front end's reducer: a whole state replaces; a delta applies to the frame before it."""
    if message["type"] == "state":
        return copy.deepcopy(message["state"])
    assert message["seq"] == state["seq"] + 1, (message["seq"], state["seq"])
    state = copy.deepcopy(state)
    blocks = state["blocks"]
    for op in message["ops"]:
        if op["op"] == "add":
            assert op["index"] == len(blocks)
            blocks.append(copy.deepcopy(op["block"]))
        elif op["op"] == "append":
            blocks[op["index"]][op["field"]] += op["text"]
        else:
            assert op["op"] == "patch", op
            blocks[op["index"]].update(copy.deepcopy(op["fields"]))
    state.update(copy.deepcopy(message.get("set", {})))
    state["notices"] += message.get("notices", [])
    state["usage"]["turns"] += message.get("turns", [])
    if "total" in message:  # the costs come with the total
        usage = state["usage"]
        usage["total"], usage["cost"], usage["cost_note"] = (
            message["total"],
            message["cost"],
            message["cost_note"],
        )
        for turn, cost in zip(usage["turns"], message["turn_costs"], strict=True):
            turn["cost"] = cost
    state["seq"] = message["seq"]
    return state


def replay(messages: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The state after each message."""
    states: list[dict[str, Any]] = []
    state: dict[str, Any] = {"seq": 0}
    for message in messages:
        state = fold(state, message)
        states.append(state)
    return states
