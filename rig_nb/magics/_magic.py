"""`%%agent` and `%agent`, and the input transformer that makes `%%agent` cells await.

```
%load_ext rig_nb
%agent defaults -m openai:gpt-4o-mini -t get_weather --approve ask
%config AgentMagics.max_cost = 0.50          # the same defaults, as traitlets (see _config.py)

%%agent
What's the weather in {city}?
```
"""

from __future__ import annotations

import asyncio
import re
import shlex
import sys
from typing import Any

from IPython.core.error import UsageError
from IPython.core.magic import Magics, cell_magic, line_magic, magics_class

from ..core import Tool, load_history, message_text, save_history
from ..widgets._transcript import format_cost
from ._config import AgentDefaults
from ._options import parse_cell_line
from ._runtime import run_cell, session_for

__all__ = ["AgentMagics", "kernel_can_await", "transform_agent_cells"]

_CELL = re.compile(r"^%%agent(\s|$)")


def transform_agent_cells(lines: list[str]) -> list[str]:
    """An IPython input transformer: a `%%agent` cell becomes `await run_cell(line, body)`."""
    if not lines or not _CELL.match(lines[0]):
        return lines
    line = lines[0][len("%%agent") :].strip()
    body = "".join(lines[1:])
    call = f"__import__('rig_nb.magics', fromlist=['run_cell']).run_cell({line!r}, {body!r})"
    return [f"await {call}\n"]


def kernel_can_await(shell: Any, ipykernel_version: str | None = None) -> bool:
    """Whether a cell may await while clicks arrive: IPython's autoawait, and ipykernel >= 7.4."""
    if not getattr(shell, "autoawait", False):
        return False
    if getattr(shell, "kernel", None) is None:
        return True  # a terminal IPython: the cell runs to its end, no widgets to click
    if ipykernel_version is None:
        from importlib.metadata import version

        ipykernel_version = version("ipykernel")
    numbers = tuple(int(p) for p in re.findall(r"\d+", ipykernel_version)[:2])
    return numbers >= (7, 4)


@magics_class
class AgentMagics(Magics, AgentDefaults):
    """`%%agent` runs the cell as a prompt; `%agent` shows and sets defaults.

    Its traits are the defaults (`AgentDefaults`): `%config AgentMagics.model = "..."`, or
    `c.AgentMagics.model = "..."` in `ipython_config.py`; `%agent defaults` sets the same ones.
    """

    def __init__(self, shell: Any = None, **kwargs: Any) -> None:
        super().__init__(shell=shell, **kwargs)
        if shell is not None:
            session_for(shell).attach(self, getattr(shell, "configurables", None))

    @cell_magic
    def agent(self, line: str, cell: str) -> None:
        """`%%agent [-m MODEL] [-s SYSTEM] [-t TOOL ...] [--approve ask|auto|deny] ...`: the prompt.

        Reached only where the input transformer is off (ipykernel < 7.4, autoawait off): the run
        then goes on as a task on the kernel's loop and the cell returns at once.
        """
        parse_cell_line(line)  # report bad options now, not from the task
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            asyncio.run(run_cell(line, cell))
            return
        task = loop.create_task(run_cell(line, cell))
        task.add_done_callback(_report_background)
        session_for(self.shell).background = task
        print(  # noqa: T201
            "rig_nb: this kernel cannot await a cell while widgets are clicked (needs "
            "ipykernel >= 7.4); the run goes on in the background, and agent_result / "
            "agent_history are set when it ends."
        )

    @line_magic("agent")
    def agent_line(self, line: str) -> None:
        """`%agent [defaults OPTS|tools|history|allow [--clear]|reset|save|load|mcp ...]`."""
        session = session_for(self.shell)
        command, _, rest = line.strip().partition(" ")
        rest = rest.strip()
        namespace: dict[str, Any] = self.shell.user_ns  # pyright: ignore[reportOptionalMemberAccess]
        if command in ("", "show"):
            self._show(session)
        elif command == "defaults":
            session.set_defaults(parse_cell_line(rest))
            self._show(session)
        elif command == "tools":
            found = sorted(name for name, value in namespace.items() if isinstance(value, Tool))
            print(f"default tools: {', '.join(session.defaults.tools or []) or '(none)'}")  # noqa: T201
            print(f"@tool objects in the namespace: {', '.join(found) or '(none)'}")  # noqa: T201
        elif command == "history":
            self._history(session)
        elif command == "reset":
            session.history = []
            session.always_allowed.clear()
            namespace[session.history_var] = []
            print("rig_nb: the conversation is empty (and no tool is always allowed)")  # noqa: T201
        elif command == "allow":
            self._allow(session, rest)
        elif command in ("save", "load"):
            path = _one_path(command, rest)
            if command == "save":
                save_history(path, session.history)
                print(f"rig_nb: saved {len(session.history)} messages to {path}")  # noqa: T201
            else:
                try:
                    session.history = load_history(path)
                except (OSError, ValueError) as exc:
                    raise UsageError(f"cannot load a history from {path}: {exc}") from exc
                session.always_allowed.clear()  # another conversation
                namespace[session.history_var] = list(session.history)
                print(f"rig_nb: loaded {len(session.history)} messages from {path}")  # noqa: T201
        elif command == "mcp":
            try:
                from rig_nb.mcp._magic import mcp_command
            except ImportError as exc:
                raise UsageError(str(exc)) from None
            mcp_command(session.mcp_servers, rest)
        else:
            raise UsageError(
                f"unknown %agent command {command!r}: "
                "use defaults, tools, history, allow, reset, save, load or mcp"
            )

    @staticmethod
    def _allow(session: Any, rest: str) -> None:
        """`%agent allow`: the tools "Always allow" covers; `%agent allow --clear` forgets them."""
        if rest == "--clear":
            session.always_allowed.clear()
            print("rig_nb: no tool is always allowed now")  # noqa: T201
        elif rest:
            raise UsageError(f"%agent allow takes nothing or --clear, got {rest!r}")
        else:
            names = ", ".join(sorted(session.always_allowed)) or "(none)"
            print(f"always allowed in this conversation: {names}")  # noqa: T201

    @staticmethod
    def _show(session: Any) -> None:
        d = session.defaults
        lines = [
            f"model: {d.model or '(none: set one with %agent defaults -m vendor:model)'}",
            f"system: {d.system or '(none)'}",
            f"tools: {', '.join(d.tools or []) or '(none)'}",
            f"max turns: {d.max_turns}",
            f"max cost: {format_cost(d.max_cost) if d.max_cost is not None else '(none)'}",
            f"approval: {d.approve or 'ask'}"
            + (
                f" ({', '.join(f'{k}={v}' for k, v in d.approve_tool.items())})"
                if d.approve_tool
                else ""
            ),
            f"always allowed: {', '.join(sorted(session.always_allowed)) or '(none)'}",
            f"conversation: {len(session.history)} messages "
            f"(in {session.history_var}; last result in {session.out})",
        ]
        if d.record or d.replay:  # a cassette mode (--record / --replay) for every cell
            lines.append(
                f"cassette: {'recording to' if d.record else 'replaying'} {d.record or d.replay}"
            )
        print("\n".join(lines))  # noqa: T201

    @staticmethod
    def _history(session: Any) -> None:
        if not session.history:
            print("(the conversation is empty)")  # noqa: T201
            return
        for message in session.history:
            print(f"{message.role}: {message_text(message)}")  # noqa: T201


def _report_background(task: asyncio.Task[None]) -> None:
    """A background run that ended on an exception says so in one line (the view shows it too)."""
    if task.cancelled():
        return
    error = task.exception()
    if error is not None:
        text = f"rig_nb: the background run failed: {type(error).__name__}: {error}"
        print(text, file=sys.stderr)  # noqa: T201


def _one_path(command: str, rest: str) -> str:
    parts = shlex.split(rest)
    if len(parts) != 1:
        raise UsageError(f"%agent {command} takes one path, e.g. %agent {command} chat.json")
    return parts[0]
