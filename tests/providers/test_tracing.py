"""Providers record the response id and model on the loop's chat span."""

import pytest
from opentelemetry import trace
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from rig_nb import Agent
from rig_nb.providers import AnthropicModel, OpenAIChatModel
from rig_nb.testing.http import ReplayTransport, Reply

from .conftest import FAST, fixture

pytestmark = pytest.mark.anyio


@pytest.fixture
def exporter(monkeypatch: pytest.MonkeyPatch) -> InMemorySpanExporter:
    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    monkeypatch.setattr(trace, "get_tracer", provider.get_tracer)
    return exporter


async def test_openai_and_anthropic_record_response_metadata(
    exporter: InMemorySpanExporter,
) -> None:
    openai = OpenAIChatModel(
        "gpt-4o-mini",
        api_key="k",
        http_client=ReplayTransport(Reply.file(fixture("openai_chat", "text.sse"))).client(),
        settings=FAST,
    )
    await Agent(openai).stream_prompt("hi")
    anthropic = AnthropicModel(
        "claude-sonnet-4-5",
        api_key="k",
        http_client=ReplayTransport(Reply.file(fixture("anthropic", "text.sse"))).client(),
        settings=FAST,
    )
    await Agent(anthropic).stream_prompt("hi")
    chats = [s for s in exporter.get_finished_spans() if s.name == "chat_streaming"]
    assert [
        (s.attributes["gen_ai.response.id"], s.attributes["gen_ai.response.model"]) for s in chats
    ] == [
        ("chatcmpl-A1", "gpt-4o-mini-2024-07-18"),
        ("msg_01XFD", "claude-sonnet-4-5"),
    ]
    assert chats[0].attributes["gen_ai.provider.name"] == "openai"
    assert chats[0].attributes["gen_ai.request.model"] == "gpt-4o-mini"
    assert chats[1].attributes["gen_ai.usage.output_tokens"] == 15
