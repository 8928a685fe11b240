"""`agent.map`: inputs, the table, typed failures, retries, events, Stop, approvals."""

from __future__ import annotations

import asyncio
import json
import threading
from typing import Any

import pandas as pd
import polars as pl
import pytest
from pydantic import BaseModel

from rig_nb import Agent, Message, ModelError, OutputValidationError, UserError, tool
from rig_nb.batch import BatchEvent, RowResult
from rig_nb.errors import (
    ProviderConnectionError,
    ProviderError,
    ProviderHTTPError,
    ProviderTimeoutError,
)
from rig_nb.testing import ScriptedModel, final, tool_call

from .helpers import EchoModel, FakeClock

pytestmark = pytest.mark.anyio


def http(status: int, retry_after: float | None = None) -> ProviderHTTPError:
    return ProviderHTTPError(
        provider="p", status_code=status, provider_message="busy", retry_after=retry_after
    )


async def test_a_list_of_prompts_gives_a_pandas_table_in_input_order() -> None:
    agent = Agent(EchoModel(delay=0.001))
    table = await agent.map([f"p{i}" for i in range(20)], concurrency=7)
    assert isinstance(table, pd.DataFrame)
    assert list(table.index) == list(range(20))
    assert list(table.response) == [f"echo p{i}" for i in range(20)]
    assert set(table.status) == {"ok"}
    assert list(table.prompt[:2]) == ["p0", "p1"]
    assert table.total_tokens.iloc[0] == 4 and table.input_tokens.iloc[0] == 2
    assert table.error.isna().all() and table.cost.isna().all()
    history = table.history.iloc[3]
    assert [m.role for m in history] == ["user", "assistant"]


async def test_inputs_series_template_over_frames_dicts_and_a_function() -> None:
    agent = Agent(EchoModel())
    series = pd.Series(["a", "b"], index=["x", "y"])
    table = await agent.map(series)
    assert list(table.index) == ["x", "y"] and list(table.response) == ["echo a", "echo b"]

    frame = pd.DataFrame({"title": ["T1", "T2"], "body": ["B1", "B2"]}, index=[10, 20])
    table = await agent.map("Classify: {title}\n{body}", rows=frame)
    assert list(table.index) == [10, 20]
    assert table.prompt[10] == "Classify: T1\nB1"

    polars_rows = pl.DataFrame({"title": ["P1", "P2"]})
    table = await agent.map("T {title}", rows=polars_rows, output="polars")
    assert isinstance(table, pl.DataFrame)
    assert table["response"].to_list() == ["echo T P1", "echo T P2"]
    assert table["row"].to_list() == [0, 1]

    results = await agent.map(pl.Series(["q"]), output="list")
    assert isinstance(results[0], RowResult) and results[0].response == "echo q"

    records = [{"n": 1}, {"n": 2}]
    results = await agent.map(lambda row: f"n={row['n'] * 10}", rows=records, output="list")
    assert [r.prompt for r in results] == ["n=10", "n=20"]
    results = await agent.map([Message.user("as a message")], output="list")
    assert results[0].response == "echo as a message"


async def test_bad_inputs_are_user_errors_before_anything_runs() -> None:
    model = EchoModel()
    agent = Agent(model)
    frame = pd.DataFrame({"title": ["a"]})
    with pytest.raises(UserError, match=r"reads titel, which the DataFrame does not have"):
        agent.map("{titel}", rows=frame)
    with pytest.raises(UserError, match="positional field"):
        agent.map("{0}", rows=frame)
    with pytest.raises(UserError, match=r"for one prompt use agent\.stream_prompt"):
        agent.map("just one prompt")
    with pytest.raises(UserError, match="pass a template and the DataFrame as rows="):
        agent.map(frame)
    with pytest.raises(UserError, match="concurrency must be 1 or more"):
        agent.map(["a"], concurrency=0)
    with pytest.raises(UserError, match="backend= is 'local'"):
        agent.map(["a"], backend="spark")
    with pytest.raises(UserError, match="output= is"):
        agent.map(["a"], output="excel")
    assert model.calls == {}


async def test_a_template_over_a_column_or_a_list_of_values_fills_value() -> None:
    import pandas as pd
    import polars as pl

    agent = Agent(EchoModel())
    words = pd.Series(["hi", "bye"], index=["a", "b"], name="word")
    table = await agent.map("Say {word} ({value})", rows=words)
    assert list(table.response) == ["echo Say hi (hi)", "echo Say bye (bye)"]
    assert list(table.index) == ["a", "b"]  # the Series' labels, so a join lines up
    polars = await agent.map("Say {value}", rows=pl.Series(["x", "y"]), output="list")
    assert [r.response for r in polars] == ["echo Say x", "echo Say y"]
    values = await agent.map("Double {value}", rows=[1, {"value": 2}], output="list")
    assert [r.response for r in values] == ["echo Double 1", "echo Double 2"]
    with pytest.raises(UserError, match="reads word, which the Series does not have"):
        agent.map("Say {word}", rows=pd.Series(["hi"]))


async def test_a_row_whose_prompt_cannot_be_made_fails_alone() -> None:
    agent = Agent(EchoModel())
    table = await agent.map("{a} {b}", rows=[{"a": 1, "b": 2}, {"a": 3}, "not a dict"][:2])
    assert list(table.status) == ["ok", "failed"]
    error = table.error.iloc[1]
    assert isinstance(error, UserError) and "has no field 'b'" in str(error)
    results = await agent.map([123, "fine"], output="list")  # type: ignore[list-item]
    assert [r.status for r in results] == ["failed", "ok"]
    assert "a prompt is a str or a Message" in str(results[0].error)


async def test_one_failed_row_never_sinks_the_batch_and_keeps_a_typed_error() -> None:
    def fail(prompt: str, call: int) -> BaseException | None:
        if prompt == "p2":
            return ProviderError("the stream was cut off")
        if prompt == "p4":
            return ValueError("a bug in a custom model")
        return None

    agent = Agent(EchoModel(fail=fail), preamble="be brief")
    table = await agent.map([f"p{i}" for i in range(6)])
    assert list(table.status) == ["ok", "ok", "failed", "ok", "failed", "ok"]
    cut, bug = table.error[2], table.error[4]
    assert isinstance(cut, ProviderError) and "cut off" in str(cut)
    assert isinstance(bug, ModelError) and "ValueError: a bug in a custom model" in str(bug)
    assert list(table.error_type[[2, 4]]) == ["ProviderError", "ModelError"]
    assert [m.role for m in cut.chat_history] == ["user"]
    assert table.history[2] == cut.chat_history
    assert table.attempts[2] == 1  # a ProviderError is not retried by default
    assert table.response[3] == "echo p3"


async def test_retryable_errors_are_retried_with_backoff_the_others_are_not() -> None:
    failures = {
        "429": [http(429)],
        "503": [http(503), http(502)],
        "conn": [ProviderConnectionError("refused")],
        "timeout": [ProviderTimeoutError("read timeout")],
        "400": [http(400)],
        "user": [UserError("bad")],
        "always": [http(500)] * 10,
    }

    def fail(prompt: str, call: int) -> BaseException | None:
        errors = failures[prompt]
        return errors[call - 1] if call <= len(errors) else None

    clock = FakeClock()
    agent = Agent(EchoModel(fail=fail))
    table = await agent.map(list(failures), retries=2, backoff=1.0, clock=clock)
    table = table.set_index(table.prompt)
    assert dict(table.status) == {
        "429": "ok", "503": "ok", "conn": "ok", "timeout": "ok",
        "400": "failed", "user": "failed", "always": "failed",
    }  # fmt: skip
    assert dict(table.attempts) == {
        "429": 2, "503": 3, "conn": 2, "timeout": 2, "400": 1, "user": 1, "always": 3,
    }  # fmt: skip
    assert table.retried["503"] == [
        "ProviderHTTPError: HttpError: p returned HTTP 503: busy",
        "ProviderHTTPError: HttpError: p returned HTTP 502: busy",
    ]
    assert table.error["always"].status_code == 500
    waits = [s for s in clock.slept if s > 0]
    assert waits and all(0.5 <= w <= 2.0 for w in waits)  # 1 s, then 2 s, halved by jitter


async def test_a_429_with_retry_after_waits_what_the_server_asked_and_pauses_every_row() -> None:
    clock = FakeClock()
    started: dict[str, float] = {}

    def fail(prompt: str, call: int) -> BaseException | None:
        started.setdefault(f"{prompt}#{call}", clock.now())
        return http(429, retry_after=7.5) if prompt == "first" and call == 1 else None

    model = EchoModel(fail=fail)
    agent = Agent(model)
    table = await agent.map(["first", "second", "third"], concurrency=1, clock=clock)
    assert list(table.status) == ["ok"] * 3
    assert table.attempts[0] == 2
    assert 7.5 in clock.slept
    assert started["first#2"] - started["first#1"] == pytest.approx(7.5)
    assert started["second#1"] >= started["first#1"] + 7.5  # the pause held the next rows too


async def test_output_validation_is_not_retried_unless_asked() -> None:
    class Label(BaseModel):
        label: str

    answers = iter(['{"wrong": 1}', '{"label": "spam"}'])
    agent = Agent(EchoModel(answer=lambda p: next(answers)))
    table = await agent.map(["x"], output_type=Label)
    assert table.status[0] == "failed"
    error = table.error[0]
    assert isinstance(error, OutputValidationError) and error.raw_text == '{"wrong": 1}'
    assert table.total_tokens[0] == 3  # the answer came: its tokens were spent and are counted
    table = await agent.map(["x"], output_type=Label, retry_on=(OutputValidationError,))
    assert table.status[0] == "ok" and table.output[0] == Label(label="spam")


async def test_structured_output_and_price_fill_their_columns() -> None:
    class Sentiment(BaseModel):
        positive: bool

    agent = Agent(EchoModel(answer=lambda p: json.dumps({"positive": "true" in p})))
    table = await agent.map(
        ["true story", "false alarm"],
        output_type=Sentiment,
        price=lambda usage: usage.total_tokens * 0.5,
    )
    assert list(table.output) == [Sentiment(positive=True), Sentiment(positive=False)]
    assert list(table.cost) == [(10 + 2) * 0.5, (11 + 2) * 0.5]

    class PricedModel(EchoModel):
        def price(self, usage: Any) -> float:
            return 1.25

    run = Agent(PricedModel()).map(["a", "b"])
    await run
    assert run.progress.cost == 2.5


async def test_events_and_progress_for_a_live_view() -> None:
    events: list[BatchEvent] = []
    agent = Agent(EchoModel(fail=lambda p, c: http(400) if p == "bad" else None))
    run = agent.map(["a", "bad", "c"], concurrency=2, on_event=events.append)
    assert run.progress.total == 3 and run.progress.done == 0
    await run
    kinds = [e.kind for e in events]
    assert kinds[0] == "started" and kinds[-1] == "finished"
    assert kinds.count("row_started") == 3 and kinds.count("row_done") == 2
    failed = next(e for e in events if e.kind == "row_failed")
    assert failed.row is not None and failed.row.prompt == "bad" and failed.row.error is not None
    last = events[-1].progress
    assert (last.done, last.failed, last.running, last.finished) == (2, 1, 0, True)
    assert last.input_tokens == 2 and last.output_tokens == 4
    assert last.eta == 0 and last.rows_per_second > 0


async def test_a_listener_that_raises_is_dropped_not_the_batch(caplog: Any) -> None:
    def broken(event: BatchEvent) -> None:
        raise RuntimeError("progress bar bug")

    table = await Agent(EchoModel()).map(["a", "b"], on_event=broken)
    assert list(table.status) == ["ok", "ok"]
    assert "a batch listener raised" in caplog.text


async def test_stop_ends_cleanly_keeping_what_finished() -> None:
    agent = Agent(EchoModel(delay=0.05))
    run = agent.map([f"p{i}" for i in range(30)], concurrency=3)

    def stop_after_five(event: BatchEvent) -> None:
        if event.kind == "row_done" and event.progress.done == 5:
            run.stop("enough")

    run.subscribe(stop_after_five)
    table = await run
    assert len(table) == 30
    assert (table.status == "ok").sum() == 5
    assert set(table.status[5:]) == {"pending"}
    assert table.prompt[29] == "p29" and table.response[29] is None
    assert run.progress.stopped and run.stop_reason == "enough"
    with pytest.raises(UserError, match="a batch runs once"):
        await run


async def test_a_repeated_prompt_is_a_row_of_its_own(tmp_path: Any) -> None:
    """Same prompt, many rows (a column with duplicates): each row runs and has its own answer,
    a Stop leaves a repeat that never ran `pending` (not showing its twin's result), and a cached
    re-run runs only the repeats that never ran."""
    answers = iter(range(1000))
    model = EchoModel(answer=lambda p: f"{p} #{next(answers)}", delay=0.02)
    table = await Agent(model).map(["a", "b", "a", "a"], concurrency=1)
    assert model.calls == {"a": 3, "b": 1}
    assert list(table.response) == ["a #0", "b #1", "a #2", "a #3"]

    model = EchoModel(delay=0.02)
    run = Agent(model).map(["x", "x", "x", "y"], concurrency=1, cache=tmp_path)
    run.subscribe(lambda e: e.kind == "row_done" and e.progress.done == 1 and run.stop())
    stopped = await run
    assert list(stopped.status) == ["ok", "pending", "pending", "pending"]
    again = await Agent(model).map(["x", "x", "x", "y"], concurrency=1, cache=tmp_path)
    assert list(again.status) == ["ok"] * 4 and list(again.cached) == [True, False, False, False]
    assert model.calls == {"x": 3, "y": 1}


async def test_run_sync_from_a_thread_with_a_running_loop_and_from_plain_code() -> None:
    agent = Agent(EchoModel())
    table = agent.map(["a"]).run_sync()  # a loop runs in this thread: a worker thread runs it
    assert table.response[0] == "echo a"
    out: list[Any] = []
    thread = threading.Thread(target=lambda: out.append(agent.map(["b"]).run_sync()))
    thread.start()
    thread.join()
    assert out[0].response[0] == "echo b"


@tool
def delete_row(row: int) -> str:
    """Delete a row."""
    return f"deleted {row}"


def tool_model(rows: int) -> ScriptedModel:
    turns: list[Any] = []
    for i in range(rows):
        turns += [[tool_call("delete_row", {"row": i}), final()], ["done", final()]]
    return ScriptedModel(turns)


async def test_approval_policies_for_every_row() -> None:
    table = await Agent(tool_model(2), tools=[delete_row]).map(
        ["a", "b"], concurrency=1, approval="deny"
    )
    results = [h[2].content[0].content[0].text for h in table.history]
    assert results == ["The tool delete_row is denied for this batch."] * 2

    table = await Agent(tool_model(1), tools=[delete_row]).map(["a"], approval={"*": "auto"})
    assert table.history[0][2].content[0].content[0].text == "deleted 0"

    asked: list[str] = []

    async def decide(name: str, args: str) -> bool:
        asked.append(name)
        await asyncio.sleep(0.01)
        return False

    agent = Agent(tool_model(3), tools=[delete_row])
    table = await agent.map(["a", "b", "c"], concurrency=1, approval="ask", on_approval=decide)
    assert asked == ["delete_row"]  # asked once, the answer held for every row
    assert {h[2].content[0].content[0].text for h in table.history} == {
        "The tool delete_row was denied for every row."
    }
    with pytest.raises(UserError, match="approval='ask' needs on_approval="):
        agent.map(["a"], approval="ask")
    with pytest.raises(UserError, match="use 'ask', 'auto' or 'deny'"):
        agent.map(["a"], approval={"delete_row": "maybe"})  # type: ignore[dict-item]


async def test_without_price_a_row_costs_what_the_agents_price_table_says() -> None:
    from rig_nb import PriceTable

    model = EchoModel()
    model.provider_name = "demo"  # type: ignore[attr-defined]
    table = PriceTable.from_prices({"demo:echo": {"input_mtok": 1_000_000, "output_mtok": 0}})
    run = Agent(model, prices=table).map(["a", "bb"], output="list")
    rows = await run
    assert [r.cost for r in rows] == [r.usage.input_tokens * 1.0 for r in rows]
    assert all(r.cost for r in rows) and run.progress.cost == sum(r.cost for r in rows)
    unknown = await Agent(EchoModel()).map(["a"], output="list")  # a model no table knows
    assert unknown[0].cost is None


async def test_the_agents_usage_limits_fail_a_row_alone() -> None:
    from rig_nb import UsageLimitExceeded, UsageLimits

    agent = Agent(EchoModel(), usage_limits=UsageLimits(max_total_tokens=5))
    table = await agent.map(["a", "a longer prompt", "b"])
    assert list(table.status) == ["ok", "failed", "ok"]
    assert table.error_type[1] == "UsageLimitExceeded" and table.attempts[1] == 1
    error = table.error[1]
    assert isinstance(error, UsageLimitExceeded) and error.chat_history
