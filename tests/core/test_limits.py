"""Usage limits (issue 12.5): each limit ends the run with a typed error naming the limit, its
value and the usage so far, at the step `rig_nb.core._limits` documents, keeping the history."""

from __future__ import annotations

import pickle
from multiprocessing.reduction import ForkingPickler
from typing import Any

import pytest

from rig_nb import (
    Agent,
    Message,
    PriceTable,
    PromptError,
    PromptHook,
    StreamingError,
    ToolCallHookAction,
    UsageLimitExceeded,
    UsageLimits,
    UserError,
    tool,
)
from rig_nb.core import Usage
from rig_nb.testing import ScriptedModel, final, tool_call

pytestmark = pytest.mark.anyio

TABLE = PriceTable.from_prices({"demo:small": {"input_mtok": 100, "output_mtok": 1000}})
"""$0.0001 an input token, $0.001 an output token: easy sums."""
ran: list[str] = []


@tool
def note(text: str) -> str:
    """Write a note."""
    ran.append(text)
    return "noted"


@pytest.fixture(autouse=True)
def clear() -> None:
    ran.clear()


def usage(i: int, o: int) -> Usage:
    return Usage(input_tokens=i, output_tokens=o, total_tokens=i + o)


def model(*turns: list[Any]) -> ScriptedModel:
    scripted = ScriptedModel(list(turns))
    scripted.provider_name, scripted.model_name = "demo", "small"  # type: ignore[misc]
    return scripted


def tool_turn(i: int = 10, o: int = 2, text: str = "a") -> list[Any]:
    return [
        f"writing {text}. ",
        tool_call("note", {"text": text}, id=f"c_{text}"),
        final(usage(i, o)),
    ]


def agent(scripted: ScriptedModel, limits: UsageLimits | None = None, **kw: Any) -> Agent:
    return Agent(scripted, tools=[note], prices=TABLE, usage_limits=limits, **kw)


async def failing(agent_: Agent, **kw: Any) -> UsageLimitExceeded:
    request = agent_.stream_chat("go", [Message.user("before")]).multi_turn(5)
    if "request_limits" in kw:
        request = request.with_usage_limits(kw["request_limits"])
    with pytest.raises(UsageLimitExceeded) as caught:
        await request
    return caught.value


# -- crossed by a call: checked when its stream has ended, before its tools run -------------------


@pytest.mark.parametrize(
    ("limits", "limit", "value", "used"),
    [
        (UsageLimits(max_input_tokens=15), "max_input_tokens", 15, 20),
        (UsageLimits(max_output_tokens=3), "max_output_tokens", 3, 4),
        (UsageLimits(max_total_tokens=23), "max_total_tokens", 23, 24),
        (UsageLimits(max_cost=0.005), "max_cost", 0.005, pytest.approx(0.006)),
    ],
)
async def test_a_call_that_crosses_a_limit_ends_the_run_before_its_tools(
    limits: UsageLimits, limit: str, value: float, used: Any
) -> None:
    scripted = model(tool_turn(text="a"), tool_turn(text="b"), ["done", final(usage(1, 1))])
    error = await failing(agent(scripted, limits))
    assert (error.limit, error.value, error.used) == (limit, value, used)
    assert scripted.calls == 2 and ran == ["a"]  # the second call's tool never ran
    assert error.requests == 2 and error.tool_calls == 1
    assert error.usage == Usage(input_tokens=20, output_tokens=4, total_tokens=24)
    assert error.cost == pytest.approx(0.006)
    # The history keeps the call that crossed the limit (its text), not its unrun tool call.
    assert [m.role for m in error.chat_history or []] == [
        "user",
        "user",
        "assistant",
        "user",
        "assistant",
    ]
    assert error.chat_history[-1] == Message.assistant("writing b. ")  # type: ignore[index]
    assert isinstance(error, StreamingError) and isinstance(error, PromptError)
    assert str(error).startswith(f"PromptError: UsageLimitExceeded: {limit} of ")
    assert "exceeded" in str(error) and "so far: 2 model calls, 1 tool call" in str(error)


async def test_the_last_answer_crossing_a_limit_still_ends_the_run_with_the_answer_kept() -> None:
    scripted = model(["The answer.", final(usage(30, 5))])
    error = await failing(agent(scripted, UsageLimits(max_total_tokens=20)))
    assert error.chat_history == [
        Message.user("before"),
        Message.user("go"),
        Message.assistant("The answer."),
    ]


# -- reached: checked before the next call, which is not made -----------------------------------


async def test_max_requests_stops_before_the_call_over_it() -> None:
    scripted = model(tool_turn(text="a"), tool_turn(text="b"), ["done", final(usage(1, 1))])
    error = await failing(agent(scripted, UsageLimits(max_requests=2)))
    assert scripted.calls == 2 and ran == ["a", "b"]
    assert (error.limit, error.value, error.used) == ("max_requests", 2, 2)
    assert "max_requests of 2 reached (2 used) before the next model call" in str(error)
    # Both turns, their tool calls and results are kept: the history is whole.
    assert [m.role for m in error.chat_history or []] == [
        "user",
        "user",
        "assistant",
        "user",
        "assistant",
        "user",
    ]


@pytest.mark.parametrize(
    ("limits", "limit"),
    [
        (UsageLimits(max_total_tokens=12), "max_total_tokens"),
        (UsageLimits(max_input_tokens=10), "max_input_tokens"),
        (UsageLimits(max_cost=0.003), "max_cost"),
    ],
)
async def test_a_limit_met_exactly_lets_the_run_go_on_but_not_call_again(
    limits: UsageLimits, limit: str
) -> None:
    scripted = model(tool_turn(), ["done", final(usage(1, 1))])
    error = await failing(agent(scripted, limits))
    assert scripted.calls == 1 and ran == ["a"]  # the tool ran; the next call was not made
    assert error.limit == limit and "reached" in str(error)


async def test_max_zero_requests_makes_no_call() -> None:
    scripted = model(["x", final(usage(1, 1))])
    error = await failing(agent(scripted, UsageLimits(max_requests=0)))
    assert scripted.calls == 0
    assert error.chat_history == [Message.user("before"), Message.user("go")]


# -- tool calls: checked before each one, before anyone is asked ---------------------------------


class Recorder(PromptHook):
    def __init__(self, skip: set[str] = frozenset()) -> None:  # type: ignore[assignment]
        self.asked: list[str] = []
        self.skip = skip

    async def on_tool_call(
        self, tool_name: str, tool_call_id: Any, internal_call_id: str, args: str
    ) -> Any:
        self.asked.append(args)
        if any(s in args for s in self.skip):
            return ToolCallHookAction.skip("no")
        return None


async def test_max_tool_calls_stops_before_the_call_over_it_and_asks_nobody() -> None:
    turn = [
        tool_call("note", {"text": "a"}, id="c1"),
        tool_call("note", {"text": "b"}, id="c2"),
        final(usage(1, 1)),
    ]
    hook = Recorder()
    scripted = model(turn, ["done", final(usage(1, 1))])
    error = await failing(agent(scripted, UsageLimits(max_tool_calls=1), hook=hook))
    assert ran == ["a"] and len(hook.asked) == 1  # b was never asked about, never run
    assert (error.limit, error.value, error.used, error.tool_calls) == ("max_tool_calls", 1, 1, 1)
    assert "reached (1 used) before the next tool call" in str(error)
    # The call that ran is kept with its result; the one that did not is not in the history.
    history = error.chat_history or []
    assert [m.role for m in history] == ["user", "user", "assistant", "user"]
    assert [c.id for c in history[2].content] == ["c1"]  # type: ignore[union-attr]


async def test_a_skipped_tool_call_does_not_count() -> None:
    turn = [
        tool_call("note", {"text": "a"}, id="c1"),
        tool_call("note", {"text": "b"}, id="c2"),
        final(usage(1, 1)),
    ]
    hook = Recorder(skip={'"a"'})
    scripted = model(turn, ["done", final(usage(1, 1))])
    answer = (
        await agent(scripted, UsageLimits(max_tool_calls=1), hook=hook)
        .stream_prompt("go")
        .multi_turn(2)
    )
    assert answer.response == "done" and ran == ["b"] and len(hook.asked) == 2


# -- which limits, and bad ones ---------------------------------------------------------------------


async def test_a_requests_limits_replace_the_agents() -> None:
    scripted = model(tool_turn(), ["done", final(usage(1, 1))])
    strict = agent(scripted, UsageLimits(max_tool_calls=0))
    answer = await strict.stream_prompt("go").multi_turn(2).with_usage_limits(UsageLimits())
    assert answer.response == "done" and ran == ["a"]
    request = strict.stream_prompt("go")
    assert request.effective_usage_limits == UsageLimits(max_tool_calls=0)
    assert request.with_usage_limits(UsageLimits(max_cost=1)).effective_usage_limits == UsageLimits(
        max_cost=1
    )
    error = await failing(
        agent(model(tool_turn()), None), request_limits=UsageLimits(max_tool_calls=0)
    )
    assert error.limit == "max_tool_calls" and ran == ["a"]


async def test_max_cost_on_a_model_without_a_price_fails_before_spending_anything() -> None:
    scripted = ScriptedModel([["x", final(usage(1, 1))]])
    with pytest.raises(UserError) as caught:
        await Agent(scripted, usage_limits=UsageLimits(max_cost=0.5)).stream_chat("go", [])
    assert scripted.calls == 0
    assert str(caught.value) == (
        "UserError: max_cost=$0.500 cannot be kept: no price for scripted:scripted: the price table "
        "has no provider 'scripted'. Give the agent a price table "
        "(Agent(prices=PriceTable.from_prices(...))) or drop max_cost"
    )
    assert caught.value.chat_history == [Message.user("go")]


async def test_max_cost_with_a_call_of_unknown_cost_ends_the_run() -> None:
    scripted = model(["no usage reported"], ["never"])
    error = await failing(agent(scripted, UsageLimits(max_cost=1.0)))
    assert (error.limit, error.used, error.cost) == ("max_cost", None, None)
    assert str(error).startswith(
        "PromptError: UsageLimitExceeded: max_cost of $1.00 cannot be kept: the cost of model call 1 "
        "(demo:small): the provider reported no token counts for this call"
    )
    assert scripted.calls == 1


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"max_requests": -1}, "max_requests must be a whole number >= 0, got -1"),
        ({"max_tool_calls": 1.5}, "max_tool_calls must be a whole number >= 0, got 1.5"),
        ({"max_total_tokens": True}, "max_total_tokens must be a whole number >= 0, got True"),
        ({"max_cost": -0.1}, "max_cost is in US dollars, >= 0; got -0.1"),
        ({"max_cost": float("inf")}, "max_cost is in US dollars, >= 0; got inf"),
        ({"max_cost": "1"}, "max_cost is in US dollars, >= 0; got '1'"),
    ],
)
def test_a_bad_limit_is_a_clear_user_error(kwargs: dict[str, Any], message: str) -> None:
    with pytest.raises(UserError) as caught:
        UsageLimits(**kwargs)
    assert str(caught.value) == message


def test_limits_and_prices_of_the_wrong_type_are_user_errors() -> None:
    with pytest.raises(UserError, match="usage_limits must be a UsageLimits, got dict"):
        Agent(ScriptedModel(), usage_limits={"max_cost": 1})  # type: ignore[arg-type]
    with pytest.raises(UserError, match="prices must be a PriceTable, got dict"):
        Agent(ScriptedModel(), prices={"demo:small": {}})  # type: ignore[arg-type]
    with pytest.raises(UserError, match="with_usage_limits takes a UsageLimits, got int"):
        Agent(ScriptedModel()).stream_prompt("q").with_usage_limits(3)  # type: ignore[arg-type]
    assert (
        repr(UsageLimits(max_cost=0.5, max_tool_calls=3))
        == "UsageLimits(max_cost=0.5, max_tool_calls=3)"
    )


async def test_the_error_pickles_whole_with_its_twin() -> None:
    error = await failing(agent(model(tool_turn(), tool_turn()), UsageLimits(max_total_tokens=5)))
    for moved in (pickle.loads(pickle.dumps(error)), pickle.loads(ForkingPickler.dumps(error))):
        assert type(moved) is type(error) and isinstance(moved, UsageLimitExceeded)
        assert str(moved) == str(error) and moved.chat_history == error.chat_history
        assert (moved.limit, moved.value, moved.used, moved.usage) == (
            error.limit,
            error.value,
            error.used,
            error.usage,
        )
        assert isinstance(moved.error, UsageLimitExceeded)  # type: ignore[attr-defined]
        assert not isinstance(moved.error, StreamingError)  # type: ignore[attr-defined]
    plain = UsageLimitExceeded("x", [], limit="max_requests", value=1, used=1)
    assert str(pickle.loads(pickle.dumps(plain))) == "UsageLimitExceeded: x"
    assert str(StreamingError.wrap(plain)) == "PromptError: UsageLimitExceeded: x"
