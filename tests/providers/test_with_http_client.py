"""`HttpModel.with_http_client`: the same model (key, base URL, headers, settings) sending through
another httpx client, for a recorder or a proxy; the original keeps its own."""

from __future__ import annotations

from pathlib import Path

import pytest

from rig_nb import Agent
from rig_nb.providers import HttpSettings, OpenAIChatModel
from rig_nb.testing.http import ReplayTransport, Reply

pytestmark = pytest.mark.anyio

TEXT = Path(__file__).parent / "fixtures" / "openai_chat" / "text.sse"


async def test_the_twin_sends_the_same_request_through_the_given_client() -> None:
    first, second = ReplayTransport(Reply.file(TEXT)), ReplayTransport(Reply.file(TEXT))
    settings = HttpSettings(max_retries=0)
    original = OpenAIChatModel(
        "gpt-4o-mini",
        api_key="sk-TWIN-KEY-1234",
        base_url="http://127.0.0.1:9/v1",
        headers={"x-team": "labels"},
        settings=settings,
        http_client=first.client(),
    )
    twin = original.with_http_client(second.client())
    assert type(twin) is OpenAIChatModel and twin is not original
    assert (twin.model_name, twin.base_url, twin.settings) == (
        "gpt-4o-mini",
        original.base_url,
        settings,
    )
    assert "sk-TWIN-KEY-1234" not in repr(twin)

    await Agent(twin).stream_prompt("hi")
    assert len(second.requests) == 1 and not first.requests  # the original's client is untouched
    sent = second.requests[0]
    assert sent.headers["authorization"] == "Bearer sk-TWIN-KEY-1234"
    assert sent.headers["x-team"] == "labels"
    assert str(sent.url) == "http://127.0.0.1:9/v1/chat/completions"

    await Agent(original).stream_prompt("hi")
    assert len(first.requests) == 1 and len(second.requests) == 1
    assert first.bodies() == second.bodies()
