"""The view's features together (issue 10 with issue 12.2 and 12.5): rich results and code cards
carried by the append-only deltas (a rich image as a binary buffer), an edited run_python-like call
under a tool's own `ask` and `max_tool_calls`, costs in the footer after deltas, and the XSS corpus
through the rich view of the saved HTML transcript."""

from __future__ import annotations

import asyncio
import base64
import json
import os
import subprocess
from typing import Any

import pandas as pd
import pytest

from rig_nb import Agent, PriceTable, ToolCall, ToolResult, UsageLimitExceeded, UsageLimits, tool
from rig_nb.core import FunctionTool, Text, ToolDisplay, ToolOutput, Usage
from rig_nb.testing import Delay, ScriptedModel, final, tool_call
from rig_nb.widgets import AgentView
from rig_nb.widgets._reducer import ViewState
from rig_nb.widgets._transcript import transcript_html, transcript_text

from ..browser.xss_payloads import BLOCK_PAYLOADS, PAYLOADS
from .comm_log import CommLog, fold, replay
from .test_delta import ROOT, _jsonable
from .test_saved import Tags, unsafe

pytestmark = pytest.mark.anyio

PNG = os.urandom(30_000)
CODE = "total = sum(prices)\nprint(total)"
TABLE = PriceTable.from_prices({"scripted:scripted": {"input_mtok": 0.15, "output_mtok": 0.6}})

JS = """
import { apply, normalize, usageLine, EMPTY } from "./js/src/state.js";
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
  process.stdout.write(JSON.stringify({ steps, footer: usageLine(state) }));
});
"""


def js_fold(messages: list[dict[str, Any]], live: list[Any]) -> dict[str, Any]:
    """The messages folded by the front end's reducer (js/src/state.js, in node)."""
    body = json.dumps(_jsonable({"messages": messages, "live": live}))
    done = subprocess.run(
        ["node", "--input-type=module", "-e", JS],
        input=body,
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def assert_folds_alike(log: CommLog, kernel_state: dict[str, Any]) -> dict[str, Any]:
    """Python's fold and the front end's equal the kernel's state after every delta and at the end."""
    assert replay(log.messages)[-1] == kernel_state
    state: dict[str, Any] = {"seq": 0}
    for message, live in zip(log.messages, log.live, strict=True):
        state = fold(state, message)
        if live is not None:
            assert state == live
    folded = js_fold(log.messages, log.live)
    checked = [s for s in folded["steps"] if s["expected"] is not None]
    assert checked, "no delta was sent"
    for step in checked:
        assert step["folded"] == step["expected"]
    return folded


def code_runner(namespace: dict[str, Any], ran: list[str]) -> FunctionTool:
    """A run_python-like tool: it asks to be asked, shows `code` as code, returns a rich result."""

    async def run_code(code: str) -> ToolOutput:
        """Run Python code.

        Args:
            code: Python source.
        """
        ran.append(code)
        exec(code, namespace)
        cells = "".join(f"<tr><td>{k}</td><td>{v}</td></tr>" for k, v in sorted(namespace.items()))
        table = f"<table><tr><th>name</th><th>value</th></tr>{cells}</table>"
        return ToolOutput(
            f"ran {len(code)} characters", display=ToolDisplay(mime="text/html", data=table)
        )

    runner = FunctionTool(run_code, name="run_code")
    runner.approval = "ask"
    runner.code_argument = "code"
    return runner


# -- rich results and code cards through the deltas -------------------------------------------------


@tool
def cities() -> Any:
    """The cities."""
    return pd.DataFrame({"city": ["Paris", "<b>Rome</b>"], "temp": [21, 25]})


@tool
def chart() -> ToolOutput:
    """A chart."""
    data = base64.b64encode(PNG).decode()
    return ToolOutput("a chart of 2 cities", display=ToolDisplay(mime="image/png", data=data))


def test_rich_results_and_a_code_card_travel_in_deltas_and_fold_alike_in_python_and_js() -> None:
    namespace: dict[str, Any] = {"prices": [3, 4, 5]}
    paced = [s for i in range(6) for s in (f"word{i} ", Delay(0.04))]
    model = ScriptedModel(
        [
            [
                *paced,
                tool_call("cities", id="c1"),
                tool_call("chart", id="c2"),
                tool_call("run_code", {"code": CODE}, id="c3"),
                final(total_tokens=5),
            ],
            [*paced, "Rome is warmer.", final(total_tokens=7)],
        ]
    )
    runner = code_runner(namespace, [])
    runner.approval = None  # here, no one is asked: the run's `auto` decides

    async def go() -> tuple[AgentView, CommLog]:
        view = AgentView(Agent(model, tools=[cities, chart, runner]), approval="auto")
        log = CommLog(view)
        await view.run("Warmest?", max_turns=2)
        return view, log

    view, log = asyncio.run(go())
    state = view.state
    table, picture, code = (b for b in state["blocks"] if b["kind"] == "tool")
    assert table["result"]["rich"]["mime"] == "text/html"
    assert "<table" in table["result"]["rich"]["data"]
    assert picture["result"]["rich"] == {"mime": "image/png", "data": PNG}
    assert code["code"] == {"language": "python", "text": CODE}
    assert namespace["total"] == 12

    folded = assert_folds_alike(log, state)
    final_js = folded["steps"][-1]["folded"]
    rich_js = [b["result"]["rich"] for b in final_js["blocks"] if b["kind"] == "tool"]
    assert rich_js[1] == {"mime": "image/png", "data": base64.b64encode(PNG).decode()}
    assert final_js["blocks"][-2]["code"] == {"language": "python", "text": CODE}

    # The rich views came in the deltas that changed their cards, not only in the final state...
    patched = [
        op["fields"] if op["op"] == "patch" else op["block"]
        for m in log.messages
        if m["type"] == "delta"
        for op in m["ops"]
        if op["op"] in ("patch", "add")
    ]
    results = [f["result"] for f in patched if f.get("result")]
    assert any(r["rich"] and r["rich"]["mime"] == "text/html" for r in results)
    assert any(r["rich"] and r["rich"]["data"] == PNG for r in results)
    codes = [f["code"] for f in patched if f.get("code")]
    assert codes and all(c == {"language": "python", "text": CODE} for c in codes)
    # ...and the image crossed as a binary buffer, once in its delta and once in the final
    # state, never as base64 in the JSON.
    with_image = [i for i, buffers in enumerate(log.buffers) if PNG in buffers]
    assert len(with_image) == 2 and with_image[-1] == len(log.messages) - 1
    assert log.messages[with_image[0]]["type"] == "delta"
    encoded = base64.b64encode(PNG).decode()
    as_json = [json.dumps(m, default=lambda b: f"<{len(b)} bytes>") for m in log.messages]
    assert not any(encoded[:200] in text for text in as_json)
    assert log.total < 2 * len(PNG) + 40_000


# -- an edited run_python-like call: its own `ask`, max_tool_calls, the rich display ---------------


async def waiting_cards(view: AgentView) -> list[dict[str, Any]]:
    for _ in range(600):
        waiting = [b for b in view.state.get("blocks", []) if b.get("status") == "waiting"]
        if waiting:
            await asyncio.sleep(0.05)  # anything else that would wait waits by now
            return [b for b in view.state["blocks"] if b.get("status") == "waiting"]
        await asyncio.sleep(0.005)
    raise AssertionError(f"no tool is waiting: {view.state}")


async def test_an_edited_call_of_a_tool_that_asks_runs_edited_within_the_limit_and_shows_rich() -> (
    None
):
    namespace: dict[str, Any] = {"prices": [3, 4, 5]}
    ran: list[str] = []
    model = ScriptedModel(
        [
            [
                tool_call("run_code", {"code": CODE}, id="c1"),
                tool_call("run_code", {"code": "import os"}, id="c2"),
                final(total_tokens=4),
            ],
            ["never asked for", final()],
        ]
    )
    agent = Agent(model, tools=[code_runner(namespace, ran)])
    agent.usage_limits = UsageLimits(max_tool_calls=1)
    view = AgentView(agent, approval="auto")  # the tool's own `ask` is stricter: it asks
    view.rendered = True
    log = CommLog(view)
    run = asyncio.create_task(view.run("Total?", max_turns=2))
    waiting = await waiting_cards(view)
    # Only the call the limit could let run is put to the user; the second never waits.
    assert len(waiting) == 1
    first = waiting[0]
    assert first["code"] == {"language": "python", "text": CODE}
    assert ran == [] and "total" not in namespace
    edited = "total = 2 * sum(prices)"
    view.handle_message(
        {"kind": "approve", "id": first["id"], "arguments": json.dumps({"code": edited})}
    )
    with pytest.raises(UsageLimitExceeded) as caught:
        await run
    error = caught.value
    assert error.limit == "max_tool_calls" and error.tool_calls == 1
    assert ran == [edited] and namespace["total"] == 24  # the edited code ran, once

    one, two = (b for b in view.state["blocks"] if b["kind"] == "tool")
    assert json.loads(one["args"]) == {"code": CODE}  # what the model asked for
    assert json.loads(one["ran_args"]) == {"code": edited}
    assert one["ran_code"] == {"language": "python", "text": edited}
    assert one["decision"] == {"kind": "approved", "reason": "with edited arguments"}
    assert one["status"] == "done" and one["result"]["text"] == f"ran {len(edited)} characters"
    assert one["result"]["rich"]["mime"] == "text/html"
    assert "<td>total</td><td>24</td>" in one["result"]["rich"]["data"]
    assert two["status"] == "skipped" and two["decision"]["kind"] == "not_run"
    for state in replay(log.messages):  # never put to the user, in any frame
        cards = [b for b in state["blocks"] if b["kind"] == "tool"]
        assert len(cards) < 2 or cards[1]["status"] != "waiting"

    # The history keeps the model's call, and tells the model what ran.
    history = error.chat_history or []
    calls = [c for m in history for c in m.content if isinstance(c, ToolCall)]
    assert calls[0].function.arguments == {"code": CODE}
    results = [c for m in history for c in m.content if isinstance(c, ToolResult)]
    texts = [p.text for p in results[0].content if isinstance(p, Text)]
    assert "It ran with" in texts[0] and "2 * sum(prices)" in texts[0]
    assert texts[1] == f"ran {len(edited)} characters"

    folded = assert_folds_alike(log, view.state)
    card = folded["steps"][-1]["folded"]["blocks"][0]
    assert card["ran_code"] == {"language": "python", "text": edited}
    # The saved transcript shows both, the edited code as code, and the rich table.
    html = transcript_html(view.state)
    assert "the model asked for" in html and "ran with" in html
    assert "total = 2 * sum(prices)" in html and "<td" in html and unsafe(html) == []
    assert "(shown to people as an HTML table)" in transcript_text(view.state)


# -- costs in the footer, after deltas --------------------------------------------------------------


def priced_model() -> ScriptedModel:
    paced = [s for i in range(5) for s in (f"part{i} ", Delay(0.04))]
    return ScriptedModel(
        [
            [
                *paced,
                tool_call("cities", id="c1"),
                final(Usage(input_tokens=1000, output_tokens=100)),
            ],
            [*paced, "done", final(Usage(input_tokens=1200, output_tokens=20))],
        ]
    )


def test_the_cost_is_in_the_final_footer_after_deltas_in_python_and_js() -> None:
    async def go() -> tuple[AgentView, CommLog, Any]:
        view = AgentView(Agent(priced_model(), tools=[cities], prices=TABLE), approval="auto")
        log = CommLog(view)
        answer = await view.run("Warmest?", max_turns=2)
        return view, log, answer

    view, log, answer = asyncio.run(go())
    assert log.kinds().count("delta") >= 3
    usage = view.state["usage"]
    cost = (1000 * 0.15 + 100 * 0.6 + 1200 * 0.15 + 20 * 0.6) / 1e6
    assert answer.cost == pytest.approx(cost) and usage["cost"] == pytest.approx(cost)
    assert usage["cost_note"] is None
    assert [t["cost"] for t in usage["turns"]] == [c.cost for c in answer.calls]
    folded = assert_folds_alike(log, view.state)
    final_js = folded["steps"][-1]["folded"]
    assert final_js["usage"]["cost"] == pytest.approx(cost)
    shown = "$0.000402"
    assert folded["footer"] == (
        "turn 1: 1000 in · 100 out · $0.000210  |  turn 2: 1200 in · 20 out · $0.000192  |  "
        f"total: 2200 in · 120 out · {shown}"
    )
    assert f", {shown}]" in transcript_text(view.state)
    assert shown in transcript_html(view.state)


async def test_a_delta_that_changes_the_total_carries_the_costs() -> None:
    agent = Agent(priced_model(), tools=[cities], prices=TABLE)
    state = ViewState()
    messages: list[dict[str, Any]] = [{"type": "state", "state": state.snapshot()}]
    live: list[Any] = [None]
    async with agent.stream_prompt("Warmest?").multi_turn(2).stream() as run:
        async for item in run:
            state.apply(item)
            delta = state.delta()
            if delta is not None:
                messages.append(json.loads(json.dumps(_jsonable(delta))))
                live.append(json.loads(json.dumps(_jsonable(state.current()))))
    with_total = [m for m in messages[1:] if "total" in m]
    assert len(with_total) == 1  # the answer's: the total and its costs, at once
    last = with_total[0]
    assert last["cost"] == pytest.approx(run.final_response.cost)  # type: ignore[union-attr]
    assert last["cost_note"] is None and len(last["turn_costs"]) == 2
    assert last["turn_costs"][0] == pytest.approx(0.00021)
    # The same total again (the view's own at the end of the run) is no change: no delta.
    state.total(run.usage, run.calls)
    assert state.delta() is None
    # Folded, by Python and by the front end, the deltas give the costs of the kernel's state.
    folded_py: dict[str, Any] = {"seq": 0}
    for message in messages:
        folded_py = fold(folded_py, _revive(message))
    assert folded_py["usage"] == state.current()["usage"]
    steps = js_fold(messages, live)["steps"]
    assert steps[-1]["folded"]["usage"]["cost"] == pytest.approx(last["cost"])
    assert [t["cost"] for t in steps[-1]["folded"]["usage"]["turns"]] == last["turn_costs"]


def _revive(value: Any) -> Any:
    if isinstance(value, dict):
        if "__bytes__" in value:
            return base64.b64decode(value["__bytes__"])
        return {k: _revive(v) for k, v in value.items()}  # pyright: ignore[reportUnknownVariableType]
    if isinstance(value, list):
        return [_revive(v) for v in value]  # pyright: ignore[reportUnknownVariableType]
    return value


# -- the XSS corpus through the rich view of the saved HTML transcript ------------------------------


def _card(rich: dict[str, Any], code: str) -> dict[str, Any]:
    return {
        "kind": "tool",
        "turn": 0,
        "id": "i",
        "call_id": "c",
        "name": "run_code",
        "args": json.dumps({"code": code}),
        "status": "done",
        "failed": False,
        "error": None,
        "decision": {"kind": "approved", "reason": "with edited arguments"},
        "ran_args": json.dumps({"code": code}),
        "ran_code": {"language": code, "text": code},
        "edit_error": None,
        "code": {"language": "python", "text": code},
        "result": {"text": code, "json": False, "images": [], "rich": rich},
    }


def test_no_payload_survives_the_rich_view_of_the_saved_html_transcript() -> None:
    corpus = [*PAYLOADS, *BLOCK_PAYLOADS]
    cells = [f"<table><tr><th>{p}</th><td>{p}</td></tr></table>" for p in corpus]
    for html_in in [*corpus, *cells, "".join(corpus), f"<div>{''.join(cells)}</div>"]:
        state = {
            "status": "done",
            "blocks": [
                _card({"mime": "text/html", "data": html_in}, html_in),
                _card({"mime": "image/svg+xml", "data": html_in.encode()}, html_in),
                _card({"mime": "image/png", "data": html_in}, html_in),  # not bytes: not shown
            ],
            "usage": {"turns": [], "total": None, "cost": None, "cost_note": None},
        }
        html = transcript_html(state)
        assert unsafe(html) == [], (html_in, unsafe(html))


def test_a_dataframe_s_table_is_kept_in_the_saved_transcript_its_script_shown_as_text() -> None:
    @tool
    def frame() -> Any:
        """A frame."""
        return pd.DataFrame({"city": ["<script>window.__pwned=1</script>", "Rome"], "t": [1, 2]})

    model = ScriptedModel([[tool_call("frame"), final()], ["ok", final()]])

    async def go() -> AgentView:
        view = AgentView(Agent(model, tools=[frame]), approval="auto", saved_view="transcript")
        await view.run("x", max_turns=1)
        return view

    view = asyncio.run(go())
    bundle = view._repr_mimebundle_()
    html = bundle["text/html"]
    tags = [tag for tag, _ in Tags(html).tags]
    assert {"table", "th", "td"} <= set(tags) and "script" not in tags
    assert "&lt;script&gt;window.__pwned=1&lt;/script&gt;" in html
    assert unsafe(html) == []
    assert "what the model got" in html  # the model's text one click away, as in the view
    assert "(shown to people as an HTML table)" in bundle["text/plain"]
