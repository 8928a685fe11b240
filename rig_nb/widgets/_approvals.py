"""Who decides whether a tool runs: a person (`ask`), nobody (`auto`), or a refusal (`deny`).

`ask` never hangs: a view that rendered in a browser announces itself; when none did (nbconvert,
nbval, papermill, a terminal), the `headless` choice decides at once and the output says so, and a
person who does not answer within `timeout` seconds gets the tool skipped.

Environment: `RIG_NB_APPROVAL` (`ask` / `auto` / `deny`) sets the default policy,
`RIG_NB_HEADLESS_APPROVAL` (`auto` / `deny`, default `deny`) what happens with nobody to ask.

`Approvals` is a view's approval desk: the policy, the tools always allowed, and the cards waiting
for a click. It marks the run's cards on the reducer it is given and calls `push` to send them.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal, cast

from ..core import ToolCallHookAction
from ..errors import UserError
from ._protocol import FrontEndMessage, ToolStatus
from ._reducer import ViewState

__all__ = [
    "ALWAYS_ALLOWED",
    "DECLINED",
    "ApprovalPolicy",
    "Approvals",
    "Policy",
    "wait_with_heartbeat",
]

DECLINED = "The user declined to run this tool."
ALWAYS_ALLOWED = "always allowed"
"""The decision text of a card that ran because its tool is always allowed."""

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


class Approvals:
    """A view's approval desk: decides each tool call by policy, by Always allow or by a click."""

    def __init__(
        self, policy: ApprovalPolicy, always_allowed: set[str], push: Callable[[], None]
    ) -> None:
        self.policy = policy
        self.always_allowed = always_allowed
        """Shared with whoever passed it in (the magic's session): Always allow lasts for it."""
        self.rendered = False
        """Whether a front end announced itself: someone can click."""
        self._push = push
        self._board = ViewState()
        self._known_tools: set[str] | None = None
        self.asked: dict[str, Policy] = {}
        """What each of the run's tools asks for (`Tool.approval`), by name."""
        self._loop: asyncio.AbstractEventLoop | None = None
        self._rendered_event: asyncio.Event | None = None
        self._decisions: dict[str, asyncio.Future[ToolCallHookAction]] = {}
        self._clicked: dict[str, str] = {}
        """Decision texts of clicks that approved a card (Always allow)."""

    def begin(self, board: ViewState, known_tools: set[str]) -> None:
        """A run starts (on the running event loop): its cards are on `board`."""
        self._board = board
        self._known_tools = known_tools
        self._loop = asyncio.get_running_loop()
        self._rendered_event = asyncio.Event()
        if self.rendered:
            self._rendered_event.set()

    def end(self) -> None:
        """The run ended: nothing waits for a click any more."""
        for future in self._decisions.values():
            future.cancel()
        self._decisions.clear()
        self._clicked.clear()

    def set_rendered(self, rendered: bool) -> None:
        """Whether a front end rendered the view (the view's `rendered` trait; any thread)."""
        self.rendered = rendered
        if rendered and self._loop is not None and self._rendered_event is not None:
            self._loop.call_soon_threadsafe(self._rendered_event.set)

    def mark(self, internal_call_id: str, status: ToolStatus, decision: str | None = None) -> None:
        """Show a card's status (and why) at once."""
        self._board.tool_status(internal_call_id, status, decision)
        self._push()

    def _notice(self, text: str) -> None:
        self._board.notice(text)
        self._push()

    async def decide(self, tool_name: str, internal_call_id: str) -> ToolCallHookAction:
        """Run, skip or terminate one tool call, by policy or by a click."""
        if self._known_tools is not None and tool_name not in self._known_tools:
            # A tool the agent does not have: nothing can run, so there is nothing to approve;
            # the tool server answers the model with ToolNotFoundError.
            self.mark(internal_call_id, "running")
            return ToolCallHookAction.cont()
        policy = self.policy.for_tool(tool_name, self.asked.get(tool_name))
        if policy == "ask" and tool_name in self.always_allowed:
            # "Always allow" answers the question `ask` would put; it never beats a `deny`.
            self.mark(internal_call_id, "running", ALWAYS_ALLOWED)
            return ToolCallHookAction.cont()
        if policy == "ask" and not await self._front_end_present():
            policy = self.policy.headless
            verb = "ran" if policy == "auto" else "skipped"
            self._notice(
                f"No notebook front end could approve {tool_name!r}, so it was {verb} "
                f"(headless approval policy: {policy})."
            )
        if policy == "auto":
            self.mark(internal_call_id, "running")
            return ToolCallHookAction.cont()
        if policy == "deny":
            why = "denied by the approval policy"
            if tool_name in self.always_allowed:
                why += " (a deny beats Always allow)"
            self.mark(internal_call_id, "skipped", why)
            return ToolCallHookAction.skip(DECLINED)
        return await self._ask(tool_name, internal_call_id)

    async def _ask(self, tool_name: str, internal_call_id: str) -> ToolCallHookAction:
        future = asyncio.get_running_loop().create_future()
        self._decisions[internal_call_id] = future
        self.mark(internal_call_id, "waiting")
        try:
            answered = await wait_with_heartbeat(future, self.policy.timeout)
        finally:
            self._decisions.pop(internal_call_id, None)
        if not answered:
            self.mark(internal_call_id, "skipped", "no answer in time")
            self._notice(
                f"Nobody approved {tool_name!r} within {self.policy.timeout:g} s; skipped."
            )
            return ToolCallHookAction.skip(f"{DECLINED} (no answer in time)")
        action = future.result()
        if action.kind == "continue":
            self.mark(internal_call_id, "running", self._clicked.pop(internal_call_id, None))
        elif action.kind == "skip":
            self.mark(internal_call_id, "skipped", action.reason)
        else:
            self.mark(internal_call_id, "skipped", "terminated by the user")
        return action

    async def _front_end_present(self) -> bool:
        if self.rendered or self._rendered_event is None:
            return self.rendered
        await wait_with_heartbeat(
            asyncio.ensure_future(self._rendered_event.wait()), self.policy.render_grace
        )
        return self.rendered

    def click(self, message: FrontEndMessage) -> None:
        """Apply a decision click (on the event loop's thread); `stop` is the view's."""
        kind = message.get("kind")
        card = message.get("id", "")
        future = self._decisions.get(card)
        if future is None or future.done():
            return
        reason = (message.get("reason") or "").strip()
        if kind == "approve":
            future.set_result(ToolCallHookAction.cont())
        elif kind == "always_allow":
            name = self._board.tool_name(card)
            if name:
                self.always_allowed.add(name)
                self._clicked[card] = ALWAYS_ALLOWED
            future.set_result(ToolCallHookAction.cont())
        elif kind == "skip":
            future.set_result(
                ToolCallHookAction.skip(f"{DECLINED[:-1]}: {reason}" if reason else DECLINED)
            )
        elif kind == "terminate":
            future.set_result(ToolCallHookAction.terminate(reason or "terminated by the user"))
