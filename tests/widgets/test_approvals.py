"""Approvals for real work (issue 10 points 8-10): parallel calls all wait at once, with Approve
all / Skip all; edits checked against the tool's schema before they run; every card says why it ran
or did not."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from rig_nb import (
    Agent,
    PromptCancelled,
    PromptHook,
    Text,
    ToolCallHookAction,
    ToolResult,
    UserMessage,
    tool,
)
from rig_nb.core._hooks import edited_note
from rig_nb.testing import ScriptedModel, final, tool_call
from rig_nb.widgets import AgentView, ApprovalPolicy

pytestmark = pytest.mark.anyio

RAN: list[str] = []


@tool
def delete_file(path: str, force: bool = False) -> str:
    """Delete a file."""
    RAN.append(path + ("!" if force else ""))
    return f"deleted {path}"


@tool
def list_files() -> list[str]:
    """List the files."""
    RAN.append("ls")
    return ["a.txt"]


def three_deletes() -> ScriptedModel:
    calls = [tool_call("delete_file", {"path": p}, id=f"c{i}") for i, p in enumerate("abc")]
    return ScriptedModel([[*calls, final()], ["Done.", final()]])


def cards(view: AgentView) -> list[dict[str, Any]]:
    return [b for b in view.state.get("blocks", []) if b["kind"] == "tool"]  # type: ignore[misc]


async def until(view: AgentView, check: Any) -> None:
    for _ in range(600):
        if check(cards(view)):
            return
        await asyncio.sleep(0.005)
    raise AssertionError(f"never: {[(c['id'], c['status']) for c in cards(view)]}")


def waiting(c: list[dict[str, Any]], n: int) -> bool:
    return sum(x["status"] == "waiting" for x in c) == n


def why(card: dict[str, Any]) -> tuple[str, str | None]:
    return card["status"], card["decision"] and card["decision"]["kind"]


def results(view: AgentView) -> list[str]:
    run = view.last_run
    assert run is not None
    out: list[str] = []
    for message in run.history:
        if isinstance(message, UserMessage) and isinstance(message.content[0], ToolResult):
            out.append(
                " | ".join(c.text for c in message.content[0].content if isinstance(c, Text))
            )
    return out


async def test_every_pending_call_of_a_turn_waits_at_once_and_answers_come_in_any_order() -> None:
    RAN.clear()
    view = AgentView(Agent(three_deletes(), tools=[delete_file]), approval="ask")
    view.rendered = True
    run = asyncio.create_task(view.run("tidy", max_turns=1))
    await until(view, lambda c: waiting(c, 3))  # all three, before any click
    a, b, c = (card["id"] for card in cards(view))
    view.handle_message({"kind": "approve", "id": c})  # the last one first
    await asyncio.sleep(0.05)
    assert RAN == []  # the loop still waits on the first call: order is kept
    assert why(cards(view)[2]) == ("queued", "approved")
    view.handle_message({"kind": "skip", "id": b, "reason": "keep b"})
    assert why(cards(view)[1]) == ("skipped", "skipped")
    view.handle_message({"kind": "approve", "id": a})
    answer = await run
    assert answer.response == "Done."
    assert RAN == ["a", "c"]
    assert [why(card) for card in cards(view)] == [
        ("done", "approved"),
        ("skipped", "skipped"),
        ("done", "approved"),
    ]
    assert results(view) == [
        "deleted a",
        "The user declined to run this tool: keep b",
        "deleted c",
    ]


@pytest.mark.parametrize("kind", ["approve_all", "skip_all"])
async def test_approve_all_and_skip_all_answer_every_waiting_call(kind: str) -> None:
    RAN.clear()
    view = AgentView(Agent(three_deletes(), tools=[delete_file]), approval="ask")
    view.rendered = True
    run = asyncio.create_task(view.run("tidy", max_turns=1))
    await until(view, lambda c: waiting(c, 3))
    view.handle_message({"kind": kind, "reason": "not now"})  # type: ignore[typeddict-item]
    await run
    if kind == "approve_all":
        assert RAN == ["a", "b", "c"]
        assert [why(c) for c in cards(view)] == [("done", "approved")] * 3
        assert cards(view)[0]["decision"]["reason"] == "approve all"
    else:
        assert RAN == []
        assert [why(c) for c in cards(view)] == [("skipped", "skipped")] * 3
        assert results(view) == ["The user declined to run this tool: not now"] * 3


async def test_terminate_on_a_later_card_ends_the_run_at_the_call_it_waits_on() -> None:
    RAN.clear()
    view = AgentView(Agent(three_deletes(), tools=[delete_file]), approval="ask")
    view.rendered = True
    run = asyncio.create_task(view.run("tidy", max_turns=1))
    await until(view, lambda c: waiting(c, 3))
    view.handle_message({"kind": "terminate", "id": cards(view)[1]["id"], "reason": "stop it"})
    with pytest.raises(PromptCancelled, match="stop it"):
        await run
    assert RAN == []
    assert [why(c) for c in cards(view)] == [
        ("skipped", "not_run"),
        ("skipped", "terminated"),
        ("skipped", "not_run"),
    ]
    assert view.state["status"] == "cancelled"


async def test_only_calls_that_need_a_person_wait_and_each_card_says_why() -> None:
    RAN.clear()
    calls = [
        tool_call("list_files", {}, id="l"),
        tool_call("delete_file", {"path": "a"}, id="d"),
        tool_call("ghost", {}, id="g"),
    ]
    model = ScriptedModel([[*calls, final()], ["ok", final()]])
    policy = ApprovalPolicy(default="ask", per_tool={"list_files": "auto"})
    view = AgentView(Agent(model, tools=[delete_file, list_files]), approval=policy)
    view.rendered = True
    run = asyncio.create_task(view.run("x", max_turns=1))
    await until(view, lambda c: waiting(c, 1))
    assert cards(view)[1]["status"] == "waiting"
    view.handle_message({"kind": "approve", "id": cards(view)[1]["id"]})
    await run
    assert RAN == ["ls", "a"]
    auto, approved, ghost = cards(view)
    assert why(auto) == ("done", "auto")
    assert why(approved) == ("done", "approved")
    assert (ghost["status"], ghost["decision"], ghost["error"]) == (
        "error",
        None,
        "ToolNotFoundError: ghost",
    )


async def test_every_kind_of_decision_a_card_can_show() -> None:
    async def run(policy: ApprovalPolicy | str, *, rendered: bool, hook: Any = None) -> Any:
        model = ScriptedModel([[tool_call("delete_file", {"path": "a"}), final()], ["k", final()]])
        view = AgentView(Agent(model, tools=[delete_file], hook=hook), approval=policy)
        view.rendered = rendered
        await view.run("x", max_turns=1)
        return cards(view)[0]["decision"]

    class Skipper(PromptHook):
        async def on_tool_call(self, tool_name, tool_call_id, internal_call_id, args):
            return ToolCallHookAction.skip("not on Fridays")

    assert await run("auto", rendered=False) == {"kind": "auto", "reason": ""}
    assert await run("deny", rendered=True) == {"kind": "denied", "reason": ""}
    assert await run(ApprovalPolicy(headless="deny", render_grace=0), rendered=False) == {
        "kind": "headless",
        "reason": "deny",
    }
    assert await run(ApprovalPolicy(headless="auto", render_grace=0), rendered=False) == {
        "kind": "headless",
        "reason": "auto",
    }
    assert await run(ApprovalPolicy(timeout=0.05), rendered=True) == {
        "kind": "timeout",
        "reason": "",
    }
    assert await run("auto", rendered=True, hook=Skipper()) == {
        "kind": "hook",
        "reason": "not on Fridays",
    }


async def test_an_edit_runs_with_the_edited_arguments_and_the_card_shows_both() -> None:
    RAN.clear()
    model = ScriptedModel(
        [[tool_call("delete_file", {"path": "a.txt"}, id="c1"), final()], ["ok", final()]]
    )
    view = AgentView(Agent(model, tools=[delete_file]), approval="ask")
    view.rendered = True
    run = asyncio.create_task(view.run("x", max_turns=1))
    await until(view, lambda c: waiting(c, 1))
    card = cards(view)[0]["id"]
    # Refused edits keep the card waiting and say why (the kernel checks the schema itself).
    for bad, problem in [
        ('{"path": 7}', "path: 7 is not of type 'string'"),
        ("{oops", "not JSON"),
        ("[]", "must be a JSON object"),
        ('{"force": true}', "'path' is a required property"),
    ]:
        view.handle_message({"kind": "approve", "id": card, "arguments": bad})
        assert cards(view)[0]["status"] == "waiting"
        assert problem in (cards(view)[0]["edit_error"] or ""), bad
    assert RAN == []
    view.handle_message(
        {"kind": "approve", "id": card, "arguments": '{"path": "b.txt", "force": true}'}
    )
    await run
    assert RAN == ["b.txt!"]
    done = cards(view)[0]
    assert done["args"] == '{\n  "path": "a.txt"\n}'  # what the model asked
    assert done["ran_args"] == '{\n  "path": "b.txt",\n  "force": true\n}'  # what ran
    assert done["edit_error"] is None
    assert done["decision"] == {"kind": "approved", "reason": "with edited arguments"}
    assert done["result"]["text"] == "deleted b.txt"  # the note to the model is not shown twice
    assert results(view) == [edited_note('{"path":"b.txt","force":true}') + " | deleted b.txt"]


async def test_an_edit_back_to_what_the_model_asked_is_no_edit() -> None:
    RAN.clear()
    model = ScriptedModel([[tool_call("delete_file", {"path": "a"}), final()], ["ok", final()]])
    view = AgentView(Agent(model, tools=[delete_file]), approval="ask")
    view.rendered = True
    run = asyncio.create_task(view.run("x", max_turns=1))
    await until(view, lambda c: waiting(c, 1))
    view.handle_message(
        {"kind": "approve", "id": cards(view)[0]["id"], "arguments": '{"path":"a"}'}
    )
    await run
    assert RAN == ["a"]
    assert cards(view)[0]["ran_args"] is None
    assert results(view) == ["deleted a"]


async def test_a_hooks_own_edit_is_shown_on_the_card() -> None:
    RAN.clear()

    class Redirect(PromptHook):
        async def on_tool_call(self, tool_name, tool_call_id, internal_call_id, args):
            return ToolCallHookAction.cont(arguments={"path": "safe.txt"})

    model = ScriptedModel([[tool_call("delete_file", {"path": "a"}), final()], ["ok", final()]])
    view = AgentView(Agent(model, tools=[delete_file], hook=Redirect()), approval="auto")
    await view.run("x", max_turns=1)
    assert RAN == ["safe.txt"]
    assert cards(view)[0]["ran_args"] == '{\n  "path": "safe.txt"\n}'


def test_the_schema_checker_is_imported_only_when_an_edit_comes() -> None:
    """`jsonschema` takes seconds to import (its format checkers build a grammar)."""
    import subprocess
    import sys

    code = "import sys, rig_nb.widgets; print('jsonschema' in sys.modules)"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "False"
