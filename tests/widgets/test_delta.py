"""Append-only updates (issue 10 point 12, issue 11 point 1): what crosses the comm grows with the
transcript, not with the transcript times the number of frames; the deltas add up to the exact
final state, in Python and in the front end's own reducer (js/src/state.js, run by node)."""

from __future__ import annotations

import asyncio
import base64
import json
import os
import subprocess
from pathlib import Path
from typing import Any

import pytest

from rig_nb import Agent, ProviderError, tool
from rig_nb.core import RawReasoningDelta
from rig_nb.testing import Delay, ScriptedModel, final, tool_call
from rig_nb.widgets import AgentView

from .comm_log import CommLog, fold, replay

pytestmark = pytest.mark.anyio

ROOT = Path(__file__).resolve().parents[2]
PNG = os.urandom(60_000)


@tool
def note(i: int) -> str:
    """Take a note."""
    return f"noted {i}: " + "x" * 40


@tool
def picture() -> dict[str, Any]:
    """A picture."""
    return {"type": "image", "data": base64.b64encode(PNG).decode(), "mimeType": "image/png"}


def long_run(paced: bool) -> ScriptedModel:
    """20 turns of 1,400 characters and 10 tool calls each, then an answer."""
    turns: list[list[Any]] = []
    for turn in range(20):
        text = [s for i in range(100) for s in (f"t{turn:02d}w{i:03d} ----- ", Delay(0.0005))]
        if not paced:
            text = [s for s in text if isinstance(s, str)]
        calls = [tool_call("note", {"i": i}, id=f"c{turn}_{i}") for i in range(10)]
        turns.append([*text, *calls, final(total_tokens=turn)])
    turns.append(["done", final()])
    return ScriptedModel(turns)


@pytest.mark.parametrize("paced", [False, True], ids=["burst", "paced"])
async def test_bytes_sent_stay_within_three_times_the_final_state(paced: bool) -> None:
    view = AgentView(Agent(long_run(paced), tools=[note]), approval="auto")
    log = CommLog(view)
    await view.run("go", max_turns=21)
    states = replay(log.messages)
    assert states[-1] == view.state
    blocks = view.state["blocks"]
    assert sum(b["kind"] == "tool" for b in blocks) == 200
    token = len("t00w000 ----- ")
    assert sum(len(b["text"]) for b in blocks if b["kind"] == "text") == 20 * 100 * token + 4
    final_size = log.sizes[-1]
    assert log.total <= 3 * final_size, (log.total, final_size, len(log.messages))
    if paced:
        assert log.kinds().count("delta") >= 10  # it did stream


async def test_each_delta_carries_only_what_changed_since_the_last() -> None:
    """No delta repeats text an earlier frame sent: the text in all frames but the final one is
    the text streamed so far, each character once (the rest comes with the final state)."""
    steps = [s for i in range(2000) for s in (f"{i:05d} ", Delay(0.002) if i % 20 == 0 else "")]
    view = AgentView(Agent(ScriptedModel([[*steps, final()]])), approval="auto")
    log = CommLog(view)
    await view.run("x")
    streamed = "".join(f"{i:05d} " for i in range(2000))
    sent = ""
    for message in log.messages[:-1]:
        if message["type"] == "state":
            sent += "".join(b["text"] for b in message["state"]["blocks"])
        else:
            for op in message["ops"]:
                sent += op.get("text", "") + op.get("block", {}).get("text", "")
    assert streamed.startswith(sent) and len(sent) > len(streamed) // 2
    assert log.kinds().count("delta") >= 5


async def test_an_image_crosses_the_comm_as_bytes_once_while_the_run_goes_on() -> None:
    text = [s for i in range(300) for s in (f"word{i} ", Delay(0.001))]
    model = ScriptedModel([[tool_call("picture", {}, id="p"), final()], [*text, final()]])
    view = AgentView(Agent(model, tools=[picture]), approval="auto")
    log = CommLog(view)
    await view.run("draw")
    with_image = [i for i, buffers in enumerate(log.buffers) if PNG in buffers]
    assert len(log.messages) >= 6
    # Once in the delta that added the result, once in the exact final state; never as base64.
    assert with_image == [with_image[0], len(log.messages) - 1]
    assert log.messages[with_image[0]]["type"] == "delta"
    assert sum(len(b) for buffers in log.buffers for b in buffers) == 2 * len(PNG)
    card = next(b for b in view.state["blocks"] if b["kind"] == "tool")
    assert card["result"]["images"] == [{"mime": "image/png", "data": PNG}]
    assert log.total < 2 * len(PNG) + 20_000


async def test_a_front_end_that_asks_mid_run_gets_the_whole_state_and_stays_in_step() -> None:
    steps = [s for i in range(200) for s in (f"w{i} ", Delay(0.002))]
    view = AgentView(Agent(ScriptedModel([[*steps, final()]])), approval="auto")
    log = CommLog(view)
    run = asyncio.create_task(view.run("x"))
    for _ in range(2000):
        if log.kinds().count("delta") >= 5:
            break
        await asyncio.sleep(0.005)
    # A new front end: it has the trait (the run's start) and asks for the rest.
    late = fold({"seq": 0}, log.messages[0])
    asked_at = len(log.messages)
    view.handle_message({"kind": "request_state"})
    await run
    answer = log.messages[asked_at:]
    assert answer[0]["type"] in ("delta", "state")
    whole = next(i for i, m in enumerate(answer) if m["type"] == "state")
    # Every front end, up to date or not, is in step after the answer: deltas then apply.
    up_to_date = replay(log.messages[:asked_at])[-1]
    for state in (late, up_to_date):
        for message in answer[whole:]:
            state = fold(state, message)
        assert state == view.state
    # An idle view answers with the last state it sent.
    before = len(log.messages)
    view.handle_message({"kind": "request_state"})
    assert log.messages[before:] == [{"type": "state", "state": view.state}]


async def test_a_second_run_numbers_its_frames_on_from_the_first() -> None:
    view = AgentView(Agent(ScriptedModel([["one", final()], ["two", final()]])), approval="auto")
    log = CommLog(view)
    await view.run("a")
    first = view.state["seq"]
    await view.run("b")
    assert log.messages[-1]["state"]["seq"] > first
    seqs = [m["seq"] if m["type"] == "delta" else m["state"]["seq"] for m in log.messages]
    assert seqs == sorted(seqs) and len(set(seqs)) == len(seqs)


def _rich_log() -> CommLog:
    steps: list[Any] = [
        RawReasoningDelta(None, "thinking "),
        Delay(0.04),
        RawReasoningDelta(None, "more"),
        "Hello **world** ",
        Delay(0.04),
        "and <b>more</b>",
        tool_call("picture", {}, id="p"),
        tool_call("missing_tool", {"x": 1}, id="m"),
        final(total_tokens=7),
    ]
    model = ScriptedModel([steps, ["after ", Delay(0.04), ProviderError("boom")]])

    async def go() -> CommLog:
        view = AgentView(Agent(model, tools=[picture]), approval="auto")
        log = CommLog(view)
        with pytest.raises(ProviderError):
            await view.run("x", max_turns=2)
        return log

    return asyncio.run(go())


def test_every_delta_folds_into_the_kernels_state_at_that_moment() -> None:
    log = _rich_log()
    assert log.kinds().count("delta") >= 3
    state: dict[str, Any] = {"seq": 0}
    for message, live in zip(log.messages, log.live, strict=True):
        state = fold(state, message)
        if live is not None:
            assert state == live


def _jsonable(value: Any) -> Any:
    if isinstance(value, bytes):
        return {"__bytes__": base64.b64encode(value).decode()}
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}  # pyright: ignore[reportUnknownVariableType]
    if isinstance(value, list):
        return [_jsonable(v) for v in value]  # pyright: ignore[reportUnknownVariableType]
    return value


FOLD_JS = """
import { apply, normalize, EMPTY } from "./js/src/state.js";
let input = "";
process.stdin.on("data", (d) => (input += d));
process.stdin.on("end", () => {
  const revive = (k, v) => (v && typeof v === "object" && "__bytes__" in v
    ? new DataView(Uint8Array.from(Buffer.from(v.__bytes__, "base64")).buffer) : v);
  const { messages, live } = JSON.parse(input, revive);
  let state = EMPTY;
  const steps = messages.map((m, i) => {
    state = apply(state, m);
    return { folded: state, expected: live[i] === null ? null : normalize(live[i]) };
  });
  process.stdout.write(JSON.stringify(steps));
});
"""


def test_the_front_ends_reducer_folds_each_delta_into_the_kernels_state() -> None:
    """The same run's messages, folded by js/src/state.js in node: after each delta, the kernel's
    state at that moment (normalised as the front end normalises any state)."""
    log = _rich_log()
    body = json.dumps(_jsonable({"messages": log.messages, "live": log.live}))
    done = subprocess.run(
        ["node", "--input-type=module", "-e", FOLD_JS],
        input=body,
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    steps = json.loads(done.stdout)
    checked = [step for step in steps if step["expected"] is not None]
    assert len(checked) >= 3
    for step in checked:
        assert step["folded"] == step["expected"]
    final = steps[-1]["folded"]
    assert final["status"] == "error" and "boom" in final["error"]
    assert any(
        b["kind"] == "tool" and b["result"] and b["result"]["images"] for b in final["blocks"]
    )
