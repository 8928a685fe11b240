"""A view's approval desk: who decides each tool call, and the cards waiting for a click.

The loop asks `on_tool_call` one call at a time, in order, after the turn's stream ended. When it
asks for the first call of a turn, every call of that turn that needs a person is put to the user
at once (all their cards wait, with their buttons, and "Approve all" / "Skip all"); a click answers
its card whenever it comes, and the loop takes the answers in order. A card approved while an
earlier one still waits is `queued`; one skipped is `skipped` at once. Terminate on any card ends
the run at the call the loop is waiting on.

Each card says why it ran or did not (a typed `Decision`): approved by you, the auto policy,
always allowed, denied by the policy, skipped by you, terminated, no answer in time, the headless
policy, your hook, not run. An edit (approve with other arguments) is checked against the tool's
schema first; a bad one is refused on the card, which keeps waiting.

A tool's own policy (`Tool.approval`: `run_python` asks to be asked) applies where it is stricter
than the run's. Under `UsageLimits.max_tool_calls` (checked by the loop before any approval is
asked), only the calls the limit could still let run are put to the user at once; a later one is
asked when the loop reaches it, if it does.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable, Mapping
from typing import Any

from ..core import ToolCallHookAction
from ._edits import check_edit, pretty_args
from ._policy import DECLINED, ApprovalPolicy, Policy, wait_with_heartbeat
from ._protocol import Decision, DecisionKind, FrontEndMessage, ToolStatus
from ._reducer import ViewState, decision

__all__ = ["ApprovalPolicy", "Approvals", "Policy"]


class Approvals:
    """Decides each tool call by policy, by Always allow or by a click."""

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
        self._schemas: Mapping[str, Any] = {}
        self.asked: dict[str, Policy] = {}
        """What each of the run's tools asks for (`Tool.approval`), by name."""
        self._loop: asyncio.AbstractEventLoop | None = None
        self._rendered_event: asyncio.Event | None = None
        self._decisions: dict[str, asyncio.Future[ToolCallHookAction]] = {}
        self._deadlines: dict[str, float] = {}
        self._clicked: dict[str, Decision] = {}
        """What a click decided, shown when the loop takes the answer."""
        self._considered: set[str] = set()
        """Calls already put to the user with the rest of their turn (or decided by policy)."""

    def begin(
        self,
        board: ViewState,
        known_tools: set[str],
        schemas: Mapping[str, Any] | None = None,
        asked: Mapping[str, Policy] | None = None,
        *,
        max_tool_calls: int | None = None,
    ) -> None:
        """A run starts (on the running event loop): its cards are on `board`.

        `schemas` are the tools' argument schemas (what an edit is checked against), `asked` the
        policy each tool asks for (`Tool.approval`: the stricter of it and the run's applies),
        `max_tool_calls` the run's limit (`UsageLimits`).
        """
        self._board = board
        self._known_tools = known_tools
        self._schemas = schemas or {}
        self.asked = dict(asked or {})
        self._max_tool_calls = max_tool_calls
        self._ran = 0
        self._loop = asyncio.get_running_loop()
        self._rendered_event = asyncio.Event()
        if self.rendered:
            self._rendered_event.set()

    def end(self) -> None:
        """The run ended: nothing waits for a click any more."""
        for future in self._decisions.values():
            future.cancel()
        self._decisions.clear()
        self._deadlines.clear()
        self._clicked.clear()
        self._considered.clear()

    def set_rendered(self, rendered: bool) -> None:
        """Whether a front end rendered the view (the view's `rendered` trait; any thread)."""
        self.rendered = rendered
        if rendered and self._loop is not None and self._rendered_event is not None:
            self._loop.call_soon_threadsafe(self._rendered_event.set)

    def mark(
        self,
        internal_call_id: str,
        status: ToolStatus,
        kind: DecisionKind | None = None,
        reason: str = "",
    ) -> None:
        """Show a card's status, and why."""
        self._board.tool_status(
            internal_call_id, status, decision(kind, reason) if kind is not None else None
        )
        self._push()

    def _notice(self, text: str) -> None:
        self._board.notice(text)
        self._push()

    def _policy_of(self, tool_name: str) -> Policy:
        """The run's policy for a tool, or the stricter one the tool asks for (`Tool.approval`)."""
        return self.policy.for_tool(tool_name, self.asked.get(tool_name))

    def _policy_for(self, tool_name: str) -> Policy:
        policy = self._policy_of(tool_name)
        if policy == "ask" and tool_name in self.always_allowed:
            return "auto"  # (shown as "always allowed" by `_by_policy`)
        return policy

    def _known(self, tool_name: str) -> bool:
        return self._known_tools is None or tool_name in self._known_tools

    # -- deciding ---------------------------------------------------------------------------------

    async def decide(self, tool_name: str, internal_call_id: str) -> ToolCallHookAction:
        """Run, skip or terminate one tool call, by policy or by a click."""
        action = await self._decide(tool_name, internal_call_id)
        if action.kind == "continue":
            self._ran += 1  # as the loop's meter counts tool calls (`max_tool_calls`)
        return action

    async def _decide(self, tool_name: str, internal_call_id: str) -> ToolCallHookAction:
        if not self._known(tool_name):
            # A tool the agent does not have: nothing can run, so there is nothing to approve;
            # the tool server answers the model with ToolNotFoundError.
            self.mark(internal_call_id, "running")
            return ToolCallHookAction.cont()
        if internal_call_id not in self._decisions and internal_call_id not in self._considered:
            await self._put_turn_to_the_user()
        future = self._decisions.get(internal_call_id)
        if future is None:
            return self._by_policy(tool_name, internal_call_id)
        return await self._answer(tool_name, internal_call_id, future)

    async def _put_turn_to_the_user(self) -> None:
        """Every call of the turn that needs a person waits for a click, all at once."""
        pending = self._board.pending_calls()
        if self._max_tool_calls is not None:
            # Each call ahead may run: no more of them than the limit still allows (and always
            # the one the loop asks about, which its meter already let through).
            pending = pending[: max(1, self._max_tool_calls - self._ran)]
        self._considered.update(iid for iid, _ in pending)
        asked = [
            (i, name)
            for i, name in pending
            if self._known(name) and self._policy_for(name) == "ask"
        ]
        if not asked or not await self.front_end_present():
            return
        loop = asyncio.get_running_loop()
        for iid, _ in asked:
            self._decisions[iid] = loop.create_future()
            if self.policy.timeout is not None:
                self._deadlines[iid] = loop.time() + self.policy.timeout
            self._board.tool_status(iid, "waiting")
        self._push()

    def _by_policy(self, tool_name: str, internal_call_id: str) -> ToolCallHookAction:
        policy = self._policy_of(tool_name)
        if policy == "ask" and tool_name in self.always_allowed:
            # "Always allow" answers the question `ask` would put; it never beats a `deny`.
            self.mark(internal_call_id, "running", "always_allowed")
            return ToolCallHookAction.cont()
        if policy == "ask":  # no front end to ask (`_put_turn_to_the_user` found none)
            headless = self.policy.headless
            verb = "ran" if headless == "auto" else "skipped"
            self._notice(
                f"No notebook front end could approve {tool_name!r}, so it was {verb} "
                f"(headless approval policy: {headless})."
            )
            if headless == "auto":
                self.mark(internal_call_id, "running", "headless", "auto")
                return ToolCallHookAction.cont()
            self.mark(internal_call_id, "skipped", "headless", "deny")
            return ToolCallHookAction.skip(DECLINED)
        if policy == "auto":
            self.mark(internal_call_id, "running", "auto")
            return ToolCallHookAction.cont()
        why = "a deny beats Always allow" if tool_name in self.always_allowed else ""
        self.mark(internal_call_id, "skipped", "denied", why)
        return ToolCallHookAction.skip(DECLINED)

    async def _answer(
        self, tool_name: str, internal_call_id: str, future: asyncio.Future[ToolCallHookAction]
    ) -> ToolCallHookAction:
        deadline = self._deadlines.get(internal_call_id)
        patience = None if deadline is None else deadline - asyncio.get_running_loop().time()
        try:
            answered = await wait_with_heartbeat(future, patience)
        finally:
            self._decisions.pop(internal_call_id, None)
            self._deadlines.pop(internal_call_id, None)
        if not answered:
            self.mark(internal_call_id, "skipped", "timeout")
            self._notice(
                f"Nobody approved {tool_name!r} within {self.policy.timeout:g} s; skipped."
            )
            return ToolCallHookAction.skip(f"{DECLINED} (no answer in time)")
        action = future.result()
        clicked = self._clicked.pop(internal_call_id, decision("approved"))
        if action.kind == "continue":
            self._board.tool_status(internal_call_id, "running", clicked)
            self._push()
        return action

    async def front_end_present(self) -> bool:
        """Whether a front end rendered the view, waiting `render_grace` for one to say so."""
        if self.rendered or self._rendered_event is None:
            return self.rendered
        await wait_with_heartbeat(
            asyncio.ensure_future(self._rendered_event.wait()), self.policy.render_grace
        )
        return self.rendered

    # -- clicks -----------------------------------------------------------------------------------

    def click(self, message: FrontEndMessage) -> None:
        """Apply a decision click (on the event loop's thread); `stop` is the view's."""
        kind = message.get("kind")
        reason = (message.get("reason") or "").strip()
        if kind in ("approve_all", "skip_all"):
            for card in [c for c, f in self._decisions.items() if not f.done()]:
                if kind == "approve_all":
                    self._approve(card, decision("approved", "approve all"))
                else:
                    self._skip(card, reason)
            self._push()
            return
        card = message.get("id", "")
        future = self._decisions.get(card)
        if future is None or future.done():
            return
        if kind == "approve":
            edited = message.get("arguments")
            if edited is not None and not self._approve_edited(card, edited):
                self._push()  # refused: the card says why and keeps waiting
                return
            if edited is None:
                self._approve(card, decision("approved"))
        elif kind == "always_allow":
            name = self._board.tool_name(card)
            if name:
                self.always_allowed.add(name)
            self._approve(card, decision("always_allowed"))
        elif kind == "skip":
            self._skip(card, reason)
        elif kind == "terminate":
            self._terminate(card, reason)
        self._push()

    def _approve(self, card: str, why: Decision, action: ToolCallHookAction | None = None) -> None:
        self._clicked[card] = why
        self._decisions[card].set_result(action or ToolCallHookAction.cont())
        self._board.tool_status(card, "queued", why)

    def _approve_edited(self, card: str, text: str) -> bool:
        block = self._board.card(card)
        schema = self._schemas.get(block["name"]) if block is not None else None
        arguments, problem = check_edit(text, schema)
        if arguments is None:
            self._board.tool_edit(card, edit_error=problem)
            return False
        action = ToolCallHookAction.cont(arguments=arguments)
        if block is not None and _parsed(block["args"]) == arguments:
            self._board.tool_edit(card)  # edited back to what the model asked: no edit
            self._approve(card, decision("approved"))
            return True
        self.show_edit(card, action.arguments or "{}")
        self._approve(card, decision("approved", "with edited arguments"), action)
        return True

    def show_edit(self, card: str, arguments: str) -> None:
        """A card's tool will run with `arguments` (JSON text), not the model's."""
        self._board.tool_edit(card, ran_args=pretty_args(arguments))

    def _skip(self, card: str, reason: str) -> None:
        self._decisions[card].set_result(
            ToolCallHookAction.skip(f"{DECLINED[:-1]}: {reason}" if reason else DECLINED)
        )
        self._board.tool_status(card, "skipped", decision("skipped", reason))

    def _terminate(self, card: str, reason: str) -> None:
        """End the run: the loop gets Terminate at whichever call it waits on."""
        action = ToolCallHookAction.terminate(reason or "terminated by the user")
        for future in self._decisions.values():
            if not future.done():
                future.set_result(action)
        self._board.tool_status(card, "skipped", decision("terminated", reason))


def _parsed(text: str) -> Any:
    try:
        return json.loads(text)
    except ValueError:
        return None
