"""`BatchView`: what a batch shows while it runs and after, its approvals, its Stop, its saved form."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest

from rig_nb import Agent, tool
from rig_nb.widgets._batch import SAMPLE, BatchView
from rig_nb.widgets._batch_text import batch_html, batch_text, format_duration
from rig_nb.widgets._policy import ApprovalPolicy
from rig_nb.widgets._saved import FRONT_END

from ..batch.helpers import EchoModel

pytestmark = pytest.mark.anyio

WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"
XSS = '<img src=x onerror="window.__pwned=1"><script>window.__pwned=1</script>'


@pytest.fixture(autouse=True)
def no_front_end() -> Any:
    before = dict(FRONT_END)
    FRONT_END.update(seen=None, saves_state=False)
    yield
    FRONT_END.clear()
    FRONT_END.update(before)


async def until(view: BatchView, predicate: Any) -> None:
    """Wait for a frame sent to the front end whose state satisfies `predicate`."""
    reached = asyncio.Event()
    view.observe(lambda change: predicate(change["new"]) and reached.set(), names="_state")
    await asyncio.wait_for(reached.wait(), 10)


def frames(view: BatchView) -> list[dict[str, Any]]:
    """Every `_state` the front end was sent."""
    seen: list[dict[str, Any]] = []
    view.observe(lambda change: seen.append(change["new"]), names="_state")
    return seen


async def test_counts_tokens_failures_and_the_ending_reach_the_view() -> None:
    def fail(prompt: str, _call: int) -> BaseException | None:
        return ValueError(f"bad row {prompt}") if prompt.startswith("x") else None

    agent = Agent(EchoModel(fail=fail, delay=0.02))
    view = BatchView(title="t", out="results")
    sent = frames(view)
    prompts = [f"x{i}" if i % 4 == 0 else f"p{i}" for i in range(40)]
    table = await view.run(agent.map(prompts, concurrency=4, retries=0, output="list"))
    assert len(table) == 40
    state = sent[-1]
    assert state == view.state
    assert (state["status"], state["total"], state["done"], state["failed"]) == ("done", 40, 30, 10)
    assert state["running"] == 0
    assert state["input_tokens"] == sum(len(p) for p in prompts if not p.startswith("x"))
    assert state["output_tokens"] == 60
    assert [f["row"] for f in state["failures"]] == [str(i) for i in range(0, 40, 4)]
    failure = state["failures"][0]
    assert failure["error"] == "ModelError" and "bad row x0" in failure["message"]
    assert failure["prompt"] == "x0" and failure["history"][0] == {"role": "user", "text": "x0"}
    assert state["banner"] == "Done: 40 rows, 10 failed, in results"
    # Progress showed on the way: frames with rows still to go, never more than the total.
    assert any(0 < f["done"] + f["failed"] < 40 for f in sent)
    assert all(f["done"] + f["failed"] <= 40 for f in sent)
    json.dumps(sent)  # every frame is plain JSON


async def test_the_failure_sample_is_capped_and_counts_the_rest() -> None:
    agent = Agent(EchoModel(fail=lambda p, c: RuntimeError("down")))
    view = BatchView()
    await view.run(agent.map([f"p{i}" for i in range(SAMPLE + 15)], retries=0, output="list"))
    assert len(view.state["failures"]) == SAMPLE
    assert view.state["failures_more"] == 15
    assert "and 15 more in results[results.status == 'failed']" in batch_text(view.state)


async def test_updates_are_coalesced_not_one_per_row() -> None:
    agent = Agent(EchoModel())
    view = BatchView(max_updates_per_second=5)
    sent = frames(view)
    await view.run(agent.map([f"p{i}" for i in range(2000)], concurrency=64, output="list"))
    assert sent[-1]["done"] == 2000
    assert len(sent) < 100, len(sent)  # 2,000 rows in well under a second or so: a few frames


async def test_stop_ends_the_batch_and_keeps_the_rows_that_finished() -> None:
    agent = Agent(EchoModel(delay=0.01))
    view = BatchView(out="labels")
    batch = agent.map([f"p{i}" for i in range(500)], concurrency=4, output="list")

    async def stop_soon() -> None:
        await until(view, lambda state: state["done"] >= 12)
        view.handle_message({"kind": "stop"})  # the Stop button

    stopper = asyncio.ensure_future(stop_soon())
    table = await view.run(batch)
    await stopper
    finished = [r for r in table if r.status == "ok"]
    assert 12 <= len(finished) < 500
    assert all(r.response == f"echo {r.prompt}" for r in finished)
    assert {r.status for r in table} == {"ok", "pending"}
    assert view.state["status"] == "stopped"
    assert (
        view.state["banner"]
        == f"Stopped by you: {len(finished)} of 500 rows finished, kept in labels"
    )
    assert view.table is table


async def test_a_cancel_from_outside_stops_the_batch_keeps_the_table_and_is_raised() -> None:
    """The kernel's interrupt cancels the cell: the batch ends cleanly, `view.table` keeps the
    finished rows, and the cancel goes on up (the magic turns it into one line)."""
    agent = Agent(EchoModel(delay=0.01))
    view = BatchView()
    task = asyncio.ensure_future(
        view.run(agent.map([f"p{i}" for i in range(500)], concurrency=4, output="list"))
    )
    await until(view, lambda state: state["done"] >= 8)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    kept = [r for r in view.table if r.status == "ok"]
    assert 8 <= len(kept) < 500
    assert view.state["status"] == "stopped"
    assert view.state["banner"].startswith("Interrupted by the kernel: ")


@tool
def delete_row(row: str) -> str:
    """Delete a row."""
    return f"deleted {row}"


def tool_model() -> Any:
    from rig_nb.core import CompletionRequest, RawText
    from rig_nb.testing import final, tool_call

    class CallsTool(EchoModel):
        def stream(self, request: CompletionRequest) -> Any:
            return self._answer(len(request.chat_history) > 1)  # after the tool's result

        async def _answer(self, answered: bool) -> Any:
            if answered:
                yield RawText("done")
            else:
                yield tool_call("delete_row", {"row": "r1"})
            yield final()

    return CallsTool()


async def test_ask_puts_each_tool_once_and_the_answer_holds_for_every_row() -> None:
    view = BatchView()
    view.rendered = True  # a browser rendered the view
    sent = frames(view)
    agent = Agent(tool_model(), tools=[delete_row])
    batch = agent.map(
        [f"p{i}" for i in range(30)], concurrency=8, approval="ask", on_approval=view.decide
    )

    async def approve_when_asked() -> None:
        await until(view, lambda state: state["approvals"])
        assert view.state["approvals"] == [{"tool": "delete_row", "args": '{\n  "row": "r1"\n}'}]
        assert sent[-1]["approvals"], "the question was sent at once, not at the next tick"
        assert view.state["eta"] is None  # no ETA while every row waits for a person
        view.handle_message({"kind": "approve", "tool": "delete_row"})

    clicker = asyncio.ensure_future(approve_when_asked())
    table = await view.run(batch)
    await clicker
    assert list(table.response) == ["done"] * 30
    assert view.state["approvals"] == []
    assert view.state["decisions"] == [{"tool": "delete_row", "decision": "approved", "by": "you"}]


async def test_deny_for_all_rows_skips_the_tool_in_every_row() -> None:
    view = BatchView()
    view.rendered = True
    agent = Agent(tool_model(), tools=[delete_row])
    batch = agent.map(["a", "b", "c"], approval="ask", on_approval=view.decide, output="list")

    async def deny() -> None:
        await until(view, lambda state: state["approvals"])
        view.handle_message({"kind": "deny", "tool": "delete_row"})
        view.handle_message({"kind": "deny", "tool": "delete_row"})  # a double click: no effect
        view.handle_message({"kind": "approve", "tool": "no_such_tool"})

    clicker = asyncio.ensure_future(deny())
    table = await view.run(batch)
    await clicker
    for row in table:
        results = [c for m in row.history for c in m.content if type(c).__name__ == "ToolResult"]
        assert "denied for every row" in results[0].content[0].text
    assert view.state["decisions"] == [{"tool": "delete_row", "decision": "denied", "by": "you"}]


@pytest.mark.parametrize("headless", ["deny", "auto"])
async def test_with_nobody_to_ask_the_headless_choice_decides_at_once(
    headless: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("RIG_NB_HEADLESS_APPROVAL", headless)
    view = BatchView()  # never rendered, never displayed: a script, nbval, nbconvert
    agent = Agent(tool_model(), tools=[delete_row])
    batch = agent.map(["a", "b"], approval="ask", on_approval=view.decide, output="list")
    table = await asyncio.wait_for(view.run(batch), 10)
    decision = "approved" if headless == "auto" else "denied"
    assert view.state["decisions"] == [
        {"tool": "delete_row", "decision": decision, "by": "headless"}
    ]
    assert "RIG_NB_HEADLESS_APPROVAL" in view.state["notices"][0]
    text = table[0].history[2].content[0].content[0].text
    assert ("deleted r1" in text) == (headless == "auto")


async def test_an_unanswered_question_is_denied_after_the_timeout() -> None:
    view = BatchView(approval=ApprovalPolicy(default="ask", timeout=0.3))
    view.rendered = True
    agent = Agent(tool_model(), tools=[delete_row])
    batch = agent.map(["a"], approval="ask", on_approval=view.decide, output="list")
    await asyncio.wait_for(view.run(batch), 10)
    assert view.state["decisions"] == [
        {"tool": "delete_row", "decision": "denied", "by": "timeout"}
    ]
    assert view.state["approvals"] == []


async def test_stop_while_a_question_waits_ends_the_batch() -> None:
    view = BatchView()
    view.rendered = True
    agent = Agent(tool_model(), tools=[delete_row])
    batch = agent.map(["a", "b"], approval="ask", on_approval=view.decide, output="list")

    async def stop() -> None:
        await until(view, lambda state: state["approvals"])
        view.stop()

    stopper = asyncio.ensure_future(stop())
    table = await asyncio.wait_for(view.run(batch), 10)
    await stopper
    assert view.state["status"] == "stopped" and view.state["approvals"] == []
    assert {r.status for r in table} <= {"pending", "ok"}


async def test_an_error_of_the_batch_itself_shows_and_is_raised() -> None:
    view = BatchView()
    batch = Agent(EchoModel()).map(["a"], output="list")
    await view.run(batch)
    with pytest.raises(Exception, match="a batch runs once"):
        await view.run(batch)
    assert view.state["status"] == "failed"
    assert view.state["banner"].startswith("The batch failed: ")


async def test_untrusted_text_is_escaped_in_the_saved_html_and_kept_literal_in_the_state() -> None:
    agent = Agent(EchoModel(fail=lambda p, c: ValueError(XSS)))
    view = BatchView(title=XSS, out="results")
    view.note_policy(XSS, False)
    await view.run(agent.map({XSS: XSS}.keys(), retries=0, output="list"))
    html = batch_html(view.state)
    assert html.startswith('<div class="rig-batch-saved mathjax_ignore')  # no typesetting either
    assert "<img" not in html and "<script" not in html and 'onerror="' not in html
    assert "&lt;img src=x onerror=&quot;window.__pwned=1&quot;&gt;" in html
    assert view.state["failures"][0]["prompt"] == XSS  # the state keeps the text as it is
    assert XSS in batch_text(view.state)


async def test_a_finished_batch_leaves_its_summary_where_no_widget_state_is_saved() -> None:
    view = BatchView()
    bundle = view._repr_mimebundle_()
    assert WIDGET_VIEW in bundle  # before the run: the live view
    await view.run(Agent(EchoModel()).map(["a", "b"], output="list"))
    bundle = view._repr_mimebundle_()
    assert WIDGET_VIEW not in bundle  # JupyterLab's default saves no widget state
    assert "Done: 2 rows, in results" in bundle["text/html"]
    assert bundle["text/plain"].startswith("rig_nb batch · batch · done")
    kept = BatchView(saved_view="widget")
    await kept.run(Agent(EchoModel()).map(["a"], output="list"))
    assert WIDGET_VIEW in kept._repr_mimebundle_()


async def test_a_view_run_again_shows_the_new_batch_only() -> None:
    view = BatchView()
    await view.run(Agent(EchoModel(fail=lambda p, c: ValueError("x"))).map(["a"], retries=0))
    assert view.state["failed"] == 1 and view.state["failures"]
    await view.run(Agent(EchoModel()).map(["b", "c"]))
    assert (view.state["done"], view.state["failed"], view.state["failures"]) == (2, 0, [])
    assert view.state["banner"] == "Done: 2 rows, in results"


def test_durations_read_as_people_write_them() -> None:
    assert [format_duration(s) for s in (0, 45.4, 60, 140, 3599, 3720, 90000)] == [
        "0s",
        "45s",
        "1m 00s",
        "2m 20s",
        "59m 59s",
        "1h 02m",
        "25h 00m",
    ]
