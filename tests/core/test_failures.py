"""Failures at every edge of a run (issue 9, points 9-11).

* any exception from a tool is that tool's result and the run goes on; interrupts propagate;
* any exception that ends a run is a typed `RigError` with the history and the original as cause,
  and the run says so (`error`, `done`);
* a hook's Terminate keeps the same history as a Stop at the same point.
"""

import asyncio
import logging
from typing import Any

import pytest

from rig_nb import (
    Agent,
    AssistantMessage,
    CompletionError,
    HookAction,
    HookError,
    Message,
    ModelError,
    PromptCancelled,
    PromptError,
    PromptHook,
    ProviderError,
    RequestError,
    StreamingError,
    StreamUserItem,
    Text,
    Tool,
    ToolCallHookAction,
    ToolCallNameDelta,
    ToolDefinition,
    ToolError,
    ToolServerError,
    ToolSet,
    UserError,
    tool,
)
from rig_nb.core import RawToolCallDelta, ToolCallArgsDelta
from rig_nb.testing import Delay, ScriptedModel, final, tool_call

from .helpers import collect, kinds

pytestmark = pytest.mark.anyio

U0 = Message.user("u0")
P = Message.user("p")


# --- point 9: a tool's exception is its result -------------------------------------------------


class Boom(Exception):
    def __str__(self) -> str:
        raise RuntimeError("a broken __str__")


FAILURES: list[tuple[Exception, str]] = [
    (RuntimeError("boom"), "boom"),
    (ValueError(""), "ValueError"),
    (KeyError("k"), "'k'"),
    (UserError("a rig_nb error inside a tool"), "a rig_nb error inside a tool"),
    (ToolError("chosen text"), "chosen text"),
    (Boom(), "Boom"),
    (ExceptionGroup("many", [ValueError("a")]), "many (1 sub-exception)"),
]


def make_tool(style: str, exc: Exception) -> Any:
    """A tool named `t` that raises `exc`, written in one of four ways."""
    if style == "sync function":

        def t() -> str:
            """Raise."""
            raise exc

        return tool(t)
    if style == "async function":

        async def t() -> str:  # type: ignore[misc]
            """Raise."""
            raise exc

        return tool(t)

    class Custom(Tool):
        name, description = "t", "A custom tool."

        def definition(self, prompt: str = "") -> ToolDefinition:
            return ToolDefinition(name="t", description="", parameters={})

        if style == "Tool subclass":

            async def call(self, args: str) -> str:
                raise exc

        else:  # a `call` that is not async

            def call(self, args: str) -> str:  # type: ignore[override]
                raise exc

    return Custom()


@pytest.mark.parametrize("style", ["sync function", "async function", "Tool subclass", "sync call"])
@pytest.mark.parametrize(("exc", "text"), FAILURES, ids=lambda v: type(v).__name__)
async def test_any_exception_from_any_tool_goes_back_to_the_model(
    style: str, exc: Exception, text: str, caplog: pytest.LogCaptureFixture
) -> None:
    model = ScriptedModel([[tool_call("t", id="c"), final()], ["recovered", final()]])
    run = Agent(model, tools=[make_tool(style, exc)]).stream_chat("p", []).multi_turn(1).stream()
    with caplog.at_level(logging.DEBUG, logger="rig_nb"):
        answer = await run.final()
    expected = f"Toolset error: ToolCallError: ToolCallError: {text}"
    assert answer.response == "recovered" and model.calls == 2
    assert model.requests[1].prompt == Message.tool_result("c", expected)
    assert run.done and run.error is None and run.cancelled is None
    # Logged below WARNING: a warning reaches a notebook cell's stderr (logging's last resort).
    failures = [r for r in caplog.records if "Error while calling tool" in r.getMessage()]
    assert len(failures) == 1 and failures[0].levelno == logging.INFO
    assert all(r.levelno < logging.WARNING for r in caplog.records)


@pytest.mark.parametrize("style", ["sync function", "async function", "Tool subclass", "sync call"])
async def test_the_tool_set_reports_any_tool_exception_as_a_tool_server_error(style: str) -> None:
    tools = ToolSet([make_tool(style, LookupError("no such row"))])
    with pytest.raises(ToolServerError) as info:
        await tools.call_tool("t", "{}")
    assert str(info.value) == "Toolset error: ToolCallError: ToolCallError: no such row"
    assert isinstance(info.value.__cause__, LookupError | ToolError)
    interrupting = ToolSet([make_tool(style, asyncio.CancelledError())])
    if style != "sync function":  # a worker thread cannot raise into the loop's task
        with pytest.raises(asyncio.CancelledError):
            await interrupting.call_tool("t", "{}")


async def test_spec_t47_text_for_a_tool_raising_boom_is_unchanged() -> None:
    model = ScriptedModel([[tool_call("t", id="c"), final()], ["ok", final()]])
    items, _ = await collect(
        Agent(model, tools=[make_tool("sync function", RuntimeError("boom"))])
        .stream_prompt("p")
        .multi_turn(1)
    )
    result = next(i for i in items if isinstance(i, StreamUserItem))
    assert result.content.tool_result.content == [
        Text(text="Toolset error: ToolCallError: ToolCallError: boom")
    ]


async def test_a_tool_returning_something_other_than_text_is_serialized() -> None:
    class Numbers(Tool):
        name, description = "n", "Numbers."

        def definition(self, prompt: str = "") -> ToolDefinition:
            return ToolDefinition(name="n", description="", parameters={})

        async def call(self, args: str) -> Any:
            return {"a": [1, 2]}

    model = ScriptedModel([[tool_call("n", id="c"), final()], ["ok", final()]])
    await Agent(model, tools=[Numbers()]).stream_prompt("p").multi_turn(1)
    assert model.requests[1].prompt == Message.tool_result("c", '{"a":[1,2]}')


@pytest.mark.parametrize("style", ["sync function", "async function", "Tool subclass"])
@pytest.mark.parametrize("interrupt", [KeyboardInterrupt, SystemExit])
def test_interrupts_from_a_tool_are_not_swallowed(style: str, interrupt: type) -> None:
    runs: list[Any] = []

    async def main() -> None:
        model = ScriptedModel([["Working.", tool_call("t", id="c"), final()], ["never", final()]])
        run = Agent(model, tools=[make_tool(style, interrupt())]).stream_chat("p", [U0])
        runs.append(run := run.multi_turn(1).stream())
        async for _ in run:
            pass

    with pytest.raises(interrupt):
        asyncio.run(main())
    (run,) = runs
    assert run.done and run.error is None and run.final_response is None
    assert isinstance(run.cancelled, PromptCancelled)
    assert run.cancelled.reason == f"interrupted by {interrupt.__name__}"
    # The call did not finish, so it is not kept (it would have no result).
    assert run.cancelled.chat_history == [U0, P, Message.assistant("Working.")]


async def test_cancelled_error_from_a_tool_propagates() -> None:
    model = ScriptedModel([[tool_call("t", id="c"), final()], ["never", final()]])
    run = Agent(model, tools=[make_tool("async function", asyncio.CancelledError())])
    stream = run.stream_prompt("p").multi_turn(1).stream()
    with pytest.raises(asyncio.CancelledError):
        await stream.final()
    assert stream.done and stream.error is None and isinstance(stream.cancelled, PromptCancelled)
    assert model.calls == 1


# --- point 10: an exception that ends a run is typed and keeps the history ----------------------

HOOK_METHODS = [
    "on_completion_call",
    "on_text_delta",
    "on_tool_call_delta",
    "on_tool_call",
    "on_tool_result",
    "on_stream_completion_response_finish",
]


def full_script() -> ScriptedModel:
    """Turn 1: text, a streamed tool call a, a call b; turn 2: text. Every hook fires."""
    delta = [
        RawToolCallDelta(id="a", internal_call_id="ia", content=ToolCallNameDelta(name="t")),
        RawToolCallDelta(id="a", internal_call_id="ia", content=ToolCallArgsDelta(delta="{}")),
    ]
    calls = [tool_call("t", id="a"), tool_call("t", id="b")]
    return ScriptedModel([["Working. ", *delta, *calls, final()], ["Done", " now", final()]])


@tool
def t() -> str:
    """Answer 'ok'."""
    return "ok"


CALL_A = tool_call("t", id="a").to_tool_call()
CALL_B = tool_call("t", id="b").to_tool_call()
TURN_1 = [
    AssistantMessage(content=[Text(text="Working. "), CALL_A, CALL_B]),
    Message.tool_result("a", "ok"),
    Message.tool_result("b", "ok"),
]
A_RAN = [
    AssistantMessage(content=[Text(text="Working. "), CALL_A]),
    Message.tool_result("a", "ok"),
]
# The history at the first firing of each hook whose event is the `nth` of its kind.
AT: dict[tuple[str, int], list[Any]] = {
    ("on_completion_call", 2): [U0, P, *TURN_1],
    ("on_text_delta", 3): [U0, P, *TURN_1, Message.assistant("Done")],  # at " now"
    ("on_tool_call_delta", 1): [U0, P, Message.assistant("Working. ")],
    ("on_tool_call", 2): [U0, P, *A_RAN],
    ("on_tool_result", 1): [U0, P, *A_RAN],
    ("on_stream_completion_response_finish", 1): [U0, P, Message.assistant("Working. ")],
    ("on_stream_completion_response_finish", 2): [U0, P, *TURN_1, Message.assistant("Done now")],
}


class At(PromptHook):
    """Does `act` at the `nth` call of hook method `method`; every other call continues."""

    def __init__(self, method: str, nth: int, act: Any) -> None:
        self.method, self.nth, self.act, self.count = method, nth, act, 0

    async def _maybe(self, method: str) -> Any:
        if method != self.method:
            return None
        self.count += 1
        return await self.act() if self.count == self.nth else None

    async def on_completion_call(self, prompt, history):
        return await self._maybe("on_completion_call")

    async def on_text_delta(self, text_delta, aggregated_text):
        return await self._maybe("on_text_delta")

    async def on_tool_call_delta(self, tool_call_id, internal_call_id, tool_name, tool_call_delta):
        return await self._maybe("on_tool_call_delta")

    async def on_tool_call(self, tool_name, tool_call_id, internal_call_id, args):
        return await self._maybe("on_tool_call")

    async def on_tool_result(self, tool_name, tool_call_id, internal_call_id, args, result):
        return await self._maybe("on_tool_result")

    async def on_stream_completion_response_finish(self, prompt, response):
        return await self._maybe("on_stream_completion_response_finish")


def run_with(hook: PromptHook) -> Any:
    return Agent(full_script(), tools=[t]).stream_chat("p", [U0]).multi_turn(1).with_hook(hook)


async def test_the_script_reaches_every_hook() -> None:
    answer = await run_with(PromptHook())
    assert answer.response == "Done now"
    assert answer.history == [P, *TURN_1, Message.assistant("Done now")]


@pytest.mark.parametrize(("method", "nth"), list(AT), ids=lambda v: str(v))
async def test_an_exception_in_any_hook_is_a_hook_error_with_the_history(
    method: str, nth: int
) -> None:
    async def fail() -> None:
        raise ValueError("hook bug")

    run = run_with(At(method, nth, fail)).stream()
    with pytest.raises(HookError) as info:
        await run.final()
    error = info.value
    assert str(error) == f"PromptError: HookError: {method} raised ValueError: hook bug"
    assert error.hook == method and isinstance(error, StreamingError)
    assert error.chat_history == AT[(method, nth)]
    assert isinstance(error.__cause__, HookError)
    assert isinstance(error.__cause__.__cause__, ValueError)
    assert run.error is error and run.done and run.cancelled is None
    assert run.final_response is None and run.history == AT[(method, nth)]


@pytest.mark.parametrize("method", HOOK_METHODS)
async def test_a_rig_error_raised_in_a_hook_keeps_its_class_and_text(method: str) -> None:
    async def fail() -> None:
        raise UserError("set MY_KEY first")

    _, error = await collect(run_with(At(method, 1, fail)))
    assert isinstance(error, UserError) and not isinstance(error, HookError)
    assert str(error) == "UserError: set MY_KEY first"  # it used to read "ToolSetError: ..."
    assert error.chat_history is not None and error.chat_history[:2] == [U0, P]


async def test_a_nested_runs_error_raised_in_a_hook_keeps_both_histories() -> None:
    inner_runs: list[Any] = []

    class AskAnotherAgent(PromptHook):
        async def on_tool_call(self, tool_name, tool_call_id, internal_call_id, args):
            reviewer = Agent(ScriptedModel([["Looks ", ProviderError("reviewer down")]]))
            inner_runs.append(run := reviewer.stream_chat("review it", []).stream())
            await run.final()  # raises the reviewer's ProviderError through this hook

    _, error = await collect(run_with(AskAnotherAgent()))
    (inner,) = inner_runs
    assert isinstance(error, ProviderError) and error is not inner.error
    assert str(error) == "CompletionError: ProviderError: reviewer down"
    assert error.chat_history == [U0, P, Message.assistant("Working. ")]  # the outer run's
    assert inner.error.chat_history == [Message.user("review it"), Message.assistant("Looks ")]
    assert error.error is inner.error.error  # the reviewer's original ProviderError


async def test_a_rig_error_subclass_of_your_own_ends_the_run_as_itself() -> None:
    class QuotaSpent(UserError):
        def __init__(self, left: int) -> None:  # does not call super().__init__
            self.left = left

        def __str__(self) -> str:
            return f"quota spent ({self.left} left)"

    async def fail() -> None:
        raise QuotaSpent(0)

    run = run_with(At("on_tool_call", 1, fail)).stream()
    with pytest.raises(UserError) as info:
        await run.final()
    error = info.value
    assert str(error) == "UserError: quota spent (0 left)"
    assert isinstance(error.error, QuotaSpent) and error.left == 0  # type: ignore[attr-defined]
    assert error.chat_history == [U0, P, Message.assistant("Working. ")]
    assert run.error is error and run.done


@pytest.mark.parametrize(
    ("answer", "detail"),
    [
        (True, "returned True; return None, HookAction.cont() or HookAction.terminate(reason)"),
        ("stop", "returned 'stop'; return None, HookAction.cont() or"),
        (ToolCallHookAction.skip("no"), "returned ToolCallHookAction.skip(...), which only"),
    ],
)
async def test_a_hook_answering_something_else_is_a_clear_hook_error(
    answer: Any, detail: str
) -> None:
    async def odd() -> Any:
        return answer

    _, error = await collect(run_with(At("on_text_delta", 1, odd)))
    assert isinstance(error, HookError)
    assert str(error).startswith(f"PromptError: HookError: on_text_delta {detail}")
    assert error.chat_history == [U0, P]


async def test_on_tool_call_answering_something_else_names_its_actions() -> None:
    async def odd() -> Any:
        return "yes"

    _, error = await collect(run_with(At("on_tool_call", 1, odd)))
    assert isinstance(error, HookError) and error.hook == "on_tool_call"
    assert str(error) == (
        "PromptError: HookError: on_tool_call returned 'yes'; return None, "
        "ToolCallHookAction.cont() or ToolCallHookAction.terminate(reason)"
    )
    assert error.chat_history == [U0, P, Message.assistant("Working. ")]


async def test_a_hook_may_skip_from_on_tool_call_only() -> None:
    async def skip() -> Any:
        return ToolCallHookAction.skip("not now")

    answer = await run_with(At("on_tool_call", 1, skip))
    assert answer.history is not None and answer.history[2] == Message.tool_result("a", "not now")


class Broken:
    """Custom models with one bug each."""

    def __init__(self, bug: str) -> None:
        self.bug = bug

    def stream(self, request: Any) -> Any:
        if self.bug == "stream() raises":
            raise ValueError("cannot start")
        if self.bug == "returns a list":
            return ["not", "an", "iterator"]
        return self._gen()

    async def _gen(self) -> Any:
        from rig_nb.core import RawText

        yield RawText("partial")
        if self.bug == "yields a str":
            yield "plain text"
        if self.bug == "iteration raises":
            raise ZeroDivisionError("division by zero")
        if self.bug == "raises a UserError":
            raise UserError("model misconfigured")
        if self.bug == "raises a ProviderError":
            raise ProviderError("the provider said no")


@pytest.mark.parametrize(
    ("bug", "error_type", "text", "history"),
    [
        (
            "stream() raises",
            ModelError,
            "CompletionError: ModelError: ValueError: cannot start",
            [P],
        ),
        (
            "returns a list",
            ModelError,
            "CompletionError: ModelError: TypeError: Broken.stream() returned list, not an async iterator",
            [P],
        ),
        (
            "yields a str",
            ModelError,
            "CompletionError: ModelError: TypeError: a model yielded str 'plain text'",
            [P, Message.assistant("partial")],
        ),
        (
            "iteration raises",
            ModelError,
            "CompletionError: ModelError: ZeroDivisionError: division by zero",
            [P, Message.assistant("partial")],
        ),
        (
            "raises a UserError",
            UserError,
            "UserError: model misconfigured",
            [P, Message.assistant("partial")],
        ),
        (
            "raises a ProviderError",
            ProviderError,
            "CompletionError: ProviderError: the provider said no",
            [P, Message.assistant("partial")],
        ),
    ],
)
async def test_a_custom_model_failure_is_typed_and_keeps_the_history(
    bug: str, error_type: type, text: str, history: list[Any]
) -> None:
    run = Agent(Broken(bug)).stream_chat("p", []).stream()
    _, error = await collect(run)
    assert type(error).__name__ == f"Streaming{error_type.__name__}"
    assert isinstance(error, error_type) and str(error).startswith(text)
    assert error.chat_history == history
    assert (error_type is ProviderError) == isinstance(error, ProviderError)
    assert run.error is error and run.done and run.final_response is None


async def test_an_async_def_stream_returning_an_iterator_is_accepted() -> None:
    class Awaitable:
        async def stream(self, request: Any) -> Any:
            return ScriptedModel([["fine", final()]]).stream(request)

    assert (await Agent(Awaitable()).stream_prompt("p")).response == "fine"


async def test_tool_arguments_a_model_cannot_serialize_are_a_model_error() -> None:
    model = ScriptedModel([[tool_call("t", {"x": {1, 2}}, id="c"), final()]])
    _, error = await collect(Agent(model, tools=[t]).stream_prompt("p").multi_turn(1))
    assert isinstance(error, ModelError)
    assert "the arguments of the t call 'c' are not JSON" in str(error)
    assert error.chat_history == [P]


async def test_a_context_document_that_is_not_json_is_a_request_error() -> None:
    class Index:
        async def top_n(self, query: str, n: int):
            return [(1.0, "d", object())]

    model = ScriptedModel([["never", final()]])
    _, error = await collect(Agent(model, dynamic_context=[(1, Index())]).stream_prompt("p"))
    assert isinstance(error, RequestError) and error.chat_history == [P]
    assert model.calls == 0


async def test_a_bug_in_the_loop_itself_is_still_typed_with_history(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from rig_nb.core import _tracing as tracing

    def broken(self: Any, text: str) -> None:
        raise RuntimeError("tracer bug")

    monkeypatch.setattr(tracing.AgentTracer, "turn_ended", broken)
    run = Agent(ScriptedModel([["abc", final()]])).stream_chat("p", [U0]).stream()
    _, error = await collect(run)
    assert isinstance(error, PromptError) and not isinstance(error, CompletionError)
    assert str(error) == "PromptError: the agent loop failed: RuntimeError: tracer bug"
    assert error.chat_history == [U0, P, Message.assistant("abc")]
    assert isinstance(error.__cause__.__cause__, RuntimeError)  # type: ignore[union-attr]
    assert run.error is error and run.done


async def test_a_provider_error_mid_stream_ends_the_run_with_its_state() -> None:
    run = Agent(ScriptedModel([["a", ProviderError("reset")]])).stream_chat("p", []).stream()
    items, error = await collect(run)
    assert kinds(items) == ["Text:a"]
    assert run.error is error and run.done and run.cancelled is None
    assert error.chat_history == [P, Message.assistant("a")]
    assert error.error.chat_history == [P, Message.assistant("a")]  # type: ignore[union-attr]


# --- point 11: Terminate and Stop keep the same history ------------------------------------------


async def ended_by(method: str, nth: int, how: str) -> PromptCancelled:
    """End the scripted run at the `nth` call of `method`: Terminate, or a Stop from another task
    while the hook waits (a user pressing the button)."""
    reached = asyncio.Event()

    async def act() -> Any:
        if how == "terminate":
            return (
                ToolCallHookAction.terminate("t")
                if method == "on_tool_call"
                else HookAction.terminate("t")
            )
        reached.set()
        await asyncio.sleep(30)

    run = run_with(At(method, nth, act)).stream()

    async def press_stop() -> None:
        await reached.wait()
        run.cancel("stopped by user")

    stopper = asyncio.create_task(press_stop())
    with pytest.raises(PromptCancelled) as info:
        await run.final()
    stopper.cancel()
    assert run.cancelled is info.value and run.error is info.value and run.done
    return info.value


@pytest.mark.parametrize(("method", "nth"), list(AT), ids=lambda v: str(v))
async def test_terminate_and_stop_keep_the_same_history(method: str, nth: int) -> None:
    terminated = await ended_by(method, nth, "terminate")
    stopped = await ended_by(method, nth, "stop")
    assert (terminated.reason, stopped.reason) == ("t", "stopped by user")
    assert terminated.chat_history == stopped.chat_history == AT[(method, nth)]
    # The loop's own PromptCancelled (wrapped by the stream) carries the same history.
    assert terminated.error.chat_history == AT[(method, nth)]  # type: ignore[attr-defined]


async def test_a_stop_while_a_tool_runs_keeps_the_tools_that_finished() -> None:
    started = asyncio.Event()

    @tool
    async def slow() -> str:
        """Slow."""
        started.set()
        await asyncio.sleep(30)
        return "late"

    model = ScriptedModel([["Go. ", tool_call("t", id="a"), tool_call("slow", id="s"), final()]])
    run = Agent(model, tools=[t, slow]).stream_chat("p", []).multi_turn(1).stream()

    async def press_stop() -> None:
        await started.wait()
        run.cancel("stop")

    stopper = asyncio.create_task(press_stop())
    with pytest.raises(PromptCancelled) as info:
        await run.final()
    await stopper
    assert info.value.chat_history == [
        P,
        AssistantMessage(content=[Text(text="Go. "), CALL_A]),
        Message.tool_result("a", "ok"),
    ]
    assert info.value.reason == "stop"


# --- the run's state in every ending -------------------------------------------------------------


async def test_run_state_after_each_ending() -> None:
    ok = Agent(ScriptedModel([["hi", final()]])).stream_prompt("p").stream()
    assert not ok.done
    await ok.final()
    assert ok.done and ok.error is None and ok.cancelled is None
    assert ok.final_response is not None and ok.final_response.response == "hi"

    failed = Agent(ScriptedModel([["a", ProviderError("x")]])).stream_prompt("p").stream()
    with pytest.raises(ProviderError):
        await failed.final()
    assert failed.done and isinstance(failed.error, ProviderError) and failed.cancelled is None

    async def terminate() -> Any:
        return HookAction.terminate("enough")

    ended = run_with(At("on_text_delta", 1, terminate)).stream()
    with pytest.raises(PromptCancelled):
        await ended.final()
    assert ended.done and ended.error is ended.cancelled and ended.final_response is None

    stopped = Agent(ScriptedModel([["a", Delay(5), "b"]])).stream_prompt("p").stream()
    await anext(stopped)
    stopped.cancel("stop")
    with pytest.raises(PromptCancelled):
        await anext(stopped)
    assert stopped.done and stopped.error is stopped.cancelled
    assert stopped.cancelled is not None and stopped.cancelled.chat_history == [
        P,
        Message.assistant("a"),
    ]

    closed = Agent(ScriptedModel([["a", Delay(5), "b"]])).stream_prompt("p").stream()
    await anext(closed)
    await closed.aclose()
    assert closed.done and closed.error is None and closed.final_response is None
    assert closed.cancelled is not None and closed.cancelled.reason == "the stream was closed"
    await closed.aclose()  # twice is fine
    assert [i async for i in closed] == []
