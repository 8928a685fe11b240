"""The sync front door (issue 12.6): `agent.run_sync` / `request.run_sync` in plain code, inside a
running event loop (as in a Jupyter cell), with async hooks on the worker's loop, errors carrying
the history, and a KeyboardInterrupt cancelling the run. A real script gets a real SIGINT."""

from __future__ import annotations

import _thread
import asyncio
import os
import pickle
import signal
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path
from typing import Any

import httpx
import pytest

from rig_nb import (
    Agent,
    Message,
    PromptCancelled,
    PromptHook,
    PromptInterrupted,
    ProviderError,
    UserError,
    tool,
)
from rig_nb.core._sync import THREAD_NAME
from rig_nb.testing import Delay, ScriptedModel, final, tool_call

ROOT = Path(__file__).resolve().parents[2]


class Where(PromptHook):
    """Records the thread and loop each async callback ran on."""

    def __init__(self) -> None:
        self.seen: list[tuple[str, asyncio.AbstractEventLoop]] = []
        self.deltas = 0

    async def on_text_delta(self, text_delta: str, aggregated_text: str) -> None:
        await asyncio.sleep(0)  # a real await, on whichever loop runs the hook
        self.seen.append((threading.current_thread().name, asyncio.get_running_loop()))
        self.deltas += 1


def test_run_sync_in_plain_code_returns_the_final_response_and_continues_a_chat() -> None:
    model = ScriptedModel([["Hello ", "there.", final(total_tokens=3)], ["Again.", final()]])
    agent = Agent(model)
    first = agent.run_sync("hi")
    assert first.response == "Hello there." and first.history is None
    assert first.usage.total_tokens == 3 and len(first.calls) == 1
    history = [Message.user("hi"), Message.assistant("Hello there.")]
    second = agent.run_sync("and?", history=history)
    assert second.history == [Message.user("and?"), Message.assistant("Again.")]
    assert model.requests[1].chat_history[:2] == history


def test_async_hooks_run_on_the_worker_loop_and_the_request_keeps_its_settings() -> None:
    @tool
    def add(a: int, b: int) -> int:
        """Add."""
        return a + b

    hook = Where()
    model = ScriptedModel([[tool_call("add", {"a": 1, "b": 2}), final()], ["3", final()]])
    answer = Agent(model, tools=[add]).stream_prompt("1+2").multi_turn(1).with_hook(hook).run_sync()
    assert answer.response == "3"
    assert [name for name, _ in hook.seen] == [THREAD_NAME]
    # One worker, one loop, for every run of the process.
    again = Where()
    Agent(ScriptedModel([["x", final()]]), hook=again).run_sync("q")
    assert again.seen[0][1] is hook.seen[0][1]


@pytest.mark.anyio
async def test_inside_a_running_event_loop_as_in_a_jupyter_cell() -> None:
    hook = Where()
    here = asyncio.get_running_loop()
    answer = Agent(ScriptedModel([["inside", final()]]), hook=hook).run_sync("q")
    assert answer.response == "inside"
    assert hook.seen[0][0] == THREAD_NAME and hook.seen[0][1] is not here


def test_an_error_is_raised_here_with_the_history() -> None:
    model = ScriptedModel([["partial ", "answer", ProviderError("connection reset")]])
    with pytest.raises(ProviderError) as caught:
        Agent(model).run_sync("q", history=[Message.user("u0")])
    assert caught.value.chat_history == [
        Message.user("u0"),
        Message.user("q"),
        Message.assistant("partial answer"),
    ]


def test_a_tool_can_run_another_agent_synchronously_but_an_async_hook_cannot() -> None:
    inner = Agent(ScriptedModel([["inner answer", final()]]))

    @tool
    def ask_inner(question: str) -> str:
        """Ask the inner agent (a sync tool: it runs in a thread, off the loop)."""
        return inner.run_sync(question).response

    model = ScriptedModel(
        [[tool_call("ask_inner", {"question": "?"}), final()], ["outer answer", final()]]
    )
    answer = Agent(model, tools=[ask_inner]).stream_prompt("q").multi_turn(1).run_sync()
    assert answer.response == "outer answer"
    assert "inner answer" in str(model.requests[1].chat_history[-1])

    class Nested(PromptHook):
        async def on_completion_call(self, prompt: Any, history: Any) -> None:
            inner.run_sync("from the worker's own loop")  # would wait for itself

    with pytest.raises(UserError, match="run_sync was called on rig_nb's run_sync thread"):
        Agent(ScriptedModel([["x", final()]]), hook=Nested()).run_sync("q")


@pytest.mark.anyio
async def test_an_agent_view_cannot_be_driven_from_run_sync_in_a_running_loop() -> None:
    from rig_nb.widgets import AgentView

    agent = Agent(ScriptedModel([["x", final()]]))
    view = AgentView(agent)
    with pytest.raises(UserError, match="run_sync cannot drive an AgentView"):
        agent.stream_prompt("q").with_hook(view.hook).run_sync()


def test_a_keyboard_interrupt_cancels_the_worker_run_and_keeps_the_history() -> None:
    hook = Where()
    steps = [s for i in range(200) for s in (f"w{i} ", Delay(0.01))]
    model = ScriptedModel([[*steps, final()]])
    timer = threading.Timer(0.3, _thread.interrupt_main)
    timer.start()
    with pytest.raises(PromptInterrupted) as caught:
        Agent(model, hook=hook).run_sync("long", history=[Message.user("before")])
    error = caught.value
    assert isinstance(error, KeyboardInterrupt)
    history = error.chat_history
    assert history[:2] == [Message.user("before"), Message.user("long")]
    streamed = history[2].content[0].text  # type: ignore[union-attr]
    assert streamed.startswith("w0 w1 ") and not streamed.endswith("w199 ")
    assert isinstance(error.cancelled, PromptCancelled)
    assert str(error) == (
        "Interrupted: a KeyboardInterrupt stopped the run; chat_history keeps the conversation "
        "(3 messages)"
    )
    seen = hook.deltas
    time.sleep(0.2)
    assert hook.deltas == seen, "the worker run went on after the interrupt"
    moved = pickle.loads(pickle.dumps(error))
    assert type(moved) is PromptInterrupted and moved.chat_history == history
    # The worker is free again.
    assert Agent(ScriptedModel([["next", final()]])).run_sync("q").response == "next"


def test_a_provider_keeps_one_client_per_loop_for_await_and_run_sync(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """An httpx pool belongs to one loop: the kernel's (await) and the worker's (run_sync) each
    keep theirs, and a run on one never drops the other's (which leaked its connections)."""
    from rig_nb.providers import OpenAIChatModel

    from ..providers.conftest import fixture
    from ..providers.loopback import LoopbackServer, Scripted

    made: list[httpx.AsyncClient] = []

    class Counted(httpx.AsyncClient):
        def __init__(self, **kwargs: Any) -> None:
            super().__init__(**kwargs)
            made.append(self)

    monkeypatch.setattr(httpx, "AsyncClient", Counted)
    body = fixture("openai_chat", "text.sse").read_bytes()
    replies = [Scripted.body(body, keep_alive=True) for _ in range(4)]
    with LoopbackServer(*replies) as server:
        model = OpenAIChatModel("gpt-4o-mini", base_url=server.url + "/v1", api_key="k")
        agent = Agent(model)

        async def both() -> list[str]:
            answers = [(await agent.stream_prompt("a")).response]
            answers.append(agent.run_sync("b").response)
            answers.append((await agent.stream_prompt("c")).response)
            answers.append(agent.run_sync("d").response)
            await model.aclose()
            return answers

        answers = asyncio.run(both())
    assert all(a.startswith("Hello there") for a in answers)
    assert len(made) == 2, "a run on one loop dropped the other loop's client"
    assert made[0].is_closed  # aclose() on its loop
    deadline = time.monotonic() + 5
    while not made[1].is_closed and time.monotonic() < deadline:
        time.sleep(0.01)  # the worker's client is closed on the worker's loop
    assert made[1].is_closed


SCRIPT = """
import sys, threading
from rig_nb import Agent, PromptHook, PromptInterrupted
from rig_nb.testing import Delay, ScriptedModel, final

deltas = []

class Hook(PromptHook):
    async def on_text_delta(self, text_delta, aggregated_text):
        deltas.append(threading.current_thread().name)
        if len(deltas) == 3:
            print("streaming", flush=True)

model = ScriptedModel([[*[s for i in range(500) for s in (f"w{i} ", Delay(0.01))], final()]])
agent = Agent(model, hook=Hook())
"""


def _script(tail: str) -> subprocess.Popen[str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    code = SCRIPT + textwrap.dedent(tail)
    return subprocess.Popen(
        [sys.executable, "-c", code],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )


def _interrupt_when_streaming(process: subprocess.Popen[str]) -> tuple[str, str]:
    assert process.stdout is not None
    assert process.stdout.readline().strip() == "streaming"
    process.send_signal(signal.SIGINT)
    out, err = process.communicate(timeout=30)
    return out, err


@pytest.mark.skipif(sys.platform == "win32", reason="SIGINT")
def test_ctrl_c_in_a_script_cancels_the_run_and_the_error_carries_the_history() -> None:
    process = _script(
        """
        try:
            agent.run_sync("long", history=[])
        except PromptInterrupted as error:
            seen = len(deltas)
            import time; time.sleep(0.3)
            text = error.chat_history[-1].content[0].text
            print("caught", type(error).__mro__[1].__name__, len(error.chat_history),
                  text.startswith("w0 w1 w2"), len(deltas) == seen, set(deltas), flush=True)
        """
    )
    out, err = _interrupt_when_streaming(process)
    assert process.returncode == 0, err
    assert "caught KeyboardInterrupt 2 True True {'rig_nb-run-sync'}" in out


@pytest.mark.skipif(sys.platform == "win32", reason="SIGINT")
def test_an_uncaught_ctrl_c_ends_the_script_as_a_keyboard_interrupt_does() -> None:
    process = _script('agent.run_sync("long")\nprint("not reached")\n')
    out, err = _interrupt_when_streaming(process)
    assert "not reached" not in out
    assert process.returncode in (-signal.SIGINT, 130, 1), (process.returncode, err)
    assert err.strip().splitlines()[-1] == (
        "rig_nb.PromptInterrupted: Interrupted: a KeyboardInterrupt stopped the run; "
        "chat_history keeps the conversation (2 messages)"
    )


def test_a_keyboard_interrupt_raised_inside_the_run_keeps_the_worker_alive() -> None:
    model = ScriptedModel([["w0 ", "w1 ", KeyboardInterrupt()]])
    with pytest.raises(PromptInterrupted) as caught:
        Agent(model).run_sync("Count")
    assert caught.value.chat_history == [Message.user("Count"), Message.assistant("w0 w1 ")]
    # The worker's loop survived: the next run works, on the same thread.
    hook = Where()
    assert Agent(ScriptedModel([["next", final()]]), hook=hook).run_sync("q").response == "next"
    assert hook.seen[0][0] == THREAD_NAME
