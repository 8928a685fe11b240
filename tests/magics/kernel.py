"""A real ipykernel driven by jupyter_client, as a notebook front end drives it (no browser).

What a cell printed to stdout and stderr, its error outputs, its reply, and the widget states the
kernel sent are all kept, so tests can check what a user would see under a cell. A test can also
act as the browser: announce that a view rendered, click its buttons, press the interrupt button.
"""

from __future__ import annotations

import contextlib
import json
import os
import queue
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from jupyter_client.manager import start_new_kernel

from ..widgets.comm_log import fold

ROOT = Path(__file__).resolve().parents[2]


@dataclass
class Ran:
    """What one cell did."""

    stdout: str = ""
    stderr: str = ""
    errors: list[dict[str, Any]] = field(default_factory=list[dict[str, Any]])
    """The cell's `error` outputs: ename, evalue, traceback (the lines a notebook shows)."""
    displays: list[dict[str, Any]] = field(default_factory=list[dict[str, Any]])
    states: list[dict[str, Any]] = field(default_factory=list[dict[str, Any]])
    """Every AgentView state the kernel sent, in order."""
    reply: dict[str, Any] = field(default_factory=dict[str, Any])

    @property
    def shown(self) -> str:
        """Everything a notebook shows under the cell, as text (widget outputs excluded)."""
        parts = [self.stdout, self.stderr]
        for error in self.errors:
            parts += error["traceback"]
        return "\n".join(parts)

    @property
    def last_state(self) -> dict[str, Any]:
        return self.states[-1] if self.states else {}


class Kernel:
    """One ipykernel with this worktree's rig_nb on its path and no API keys in its environment."""

    def __init__(self) -> None:
        env = {
            k: v
            for k, v in os.environ.items()
            if not k.endswith("_API_KEY") and not k.startswith("RIG_NB_")
        }
        env["PYTHONPATH"] = str(ROOT)
        self.manager, self.client = start_new_kernel(kernel_name="python3", env=env)
        self.comms: dict[str, str] = {}
        """comm id -> target name, for every comm the kernel opened."""
        self.views: dict[str, dict[str, Any]] = {}
        """comm id -> the view's state so far."""

    def close(self) -> None:
        self.client.stop_channels()
        self.manager.shutdown_kernel(now=True)

    def run(
        self,
        code: str,
        *,
        timeout: float = 60,
        on_state: Callable[[Kernel, str, dict[str, Any]], None] | None = None,
    ) -> Ran:
        """Run a cell to its end. `on_state(kernel, comm_id, state)` sees each view update live."""
        msg_id = self.client.execute(code)
        ran = Ran()
        deadline = time.monotonic() + timeout
        while True:
            try:
                message = self.client.get_iopub_msg(timeout=0.1)
            except queue.Empty:
                if time.monotonic() > deadline:
                    self.manager.interrupt_kernel()
                    raise TimeoutError(f"the cell did not end in {timeout} s: {code!r}") from None
                continue
            if message["parent_header"].get("msg_id") != msg_id:
                continue
            kind, content = message["msg_type"], message["content"]
            if kind == "status" and content["execution_state"] == "idle":
                break
            if kind == "stream":
                if content["name"] == "stdout":
                    ran.stdout += content["text"]
                else:
                    ran.stderr += content["text"]
            elif kind == "error":
                ran.errors.append(content)
            elif kind in ("display_data", "execute_result", "update_display_data"):
                ran.displays.append(content)
            elif kind == "comm_open":
                self.comms[content["comm_id"]] = content.get("target_name", "")
            elif kind == "comm_msg":
                state = self._view_state(content)
                if state is not None:
                    ran.states.append(state)
                    if on_state is not None:
                        on_state(self, content["comm_id"], state)
        ran.reply = self.client.get_shell_msg(timeout=10)["content"]
        return ran

    def _view_state(self, content: dict[str, Any]) -> dict[str, Any] | None:
        """The view's whole state (the `_state` trait) and its deltas, folded as the browser's
        reducer does (tests/widgets/comm_log.py); `None` for other comm messages."""
        data, comm_id = content["data"], content["comm_id"]
        if data.get("method") == "update" and "_state" in data.get("state", {}):
            state = fold({}, {"type": "state", "state": data["state"]["_state"]})
        elif data.get("method") == "custom" and data["content"].get("type") == "delta":
            state = fold(self.views.get(comm_id, {"seq": 0}), data["content"])
        else:
            return None
        self.views[comm_id] = state
        return state

    def send_to_view(self, comm_id: str, data: dict[str, Any]) -> None:
        """What the browser's widget sends to the kernel (a state update or a custom message)."""
        self.client.session.send(
            self.client.shell_channel.socket,
            "comm_msg",
            {"comm_id": comm_id, "data": data},
        )

    def render(self, comm_id: str) -> None:
        """The browser rendered the view: someone can click."""
        self.send_to_view(
            comm_id, {"method": "update", "state": {"rendered": True}, "buffer_paths": []}
        )

    def click(self, comm_id: str, **message: str) -> None:
        """A button in the view."""
        self.send_to_view(comm_id, {"method": "custom", "content": message})

    def interrupt(self) -> None:
        """The notebook's interrupt button."""
        self.manager.interrupt_kernel()

    def value(self, expression: str) -> Any:
        """The JSON value of an expression in the kernel."""
        ran = self.run(f"import json as _j; print(_j.dumps({expression}))")
        assert not ran.errors, ran.errors
        return json.loads(ran.stdout)


@contextlib.contextmanager
def started(setup: str) -> Iterator[Kernel]:
    """A kernel that ran `setup` without an error (or a word on stderr), shut down at the end."""
    running = Kernel()
    try:
        ran = running.run(setup)
        assert not ran.errors and not ran.stderr, ran
        yield running
    finally:
        running.close()
