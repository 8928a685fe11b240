"""The cache: resume after a kill, torn and corrupted lines, one batch per cache, its key."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from rig_nb import Agent, UserError
from rig_nb.errors import ProviderHTTPError
from rig_nb.providers import OpenAIChatModel

from .helpers import EchoModel

pytestmark = pytest.mark.anyio
ROOT = Path(__file__).resolve().parents[2]


def count_rows_files(cache: Path) -> int:
    return len(list(cache.glob("*/rows.jsonl")))


def start_batch(cache: Path, rows: int, *flags: str) -> subprocess.Popen[str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.Popen(
        [sys.executable, "-m", "tests.batch.slow_batch", str(cache), str(rows), *flags],
        stdout=subprocess.PIPE,
        text=True,
        cwd=ROOT,
        env=env,
    )


def rows_file(cache: Path) -> Path:
    (found,) = cache.glob("*/rows.jsonl")
    return found


async def test_a_rerun_redoes_only_the_rows_that_failed_or_never_ran(tmp_path: Path) -> None:
    failing = {"p1", "p3"}
    model = EchoModel(fail=lambda p, c: ProviderHTTPError(
        provider="x", status_code=400, provider_message="no") if p in failing else None)  # fmt: skip
    agent = Agent(model)
    prompts = [f"p{i}" for i in range(5)]
    first = await agent.map(prompts, cache=tmp_path)
    assert list(first.status) == ["ok", "failed", "ok", "failed", "ok"]
    assert not first.cached.any()

    failing.clear()
    model.calls.clear()
    second = await agent.map([*prompts, "p5"], cache=tmp_path)
    assert set(model.calls) == {"p1", "p3", "p5"}  # the two failed rows and the new one
    assert list(second.status) == ["ok"] * 6
    assert list(second.cached) == [True, False, True, False, True, False]
    assert second.response[0] == "echo p0" and second.history[0][0].role == "user"

    model.calls.clear()
    third = await agent.map(prompts, cache=tmp_path)
    assert model.calls == {} and third.cached.all()


async def test_the_cache_keeps_typed_errors_structured_outputs_and_histories(
    tmp_path: Path,
) -> None:
    from pydantic import BaseModel

    class Label(BaseModel):
        name: str

    answers = {"a": '{"name": "spam"}', "b": "not json"}
    agent = Agent(EchoModel(answer=lambda p: answers[p]))
    first = await agent.map(["a", "b"], cache=tmp_path, output_type=Label)
    assert first.output[0] == Label(name="spam")
    error = first.error[1]
    assert type(error).__name__ == "StreamingOutputValidationError"
    assert error.raw_text == "not json" and [m.role for m in error.chat_history] == [
        "user",
        "assistant",
    ]
    assert str(error).startswith("PromptError: OutputValidationError: the final answer is not")


async def test_torn_and_corrupted_lines_are_skipped_and_their_rows_run_again(
    tmp_path: Path, caplog: Any
) -> None:
    model = EchoModel()
    agent = Agent(model)
    prompts = [f"p{i}" for i in range(6)]
    await agent.map(prompts, cache=tmp_path, concurrency=1)
    path = rows_file(tmp_path)
    lines = path.read_bytes().splitlines(keepends=True)
    assert len(lines) == 6
    lines[2] = b'{"key": "garbage' + b"\x00\xff\n"  # a corrupted line in the middle
    lines[5] = lines[5][:40]  # a torn last line: a write cut off by a kill
    path.write_bytes(b"".join(lines))

    model.calls.clear()
    table = await agent.map(prompts, cache=tmp_path, concurrency=1)
    assert sorted(model.calls) == ["p2", "p5"]
    assert list(table.status) == ["ok"] * 6
    assert "line 3 skipped: not JSON" in caplog.text
    assert "line 6 skipped: a torn last line" in caplog.text
    # the new lines did not glue to the torn one: a third run runs nothing
    model.calls.clear()
    await agent.map(prompts, cache=tmp_path)
    assert model.calls == {}


async def test_two_concurrent_maps_on_one_cache_the_second_is_refused(tmp_path: Path) -> None:
    agent = Agent(EchoModel(delay=0.05))
    first = asyncio.ensure_future(agent.map([f"p{i}" for i in range(8)], cache=tmp_path))
    await asyncio.sleep(0.02)
    with pytest.raises(UserError, match="is in use by another batch of the same agent"):
        await agent.map(["other"], cache=tmp_path)
    table = await first
    assert (table.status == "ok").all()
    other = Agent(EchoModel(), preamble="another agent")  # another fingerprint: its own directory
    both = await asyncio.gather(agent.map(["x"], cache=tmp_path), other.map(["x"], cache=tmp_path))
    assert [t.status[0] for t in both] == ["ok", "ok"]
    assert count_rows_files(tmp_path) == 2


async def test_a_kill_mid_batch_loses_only_rows_in_flight_and_resume_redoes_the_rest(
    tmp_path: Path,
) -> None:
    rows = 200
    proc = start_batch(tmp_path, rows)
    assert proc.stdout is not None
    reported = 0
    try:
        assert proc.stdout.readline().strip() == "started"
        # while it runs, this process may not use its cache
        agent = Agent(EchoModel(delay=0.02), preamble="label it")
        with pytest.raises(UserError, match="in use by another batch"):
            await agent.map(["row 0"], cache=tmp_path)
        while reported < 40:
            line = proc.stdout.readline()
            assert line.startswith("done"), line
            reported = int(line.split()[1])
        proc.send_signal(signal.SIGKILL)
        proc.wait(10)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(10)
        proc.stdout.close()
    assert proc.returncode == -signal.SIGKILL

    written = [json.loads(x) for x in rows_file(tmp_path).read_text().splitlines() if x.strip()]
    assert len(written) >= reported  # every row reported done was on disk before the kill
    assert len(written) < rows

    model = EchoModel()
    agent = Agent(model, preamble="label it")
    table = await agent.map([f"row {i}" for i in range(rows)], cache=tmp_path, concurrency=8)
    assert (table.status == "ok").all()
    assert table.cached.sum() == len(written)
    assert len(model.calls) == rows - len(written)  # only the rows not on disk ran again
    assert set(model.calls).isdisjoint(r["prompt"] for r in written)


def test_an_interrupt_of_run_sync_stops_the_batch_and_keeps_what_finished(tmp_path: Path) -> None:
    rows = 2000  # 10 s of rows: far more than run before the interrupt is handled
    proc = start_batch(tmp_path, rows, "--run-sync")
    assert proc.stdout is not None
    try:
        assert proc.stdout.readline().strip() == "started"
        while not (line := proc.stdout.readline()).startswith("done 20"):
            assert line.startswith("done"), line
        proc.send_signal(signal.SIGINT)  # the kernel's interrupt button, Ctrl-C
        rest = proc.stdout.read()
        proc.wait(60)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(10)
        proc.stdout.close()
    assert "interrupted" in rest and "finished" not in rest
    written = [json.loads(x) for x in rows_file(tmp_path).read_text().splitlines() if x.strip()]
    assert 20 <= len(written) < rows  # the rows that finished are kept; the batch did not go on
    assert all(r["status"] == "ok" for r in written)


def test_the_key_is_model_parameters_tools_prompt_never_the_api_key(tmp_path: Path) -> None:
    from rig_nb.batch._store import fingerprint, row_key

    def fp(**kwargs: Any) -> str:
        key = kwargs.pop("api_key", "sk-one-secret")
        model = OpenAIChatModel("gpt-4o-mini", api_key=key, base_url="http://u:pw@h:1/v1")
        return fingerprint(Agent(model, **kwargs), max_turns=0)[0]

    base = fp()
    assert fp(api_key="sk-two-other") == base
    assert fp(preamble="x") != base
    assert fp(temperature=0.5) != base
    assert fp(output_type=int) != base
    from rig_nb import Message

    described = fingerprint(Agent(OpenAIChatModel("m", api_key="sk-one-secret")), max_turns=1)[1]
    assert "sk-one-secret" not in json.dumps(described)
    assert row_key(base, Message.user("a")) != row_key(base, Message.user("b"))
    assert fingerprint(Agent(EchoModel()), max_turns=0) != fingerprint(
        Agent(EchoModel()), max_turns=1
    )
