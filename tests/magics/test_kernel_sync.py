"""`run_sync` in a real ipykernel (issue 12.6): a cell calls it while the kernel's event loop runs;
the kernel's interrupt button cancels the worker's run; a provider model serves both the kernel's
loop (`await`) and the worker's (`run_sync`)."""

from __future__ import annotations

import signal
import threading
import time
from collections.abc import Iterator

import pytest

from ..providers.conftest import fixture
from ..providers.loopback import LoopbackServer, Scripted
from .kernel import Kernel, started

SETUP = """
import asyncio, threading
from rig_nb import Agent, PromptHook, PromptInterrupted
from rig_nb.testing import Delay, ScriptedModel, final

class Where(PromptHook):
    def __init__(self):
        self.seen = []

    async def on_text_delta(self, text_delta, aggregated_text):
        await asyncio.sleep(0)
        self.seen.append((threading.current_thread().name, asyncio.get_running_loop()))

def slow():
    return ScriptedModel([[*[s for i in range(300) for s in (f"w{i} ", Delay(0.02))], final()]])
"""


def press_interrupt(kernel: Kernel, after: float) -> threading.Timer:
    """The interrupt button, pressed from another thread while a cell runs.

    SIGINT to the kernel process, as the manager sends it; `manager.interrupt_kernel()` itself
    would leave an event loop of jupyter_client's behind in the timer's thread.
    """
    process = kernel.manager.provisioner.process  # type: ignore[union-attr]
    timer = threading.Timer(after, process.send_signal, (signal.SIGINT,))
    timer.start()
    return timer


@pytest.fixture(scope="module")
def kernel() -> Iterator[Kernel]:
    with started(SETUP) as running:
        yield running


def test_a_cell_calls_run_sync_while_the_kernels_loop_runs(kernel: Kernel) -> None:
    ran = kernel.run(
        "kernel_loop = asyncio.get_running_loop()\n"  # a cell runs inside the kernel's loop
        "hook = Where()\n"
        "answer = Agent(ScriptedModel([['Hello ', 'from a cell.', final(total_tokens=4)]]),"
        " hook=hook).run_sync('hi')\n"
        "print(answer.response, answer.usage.total_tokens)\n"
        "print({name for name, _ in hook.seen}, all(loop is not kernel_loop for _, loop in hook.seen))\n"
    )
    assert ran.reply["status"] == "ok", ran.errors
    assert ran.stdout.splitlines() == ["Hello from a cell. 4", "{'rig_nb-run-sync'} True"]


def test_the_interrupt_button_cancels_the_run_and_keeps_the_history(kernel: Kernel) -> None:
    kernel.run("hook = Where()")
    timer = press_interrupt(kernel, 1.0)
    ran = kernel.run(
        "try:\n"
        "    Agent(slow(), hook=hook).run_sync('Count', history=[])\n"
        "except PromptInterrupted as error:\n"
        "    kept, at_interrupt = error.chat_history, len(hook.seen)\n",
        timeout=30,
    )
    timer.join()
    assert ran.reply["status"] == "ok", ran.errors
    time.sleep(0.3)
    assert kernel.value("len(hook.seen) == at_interrupt"), "the run went on after the interrupt"
    assert kernel.value("[m.role for m in kept]") == ["user", "assistant"]
    text = kernel.value("kept[-1].content[0].text")
    assert text.startswith("w0 w1 w2 ") and "w299" not in text


def test_an_uncaught_interrupt_ends_the_cell_on_one_line(kernel: Kernel) -> None:
    timer = press_interrupt(kernel, 1.0)
    ran = kernel.run("answer = Agent(slow()).run_sync('Count')", timeout=30)
    timer.join()
    expected = (
        "Interrupted: a KeyboardInterrupt stopped the run; chat_history keeps the conversation "
        "(2 messages)"
    )
    assert ran.reply["status"] == "error"
    assert (ran.reply["ename"], ran.reply["evalue"]) == ("PromptInterrupted", expected)
    assert [e["traceback"] for e in ran.errors] == [[expected]]
    # The kernel and the worker go on.
    after = kernel.run("print(Agent(ScriptedModel([['next', final()]])).run_sync('q').response)")
    assert after.stdout == "next\n"


def test_a_provider_model_serves_await_and_run_sync_in_the_same_kernel(kernel: Kernel) -> None:
    body = fixture("openai_chat", "text.sse").read_bytes()
    with LoopbackServer(*[Scripted.body(body, keep_alive=True) for _ in range(4)]) as server:
        assert not kernel.run(
            "from rig_nb.providers import OpenAIChatModel\n"
            f"gpt = OpenAIChatModel('gpt-4o-mini', base_url='{server.url}/v1', api_key='k')\n"
            "agent = Agent(gpt)\n"
            "answers = []"
        ).errors
        for _ in range(2):
            awaited = kernel.run("answers.append((await agent.stream_prompt('a')).response)")
            synced = kernel.run("answers.append(agent.run_sync('b').response)")
            assert not awaited.errors and not synced.errors, (awaited.errors, synced.errors)
        assert kernel.value("[a[:11] for a in answers]") == ["Hello there"] * 4
        # One client for the kernel's loop, one for the worker's: neither replaced the other.
        assert kernel.value("len(gpt._http._own._loops)") == 2
        assert kernel.value("all(not m.client.is_closed for m in gpt._http._own._loops.values())")
        assert len(server.requests) == 4
