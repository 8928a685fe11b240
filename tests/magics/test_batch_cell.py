"""`%%agent --over NAME`: a batch from a cell, in an IPython shell and in a real kernel."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import pandas as pd
import polars as pl
import pytest
from IPython.core.error import UsageError

from rig_nb.magics import session_for
from rig_nb.magics._options import parse_cell_line

from ..batch.helpers import EchoModel
from .kernel import Kernel, started
from .shell import cell

pytestmark = pytest.mark.anyio


@pytest.fixture
def shell(shell: Any) -> Any:
    shell.user_ns["model"] = EchoModel()
    return shell


async def test_a_dataframe_template_fills_each_row_and_the_table_lands_in_out(shell: Any) -> None:
    shell.user_ns["tickets"] = pd.DataFrame(
        {"title": ["Crash", "Idea"], "body": ["on save", "dark mode"]}, index=["t1", "t2"]
    )
    shell.user_ns["agent_history"] = ["kept"]
    result = await cell(
        shell, "%%agent -m model --over tickets --out res --concurrency 2\nLabel {title}: {body}"
    )
    assert result.error_in_exec is None
    table = shell.user_ns["res"]
    assert list(table.index) == ["t1", "t2"]
    assert list(table.response) == ["echo Label Crash: on save", "echo Label Idea: dark mode"]
    assert shell.user_ns["agent_history"] == ["kept"]  # rows leave the conversation alone
    assert session_for(shell).history == []


@pytest.mark.parametrize("kind", ["list", "pandas", "polars"])
async def test_a_column_or_a_list_runs_as_prompts_or_through_value(shell: Any, kind: str) -> None:
    items = ["alpha", "beta", "gamma"]
    value: Any = {
        "list": items,
        "pandas": pd.Series(items, name="word"),
        "polars": pl.Series("word", items),
    }[kind]
    shell.user_ns["words"] = value
    await cell(shell, "%%agent -m model --over words --out res\n")
    assert list(shell.user_ns["res"].response) == [f"echo {w}" for w in items]
    await cell(shell, "%%agent -m model --over words --out res\nSpell {value}")
    assert list(shell.user_ns["res"].response) == [f"echo Spell {w}" for w in items]
    if kind != "list":
        await cell(shell, "%%agent -m model --over words --out res\nSay {word}")
        assert list(shell.user_ns["res"].response) == [f"echo Say {w}" for w in items]


async def test_a_row_whose_field_is_missing_fails_alone(shell: Any) -> None:
    shell.user_ns["rows"] = [{"title": "a"}, {"name": "b"}]
    await cell(shell, "%%agent -m model --over rows --out res\nT {title}")
    table = shell.user_ns["res"]
    assert list(table.status) == ["ok", "failed"]
    assert "has no field 'title'" in str(table.error[1])


@pytest.mark.parametrize(
    ("source", "message"),
    [
        ("%%agent -m model --over nowhere\nHi {x}", "no variable named 'nowhere'"),
        ("%%agent -m model --over frame\n", "write the prompt in the cell with its columns"),
        ("%%agent -m model --over frame\nHi {nope}", "the template reads nope"),
        ("%%agent -m model --over text\nHi", "text is a str; pass a DataFrame"),
        ("%%agent -m model --over frame --concurrency 0\nHi {a}", "concurrency must be 1 or more"),
        ("%%agent -m model --concurrency 4\nHi", "--concurrency go with --over NAME"),
        ("%%agent -m model --over frame -a x.png\nHi {a}", "cannot go with --over"),
    ],
)
async def test_bad_batch_cells_say_what_to_do(shell: Any, source: str, message: str) -> None:
    shell.user_ns["frame"] = pd.DataFrame({"a": [1]})
    shell.user_ns["text"] = "not rows"
    result = await cell(shell, source)
    assert isinstance(result.error_in_exec, UsageError)
    assert message in str(result.error_in_exec)
    assert "res" not in shell.user_ns


def test_batch_options_are_one_cells_never_defaults(shell: Any) -> None:
    with pytest.raises(UsageError, match="belong to one %%agent cell"):
        shell.run_line_magic("agent", "defaults --over frame")
    assert parse_cell_line("--over df --rpm 60 --tpm 1000 --retries 0 --cache d").batch_options == {
        "rpm": 60.0,
        "tpm": 1000.0,
        "retries": 0,
        "cache": "d",
    }


async def test_no_widget_prints_the_summary_and_headless_ask_denies(
    shell: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    from ..widgets.test_batch_view import delete_row, tool_model

    shell.user_ns["model"] = tool_model()
    shell.user_ns["delete_row"] = delete_row
    shell.user_ns["rows"] = ["a", "b"]
    await cell(shell, "%%agent -m model -t delete_row --over rows --out res --no-widget\n")
    printed = capsys.readouterr().out
    assert "2 / 2 rows · 0 failed" in printed
    assert "Done: 2 rows, in res" in printed
    results = [h[2].content[0].content[0].text for h in shell.user_ns["res"].history]
    assert results == ["The tool delete_row is denied for this batch."] * 2
    await cell(
        shell, "%%agent -m model -t delete_row --over rows --out res --approve auto --no-widget\n"
    )
    assert "delete_row: approved for every row by policy" in capsys.readouterr().out
    results = [h[2].content[0].content[0].text for h in shell.user_ns["res"].history]
    assert results == ["deleted r1"] * 2


async def test_the_cache_redoes_only_the_rows_that_failed(shell: Any, tmp_path: Any) -> None:
    calls: list[str] = []
    down = {"b"}

    def fail(prompt: str, call: int) -> BaseException | None:
        calls.append(prompt)
        return RuntimeError("flaky") if prompt in down else None

    shell.user_ns["model"] = EchoModel(fail=fail)
    shell.user_ns["rows"] = ["a", "b", "c"]
    line = f"%%agent -m model --over rows --out res --retries 0 --cache {tmp_path}\n"
    await cell(shell, line)
    assert list(shell.user_ns["res"].status) == ["ok", "failed", "ok"]
    calls.clear()
    down.clear()  # the server is back; the kernel restarted, say: the cache remembers
    await cell(shell, line)
    assert calls == ["b"]
    assert list(shell.user_ns["res"].status) == ["ok", "ok", "ok"]


# -- a real kernel: the browser's clicks and the interrupt button -------------------------------

SETUP = """
%load_ext rig_nb
import asyncio
from rig_nb import tool
from rig_nb.core import RawText
from rig_nb.testing import final, tool_call

class Rows:
    model_name = "rows"
    def __init__(self, delay=0.02):
        self.delay = delay
    def stream(self, request):
        return self._play(len(request.chat_history))
    async def _play(self, turns):
        await asyncio.sleep(self.delay)
        if turns == 1 and tools_on:
            yield tool_call("delete_row", {"row": "r"})
        else:
            yield RawText("ok")
        yield final(input_tokens=4, output_tokens=1, total_tokens=5)

deleted = []
tools_on = False

@tool
def delete_row(row: str) -> str:
    \"\"\"Delete a row.\"\"\"
    deleted.append(row)
    return f"deleted {row}"

model = Rows()
rows = [f"row {i}" for i in range(400)]
"""


@pytest.fixture(scope="module")
def kernel() -> Iterator[Kernel]:
    with started(SETUP) as running:
        yield running


def batch_states(ran: Any) -> list[dict[str, Any]]:
    return [s for s in ran.states if "failures_more" in s]


def test_the_interrupt_button_ends_the_batch_and_keeps_the_finished_rows(kernel: Kernel) -> None:
    pressed: list[float] = []

    def on_state(k: Kernel, comm_id: str, state: dict[str, Any]) -> None:
        if not pressed and state.get("done", 0) >= 20:
            k.interrupt()
            pressed.append(time.monotonic())

    ran = kernel.run(
        "%%agent -m model --over rows --out res --concurrency 4\nDo {value}", on_state=on_state
    )
    assert pressed
    kept = kernel.value("int((res.status == 'ok').sum())")
    assert 20 <= kept < 400
    expected = f"Interrupted: the kernel interrupt stopped the batch; res keeps the {kept} rows that finished"
    assert (ran.reply["ename"], ran.reply["evalue"]) == ("RunInterrupted", expected)
    assert [e["traceback"] for e in ran.errors] == [[expected]]
    assert kernel.value("sorted(set(res.status))") == ["ok", "pending"]
    last = batch_states(ran)[-1]
    assert last["status"] == "stopped" and last["banner"].startswith("Interrupted by the kernel")
    after = kernel.run("print(len(res))")  # the kernel goes on
    assert after.stdout.strip() == "400"


def test_stop_and_approve_for_all_rows_from_the_view(kernel: Kernel) -> None:
    kernel.run("tools_on = True; deleted.clear()")
    clicked: list[str] = []

    def on_state(k: Kernel, comm_id: str, state: dict[str, Any]) -> None:
        if "failures_more" not in state:
            return
        if not clicked:
            k.render(comm_id)
            clicked.append("rendered")
        if state["approvals"] and "approve" not in clicked:
            assert state["approvals"][0]["tool"] == "delete_row"
            k.click(comm_id, kind="approve", tool="delete_row")
            clicked.append("approve")
        if state["done"] >= 30 and "stop" not in clicked:
            k.click(comm_id, kind="stop")
            clicked.append("stop")

    ran = kernel.run(
        "%%agent -m model -t delete_row --over rows --out res --concurrency 4\nDo {value}",
        on_state=on_state,
        timeout=60,
    )
    assert clicked == ["rendered", "approve", "stop"]
    assert ran.reply["status"] == "ok" and not ran.errors, ran
    done = kernel.value("int((res.status == 'ok').sum())")
    assert 30 <= done < 400
    assert kernel.value("len(deleted)") >= done  # approved once, it ran in every row
    last = batch_states(ran)[-1]
    assert last["status"] == "stopped"
    assert last["banner"] == f"Stopped by you: {done} of 400 rows finished, kept in res"
    assert last["decisions"] == [{"tool": "delete_row", "decision": "approved", "by": "you"}]
    kernel.run("tools_on = False")


def test_a_whole_batch_ends_done_with_every_row(kernel: Kernel) -> None:
    ran = kernel.run(
        "%%agent -m model --over rows --out res --concurrency 64\nDo {value}", timeout=60
    )
    assert ran.reply["status"] == "ok" and not ran.errors and not ran.stderr
    assert kernel.value("list(res.status.value_counts().items())") == [["ok", 400]]
    states = batch_states(ran)
    assert states[-1]["banner"] == "Done: 400 rows, in res"
    assert states[-1]["input_tokens"] == 1600 and states[-1]["output_tokens"] == 400
    assert len(states) < 60  # coalesced: not a frame per row
