"""Tracing is free when nothing records: the history's JSON is built only for a recording span."""

from typing import Any

import pytest
from opentelemetry import trace
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.sdk.trace.sampling import ALWAYS_OFF, ALWAYS_ON

from rig_nb import Agent, Message
from rig_nb.core import AssistantMessage, SystemMessage, UserMessage
from rig_nb.testing import ScriptedModel, final

pytestmark = pytest.mark.anyio

HISTORY = [
    Message.user(f"question {i}") if i % 2 else Message.assistant(f"answer {i}") for i in range(50)
]


@pytest.fixture
def dumped(monkeypatch: pytest.MonkeyPatch) -> list[Any]:
    """Every message serialized to rig's JSON form (a spy on `to_wire` of each message kind)."""
    calls: list[Any] = []
    for cls in (UserMessage, AssistantMessage, SystemMessage):
        original = cls.to_wire

        def spy(self: Any, _original: Any = original) -> Any:
            calls.append(self)
            return _original(self)

        monkeypatch.setattr(cls, "to_wire", spy)
    return calls


def use(monkeypatch: pytest.MonkeyPatch, provider: Any) -> None:
    monkeypatch.setattr(trace, "get_tracer", provider.get_tracer)


async def run() -> str:
    agent = Agent(ScriptedModel([["one answer", final(total_tokens=3)]]), preamble="Be brief.")
    final_response = await agent.stream_prompt("go").with_history(list(HISTORY))
    return final_response.response


@pytest.mark.parametrize("how", ["no tracer configured", "a sampler that records nothing"])
async def test_a_span_that_does_not_record_never_serializes_the_history(
    how: str, monkeypatch: pytest.MonkeyPatch, dumped: list[Any]
) -> None:
    if how == "a sampler that records nothing":
        provider = TracerProvider(sampler=ALWAYS_OFF)
        exporter = InMemorySpanExporter()
        provider.add_span_processor(SimpleSpanProcessor(exporter))
        use(monkeypatch, provider)
    else:
        use(monkeypatch, trace.NoOpTracerProvider())
    assert await run() == "one answer"
    assert dumped == []  # not one message turned into JSON


async def test_a_recording_span_gets_the_history(
    monkeypatch: pytest.MonkeyPatch, dumped: list[Any]
) -> None:
    provider = TracerProvider(sampler=ALWAYS_ON)
    exporter = InMemorySpanExporter()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    use(monkeypatch, provider)
    assert await run() == "one answer"
    chat = next(s for s in exporter.get_finished_spans() if s.name == "chat_streaming")
    messages = chat.attributes["gen_ai.input.messages"]
    assert "question 49" in messages and "Be brief." in messages
    assert len(dumped) == len(HISTORY) + 2  # the system preamble, the history, the prompt
