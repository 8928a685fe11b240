"""Spec 5 spans and T08: no span leaks into the consumer's or any other task."""

import asyncio

import pytest
from opentelemetry import trace
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from rig_nb import Agent, tool
from rig_nb.testing import Delay, ScriptedModel, final, tool_call

pytestmark = pytest.mark.anyio

EXPORTER = InMemorySpanExporter()
PROVIDER = TracerProvider()
PROVIDER.add_span_processor(SimpleSpanProcessor(EXPORTER))


@pytest.fixture(autouse=True)
def tracer_provider(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setattr(trace, "get_tracer", PROVIDER.get_tracer)
    EXPORTER.clear()
    yield
    EXPORTER.clear()


@tool
def lookup(key: str) -> str:
    """Look a key up."""
    return f"value of {key}"


def script() -> ScriptedModel:
    return ScriptedModel(
        [
            [
                Delay(0.01),
                tool_call("lookup", {"key": "k"}, id="t1"),
                final(input_tokens=3, output_tokens=1, total_tokens=4),
            ],
            [
                Delay(0.01),
                "the ",
                Delay(0.01),
                "answer",
                final(input_tokens=5, output_tokens=2, total_tokens=7, cached_input_tokens=1),
            ],
        ]
    )


async def test_t08_spans_never_leak_across_yields_or_tasks() -> None:
    agent = Agent(script(), name="tracer", preamble="Be brief.", tools=[lookup])
    stop = asyncio.Event()
    seen_elsewhere: list[bool] = []
    seen_by_consumer: list[bool] = []

    async def watcher() -> None:
        while not stop.is_set():
            seen_elsewhere.append(trace.get_current_span().get_span_context().is_valid)
            await asyncio.sleep(0.001)

    watching = asyncio.create_task(watcher())
    async for _ in agent.stream_prompt("question").multi_turn(1):
        seen_by_consumer.append(trace.get_current_span().get_span_context().is_valid)
        await asyncio.sleep(0.002)
    stop.set()
    await watching
    assert len(seen_elsewhere) > 5
    assert not any(seen_elsewhere)
    assert not any(seen_by_consumer)


async def test_spans_and_genai_attributes() -> None:
    agent = Agent(script(), name="tracer", preamble="Be brief.", tools=[lookup])
    answer = await agent.stream_prompt("question").multi_turn(1)
    spans = {s.name: s for s in EXPORTER.get_finished_spans()}
    names = [s.name for s in EXPORTER.get_finished_spans()]
    assert sorted(names) == ["chat_streaming", "chat_streaming", "execute_tool", "invoke_agent"]
    root = spans["invoke_agent"]
    assert root.attributes["gen_ai.operation.name"] == "invoke_agent"
    assert root.attributes["gen_ai.agent.name"] == "tracer"
    assert root.attributes["gen_ai.system_instructions"] == "Be brief."
    assert root.attributes["gen_ai.prompt"] == "question"
    assert root.attributes["gen_ai.completion"] == answer.response == "the answer"
    assert root.attributes["gen_ai.usage.input_tokens"] == 8
    assert root.attributes["gen_ai.usage.output_tokens"] == 3
    assert root.attributes["gen_ai.usage.cache_read.input_tokens"] == 1
    tool_span = spans["execute_tool"]
    assert tool_span.parent is not None and tool_span.parent.span_id == root.context.span_id
    assert dict(tool_span.attributes) == {
        "gen_ai.operation.name": "execute_tool",
        "gen_ai.tool.type": "function",
        "gen_ai.tool.name": "lookup",
        "gen_ai.tool.call.id": "t1",
        "gen_ai.tool.call.arguments": '{"key":"k"}',
        "gen_ai.tool.call.result": "value of k",
    }
    chats = [s for s in EXPORTER.get_finished_spans() if s.name == "chat_streaming"]
    assert all(c.parent is not None and c.parent.span_id == root.context.span_id for c in chats)
    assert chats[0].attributes["gen_ai.request.model"] == "scripted"
    assert chats[0].attributes["gen_ai.usage.input_tokens"] == 3
    assert chats[1].attributes["gen_ai.output.messages"] == "the answer"


async def test_the_callers_current_span_is_reused() -> None:
    tracer = PROVIDER.get_tracer("test")
    with tracer.start_as_current_span("caller") as caller:
        await Agent(ScriptedModel([["x", final()]])).stream_prompt("p")
    names = [s.name for s in EXPORTER.get_finished_spans()]
    assert "invoke_agent" not in names
    assert caller.attributes["gen_ai.completion"] == "x"  # type: ignore[attr-defined]


async def test_a_provider_sees_the_chat_span_as_current() -> None:
    seen = []

    class Observing(ScriptedModel):
        async def _play(self, turn):
            seen.append(trace.get_current_span())
            async for step in super()._play(turn):
                yield step

    await Agent(Observing([["x", final()]])).stream_prompt("p")
    (span,) = seen
    assert span.name == "chat_streaming"  # type: ignore[attr-defined]
