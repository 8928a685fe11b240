"""Who decides whether a tool runs: a person (`ask`), nobody (`auto`), or a refusal (`deny`).

`ask` never hangs: a view that rendered in a browser announces itself; when none did (nbconvert,
nbval, papermill, a terminal), the `headless` choice decides at once and the output says so, and a
person who does not answer within `timeout` seconds gets the tool skipped.

Environment: `RIG_NB_APPROVAL` (`ask` / `auto` / `deny`) sets the default policy,
`RIG_NB_HEADLESS_APPROVAL` (`auto` / `deny`, default `deny`) what happens with nobody to ask.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal, cast

from ..errors import UserError

__all__ = ["DECLINED", "ApprovalPolicy", "Policy", "on_loop", "wait_with_heartbeat"]

DECLINED = "The user declined to run this tool."

Policy = Literal["ask", "auto", "deny"]
_POLICIES = ("ask", "auto", "deny")
_STRICTNESS: tuple[Policy, ...] = ("auto", "ask", "deny")
HEARTBEAT = 0.25
"""Seconds between wake-ups while waiting, so the kernel's interrupt lands (ipykernel #881)."""


def _policy(value: str, where: str) -> Policy:
    value = value.strip().lower()
    if value not in _POLICIES:
        raise UserError(f"{where} must be one of ask, auto, deny; got {value!r}")
    return cast(Policy, value)


@dataclass(frozen=True)
class ApprovalPolicy:
    """The approval policy of a run: a default, per-tool overrides, and the headless fallback."""

    default: Policy = "ask"
    per_tool: Mapping[str, Policy] = field(default_factory=dict[str, Policy])
    headless: Literal["auto", "deny"] = "deny"
    """What `ask` becomes when no front end rendered the view."""
    timeout: float | None = 600.0
    """Seconds to wait for a click before the tool is skipped; `None` waits until interrupted."""
    render_grace: float = 2.0
    """Seconds a just-displayed view has to announce itself before the run counts as headless."""

    @staticmethod
    def from_env(
        default: str | None = None, per_tool: Mapping[str, str] | None = None
    ) -> ApprovalPolicy:
        """Explicit values, else `RIG_NB_APPROVAL` / `RIG_NB_HEADLESS_APPROVAL`, else ask / deny."""
        chosen = default or os.environ.get("RIG_NB_APPROVAL") or "ask"
        headless = _policy(
            os.environ.get("RIG_NB_HEADLESS_APPROVAL") or "deny", "RIG_NB_HEADLESS_APPROVAL"
        )
        if headless == "ask":
            raise UserError("RIG_NB_HEADLESS_APPROVAL must be auto or deny: nobody is there to ask")
        tools: dict[str, Policy] = {
            name: _policy(p, f"the policy of tool {name!r}") for name, p in (per_tool or {}).items()
        }
        return ApprovalPolicy(
            default=_policy(chosen, "the approval policy"),
            per_tool=tools,
            headless=cast(Literal["auto", "deny"], headless),
        )

    def for_tool(self, name: str, asked: Policy | None = None) -> Policy:
        """The policy for one tool: its own entry, else the stricter of the default and `asked`.

        `asked` is what the tool asks for (`Tool.approval`): `run_python` asks to be asked, so a
        run whose default is `auto` still asks before it runs code, unless `per_tool` says so.
        """
        if name in self.per_tool:
            return self.per_tool[name]
        if asked is None:
            return self.default
        stricter = _STRICTNESS.index(asked) > _STRICTNESS.index(self.default)
        return asked if stricter else self.default


async def wait_with_heartbeat(future: asyncio.Future[Any], patience: float | None) -> bool:
    """Wait for `future`, waking every 0.25 s; False when `patience` seconds passed first."""
    loop = asyncio.get_running_loop()
    deadline = None if patience is None else loop.time() + patience
    while not future.done():
        step = HEARTBEAT if deadline is None else min(HEARTBEAT, deadline - loop.time())
        if step <= 0:
            return False
        await asyncio.wait({future}, timeout=step)
    return True


def on_loop(
    loop: asyncio.AbstractEventLoop | None, handle: Callable[[Any], None], message: Any
) -> None:
    """Run `handle(message)` on `loop`'s thread: a view's click handler, wherever it was called.

    On ipykernel 7.0-7.3 comm messages are handled in a subshell thread; futures and the view's
    state belong to the loop's thread.
    """
    if loop is not None and not loop.is_closed():
        loop.call_soon_threadsafe(handle, message)
    else:
        handle(message)
