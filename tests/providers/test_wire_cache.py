"""A history message is converted and encoded once, ever: a turn sends the history again, and
the messages are frozen. The bodies on the wire are the same as without the cache."""

import gc
import json
from typing import Any

import pytest

from rig_nb import Agent, Message
from rig_nb.core import CompletionRequest
from rig_nb.core._messages import _DERIVED, derived
from rig_nb.providers import AnthropicModel, OpenAIChatModel, _anthropic, _openai_chat
from rig_nb.testing.http import ReplayTransport

from .conftest import FAST, fixture, get_time, get_weather

pytestmark = pytest.mark.anyio

HISTORY = [
    Message.user("What is the weather in Paris?"),
    Message.assistant("Sunny, 21 °C."),
    Message.user("And in Rome?"),
    Message.assistant("Cloudy, 18 °C."),
]


@pytest.fixture
def conversions(monkeypatch: pytest.MonkeyPatch) -> list[Any]:
    """Every message the two providers converted to wire dicts."""
    seen: list[Any] = []
    for module in (_openai_chat, _anthropic):
        original = module._convert

        def spy(message: Any, _original: Any = original) -> Any:
            seen.append(message)
            return _original(message)

        monkeypatch.setattr(module, "_convert", spy)
    return seen


@pytest.mark.parametrize("vendor", ["openai_chat", "anthropic"])
async def test_a_second_turn_converts_only_the_new_messages(
    vendor: str, conversions: list[Any]
) -> None:
    def reply(name: str) -> Any:
        from rig_nb.testing.http import Reply

        return Reply.file(fixture(vendor, name))

    tool = "tool_call.sse" if vendor == "openai_chat" else "thinking_tool.sse"
    transport = ReplayTransport(reply(tool), reply("text.sse"))
    cls = OpenAIChatModel if vendor == "openai_chat" else AnthropicModel
    model = cls("m", api_key="sk-test", http_client=transport.client(), settings=FAST)
    answer = await Agent(model, tools=[get_weather, get_time]).stream_chat(
        "Weather?", list(HISTORY)
    )
    assert answer.history is not None
    first, second = transport.bodies()
    assert len(first["messages"]) == len(HISTORY) + 1
    # The first turn converted the history and the prompt; the second only the tool calls and
    # their results (the run's messages but the prompt and the final answer), not the five
    # messages it sent again.
    assert len(conversions) == len(HISTORY) + 1 + len(answer.history) - 2
    assert conversions[: len(HISTORY)] == HISTORY
    assert first["messages"] == second["messages"][: len(first["messages"])]


@pytest.mark.parametrize("cls", [OpenAIChatModel, AnthropicModel])
def test_the_cached_body_is_the_body(cls: type) -> None:
    model = cls("m", api_key="sk-test")
    request = CompletionRequest(chat_history=[*HISTORY, Message.user('Quoted "text" é \\ ok')])
    once = json.loads(model._encode(model.build_body(request)))
    again = json.loads(model._encode(model.build_body(request)))  # from the cache
    assert once == again
    texts = [json.dumps(m, ensure_ascii=False) for m in once["messages"]]
    assert 'Quoted \\"text\\" é \\\\ ok' in texts[-1]
    assert len(once["messages"]) == len(HISTORY) + 1


def test_an_entry_goes_with_its_message() -> None:
    import weakref

    message = Message.user("short-lived")
    assert derived(message, "k", lambda m: 42) == 42
    assert derived(message, "k", lambda m: 0) == 42  # made once
    key, alive = id(message), weakref.ref(message)
    assert _DERIVED[key][0]() is message
    del message
    gc.collect()
    assert alive() is None
    entry = _DERIVED.get(key)
    assert entry is None or entry[0]() is not None, "an entry outlived its message"


def test_a_value_additional_params_give_for_messages_replaces_the_history() -> None:
    model = OpenAIChatModel("m", api_key="sk-test")
    mine = [{"role": "user", "content": "mine"}]
    request = CompletionRequest(chat_history=HISTORY, additional_params={"messages": mine})
    assert json.loads(model._encode(model.build_body(request)))["messages"] == mine
