"""Cancellation: a Stop, a task cancel or a close keeps the history and closes the provider."""

import asyncio
from collections.abc import AsyncIterator

import pytest

from rig_nb import (
    Agent,
    AssistantMessage,
    Message,
    PromptCancelled,
    PromptHook,
    StreamedText,
    StreamingError,
    Text,
    ToolCallHookAction,
    tool,
)
from rig_nb.core import CompletionRequest, RawStreamingChoice, RawText
from rig_nb.testing import Delay, ScriptedModel, final, tool_call

pytestmark = pytest.mark.anyio

U0 = Message.user("u0")


class SlowModel:
    """Streams "a", "b" then hangs; records whether its response was closed."""

    def __init__(self) -> None:
        self.closed = asyncio.Event()
        self.requests: list[CompletionRequest] = []

    async def _gen(self) -> AsyncIterator[RawStreamingChoice]:
        try:
            yield RawText("a")
            yield RawText("b")
            await asyncio.sleep(30)
            yield RawText("never")
        finally:
            self.closed.set()

    def stream(self, request: CompletionRequest) -> AsyncIterator[RawStreamingChoice]:
        self.requests.append(request)
        return self._gen()


async def test_cancel_mid_stream_raises_prompt_cancelled_with_the_partial_turn() -> None:
    model = SlowModel()
    async with Agent(model).stream_chat("p", [U0]).stream() as run:
        texts = []
        with pytest.raises(PromptCancelled) as info:
            async for item in run:
                texts.append(item)
                if len(texts) == 2:
                    asyncio.get_running_loop().call_later(0.05, run.cancel, "stopped by user")
    error = info.value
    assert isinstance(error, StreamingError)
    assert str(error) == "PromptError: PromptCancelled: stopped by user"
    assert error.chat_history == [U0, Message.user("p"), Message.assistant("ab")]
    assert run.cancelled is error and run.done
    assert model.closed.is_set()
    assert asyncio.current_task().cancelling() == 0  # type: ignore[union-attr]


async def test_cancel_while_waiting_for_an_approval_keeps_completed_work() -> None:
    waiting = asyncio.Event()

    class Approval(PromptHook):
        async def on_tool_call(self, tool_name, tool_call_id, internal_call_id, args):
            if tool_name == "second":
                waiting.set()
                await asyncio.sleep(30)  # a human who never clicks
            return ToolCallHookAction.cont()

    @tool
    def first() -> str:
        """One."""
        return "1"

    @tool
    def second() -> str:
        """Two."""
        return "2"

    model = ScriptedModel(
        [["Working. ", tool_call("first", id="f"), tool_call("second", id="s"), final()]]
    )
    run = (
        Agent(model, tools=[first, second], hook=Approval())
        .stream_chat("p", [])
        .multi_turn(1)
        .stream()
    )

    async def stop_when_waiting() -> None:
        await waiting.wait()
        run.cancel("user pressed stop")

    stopper = asyncio.create_task(stop_when_waiting())
    with pytest.raises(PromptCancelled, match="user pressed stop") as info:
        async for _ in run:
            pass
    await stopper
    assert info.value.chat_history == [
        Message.user("p"),
        AssistantMessage(
            content=[Text(text="Working. "), tool_call("first", id="f").to_tool_call()]
        ),
        Message.tool_result("f", "1"),
    ]


async def test_task_cancel_propagates_and_the_run_keeps_the_history() -> None:
    model = SlowModel()
    run = Agent(model).stream_chat("p", []).stream()
    got = []

    async def consume() -> None:
        async for item in run:
            got.append(item)

    task = asyncio.create_task(consume())
    await asyncio.sleep(0.05)
    assert not run.done
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert run.done and run.error is None and run.final_response is None
    assert isinstance(run.cancelled, PromptCancelled)
    assert run.cancelled.reason == "the task running the agent was cancelled"
    assert run.cancelled.chat_history == [Message.user("p"), Message.assistant("ab")]
    assert model.closed.is_set()
    assert len(got) == 2
    assert [item async for item in run] == []  # an ended run yields nothing more


async def test_asyncio_timeout_still_works() -> None:
    model = SlowModel()
    run = Agent(model).stream_prompt("p").stream()
    with pytest.raises(TimeoutError):
        async with asyncio.timeout(0.05):
            async for _ in run:
                pass
    assert run.done and run.error is None and model.closed.is_set()
    assert isinstance(run.cancelled, PromptCancelled)
    assert run.cancelled.chat_history == [Message.user("p"), Message.assistant("ab")]


async def test_aclose_mid_stream_closes_the_provider_and_records_the_history() -> None:
    model = SlowModel()
    async with Agent(model).stream_prompt("p").stream() as run:
        async for _ in run:
            break
    assert model.closed.is_set()
    assert run.done and run.error is None
    assert isinstance(run.cancelled, PromptCancelled)
    assert run.cancelled.reason == "the stream was closed"
    assert run.cancelled.chat_history == [Message.user("p"), Message.assistant("a")]
    assert run.final_response is None


async def test_cancel_before_iteration_and_after_the_end() -> None:
    run = Agent(ScriptedModel([["x", final()]])).stream_prompt("p").stream()
    run.cancel("changed my mind")
    with pytest.raises(PromptCancelled, match="changed my mind") as info:
        await anext(run)
    assert info.value.chat_history == [Message.user("p")]
    finished = Agent(ScriptedModel([["x", final()]])).stream_prompt("p").stream()
    answer = await finished.final()
    finished.cancel("too late")
    assert answer.response == "x" and finished.cancelled is None


async def test_history_property_follows_the_run() -> None:
    model = ScriptedModel([["a", Delay(0.01), "b", final()]])
    run = Agent(model).stream_chat("p", [U0]).stream()
    assert run.history == [U0, Message.user("p")]
    first = await anext(run)
    assert first.content == StreamedText(text="a")  # type: ignore[union-attr]
    assert run.history == [U0, Message.user("p"), Message.assistant("a")]
    await run.final()
    assert run.history == [U0, Message.user("p"), Message.assistant("ab")]


async def test_requests_can_be_gathered() -> None:
    """`asyncio.gather(*(agent.stream_prompt(p) for p in prompts))` runs them all: gather keys
    its awaitables in a dict, so a request hashes (by identity: its messages are not hashable)."""
    model = ScriptedModel([["one", final()], ["two", final()]])
    agent = Agent(model)
    first, second = agent.stream_prompt("a"), agent.stream_prompt("b")
    answers = await asyncio.gather(first, second)
    assert [a.response for a in answers] == ["one", "two"]
    assert first != agent.stream_prompt("a")  # equality is identity too
