"""AgentView: coalesced updates, approvals by simulated comm messages, headless policy, Stop."""

import asyncio
import threading
import time

import pytest

from rig_nb import (
    Agent,
    Message,
    PromptCancelled,
    PromptHook,
    ToolCallHookAction,
    UserError,
    tool,
)
from rig_nb.testing import Delay, ScriptedModel, final, tool_call
from rig_nb.widgets import AgentView, ApprovalPolicy

from .comm_log import CommLog, replay

pytestmark = pytest.mark.anyio

RAN: list[str] = []


@tool
def delete_file(path: str) -> str:
    """Delete a file."""
    RAN.append(path)
    return f"deleted {path}"


def tool_turns() -> ScriptedModel:
    return ScriptedModel(
        [
            [tool_call("delete_file", {"path": "a.txt"}), final(total_tokens=3)],
            ["Done.", final(total_tokens=4)],
            [tool_call("delete_file", {"path": "b.txt"}), final()],
            ["Done again.", final()],
        ]
    )


async def waiting_tool(view: AgentView) -> str:
    """The internal call id of the card waiting for approval."""
    for _ in range(400):
        for block in view.state.get("blocks", []):
            if block["kind"] == "tool" and block["status"] == "waiting":
                return block["id"]
        await asyncio.sleep(0.005)
    raise AssertionError(f"no tool is waiting: {view.state}")


def click(view: AgentView, **message) -> None:
    """What the comm delivers when a button is clicked."""
    view._on_message(view, message, [])


async def test_a_20000_token_burst_is_coalesced_to_30_updates_per_second_plus_an_exact_final() -> (
    None
):
    tokens = [f"t{i} " for i in range(20_000)]
    view = AgentView(Agent(ScriptedModel([[*tokens, final(total_tokens=20_000)]])), approval="auto")
    log = CommLog(view)
    started = time.monotonic()
    answer = await view.run("burst")
    elapsed = time.monotonic() - started
    await asyncio.sleep(0.1)  # no stray timer fires after the end
    assert answer.response == "".join(tokens)
    assert view.state["blocks"][0]["text"] == "".join(tokens)  # the final state is exact
    assert view.state["status"] == "done"
    assert view.updates_sent == len(log.messages)
    # The whole state when the run starts and when it ends; deltas in between.
    kinds = log.kinds()
    assert kinds[0] == kinds[-1] == "state" and set(kinds[1:-1]) <= {"delta"}
    assert replay(log.messages)[-1] == log.messages[-1]["state"]  # the deltas add up
    assert len(log.messages) <= 30 * elapsed + 3  # <= 30/s, plus the first and the final states
    windows: dict[int, int] = {}
    for t in log.times[1:-1]:
        windows[int(t - started)] = windows.get(int(t - started), 0) + 1
    assert all(n <= 31 for n in windows.values()), windows


async def test_a_paced_stream_sends_intermediate_states() -> None:
    steps = [s for i in range(40) for s in (f"w{i} ", Delay(0.005))]
    view = AgentView(Agent(ScriptedModel([[*steps, final()]])), approval="auto")
    log = CommLog(view)
    await view.run("paced")
    states = [s["blocks"][0]["text"] if s["blocks"] else "" for s in replay(log.messages)]
    distinct = {s for s in states if s}
    assert len(distinct) >= 3  # progressive renders, not one lump
    assert states[-1] == "".join(f"w{i} " for i in range(40))
    assert log.kinds().count("delta") >= 3


async def test_approve_runs_the_tool() -> None:
    RAN.clear()
    view = AgentView(Agent(tool_turns(), tools=[delete_file]), approval="ask")
    view.rendered = True
    run = asyncio.create_task(view.run("clean up", max_turns=1))
    card = await waiting_tool(view)
    assert view.state["status"] == "waiting"
    click(view, kind="approve", id=card)
    answer = await run
    assert answer.response == "Done."
    assert RAN == ["a.txt"]
    tool_block = next(b for b in view.state["blocks"] if b["kind"] == "tool")
    assert tool_block["status"] == "done" and tool_block["result"]["text"] == "deleted a.txt"


async def test_skip_with_a_reason_goes_to_the_model() -> None:
    RAN.clear()
    model = tool_turns()
    view = AgentView(Agent(model, tools=[delete_file]), approval="ask")
    view.rendered = True
    run = asyncio.create_task(view.run("clean up", max_turns=1))
    click(view, kind="skip", id=await waiting_tool(view), reason="keep a.txt")
    await run
    assert RAN == []
    sent = model.requests[1].prompt
    assert sent == Message.tool_result(
        "call_delete_file", "The user declined to run this tool: keep a.txt"
    )


async def test_terminate_ends_the_run_with_history() -> None:
    view = AgentView(Agent(tool_turns(), tools=[delete_file]), approval="ask")
    view.rendered = True
    run = asyncio.create_task(view.run("clean up", history=[Message.user("hi")]))
    click(view, kind="terminate", id=await waiting_tool(view))
    with pytest.raises(PromptCancelled) as info:
        await run
    assert info.value.chat_history == [Message.user("hi"), Message.user("clean up")]
    assert view.state["status"] == "cancelled"


async def test_always_allow_covers_the_rest_of_the_session() -> None:
    RAN.clear()
    model = tool_turns()
    allowed: set[str] = set()
    view = AgentView(Agent(model, tools=[delete_file]), approval="ask", always_allowed=allowed)
    view.rendered = True
    run = asyncio.create_task(view.run("first", max_turns=1))
    click(view, kind="always_allow", id=await waiting_tool(view))
    await run
    assert allowed == {"delete_file"}
    await view.run("second", max_turns=1)  # no wait this time
    assert RAN == ["a.txt", "b.txt"]


async def test_a_click_from_another_thread_is_delivered_on_the_loop() -> None:
    RAN.clear()
    view = AgentView(Agent(tool_turns(), tools=[delete_file]), approval="ask")
    view.rendered = True
    run = asyncio.create_task(view.run("x", max_turns=1))
    card = await waiting_tool(view)
    thread = threading.Thread(target=click, args=(view,), kwargs={"kind": "approve", "id": card})
    thread.start()
    thread.join()
    await run
    assert RAN == ["a.txt"]


async def test_headless_ask_never_hangs_and_says_what_it_decided(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    RAN.clear()
    policy = ApprovalPolicy(default="ask", headless="deny", render_grace=0.05)
    view = AgentView(Agent(tool_turns(), tools=[delete_file]), approval=policy)
    started = time.monotonic()
    await view.run("x", max_turns=1)
    assert time.monotonic() - started < 2
    assert RAN == []
    assert view.state["notices"] == [
        "No notebook front end could approve 'delete_file', so it was skipped (headless approval policy: deny)."
    ]
    monkeypatch.setenv("RIG_NB_HEADLESS_APPROVAL", "auto")
    auto = ApprovalPolicy.from_env("ask")
    assert auto.headless == "auto"


async def test_a_front_end_that_renders_late_is_waited_for() -> None:
    RAN.clear()
    view = AgentView(
        Agent(tool_turns(), tools=[delete_file]), approval=ApprovalPolicy(render_grace=2.0)
    )
    run = asyncio.create_task(view.run("x", max_turns=1))
    await asyncio.sleep(0.05)
    view.rendered = True  # the browser's view announces itself
    click(view, kind="approve", id=await waiting_tool(view))
    await run
    assert RAN == ["a.txt"]


async def test_no_answer_in_time_skips_the_tool() -> None:
    RAN.clear()
    view = AgentView(Agent(tool_turns(), tools=[delete_file]), approval=ApprovalPolicy(timeout=0.1))
    view.rendered = True
    await view.run("x", max_turns=1)
    assert RAN == []
    assert "within 0.1 s; skipped" in view.state["notices"][0]


async def test_interrupt_during_an_approval_wait_cancels_within_a_second_and_keeps_history() -> (
    None
):
    view = AgentView(
        Agent(tool_turns(), tools=[delete_file]), approval=ApprovalPolicy(timeout=None)
    )
    view.rendered = True
    run = asyncio.create_task(view.run("x", history=[Message.user("before")]))
    await waiting_tool(view)
    started = time.monotonic()
    run.cancel()  # what the kernel's interrupt button does to the cell's task
    with pytest.raises(asyncio.CancelledError):
        await run
    assert time.monotonic() - started < 1.0
    assert view.last_run is not None and view.last_run.cancelled is not None
    assert view.last_run.cancelled.chat_history == [Message.user("before"), Message.user("x")]
    assert view.state["status"] == "cancelled"


async def test_stop_button_mid_stream_keeps_the_partial_answer() -> None:
    model = ScriptedModel([["Partial ", Delay(0.05), "answer ", Delay(5), "never", final()]])
    view = AgentView(Agent(model), approval="auto")
    run = asyncio.create_task(view.run("x"))
    for _ in range(200):
        if "answer" in (view.state.get("blocks") or [{}])[0].get("text", ""):
            break
        await asyncio.sleep(0.01)
    await asyncio.sleep(0.05)
    click(view, kind="stop")
    with pytest.raises(PromptCancelled, match="stopped by user") as info:
        await run
    assert info.value.chat_history == [Message.user("x"), Message.assistant("Partial answer ")]
    assert view.state["error"] == "Stopped: stopped by user"


async def test_an_inner_hook_decides_first() -> None:
    RAN.clear()

    class Guard(PromptHook):
        async def on_tool_call(self, tool_name, tool_call_id, internal_call_id, args):
            return ToolCallHookAction.skip("guarded")

    view = AgentView(Agent(tool_turns(), tools=[delete_file], hook=Guard()), approval="auto")
    await view.run("x", max_turns=1)
    assert RAN == []
    card = next(b for b in view.state["blocks"] if b["kind"] == "tool")
    assert card["decision"] == {"kind": "hook", "reason": "guarded"}


def test_mimebundle_has_text_and_html_fallbacks() -> None:
    view = AgentView()
    bundle = view._repr_mimebundle_()
    assert bundle["text/plain"] == "AgentView (no run yet)"
    assert "application/vnd.jupyter.widget-view+json" in bundle
    assert bundle["text/html"].startswith('<div class="rig-nb-transcript mathjax_ignore ')
    assert repr(view) == "<AgentView idle>"


async def test_clicks_arrive_through_the_widget_comm_message_path() -> None:
    """The message shape the kernel hands to the widget when the browser calls model.send()."""
    RAN.clear()
    view = AgentView(Agent(tool_turns(), tools=[delete_file]), approval="ask")
    view._handle_msg(
        {"content": {"data": {"method": "update", "state": {"rendered": True}}}, "buffers": []}
    )
    assert view.rendered is True  # the front end announced itself through the comm
    run = asyncio.create_task(view.run("x", max_turns=1))
    card = await waiting_tool(view)
    message = {
        "content": {"data": {"method": "custom", "content": {"kind": "approve", "id": card}}},
        "buffers": [],
    }
    view._handle_msg(message)
    await run
    assert RAN == ["a.txt"]


async def test_a_hallucinated_tool_is_not_put_to_the_user() -> None:
    model = ScriptedModel([[tool_call("no_such_tool"), final()], ["ok", final()]])
    view = AgentView(Agent(model, tools=[delete_file]), approval=ApprovalPolicy(timeout=None))
    view.rendered = True  # someone could click, but there is nothing to approve
    await asyncio.wait_for(view.run("x", max_turns=1), timeout=5)
    card = next(b for b in view.state["blocks"] if b["kind"] == "tool")
    assert (card["status"], card["error"]) == ("error", "ToolNotFoundError: no_such_tool")


async def test_a_deny_policy_beats_always_allow_and_an_allowed_card_says_why() -> None:
    RAN.clear()
    allowed = {"delete_file"}
    denied = AgentView(
        Agent(tool_turns(), tools=[delete_file]),
        approval=ApprovalPolicy(default="ask", per_tool={"delete_file": "deny"}),
        always_allowed=allowed,
    )
    await denied.run("x", max_turns=1)
    assert RAN == []
    card = next(b for b in denied.state["blocks"] if b["kind"] == "tool")
    assert (card["status"], card["decision"]) == (
        "skipped",
        {"kind": "denied", "reason": "a deny beats Always allow"},
    )
    assert (
        "- skipped: denied by the approval policy: a deny beats Always allow"
        in (denied._repr_mimebundle_()["text/plain"])
    )
    allowed_view = AgentView(
        Agent(tool_turns(), tools=[delete_file]), approval="ask", always_allowed=allowed
    )
    await allowed_view.run("x", max_turns=1)  # no front end needed: nothing to ask
    assert RAN == ["a.txt"]
    card = next(b for b in allowed_view.state["blocks"] if b["kind"] == "tool")
    assert (card["status"], card["decision"]) == ("done", {"kind": "always_allowed", "reason": ""})
    assert allowed_view.state["notices"] == []
    auto = AgentView(
        Agent(tool_turns(), tools=[delete_file]), approval="auto", always_allowed=allowed
    )
    await auto.run("x", max_turns=1)
    card = next(b for b in auto.state["blocks"] if b["kind"] == "tool")
    # auto ran it, not the allowance (and the card says so: issue 10 point 10)
    assert (card["status"], card["decision"]) == ("done", {"kind": "auto", "reason": ""})


async def test_the_clicked_always_allow_card_says_so() -> None:
    view = AgentView(Agent(tool_turns(), tools=[delete_file]), approval="ask")
    view.rendered = True
    run = asyncio.create_task(view.run("x", max_turns=1))
    click(view, kind="always_allow", id=await waiting_tool(view))
    await run
    card = next(b for b in view.state["blocks"] if b["kind"] == "tool")
    assert (card["status"], card["decision"]) == ("done", {"kind": "always_allowed", "reason": ""})
    approved = AgentView(Agent(tool_turns(), tools=[delete_file]), approval="ask")
    approved.rendered = True
    run = asyncio.create_task(approved.run("x", max_turns=1))
    click(approved, kind="approve", id=await waiting_tool(approved))
    await run
    card = next(b for b in approved.state["blocks"] if b["kind"] == "tool")
    assert (card["status"], card["decision"]) == ("done", {"kind": "approved", "reason": ""})


class Boom(RuntimeError):
    pass


async def test_an_exception_from_a_listener_ends_the_view_in_its_error_state() -> None:
    model = ScriptedModel([["one ", "two ", "three ", Delay(5), final()]])
    view = AgentView(Agent(model), approval="auto")

    def listener(item: object) -> None:
        if "two" in str(item):
            raise Boom("listener bug")

    view.listeners.append(listener)
    with pytest.raises(Boom):
        await asyncio.wait_for(view.run("x"), timeout=2)  # no wait for the rest of the stream
    assert view.state["status"] == "error"
    assert view.state["error"] == "Boom: listener bug"
    assert view.run_stream is None
    assert view.last_run is not None
    assert view.last_run.history == [Message.user("x"), Message.assistant("one two ")]


async def test_a_keyboard_interrupt_inside_the_run_ends_the_view_as_interrupted() -> None:
    view = AgentView(Agent(ScriptedModel([["one ", KeyboardInterrupt()]])), approval="auto")
    with pytest.raises(KeyboardInterrupt):
        await view.run("x")
    assert view.state["status"] == "cancelled"
    assert view.state["error"] == "Interrupted: a KeyboardInterrupt stopped the run"


async def test_an_inner_hook_bug_ends_the_view_in_its_error_state() -> None:
    class Broken(PromptHook):
        async def on_tool_call(self, tool_name, tool_call_id, internal_call_id, args):
            raise Boom("hook bug")

    view = AgentView(Agent(tool_turns(), tools=[delete_file], hook=Broken()), approval="auto")
    with pytest.raises(Exception, match="hook bug"):
        await view.run("x", max_turns=1)
    assert view.state["status"] == "error"
    assert "hook bug" in view.state["error"] and "Boom" in view.state["error"]
    card = next(b for b in view.state["blocks"] if b["kind"] == "tool")
    assert card["status"] == "skipped"  # no card is left "waiting" or "running"


async def test_a_view_whose_state_cannot_be_built_still_ends(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from rig_nb.widgets import _reducer

    view = AgentView(Agent(ScriptedModel([["one ", "two ", final()]])), approval="auto")
    snapshot = _reducer.ViewState.snapshot
    calls = {"n": 0}

    def broken(self: object) -> dict:
        calls["n"] += 1
        if calls["n"] > 1:
            raise Boom("snapshot bug")
        return snapshot(self)

    monkeypatch.setattr(_reducer.ViewState, "snapshot", broken)
    answer = await view.run("x")  # the run itself succeeded: its answer is not lost
    assert answer.response == "one two "
    assert view.state["status"] == "error"  # but the view says it could not show it
    assert view.state["error"] == "Boom: snapshot bug"


async def test_a_request_that_cannot_be_built_shows_why() -> None:
    view = AgentView(Agent(ScriptedModel([])), approval="auto")
    with pytest.raises(UserError, match="multi_turn needs a number >= 0, got -1"):
        await view.run("x", max_turns=-1)
    assert view.state["status"] == "error"
    assert view.state["error"] == "multi_turn needs a number >= 0, got -1"
